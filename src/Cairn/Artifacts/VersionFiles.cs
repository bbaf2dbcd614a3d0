using System.Data.Common;
using System.Text.Json;
using Cairn.Artifacts.Formats;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Registry;
using Cairn.Storage;
using Dapper;

namespace Cairn.Artifacts;

/// <summary>A file of a model version, as listed.</summary>
public sealed record VersionFile(string Path, long Size, string Sha256, string Format, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>An open file: what it is and its bytes (the caller disposes the stream).</summary>
public sealed record VersionFileContent(VersionFile File, Stream Content);

/// <summary>Checksums the caller declared for an upload; a mismatch refuses the file.</summary>
public sealed record DeclaredChecksums(string? Md5Base64 = null, string? Sha256 = null);

/// <summary>
/// The files of model versions: streamed into the artifact store with their checksums, recorded in the
/// database in one transaction with their audit entry, and inspected for the model's format and signature.
/// A version takes files while it is PENDING_REGISTRATION; once READY (or FAILED) its files are frozen.
/// </summary>
public sealed class VersionFiles(CairnDatabase database, IArtifactStore store, AuditChain audit, TimeProvider clock, ArtifactLimits limits)
{
    /// <summary>How old an unrecorded object must be before the start-up janitor deletes it.</summary>
    public static readonly TimeSpan OrphanGracePeriod = TimeSpan.FromHours(1);

    private sealed record FileRow
    {
        public string Path { get; init; } = "";
        public string StorageKey { get; init; } = "";
        public long Size { get; init; }
        public string Sha256 { get; init; } = "";
        public string Format { get; init; } = "";
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    private sealed record VersionRow
    {
        public long Id { get; init; }
        public string Namespace { get; init; } = "";
        public string Name { get; init; } = "";
        public string Status { get; init; } = "";
    }

    public async Task<VersionFile> PutAsync(
        Caller caller, string model, int version, string path, Stream content, DeclaredChecksums declared, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        ArtifactPath.Check(path);
        // Refuse early, before any byte is stored; checked again in the transaction that records the file.
        var writable = await database.ReadAsync(c => RequireWritableAsync(c, null, model, version, cancellationToken), cancellationToken);

        await using var staged = await store.StageAsync(StorageKey(writable, version, path), content, limits.MaxFileBytes, withMd5: declared.Md5Base64 is not null, cancellationToken);
        CheckDeclared(declared, staged, path);
        var format = await InspectAsync(model, version, path, staged, cancellationToken);

        var stored = await database.WriteAsync(async (connection, transaction) =>
        {
            var target = await RequireWritableAsync(connection, transaction, model, version, cancellationToken);
            var key = StorageKey(target, version, path);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var file = new VersionFile(path, staged.Size, staged.Sha256, format.Format, DateTimeOffset.FromUnixTimeMilliseconds(now), caller.Name);
            // No silent replacement: renaming over a recorded file before the commit could leave new bytes under
            // an old checksum if the commit then failed. Replacing is delete, then put.
            if (await FindAsync(transaction, target.Id, path, cancellationToken) is not null)
            {
                throw new AlreadyExistsException($"Version {version} of model '{model}' already has a file '{path}'; delete it first to replace it.");
            }
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO version_files (version_id, path, storage_key, size, sha256, format, created_at, created_by)
                VALUES (@Id, @path, @key, @Size, @Sha256, @Format, @now, @by)
                """,
                new { target.Id, path, key, staged.Size, staged.Sha256, format.Format, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            await RecordFormatAsync(transaction, target.Id, format, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "version.file.put", $"{ModelRegistry.Resource(model, version)}/files/{path}", null, file, cancellationToken);
            // Last step before the commit: if the commit then failed, the janitor finds a file with no row.
            await store.CommitAsync(staged, key, cancellationToken);
            return file;
        }, cancellationToken);
        CairnTelemetry.BytesUploaded.Add(stored.Size);
        return stored;
    }

    public async Task<IReadOnlyList<VersionFile>> ListAsync(Caller caller, string model, int version, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        return await database.ReadAsync(async connection =>
        {
            var id = await VersionIdAsync(connection, model, version, cancellationToken);
            var rows = await connection.QueryAsync<FileRow>(new CommandDefinition(
                "SELECT path, storage_key, size, sha256, format, created_at, created_by FROM version_files WHERE version_id = @id ORDER BY path",
                new { id }, cancellationToken: cancellationToken));
            return rows.Select(ToFile).ToList();
        }, cancellationToken);
    }

    /// <summary>Opens a file for reading; the stream is seekable where the store allows (ranges are served from it).</summary>
    public async Task<VersionFileContent> OpenAsync(Caller caller, string model, int version, string path, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        ArtifactPath.Check(path);
        var row = await database.ReadAsync(async connection =>
        {
            var id = await VersionIdAsync(connection, model, version, cancellationToken);
            return await connection.QuerySingleOrDefaultAsync<FileRow>(new CommandDefinition(
                "SELECT path, storage_key, size, sha256, format, created_at, created_by FROM version_files WHERE version_id = @id AND path = @path",
                new { id, path }, cancellationToken: cancellationToken));
        }, cancellationToken) ?? throw new NotFoundException($"Version {version} of model '{model}' has no file '{path}'.");
        return new VersionFileContent(ToFile(row), await store.OpenReadAsync(row.StorageKey, 0, null, cancellationToken));
    }

    public async Task DeleteAsync(Caller caller, string model, int version, string path, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        ArtifactPath.Check(path);
        var key = await database.WriteAsync(async (connection, transaction) =>
        {
            var target = await RequireWritableAsync(connection, transaction, model, version, cancellationToken);
            var before = await FindAsync(transaction, target.Id, path, cancellationToken)
                ?? throw new NotFoundException($"Version {version} of model '{model}' has no file '{path}'.");
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM version_files WHERE version_id = @Id AND path = @path", new { target.Id, path }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "version.file.delete", $"{ModelRegistry.Resource(model, version)}/files/{path}", ToFile(before), null, cancellationToken);
            return before.StorageKey;
        }, cancellationToken);
        await store.DeleteAsync(key, cancellationToken);
    }

    /// <summary>
    /// Deletes stored objects that no row names: files of deleted versions and models, and files whose
    /// recording transaction never committed (a process killed between the move and the commit).
    /// Other replicas keep writing meanwhile, so an object is only taken when it is older than
    /// <see cref="OrphanGracePeriod"/> (a replica's upload in flight commits its object just before its row) and no
    /// row names it when looked up again (a file recorded after the first read). Keys whose first segment starts with
    /// '.' are never version files (namespace and model names cannot start so) and are left alone: the MLflow
    /// proxy's default folder in an object store lives there.
    /// </summary>
    public async Task<int> RemoveOrphansAsync(CancellationToken cancellationToken)
    {
        var known = await database.ReadAsync(async c => (await c.QueryAsync<string>(new CommandDefinition(
            "SELECT storage_key FROM version_files", cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal), cancellationToken);
        var cutoff = clock.GetUtcNow() - OrphanGracePeriod;
        var removed = 0;
        await foreach (var stored in store.ListAsync("", cancellationToken))
        {
            if (known.Contains(stored.Key) || stored.LastModified > cutoff || stored.Key.StartsWith('.'))
            {
                continue;
            }
            var recorded = await database.ReadAsync(c => c.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM version_files WHERE storage_key = @Key", new { stored.Key }, cancellationToken: cancellationToken)), cancellationToken);
            if (recorded == 0)
            {
                await store.DeleteAsync(stored.Key, cancellationToken);
                removed++;
            }
        }
        return removed + await store.RemoveAbandonedStagingAsync(cancellationToken);
    }

    /// <summary>The readable layout: <c>namespace/segments/model/version/path</c>.</summary>
    private static string StorageKey(VersionRow target, int version, string path) =>
        string.Join('/', target.Namespace.Split('/', StringSplitOptions.RemoveEmptyEntries).Append(target.Name).Append(version.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(path));

    private async Task<FormatInfo> InspectAsync(string model, int version, string path, StagedArtifact staged, CancellationToken cancellationToken)
    {
        // A SavedModel is a directory: its saved_model.pb is read with the version's other files in view, so the
        // result can say where the model sits and whether variables came with it. Files can arrive in any order, so a
        // file under variables/ that lands after saved_model.pb reads the directory again.
        if (Path.GetFileName(path) == "saved_model.pb" || IsSavedModelVariable(path))
        {
            var recorded = await database.ReadAsync(async connection =>
            {
                var id = await VersionIdAsync(connection, model, version, cancellationToken);
                return (await connection.QueryAsync<FileRow>(new CommandDefinition(
                    "SELECT path, storage_key, size, sha256, format, created_at, created_by FROM version_files WHERE version_id = @id",
                    new { id }, cancellationToken: cancellationToken))).ToDictionary(r => r.Path, r => r.StorageKey, StringComparer.Ordinal);
            }, cancellationToken);
            var paths = recorded.Keys.Where(p => p != path).Append(path).ToList();
            var directory = await ModelFormats.InspectDirectoryAsync(paths,
                (p, ct) => p == path ? Task.FromResult(staged.OpenRead()) : store.OpenReadAsync(recorded[p], 0, null, ct), cancellationToken);
            if (directory is not null)
            {
                return directory;
            }
        }
        await using var content = staged.OpenRead();
        return await ModelFormats.InspectAsync(content, Path.GetFileName(path), cancellationToken);
    }

    private static bool IsSavedModelVariable(string path) =>
        path.StartsWith("variables/", StringComparison.Ordinal) || path.Contains("/variables/", StringComparison.Ordinal);

    private static async Task RecordFormatAsync(DbTransaction transaction, long versionId, FormatInfo format, CancellationToken cancellationToken)
    {
        // A file of a known kind describes the model; an unknown one (a README, a vocabulary) leaves it as it was.
        if (format.Format == FormatInfo.Unknown.Format)
        {
            return;
        }
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            UPDATE model_versions SET
                format = @Format,
                framework = COALESCE(framework, @Framework),
                signature = @signature,
                format_properties = @properties,
                introspection_error = @Error
            WHERE id = @versionId
            """,
            new
            {
                versionId,
                format.Format,
                format.Framework,
                format.Error,
                signature = format.Signature is null ? null : JsonSerializer.Serialize(format.Signature, CairnJson.Options),
                properties = JsonSerializer.Serialize(format.Properties, CairnJson.Options),
            },
            transaction, cancellationToken: cancellationToken));
    }

    private static void CheckDeclared(DeclaredChecksums declared, StagedArtifact staged, string path)
    {
        if (declared.Md5Base64 is { } md5 && md5 != staged.Md5Base64)
        {
            throw new InvalidParameterException($"Content-MD5 of '{path}' does not match: declared {md5}, received {staged.Md5Base64}. Nothing was stored.");
        }
        if (declared.Sha256 is { } sha && !string.Equals(sha, staged.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidParameterException($"X-Checksum-Sha256 of '{path}' does not match: declared {sha}, received {staged.Sha256}. Nothing was stored.");
        }
    }

    private static async Task<VersionRow> RequireWritableAsync(DbConnection connection, DbTransaction? transaction, string model, int version, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            """
            SELECT v.id, m.namespace, m.name, v.status FROM model_versions v JOIN models m ON m.id = v.model_id
            WHERE m.full_name = @model AND v.version = @version
            """,
            new { model, version }, transaction, cancellationToken: cancellationToken)) ?? throw ModelRegistry.Missing(model, version);
        // In the recording transaction the check is also a conditional write on the version's row: it takes that row's
        // lock until the commit, so a status change (itself an UPDATE … WHERE status = 'PENDING_REGISTRATION') is ordered
        // before or after this file, never between the check and the insert, even without the store-wide write lock.
        var pending = row.Status == VersionStatus.PendingRegistration && (transaction is null
            || await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE model_versions SET status = status WHERE id = @Id AND status = @pending",
                new { row.Id, pending = VersionStatus.PendingRegistration }, transaction, cancellationToken: cancellationToken)) == 1);
        return pending
            ? row
            : throw new InvalidStateException(
                $"Version {version} of model '{model}' is {row.Status}: its files are frozen. Register versions that will receive files with status {VersionStatus.PendingRegistration} and set {VersionStatus.Ready} when they are complete.");
    }

    private static async Task<long> VersionIdAsync(DbConnection connection, string model, int version, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT v.id FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.full_name = @model AND v.version = @version",
            new { model, version }, cancellationToken: cancellationToken)) ?? throw ModelRegistry.Missing(model, version);

    private static Task<FileRow?> FindAsync(DbTransaction transaction, long versionId, string path, CancellationToken cancellationToken) =>
        transaction.Connection!.QuerySingleOrDefaultAsync<FileRow?>(new CommandDefinition(
            "SELECT path, storage_key, size, sha256, format, created_at, created_by FROM version_files WHERE version_id = @versionId AND path = @path",
            new { versionId, path }, transaction, cancellationToken: cancellationToken));

    private static VersionFile ToFile(FileRow r) => new(r.Path, r.Size, r.Sha256, r.Format, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.CreatedBy);
}

/// <summary>Limits on stored files (configuration: <c>Cairn:MaxFileBytes</c>).</summary>
public sealed record ArtifactLimits(long MaxFileBytes);
