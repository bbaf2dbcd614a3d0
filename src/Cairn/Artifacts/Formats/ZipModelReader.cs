using System.Globalization;
using System.IO.Compression;

namespace Cairn.Artifacts.Formats;

/// <summary>Zip-packaged models: TorchScript archives and ML.NET models, told apart by their entries.</summary>
internal static class ZipModelReader
{
    private const int MaxEntries = 100_000;

    /// <summary>The format a zip holds, or null when it is some other zip.</summary>
    public static FormatInfo? Read(Stream content)
    {
        using var zip = new ZipArchive(content, ZipArchiveMode.Read, leaveOpen: true);
        if (zip.Entries.Count > MaxEntries)
        {
            throw new InvalidDataException($"The archive has {zip.Entries.Count} entries.");
        }
        var names = zip.Entries.Select(e => e.FullName).ToList();
        var dataPkl = names.FirstOrDefault(n => n.EndsWith("/data.pkl", StringComparison.Ordinal) && n.Count(c => c == '/') == 1);
        if (dataPkl is not null)
        {
            var top = dataPkl[..dataPkl.IndexOf('/', StringComparison.Ordinal)];
            var scripted = names.Any(n => n.StartsWith(top + "/code/", StringComparison.Ordinal) || n == top + "/constants.pkl");
            var properties = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["archive"] = top,
                ["tensor_count"] = names.Count(n => n.StartsWith(top + "/data/", StringComparison.Ordinal) && !n.EndsWith('/')).ToString(CultureInfo.InvariantCulture),
            };
            // A data.pkl without code is a plain torch.save checkpoint, not TorchScript: same framework, no graph.
            return new FormatInfo(scripted ? "torchscript" : "pytorch", "pytorch", null, properties, null);
        }
        var transformers = names.Where(n => n.StartsWith("TransformerChain/", StringComparison.Ordinal))
            .Select(n => n.Split('/')).Where(p => p.Length > 2).Select(p => p[1]).Distinct(StringComparer.Ordinal).ToList();
        if (transformers.Count > 0 || names.Contains("Model/Model.key") || names.Any(n => n.StartsWith("Model/", StringComparison.Ordinal) && n.EndsWith("Model.key", StringComparison.Ordinal)))
        {
            var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["transformers"] = string.Join(",", transformers) };
            if (names.Any(n => n.StartsWith("Schema/", StringComparison.Ordinal)))
            {
                properties["input_schema"] = "saved";
            }
            return new FormatInfo("mlnet", "ml.net", null, properties, null);
        }
        return null;
    }
}
