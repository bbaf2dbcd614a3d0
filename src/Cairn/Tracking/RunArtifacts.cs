using Cairn.Artifacts;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;

namespace Cairn.Tracking;

/// <summary>One entry of an artifact listing, as MLflow's FileInfo: a path, whether it is a directory, a size for files.</summary>
public sealed record ArtifactFileInfo(string Path, bool IsDir, long? FileSize);

/// <summary>
/// A proxied artifact opened for reading: its bytes (seekable, so ranges can be served), its file name, and which
/// version of it they are when that is known for certain (what lets a download be resumed with If-Range).
/// </summary>
public sealed record ArtifactContent(Stream Content, string FileName, StoredVersion? Version = null);

/// <summary>
/// MLflow run artifacts: the artifact proxy's destination (paths of <c>mlflow-artifacts:/…</c> URIs), kept in an
/// <see cref="IArtifactStore"/> — a directory, or the bucket every replica shares — and local artifact locations
/// (<c>file:</c> URIs, paths) for listing. Uploads stream into the store's staging with their SHA-256 computed on the
/// way in and appear only when complete, so a dropped upload leaves nothing.
/// </summary>
public sealed class RunArtifacts(IArtifactStore destination, CairnDatabase database, AuditChain audit, ArtifactLimits limits)
{
    /// <summary>The store the proxy keeps files in (its <c>--artifacts-destination</c>).</summary>
    public IArtifactStore Destination => destination;

    /// <summary>
    /// Stores a file at a proxy path (relative to the artifacts destination), replacing one already there.
    /// <paramref name="declaredLength"/> (a request's Content-Length) lets a body over the limit be refused before any of it is read.
    /// </summary>
    /// <exception cref="PayloadTooLargeException">The body is larger than the server's file size limit; nothing is kept.</exception>
    public async Task PutAsync(Caller caller, string path, Stream content, long? declaredLength, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var key = TrackingArtifacts.ProxyKey(path);
        if (declaredLength > limits.MaxFileBytes)
        {
            throw new PayloadTooLargeException($"The file is larger than the limit of {limits.MaxFileBytes} bytes.");
        }
        await RefuseFolderClashAsync(key, cancellationToken);
        await using var staged = await destination.StageAsync(key, content, limits.MaxFileBytes, withMd5: false, cancellationToken);
        // Again: another upload may have made a folder of this path (or a file of one of its parents) meanwhile.
        await RefuseFolderClashAsync(key, cancellationToken);
        await database.WriteAsync(async (_, transaction) =>
        {
            await audit.AppendAsync(transaction, caller.Name, "artifact.put", $"mlflow-artifacts/{key}", null,
                new { path = key, size = staged.Size, sha256 = staged.Sha256 }, cancellationToken);
            // Committed last, once its audit entry is written: a failed audit append leaves nothing in place.
            await destination.CommitAsync(staged, key, cancellationToken);
            return 0;
        }, cancellationToken);
        CairnTelemetry.BytesUploaded.Add(staged.Size);
    }

    /// <summary>Removes uploads a killed process left staged.</summary>
    public Task<int> RemoveAbandonedStagingAsync(CancellationToken cancellationToken) => destination.RemoveAbandonedStagingAsync(cancellationToken);

    /// <summary>A stored file, opened for reading.</summary>
    /// <exception cref="NotFoundException">No file is stored at the path (a directory is not a file).</exception>
    public async Task<ArtifactContent> OpenAsync(Caller caller, string path, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var key = TrackingArtifacts.ProxyKey(path);
        try
        {
            // Described before and after opening: only when both agree are the bytes opened surely that version.
            var before = await destination.DescribeAsync(key, cancellationToken);
            var content = await destination.OpenReadAsync(key, 0, null, cancellationToken);
            var after = await destination.DescribeAsync(key, cancellationToken);
            return new ArtifactContent(content, key[(key.LastIndexOf('/') + 1)..], before is not null && before == after ? before : null);
        }
        catch (NotFoundException)
        {
            throw new NotFoundException($"Artifact '{path}' does not exist.");
        }
    }

