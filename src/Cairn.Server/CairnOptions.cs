using System.ComponentModel.DataAnnotations;
using Cairn.Storage;
using Cairn.Tracking;

namespace Cairn.Server;

/// <summary>Server settings, bound from the "Cairn" section (appsettings, CAIRN_* variables, CLI flags).</summary>
public sealed class CairnOptions : IValidatableObject
{
    public const string Section = "Cairn";

    /// <summary>Where metadata and files live by default.</summary>
    [Required]
    public string DataDir { get; set; } = ".cairn";

    /// <summary>
    /// The metadata database: a SQLite file path, or a PostgreSQL connection string (<c>Host=…;Database=…</c>) or
    /// <c>postgresql://</c> URI. Empty means <c>{DataDir}/cairn.db</c>.
    /// </summary>
    public string? Database { get; set; }

    /// <summary>
    /// MLflow's <c>--backend-store-uri</c>: <c>sqlite:///relative.db</c> or <c>sqlite:////absolute.db</c> names the
    /// database file, <c>postgresql://user:password@host:port/database</c> a PostgreSQL database (when <see cref="Database"/>
    /// is not set).
    /// </summary>
    public string? BackendStoreUri { get; set; }

    /// <summary>
    /// Where version files are kept: a directory, <c>s3://bucket/prefix</c> (reached with <see cref="S3"/>) or
    /// <c>azure://container/prefix</c> (with <see cref="AzureConnectionString"/>).
    /// Empty means <c>{DataDir}/artifacts</c>.
    /// </summary>
    public string? Artifacts { get; set; }

    /// <summary>
    /// MLflow's <c>--default-artifact-root</c>: the artifact root of new experiments. Empty means <c>mlflow-artifacts:/</c>
    /// (clients upload through the server's artifact proxy); <c>http(s)://host:port/api/2.0/mlflow-artifacts/artifacts</c>
    /// is the same proxy named by URL (what MLflow's own test fixtures pass). A relative path is relative to the working directory.
    /// </summary>
    public string? DefaultArtifactRoot { get; set; }

    /// <summary>
    /// MLflow's <c>--artifacts-destination</c>: where the artifact proxy keeps files, a directory or a <c>file:</c> URI
    /// (relative to the working directory when relative), <c>s3://bucket/prefix</c> or <c>azure://container/prefix</c>
    /// (reached with the same settings as <see cref="Artifacts"/>). Empty means <c>{DataDir}/mlartifacts</c>, or, when
    /// <see cref="Artifacts"/> is an object store, its folder <c>.mlartifacts</c>: replicas share it as they share the
    /// version files.
    /// </summary>
    public string? ArtifactsDestination { get; set; }

    /// <summary>
    /// The storage account's connection string for an <c>azure://</c> <see cref="Artifacts"/> location
    /// (unset: AZURE_STORAGE_CONNECTION_STRING).
    /// </summary>
    public string? AzureConnectionString { get; set; }

    /// <summary>S3 endpoint, region and credentials for an <c>s3://</c> <see cref="Artifacts"/> location (unset: the AWS defaults).</summary>
    public S3Section S3 { get; set; } = new();

    /// <summary>The largest file accepted by one upload, in bytes (default 64 GiB).</summary>
    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 64L << 30;

    /// <summary><c>none</c> (every caller is the local admin) or <c>token</c> (API tokens with roles).</summary>
    [RegularExpression("^(none|token)$", ErrorMessage = "Cairn:Auth must be 'none' or 'token'.")]
    public string Auth { get; set; } = "none";

    /// <summary>
    /// URL schemes a webhook may use, comma-separated (MLflow's MLFLOW_WEBHOOK_ALLOWED_SCHEMES). By default only
    /// <c>https</c>, as in MLflow: a plain-http receiver must be allowed on purpose.
    /// </summary>
    public string WebhookAllowedSchemes { get; set; } = "https";

