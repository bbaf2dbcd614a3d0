using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cairn.Artifacts;
using Cairn.Governance;
using Dapper;

namespace Cairn.Storage;

/// <summary>One table's rows in the source and, after the copy, in the target.</summary>
public sealed record TableCount(string Table, long Source, long Target, long Copied);

/// <summary>
/// What a copy did and found: per-table counts, version files copied and checked, MLflow's proxied artifact files copied
/// and checked (when they moved too), the target's audit chain.
/// </summary>
public sealed record StoreCopyReport(
    IReadOnlyList<TableCount> Tables, long FilesCopied, long FilesChecked, long MlflowArtifactsCopied, long MlflowArtifactsChecked,
    AuditVerification AuditChain, IReadOnlyList<string> Problems)
{
    public bool Verified => Problems.Count == 0;
}

/// <summary>
/// Moves an installation from a SQLite data directory to PostgreSQL: every table's rows with
/// their ids, in foreign-key order, then the version files, then a verification — row counts per table, each file's
/// SHA-256 against the one recorded, and the target's audit chain. Rows already in the target are left alone
/// (<c>ON CONFLICT DO NOTHING</c>) and files already there with the right checksum are not copied again, so an
/// interrupted or repeated copy can simply be run again; a target that differs from the source fails verification.
/// </summary>
public sealed class StoreCopy(CairnDatabase source, CairnDatabase target, TimeProvider clock)
{
    private const int RowsPerStatement = 500;

    private sealed record FileRow
    {
        public string StorageKey { get; init; } = "";
        public string Sha256 { get; init; } = "";
    }

    /// <param name="sourceFiles">Where the source's version files are.</param>
    /// <param name="targetFiles">Where to copy them; null leaves them where they are (they are checked there).</param>
    /// <param name="mlflowArtifacts">MLflow's proxied artifact files to copy from one store to another, or null to leave them.</param>
    /// <param name="progress">Step, done and total, as the copy goes.</param>
    /// <param name="cancellationToken">Stops the copy; what was committed stays, and a new run resumes.</param>
    public async Task<StoreCopyReport> CopyAsync(
        IArtifactStore sourceFiles, IArtifactStore? targetFiles, (IArtifactStore From, IArtifactStore To)? mlflowArtifacts,
        IProgress<(string Step, long Done, long Total)>? progress, CancellationToken cancellationToken)
    {
        var pending = await Migrator.PendingAsync(source, cancellationToken);
        if (pending.Count > 0)
        {
            throw new InvalidStateException($"The source store lacks migrations {string.Join(", ", pending)}: start `cairn serve` on it once (or run any command) to bring it up to date first.");
        }
        await Migrator.MigrateAsync(target, clock, cancellationToken);

        var tables = await TablesInDependencyOrderAsync(cancellationToken);
        var counts = new List<TableCount>();
        foreach (var table in tables)
        {
            counts.Add(await CopyTableAsync(table, progress, cancellationToken));
        }
        await ResetIdentitiesAsync([.. tables.Select(t => t.Table)], cancellationToken);

        var problems = counts.Where(c => c.Source != c.Target)
            .Select(c => $"table {c.Table}: {c.Source} rows in the source, {c.Target} in the target").ToList();
        var (copied, checkedFiles, fileProblems) = await CopyFilesAsync(sourceFiles, targetFiles, progress, cancellationToken);
        problems.AddRange(fileProblems);
        var (mlflowCopied, mlflowChecked, mlflowProblems) = mlflowArtifacts is var (from, to)
            ? await CopyObjectsAsync(from, to, progress, cancellationToken)
            : (0, 0, []);
        problems.AddRange(mlflowProblems);
        var chain = await new AuditChain(target, clock).VerifyAsync(Caller.Admin("cairn-migrate"), cancellationToken);
        if (!chain.Valid)
        {
            problems.Add($"the target's audit chain is broken at entry {chain.BrokenAt}: {chain.Reason}");
        }
        return new StoreCopyReport(counts, copied, checkedFiles, mlflowCopied, mlflowChecked, chain, problems);
    }

    /// <summary>
    /// Tables that SQLite stores in another shape than PostgreSQL: SQLite keeps lineage edges by their nodes' integer keys in
    /// <c>lineage_links</c> (migration 0028) and shows them as the view <c>lineage_edges</c>, which is what a PostgreSQL
    /// target's table of that name is copied from. Any other table the target lacks fails the copy.
    /// </summary>
    private static readonly Dictionary<string, string> StoredAs = new(StringComparer.Ordinal) { ["lineage_links"] = "lineage_edges" };

