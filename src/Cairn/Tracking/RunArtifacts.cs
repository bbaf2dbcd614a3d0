using Cairn.Artifacts;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;

namespace Cairn.Tracking;

/// <summary>One entry of an artifact listing, as MLflow's FileInfo: a path, whether it is a directory, a size for files.</summary>
public sealed record ArtifactFileInfo(string Path, bool IsDir, long? FileSize);

/// <summary>
/// MLflow run artifacts on the local filesystem: the artifact proxy's destination (paths of
/// <c>mlflow-artifacts:/…</c> URIs) and local artifact locations. Uploads stream through a staged file with their
/// SHA-256 computed on the way in and are renamed into place only when complete, so a dropped upload leaves nothing.
/// Object-store locations (s3://, azure://) are not reachable from here yet.
/// </summary>
public sealed class RunArtifacts(TrackingArtifacts locations, CairnDatabase database, AuditChain audit, ArtifactLimits limits)
{
    /// <summary>Staged uploads live here, inside the destination (one filesystem, so the final rename is atomic).</summary>
    public const string StagingFolder = ".cairn-staging";

    /// <summary>Stores a file at a proxy path (relative to the artifacts destination).</summary>
    public async Task<HashedCopy> PutAsync(Caller caller, string path, Stream content, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var target = ProxyPath(path);
        var staging = Path.Combine(locations.ArtifactsDestination, StagingFolder);
        Directory.CreateDirectory(staging);
        var staged = Path.Combine(staging, Guid.NewGuid().ToString("N"));
        try
        {
            HashedCopy copy;
            using (var file = File.OpenHandle(staged, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.Asynchronous))
            {
                copy = await HashingCopy.CopyAsync(content, (bytes, offset, ct) => RandomAccess.WriteAsync(file, bytes, offset, ct), limits.MaxFileBytes, withMd5: false, cancellationToken);
                RandomAccess.FlushToDisk(file);
            }
            if (Directory.Exists(target))
            {
                throw new InvalidParameterException($"Artifact path '{path}' is a directory.");
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await database.WriteAsync(async (_, transaction) =>
            {
                await audit.AppendAsync(transaction, caller.Name, "artifact.put", $"mlflow-artifacts/{path}", null,
                    new { path, size = copy.Size, sha256 = copy.Sha256 }, cancellationToken);
                // Moved last, once its audit entry is written: a failed audit append leaves nothing in place.
                File.Move(staged, target, overwrite: true);
                return 0;
            }, cancellationToken);
            return copy;
        }
        finally
        {
            File.Delete(staged);
        }
    }

    /// <summary>Removes uploads a killed process left staged.</summary>
    public int RemoveAbandonedStaging()
    {
        var staging = new DirectoryInfo(Path.Combine(locations.ArtifactsDestination, StagingFolder));
        if (!staging.Exists)
        {
            return 0;
        }
        var files = staging.GetFiles();
        foreach (var file in files)
        {
            file.Delete();
        }
        return files.Length;
    }

    /// <summary>Opens a stored file for reading (seekable, so ranges can be served from it).</summary>
    public FileInfo Find(Caller caller, string path)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var file = new FileInfo(ProxyPath(path));
        return file.Exists ? file : throw new NotFoundException($"Artifact '{path}' does not exist.");
    }

    /// <summary>The proxy's listing of one directory: entries named by their base names, as MLflow's proxy answers.</summary>
    public IReadOnlyList<ArtifactFileInfo> ListProxy(Caller caller, string? path)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var directory = string.IsNullOrEmpty(path) ? locations.ArtifactsDestination : ProxyPath(path);
        return List(directory, prefix: "").Where(f => f.Path != StagingFolder).ToList();
    }

    public async Task DeleteAsync(Caller caller, string path, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var target = ProxyPath(path);
        if (!File.Exists(target) && !Directory.Exists(target))
        {
            throw new NotFoundException($"Artifact '{path}' does not exist.");
        }
        await database.WriteAsync(async (_, transaction) =>
        {
            await audit.AppendAsync(transaction, caller.Name, "artifact.delete", $"mlflow-artifacts/{path}", new { path }, null, cancellationToken);
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }
            else
            {
                File.Delete(target);
            }
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// A run's artifacts under <paramref name="path"/> (relative to the run's artifact URI), with paths relative to that
    /// URI, as MLflow's artifacts/list answers.
    /// </summary>
    public IReadOnlyList<ArtifactFileInfo> ListRun(Caller caller, string artifactUri, string? path)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var root = LocalDirectory(artifactUri);
        if (string.IsNullOrEmpty(path))
        {
            return List(root, prefix: "");
        }
        ArtifactPath.Check(path);
        var directory = Path.Combine(root, path);
        // MLflow lists a file path as that one file's parent entry being absent: an empty listing.
        return Directory.Exists(directory) ? List(directory, prefix: path.TrimEnd('/') + "/") : [];
    }

    /// <summary>
    /// Where an artifact URI's files are on this machine: <c>mlflow-artifacts:/x</c> (or with an authority,
    /// <c>mlflow-artifacts://host/x</c>) under the proxy's destination; <c>file://</c> URIs and plain paths as they are,
    /// a relative path being relative to the server's working directory as in MLflow.
    /// </summary>
    public string LocalDirectory(string artifactUri)
    {
        ArgumentNullException.ThrowIfNull(artifactUri);
        if (artifactUri.StartsWith(TrackingArtifacts.ProxyScheme, StringComparison.Ordinal))
        {
            var rest = artifactUri[TrackingArtifacts.ProxyScheme.Length..];
            if (rest.StartsWith("//", StringComparison.Ordinal))
            {
                var slash = rest.IndexOf('/', 2);
                rest = slash < 0 ? "" : rest[slash..];
            }
            rest = rest.Trim('/');
            return rest.Length == 0 ? locations.ArtifactsDestination : ProxyPath(rest);
        }
        if (artifactUri.StartsWith("file:", StringComparison.Ordinal))
        {
            return new Uri(artifactUri).LocalPath;
        }
        if (artifactUri.Contains("://", StringComparison.Ordinal))
        {
            throw new InvalidParameterException(
                $"Artifact location '{artifactUri}' is not on this server's filesystem; object-store locations are not supported yet.");
        }
        return Path.GetFullPath(artifactUri);
    }

    private string ProxyPath(string path) => Path.Combine(locations.ArtifactsDestination, ArtifactPath.Check(path));

    private static List<ArtifactFileInfo> List(string directory, string prefix)
    {
        var info = new DirectoryInfo(directory);
        if (!info.Exists)
        {
            return [];
        }
        return info.EnumerateFileSystemInfos()
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .Select(e => e is FileInfo file
                ? new ArtifactFileInfo(prefix + file.Name, false, file.Length)
                : new ArtifactFileInfo(prefix + e.Name, true, null))
            .ToList();
    }
}
