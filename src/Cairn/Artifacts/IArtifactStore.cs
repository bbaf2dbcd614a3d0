namespace Cairn.Artifacts;

/// <summary>
/// Where file bytes live: the local filesystem by default, object storage at scale. Writes are staged:
/// bytes stream into a temporary object while their checksums are computed, and become visible under their
/// key only on <see cref="CommitAsync"/> — a dropped connection or a killed process leaves nothing half-written.
/// </summary>
public interface IArtifactStore
{
    /// <summary>
    /// Streams <paramref name="content"/> into a staging area, computing its SHA-256 on the way in (and its MD5
    /// when <paramref name="withMd5"/>: only a declared Content-MD5 needs it, and it costs as much as the copy).
    /// <paramref name="key"/> is where the bytes are meant to be committed: object stores upload straight towards it
    /// (an S3 multipart upload stays invisible until completed), so that committing moves no bytes.
    /// </summary>
    /// <exception cref="PayloadTooLargeException">More than <paramref name="maxBytes"/> arrived; nothing is kept.</exception>
    Task<StagedArtifact> StageAsync(string key, Stream content, long maxBytes, bool withMd5, CancellationToken cancellationToken);

    /// <summary>Makes a staged object visible under <paramref name="key"/> (normally the key it was staged for), replacing what was there.</summary>
    Task CommitAsync(StagedArtifact staged, string key, CancellationToken cancellationToken);

    /// <summary>Opens a stored object for reading from <paramref name="offset"/>; the stream ends after <paramref name="length"/> bytes when given.</summary>
    Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Checks that the store can be used now, for readiness: the folder writes go to can be made (filesystem), the bucket
    /// can be listed (S3), the account answers for the container (Azure). Throws what the store's client throws when not.
    /// </summary>
    Task ProbeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Which version of an object is stored at <paramref name="key"/>: its size, when it was written and a tag that
    /// changes whenever its bytes do (what downloads send as their entity tag); null when nothing is stored there.
    /// </summary>
    Task<StoredVersion?> DescribeAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes an object; deleting what is not there is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every stored object whose key starts with <paramref name="prefix"/> ("" for all), at any depth, in no set order.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// What lies directly in the folder <paramref name="directory"/> ("" for the top): its objects and its sub-folders
    /// (a folder being any key prefix ending in '/'), in no set order. A missing folder lists as nothing.
    /// </summary>
    IAsyncEnumerable<StoredEntry> ListDirectoryAsync(string directory, CancellationToken cancellationToken);

    /// <summary>
    /// Removes staging left behind by a process that died mid-upload: what nothing has written to for
    /// <see cref="LocalStaging.AbandonedAfter"/>, so that another process's upload in flight is left alone.
    /// </summary>
    Task<int> RemoveAbandonedStagingAsync(CancellationToken cancellationToken);
}

/// <summary>A stored object: its key, its size in bytes and when it was last written.</summary>
public sealed record StoredObject(string Key, long Size, DateTimeOffset LastModified);

/// <summary>One version of a stored object: its size, when it was written, and a tag that no other version of it shares.</summary>
public sealed record StoredVersion(long Size, DateTimeOffset LastModified, string Tag);

/// <summary>One entry of a folder listing: an object (with its size) or a sub-folder (without), by its full key.</summary>
public sealed record StoredEntry(string Key, bool IsDirectory, long? Size);

/// <summary>Bytes staged by <see cref="IArtifactStore.StageAsync"/>: their size and checksums, readable for introspection.</summary>
public abstract class StagedArtifact : IAsyncDisposable
{
    public long Size { get; protected set; }

    /// <summary>Lower-case hex SHA-256 of the bytes.</summary>
    public string Sha256 { get; protected set; } = "";

    /// <summary>Base64 MD5 of the bytes, the form of the Content-MD5 header; null unless asked for.</summary>
    public string? Md5Base64 { get; protected set; }

    /// <summary>A seekable read of the staged bytes (format introspection reads headers from it).</summary>
    public abstract Stream OpenRead();

    /// <summary>Discards the staged bytes unless they were committed.</summary>
    public abstract ValueTask DisposeAsync();
}

/// <summary>The body exceeded the configured size limit (413).</summary>
public sealed class PayloadTooLargeException(string message) : CairnException("REQUEST_LIMIT_EXCEEDED", 413, message);
