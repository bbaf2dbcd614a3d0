using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cairn.Registry;
using Cairn.Storage;
using Microsoft.Data.Sqlite;
using static Cairn.Bench.Workloads.PreparedStatements;

namespace Cairn.Bench.Workloads;

/// <summary>
/// What a version create costs SQLite alone: per operation, one BEGIN IMMEDIATE transaction writing the rows
/// <c>ModelRegistry.CreateAsync</c> writes — the model's version counter, one model_versions row, its
/// tags, params and metrics, one audit_log row and the audit_head upsert — with the server's durability
/// (WAL, synchronous=FULL, foreign keys on). The schema is the library's own, made by its migrations, so
/// tables, indexes and constraints are identical. Each worker has its own connection and prepared statements;
/// no HTTP, no JSON, no ORM.
/// </summary>
internal sealed class SqliteBaselineWorkload(string directory, int busyTimeoutMs) : Workload
{
    private const string Actor = "bench";
    private static readonly string[] Models = ["w0", "w1", "w2", "w3"];

    // The audit entry's "after" document is the created version as the server serialises it; one of the
    // same shape and size is written here, so the audit row weighs the same.
    private static readonly string AfterTemplate = JsonSerializer.Serialize(
        new ModelVersion("bench.w0", 1, null, BenchData.VersionRequest.Description, BenchData.VersionRequest.Source,
            BenchData.VersionRequest.RunId, BenchData.VersionRequest.Framework, null, VersionStatus.Ready, Stage.None, null, null, new Dictionary<string, string>(), null,
            BenchData.VersionRequest.Metrics!, BenchData.VersionRequest.Params!, BenchData.VersionRequest.Tags!, [],
            DateTimeOffset.UnixEpoch, Actor, DateTimeOffset.UnixEpoch, Actor),
        CairnJson.Options);

    private Worker[] _workers = [];
    private int _run;

    public override string Name => "sqlite-baseline";

    public override string Description =>
        "bare Microsoft.Data.Sqlite BEGIN IMMEDIATE transaction writing a version create's rows (WAL, synchronous=FULL)";

    public override bool BlocksThread => true;

    public string? DatabasePath { get; private set; }

    /// <summary>A fresh database file for every run, migrated by the library, with the version-create models in it.</summary>
    public override async Task PrepareAsync(int workers, CancellationToken cancellationToken)
    {
        DatabasePath = Path.Combine(directory, $"baseline-{++_run}.db");
        await Migrator.MigrateAsync(CairnDatabase.Sqlite(DatabasePath), TimeProvider.System, cancellationToken);
        SqliteConnection.ClearAllPools();

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
        await using (var setup = new SqliteConnection(connectionString))
        {
            await setup.OpenAsync(cancellationToken);
            await using var insert = setup.CreateCommand();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var model in Models)
            {
                insert.CommandText = """
                    INSERT INTO models (namespace, name, full_name, owner, created_at, created_by, updated_at, updated_by)
                    VALUES ('/bench', $name, 'bench.' || $name, 'bench', $now, 'bench', $now, 'bench')
                    """;
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$name", model);
                insert.Parameters.AddWithValue("$now", now);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        _workers = new Worker[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = new Worker(connectionString, busyTimeoutMs);
        }
    }

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken)
    {
        _workers[worker].CreateVersion("bench." + Models[(worker + iteration) % Models.Length]);
        return ValueTask.FromResult(true);
    }

