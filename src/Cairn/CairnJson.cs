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
        options.Converters.Add(new FiniteDoubleConverter());
        return options;
    }

    /// <summary>
    /// Reads only finite numbers: <c>1e400</c> parses as infinity, which JSON cannot write back, so it is refused where
    /// it is read, naming its path (the named values below are read only as the strings this writes). Writes a non-finite value (one that reached the store another way, such as an MLflow
    /// metric) as MLflow does, <c>"NaN"</c>/<c>"Infinity"</c>, rather than failing the response.
    /// </summary>
    public sealed class FiniteDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                // What Write writes, read back (stored values round-trip); any other text is not a number.
                return reader.GetString() switch
                {
                    "NaN" => double.NaN,
                    "Infinity" => double.PositiveInfinity,
                    "-Infinity" => double.NegativeInfinity,
                    _ => throw new JsonException("The JSON value could not be converted to System.Double."),
                };
            }
            if (reader.TokenType != JsonTokenType.Number)
            {
                throw new JsonException("The JSON value could not be converted to System.Double.");
            }
            var value = reader.GetDouble();
            return double.IsFinite(value) ? value : throw new JsonException("the number is beyond the range of a 64-bit floating-point number.");
        }

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
            }
        }
    }
}
