using System.Text;

namespace Cairn.Artifacts.Formats;

/// <summary>
/// A minimal protobuf wire-format reader over a seekable stream: enough to walk messages field by field and to
/// seek past the ones not needed (an ONNX file's weights) without reading them.
/// </summary>
internal sealed class ProtoWireReader(Stream stream)
{
    private const int MaxString = 1 << 20;

    /// <summary>Most entries of any one repeated field a reader keeps (inputs, outputs, signatures, dims).</summary>
    public const int MaxRepeated = 100_000;

    public long Position => stream.Position;

    /// <summary>Adds to a list kept from the file, refusing hostile counts instead of growing without bound.</summary>
    public static void AddBounded<T>(ICollection<T> items, T item, string what, int max = MaxRepeated)
    {
        if (items.Count >= max)
        {
            throw new InvalidDataException($"The file lists more than {max} {what}.");
        }
        items.Add(item);
    }

    /// <summary>The next field's number and wire type, or null at <paramref name="end"/>.</summary>
    public (int Field, int WireType)? ReadTag(long end)
    {
        if (stream.Position >= end)
        {
            // Past the end means the last field (a varint, say) ran over its message's boundary.
            return stream.Position == end ? null : throw new InvalidDataException("A protobuf field runs past its message.");
        }
        var tag = ReadVarint();
        var field = (int)(tag >> 3);
        return field > 0 ? (field, (int)(tag & 7)) : throw new InvalidDataException($"Invalid protobuf tag at byte {stream.Position}.");
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = stream.ReadByte();
            if (b < 0)
            {
                throw new EndOfStreamException("The protobuf message is truncated.");
            }
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw new InvalidDataException("A protobuf varint is longer than 10 bytes.");
    }

    /// <summary>Reads a length prefix and returns where that field's bytes end.</summary>
    public long ReadEnd(long limit)
    {
        var length = ReadVarint();
        // A tag or length prefix that straddled the boundary has already left the position past the limit.
        return stream.Position <= limit && length <= (ulong)(limit - stream.Position)
            ? stream.Position + (long)length
            : throw new InvalidDataException("A protobuf field runs past its message.");
    }

    public string ReadString(long limit)
    {
        var end = ReadEnd(limit);
        var length = end - stream.Position;
        if (length > MaxString)
        {
            throw new InvalidDataException($"A protobuf string of {length} bytes is longer than expected.");
        }
        var bytes = new byte[(int)length];
        stream.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Moves past a field of the given wire type without reading its content.</summary>
    public void Skip(int wireType, long limit)
    {
        switch (wireType)
        {
            case 0:
                ReadVarint();
                break;
            case 1:
                Seek(8, limit);
                break;
            case 2:
                stream.Position = ReadEnd(limit);
                break;
            case 5:
                Seek(4, limit);
                break;
            default:
                throw new InvalidDataException($"Unsupported protobuf wire type {wireType}.");
        }
    }

    private void Seek(int bytes, long limit)
    {
        if (stream.Position + bytes > limit)
        {
            throw new EndOfStreamException("The protobuf message is truncated.");
        }
        stream.Position += bytes;
    }
}