    public override Task FinishAsync()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }
        _workers = [];
        return Task.CompletedTask;
    }

    /// <summary>One connection and its prepared statements.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _begin;
        private readonly SqliteCommand _commit;
        private readonly SqliteCommand _rollback;
        private readonly SqliteCommand _nextVersion;
        private readonly SqliteCommand _insertVersion;
        private readonly SqliteCommand _insertTag;
        private readonly SqliteCommand _insertParam;
        private readonly SqliteCommand _insertMetric;
        private readonly SqliteCommand _auditHead;
        private readonly SqliteCommand _appendAudit;

        public Worker(string connectionString, int busyTimeoutMs)
        {
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
            using (var pragma = _connection.CreateCommand())
            {
                // The server's per-connection pragmas, plus SQLite's own busy handler: a writer that finds
                // the lock taken waits inside SQLite rather than failing at once.
                pragma.CommandText = string.Create(CultureInfo.InvariantCulture,
                    $"PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA case_sensitive_like = ON; PRAGMA busy_timeout = {busyTimeoutMs};");
                pragma.ExecuteNonQuery();
                // The comparison is only fair at equal durability: refuse to measure anything weaker.
                pragma.CommandText = "PRAGMA journal_mode; PRAGMA synchronous;";
                using var reader = pragma.ExecuteReader();
                reader.Read();
                var journal = reader.GetString(0);
                reader.NextResult();
                reader.Read();
                var synchronous = reader.GetInt64(0);
                if (journal != "wal" || synchronous != 2)
                {
                    throw new InvalidOperationException($"sqlite-baseline needs journal_mode=wal and synchronous=FULL (2); got {journal} and {synchronous}.");
                }
            }
            _begin = Prepare("BEGIN IMMEDIATE");
            _commit = Prepare("COMMIT");
            _rollback = Prepare("ROLLBACK");
            _nextVersion = Prepare(
                "UPDATE models SET last_version = last_version + 1, updated_at = $now, updated_by = $by WHERE full_name = $model RETURNING id, last_version",
                "$now", "$by", "$model");
            _insertVersion = Prepare(
                """
                INSERT INTO model_versions (model_id, version, semver, description, source, run_id, framework, parent_version, status, stage, created_at, created_by, updated_at, updated_by)
                VALUES ($modelId, $version, NULL, $description, $source, $runId, $framework, NULL, 'READY', 'None', $now, $by, $now, $by)
                RETURNING id
                """,
                "$modelId", "$version", "$description", "$source", "$runId", "$framework", "$now", "$by");
            _insertTag = Prepare("INSERT INTO version_tags (version_id, key, value) VALUES ($id, $key, $value)", "$id", "$key", "$value");
            _insertParam = Prepare("INSERT INTO version_params (version_id, key, value) VALUES ($id, $key, $value)", "$id", "$key", "$value");
            _insertMetric = Prepare("INSERT INTO version_metrics (version_id, key, value) VALUES ($id, $key, $value)", "$id", "$key", "$value");
            _auditHead = Prepare("SELECT seq, hash FROM audit_head WHERE id = 1");
            _appendAudit = Prepare(
                """
                INSERT INTO audit_log (seq, at, actor, action, resource, before, after, prev_hash, hash)
                VALUES ($seq, $at, $actor, 'version.create', $resource, NULL, $after, $prev, $hash);
                INSERT INTO audit_head (id, seq, hash) VALUES (1, $seq, $hash)
                ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
                """,
                "$seq", "$at", "$actor", "$resource", "$after", "$prev", "$hash");

            var request = BenchData.VersionRequest;
            Set(_insertVersion, "$description", request.Description);
            Set(_insertVersion, "$source", request.Source);
            Set(_insertVersion, "$runId", request.RunId);
            Set(_insertVersion, "$framework", request.Framework);
            Set(_insertVersion, "$by", Actor);
            Set(_nextVersion, "$by", Actor);
            Set(_appendAudit, "$actor", Actor);
            Set(_appendAudit, "$after", AfterTemplate);
        }

        public void CreateVersion(string model)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _begin.ExecuteNonQuery();
            try
            {
                Set(_nextVersion, "$now", now);
                Set(_nextVersion, "$model", model);
                long modelId, version;
                using (var reader = _nextVersion.ExecuteReader())
                {
                    reader.Read();
                    (modelId, version) = (reader.GetInt64(0), reader.GetInt64(1));
                }
                Set(_insertVersion, "$modelId", modelId);
                Set(_insertVersion, "$version", version);
                Set(_insertVersion, "$now", now);
                var id = (long)_insertVersion.ExecuteScalar()!;
                var request = BenchData.VersionRequest;
                InsertPairs(_insertTag, id, request.Tags!);
                InsertPairs(_insertParam, id, request.Params!);
                InsertPairs(_insertMetric, id, request.Metrics!);

                var (seq, prev) = NextAuditLink(_auditHead);
                var resource = string.Create(CultureInfo.InvariantCulture, $"models/{model}/versions/{version}");
                Set(_appendAudit, "$seq", seq);
                Set(_appendAudit, "$at", now);
                Set(_appendAudit, "$resource", resource);
                Set(_appendAudit, "$prev", prev);
                Set(_appendAudit, "$hash", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prev + resource))));
                _appendAudit.ExecuteNonQuery();
                _commit.ExecuteNonQuery();
            }
            catch
            {
                _rollback.ExecuteNonQuery();
                throw;
            }
        }

        public void Dispose()
        {
            foreach (var command in new[] { _begin, _commit, _rollback, _nextVersion, _insertVersion, _insertTag, _insertParam, _insertMetric, _auditHead, _appendAudit })
            {
                command.Dispose();
            }
            _connection.Dispose();
        }

        private static void InsertPairs<T>(SqliteCommand insert, long id, IReadOnlyDictionary<string, T> pairs)
        {
            Set(insert, "$id", id);
            foreach (var (key, value) in pairs)
            {
                Set(insert, "$key", key);
                Set(insert, "$value", value);
                insert.ExecuteNonQuery();
            }
        }

        private SqliteCommand Prepare(string sql, params string[] parameters) => PreparedStatements.Prepare(_connection, sql, parameters);
    }
}
