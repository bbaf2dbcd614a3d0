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
    public const string StagingFolder = TrackingArtifacts.StagingFolder;

    /// <summary>
    /// Stores a file at a proxy path (relative to the artifacts destination), replacing one already there.
    /// <paramref name="declaredLength"/> (a request's Content-Length) lets a body over the limit be refused before any of it is read.
    /// </summary>
    /// <exception cref="PayloadTooLargeException">The body is larger than the server's file size limit; nothing is kept.</exception>
    public async Task<HashedCopy> PutAsync(Caller caller, string path, Stream content, long? declaredLength, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var target = locations.ProxyPath(path);
        if (declaredLength > limits.MaxFileBytes)
        {
            throw new PayloadTooLargeException($"The file is larger than the limit of {limits.MaxFileBytes} bytes.");
        }
        RefuseFolderClash(path, target);
        var staging = Path.Combine(locations.ArtifactsDestination, StagingFolder);
        Directory.CreateDirectory(staging);
        var staged = Path.Combine(staging, Guid.NewGuid().ToString("N"));
        try
        {
            var copy = await HashingCopy.ToFileAsync(content, staged, limits.MaxFileBytes, withMd5: false, durable: true, alsoSend: null, cancellationToken);
            // Again: another upload may have made a folder of this path (or of one of its parents) meanwhile.
            RefuseFolderClash(path, target);
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

    /// <summary>A stored file, for reading (seekable, so ranges can be served from it).</summary>
    public FileInfo Find(Caller caller, string path)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var file = new FileInfo(locations.ProxyPath(path));
        return file.Exists ? file : throw new NotFoundException($"Artifact '{path}' does not exist.");
    }

    /// <summary>
    /// The proxy's listing of one directory (the destination itself without a path): entries named by their base
    /// names, as MLflow's proxy answers; a missing directory or a file lists as nothing.
    /// </summary>
    public IReadOnlyList<ArtifactFileInfo> ListProxy(Caller caller, string? path)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var directory = string.IsNullOrEmpty(path) ? locations.ArtifactsDestination : locations.ProxyPath(path.TrimEnd('/'));
        return List(directory, prefix: "");
    }

    /// <summary>
    /// Deletes a file or a whole directory at a proxy path. As MLflow's local repository does, a path with nothing at
    /// it is no error: the answer is false and nothing is recorded.
    /// </summary>
    public async Task<bool> DeleteAsync(Caller caller, string path, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var target = locations.ProxyPath(path.TrimEnd('/'));
        if (!File.Exists(target) && !Directory.Exists(target))
        {
            return false;
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
        return true;
    }

    /// <summary>
    /// A run's artifacts under <paramref name="path"/> (relative to the run's artifact URI), with paths relative to that
    /// URI, as MLflow's artifacts/list answers. A missing directory or a file lists as nothing.
    /// </summary>
    /// <exception cref="InvalidParameterException">The path is unsafe, or the artifact URI is not on this machine (object storage).</exception>
    public IReadOnlyList<ArtifactFileInfo> ListRun(Caller caller, string artifactUri, string? path)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var root = locations.LocalDirectory(artifactUri);
        if (string.IsNullOrEmpty(path))
        {
            return List(root, prefix: "");
        }
        path = TrackingArtifacts.CheckPath(path.TrimEnd('/'));
        return List(Path.Combine(root, path), prefix: path + "/");
    }

    /// <summary>Where an artifact URI's files are on this machine (see <see cref="TrackingArtifacts.LocalDirectory"/>).</summary>
    public string LocalDirectory(string artifactUri) => locations.LocalDirectory(artifactUri);

    /// <summary>A file cannot replace a directory, nor sit under a path that is a file.</summary>
    private void RefuseFolderClash(string path, string target)
    {
        if (Directory.Exists(target))
        {
            throw new InvalidParameterException($"Artifact path '{path}' is a directory.");
        }
        for (var parent = Path.GetDirectoryName(target); parent is not null && parent.Length > locations.ArtifactsDestination.Length; parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                throw new InvalidParameterException($"Artifact path '{path}' lies under '{Path.GetRelativePath(locations.ArtifactsDestination, parent).Replace('\\', '/')}', which is a file.");
            }
        }
    }

    private List<ArtifactFileInfo> List(string directory, string prefix)
    {
        var info = new DirectoryInfo(directory);
        if (!info.Exists)
        {
            return [];
        }
        var atDestination = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) == locations.ArtifactsDestination.TrimEnd(Path.DirectorySeparatorChar);
        return info.EnumerateFileSystemInfos()
            .Where(e => !(atDestination && e.Name == StagingFolder))
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .Select(e => e is FileInfo file
                ? new ArtifactFileInfo(prefix + file.Name, false, file.Length)
                : new ArtifactFileInfo(prefix + e.Name, true, null))
            .ToList();
    }
}
