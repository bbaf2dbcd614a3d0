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
        var extension = Path.GetExtension(fileName).ToUpperInvariant();
        try
        {
            if (read >= 4 && head.AsSpan(0, 4).SequenceEqual("GGUF"u8))
            {
                return await GgufReader.ReadAsync(content, cancellationToken);
            }
            if (extension == ".SAFETENSORS" || (read == 8 && SafetensorsReader.LooksLikeHeader(head, content.Length)))
            {
                return await SafetensorsReader.ReadAsync(content, cancellationToken);
            }
            return extension == ".GGUF"
                ? FormatInfo.Failed(GgufReader.Format, GgufReader.Framework, "The file does not start with the GGUF magic bytes.")
                : FormatInfo.Unknown;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException or System.Text.Json.JsonException or OverflowException)
        {
            return FormatInfo.Failed(
                read >= 4 && head.AsSpan(0, 4).SequenceEqual("GGUF"u8) || extension == ".GGUF" ? GgufReader.Format : SafetensorsReader.Format,
                null, ex.Message);
        }
    }
}