    /// <summary>
    /// A file under an artifact URI (a logged model's or a run's): through the proxy's destination for an
    /// <c>mlflow-artifacts:</c> URI, from this machine's directory for a local one.
    /// </summary>
    /// <exception cref="NotFoundException">No file at the path.</exception>
    /// <exception cref="InvalidParameterException">The path is unsafe, or the URI is not reachable from here.</exception>
    public async Task<ArtifactContent> OpenUnderAsync(Caller caller, string artifactUri, string path, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var relative = TrackingArtifacts.CheckPath(path);
        var root = TrackingArtifacts.Resolve(artifactUri);
        if (root.Proxied)
        {
            return await OpenAsync(caller, root.Path.Length == 0 ? relative : $"{root.Path}/{relative}", cancellationToken);
        }
        try
        {
            var content = await new FileSystemArtifactStore(root.Path).OpenReadAsync(relative, 0, null, cancellationToken);
            return new ArtifactContent(content, relative[(relative.LastIndexOf('/') + 1)..]);
        }
        catch (NotFoundException)
        {
            throw new NotFoundException($"Artifact '{path}' does not exist.");
        }
    }

    /// <summary>
    /// The proxy's listing of one directory (the destination itself without a path): entries named by their base
    /// names, as MLflow's proxy answers; a missing directory or a file lists as nothing.
    /// </summary>
    public async Task<IReadOnlyList<ArtifactFileInfo>> ListProxyAsync(Caller caller, string? path, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var directory = string.IsNullOrEmpty(path) ? "" : TrackingArtifacts.ProxyKey(path.TrimEnd('/'));
        return await ListAsync(destination, directory, e => e.Key[(e.Key.LastIndexOf('/') + 1)..], cancellationToken);
    }

    /// <summary>
    /// Deletes a file or a whole directory at a proxy path. As MLflow's local repository does, a path with nothing at
    /// it is no error: the answer is false and nothing is recorded.
    /// </summary>
    public async Task<bool> DeleteAsync(Caller caller, string path, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var key = TrackingArtifacts.ProxyKey(path.TrimEnd('/'));
        var keys = await destination.ListAsync(key + "/", cancellationToken).Select(o => o.Key).ToListAsync(cancellationToken);
        if (await destination.ExistsAsync(key, cancellationToken))
        {
            keys.Add(key);
        }
        if (keys.Count == 0)
        {
            return false;
        }
        await database.WriteAsync(async (_, transaction) =>
        {
            await audit.AppendAsync(transaction, caller.Name, "artifact.delete", $"mlflow-artifacts/{key}", new { path = key, files = keys.Count }, null, cancellationToken);
            foreach (var stored in keys)
            {
                await destination.DeleteAsync(stored, cancellationToken);
            }
            return 0;
        }, cancellationToken);
        return true;
    }

    /// <summary>
    /// A run's artifacts under <paramref name="path"/> (relative to the run's artifact URI), with paths relative to that
    /// URI, as MLflow's artifacts/list answers. A missing directory or a file lists as nothing.
    /// </summary>
    /// <exception cref="InvalidParameterException">The path is unsafe, or the artifact URI is not reachable from here (object storage).</exception>
    public async Task<IReadOnlyList<ArtifactFileInfo>> ListRunAsync(Caller caller, string artifactUri, string? path, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var root = TrackingArtifacts.Resolve(artifactUri);
        // A local root is read through a store over its directory, which writes nothing until something is staged.
        var (store, prefix) = root.Proxied ? (destination, root.Path) : (new FileSystemArtifactStore(root.Path), "");
        var relative = string.IsNullOrEmpty(path) ? "" : TrackingArtifacts.CheckPath(path.TrimEnd('/'));
        var directory = string.Join('/', new[] { prefix, relative }.Where(p => p.Length > 0));
        var skip = prefix.Length == 0 ? 0 : prefix.Length + 1;
        return await ListAsync(store, directory, e => e.Key[skip..], cancellationToken);
    }

