namespace Cairn.Artifacts.Formats;

/// <summary>
/// Detects a model file's format from its content (magic bytes first, file name second) and reads what its
/// header tells. Readers look at headers only: a multi-gigabyte weights file is never read whole.
/// </summary>
public static class ModelFormats
{
    /// <summary>Inspects a readable, seekable stream positioned at 0. Never throws for bad content.</summary>
    public static async Task<FormatInfo> InspectAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        var head = new byte[8];
        var read = await content.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        content.Position = 0;
        var claimed = fileName == SavedModelReader.FileName
            ? SavedModelReader.Format
            : Claim(head.AsSpan(0, read), Path.GetExtension(fileName).ToUpperInvariant(), content.Length);
        try
        {
            return claimed switch
            {
                GgufReader.Format => await GgufReader.ReadAsync(content, cancellationToken),
                SafetensorsReader.Format => await SafetensorsReader.ReadAsync(content, cancellationToken),
                PmmlReader.Format => await PmmlReader.ReadAsync(content, cancellationToken),
                OnnxReader.Format => OnnxReader.Read(content, cancellationToken),
                SavedModelReader.Format => SavedModelReader.Read(content, cancellationToken),
                "zip" => ZipModelReader.Read(content) ?? FormatInfo.Unknown,
                _ => FormatInfo.Unknown,
            };
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException or System.Text.Json.JsonException
                                   or System.Xml.XmlException or OverflowException or ArgumentOutOfRangeException)
        {
            return claimed switch
            {
                // A broken zip is a broken TorchScript archive only if its name says so; otherwise it is just not a model.
                "zip" when Path.GetExtension(fileName).ToUpperInvariant() is ".PT" or ".PTH" => FormatInfo.Failed("torchscript", "pytorch", ex.Message),
                "zip" => FormatInfo.Unknown,
                _ => FormatInfo.Failed(claimed, null, ex.Message),
            };
        }
    }

    /// <summary>Which reader a file goes to: content first (magic bytes), the file name when the content is silent.</summary>
    private static string Claim(ReadOnlySpan<byte> head, string extension, long length) => head switch
    {
        [(byte)'G', (byte)'G', (byte)'U', (byte)'F', ..] => GgufReader.Format,
        [(byte)'P', (byte)'K', 3, 4, ..] => "zip",
        _ when extension == ".GGUF" => GgufReader.Format,
        _ when extension == ".SAFETENSORS" => SafetensorsReader.Format,
        // ONNX has no magic bytes; a protobuf ModelProto is recognised by name.
        _ when extension == ".ONNX" => OnnxReader.Format,
        _ when extension == ".PMML" || head.StartsWith("<PMML"u8) => PmmlReader.Format,
        _ when head.Length == 8 && SafetensorsReader.LooksLikeHeader(head, length) => SafetensorsReader.Format,
        _ when extension is ".PT" or ".PTH" or ".ZIP" => "zip",
        _ => "unknown",
    };
}
