using System.Buffers.Binary;
using System.Text;

namespace Cairn.Artifacts.Formats;

/// <summary>
/// The input schema an ML.NET model zip keeps in its <c>Schema</c> entry: an empty data view in ML.NET's binary
/// IDV format. Its 256-byte header points at a table of contents naming each column and its codec (the column's
/// type); only the header and that table are read, never the data or annotation blocks in between.
/// </summary>
internal static class MlNetSchemaReader
{
    public const string EntryName = "Schema";

    private const int HeaderSize = 256;

    // The header's fields (Microsoft.ML.Data.IO.Header): signature, versions, then where the table of contents
    // and the tail signature start, the row count and the column count.
    private const int TableOfContentsOffsetAt = 24;
    private const int TailOffsetAt = 32;
    private const int ColumnCountAt = 48;

    // Bounds against hostile archives: how far into the (compressed) entry the table may start, how long it may
    // be, how many columns, how long a name, how deeply codecs nest (a vector of keys is two levels).
    private const long MaxEntryLength = 256L << 20;
    private const int MaxTableLength = 4 << 20;
    private const int MaxColumns = 10_000;
    private const int MaxName = 64 * 1024;
    private const int MaxCodecDepth = 4;
    private const int MaxDimensions = 64;

    private static ReadOnlySpan<byte> Signature => "CML\0DVB\0"u8;

    // Codec load names are .NET type names for the primitive types; reported in the words ONNX and TF use.
    private static readonly Dictionary<string, string> ElementTypes = new(StringComparer.Ordinal)
    {
        ["Single"] = "float",
        ["Double"] = "double",
        ["SByte"] = "int8",
        ["Byte"] = "uint8",
        ["Int16"] = "int16",
        ["UInt16"] = "uint16",
        ["Int32"] = "int32",
        ["UInt32"] = "uint32",
        ["Int64"] = "int64",
        ["UInt64"] = "uint64",
        ["TextSpan"] = "string",
        ["Boolean"] = "bool",
        ["DateTime"] = "datetime",
        ["DateTimeOffset"] = "datetimeoffset",
        ["TimeSpan"] = "timespan",
        ["UInt128"] = "rowid",
    };

    /// <summary>
    /// The schema's columns in order: name, element type, and shape (empty for a scalar; a vector's dimensions,
    /// a dimension of unknown size as null).
    /// </summary>
    public static List<TensorSpec> Read(Stream entry, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        entry.ReadExactly(header);
        if (!header.AsSpan().StartsWith(Signature))
        {
            throw new InvalidDataException("The saved schema is not an ML.NET binary data view.");
        }
        var tableAt = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(TableOfContentsOffsetAt));
        var tailAt = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(TailOffsetAt));
        var columns = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(ColumnCountAt));
        if (tableAt < HeaderSize || tailAt < tableAt || tailAt > MaxEntryLength || tailAt - tableAt > MaxTableLength)
        {
            throw new InvalidDataException($"The saved schema's table of contents ({tableAt}..{tailAt}) is out of bounds.");
        }
        if (columns is < 0 or > MaxColumns)
        {
            throw new InvalidDataException($"The saved schema claims {columns} columns.");
        }
        // A zip entry stream cannot seek: the blocks before the table are read and dropped, a buffer at a time.
        SkipExactly(entry, tableAt - HeaderSize, cancellationToken);
        var table = new byte[tailAt - tableAt];
        entry.ReadExactly(table);
        var cursor = new Cursor(table);
        var specs = new List<TensorSpec>(columns);
        for (var c = 0; c < columns; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = cursor.ReadString();
            var (elementType, shape) = ReadCodec(cursor, depth: 0);
            // Compression kind, rows per block, where the block lookup and the annotations start.
            cursor.Skip(1);
            cursor.ReadLeb128();
            cursor.Skip(2 * sizeof(long));
            specs.Add(new TensorSpec(name, elementType, shape));
        }
        return specs;
    }

    /// <summary>
    /// A codec definition: load name, parameter length, parameters. A vector (<c>VBuffer</c>) names its item codec
    /// and dimensions; a key type names its underlying integer codec; the primitive codecs have no parameters.
    /// </summary>
    private static (string ElementType, List<long?> Shape) ReadCodec(Cursor cursor, int depth)
    {
        if (depth > MaxCodecDepth)
        {
            throw new InvalidDataException("The saved schema's codecs nest too deeply.");
        }
        var name = cursor.ReadString();
        var end = cursor.Claim(cursor.ReadLeb128());
        (string, List<long?>) result;
        switch (name)
        {
            case "VBuffer":
                var (item, _) = ReadCodec(cursor, depth + 1);
                var count = cursor.ReadInt32();
                if (count is < 0 or > MaxDimensions)
                {
                    throw new InvalidDataException($"A vector column in the saved schema claims {count} dimensions.");
                }
                var shape = new List<long?>(Math.Max(count, 1));
                for (var d = 0; d < count; d++)
                {
                    var size = cursor.ReadInt32();
                    // 0 is a dimension of unknown (variable) size; negative sizes do not exist.
                    shape.Add(size > 0 ? size : size == 0 ? null : throw new InvalidDataException("A vector column in the saved schema has a negative size."));
                }
                // Older writers recorded a variable-length vector with no dimensions at all.
                result = (item, count == 0 ? [null] : shape);
                break;
            case "Key" or "Key2":
                var (underlying, _) = ReadCodec(cursor, depth + 1);
                result = ($"key<{underlying}>", []);
                break;
            default:
                result = (ElementTypes.GetValueOrDefault(name, name), []);
                break;
        }
        cursor.MoveTo(end);
        return result;
    }

    private static void SkipExactly(Stream stream, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(count, 81920)];
        while (count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = stream.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (read == 0)
            {
                throw new EndOfStreamException("The saved schema ends before its table of contents.");
            }
            count -= read;
        }
    }

    /// <summary>Reads the table of contents, refusing any length or position beyond it.</summary>
    private sealed class Cursor(byte[] bytes)
    {
        private int _position;

        public int Claim(ulong length) => length <= (ulong)(bytes.Length - _position)
            ? _position + (int)length
            : throw new InvalidDataException("A codec definition in the saved schema runs past its table of contents.");

        public void MoveTo(int end)
        {
            if (_position > end)
            {
                throw new InvalidDataException("A codec definition in the saved schema is longer than it says.");
            }
            _position = end;
        }

        public void Skip(int count) => _position = Claim((ulong)count);

        public int ReadInt32()
        {
            var at = _position;
            Skip(sizeof(int));
            return BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
        }

        /// <summary>An unsigned LEB128 integer (also the length prefix .NET's BinaryWriter gives strings).</summary>
        public ulong ReadLeb128()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var next = Claim(1);
                var b = bytes[_position];
                _position = next;
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return value;
                }
            }
            throw new InvalidDataException("An integer in the saved schema is longer than 10 bytes.");
        }

        public string ReadString()
        {
            var length = ReadLeb128();
            if (length > MaxName)
            {
                throw new InvalidDataException($"A name in the saved schema claims {length} bytes.");
            }
            var at = _position;
            _position = Claim(length);
            return Encoding.UTF8.GetString(bytes, at, (int)length);
        }
    }
}
