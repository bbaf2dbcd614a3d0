using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace Cairn.Artifacts.Formats;

/// <summary>safetensors: an 8-byte little-endian header length, then a JSON header naming every tensor.</summary>
internal static class SafetensorsReader
{
    public const string Format = "safetensors";

    // The format's own reference implementation refuses headers above 100 MB.
    private const long MaxHeader = 100_000_000;

    /// <summary>
    /// Tensors listed one by one (<c>tensor.&lt;name&gt;</c> = <c>F32 [768, 3072]</c>); past this many only the counts are
    /// kept, so a checkpoint of tens of thousands of shards does not bloat the version's record.
    /// </summary>
    internal const int MaxListedTensors = 1000;

    /// <summary>
    /// Whether a file's first bytes are a safetensors prefix: a plausible header length, then the JSON object's
    /// opening brace (the format requires the header to start with <c>{</c>).
    /// </summary>
    public static bool LooksLikeHeader(ReadOnlySpan<byte> head, long fileLength)
    {
        if (head.Length < 9 || head[8] != (byte)'{')
        {
            return false;
        }
        var length = BinaryPrimitives.ReadInt64LittleEndian(head);
        return length is > 1 and <= MaxHeader && length + 8 <= fileLength;
    }

    public static async Task<FormatInfo> ReadAsync(Stream content, CancellationToken cancellationToken)
    {
        var prefix = new byte[8];
        await content.ReadExactlyAsync(prefix, cancellationToken);
        var length = BinaryPrimitives.ReadInt64LittleEndian(prefix);
        if (length is <= 1 or > MaxHeader || length + 8 > content.Length)
        {
            throw new InvalidDataException($"The safetensors header length {length} is impossible for a file of {content.Length} bytes.");
        }
        var header = new byte[length];
        await content.ReadExactlyAsync(header, cancellationToken);
        using var json = JsonDocument.Parse(header);
        if (json.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("The safetensors header is not a JSON object.");
        }
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        long parameters = 0;
        long dataEnd = 0;
        var tensors = 0;
        var dtypes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in json.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                if (entry.Value.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException("The safetensors __metadata__ is not a JSON object.");
                }
                foreach (var meta in entry.Value.EnumerateObject())
                {
                    properties["metadata." + meta.Name] = meta.Value.ValueKind == JsonValueKind.String ? meta.Value.GetString()! : meta.Value.GetRawText();
                }
                continue;
            }
            var (count, end) = ReadTensor(entry, dtypes);
            parameters = checked(parameters + count);
            dataEnd = Math.Max(dataEnd, end);
            if (++tensors <= MaxListedTensors)
            {
                properties["tensor." + entry.Name] = Describe(entry.Value);
            }
        }
        // Offsets count from the end of the header; a shorter file was cut off (an interrupted download, say).
        if (checked(8 + length + dataEnd) > content.Length)
        {
            throw new InvalidDataException($"The safetensors file is truncated: its tensors end at byte {8 + length + dataEnd}, the file has {content.Length}.");
        }
        properties["tensor_count"] = tensors.ToString(CultureInfo.InvariantCulture);
        if (tensors > MaxListedTensors)
        {
            properties["tensors_listed"] = MaxListedTensors.ToString(CultureInfo.InvariantCulture);
        }
        properties["parameter_count"] = parameters.ToString(CultureInfo.InvariantCulture);
        properties["dtypes"] = string.Join(",", dtypes);
        var framework = properties.TryGetValue("metadata.format", out var format) && format == "pt" ? "pytorch" : "safetensors";
        return new FormatInfo(Format, framework, null, properties, null);
    }

    /// <summary>"F32 [4, 3]": dtype and shape, as checked by <see cref="ReadTensor"/>.</summary>
    private static string Describe(JsonElement tensor) =>
        $"{tensor.GetProperty("dtype").GetString()} [{string.Join(", ", tensor.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()))}]";

    /// <summary>One tensor's element count and where its data ends, checked against the format's rules.</summary>
    private static (long Count, long DataEnd) ReadTensor(JsonProperty entry, SortedSet<string> dtypes)
    {
        var tensor = entry.Value;
        if (tensor.ValueKind != JsonValueKind.Object
            || !tensor.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !tensor.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"Tensor '{entry.Name}' has no dtype or shape.");
        }
        long count = 1;
        foreach (var dim in shape.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var size) || size < 0)
            {
                throw new InvalidDataException($"Tensor '{entry.Name}' has a dimension that is not a non-negative integer.");
            }
            count = checked(count * size);
        }
        long dataEnd = 0;
        if (tensor.TryGetProperty("data_offsets", out var offsets))
        {
            if (offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
                || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
                || !offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out dataEnd) || begin < 0 || dataEnd < begin)
            {
                throw new InvalidDataException($"Tensor '{entry.Name}' has invalid data_offsets.");
            }
        }
        dtypes.Add(dtype.GetString()!);
        return (count, dataEnd);
    }
}
