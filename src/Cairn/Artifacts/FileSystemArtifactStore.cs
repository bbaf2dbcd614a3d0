using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Cairn.Artifacts.Encryption;

namespace Cairn.Artifacts;

/// <summary>
/// Files under one root directory, at their keys (so the tree stays browsable). Staging happens in
/// <c>.staging/</c> under the same root, so that committing is a rename on one filesystem: atomic.
/// Symbolic links below the root are never followed: a key that passes through one is refused, and listings leave
/// links out, so a link planted in the tree cannot lead reads, writes or deletes outside it. The root itself may be a
/// link (a data directory on another volume). The check runs before each operation, so a link swapped in between
/// the check and the operation by someone with write access to the tree is not covered.
/// </summary>
public sealed class FileSystemArtifactStore : IArtifactStore
{
    private const string StagingFolder = ".staging";
    private const int BufferSize = 1 << 20;
    private readonly string _root;
    private readonly string _staging;
    private readonly FileEncryption? _encryption;

    // Links are left out of listings; hidden files are not (Compatible's choice, which the SearchOption overloads make).
    private static readonly EnumerationOptions NoLinks = new() { AttributesToSkip = FileAttributes.ReparsePoint, MatchType = MatchType.Win32 };
    private static readonly EnumerationOptions NoLinksRecursive = new() { AttributesToSkip = FileAttributes.ReparsePoint, MatchType = MatchType.Win32, RecurseSubdirectories = true };

    /// <param name="root">The directory the store keeps its files in.</param>
    /// <param name="encryption">
    /// The key ring that encrypts new files (when it says so) and reads encrypted ones; null for a store of clear files
    /// only (an encrypted file found there fails to open, saying so).
    /// </param>
    public FileSystemArtifactStore(string root, FileEncryption? encryption = null)
    {
        _root = Path.GetFullPath(root);
        _staging = Path.Combine(_root, StagingFolder);
        _encryption = encryption;
    }

    public Task ProbeAsync(CancellationToken cancellationToken)
    {
        // What the next upload does first; an unmounted volume, a file in the folder's place or a read-only disk fails here.
        Directory.CreateDirectory(_staging);
        return Task.CompletedTask;
    }

    public async Task<StagedArtifact> StageAsync(string key, Stream content, long maxBytes, bool withMd5, CancellationToken cancellationToken)
    {
        // Made on first use, not when opened: opening a store over a directory (a run's local artifacts) writes nothing.
        Directory.CreateDirectory(_staging);
        RefuseLinks(_staging, StagingFolder);
        var path = Path.Combine(_staging, Guid.NewGuid().ToString("N"));
        var staged = new StagedFile(path, _encryption);
        try
        {
            // Durable before it can be committed: a committed file must survive a power cut with its metadata.
            var copy = _encryption is { EncryptNewFiles: true }
                ? await _encryption.ToFileAsync(content, path, maxBytes, withMd5, cancellationToken)
                : await HashingCopy.ToFileAsync(content, path, maxBytes, withMd5, durable: true, alsoSend: null, cancellationToken);
            staged.Complete(copy.Size, copy.Sha256, copy.Md5Base64);
            return staged;
        }
        catch
        {
            await staged.DisposeAsync();
            throw;
        }
    }

    public Task CommitAsync(StagedArtifact staged, string key, CancellationToken cancellationToken)
    {
        var file = (StagedFile)staged;
        var target = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(file.Path, target, overwrite: true);
        file.Committed = true;
        return Task.CompletedTask;
    }

