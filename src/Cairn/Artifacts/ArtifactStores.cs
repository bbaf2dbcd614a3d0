using Amazon.Runtime;
using Amazon.S3;

namespace Cairn.Artifacts;

/// <summary>
/// How to reach S3 or an S3-compatible server. Unset values come from the usual AWS settings (AWS_REGION,
/// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles); an explicit endpoint implies path-style addressing, which
/// S3-compatible servers (MinIO, Ceph, s3rver) expect.
/// </summary>
/// <remarks>
/// <c>ServerSideEncryption</c> (<c>aws:kms</c>, <c>aws:kms:dsse</c>, <c>AES256</c>) and <c>KmsKeyId</c> are asked for on
/// every object written; unset, the bucket's default encryption applies.
/// </remarks>
public sealed record S3Settings(
    string? Endpoint = null, string? Region = null, string? AccessKeyId = null, string? SecretAccessKey = null, bool? ForcePathStyle = null,
    string? ServerSideEncryption = null, string? KmsKeyId = null);

/// <summary>
/// Opens the artifact store an <c>--artifacts</c> setting names: a directory, <c>s3://bucket/prefix</c> or
/// <c>azure://container/prefix</c>.
/// </summary>
public static class ArtifactStores
{
    /// <param name="location">A directory, <c>s3://bucket/prefix</c> or <c>azure://container/prefix</c>.</param>
    /// <param name="localStaging">A local directory for uploads in flight (object stores stage a copy there for format introspection).</param>
    /// <param name="s3">How to reach S3, for an s3:// location.</param>
    /// <param name="azureConnectionString">The storage account's connection string, for an azure:// location.</param>
    /// <param name="files">The key ring that encrypts (when it says so) and reads files in a directory store; object stores encrypt on their side.</param>
    /// <param name="azureEncryptionScope">The encryption scope every blob is written with, for an azure:// location; null for the container's default.</param>
    public static IArtifactStore Open(
        string location, string localStaging, S3Settings? s3 = null, string? azureConnectionString = null,
        Encryption.FileEncryption? files = null, string? azureEncryptionScope = null) =>
        Open(location, localStaging, s3, azureConnectionString, files, azureEncryptionScope, configureS3: null, configureAzure: null);

    /// <summary>
    /// <see cref="Open(string, string, S3Settings?, string?, Encryption.FileEncryption?, string?)"/> with a last look at
    /// an object store client's configuration before the client is made: where tests capture the requests it sends.
    /// </summary>
    internal static IArtifactStore Open(
        string location, string localStaging, S3Settings? s3, string? azureConnectionString,
        Encryption.FileEncryption? files, string? azureEncryptionScope,
        Action<AmazonS3Config>? configureS3, Action<Azure.Storage.Blobs.BlobClientOptions>? configureAzure)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var (bucket, prefix) = BucketAndPrefix(location, "s3://");
            s3 ??= new S3Settings();
            return new S3ArtifactStore(S3Client(s3, configureS3), bucket, prefix, localStaging, NullIfEmpty(s3.ServerSideEncryption), NullIfEmpty(s3.KmsKeyId));
        }
        if (location.StartsWith("azure://", StringComparison.OrdinalIgnoreCase))
        {
            var (container, prefix) = BucketAndPrefix(location, "azure://");
            if (string.IsNullOrEmpty(azureConnectionString))
            {
                throw new InvalidParameterException(
                    $"Artifact location '{location}' needs the storage account's connection string (CAIRN_AZURE_CONNECTION_STRING or AZURE_STORAGE_CONNECTION_STRING).");
            }
            // The scope rides on every request of the client (x-ms-encryption-scope): each block and block list is written with it.
            var options = new Azure.Storage.Blobs.BlobClientOptions { EncryptionScope = NullIfEmpty(azureEncryptionScope) };
            configureAzure?.Invoke(options);
            return new AzureBlobArtifactStore(new Azure.Storage.Blobs.BlobContainerClient(azureConnectionString, container, options), prefix, localStaging);
        }
        if (location.Contains("://", StringComparison.Ordinal))
        {
            throw new InvalidParameterException($"Artifact location '{location}' is not a directory, an s3://bucket/prefix or an azure://container/prefix URI.");
        }
        return new FileSystemArtifactStore(location, files);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static (string Bucket, string Prefix) BucketAndPrefix(string location, string scheme)
    {
        var rest = location[scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var (bucket, prefix) = slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..]);
        return bucket.Length == 0 ? throw new InvalidParameterException($"Artifact location '{location}' names no bucket.") : (bucket, prefix);
    }

    private static AmazonS3Client S3Client(S3Settings settings, Action<AmazonS3Config>? configure)
    {
        var config = new AmazonS3Config
        {
            // Checksums only where S3 requires them: S3-compatible servers refuse the SDK's optional checksum headers,
            // and Cairn computes its own SHA-256 of every file anyway.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (!string.IsNullOrEmpty(settings.Endpoint))
        {
            config.ServiceURL = settings.Endpoint;
            config.ForcePathStyle = settings.ForcePathStyle ?? true;
        }
        else if (settings.ForcePathStyle is { } pathStyle)
        {
            config.ForcePathStyle = pathStyle;
        }
        if (!string.IsNullOrEmpty(settings.Region))
        {
            config.AuthenticationRegion = settings.Region;
            if (string.IsNullOrEmpty(settings.Endpoint))
            {
                config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(settings.Region);
            }
        }
        configure?.Invoke(config);
        return string.IsNullOrEmpty(settings.AccessKeyId)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(settings.AccessKeyId, settings.SecretAccessKey), config);
    }
}
