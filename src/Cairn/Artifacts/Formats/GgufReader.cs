using System.Globalization;
using System.Text;

namespace Cairn.Artifacts.Formats;

/// <summary>GGUF (llama.cpp): magic, version, tensor and key/value counts, then typed key/values.</summary>
internal static class GgufReader
{
    public const string Format = "gguf";
    public const string Framework = "llama.cpp";
    private const int MaxString = 1 << 20;
    private const ulong MaxKeyValues = 100_000;
    private const uint MaxDimensions = 8;

    // Smallest encoding of one tensor info: empty name (8), dimension count (4), type (4), offset (8).
    private const long MinTensorInfo = 24;

    // llama.cpp's general.file_type values (enum llama_ftype in include/llama.h). 4 and 33-35 are no longer
    // written but still name files in circulation; 5 and 6 (Q4_2, Q4_3) lost their support before GGUF existed.
    private static readonly Dictionary<uint, string> FileTypes = new()
    {
        [0] = "ALL_F32",
        [1] = "MOSTLY_F16",
        [2] = "MOSTLY_Q4_0",
        [3] = "MOSTLY_Q4_1",
        [4] = "MOSTLY_Q4_1_SOME_F16",
        [7] = "MOSTLY_Q8_0",
        [8] = "MOSTLY_Q5_0",
        [9] = "MOSTLY_Q5_1",
        [10] = "MOSTLY_Q2_K",
        [11] = "MOSTLY_Q3_K_S",
        [12] = "MOSTLY_Q3_K_M",
        [13] = "MOSTLY_Q3_K_L",
        [14] = "MOSTLY_Q4_K_S",
        [15] = "MOSTLY_Q4_K_M",
        [16] = "MOSTLY_Q5_K_S",
        [17] = "MOSTLY_Q5_K_M",
        [18] = "MOSTLY_Q6_K",
        [19] = "MOSTLY_IQ2_XXS",
        [20] = "MOSTLY_IQ2_XS",
        [21] = "MOSTLY_Q2_K_S",
        [22] = "MOSTLY_IQ3_XS",
        [23] = "MOSTLY_IQ3_XXS",
        [24] = "MOSTLY_IQ1_S",
        [25] = "MOSTLY_IQ4_NL",
        [26] = "MOSTLY_IQ3_S",
        [27] = "MOSTLY_IQ3_M",
        [28] = "MOSTLY_IQ2_S",
        [29] = "MOSTLY_IQ2_M",
        [30] = "MOSTLY_IQ4_XS",
        [31] = "MOSTLY_IQ1_M",
        [32] = "MOSTLY_BF16",
        [33] = "MOSTLY_Q4_0_4_4",
        [34] = "MOSTLY_Q4_0_4_8",
        [35] = "MOSTLY_Q4_0_8_8",
        [36] = "MOSTLY_TQ1_0",
        [37] = "MOSTLY_TQ2_0",
        [38] = "MOSTLY_MXFP4_MOE",
        [1024] = "GUESSED",
    };