    /// <summary>
    /// The tables to copy (not the migration ledger), parents before the tables whose foreign keys name them in the
    /// target, each with the columns the target has: the source (SQLite) may read a table through a view, and hold
    /// columns of its own (a node's integer key) that another dialect's store does not.
    /// </summary>
    private async Task<List<(string Table, List<string> Columns)>> TablesInDependencyOrderAsync(CancellationToken cancellationToken)
    {
        await using var from = await source.OpenAsync(cancellationToken);
        var sourceTables = (await from.QueryAsync<(string Name, string Type)>(new CommandDefinition(
            // Ordinary tables and views: an FTS5 index (models_text, migration 0025) is a virtual table with shadow tables
            // that the target rebuilds from the rows themselves.
            "SELECT name, type FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'",
            cancellationToken: cancellationToken))).ToDictionary(t => t.Name, t => t.Type, StringComparer.Ordinal);
        var (columns, parents) = await TargetSchemaAsync(cancellationToken);
        var missing = sourceTables.Where(t => t.Value == "table" && !columns.ContainsKey(t.Key) && !(StoredAs.TryGetValue(t.Key, out var other) && columns.ContainsKey(other)))
            .Select(t => t.Key).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidStateException($"The target store has no table {string.Join(", ", missing)}: is it a store of this version of Cairn?");
        }
        var copied = columns.Keys.Where(sourceTables.ContainsKey).Order(StringComparer.Ordinal).ToList();
        var ordered = new List<string>();
        void Visit(string table, HashSet<string> path)
        {
            if (ordered.Contains(table) || !path.Add(table))
            {
                return;
            }
            foreach (var parent in parents.GetValueOrDefault(table, []).Where(copied.Contains))
            {
                Visit(parent, path);
            }
            ordered.Add(table);
        }
        foreach (var name in copied)
        {
            Visit(name, []);
        }
        var result = new List<(string, List<string>)>();
        foreach (var table in ordered)
        {
            var inSource = (await from.QueryAsync<string>(new CommandDefinition(
                "SELECT name FROM pragma_table_info(@table)", new { table }, cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
            result.Add((table, columns[table].Where(inSource.Contains).ToList()));
        }
        return result;
    }

    /// <summary>The target's (PostgreSQL's) tables with their columns, and the tables each one's foreign keys name.</summary>
    private async Task<(Dictionary<string, List<string>> Columns, Dictionary<string, List<string>> Parents)> TargetSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await target.OpenAsync(cancellationToken);
        var columns = (await connection.QueryAsync<(string Table, string Column)>(new CommandDefinition(
            """
            SELECT c.table_name, c.column_name FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
            WHERE c.table_schema = current_schema() AND c.table_name <> 'schema_migrations' ORDER BY c.table_name, c.ordinal_position
            """, cancellationToken: cancellationToken)))
            .GroupBy(c => c.Table, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(c => c.Column).ToList(), StringComparer.Ordinal);
        var parents = (await connection.QueryAsync<(string Child, string Parent)>(new CommandDefinition(
            """
            SELECT child.relname, parent.relname FROM pg_constraint f
            JOIN pg_class child ON child.oid = f.conrelid JOIN pg_class parent ON parent.oid = f.confrelid
            WHERE f.contype = 'f' AND f.connamespace = current_schema()::regnamespace
            """, cancellationToken: cancellationToken)))
            .GroupBy(p => p.Child, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(p => p.Parent).Distinct(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        return (columns, parents);
    }

    private async Task<TableCount> CopyTableAsync((string Table, List<string> Columns) copied, IProgress<(string, long, long)>? progress, CancellationToken cancellationToken)
    {
        var (table, columns) = copied;
        await using var reader = await source.OpenAsync(cancellationToken);
        var total = await reader.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM \"{table}\"", cancellationToken: cancellationToken));
        long done = 0, inserted = 0;
        var rows = new List<IDictionary<string, object?>>(RowsPerStatement);
        var select = $"SELECT {string.Join(", ", columns.Select(c => $"\"{c}\""))} FROM \"{table}\"";
        await foreach (var row in reader.QueryUnbufferedAsync(select).WithCancellation(cancellationToken))
        {
            rows.Add((IDictionary<string, object?>)row);
            if (rows.Count == RowsPerStatement)
            {
                inserted += await InsertAsync(table, rows, cancellationToken);
                done += rows.Count;
                rows.Clear();
                progress?.Report((table, done, total));
            }
        }
        inserted += await InsertAsync(table, rows, cancellationToken);
        progress?.Report((table, total, total));
        await using var check = await target.OpenAsync(cancellationToken);
        var inTarget = await check.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM \"{table}\"", cancellationToken: cancellationToken));
        return new TableCount(table, total, inTarget, inserted);
    }

    private async Task<long> InsertAsync(string table, List<IDictionary<string, object?>> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return 0;
        }
        var columns = rows[0].Keys.ToList();
        var sql = new StringBuilder($"INSERT INTO \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ");
        var parameters = new DynamicParameters();
        for (var r = 0; r < rows.Count; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Count; c++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"p{r}_{c}");
                sql.Append(c == 0 ? "@" : ", @").Append(name);
                parameters.Add(name, rows[r][columns[c]]);
            }
            sql.Append(')');
        }
        sql.Append(" ON CONFLICT DO NOTHING");
        // A copy is not a change of the registry: rows keep their own audit entries, and none is added.
        return await target.WriteAsync((connection, transaction) =>
            connection.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, transaction, cancellationToken: cancellationToken)), cancellationToken);
    }

    /// <summary>PostgreSQL's identity columns start after the copied ids, so new rows do not collide with them.</summary>
    private async Task ResetIdentitiesAsync(List<string> tables, CancellationToken cancellationToken)
    {
        if (target.Dialect is not PostgresDialect)
        {
            return;
        }
        await target.WriteAsync(async (connection, transaction) =>
        {
            var identities = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'",
                transaction: transaction, cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
            foreach (var table in tables.Where(identities.Contains))
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"SELECT setval(pg_get_serial_sequence(@table, 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM \"{table}\"), 1))",
                    new { table }, transaction, cancellationToken: cancellationToken));
            }
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// Copies each recorded version file that the target store lacks (or holds with other bytes) through the store's
    /// own staged upload, committing only bytes whose SHA-256 is the one recorded; then every file has been checked.
    /// Without a target store, the files stay where they are and are only checked there.
    /// </summary>
    private async Task<(long Copied, long Checked, List<string> Problems)> CopyFilesAsync(
        IArtifactStore from, IArtifactStore? to, IProgress<(string, long, long)>? progress, CancellationToken cancellationToken)
    {
        var files = (await target.ReadAsync(c => c.QueryAsync<FileRow>(new CommandDefinition(
            "SELECT storage_key, sha256 FROM version_files ORDER BY storage_key", cancellationToken: cancellationToken)), cancellationToken)).ToList();
        var problems = new List<string>();
        long copied = 0, done = 0;
        var destination = to ?? from;
        foreach (var file in files)
        {
            var actual = await Sha256Async(destination, file.StorageKey, cancellationToken);
            if (actual != file.Sha256 && to is not null && await from.ExistsAsync(file.StorageKey, cancellationToken))
            {
                await using var read = await from.OpenReadAsync(file.StorageKey, 0, null, cancellationToken);
                await using var staged = await to.StageAsync(file.StorageKey, read, long.MaxValue, withMd5: false, cancellationToken);
                actual = staged.Sha256;
                if (actual == file.Sha256)
                {
                    await to.CommitAsync(staged, file.StorageKey, cancellationToken);
                    copied++;
                }
            }
            if (actual != file.Sha256)
            {
                problems.Add(actual is null
                    ? $"file {file.StorageKey} is missing"
                    : $"file {file.StorageKey} has SHA-256 {actual}, the store records {file.Sha256}");
            }
            progress?.Report(("files", ++done, files.Count));
        }
        return (copied, files.Count, problems);
    }

    /// <summary>
    /// Copies every object of <paramref name="from"/> that <paramref name="to"/> lacks or holds with other bytes (MLflow's
    /// artifacts have no recorded checksum: the source's bytes are the reference), through the target's staged upload;
    /// then reads each copy back and checks its SHA-256 against the bytes that were sent.
    /// </summary>
    private static async Task<(long Copied, long Checked, List<string> Problems)> CopyObjectsAsync(
        IArtifactStore from, IArtifactStore to, IProgress<(string, long, long)>? progress, CancellationToken cancellationToken)
    {
        var objects = await from.ListAsync("", cancellationToken).ToListAsync(cancellationToken);
        var present = await to.ListAsync("", cancellationToken).ToDictionaryAsync(o => o.Key, o => o.Size, StringComparer.Ordinal, cancellationToken);
        var problems = new List<string>();
        long copied = 0, done = 0;
        foreach (var stored in objects)
        {
            string? expected = null, actual = null;
            if (present.TryGetValue(stored.Key, out var size) && size == stored.Size)
            {
                (expected, actual) = (await Sha256Async(from, stored.Key, cancellationToken), await Sha256Async(to, stored.Key, cancellationToken));
            }
            if (expected is null || actual != expected)
            {
                await using var read = await from.OpenReadAsync(stored.Key, 0, null, cancellationToken);
                await using var staged = await to.StageAsync(stored.Key, read, long.MaxValue, withMd5: false, cancellationToken);
                await to.CommitAsync(staged, stored.Key, cancellationToken);
                (expected, actual) = (staged.Sha256, await Sha256Async(to, stored.Key, cancellationToken));
                copied++;
            }
            if (actual != expected)
            {
                problems.Add($"MLflow artifact {stored.Key} has SHA-256 {actual ?? "(missing)"} in the target, {expected} in the source");
            }
            progress?.Report(("mlflow artifacts", ++done, objects.Count));
        }
        return (copied, objects.Count, problems);
    }

    private static async Task<string?> Sha256Async(IArtifactStore store, string key, CancellationToken cancellationToken)
    {
        if (!await store.ExistsAsync(key, cancellationToken))
        {
            return null;
        }
        await using var stream = await store.OpenReadAsync(key, 0, null, cancellationToken);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
