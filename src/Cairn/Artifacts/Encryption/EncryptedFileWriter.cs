using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Cairn.Artifacts.Encryption;

/// <summary>
/// Writes an encrypted file (<see cref="EncryptedFileFormat"/>) from plaintext given in pieces of any size. The last
/// chunk is held back until <see cref="CompleteAsync"/>: only then is it known to be the last, which its associated data
/// says. Each piece is written as it is sealed, so memory stays one chunk whatever the file's size.
/// </summary>
internal sealed class EncryptedFileWriter(SafeFileHandle file, byte[] dataKey, byte[] header) : IDisposable
{
    private readonly AesGcm _aes = new(dataKey, EncryptedFileFormat.TagSize);
    private readonly byte[] _pending = new byte[EncryptedFileFormat.ChunkSize];
    private readonly byte[] _sealed = new byte[EncryptedFileFormat.ChunkSize + EncryptedFileFormat.TagSize];
    private readonly byte[] _noncePrefix = header.AsSpan(16, EncryptedFileFormat.NoncePrefixSize).ToArray();
    private int _pendingLength;
    private long _index;

    public async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        await RandomAccess.WriteAsync(file, header, 0, cancellationToken);
        CryptographicOperations.ZeroMemory(dataKey);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            // A full chunk followed by more bytes is not the last one: sealed now.
            if (_pendingLength == _pending.Length)
            {
                await SealAsync(final: false, cancellationToken);
            }
            var take = Math.Min(bytes.Length, _pending.Length - _pendingLength);
            bytes.Span[..take].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += take;
            bytes = bytes[take..];
        }
    }

    /// <summary>Seals what is held back as the last chunk (an empty one for an empty file).</summary>
    public ValueTask CompleteAsync(CancellationToken cancellationToken) => SealAsync(final: true, cancellationToken);

    private async ValueTask SealAsync(bool final, CancellationToken cancellationToken)
    {
        Seal(final);
        var offset = EncryptedFileFormat.ChunkOffset(_index);
        var length = _pendingLength + EncryptedFileFormat.TagSize;
        await RandomAccess.WriteAsync(file, _sealed.AsMemory(0, length), offset, cancellationToken);
        Writeback.Start(file, offset, length);
        _index++;
        _pendingLength = 0;
    }

    private void Seal(bool final)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> associated = stackalloc byte[EncryptedFileFormat.AssociatedDataSize];
        EncryptedFileFormat.Nonce(_noncePrefix, _index, nonce);
        EncryptedFileFormat.AssociatedData(header.AsSpan(0, EncryptedFileFormat.BoundHeaderSize), _index, final, associated);
        _aes.Encrypt(nonce, _pending.AsSpan(0, _pendingLength), _sealed.AsSpan(0, _pendingLength),
            _sealed.AsSpan(_pendingLength, EncryptedFileFormat.TagSize), associated);
    }

    public void Dispose()
    {
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_pending);
    }
}
