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

    public static bool LooksLikeHeader(ReadOnlySpan<byte> first8, long fileLength)
    {
        var length = BinaryPrimitives.ReadInt64LittleEndian(first8);
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
        var tensors = 0;
        var dtypes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in json.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (var meta in entry.Value.EnumerateObject())
                {
                    properties["metadata." + meta.Name] = meta.Value.ToString();
                }
                continue;
            }
            if (!entry.Value.TryGetProperty("dtype", out var dtype) || !entry.Value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"Tensor '{entry.Name}' has no dtype or shape.");
            }
            long count = 1;
            foreach (var dim in shape.EnumerateArray())
            {
                count = checked(count * dim.GetInt64());
            }
            parameters = checked(parameters + count);
            tensors++;
            dtypes.Add(dtype.GetString() ?? "");
        }
        properties["tensor_count"] = tensors.ToString(CultureInfo.InvariantCulture);
        properties["parameter_count"] = parameters.ToString(CultureInfo.InvariantCulture);
        properties["dtypes"] = string.Join(",", dtypes);
        var framework = properties.TryGetValue("metadata.format", out var format) && format == "pt" ? "pytorch" : "safetensors";
        return new FormatInfo(Format, framework, null, properties, null);
    }
}