    /// <summary>
    /// Networks webhooks may reach although they are not public, comma-separated CIDRs (<c>127.0.0.0/8,10.1.0.0/16</c>).
    /// By default none: loopback, private, link-local, shared, multicast and metadata addresses are refused after DNS,
    /// when a delivery connects (Events/SafeWebhookHandler.cs).
    /// </summary>
    public string? WebhookAllowedNetworks { get; set; }

    /// <summary>
    /// A certificate file (PKCS#12 / .pfx, with its private key) that encrypts Data Protection's keys where they are
    /// stored, in the metadata database. Unset, the keys are stored unencrypted there: whoever reads the database can
    /// decrypt webhook secrets and forge UI sessions. Every replica needs the same certificate.
    /// </summary>
    public string? KeyEncryptionCertificate { get; set; }

    /// <summary>The password of <see cref="KeyEncryptionCertificate"/>, if it has one.</summary>
    public string? KeyEncryptionCertificatePassword { get; set; }

    /// <summary>
    /// A directory every replica shares (a mounted volume) that holds the Data Protection key ring instead of the
    /// metadata database. Unset, the key ring is kept in the database. Back it up with the database (docs/encryption.md).
    /// </summary>
    public string? KeyRingDirectory { get; set; }

    /// <summary>How long a key of the key ring protects new secrets before the next takes over (days, at least 7; default 90).</summary>
    [Range(7, 3650, ErrorMessage = "Cairn:KeyLifetimeDays must be between 7 and 3650 days.")]
    public int KeyLifetimeDays { get; set; } = 90;

    /// <summary>
    /// Whether version files (and MLflow's proxied artifacts) written to a directory store are encrypted, AES-256-GCM with a
    /// data key per file wrapped by the key ring. Files already written stay as they are, and are read either way.
    /// </summary>
    public bool EncryptFiles { get; set; }

    /// <summary>The Azure Blob encryption scope every blob is written with, for an <c>azure://</c> location (unset: the container's default).</summary>
    public string? AzureEncryptionScope { get; set; }

    /// <summary>Webhook delivery settings (<c>Cairn:Webhooks:*</c>; durations as <c>d.hh:mm:ss</c>).</summary>
    public WebhookDeliverySettings Webhooks { get; set; } = new();

    /// <summary>Governance settings (<c>Cairn:Governance:*</c>).</summary>
    public GovernanceSettings Governance { get; set; } = new();

    /// <summary>Sign-in with the organisation's OpenID provider (<c>Cairn:Oidc:*</c>, docs/auth.md); set, it turns authentication on.</summary>
    public Oidc.OidcSettings Oidc { get; set; } = new();

    /// <summary>The name recorded as actor when authentication is off.</summary>
    public string LocalUser { get; set; } = Environment.UserName;

    public string DatabasePath => !string.IsNullOrWhiteSpace(Database) ? Database
        : !string.IsNullOrWhiteSpace(BackendStoreUri) ? CairnDatabase.SqliteUriPath(BackendStoreUri) ?? PostgresUri(BackendStoreUri) ?? throw new InvalidOperationException(BackendStoreProblem(BackendStoreUri))
        : Path.Combine(DataDir, "cairn.db");

    public string ArtifactsPath => string.IsNullOrWhiteSpace(Artifacts) ? Path.Combine(DataDir, "artifacts") : Artifacts;

    /// <summary>
    /// The default artifact root as stored in new experiments: a URI as given, a local path made absolute against the
    /// working directory (as MLflow's server does at start-up).
    /// </summary>
    public string DefaultArtifactRootUri => string.IsNullOrWhiteSpace(DefaultArtifactRoot) ? "mlflow-artifacts:/"
        : TrackingArtifacts.Scheme(DefaultArtifactRoot) is null ? Path.GetFullPath(DefaultArtifactRoot)
        : DefaultArtifactRoot;

