using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Cairn.Artifacts.Encryption;

/// <summary>
/// A seekable, read-only view of an encrypted file's plaintext: a read decrypts only the chunks it covers, so the HTTP
/// layer's Range requests (and format introspection's seeks) cost what they read. A chunk that fails authentication
/// throws <see cref="EncryptedFileException"/>; no byte of it is returned.
/// </summary>
internal sealed class DecryptingFileStream : Stream
{
    private readonly SafeFileHandle _file;
    private readonly string _key;
    private readonly AesGcm _aes;
    private readonly byte[] _boundHeader;
    private readonly byte[] _noncePrefix;
    private readonly long _length;
    private readonly long _chunks;
    private readonly byte[] _sealed = new byte[EncryptedFileFormat.ChunkSize + EncryptedFileFormat.TagSize];
    private readonly byte[] _plain = new byte[EncryptedFileFormat.ChunkSize];
    private long _plainIndex = -1;
    private int _plainLength;
    private long _position;

    public DecryptingFileStream(SafeFileHandle file, string key, byte[] dataKey, byte[] boundHeader, byte[] noncePrefix, long length)
    {
        _file = file;
        _key = key;
        _aes = new AesGcm(dataKey, EncryptedFileFormat.TagSize);
        CryptographicOperations.ZeroMemory(dataKey);
        _boundHeader = boundHeader;
        _noncePrefix = noncePrefix;
        _length = length;
        _chunks = EncryptedFileFormat.ChunkCount(length);
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position >= _length || buffer.IsEmpty)
        {
            return 0;
        }
        var index = _position / EncryptedFileFormat.ChunkSize;
        if (index != _plainIndex)
        {
            var (offset, length) = Locate(index);
            var read = 0;
            while (read < length && RandomAccess.Read(_file, _sealed.AsSpan(read, length - read), offset + read) is var n and > 0)
            {
                read += n;
            }
            Open(index, read, length);
        }
        return CopyOut(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= _length || buffer.IsEmpty)
        {
            return 0;
        }
        var index = _position / EncryptedFileFormat.ChunkSize;
        if (index != _plainIndex)
        {
            var (offset, length) = Locate(index);
            var read = 0;
            while (read < length && await RandomAccess.ReadAsync(_file, _sealed.AsMemory(read, length - read), offset + read, cancellationToken) is var n and > 0)
            {
                read += n;
            }
            Open(index, read, length);
        }
        return CopyOut(buffer.Span);
    }

    private (long Offset, int Length) Locate(long index)
    {
        var plain = (int)Math.Min(EncryptedFileFormat.ChunkSize, _length - (index * EncryptedFileFormat.ChunkSize));
        return (EncryptedFileFormat.ChunkOffset(index), plain + EncryptedFileFormat.TagSize);
    }

    /// <summary>Decrypts chunk <paramref name="index"/>, read into the sealed buffer, into the plaintext buffer.</summary>
    private void Open(long index, int read, int length)
    {
        _plainIndex = -1;
        if (read < length)
        {
            throw new EncryptedFileException($"Stored file '{_key}' was cut short while it was read: chunk {index} is incomplete.");
        }
        var plain = length - EncryptedFileFormat.TagSize;
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> associated = stackalloc byte[EncryptedFileFormat.AssociatedDataSize];
        EncryptedFileFormat.Nonce(_noncePrefix, index, nonce);
        EncryptedFileFormat.AssociatedData(_boundHeader, index, index == _chunks - 1, associated);
        try
        {
            _aes.Decrypt(nonce, _sealed.AsSpan(0, plain), _sealed.AsSpan(plain, EncryptedFileFormat.TagSize), _plain.AsSpan(0, plain), associated);
        }
        catch (AuthenticationTagMismatchException e)
        {
            CryptographicOperations.ZeroMemory(_plain);
            throw new EncryptedFileException(
                $"Chunk {index} of stored file '{_key}' failed authentication: the file was altered or cut short after it was written. No byte of it is served.", e);
        }
        _plainIndex = index;
        _plainLength = plain;
    }

    private int CopyOut(Span<byte> buffer)
    {
        var within = (int)(_position - (_plainIndex * EncryptedFileFormat.ChunkSize));
        var count = Math.Min(buffer.Length, _plainLength - within);
        _plain.AsSpan(within, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        SeekOrigin.End => _length + offset,
        _ => throw new ArgumentOutOfRangeException(nameof(origin)),
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes.Dispose();
            _file.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
        }
        base.Dispose(disposing);
    }
}