    /// <summary>
    /// A file of a run, by its path relative to the run's artifact URI: from the proxy's destination for a proxied URI
    /// (<c>mlflow-artifacts:</c>, or the proxy's http(s) route), else from the local directory the URI names.
    /// </summary>
    /// <exception cref="InvalidParameterException">The path is unsafe, or the URI is not reachable from here.</exception>
    /// <exception cref="NotFoundException">No file is at the path.</exception>
    public async Task<ArtifactContent> OpenRunFileAsync(Caller caller, string artifactUri, string path, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        TrackingArtifacts.CheckPath(path);
        var root = TrackingArtifacts.Resolve(artifactUri);
        var name = path[(path.LastIndexOf('/') + 1)..];
        if (root.Proxied)
        {
            var key = TrackingArtifacts.ProxyKey(root.Path.Length == 0 ? path : $"{root.Path}/{path}");
            try
            {
                return new ArtifactContent(await destination.OpenReadAsync(key, 0, null, cancellationToken), name);
            }
            catch (NotFoundException)
            {
                throw new NotFoundException($"Artifact '{path}' does not exist.");
            }
        }
        var file = System.IO.Path.Combine(root.Path, path);
        return File.Exists(file)
            ? new ArtifactContent(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous), name)
            : throw new NotFoundException($"Artifact '{path}' does not exist.");
    }

    /// <summary>
    /// Stores a file of a run at a path relative to the run's artifact URI (MLflow's upload-artifact): through the
    /// proxy's destination for a proxied URI, else into the local directory the URI names, written aside and renamed
    /// into place, the write audited.
    /// </summary>
    /// <exception cref="InvalidParameterException">The path is unsafe, or the URI is not reachable from here.</exception>
    public async Task PutRunFileAsync(Caller caller, string artifactUri, string path, Stream content, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        TrackingArtifacts.CheckPath(path);
        var root = TrackingArtifacts.Resolve(artifactUri);
        if (root.Proxied)
        {
            await PutAsync(caller, root.Path.Length == 0 ? path : $"{root.Path}/{path}", content, null, cancellationToken);
            return;
        }
        var file = System.IO.Path.Combine(root.Path, path);
        if (Directory.Exists(file))
        {
            throw new InvalidParameterException($"Artifact path '{path}' is a directory.");
        }
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        var aside = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(file)!, $".{Guid.NewGuid():N}.part");
        try
        {
            long size;
            await using (var target = new FileStream(aside, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(target, cancellationToken);
                size = target.Length;
            }
            await database.WriteAsync(async (_, transaction) =>
            {
                await audit.AppendAsync(transaction, caller.Name, "artifact.put", $"run-artifacts/{artifactUri}/{path}", null,
                    new { artifact_uri = artifactUri, path, size }, cancellationToken);
                File.Move(aside, file, overwrite: true);
                return 0;
            }, cancellationToken);
            CairnTelemetry.BytesUploaded.Add(size);
        }
        finally
        {
            File.Delete(aside);
        }
    }

    private static async Task<IReadOnlyList<ArtifactFileInfo>> ListAsync(IArtifactStore store, string directory, Func<StoredEntry, string> name, CancellationToken cancellationToken)
    {
        var entries = await store.ListDirectoryAsync(directory, cancellationToken)
            .Select(e => new ArtifactFileInfo(name(e), e.IsDirectory, e.Size))
            .ToListAsync(cancellationToken);
        return entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>A file cannot replace a directory, nor sit under a path that is a file (one store must look like one tree).</summary>
    private async Task RefuseFolderClashAsync(string key, CancellationToken cancellationToken)
    {
        if (await destination.ListAsync(key + "/", cancellationToken).AnyAsync(cancellationToken))
        {
            throw new InvalidParameterException($"Artifact path '{key}' is a directory.");
        }
        for (var slash = key.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = key.IndexOf('/', slash + 1))
        {
            if (await destination.ExistsAsync(key[..slash], cancellationToken))
            {
                throw new InvalidParameterException($"Artifact path '{key}' lies under '{key[..slash]}', which is a file.");
            }
        }
    }
}
