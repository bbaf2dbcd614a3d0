using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cairn.Monitoring;

/// <summary>
/// The form profiles are stored in (windows' and references' <c>profile</c> columns): the API's JSON, except that a
/// feature's points are one base64 string of little-endian (value, weight) double pairs instead of an array of
/// <c>[value, weight]</c> pairs. Reading a day of windows is then mostly base64 decoding (a stored window of 24,000 points
/// is about half the size and parses many times faster), and the doubles round-trip bit for bit. Rows written before
/// hold arrays, which read as they always did, so no migration rewrites them.
/// </summary>
internal static class StoredProfiles
{
    private static readonly JsonSerializerOptions Options = new(CairnJson.Options) { Converters = { new PackedPointsConverter() } };

    /// <summary>A profile in its stored form.</summary>
    public static string Serialize(DatasetProfile profile) => JsonSerializer.Serialize(profile, Options);

    /// <summary>A stored profile, packed or (rows written before) with arrays of pairs.</summary>
    public static DatasetProfile Deserialize(string stored) =>
        JsonSerializer.Deserialize<DatasetProfile>(stored, Options) ?? throw new JsonException("a stored profile is null");

    /// <summary>Points as one base64 string (written and read) or an array of pairs (read).</summary>
    private sealed class PackedPointsConverter : JsonConverter<IReadOnlyList<WeightedValue>>
    {
        private const int PairSize = 2 * sizeof(double);

        public override IReadOnlyList<WeightedValue>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                var bytes = reader.GetBytesFromBase64();
                if (bytes.Length % PairSize != 0)
                    throw new JsonException("packed points are whole (value, weight) pairs");
                var points = new WeightedValue[bytes.Length / PairSize];
                if (BitConverter.IsLittleEndian)
                {
                    bytes.CopyTo(MemoryMarshal.AsBytes(points.AsSpan()));
                    return points;
                }
                var doubles = MemoryMarshal.Cast<WeightedValue, double>(points.AsSpan());
                for (var i = 0; i < doubles.Length; i++)
                    doubles[i] = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * sizeof(double))));
                return points;
            }
            if (reader.TokenType != JsonTokenType.StartArray)
                throw new JsonException("points are an array of [value, weight] pairs");
            var list = new List<WeightedValue>();
            var pair = new WeightedValueJsonConverter();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                list.Add(pair.Read(ref reader, typeof(WeightedValue), options));
            return list;
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<WeightedValue> value, JsonSerializerOptions options)
        {
            var bytes = new byte[value.Count * PairSize];
            var offset = 0;
            foreach (var point in value)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), BitConverter.DoubleToInt64Bits(point.Value));
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset + sizeof(double)), BitConverter.DoubleToInt64Bits(point.Weight));
                offset += PairSize;
            }
            writer.WriteBase64StringValue(bytes);
        }
    }
}
