using Cairn.Artifacts;

namespace Cairn.Tracking;

/// <summary>
/// Where MLflow run artifacts go, with the meanings of <c>mlflow server</c>'s options.
/// <see cref="DefaultArtifactRoot"/> is the root of new experiments' artifact locations (an experiment's location is
/// <c>{root}/{experiment_id}</c>, a run's artifact URI <c>{location}/{run_id}/artifacts</c>); with the default
/// <c>mlflow-artifacts:/</c> clients upload through the server's artifact proxy (<see cref="RunArtifacts"/>), which keeps
/// the files in its destination store at the same relative paths MLflow's proxy would.
/// </summary>
public sealed record TrackingArtifacts(string DefaultArtifactRoot)
{
    public const string ProxyScheme = "mlflow-artifacts:";

    /// <summary>The proxy path no client may use: the filesystem store stages uploads there.</summary>
    public const string StagingFolder = ".staging";

    /// <summary>An experiment's artifact location under the default root.</summary>
    public string ExperimentLocation(long experimentId) => $"{DefaultArtifactRoot.TrimEnd('/')}/{experimentId}";

    /// <summary>A run's artifact URI under its experiment's location.</summary>
    public static string RunArtifactUri(string experimentLocation, string runId) => $"{experimentLocation.TrimEnd('/')}/{runId}/artifacts";

    /// <summary>
    /// Where an artifact URI's files are: <c>mlflow-artifacts:/x</c> (or with an authority,
    /// <c>mlflow-artifacts://host:port/x</c>) under the key <c>x</c> of the proxy's destination; <c>file:</c> URIs and
    /// plain paths in that directory of this machine, a relative path being relative to the working directory, as in MLflow.
    /// </summary>
    /// <exception cref="InvalidParameterException">The URI is on object storage or another scheme this server does not reach, or its proxy path is unsafe.</exception>
    public static ArtifactRoot Resolve(string artifactUri)
    {
        ArgumentNullException.ThrowIfNull(artifactUri);
        if (artifactUri.StartsWith(ProxyScheme, StringComparison.Ordinal))
        {
            var rest = WithoutAuthority(artifactUri[ProxyScheme.Length..]).Trim('/');
            return new ArtifactRoot(Proxied: true, rest.Length == 0 ? "" : ProxyKey(rest));
        }
        if (HttpProxyPath(artifactUri) is { } proxied)
        {
            return new ArtifactRoot(Proxied: true, proxied.Length == 0 ? "" : ProxyKey(proxied));
        }
        return new ArtifactRoot(Proxied: false, LocalPath(artifactUri) ?? throw new InvalidParameterException(
            $"Artifact location '{artifactUri}' is not reachable from this server ({Scheme(artifactUri)}:// locations are not supported as run artifact roots); " +
            "use mlflow-artifacts:/, a file: URI or a local path."));
    }

    /// <summary>The route of the artifact proxy's files, which an http(s) artifact root names (MLflow's anchor).</summary>
    public const string ProxyRoute = "/api/2.0/mlflow-artifacts/artifacts";

    /// <summary>
    /// The proxy path of an <c>http(s)://host/…/api/2.0/mlflow-artifacts/artifacts/path</c> URI (what <c>mlflow server
    /// --default-artifact-root http://…</c> gives experiments): as MLflow's server does, such a root is taken to be this
    /// server's proxy, whatever its host, and its files are read from the destination at the path after the route.
    /// Null for any other URI.
    /// </summary>
    public static string? HttpProxyPath(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (Scheme(uri)?.ToLowerInvariant() is not ("http" or "https") || !Uri.TryCreate(uri, UriKind.Absolute, out var parsed))
        {
            return null;
        }
        var path = parsed.AbsolutePath;
        var at = path.IndexOf(ProxyRoute, StringComparison.Ordinal);
        if (at < 0 || (path.Length > at + ProxyRoute.Length && path[at + ProxyRoute.Length] != '/'))
        {
            return null;
        }
        return Uri.UnescapeDataString(path[(at + ProxyRoute.Length)..]).Trim('/');
    }

