using System.Text.Json;
using Cairn.Lineage;

namespace Cairn.Tracking;

/// <summary>An MLflow dataset input as a dataset of the metadata repository.</summary>
internal static class MlflowDatasets
{
    /// <summary>
    /// Namespace = MLflow's source type (<c>s3</c>, <c>local</c>, <c>huggingface</c>), name = its name, version = its digest.
    /// The location and columns are read from MLflow's source and schema JSON when they have the usual shape
    /// (<c>{"uri": …}</c>, <c>{"mlflow_colspec": [{"name", "type"}]}</c>); anything else is left unset, never refused.
    /// </summary>
    public static PutDatasetRequest ToDataset(Dataset dataset) =>
        new(dataset.SourceType, dataset.Name, Version: dataset.Digest, Location: Location(dataset.Source), Schema: Columns(dataset.Schema));

    private static string? Location(string source)
    {
        var root = Parse(source);
        foreach (var key in new[] { "uri", "url", "path" })
        {
            if (root is { ValueKind: JsonValueKind.Object } r && r.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 and <= 4096 } location)
            {
                return location;
            }
        }
        return null;
    }

    private static List<DatasetField>? Columns(string? schema)
    {
        if (Parse(schema) is not { ValueKind: JsonValueKind.Object } root
            || !root.TryGetProperty("mlflow_colspec", out var columns) || columns.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        var fields = columns.EnumerateArray()
            .Where(c => c.ValueKind == JsonValueKind.Object && c.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            .Select(c => new DatasetField(c.GetProperty("name").GetString()!, c.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null))
            .DistinctBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        return fields.Count > 0 ? fields : null;
    }

    private static JsonElement? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