    public static Task<FormatInfo> ReadAsync(Stream content, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // The header is small and read sequentially; BinaryReader over the (buffered) stream is enough.
        using var reader = new BinaryReader(content, Encoding.UTF8, leaveOpen: true);
        reader.ReadUInt32();
        var version = reader.ReadUInt32();
        if (version is < 2 or > 3)
        {
            throw new InvalidDataException($"GGUF version {version} is not supported (2 and 3 are).");
        }
        var tensorCount = reader.ReadUInt64();
        var kvCount = reader.ReadUInt64();
        if (kvCount > MaxKeyValues)
        {
            throw new InvalidDataException($"The GGUF header claims {kvCount} key/values.");
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = ReadString(reader);
            var value = ReadValue(reader, reader.ReadUInt32(), depth: 0);
            if (value is not null)
            {
                values[key] = value;
            }
        }
        var parameters = ReadParameterCount(reader, tensorCount);
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["gguf_version"] = version.ToString(CultureInfo.InvariantCulture),
            ["tensor_count"] = tensorCount.ToString(CultureInfo.InvariantCulture),
            ["parameter_count"] = parameters.ToString(CultureInfo.InvariantCulture),
        };
        if (values.TryGetValue("general.architecture", out var architecture))
        {
            properties["architecture"] = architecture;
            if (values.TryGetValue(architecture + ".context_length", out var context))
            {
                properties["context_length"] = context;
            }
        }
        if (values.TryGetValue("general.name", out var name))
        {
            properties["name"] = name;
        }
        if (values.TryGetValue("general.file_type", out var fileType) && uint.TryParse(fileType, CultureInfo.InvariantCulture, out var type))
        {
            properties["quantization"] = FileTypes.GetValueOrDefault(type, "type " + fileType);
        }
        return Task.FromResult(new FormatInfo(Format, Framework, null, properties, null));
    }

    /// <summary>The tensor infos that follow the key/values: name, dimensions, type, offset. Returns the sum of element counts.</summary>
    private static ulong ReadParameterCount(BinaryReader reader, ulong tensorCount)
    {
        if (tensorCount > (ulong)(Remaining(reader) / MinTensorInfo))
        {
            throw new InvalidDataException($"The GGUF header claims {tensorCount} tensors, more than the file can describe.");
        }
        ulong parameters = 0;
        for (ulong i = 0; i < tensorCount; i++)
        {
            ReadString(reader);
            var dimensions = reader.ReadUInt32();
            if (dimensions > MaxDimensions)
            {
                throw new InvalidDataException($"A GGUF tensor claims {dimensions} dimensions.");
            }
            ulong count = 1;
            for (var d = 0; d < dimensions; d++)
            {
                count = checked(count * reader.ReadUInt64());
            }
            reader.ReadUInt32();
            reader.ReadUInt64();
            parameters = checked(parameters + count);
        }
        return parameters;
    }

    private static long Remaining(BinaryReader reader) => Math.Max(0, reader.BaseStream.Length - reader.BaseStream.Position);

    /// <summary>A scalar's text, or null for arrays (skipped without being held in memory).</summary>
    private static string? ReadValue(BinaryReader reader, uint type, int depth) => type switch
    {
        0 => reader.ReadByte().ToString(CultureInfo.InvariantCulture),
        1 => reader.ReadSByte().ToString(CultureInfo.InvariantCulture),
        2 => reader.ReadUInt16().ToString(CultureInfo.InvariantCulture),
        3 => reader.ReadInt16().ToString(CultureInfo.InvariantCulture),
        4 => reader.ReadUInt32().ToString(CultureInfo.InvariantCulture),
        5 => reader.ReadInt32().ToString(CultureInfo.InvariantCulture),
        6 => reader.ReadSingle().ToString(CultureInfo.InvariantCulture),
        7 => reader.ReadBoolean() ? "true" : "false",
        8 => ReadString(reader),
        9 => SkipArray(reader, depth),
        10 => reader.ReadUInt64().ToString(CultureInfo.InvariantCulture),
        11 => reader.ReadInt64().ToString(CultureInfo.InvariantCulture),
        12 => reader.ReadDouble().ToString(CultureInfo.InvariantCulture),
        _ => throw new InvalidDataException($"Unknown GGUF value type {type}."),
    };

    private static string? SkipArray(BinaryReader reader, int depth)
    {
        if (depth > 4)
        {
            throw new InvalidDataException("GGUF arrays nest too deeply.");
        }
        var type = reader.ReadUInt32();
        var count = reader.ReadUInt64();
        // Fixed-width elements are skipped by seeking; strings (8-byte length) and arrays (12-byte header) take at
        // least that much each. Either way a count the rest of the file cannot hold is refused up front.
        long? width = type switch { 0 or 1 or 7 => 1, 2 or 3 => 2, 4 or 5 or 6 => 4, 10 or 11 or 12 => 8, _ => null };
        var minimum = width ?? (type == 9 ? 12 : 8);
        if (count > (ulong)(Remaining(reader) / minimum))
        {
            throw new InvalidDataException($"A GGUF array claims {count} elements, more than the file holds.");
        }
        if (width is { } w)
        {
            reader.BaseStream.Seek((long)count * w, SeekOrigin.Current);
            return null;
        }
        if (type == 8)
        {
            // A vocabulary holds some 100 000 strings: each is passed by seeking over it, never allocated.
            for (ulong i = 0; i < count; i++)
            {
                var length = reader.ReadUInt64();
                if (length > (ulong)Remaining(reader))
                {
                    throw new EndOfStreamException("The GGUF header is truncated inside a string array.");
                }
                reader.BaseStream.Seek((long)length, SeekOrigin.Current);
            }
            return null;
        }
        for (ulong i = 0; i < count; i++)
        {
            ReadValue(reader, type, depth + 1);
        }
        return null;
    }

    private static string ReadString(BinaryReader reader)
    {
        var length = reader.ReadUInt64();
        if (length > MaxString)
        {
            throw new InvalidDataException($"A GGUF string claims {length} bytes.");
        }
        var bytes = reader.ReadBytes((int)length);
        return bytes.Length == (int)length ? Encoding.UTF8.GetString(bytes) : throw new EndOfStreamException("The GGUF header is truncated.");
    }
}