    /// <summary>
    /// An experiment's artifact location as MLflow's stores keep it: a relative path made absolute against the working
    /// directory (a <c>file:</c> URI stays a <c>file:</c> URI), anything else as given.
    /// </summary>
    /// <exception cref="InvalidParameterException">The location's query string contains '..' (MLflow refuses it: it could reach other paths).</exception>
    public static string ResolveIfLocal(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var query = location.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0 && Decoded(location[(query + 1)..]).Contains("..", StringComparison.Ordinal))
        {
            throw new InvalidParameterException("Invalid query string");
        }
        if (Scheme(location) is null)
        {
            return Path.GetFullPath(location);
        }
        if (location.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && !Path.IsPathRooted(Uri.UnescapeDataString(WithoutAuthority(location["file:".Length..]))))
        {
            return new Uri(LocalPath(location)!).AbsoluteUri;
        }
        return location;
    }

    /// <summary>
    /// A file path on this machine for a <c>file:</c> URI or a plain path (made absolute against the working
    /// directory); null for any other URI (s3://, gs://, azure://, mlflow-artifacts:/…).
    /// </summary>
    public static string? LocalPath(string uriOrPath)
    {
        ArgumentNullException.ThrowIfNull(uriOrPath);
        if (uriOrPath.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            // file:///abs, file://host/abs (the host is ignored, as MLflow's local_file_uri_to_path does) and file:rel.
            var path = Uri.UnescapeDataString(WithoutAuthority(uriOrPath["file:".Length..]));
            return Path.GetFullPath(path.Length == 0 ? "/" : path);
        }
        return Scheme(uriOrPath) is null ? Path.GetFullPath(uriOrPath) : null;
    }

    /// <summary>A URI's scheme (<c>s3</c> in <c>s3://b/k</c>); null for a plain path, including a Windows drive (<c>C:\x</c>).</summary>
    public static string? Scheme(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 2 || !char.IsAsciiLetter(value[0]))
        {
            return null;
        }
        for (var i = 1; i < colon; i++)
        {
            if (!char.IsAsciiLetterOrDigit(value[i]) && value[i] is not ('+' or '-' or '.'))
            {
                return null;
            }
        }
        return value[..colon];
    }

    /// <summary>
    /// The key of a proxy path (relative to the destination), checked as MLflow's <c>validate_path_is_safe</c> checks
    /// it — percent-decoded until it no longer changes, no <c>#</c> — and as every Cairn artifact path is (no <c>..</c>,
    /// no absolute path, no backslash, no NUL). The staging folder is not addressable.
    /// </summary>
    /// <exception cref="InvalidParameterException">The path is unsafe.</exception>
    public static string ProxyKey(string path)
    {
        CheckPath(path);
        if (path.Split('/')[0] == StagingFolder)
        {
            throw new InvalidParameterException($"Artifact path '{path}' is reserved for uploads in progress.");
        }
        return path;
    }

    /// <summary>Checks a path relative to an artifact root as <see cref="ProxyKey"/> does, and returns it.</summary>
    /// <exception cref="InvalidParameterException">The path is unsafe.</exception>
    public static string CheckPath(string? path)
    {
        // Decoded as MLflow decodes it: a path that only looks harmless while still encoded is refused too.
        if (path is null || !ArtifactPath.IsSafe(path) || Decoded(path) is var decoded && (decoded.Contains('#', StringComparison.Ordinal) || !ArtifactPath.IsSafe(decoded)))
        {
            // MLflow's words for every unsafe path, whatever the reason.
            throw new InvalidParameterException(InvalidPathMessage);
        }
        return path;
    }

    /// <summary>What MLflow's <c>validate_path_is_safe</c> answers for an unsafe path.</summary>
    public const string InvalidPathMessage = "Invalid path";

    /// <summary>Percent-decoded until it no longer changes (at most ten times), as MLflow's <c>_decode</c>.</summary>
    private static string Decoded(string text)
    {
        for (var i = 0; i < 10; i++)
        {
            var next = Uri.UnescapeDataString(text);
            if (next == text)
            {
                break;
            }
            text = next;
        }
        return text;
    }

    /// <summary><c>//authority/path</c> → <c>/path</c>; anything else unchanged.</summary>
    private static string WithoutAuthority(string rest)
    {
        if (!rest.StartsWith("//", StringComparison.Ordinal))
        {
            return rest;
        }
        var slash = rest.IndexOf('/', 2);
        return slash < 0 ? "" : rest[slash..];
    }
}

/// <summary>
/// Where a run's artifacts are: under the key prefix <see cref="Path"/> of the artifact proxy's destination
/// (<see cref="Proxied"/>), or in the directory <see cref="Path"/> of this machine.
/// </summary>
public sealed record ArtifactRoot(bool Proxied, string Path);