    public Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            throw new NotFoundException($"Stored file '{key}' does not exist.");
        }
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous | FileOptions.SequentialScan);
        // Clear files as they are; encrypted ones (whatever the current setting) decrypted chunk by chunk.
        var stream = FileEncryption.OpenRead(file, key, _encryption, BufferSize);
        stream.Seek(offset, SeekOrigin.Begin);
        return Task.FromResult<Stream>(length is null ? stream : new BoundedStream(stream, length.Value));
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathOf(key)));

    public Task<StoredVersion?> DescribeAsync(string key, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(key));
        // Committing is a rename of a freshly written file: each version has its own write time, to the tick.
        return Task.FromResult(file.Exists
            ? new StoredVersion(PlaintextLength(file, file.Length), file.LastWriteTimeUtc, $"{file.Length:x}-{file.LastWriteTimeUtc.Ticks:x}")
            : null);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        File.Delete(path);
        // Empty folders left by the delete go too, up to the root, so the tree mirrors what exists.
        for (var dir = Path.GetDirectoryName(path); dir is not null && dir.Length > _root.Length; dir = Path.GetDirectoryName(dir))
        {
            if (!Directory.Exists(dir) || Directory.EnumerateFileSystemEntries(dir).Any())
            {
                break;
            }
            Directory.Delete(dir);
        }
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        // Only the folder the prefix names can hold its keys: one run's files are listed without walking every run.
        var slash = prefix.LastIndexOf('/');
        var start = slash <= 0 ? _root : PathOf(prefix[..slash]);
        if (!Directory.Exists(start))
        {
            yield break;
        }
        foreach (var file in new DirectoryInfo(start).EnumerateFiles("*", NoLinksRecursive))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = KeyOf(file.FullName);
            if (!IsStaging(key) && key.StartsWith(prefix, StringComparison.Ordinal) && LengthOf(file) is { } length)
            {
                yield return new StoredObject(key, length, file.LastWriteTimeUtc);
            }
        }
    }

    public async IAsyncEnumerable<StoredEntry> ListDirectoryAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        var folder = directory.Trim('/');
        var path = folder.Length == 0 ? _root : PathOf(folder);
        if (!Directory.Exists(path))
        {
            yield break;
        }
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", NoLinks))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = KeyOf(entry.FullName);
            if (IsStaging(key + "/"))
            {
                continue;
            }
            if (entry is not FileInfo file)
            {
                yield return new StoredEntry(key, true, null);
            }
            else if (LengthOf(file) is { } length)
            {
                yield return new StoredEntry(key, false, length);
            }
        }
    }

    /// <summary>A listed file's size, or null when a concurrent delete removed it between the listing and this read.</summary>
    private long? LengthOf(FileInfo file)
    {
        try
        {
            return PlaintextLength(file, file.Length);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The size of the file's content: an encrypted file's plaintext. Only a store with a key ring looks (reading each
    /// file's first bytes); a store of clear files reports lengths as the directory listing has them.
    /// </summary>
    private long PlaintextLength(FileInfo file, long length) => _encryption is null ? length : FileEncryption.PlaintextLength(file.FullName, length);

    public Task<int> RemoveAbandonedStagingAsync(CancellationToken cancellationToken) => Task.FromResult(LocalStaging.RemoveAbandoned(_staging));

    /// <summary>Refuses <paramref name="full"/> when it, or a directory between the root and it, is a symbolic link.</summary>
    private void RefuseLinks(string full, string key)
    {
        for (var end = full.IndexOf(Path.DirectorySeparatorChar, _root.Length + 1); ; end = full.IndexOf(Path.DirectorySeparatorChar, end + 1))
        {
            var component = end < 0 ? full : full[..end];
            var attributes = new FileInfo(component).Attributes;
            if (attributes == (FileAttributes)(-1))
            {
                // Nothing there: nothing further down exists either.
                return;
            }
            if (attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                throw new InvalidParameterException(
                    $"Key '{key}' passes through '{KeyOf(component)}', a symbolic link; the store does not follow links out of its tree.");
            }
            if (end < 0)
            {
                return;
            }
        }
    }

    private string KeyOf(string path) => Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');

    private static bool IsStaging(string key) => key.StartsWith(StagingFolder + "/", StringComparison.Ordinal);

    private string PathOf(string key)
    {
        ArtifactPath.Check(key);
        var full = Path.GetFullPath(Path.Combine(_root, key));
        // ArtifactPath already refuses '..'; this is the belt to its braces.
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidParameterException($"Key '{key}' resolves outside the store.");
        }
        RefuseLinks(full, key);
        return full;
    }

    private sealed class StagedFile(string path, FileEncryption? encryption) : StagedArtifact
    {
        public string Path { get; } = path;

        public bool Committed { get; set; }

        public void Complete(long size, string sha256, string? md5Base64)
        {
            Size = size;
            Sha256 = sha256;
            Md5Base64 = md5Base64;
        }

        public override Stream OpenRead() =>
            FileEncryption.OpenRead(File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous), "(staged upload)", encryption, 4096);

        public override ValueTask DisposeAsync()
        {
            if (!Committed)
            {
                File.Delete(Path);
            }
            return ValueTask.CompletedTask;
        }
    }
}
