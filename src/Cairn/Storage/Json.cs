using System.Text.Json;

namespace Cairn.Storage;

/// <summary>Reads the JSON objects that <see cref="ISqlDialect.JsonObjectAggregate"/> produces.</summary>
internal static class Json
{
    public static IReadOnlyDictionary<string, T> ToDictionary<T>(string? json) =>
        string.IsNullOrEmpty(json)
            ? new Dictionary<string, T>()
            : JsonSerializer.Deserialize<SortedDictionary<string, T>>(json, CairnJson.Options) ?? new SortedDictionary<string, T>(StringComparer.Ordinal);
}
