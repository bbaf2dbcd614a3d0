using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Cairn.Artifacts.Formats;

/// <summary>Zip-packaged models: TorchScript archives and ML.NET models, told apart by their entries.</summary>
internal static class ZipModelReader
{
    private const int MaxEntries = 100_000;
    private const int MaxTransformers = 1_000;
    private const int MaxChainDepth = 4;

    // ML.NET's ModelHeader: signature "ML\0MODEL", versions (8), six 8-byte offsets and sizes (to byte 64), the model signature (8)
    // and version (8), then the loader signature (24 ASCII bytes, zero-padded) that names the component.
    private static readonly byte[] MlNetSignature = "ML\0MODEL"u8.ToArray();
    private const int LoaderSignatureOffset = 80;
    private const int LoaderSignatureLength = 24;

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
        if (names.Any(n => n.StartsWith("TransformerChain/", StringComparison.Ordinal))
            || names.Any(n => n.StartsWith("Model/", StringComparison.Ordinal) && n.EndsWith("Model.key", StringComparison.Ordinal)))
        {
            return MlNet(zip, names);
        }
        return null;
    }

    /// <summary>
    /// An ML.NET model: its transformer chain's components, named by the loader signature in each step's
    /// <c>Model.key</c> header (nested chains expanded), and the predictor a prediction transformer wraps.
    /// </summary>
    private static FormatInfo MlNet(ZipArchive zip, List<string> names)
    {
        var entries = names.ToHashSet(StringComparer.Ordinal);
        var transformers = new List<string>();
        string? predictor = null;
        void Walk(string chain, int depth)
        {
            var steps = names
                .Where(n => n.StartsWith(chain, StringComparison.Ordinal) && n.EndsWith("/Model.key", StringComparison.Ordinal))
                .Select(n => n[chain.Length..].Split('/'))
                .Where(p => p.Length == 2 && p[0].StartsWith("Transform_", StringComparison.Ordinal))
                .Select(p => p[0])
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal);
            foreach (var step in steps)
            {
                if (transformers.Count >= MaxTransformers)
                {
                    throw new InvalidDataException($"The ML.NET model lists more than {MaxTransformers} transformers.");
                }
                var folder = chain + step + "/";
                var loader = LoaderSignature(zip, folder + "Model.key");
                if (loader == "TransformerChain" && depth < MaxChainDepth)
                {
                    Walk(folder, depth + 1);
                    continue;
                }
                transformers.Add(loader ?? step);
                if (entries.Contains(folder + "Model/Model.key"))
                {
                    predictor = LoaderSignature(zip, folder + "Model/Model.key") ?? predictor;
                }
            }
        }
        Walk("TransformerChain/", 0);
        if (transformers.Count == 0 && entries.Contains("Model/Model.key"))
        {
            // A bare predictor saved on its own, without a transformer chain.
            predictor = LoaderSignature(zip, "Model/Model.key");
        }
        var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["transformers"] = string.Join(",", transformers) };
        if (predictor is not null)
        {
            properties["predictor"] = predictor;
        }
        if (names.Contains("Schema") || names.Any(n => n.StartsWith("Schema/", StringComparison.Ordinal)))
        {
            properties["input_schema"] = "saved";
        }
        if (zip.GetEntry("TrainingInfo/Version.txt") is { } version)
        {
            properties["mlnet_version"] = ReadLine(version);
        }
        return new FormatInfo("mlnet", "ml.net", null, properties, null);
    }

    /// <summary>The loader signature from a Model.key header, or null when the entry is not an ML.NET model stream.</summary>
    private static string? LoaderSignature(ZipArchive zip, string entryName)
    {
        if (zip.GetEntry(entryName) is not { } entry)
        {
            return null;
        }
        using var stream = entry.Open();
        var header = new byte[LoaderSignatureOffset + LoaderSignatureLength];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length || !header.AsSpan().StartsWith(MlNetSignature))
        {
            return null;
        }
        var field = header.AsSpan(LoaderSignatureOffset, LoaderSignatureLength);
        var end = field.IndexOf((byte)0);
        var text = Encoding.ASCII.GetString(end < 0 ? field : field[..end]);
        return text.Length > 0 && text.All(char.IsAsciiLetterOrDigit) ? text : null;
    }

    /// <summary>The first line of a small text entry, bounded.</summary>
    private static string ReadLine(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        var buffer = new byte[256];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        var newline = text.IndexOfAny(['\r', '\n']);
        return (newline < 0 ? text : text[..newline]).Trim();
    }
}
