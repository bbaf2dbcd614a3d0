using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cairn.Lineage;
using Cairn.Lineage.OpenLineage;
using Cairn.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using static Cairn.Bench.Workloads.PreparedStatements;

namespace Cairn.Bench.Workloads;

/// <summary>
/// What OpenLineage ingestion's rows cost SQLite alone: per operation, one BEGIN IMMEDIATE transaction writing the rows
/// that <c>POST /api/v1/lineage/batch</c> writes for <paramref name="events"/> of <c>openlineage-batch</c>'s events (by default
/// <see cref="OpenLineageIngest.MaxBatch"/>, the most the server commits in one group, as it does when batches queue) — per event
/// its run's node and execution row, its five edges (parent run, job, two inputs, output), its output dataset's row and
/// version; per transaction the audit entry, the audit head and the outbox event, each about as large as the server's.
/// The schema is the library's own, made by its migrations; the connection has the server's write pragmas (WAL,
/// <c>synchronous = FULL</c>) and the server's checkpointer copies the log on a thread of its own. There is one writer,
/// as in the server: workers take turns. What it leaves out is everything else the server does: HTTP, JSON parsing and
/// validation, the reads that resolve names and merge facets, the node keys (here known in memory). So it is a ceiling
/// for the server's ingestion on the same machine, not a target it could meet.
/// </summary>
internal sealed class SqliteOpenLineageBaselineWorkload(string directory, int events) : Workload, IAsyncDisposable
{
    private const int DatasetPool = 1000;
    private const string ParentRun = "01934f7a-2b1c-7d3e-8a45-0c9e6f1b2a01";

    // The stored forms of the bench event's facets (OpenLineageWorkload), as the server keeps them.
    private const string DatasetFacets =
        """{"schema":{"_producer":"https://github.com/apache/airflow","_schemaURL":"https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet","fields":[{"name":"id","type":"string"},{"name":"amount","type":"double"},{"name":"at","type":"timestamp"}]},"dataSource":{"_producer":"https://github.com/apache/airflow","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet","name":"bench-lake","uri":"s3://bench-lake"},"version":{"_producer":"https://github.com/apache/airflow","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet","datasetVersion":"v0"}}""";

    private const string DatasetSchema =
        """[{"name":"id","type":"string","description":null},{"name":"amount","type":"double","description":null},{"name":"at","type":"timestamp","description":null}]""";

    private const string RunFacets =
        """{"run":{"parent":{"_producer":"https://github.com/apache/airflow","_schemaURL":"https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet","run":{"runId":"01934f7a-2b1c-7d3e-8a45-0c9e6f1b2a01"},"job":{"namespace":"airflow://bench","name":"dag_0"}}}}""";

    // What the audit entry and the outbox event say of one event: its resource, type, time, producer, inputs and outputs.
    private const string RecordedEvent =
        """{"resource":"executions/01a250b5-502b-7179-bdfd-12f1e2ff270f","event_type":"COMPLETE","event_time":"2026-11-23T04:00:00+00:00","producer":"https://github.com/apache/airflow/tree/providers-openlineage/1.14.0","inputs":["dataset:s3://bench-lake:bench/floor/table_9","dataset:s3://bench-lake:bench/floor/table_10"],"outputs":["dataset:s3://bench-lake:bench/floor/table_11"],"notes":null}""";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Writer? _writer;
    private int _run;
    private long _next;

    public override string Name => BenchSettings.SqliteOpenLineage;

    public override string Description =>
        $"bare Microsoft.Data.Sqlite transaction writing the rows of {events} openlineage-batch events (events/s = ops/s x {events}), one writer (WAL, synchronous=FULL, the server's checkpointer)";

    public override bool BlocksThread => true;

