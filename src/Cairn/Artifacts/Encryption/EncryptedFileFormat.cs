using System.Buffers.Binary;

namespace Cairn.Artifacts.Encryption;

/// <summary>
/// The layout of an encrypted file (docs/encryption.md): a fixed 512-byte header, then the plaintext in 64 KiB chunks,
/// each sealed with AES-256-GCM under the file's own data key and followed by its 16-byte tag. A chunk's nonce is the
/// file's random 8-byte prefix and the chunk's index; its associated data binds the header's fixed fields, the index and
/// whether it is the last chunk, so chunks cannot be reordered, moved between files or cut off at a chunk boundary.
/// The header and chunk sizes are fixed, so the plaintext's length follows from the file's length alone.
/// </summary>
/// <remarks>
/// Header: magic (8) · version (1) · reserved (3) · chunk size, big-endian (4) · nonce prefix (8) · wrapped key length,
/// big-endian (2) · the data key as the key ring protected it · zeros up to <see cref="HeaderSize"/>.
/// </remarks>
internal static class EncryptedFileFormat
{
    public const int HeaderSize = 512;
    public const int ChunkSize = 64 * 1024;
    public const int TagSize = 16;
    public const int KeySize = 32;
    public const int NoncePrefixSize = 8;
    public const byte Version = 1;

    /// <summary>The bytes the associated data shares with the header: magic, version, reserved, chunk size, nonce prefix.</summary>
    public const int BoundHeaderSize = 24;

    private const int WrappedKeyOffset = 26;

    /// <summary>No text file starts with 0x89 and a CR LF inside its first 8 bytes is rare in binaries (PNG's trick).</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'C', (byte)'A', (byte)'I', (byte)'R', (byte)'N', 0x0D, 0x0A];

    /// <summary>Whether <paramref name="start"/> (a file's first bytes) begins an encrypted file.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> start) => start.Length >= Magic.Length && start[..Magic.Length].SequenceEqual(Magic);

    public static byte[] WriteHeader(ReadOnlySpan<byte> noncePrefix, ReadOnlySpan<byte> wrappedKey)
    {
        if (wrappedKey.Length > HeaderSize - WrappedKeyOffset)
        {
            throw new InvalidOperationException($"The wrapped data key ({wrappedKey.Length} bytes) does not fit the {HeaderSize}-byte header of an encrypted file.");
        }
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        header[8] = Version;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), ChunkSize);
        noncePrefix.CopyTo(header.AsSpan(16, NoncePrefixSize));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(24), (ushort)wrappedKey.Length);
        wrappedKey.CopyTo(header.AsSpan(WrappedKeyOffset));
        return header;
    }

    /// <summary>The header's wrapped key and nonce prefix; null with the reason when the header is not one this version reads.</summary>
    public static (byte[] WrappedKey, byte[] NoncePrefix)? ReadHeader(ReadOnlySpan<byte> header, out string? problem)
    {
        problem = header.Length < HeaderSize || !HasMagic(header) ? "its header is missing or cut short"
            : header[8] != Version ? $"it was written in format version {header[8]}, which this version of Cairn does not read"
            : BinaryPrimitives.ReadInt32BigEndian(header[12..]) != ChunkSize ? "its header names a chunk size other than 64 KiB"
            : BinaryPrimitives.ReadUInt16BigEndian(header[24..]) is var length && (length == 0 || length > HeaderSize - WrappedKeyOffset) ? "its header's key length is out of range"
            : null;
        if (problem is not null)
        {
            return null;
        }
        var keyLength = BinaryPrimitives.ReadUInt16BigEndian(header[24..]);
        return (header.Slice(WrappedKeyOffset, keyLength).ToArray(), header.Slice(16, NoncePrefixSize).ToArray());
    }

    /// <summary>The plaintext's length of an encrypted file <paramref name="fileLength"/> bytes long, or null when no whole file is that long.</summary>
    public static long? PlaintextLength(long fileLength)
    {
        var body = fileLength - HeaderSize;
        if (body < TagSize)
        {
            return null;
        }
        var chunks = (body + ChunkSize + TagSize - 1) / (ChunkSize + TagSize);
        var last = body - ((chunks - 1) * (ChunkSize + TagSize)) - TagSize;
        // Only an empty file has an empty chunk (its only one): a tag alone after full chunks is a cut-off file.
        return last < 0 || (last == 0 && chunks > 1) ? null : ((chunks - 1) * ChunkSize) + last;
    }

    /// <summary>The encrypted file's length for a plaintext of <paramref name="plaintextLength"/> bytes.</summary>
    public static long FileLength(long plaintextLength) => HeaderSize + plaintextLength + (ChunkCount(plaintextLength) * TagSize);

    public static long ChunkCount(long plaintextLength) => Math.Max(1, (plaintextLength + ChunkSize - 1) / ChunkSize);

    /// <summary>Where chunk <paramref name="index"/> (its ciphertext, then its tag) starts in the file.</summary>
    public static long ChunkOffset(long index) => HeaderSize + (index * (ChunkSize + TagSize));

    public static void Nonce(ReadOnlySpan<byte> noncePrefix, long index, Span<byte> nonce)
    {
        noncePrefix.CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[NoncePrefixSize..], checked((uint)index));
    }

    /// <summary>The associated data of chunk <paramref name="index"/>: the header's fixed fields, the index, the last-chunk flag.</summary>
    public static void AssociatedData(ReadOnlySpan<byte> boundHeader, long index, bool final, Span<byte> data)
    {
        boundHeader.CopyTo(data);
        BinaryPrimitives.WriteInt64BigEndian(data[BoundHeaderSize..], index);
        data[BoundHeaderSize + 8] = final ? (byte)1 : (byte)0;
    }

    public const int AssociatedDataSize = BoundHeaderSize + 9;
}
