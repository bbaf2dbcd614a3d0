using System.Xml;

namespace Cairn.Artifacts.Formats;

/// <summary>
/// Detects a model file's format from its content (magic bytes first, file name second) and reads what its
/// header tells. Readers look at headers only: a multi-gigabyte weights file is never read whole.
/// </summary>
public static class ModelFormats
{
    // Enough for the magic numbers and the first byte of a safetensors JSON header.
    private const int HeadLength = 16;

    // An XML document must reach its root element within this many bytes to be sniffed as PMML by content.
    private const int XmlSniffLength = 64 * 1024;

    /// <summary>
    /// Inspects a readable, seekable stream positioned at 0. Bad content never throws: a file of a known kind that
    /// cannot be read comes back with <see cref="FormatInfo.Error"/> set; only cancellation is thrown.
    /// </summary>
    public static async Task<FormatInfo> InspectAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        var head = new byte[HeadLength];
        var read = await content.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        content.Position = 0;
        var extension = Path.GetExtension(fileName).ToUpperInvariant();
        var claimed = fileName == SavedModelReader.FileName
            ? SavedModelReader.Format
            : Claim(head.AsSpan(0, read), extension, content.Length);
        if (claimed == "unknown" && await LooksLikePmmlAsync(content, head.AsSpan(0, read).ToArray(), cancellationToken))
        {
            claimed = PmmlReader.Format;
        }
        content.Position = 0;
        try
        {
            return claimed switch
            {
                GgufReader.Format => await GgufReader.ReadAsync(content, cancellationToken),
                SafetensorsReader.Format => await SafetensorsReader.ReadAsync(content, cancellationToken),
                PmmlReader.Format => await PmmlReader.ReadAsync(content, cancellationToken),
                OnnxReader.Format => OnnxReader.Read(content, cancellationToken),
                SavedModelReader.Format => SavedModelReader.Read(content, cancellationToken),
                "zip" => ZipModelReader.Read(content, cancellationToken) ?? FormatInfo.Unknown,
                _ when OnnxReader.MayStartModel(head.AsSpan(0, read)) => TryOnnx(content, cancellationToken),
                _ => FormatInfo.Unknown,
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever a hostile or damaged file provokes in a reader is a fact about the file, not a failure of the upload.
            return claimed switch
            {
                // A zip that cannot be opened is a broken model if its first entry or its name says which kind;
                // otherwise it is just not a model.
                "zip" => ZipModelReader.Broken(content, ex)
                    ?? (extension is ".PT" or ".PTH" ? FormatInfo.Failed("torchscript", "pytorch", ex.Message) : FormatInfo.Unknown),
                "unknown" => FormatInfo.Unknown,
                _ => FormatInfo.Failed(claimed, null, ex.Message),
            };
        }
    }

    /// <summary>
    /// A TensorFlow SavedModel is a directory. Given a version's relative file paths and a way to open one, returns
    /// the SavedModel's info when a <c>saved_model.pb</c> is among them (the shallowest one), else null.
    /// </summary>
    public static async Task<FormatInfo?> InspectDirectoryAsync(IReadOnlyList<string> paths, Func<string, CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(open);
        var root = paths
            .Where(p => p.Replace('\\', '/').Split('/')[^1] == SavedModelReader.FileName)
            .OrderBy(p => p.Count(c => c is '/' or '\\'))
            .ThenBy(p => p, StringComparer.Ordinal)
            .FirstOrDefault();
        if (root is null)
        {
            return null;
        }
        var directory = root[..^SavedModelReader.FileName.Length];
        FormatInfo info;
        try
        {
            var stream = await open(root, cancellationToken);
            await using (stream)
            {
                info = stream.CanSeek
                    ? SavedModelReader.Read(stream, cancellationToken)
                    : await ReadUnseekableAsync(stream, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            info = FormatInfo.Failed(SavedModelReader.Format, "tensorflow", ex.Message);
        }
        var properties = new Dictionary<string, string>(info.Properties, StringComparer.Ordinal)
        {
            ["saved_model_path"] = root,
            ["has_variables"] = paths.Contains(directory + "variables/variables.index", StringComparer.Ordinal) ? "true" : "false",
        };
        return info with { Properties = properties };
    }

    /// <summary>saved_model.pb is walked by seeking; a stream that cannot seek is first spooled to a temporary file.</summary>
    private static async Task<FormatInfo> ReadUnseekableAsync(Stream stream, CancellationToken cancellationToken)
    {
        var path = Path.GetTempFileName();
        await using var spool = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await stream.CopyToAsync(spool, cancellationToken);
        spool.Position = 0;
        return SavedModelReader.Read(spool, cancellationToken);
    }

    /// <summary>
    /// ONNX has no magic bytes: a file not claimed otherwise that starts like a ModelProto (ir_version first) is
    /// ONNX only if it parses as one with a graph; anything else stays unknown, never an error.
    /// </summary>
    private static FormatInfo TryOnnx(Stream content, CancellationToken cancellationToken)
    {
        try
        {
            return OnnxReader.Read(content, cancellationToken, OnnxReader.SniffFieldLimit);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return FormatInfo.Unknown;
        }
    }

    /// <summary>Which reader a file goes to: content first (magic bytes), the file name when the content is silent.</summary>
    private static string Claim(ReadOnlySpan<byte> head, string extension, long length) => head switch
    {
        [(byte)'G', (byte)'G', (byte)'U', (byte)'F', ..] => GgufReader.Format,
        [(byte)'P', (byte)'K', 3, 4, ..] => "zip",
        _ when extension == ".GGUF" => GgufReader.Format,
        _ when extension == ".SAFETENSORS" => SafetensorsReader.Format,
        _ when extension == ".ONNX" => OnnxReader.Format,
        _ when extension == ".PMML" => PmmlReader.Format,
        _ when SafetensorsReader.LooksLikeHeader(head, length) => SafetensorsReader.Format,
        _ when extension is ".PT" or ".PTH" or ".ZIP" => "zip",
        _ => "unknown",
    };

    /// <summary>An XML document whose root element is <c>PMML</c> (in any namespace), judged from its first bytes.</summary>
    private static async Task<bool> LooksLikePmmlAsync(Stream content, byte[] head, CancellationToken cancellationToken)
    {
        var start = head.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        while (start < head.Length && head[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }
        if (start >= head.Length || head[start] != (byte)'<')
        {
            return false;
        }
        content.Position = 0;
        var prefix = new byte[(int)Math.Min(XmlSniffLength, content.Length)];
        var read = await content.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, cancellationToken);
        var settings = new XmlReaderSettings
        {
            // Only the root's name is wanted: a DTD is skipped here, and refused by the reader proper.
            DtdProcessing = DtdProcessing.Ignore,
            XmlResolver = null,
            MaxCharactersInDocument = XmlSniffLength,
        };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(prefix, 0, read, writable: false), settings);
            return reader.MoveToContent() == XmlNodeType.Element && reader.LocalName == "PMML";
        }
        catch (XmlException)
        {
            return false;
        }
    }
}
