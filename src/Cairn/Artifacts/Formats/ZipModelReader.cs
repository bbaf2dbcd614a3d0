using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Cairn.Artifacts.Formats;

/// <summary>Zip-packaged models: TorchScript archives and ML.NET models, told apart by their entries.</summary>
internal static class ZipModelReader
{
    private const string MlNetFormat = "mlnet";
    private const string MlNetFramework = "ml.net";
    private const int MaxEntries = 100_000;
    private const int MaxTransformers = 1_000;
    private const int MaxChainDepth = 4;

    // ML.NET's ModelHeader: signature "ML\0MODEL", versions (8), six 8-byte offsets and sizes (to byte 64), the model signature (8)
    // and version (8), then the loader signature (24 ASCII bytes, zero-padded) that names the component.
    private static readonly byte[] MlNetSignature = "ML\0MODEL"u8.ToArray();
    private const int LoaderSignatureOffset = 80;
    private const int LoaderSignatureLength = 24;

    /// <summary>The format a zip holds, or null when it is some other zip.</summary>
    public static FormatInfo? Read(Stream content, CancellationToken cancellationToken)
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
            try
            {
                return MlNet(zip, names, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The entries say ML.NET; a damaged entry inside makes it a broken ML.NET model, not an unknown zip.
                return FormatInfo.Failed(MlNetFormat, MlNetFramework, "The ML.NET model cannot be read: " + ex.Message);
            }
        }
        return null;
    }

    /// <summary>
    /// What a zip that cannot be opened (truncated, its central directory lost) claimed to be, judged by the name
    /// of its first entry, which sits in plain sight at the start of the file; null when that says nothing.
    /// </summary>
    public static FormatInfo? Broken(Stream content, Exception error)
    {
        var message = "The archive is damaged: " + error.Message;
        var first = FirstEntryName(content);
        if (first is null)
        {
            return null;
        }
        if (first is "TrainingInfo/Version.txt" or "Model/Model.key" or MlNetSchemaReader.EntryName
            || first.StartsWith("TransformerChain/", StringComparison.Ordinal))
        {
            return FormatInfo.Failed(MlNetFormat, MlNetFramework, message);
        }
        var slash = first.IndexOf('/', StringComparison.Ordinal);
        var rest = slash > 0 ? first[(slash + 1)..] : "";
        return rest is "data.pkl" or "version" or ".format_version" or "byteorder" or "constants.pkl" or ".data/version"
            || rest.StartsWith("code/", StringComparison.Ordinal)
            ? FormatInfo.Failed("torchscript", "pytorch", message)
            : null;
    }

    /// <summary>The file name in the zip's first local file header, or null when there is none to read.</summary>
    private static string? FirstEntryName(Stream content)
    {
        // Local file header: signature (4), versions, flags, method, times, CRC, sizes (22), name length (2),
        // extra length (2), then the name.
        var header = new byte[30];
        try
        {
            content.Position = 0;
            if (content.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            {
                return null;
            }
            var length = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(26));
            var name = new byte[length];
            return length > 0 && content.ReadAtLeast(name, length, throwOnEndOfStream: false) == length
                ? Encoding.UTF8.GetString(name)
                : null;
        }
        catch (IOException)
        {
            // Called while reporting a damaged file: a stream that fails now leaves the kind unknown, nothing more.
            return null;
        }
    }

    /// <summary>
    /// An ML.NET model: its transformer chain's components, named by the loader signature in each step's
    /// <c>Model.key</c> header (nested chains expanded), the predictor a prediction transformer wraps, and the
    /// input schema it was saved with as the signature's inputs.
    /// </summary>
    private static FormatInfo MlNet(ZipArchive zip, List<string> names, CancellationToken cancellationToken)
    {
        var entries = names.ToHashSet(StringComparer.Ordinal);
        var transformers = new List<string>();
        string? predictor = null;
        // A folder holds one saved component (its Model.key). A chain's steps sit in Transform_NNN subfolders; a
        // prediction transformer keeps its predictor in Model/. A model of a single transformer is saved as that
        // transformer alone, without a chain around it.
        void Visit(string folder, int depth)
        {
            var loader = LoaderSignature(zip, folder + "Model.key");
            if ((loader == "TransformerChain" || (loader is null && depth == 0)) && depth < MaxChainDepth)
            {
                var steps = names
                    .Where(n => n.StartsWith(folder, StringComparison.Ordinal) && n.EndsWith("/Model.key", StringComparison.Ordinal))
                    .Select(n => n[folder.Length..].Split('/'))
                    .Where(p => p.Length == 2 && p[0].StartsWith("Transform_", StringComparison.Ordinal))
                    .Select(p => p[0])
                    .Distinct(StringComparer.Ordinal)
                    .Order(StringComparer.Ordinal);
                foreach (var step in steps)
                {
                    Visit(folder + step + "/", depth + 1);
                }
                return;
            }
            if (transformers.Count >= MaxTransformers)
            {
                throw new InvalidDataException($"The ML.NET model lists more than {MaxTransformers} transformers.");
            }
            transformers.Add(loader ?? folder.TrimEnd('/').Split('/')[^1]);
            if (entries.Contains(folder + "Model/Model.key"))
            {
                predictor = LoaderSignature(zip, folder + "Model/Model.key") ?? predictor;
            }
        }
        if (names.Any(n => n.StartsWith("TransformerChain/", StringComparison.Ordinal)))
        {
            Visit("TransformerChain/", 0);
        }
        else if (entries.Contains("Model/Model.key"))
        {
            // A bare predictor saved on its own, without a transformer chain.
            predictor = LoaderSignature(zip, "Model/Model.key");
        }
        var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["transformers"] = string.Join(",", transformers) };
        if (predictor is not null)
        {
            properties["predictor"] = predictor;
        }
        if (zip.GetEntry("TrainingInfo/Version.txt") is { } version)
        {
            properties["mlnet_version"] = ReadLine(version);
        }
        if (zip.GetEntry(MlNetSchemaReader.EntryName) is not { } schema)
        {
            // Saved without an input schema (Model.Save(model, null, ...)): what goes in is not recorded.
            return new FormatInfo(MlNetFormat, MlNetFramework, null, properties, null);
        }
        properties["input_schema"] = "saved";
        try
        {
            using var stream = schema.Open();
            // The schema is what the model was trained on (label included); what it returns is not recorded.
            var inputs = MlNetSchemaReader.Read(stream, cancellationToken);
            return new FormatInfo(MlNetFormat, MlNetFramework, new ModelSignature(inputs, []), properties, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The transformers are known all the same; the version records why the inputs are not.
            return new FormatInfo(MlNetFormat, MlNetFramework, null, properties, "The saved input schema cannot be read: " + ex.Message);
        }
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
