using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Cairn.Artifacts;

/// <summary>
/// Files in an Azure Blob Storage container under a prefix, at the same readable names as on disk. An upload streams,
/// hashed on the way in, into uncommitted blocks of its final block blob — invisible until the block list is committed —
/// and into a local staging file that format introspection reads; committing commits the block list, so the blob
/// appears whole, at once, and no bytes move. Blocks of an upload that never commits are discarded by the service.
/// </summary>
public sealed class AzureBlobArtifactStore(BlobContainerClient container, string prefix, string localStaging) : IArtifactStore
{
    private const int BlockSize = 16 << 20;
    private readonly string _prefix = prefix.Trim('/').Length == 0 ? "" : prefix.Trim('/') + "/";
    private readonly Lazy<Task> _created = new(() => container.CreateIfNotExistsAsync());

    public async Task<StagedArtifact> StageAsync(string key, Stream content, long maxBytes, bool withMd5, CancellationToken cancellationToken)
    {
        await _created.Value;
        var blob = container.GetBlockBlobClient(BlobName(key));
        Directory.CreateDirectory(localStaging);
        var upload = Guid.NewGuid().ToString("N");
        var staged = new StagedBlocks(blob, Path.Combine(localStaging, upload));
        try
        {
            staged.Complete(await BlockUpload.CopyAsync(content, staged.LocalPath, BlockSize, maxBytes, withMd5, sendEmptyBlock: false,
                async (block, ct) => staged.Blocks.Add(await StageBlockAsync(blob, upload, staged.Blocks.Count, block, ct)), cancellationToken));
            return staged;
        }
        catch
        {
            await staged.DisposeAsync();
            throw;
        }
    }

    public async Task CommitAsync(StagedArtifact staged, string key, CancellationToken cancellationToken)
    {
        var blocks = (StagedBlocks)staged;
        var target = container.GetBlockBlobClient(BlobName(key));
        try
        {
            if (target.Uri != blocks.Blob.Uri)
            {
                // Staged for one name, committed under another (the model was renamed meanwhile): the bytes are sent again
                // from the local copy, and the staged blocks left for the service to discard. A server-side copy (Copy
                // Blob) does not carry the client's encryption scope, so the new blob would take the container's default
                // scope instead of Cairn:AzureEncryptionScope; a rename during an upload is rare enough to pay the bytes.
                await using var local = blocks.OpenRead();
                await target.UploadAsync(local, new BlobUploadOptions(), cancellationToken);
                return;
            }
            await target.CommitBlockListAsync(blocks.Blocks, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.ErrorCode == "InvalidBlockList")
        {
            // Committing a blob's block list discards its other uncommitted blocks: another upload of the same name
            // (another request, or another replica) committed while this one was staged. Its file stands whole.
            throw new InvalidStateException(
                $"Another upload of '{key}' was committed while this one was in flight, and Azure Blob Storage keeps only one; nothing of this upload was kept. Send it again.");
        }
    }

    public async Task<StoredVersion?> DescribeAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var properties = (await container.GetBlobClient(BlobName(key)).GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            // The blob's ETag changes with every write of it.
            return new StoredVersion(properties.ContentLength, properties.LastModified, properties.ETag.ToString().Trim('"'));
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        var blob = container.GetBlobClient(BlobName(key));
        long size;
        try
        {
            size = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ContentLength;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new NotFoundException($"Stored file '{key}' does not exist.");
        }
        var stream = new RangedReadStream(size, async (start, count, ct) =>
        {
            var part = await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(start, count) }, ct);
            return part.Value.Content.ToArray();
        })
        { Position = offset };
        return length is null ? stream : new BoundedStream(stream, length.Value);
    }

    // A container not made yet is fine (the first write makes it); refused credentials or no answer throw.
    public async Task ProbeAsync(CancellationToken cancellationToken) => await container.ExistsAsync(cancellationToken);

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        await _created.Value;
        return await container.GetBlobClient(BlobName(key)).ExistsAsync(cancellationToken);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await container.GetBlobClient(BlobName(key)).DeleteIfExistsAsync(cancellationToken: cancellationToken);

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _created.Value;
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = _prefix + prefix }, cancellationToken))
        {
            yield return new StoredObject(item.Name[_prefix.Length..], item.Properties.ContentLength ?? 0, item.Properties.LastModified ?? DateTimeOffset.UnixEpoch);
        }
    }

    public async IAsyncEnumerable<StoredEntry> ListDirectoryAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _created.Value;
        var folder = directory.Trim('/');
        var options = new GetBlobsByHierarchyOptions { Prefix = _prefix + (folder.Length == 0 ? "" : folder + "/"), Delimiter = "/" };
        await foreach (var item in container.GetBlobsByHierarchyAsync(options, cancellationToken))
        {
            yield return item.IsPrefix
                ? new StoredEntry(item.Prefix[_prefix.Length..].TrimEnd('/'), true, null)
                : new StoredEntry(item.Blob.Name[_prefix.Length..], false, item.Blob.Properties.ContentLength ?? 0);
        }
    }

    public Task<int> RemoveAbandonedStagingAsync(CancellationToken cancellationToken) => Task.FromResult(LocalStaging.RemoveAbandoned(localStaging));

    private string BlobName(string key) => _prefix + ArtifactPath.Check(key);

    /// <summary>Block ids must be unique per blob and of one length: the upload's id and the block's number.</summary>
    private static async Task<string> StageBlockAsync(BlockBlobClient blob, string upload, int number, MemoryStream block, CancellationToken cancellationToken)
    {
        var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{upload}-{number:D6}")));
        using var body = BlockUpload.View(block);
        await blob.StageBlockAsync(id, body, cancellationToken: cancellationToken);
        return id;
    }

    private sealed class StagedBlocks(BlockBlobClient blob, string localPath) : StagedArtifact
    {
        public BlockBlobClient Blob { get; } = blob;

        public string LocalPath { get; } = localPath;

        public List<string> Blocks { get; } = [];

        public void Complete(HashedCopy copy)
        {
            Size = copy.Size;
            Sha256 = copy.Sha256;
            Md5Base64 = copy.Md5Base64;
        }

        public override Stream OpenRead() => new FileStream(LocalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous);

        // Uncommitted blocks are the service's to discard; only the local copy is ours.
        public override ValueTask DisposeAsync()
        {
            File.Delete(LocalPath);
            return ValueTask.CompletedTask;
        }
    }
}
