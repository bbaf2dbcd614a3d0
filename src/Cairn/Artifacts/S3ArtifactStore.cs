using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace Cairn.Artifacts;

/// <summary>
/// Files in an S3 bucket (or an S3-compatible server) under a key prefix, at the same readable keys as on disk.
/// An upload streams, hashed on the way in, into a multipart upload of its final key — invisible until completed —
/// and into a local staging file that format introspection reads; committing completes the upload, so the object
/// appears whole, at once, and no bytes move. A killed upload leaves an incomplete multipart upload (invisible; aborted
/// at a later start once it is a day old, so that other replicas' uploads in flight are left alone) and a local staging
/// file (deleted at the next start), never a partial object under a key.
/// </summary>
/// <param name="client">The S3 client.</param>
/// <param name="bucket">The bucket.</param>
/// <param name="prefix">The key prefix the store keeps its objects under.</param>
/// <param name="localStaging">A local directory for uploads in flight.</param>
/// <param name="serverSideEncryption">
/// S3's server-side encryption asked for on every object written (<c>aws:kms</c>, <c>aws:kms:dsse</c> or <c>AES256</c>);
/// null leaves it to the bucket's default encryption.
/// </param>
/// <param name="kmsKeyId">The KMS key of <c>aws:kms</c> encryption; null means the account's AWS-managed key.</param>
public sealed class S3ArtifactStore(
    IAmazonS3 client, string bucket, string prefix, string localStaging, string? serverSideEncryption = null, string? kmsKeyId = null) : IArtifactStore
{
    /// <summary>S3's multipart parts must be at least 5 MiB (but the last); bigger parts mean fewer requests.</summary>
    private const int PartSize = 16 << 20;

    /// <summary>The largest object one CopyObject may copy; larger ones are copied part by part.</summary>
    private const long MaxSingleCopy = 5L << 30;

    private readonly string _prefix = prefix.Trim('/').Length == 0 ? "" : prefix.Trim('/') + "/";

    public async Task<StagedArtifact> StageAsync(string key, Stream content, long maxBytes, bool withMd5, CancellationToken cancellationToken)
    {
        var objectKey = ObjectKey(key);
        Directory.CreateDirectory(localStaging);
        var local = Path.Combine(localStaging, Guid.NewGuid().ToString("N"));
        var upload = await client.InitiateMultipartUploadAsync(Encrypted(new InitiateMultipartUploadRequest { BucketName = bucket, Key = objectKey }), cancellationToken);
        var staged = new StagedUpload(this, objectKey, upload.UploadId, local);
        try
        {
            staged.Complete(await BlockUpload.CopyAsync(content, local, PartSize, maxBytes, withMd5, sendEmptyBlock: true,
                async (part, ct) => staged.Parts.Add(await UploadPartAsync(objectKey, upload.UploadId, staged.Parts.Count + 1, part, ct)), cancellationToken));
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
        var upload = (StagedUpload)staged;
        await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = upload.ObjectKey,
            UploadId = upload.UploadId,
            PartETags = upload.Parts,
        }, cancellationToken);
        upload.Committed = true;
        var target = ObjectKey(key);
        if (target != upload.ObjectKey)
        {
            // Staged for one key, committed under another (the model was renamed meanwhile): a server-side copy.
            await CopyAsync(upload.ObjectKey, target, upload.Size, cancellationToken);
            await client.DeleteObjectAsync(bucket, upload.ObjectKey, cancellationToken);
        }
    }

    public async Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        var objectKey = ObjectKey(key);
        var size = await SizeAsync(objectKey, cancellationToken) ?? throw new NotFoundException($"Stored file '{key}' does not exist.");
        var stream = new RangedReadStream(size, (start, count, ct) => ReadRangeAsync(objectKey, start, count, ct)) { Position = offset };
        return length is null ? stream : new BoundedStream(stream, length.Value);
    }

    // The store's top folder, one level deep (its namespaces: a short answer); a missing bucket, refused credentials or an
    // endpoint that does not answer all throw. Not MaxKeys = 1: s3rver answers that with an internal error once the
    // prefix holds objects.
    public Task ProbeAsync(CancellationToken cancellationToken) =>
        client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = _prefix, Delimiter = "/" }, cancellationToken);

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => await SizeAsync(ObjectKey(key), cancellationToken) is not null;

    public async Task<StoredVersion?> DescribeAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await client.GetObjectMetadataAsync(bucket, ObjectKey(key), cancellationToken);
            // S3's own ETag changes with every write of the object.
            return new StoredVersion(metadata.ContentLength, metadata.LastModified ?? DateTime.UnixEpoch, metadata.ETag.Trim('"'));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await client.DeleteObjectAsync(bucket, ObjectKey(key), cancellationToken);

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in PagesAsync(_prefix + prefix, delimiter: null, cancellationToken))
        {
            foreach (var item in page.S3Objects ?? [])
            {
                yield return new StoredObject(item.Key[_prefix.Length..], item.Size ?? 0, item.LastModified ?? DateTime.UnixEpoch);
            }
        }
    }

    public async IAsyncEnumerable<StoredEntry> ListDirectoryAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var folder = directory.Trim('/');
        await foreach (var page in PagesAsync(_prefix + (folder.Length == 0 ? "" : folder + "/"), delimiter: "/", cancellationToken))
        {
            foreach (var sub in page.CommonPrefixes ?? [])
            {
                yield return new StoredEntry(sub[_prefix.Length..].TrimEnd('/'), true, null);
            }
            foreach (var item in page.S3Objects ?? [])
            {
                yield return new StoredEntry(item.Key[_prefix.Length..], false, item.Size ?? 0);
            }
        }
    }

    public async Task<int> RemoveAbandonedStagingAsync(CancellationToken cancellationToken)
    {
        var removed = LocalStaging.RemoveAbandoned(localStaging);
        ListMultipartUploadsResponse uploads;
        try
        {
            uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket, Prefix = _prefix }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NotImplemented")
        {
            // Some S3-compatible servers cannot list uploads; their incomplete uploads stay invisible all the same.
            return removed;
        }
        var stale = DateTime.UtcNow.AddDays(-1);
        foreach (var upload in (uploads.MultipartUploads ?? []).Where(u => u.Initiated < stale))
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken);
            removed++;
        }
        return removed;
    }

    private string ObjectKey(string key) => _prefix + ArtifactPath.Check(key);

    private async Task AbortAsync(string objectKey, string uploadId)
    {
        try
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = objectKey, UploadId = uploadId }, CancellationToken.None);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            // Some S3-compatible servers cannot abort uploads; an incomplete upload is invisible all the same, and a
            // bucket lifecycle rule (AbortIncompleteMultipartUpload) reclaims its parts on S3.
        }
    }

    private async Task<PartETag> UploadPartAsync(string key, string uploadId, int number, MemoryStream part, CancellationToken cancellationToken)
    {
        using var body = BlockUpload.View(part);
        var response = await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = uploadId,
            PartNumber = number,
            InputStream = body,
            PartSize = part.Length,
            // Plain signed bodies, not aws-chunked framing, which S3-compatible servers do not all decode.
            UseChunkEncoding = false,
        }, cancellationToken);
        return new PartETag(number, response.ETag);
    }

    private async Task CopyAsync(string from, string to, long size, CancellationToken cancellationToken)
    {
        if (size <= MaxSingleCopy)
        {
            var copy = new CopyObjectRequest { SourceBucket = bucket, SourceKey = from, DestinationBucket = bucket, DestinationKey = to };
            if (serverSideEncryption is not null)
            {
                // A copy is a new object: without the setting it would take the bucket's default, not the store's.
                copy.ServerSideEncryptionMethod = ServerSideEncryptionMethod.FindValue(serverSideEncryption);
                copy.ServerSideEncryptionKeyManagementServiceKeyId = kmsKeyId;
            }
            await client.CopyObjectAsync(copy, cancellationToken);
            return;
        }
        await CopyInPartsAsync(from, to, size, cancellationToken);
    }

    /// <summary>An upload with the store's server-side encryption: set where an object begins, its parts inherit it.</summary>
    private InitiateMultipartUploadRequest Encrypted(InitiateMultipartUploadRequest request)
    {
        if (serverSideEncryption is not null)
        {
            request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.FindValue(serverSideEncryption);
            request.ServerSideEncryptionKeyManagementServiceKeyId = kmsKeyId;
        }
        return request;
    }

    private async Task CopyInPartsAsync(string from, string to, long size, CancellationToken cancellationToken)
    {
        const long CopyPartSize = 1L << 30;
        var upload = await client.InitiateMultipartUploadAsync(Encrypted(new InitiateMultipartUploadRequest { BucketName = bucket, Key = to }), cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            for (long start = 0, number = 1; start < size; start += CopyPartSize, number++)
            {
                var part = await client.CopyPartAsync(new CopyPartRequest
                {
                    SourceBucket = bucket,
                    SourceKey = from,
                    DestinationBucket = bucket,
                    DestinationKey = to,
                    UploadId = upload.UploadId,
                    PartNumber = (int)number,
                    FirstByte = start,
                    LastByte = Math.Min(start + CopyPartSize, size) - 1,
                }, cancellationToken);
                parts.Add(new PartETag((int)number, part.ETag));
            }
            await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = to, UploadId = upload.UploadId, PartETags = parts }, cancellationToken);
        }
        catch
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = to, UploadId = upload.UploadId }, CancellationToken.None);
            throw;
        }
    }

    private async Task<long?> SizeAsync(string objectKey, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.GetObjectMetadataAsync(bucket, objectKey, cancellationToken)).ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<byte[]> ReadRangeAsync(string objectKey, long start, int count, CancellationToken cancellationToken)
    {
        using var response = await client.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket,
            Key = objectKey,
            ByteRange = new ByteRange(start, start + count - 1),
        }, cancellationToken);
        var bytes = new byte[count];
        await response.ResponseStream.ReadExactlyAsync(bytes, cancellationToken);
        return bytes;
    }

    private async IAsyncEnumerable<ListObjectsV2Response> PagesAsync(string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, Delimiter = delimiter };
        ListObjectsV2Response response;
        do
        {
            response = await client.ListObjectsV2Async(request, cancellationToken);
            yield return response;
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);
    }

    private sealed class StagedUpload(S3ArtifactStore store, string objectKey, string uploadId, string localPath) : StagedArtifact
    {
        public string ObjectKey { get; } = objectKey;

        public string UploadId { get; } = uploadId;

        public List<PartETag> Parts { get; } = [];

        public bool Committed { get; set; }

        public void Complete(HashedCopy copy)
        {
            Size = copy.Size;
            Sha256 = copy.Sha256;
            Md5Base64 = copy.Md5Base64;
        }

        public override Stream OpenRead() => new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous);

        public override async ValueTask DisposeAsync()
        {
            File.Delete(localPath);
            if (!Committed)
            {
                await store.AbortAsync(ObjectKey, UploadId);
            }
        }
    }
}
