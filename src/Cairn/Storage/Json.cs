using System.Text.Json;

namespace Cairn.Storage;

/// <summary>Reads the JSON objects that <see cref="ISqlDialect.JsonObjectAggregate"/> produces.</summary>
internal static class Json
{
    // Most rows have no tags, aliases, params or metrics: their aggregate is "{}", not worth a deserializer call per row.
    public static IReadOnlyDictionary<string, T> ToDictionary<T>(string? json) =>
        string.IsNullOrEmpty(json) || json == "{}"
            ? new Dictionary<string, T>()
            : JsonSerializer.Deserialize<SortedDictionary<string, T>>(json, CairnJson.Options) ?? new SortedDictionary<string, T>(StringComparer.Ordinal);
}
