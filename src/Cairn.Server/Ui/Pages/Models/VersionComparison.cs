using System.Globalization;
using Cairn.Artifacts.Formats;
using Cairn.Registry;

namespace Cairn.Server.Ui.Pages.Models;

/// <summary>
/// Versions side by side: sections of rows (a key and each version's value, null where the version lacks it), a row
/// <see cref="Row.Differs"/> unless every version has the same value.
/// </summary>
public sealed record VersionComparison(IReadOnlyList<ModelVersion> Versions, IReadOnlyList<VersionComparison.Section> Sections)
{
    public sealed record Row(string Key, IReadOnlyList<string?> Values)
    {
        public bool Differs => Values.Distinct(StringComparer.Ordinal).Skip(1).Any();
    }

    public sealed record Section(string Title, IReadOnlyList<Row> Rows, bool Numeric = false);

    public static VersionComparison Of(IReadOnlyList<ModelVersion> versions) => new(versions,
    [
        new("Version", Rows(versions, v => new Dictionary<string, string>
        {
            ["semver"] = v.Semver ?? "",
            ["status"] = v.Status,
            ["stage"] = v.Stage.ToString(),
            ["aliases"] = string.Join(", ", v.Aliases),
            ["run_id"] = v.RunId ?? "",
            ["parent_version"] = v.ParentVersion?.ToString(CultureInfo.InvariantCulture) ?? "",
            ["framework"] = v.Framework ?? "",
            ["format"] = v.Format ?? "",
            ["created_by"] = v.CreatedBy,
            ["created_at"] = v.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        }, ordered: false).Where(r => r.Values.Any(v => v is { Length: > 0 })).ToList()),
        new("Metrics", Rows(versions, v => v.Metrics.ToDictionary(m => m.Key, m => ModelText.Number(m.Value))), Numeric: true),
        new("Params", Rows(versions, v => v.Params)),
        new("Signature", Rows(versions, Signature)),
        new("Tags", Rows(versions, v => v.Tags)),
    ]);

    /// <summary>A signature as rows: <c>input.name</c> / <c>output.name</c> → element type and shape.</summary>
    private static Dictionary<string, string> Signature(ModelVersion version)
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        if (version.Signature is { } signature)
        {
            Add("input", signature.Inputs);
            Add("output", signature.Outputs);
        }
        return rows;

        void Add(string side, IReadOnlyList<TensorSpec> tensors)
        {
            foreach (var tensor in tensors)
            {
                rows[$"{side}.{tensor.Name}"] = $"{tensor.ElementType} {TensorTable.Shape(tensor)}";
            }
        }
    }

    private static List<Row> Rows(IReadOnlyList<ModelVersion> versions, Func<ModelVersion, IReadOnlyDictionary<string, string>> values, bool ordered = true)
    {
        var maps = versions.Select(values).ToList();
        var keys = maps.SelectMany(m => m.Keys).Distinct(StringComparer.Ordinal);
        if (ordered)
        {
            keys = keys.Order(StringComparer.Ordinal);
        }
        return keys.Select(k => new Row(k, maps.Select(m => m.TryGetValue(k, out var v) ? v : null).ToList())).ToList();
    }
}
