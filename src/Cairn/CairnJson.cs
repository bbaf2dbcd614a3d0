using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cairn;

/// <summary>The one JSON shape Cairn speaks: snake_case names, enums as strings.</summary>
public static class CairnJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies Cairn's conventions to options owned by someone else (ASP.NET Core's, the client's).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        // A number is a number: "version": "2" is a 400, not a guess (the web defaults would accept it).
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter());
        return options;
    }
}
