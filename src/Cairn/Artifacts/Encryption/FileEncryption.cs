using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Win32.SafeHandles;

namespace Cairn.Artifacts.Encryption;

/// <summary>
/// Encryption of files at rest in the filesystem store (docs/encryption.md): each file gets a random AES-256 data key,
/// sealed chunk by chunk with AES-GCM (<see cref="EncryptedFileFormat"/>), and that key is kept in the file's header as
/// the Data Protection key ring protected it. Reading needs the key ring that wrote the file (or a copy of it); a
/// rotated key ring still holds the old keys, so files written before a rotation stay readable.
/// </summary>
public sealed class FileEncryption
{
    /// <summary>
    /// The purpose that isolates files' data keys from every other use of the key ring. Versioned: a change of what is
    /// protected gets a new purpose, not a silent reinterpretation.
    /// </summary>
    public const string Purpose = "Cairn.Artifacts.FileKey.v1";

    private readonly IDataProtector _protector;

    /// <param name="provider">The key ring (the server's Data Protection).</param>
    /// <param name="encryptNewFiles">
    /// Whether files written from now on are encrypted. Either way files already encrypted are read: switching
    /// encryption off does not strand what it wrote, and clear files written before it was on stay readable.
    /// </param>
    public FileEncryption(IDataProtectionProvider provider, bool encryptNewFiles)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _protector = provider.CreateProtector(Purpose);
        EncryptNewFiles = encryptNewFiles;
    }

    /// <summary>Whether new files are written encrypted.</summary>
    public bool EncryptNewFiles { get; }

    /// <summary>A fresh data key and its header for a new file.</summary>
    internal (byte[] DataKey, byte[] Header) NewFile()
    {
        var dataKey = RandomNumberGenerator.GetBytes(EncryptedFileFormat.KeySize);
        var header = EncryptedFileFormat.WriteHeader(RandomNumberGenerator.GetBytes(EncryptedFileFormat.NoncePrefixSize), _protector.Protect(dataKey));
        return (dataKey, header);
    }

    internal byte[] UnwrapKey(byte[] wrappedKey, string key)
    {
        try
        {
            return _protector.Unprotect(wrappedKey);
        }
        catch (CryptographicException e)
        {
            throw new EncryptedFileException(
                $"Stored file '{key}' is encrypted with a data key this server's key ring cannot unwrap (the key ring is not the one that " +
                $"wrote it, or its key was lost): {e.Message} Restore the key ring backed up with the database (docs/encryption.md).", e);
        }
    }

    /// <summary>
    /// Opens the file behind <paramref name="file"/> for reading: decrypted when it is encrypted, as it is otherwise. Takes
    /// ownership of the handle.
    /// </summary>
    /// <exception cref="EncryptedFileException">The file is encrypted and <paramref name="encryption"/> is null or cannot unwrap its key, or its header is damaged.</exception>
    internal static Stream OpenRead(SafeFileHandle file, string key, FileEncryption? encryption, int bufferSize)
    {
        try
        {
            var length = RandomAccess.GetLength(file);
            Span<byte> start = stackalloc byte[8];
            if (length < start.Length || RandomAccess.Read(file, start, 0) < start.Length || !EncryptedFileFormat.HasMagic(start))
            {
                return new FileStream(file, FileAccess.Read, bufferSize, isAsync: true);
            }
            if (encryption is null)
            {
                throw new EncryptedFileException($"Stored file '{key}' is encrypted, and this store was opened without the key ring that can read it.");
            }
            var header = new byte[EncryptedFileFormat.HeaderSize];
            var read = RandomAccess.Read(file, header, 0);
            var parsed = EncryptedFileFormat.ReadHeader(header.AsSpan(0, read), out var problem)
                ?? throw new EncryptedFileException($"Stored file '{key}' cannot be decrypted: {problem}.");
            var plaintextLength = EncryptedFileFormat.PlaintextLength(length)
                ?? throw new EncryptedFileException($"Stored file '{key}' cannot be decrypted: its length ({length} bytes) is not that of a whole encrypted file; it was cut short.");
            var dataKey = encryption.UnwrapKey(parsed.WrappedKey, key);
            return new DecryptingFileStream(file, key, dataKey, header.AsSpan(0, EncryptedFileFormat.BoundHeaderSize).ToArray(), parsed.NoncePrefix, plaintextLength);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The length of the plaintext in a file of <paramref name="fileLength"/> bytes at <paramref name="path"/>: the same
    /// for a clear file, less the header and tags for an encrypted one (whose first bytes are read to tell).
    /// </summary>
    internal static long PlaintextLength(string path, long fileLength)
    {
        if (fileLength < EncryptedFileFormat.HeaderSize + EncryptedFileFormat.TagSize)
        {
            return fileLength;
        }
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> start = stackalloc byte[8];
            return RandomAccess.Read(file, start, 0) == start.Length && EncryptedFileFormat.HasMagic(start)
                ? EncryptedFileFormat.PlaintextLength(fileLength) ?? fileLength
                : fileLength;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return fileLength;
        }
    }

    /// <summary>
    /// Streams <paramref name="source"/> into a new encrypted file at <paramref name="path"/>, hashing the plaintext on
    /// the way in as <see cref="HashingCopy.ToFileAsync"/> does, and flushed to disk before this returns.
    /// </summary>
    internal async Task<HashedCopy> ToFileAsync(Stream source, string path, long maxBytes, bool withMd5, CancellationToken cancellationToken)
    {
        using var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.Asynchronous);
        var (dataKey, header) = NewFile();
        using var writer = new EncryptedFileWriter(file, dataKey, header);
        await writer.StartAsync(cancellationToken);
        var copy = await HashingCopy.CopyAsync(source, (bytes, _, ct) => writer.WriteAsync(bytes, ct), maxBytes, withMd5, cancellationToken);
        await writer.CompleteAsync(cancellationToken);
        RandomAccess.FlushToDisk(file);
        return copy;
    }
}

/// <summary>An encrypted file cannot be read: the key ring lacks its key, or the file was altered or cut short (500: the server's data, not the caller's request).</summary>
public sealed class EncryptedFileException(string message, Exception? inner = null) : CairnException("ENCRYPTED_FILE_UNREADABLE", 500, message)
{
    /// <summary>What failed underneath (the key ring's or the cipher's exception), if anything.</summary>
    public Exception? Cause { get; } = inner;
}