    /// <summary>The artifact proxy's destination: an absolute directory, or an object-store URI.</summary>
    public string ArtifactsDestinationLocation => string.IsNullOrWhiteSpace(ArtifactsDestination)
        ? (IsObjectStore(ArtifactsPath) ? ArtifactsPath.TrimEnd('/') + "/" + DefaultObjectStoreDestination : Path.GetFullPath(Path.Combine(DataDir, "mlartifacts")))
        : TrackingArtifacts.LocalPath(ArtifactsDestination) ?? ArtifactsDestination;

    /// <summary>
    /// The proxy's folder inside an object-store <see cref="Artifacts"/> location when no destination is set. Its name
    /// starts with '.', which no namespace or model name can, so it never meets a version's files.
    /// </summary>
    public const string DefaultObjectStoreDestination = ".mlartifacts";

    /// <summary>Whether callers must authenticate: <c>--auth token</c>, or an OpenID provider configured (which implies it).</summary>
    public bool TokenAuth => Auth == "token" || Oidc.Enabled;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(BackendStoreUri) && CairnDatabase.SqliteUriPath(BackendStoreUri) is null && PostgresUri(BackendStoreUri) is null)
        {
            yield return new ValidationResult(BackendStoreProblem(BackendStoreUri), [nameof(BackendStoreUri)]);
        }
        if (!string.IsNullOrWhiteSpace(DefaultArtifactRoot) && TrackingArtifacts.Scheme(DefaultArtifactRoot) is { } scheme
            && scheme.ToLowerInvariant() is not ("mlflow-artifacts" or "file" or "http" or "https"))
        {
            yield return new ValidationResult(
                $"Cairn:DefaultArtifactRoot '{Redact(DefaultArtifactRoot)}' is not supported yet ({scheme}: artifact roots arrive with object storage for runs): " +
                "use mlflow-artifacts:/, http(s)://host:port/api/2.0/mlflow-artifacts/artifacts, a file: URI or a local path.", [nameof(DefaultArtifactRoot)]);
        }
        else if (!string.IsNullOrWhiteSpace(DefaultArtifactRoot) && TrackingArtifacts.Scheme(DefaultArtifactRoot)?.ToLowerInvariant() is "http" or "https"
            && TrackingArtifacts.HttpProxyPath(DefaultArtifactRoot) is null)
        {
            // MLflow reads an http(s) root only through its proxy route; any other URL would leave runs' files unreachable.
            yield return new ValidationResult(
                $"Cairn:DefaultArtifactRoot '{Redact(DefaultArtifactRoot)}' is an http(s) URL without the artifact proxy's route {TrackingArtifacts.ProxyRoute}: " +
                $"use http(s)://host:port{TrackingArtifacts.ProxyRoute} (this server's proxy), as mlflow server does.", [nameof(DefaultArtifactRoot)]);
        }
        if (!string.IsNullOrWhiteSpace(S3.KmsKeyId) && S3.ServerSideEncryption is not ("aws:kms" or "aws:kms:dsse"))
        {
            yield return new ValidationResult("Cairn:S3:KmsKeyId is set, but Cairn:S3:ServerSideEncryption is not 'aws:kms' (or 'aws:kms:dsse'): S3 would ignore the key.", [nameof(S3)]);
        }
        else if (S3.ServerSideEncryption is { Length: > 0 } sse && !System.Text.RegularExpressions.Regex.IsMatch(sse, "^(aws:kms|aws:kms:dsse|AES256)$"))
        {
            yield return new ValidationResult($"Cairn:S3:ServerSideEncryption '{sse}' must be 'aws:kms', 'aws:kms:dsse' or 'AES256'.", [nameof(S3)]);
        }
        if (!string.IsNullOrWhiteSpace(KeyEncryptionCertificate) && KeyEncryptionProblem() is { } certificateProblem)
        {
            yield return new ValidationResult(certificateProblem, [nameof(KeyEncryptionCertificate)]);
        }
        foreach (var problem in Oidc.Problems())
        {
            yield return new ValidationResult(problem, [nameof(Oidc)]);
        }
        var networksProblem = WebhookNetworksProblem();
        if (networksProblem is not null)
        {
            yield return new ValidationResult(networksProblem, [nameof(WebhookAllowedNetworks)]);
        }
        if (!string.IsNullOrWhiteSpace(ArtifactsDestination) && TrackingArtifacts.LocalPath(ArtifactsDestination) is null && !IsObjectStore(ArtifactsDestination))
        {
            yield return new ValidationResult(
                $"Cairn:ArtifactsDestination '{Redact(ArtifactsDestination)}' is not supported ({TrackingArtifacts.Scheme(ArtifactsDestination)}:): use a directory, a file: URI, s3://bucket/prefix or azure://container/prefix.",
                [nameof(ArtifactsDestination)]);
        }
        else if (Overlap(ArtifactsPath, ArtifactsDestinationLocation) is { } overlap)
        {
            yield return new ValidationResult(
                $"Cairn:ArtifactsDestination '{Redact(ArtifactsDestinationLocation)}' and Cairn:Artifacts '{Redact(ArtifactsPath)}' {overlap}: " +
                "MLflow's files would mix with version files, which the start-up clean-up of unrecorded version files would delete. " +
                $"Use separate locations, or a folder whose name starts with '.' inside Cairn:Artifacts (the default for object stores is '{DefaultObjectStoreDestination}').",
                [nameof(ArtifactsDestination)]);
        }
    }

    /// <summary>The certificate of <see cref="KeyEncryptionCertificate"/>, or null when none is set.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? LoadKeyEncryptionCertificate() =>
        string.IsNullOrWhiteSpace(KeyEncryptionCertificate) ? null
            : System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(KeyEncryptionCertificate, KeyEncryptionCertificatePassword);

    private string? KeyEncryptionProblem()
    {
        try
        {
            using var certificate = LoadKeyEncryptionCertificate()!;
            return certificate.HasPrivateKey ? null
                : $"Cairn:KeyEncryptionCertificate '{KeyEncryptionCertificate}' holds no private key: Data Protection's keys could be encrypted but never read back.";
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            return $"Cairn:KeyEncryptionCertificate '{KeyEncryptionCertificate}' could not be read as a PKCS#12 (.pfx) file with Cairn:KeyEncryptionCertificatePassword: {e.Message}";
        }
    }

    private string? WebhookNetworksProblem()
    {
        try
        {
            Events.WebhookNetworks.Parse(WebhookAllowedNetworks);
            return null;
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }
    }

    private static bool IsObjectStore(string location) =>
        location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("azure://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// How the proxy's destination overlaps the version files' location, or null when it does not: the same place, one
    /// inside the other, except a destination in a '.' folder of the version files (which the clean-up leaves alone).
    /// </summary>
    private static string? Overlap(string artifacts, string destination)
    {
        static string Normal(string location) => (IsObjectStore(location)
            ? location[..location.IndexOf("://", StringComparison.Ordinal)].ToLowerInvariant() + location[location.IndexOf("://", StringComparison.Ordinal)..]
            : Path.GetFullPath(location)).TrimEnd('/') + "/";
        var (a, d) = (Normal(artifacts), Normal(destination));
        return a == d ? "are the same place"
            : d.StartsWith(a, StringComparison.Ordinal) ? (d[a.Length..].StartsWith('.') ? null : "overlap: the destination lies inside the version files' location")
            : a.StartsWith(d, StringComparison.Ordinal) ? "overlap: the version files' location lies inside the destination"
            : null;
    }

    /// <summary>A <c>postgresql://</c> (or <c>postgres://</c>, or SQLAlchemy's <c>postgresql+psycopg2://</c>) URI, as Npgsql takes it.</summary>
    private static string? PostgresUri(string uri)
    {
        var scheme = uri.IndexOf("://", StringComparison.Ordinal);
        return scheme > 0 && uri[..scheme].Split('+')[0] is "postgresql" or "postgres" ? "postgresql" + uri[scheme..] : null;
    }

    private static string BackendStoreProblem(string uri) =>
        $"Cairn:BackendStoreUri '{Redact(uri)}' is neither a sqlite:///path nor a postgresql://user:password@host/database URI.";

    /// <summary>A URI's password stays out of error messages.</summary>
    private static string Redact(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.UserInfo.Contains(':', StringComparison.Ordinal)
            ? uri.Replace(parsed.UserInfo, parsed.UserInfo[..parsed.UserInfo.IndexOf(':', StringComparison.Ordinal)] + ":****", StringComparison.Ordinal)
            : uri;

    /// <summary>The <c>Cairn:S3</c> settings (CAIRN_S3_* variables).</summary>
    public sealed class S3Section
    {
        public string? Endpoint { get; set; }

        public string? Region { get; set; }

        public string? AccessKeyId { get; set; }

        public string? SecretAccessKey { get; set; }

        public bool? ForcePathStyle { get; set; }

        /// <summary>S3 server-side encryption asked for on every object: <c>aws:kms</c>, <c>aws:kms:dsse</c> or <c>AES256</c> (unset: the bucket's default).</summary>
        [RegularExpression("^(aws:kms|aws:kms:dsse|AES256)$", ErrorMessage = "Cairn:S3:ServerSideEncryption must be 'aws:kms', 'aws:kms:dsse' or 'AES256'.")]
        public string? ServerSideEncryption { get; set; }

        /// <summary>The KMS key (id, ARN or alias) of <c>aws:kms</c> encryption (unset: the account's AWS-managed key).</summary>
        public string? KmsKeyId { get; set; }

        public Artifacts.S3Settings ToSettings() => new(Endpoint, Region, AccessKeyId, SecretAccessKey, ForcePathStyle, ServerSideEncryption, KmsKeyId);
    }
}

/// <summary>How webhook deliveries are made and retried (<c>Cairn:Webhooks</c>); see <see cref="Cairn.Events.WebhookOptions"/>.</summary>
public sealed class WebhookDeliverySettings
{
    private static readonly Cairn.Events.WebhookOptions Defaults = new();

    /// <summary>How long one attempt waits for the receiver (default 30 s).</summary>
    public TimeSpan Timeout { get; set; } = Defaults.Timeout;

    /// <summary>How often an idle dispatcher looks for other replicas' events (default 1 s).</summary>
    public TimeSpan PollInterval { get; set; } = Defaults.PollInterval;

    /// <summary>The first retry's longest wait; it doubles per attempt (default 1 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = Defaults.RetryBaseDelay;

    /// <summary>The longest wait between attempts (default 1 h).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = Defaults.RetryMaxDelay;

    /// <summary>How long a delivery is retried before it fails and its webhook is disabled (default 24 h).</summary>
    public TimeSpan Horizon { get; set; } = Defaults.Horizon;

    /// <summary>How long a replica holds a webhook before another may take it over (default 30 s).</summary>
    public TimeSpan LeaseTime { get; set; } = Defaults.LeaseTime;

    /// <summary>How long a rotated-out secret keeps signing by default (default 24 h).</summary>
    public TimeSpan SecretGrace { get; set; } = Defaults.SecretGrace;

    /// <summary>How many webhooks one replica serves side by side (default 10).</summary>
    public int MaxParallelWebhooks { get; set; } = Defaults.MaxParallelWebhooks;

    /// <summary>The CloudEvents <c>source</c> (default <c>/cairn</c>; set the server's base URL).</summary>
    public string CloudEventsSource { get; set; } = Defaults.CloudEventsSource;
}

/// <summary>Governance settings (<c>Cairn:Governance</c>).</summary>
public sealed class GovernanceSettings
{
    /// <summary>How often pending promotion requests past their time are marked EXPIRED (default 1 min).</summary>
    public TimeSpan ExpirySweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}