    /// <summary>A fresh database for every run, migrated by the library, with the bench's datasets and jobs in it.</summary>
    public override async Task PrepareAsync(int workers, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, $"openlineage-baseline-{++_run}.db");
        await Migrator.MigrateAsync(CairnDatabase.Sqlite(path), TimeProvider.System, cancellationToken);
        SqliteConnection.ClearAllPools();
        _writer = new Writer(events, new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false, ForeignKeys = true }.ToString(), _gate);
    }

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken)
    {
        _gate.Wait(cancellationToken);
        try
        {
            _writer!.WriteEvents(_next);
            _next += events;
        }
        finally
        {
            _gate.Release();
        }
        return ValueTask.FromResult(true);
    }

    public override async Task FinishAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
            _writer = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await FinishAsync();
        _gate.Dispose();
    }

    /// <summary>The one write connection, its prepared statements, the node keys it knows and the checkpointer.</summary>
    private sealed class Writer : IAsyncDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCheckpointer _checkpointer;
        private readonly Dictionary<string, long> _keys = new(StringComparer.Ordinal);
        private readonly int _events;
        private readonly string _recorded;
        private readonly SqliteCommand _begin;
        private readonly SqliteCommand _commit;
        private readonly SqliteCommand _rollback;
        private readonly SqliteCommand _insertNode;
        private readonly SqliteCommand _insertExecution;
        private readonly SqliteCommand _insertLink;
        private readonly SqliteCommand _updateDataset;
        private readonly SqliteCommand _insertVersion;
        private readonly SqliteCommand _auditHead;
        private readonly SqliteCommand _appendAudit;

        public Writer(int events, string connectionString, SemaphoreSlim gate)
        {
            _events = events;
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
            using (var pragma = _connection.CreateCommand())
            {
                pragma.CommandText = CairnDatabase.SqliteWriterPragmas;
                pragma.ExecuteNonQuery();
                // The comparison is only fair at the server's durability.
                pragma.CommandText = "PRAGMA journal_mode";
                if (pragma.ExecuteScalar() is not "wal")
                {
                    throw new InvalidOperationException($"{BenchSettings.SqliteOpenLineage} needs the library's store in WAL mode.");
                }
            }
            _checkpointer = new SqliteCheckpointer(connectionString, gate, SqliteCheckpointer.DefaultThreshold, NullLogger.Instance);
            Seed();
            _begin = Prepare("BEGIN IMMEDIATE");
            _commit = Prepare("COMMIT");
            _rollback = Prepare("ROLLBACK");
            _insertNode = Prepare("INSERT INTO lineage_nodes (id, kind, namespace, name, properties, created_at, updated_at) VALUES ($id, 'run', NULL, $name, '{}', $now, $now) RETURNING key",
                "$id", "$name", "$now");
            _insertExecution = Prepare(
                """
                INSERT INTO executions (id, run_id, type, job_namespace, job_name, state, properties, facets, parent_run_id, started_at, ended_at, created_at, created_by, updated_at, updated_by)
                VALUES ($id, $run, 'transformation', 'airflow://bench', $job, 'COMPLETE', '{}', $facets, $parent, NULL, $ended, $now, 'bench', $now, 'bench')
                """,
                "$id", "$run", "$job", "$facets", "$parent", "$ended", "$now");
            _insertLink = Prepare("INSERT INTO lineage_links (source, target, kind, created_at) VALUES ($source, $target, $kind, $now) ON CONFLICT DO NOTHING",
                "$source", "$target", "$kind", "$now");
            _updateDataset = Prepare(
                "UPDATE datasets SET version = $version, location = 's3://bench-lake', schema = $schema, facets = $facets, updated_at = $now, updated_by = 'bench' WHERE id = $id",
                "$id", "$version", "$schema", "$facets", "$now");
            _insertVersion = Prepare(
                """
                INSERT INTO dataset_versions (dataset_id, version, location, schema, statistics, facets, run_id, created_at, created_by)
                VALUES ($id, $version, 's3://bench-lake', $schema, NULL, $facets, $run, $now, 'bench')
                ON CONFLICT (dataset_id, version) DO NOTHING
                """,
                "$id", "$version", "$schema", "$facets", "$run", "$now");
            _auditHead = Prepare("SELECT seq, hash FROM audit_head WHERE id = 1");
            _appendAudit = Prepare(
                """
                INSERT INTO audit_log (seq, at, actor, action, resource, before, after, prev_hash, hash)
                VALUES ($seq, $now, 'bench', 'openlineage.batch', 'lineage/batch', NULL, $recorded, $prev, $hash);
                INSERT INTO audit_head (id, seq, hash) VALUES (1, $seq, $hash) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
                INSERT INTO events (at, type, actor, resource, namespace, read_role, payload)
                VALUES ($now, 'openlineage_batch.received', 'bench', 'lineage/batch', '/', 'Reader', $recorded);
                """,
                "$seq", "$now", "$recorded", "$prev", "$hash");
            Set(_insertExecution, "$facets", RunFacets);
            Set(_insertExecution, "$parent", ParentRun);
            Set(_insertExecution, "$ended", new DateTimeOffset(2026, 11, 23, 4, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds());
            Set(_updateDataset, "$schema", DatasetSchema);
            Set(_updateDataset, "$facets", DatasetFacets);
            Set(_insertVersion, "$schema", DatasetSchema);
            Set(_insertVersion, "$facets", DatasetFacets);
            _recorded = "{\"events\":[" + string.Join(",", Enumerable.Repeat(RecordedEvent, events)) + "]}";
            Set(_appendAudit, "$recorded", _recorded);
        }

        /// <summary>The events numbered from <paramref name="first"/> on, in one transaction, named as <see cref="OpenLineageWorkload"/> names them.</summary>
        public void WriteEvents(long first)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _begin.ExecuteNonQuery();
            try
            {
                var parent = _keys[NodeIds.Run(ParentRun)];
                for (var i = 0; i < _events; i++)
                {
                    var n = (first + i) * 7919;
                    var run = Guid.CreateVersion7().ToString();
                    var id = NodeIds.Run(run);
                    Set(_insertNode, "$id", id);
                    Set(_insertNode, "$name", run);
                    Set(_insertNode, "$now", now);
                    var key = (long)_insertNode.ExecuteScalar()!;
                    var job = Job(n);
                    Set(_insertExecution, "$id", id);
                    Set(_insertExecution, "$run", run);
                    Set(_insertExecution, "$job", job);
                    Set(_insertExecution, "$now", now);
                    _insertExecution.ExecuteNonQuery();
                    Link(parent, key, "parent", now);
                    Link(_keys["job:airflow://bench:" + job], key, "runs", now);
                    Link(_keys[Dataset(n)], key, "input", now);
                    Link(_keys[Dataset(n + 1)], key, "input", now);
                    var output = Dataset(n + 2);
                    Link(key, _keys[output], "output", now);
                    var version = string.Create(CultureInfo.InvariantCulture, $"v{n % 3}");
                    Set(_updateDataset, "$id", output);
                    Set(_updateDataset, "$version", version);
                    Set(_updateDataset, "$now", now);
                    _updateDataset.ExecuteNonQuery();
                    Set(_insertVersion, "$id", output);
                    Set(_insertVersion, "$version", version);
                    Set(_insertVersion, "$run", run);
                    Set(_insertVersion, "$now", now);
                    _insertVersion.ExecuteNonQuery();
                }
                var (seq, prev) = NextAuditLink(_auditHead);
                Set(_appendAudit, "$seq", seq);
                Set(_appendAudit, "$now", now);
                Set(_appendAudit, "$prev", prev);
                Set(_appendAudit, "$hash", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prev + _recorded))));
                _appendAudit.ExecuteNonQuery();
                _commit.ExecuteNonQuery();
            }
            catch
            {
                _rollback.ExecuteNonQuery();
                throw;
            }
            // As the server's writer does after each commit: the frames it appended start the next checkpoint.
            SQLitePCL.raw.sqlite3_db_status(_connection.Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_WRITE, out var frames, out _, 1);
            _checkpointer.Committed(frames);
        }

        public async ValueTask DisposeAsync()
        {
            await _checkpointer.DisposeAsync();
            foreach (var command in new[] { _begin, _commit, _rollback, _insertNode, _insertExecution, _insertLink, _updateDataset, _insertVersion, _auditHead, _appendAudit })
            {
                await command.DisposeAsync();
            }
            await _connection.DisposeAsync();
        }

        private static string Job(long n) => string.Create(CultureInfo.InvariantCulture, $"dag_{n % 50}.task_{n % 7}");

        private static string Dataset(long n) => string.Create(CultureInfo.InvariantCulture, $"dataset:s3://bench-lake:bench/floor/table_{n % DatasetPool}");

        /// <summary>The pool of datasets (with the rows an earlier run's outputs left), the jobs and the parent run, as the server holds them after a first pass.</summary>
        private void Seed()
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            using var transaction = _connection.BeginTransaction();
            using var node = _connection.CreateCommand();
            node.CommandText = "INSERT INTO lineage_nodes (id, kind, namespace, name, properties, created_at, updated_at) VALUES ($id, $kind, $namespace, $name, '{}', $now, $now) RETURNING key";
            using var dataset = _connection.CreateCommand();
            dataset.CommandText =
                """
                INSERT INTO datasets (id, namespace, name, version, location, schema, properties, facets, created_at, created_by, updated_at, updated_by)
                VALUES ($id, 's3://bench-lake', $name, 'v0', 's3://bench-lake', $schema, '{}', $facets, $now, 'bench', $now, 'bench')
                """;
            void Node(string id, string kind, string? @namespace, string name)
            {
                node.Parameters.Clear();
                node.Parameters.AddWithValue("$id", id);
                node.Parameters.AddWithValue("$kind", kind);
                node.Parameters.AddWithValue("$namespace", (object?)@namespace ?? DBNull.Value);
                node.Parameters.AddWithValue("$name", name);
                node.Parameters.AddWithValue("$now", now);
                _keys[id] = (long)node.ExecuteScalar()!;
            }
            Node(NodeIds.Run(ParentRun), "run", null, ParentRun);
            for (var n = 0L; n < 350; n++)
            {
                var job = Job(n);
                Node("job:airflow://bench:" + job, "job", "airflow://bench", job);
            }
            for (var n = 0L; n < DatasetPool; n++)
            {
                var id = Dataset(n);
                var name = id["dataset:s3://bench-lake:".Length..];
                Node(id, "dataset", "s3://bench-lake", name);
                dataset.Parameters.Clear();
                dataset.Parameters.AddWithValue("$id", id);
                dataset.Parameters.AddWithValue("$name", name);
                dataset.Parameters.AddWithValue("$schema", DatasetSchema);
                dataset.Parameters.AddWithValue("$facets", DatasetFacets);
                dataset.Parameters.AddWithValue("$now", now);
                dataset.ExecuteNonQuery();
            }
            transaction.Commit();
        }

        private void Link(long source, long target, string kind, long now)
        {
            Set(_insertLink, "$source", source);
            Set(_insertLink, "$target", target);
            Set(_insertLink, "$kind", kind);
            Set(_insertLink, "$now", now);
            _insertLink.ExecuteNonQuery();
        }

        private SqliteCommand Prepare(string sql, params string[] parameters) => PreparedStatements.Prepare(_connection, sql, parameters);
    }
}
