using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cairn.Artifacts;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Registry;
using Cairn.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Cairn.Tracking;

/// <summary>How many of one kind of record the MLflow database had, and how many of them changed Cairn's store.</summary>
public sealed record ImportCount(string Kind, long Found, long Imported, long Skipped = 0);

/// <summary>What an import did; a re-run of the same import reports nothing imported.</summary>
public sealed record MlflowImportSummary(string? MlflowSchemaVersion, IReadOnlyList<ImportCount> Counts, IReadOnlyList<string> Warnings);

/// <summary>Progress of one step of an import: <paramref name="Done"/> of <paramref name="Total"/> rows.</summary>
public sealed record ImportProgress(string Step, long Done, long Total);

/// <summary>
/// Brings an existing MLflow installation into Cairn: reads an MLflow SQLite database by its published schema (the
/// tables MLflow's migrations create) and writes experiments, runs, params, metrics, tags, dataset inputs, registered
/// models, versions, their tags, aliases and current stages into Cairn's store, and optionally copies the proxied
/// artifact files into the proxy's destination store. Ids are kept (experiment ids where free, run ids, version numbers), every row is written only when
/// absent or different, and each step that changed something leaves one audit entry, so running it again changes nothing.
/// </summary>
public sealed class MlflowImporter(CairnDatabase database, AuditChain audit, TimeProvider clock, TrackingArtifacts artifacts, IArtifactStore proxyArtifacts)
{
    private const int RowsPerTransaction = 2000;

    private CairnDatabase Database { get; } = database;

    private AuditChain Audit { get; } = audit;

    private TimeProvider Clock { get; } = clock;

    private TrackingArtifacts Artifacts { get; } = artifacts;

    private IArtifactStore ProxyArtifacts { get; } = proxyArtifacts;

    private Lineage.MetadataStore Metadata { get; } = new(database, audit, clock);

    private const string Importer = "mlflow-import";

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record SourceExperiment
    {
        public long ExperimentId { get; init; }
        public string Name { get; init; } = "";
        public string? ArtifactLocation { get; init; }
        public string? LifecycleStage { get; init; }
        public long? CreationTime { get; init; }
        public long? LastUpdateTime { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record SourceRun
    {
        public string RunUuid { get; init; } = "";
        public string? Name { get; init; }
        public string? UserId { get; init; }
        public string? Status { get; init; }
        public long? StartTime { get; init; }
        public long? EndTime { get; init; }
        public string? LifecycleStage { get; init; }
        public string? ArtifactUri { get; init; }
        public long ExperimentId { get; init; }
        public long? DeletedTime { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record SourcePair
    {
        public string Owner { get; init; } = "";
        public string Key { get; init; } = "";
        public string? Value { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record SourceMetric
    {
        public string RunUuid { get; init; } = "";
        public string Key { get; init; } = "";
        public double Value { get; init; }
        public long? Timestamp { get; init; }
        public long Step { get; init; }
        public bool IsNan { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record SourceDataset
    {
        public string DatasetUuid { get; init; } = "";
        public long ExperimentId { get; init; }
        public string Name { get; init; } = "";
        public string Digest { get; init; } = "";
        public string DatasetSourceType { get; init; } = "";
        public string DatasetSource { get; init; } = "";
        public string? DatasetSchema { get; init; }
        public string? DatasetProfile { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record SourceInput
    {
        public string InputUuid { get; init; } = "";
        public string SourceId { get; init; } = "";
        public string DestinationId { get; init; } = "";
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record SourceModel
    {
        public string Name { get; init; } = "";
        public long? CreationTime { get; init; }
        public long? LastUpdatedTime { get; init; }
        public string? Description { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record SourceVersion
    {
        public string Name { get; init; } = "";
        public long Version { get; init; }
        public long? CreationTime { get; init; }
        public long? LastUpdatedTime { get; init; }
        public string? Description { get; init; }
        public string? UserId { get; init; }
        public string? CurrentStage { get; init; }
        public string? Source { get; init; }
        public string? RunId { get; init; }
        public string? RunLink { get; init; }
        public string? Status { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record SourceVersionTag
    {
        public string Name { get; init; } = "";
        public long Version { get; init; }
        public string Key { get; init; } = "";
        public string? Value { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record SourceAlias
    {
        public string Name { get; init; } = "";
        public string Alias { get; init; } = "";
        public long Version { get; init; }
    }

    public async Task<MlflowImportSummary> ImportAsync(
        Caller caller, string mlflowDatabase, string? artifactsDirectory, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        caller.Require(Role.Admin, NamespacePath.Root);
        if (!File.Exists(mlflowDatabase))
        {
            throw new NotFoundException($"There is no MLflow database at {Path.GetFullPath(mlflowDatabase)}.");
        }
        await using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = mlflowDatabase, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await source.OpenAsync(cancellationToken);
        var tables = (await source.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table'")).ToHashSet(StringComparer.Ordinal);
        foreach (var required in new[] { "experiments", "runs", "params", "metrics", "tags" })
        {
            if (!tables.Contains(required))
            {
                throw new InvalidParameterException($"{mlflowDatabase} is not an MLflow tracking database: it has no '{required}' table.");
            }
        }
        var schemaVersion = tables.Contains("alembic_version")
            ? await source.ExecuteScalarAsync<string?>("SELECT version_num FROM alembic_version LIMIT 1")
            : null;

        var run = new ImportRun(this, caller, source, tables, progress, cancellationToken);
        await run.ExperimentsAsync();
        await run.RunsAsync();
        await run.RunPairsAsync("params", "run_params", "params", overwrite: false);
        await run.RunPairsAsync("tags", "run_tags", "tags", overwrite: true);
        await run.MetricsAsync();
        await run.LatestMetricsAsync();
        await run.InputsAsync();
        await run.ModelsAsync();
        await run.VersionsAsync();
        await run.VersionTagsAsync();
        await run.AliasesAsync();
        if (artifactsDirectory is not null)
        {
            await run.ArtifactsAsync(artifactsDirectory);
        }
        return new MlflowImportSummary(schemaVersion, run.Counts, run.Warnings);
    }

    /// <summary>The state of one import: id mappings from MLflow's keys to Cairn's, counts and warnings.</summary>
    private sealed class ImportRun(
        MlflowImporter owner, Caller caller, SqliteConnection source, HashSet<string> tables, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        private readonly Dictionary<long, long> _experiments = [];
        private Dictionary<string, long> _runs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _models = new(StringComparer.Ordinal);

        public List<ImportCount> Counts { get; } = [];

        public List<string> Warnings { get; } = [];

        private CairnDatabase Database => owner.Database;

        private long Now => owner.Clock.GetUtcNow().ToUnixTimeMilliseconds();

        public async Task ExperimentsAsync()
        {
            var rows = (await source.QueryAsync<SourceExperiment>(
                "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM experiments ORDER BY experiment_id")).ToList();
            var imported = await InBatchesAsync("experiments", rows, async (transaction, batch) =>
            {
                var changed = 0L;
                foreach (var e in batch)
                {
                    var connection = transaction.Connection!;
                    var byName = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                        "SELECT id FROM experiments WHERE name = @Name", new { e.Name }, transaction, cancellationToken: cancellationToken));
                    if (byName is { } existing)
                    {
                        _experiments[e.ExperimentId] = existing;
                        continue;
                    }
                    // The MLflow id is kept when it is free, so URIs and links that name it keep working.
                    var idFree = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        "SELECT COUNT(*) FROM experiments WHERE id = @ExperimentId", new { e.ExperimentId }, transaction, cancellationToken: cancellationToken)) == 0;
                    var id = idFree ? e.ExperimentId : await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        "SELECT COALESCE(MAX(id), 0) + 1 FROM experiments", transaction: transaction, cancellationToken: cancellationToken));
                    if (!idFree)
                    {
                        Warnings.Add($"Experiment '{e.Name}' had id {e.ExperimentId}, which is taken here; it is experiment {id} in Cairn.");
                    }
                    await connection.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO experiments (id, name, artifact_location, lifecycle_stage, created_at, updated_at, created_by)
                        VALUES (@id, @Name, @location, @stage, @created, @updated, @by)
                        """,
                        new
                        {
                            id,
                            e.Name,
                            location = e.ArtifactLocation ?? owner.Artifacts.ExperimentLocation(id),
                            stage = e.LifecycleStage ?? LifecycleStage.Active,
                            created = e.CreationTime ?? Now,
                            updated = e.LastUpdateTime ?? e.CreationTime ?? Now,
                            by = Importer,
                        }, transaction, cancellationToken: cancellationToken));
                    _experiments[e.ExperimentId] = id;
                    changed++;
                }
                return changed;
            });
            var tags = tables.Contains("experiment_tags")
                ? (await source.QueryAsync<SourcePair>("SELECT CAST(experiment_id AS TEXT) AS owner, key, value FROM experiment_tags ORDER BY experiment_id, key")).ToList()
                : [];
            var tagged = await InBatchesAsync("experiment tags", tags, (transaction, batch) => UpsertPairsAsync(transaction, "experiment_tags", "experiment_id",
                batch.Select(t => (_experiments.GetValueOrDefault(long.Parse(t.Owner, CultureInfo.InvariantCulture), -1), t.Key, t.Value ?? "")).Where(t => t.Item1 >= 0), overwrite: true));
            Counts.Add(new ImportCount("experiments", rows.Count, imported));
            Counts.Add(new ImportCount("experiment tags", tags.Count, tagged));
        }

        public async Task RunsAsync()
        {
            var rows = (await source.QueryAsync<SourceRun>(
                """
                SELECT run_uuid, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri, experiment_id, deleted_time
                FROM runs ORDER BY start_time, run_uuid
                """)).ToList();
            var skipped = rows.Count(r => !_experiments.ContainsKey(r.ExperimentId));
            var imported = await InBatchesAsync("runs", rows.Where(r => _experiments.ContainsKey(r.ExperimentId)).ToList(), async (transaction, batch) =>
            {
                var changed = 0L;
                foreach (var r in batch)
                {
                    changed += await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, deleted_time, lifecycle_stage, artifact_uri)
                        VALUES (@RunUuid, @experiment, @Name, @UserId, @status, @StartTime, @EndTime, @DeletedTime, @stage, @uri)
                        ON CONFLICT (run_uuid) DO NOTHING
                        """,
                        new
                        {
                            r.RunUuid,
                            experiment = _experiments[r.ExperimentId],
                            r.Name,
                            r.UserId,
                            status = RunStatus.All.Contains(r.Status ?? "") ? r.Status : RunStatus.Finished,
                            r.StartTime,
                            r.EndTime,
                            r.DeletedTime,
                            stage = r.LifecycleStage ?? LifecycleStage.Active,
                            uri = r.ArtifactUri ?? "",
                        }, transaction, cancellationToken: cancellationToken));
                }
                return changed;
            });
            if (skipped > 0)
            {
                Warnings.Add($"{skipped} run(s) belong to no experiment in the MLflow database and were left out.");
            }
            _runs = (await Database.ReadAsync(c => c.QueryAsync<(long Id, string RunUuid)>(new CommandDefinition(
                "SELECT id, run_uuid FROM runs", cancellationToken: cancellationToken)), cancellationToken)).ToDictionary(r => r.RunUuid, r => r.Id, StringComparer.Ordinal);
            Counts.Add(new ImportCount("runs", rows.Count, imported, skipped));
        }

        /// <summary>Params (never overwritten: MLflow's params are immutable) or tags of runs.</summary>
        public async Task RunPairsAsync(string sourceTable, string table, string kind, bool overwrite)
        {
            var rows = (await source.QueryAsync<SourcePair>($"SELECT run_uuid AS owner, key, value FROM {sourceTable} ORDER BY run_uuid, key")).ToList();
            var imported = await InBatchesAsync(kind, rows, (transaction, batch) => UpsertPairsAsync(transaction, table, "run_id",
                batch.Where(p => _runs.ContainsKey(p.Owner)).Select(p => (_runs[p.Owner], p.Key, p.Value ?? "")), overwrite, withRun: table == "run_params"));
            Counts.Add(new ImportCount(kind, rows.Count, imported));
        }

        public async Task MetricsAsync()
        {
            var total = await source.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM metrics");
            long done = 0, imported = 0;
            var batch = new List<SourceMetric>(RowsPerTransaction);
            await foreach (var metric in source.QueryUnbufferedAsync<SourceMetric>(
                "SELECT run_uuid, key, value, timestamp, step, is_nan FROM metrics ORDER BY run_uuid, key, step, timestamp").WithCancellation(cancellationToken))
            {
                batch.Add(metric);
                if (batch.Count == RowsPerTransaction)
                {
                    imported += await WriteMetricsAsync(batch);
                    done += batch.Count;
                    progress?.Report(new ImportProgress("metrics", done, total));
                    batch.Clear();
                }
            }
            imported += await WriteMetricsAsync(batch);
            progress?.Report(new ImportProgress("metrics", total, total));
            Counts.Add(new ImportCount("metric points", total, imported));
        }

        private async Task<long> WriteMetricsAsync(List<SourceMetric> batch)
        {
            var rows = batch.Where(m => _runs.ContainsKey(m.RunUuid)).ToList();
            if (rows.Count == 0)
            {
                return 0;
            }
            return await WriteAsync("metrics", rows.Count, async transaction =>
            {
                var points = rows.Select(m => new MetricPoint(_runs[m.RunUuid], m.Key, m.Step, m.Timestamp ?? 0, m.IsNan ? 0 : m.Value, m.IsNan));
                var changed = await MetricPoints.InsertAsync(transaction, points, cancellationToken);
                return changed;
            });
        }

        public async Task LatestMetricsAsync()
        {
            var rows = tables.Contains("latest_metrics")
                ? (await source.QueryAsync<SourceMetric>("SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics ORDER BY run_uuid, key")).ToList()
                : [];
            var imported = await InBatchesAsync("latest metrics", rows, async (transaction, batch) =>
            {
                long changed = 0;
                foreach (var m in batch.Where(m => _runs.ContainsKey(m.RunUuid)))
                {
                    changed += await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO run_latest_metrics (run_id, key, step, timestamp, value, is_nan, experiment_id, start_time)
                        SELECT @run, @Key, @Step, @timestamp, @value, @nan, r.experiment_id, r.start_time FROM runs r WHERE r.id = @run
                        ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp, value = excluded.value, is_nan = excluded.is_nan
                        WHERE run_latest_metrics.step <> excluded.step OR run_latest_metrics.timestamp <> excluded.timestamp
                           OR run_latest_metrics.value <> excluded.value OR run_latest_metrics.is_nan <> excluded.is_nan
                        """,
                        new { run = _runs[m.RunUuid], m.Key, m.Step, timestamp = m.Timestamp ?? 0, value = m.IsNan ? 0 : m.Value, nan = m.IsNan ? 1 : 0 },
                        transaction, cancellationToken: cancellationToken));
                }
                return changed;
            });
            Counts.Add(new ImportCount("latest metrics", rows.Count, imported));
        }

        public async Task InputsAsync()
        {
            if (!tables.Contains("datasets") || !tables.Contains("inputs"))
            {
                return;
            }
            var datasets = (await source.QueryAsync<SourceDataset>(
                "SELECT dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile FROM datasets")).ToList();
            var inputs = (await source.QueryAsync<SourceInput>(
                "SELECT input_uuid, source_id, destination_id FROM inputs WHERE source_type = 'DATASET' AND destination_type = 'RUN'")).ToList();
            var inputTags = tables.Contains("input_tags")
                ? (await source.QueryAsync<SourcePair>("SELECT input_uuid AS owner, name AS key, value FROM input_tags")).ToLookup(t => t.Owner, StringComparer.Ordinal)
                : Enumerable.Empty<SourcePair>().ToLookup(t => t.Owner, StringComparer.Ordinal);
            var datasetIds = new Dictionary<string, long>(StringComparer.Ordinal);
            var importedDatasets = await InBatchesAsync("datasets", datasets.Where(d => _experiments.ContainsKey(d.ExperimentId)).ToList(), async (transaction, batch) =>
            {
                long changed = 0;
                foreach (var d in batch)
                {
                    var parameters = new { experiment = _experiments[d.ExperimentId], d.Name, d.Digest, d.DatasetSourceType, d.DatasetSource, d.DatasetSchema, d.DatasetProfile };
                    changed += await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO tracking_datasets (experiment_id, name, digest, source_type, source, schema, profile)
                        VALUES (@experiment, @Name, @Digest, @DatasetSourceType, @DatasetSource, @DatasetSchema, @DatasetProfile)
                        ON CONFLICT (experiment_id, name, digest) DO NOTHING
                        """, parameters, transaction, cancellationToken: cancellationToken));
                    datasetIds[d.DatasetUuid] = await transaction.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
                        "SELECT id FROM tracking_datasets WHERE experiment_id = @experiment AND name = @Name AND digest = @Digest",
                        parameters, transaction, cancellationToken: cancellationToken));
                }
                return changed;
            });
            var byUuid = datasets.ToDictionary(d => d.DatasetUuid, StringComparer.Ordinal);
            var importedInputs = await InBatchesAsync("dataset inputs", inputs, async (transaction, batch) =>
            {
                long changed = 0;
                foreach (var input in batch.Where(i => datasetIds.ContainsKey(i.SourceId) && _runs.ContainsKey(i.DestinationId)))
                {
                    var tags = JsonSerializer.Serialize(inputTags[input.InputUuid].ToDictionary(t => t.Key, t => t.Value ?? "", StringComparer.Ordinal));
                    var added = await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO run_inputs (run_id, dataset_id, tags) VALUES (@run, @dataset, @tags) ON CONFLICT (run_id, dataset_id) DO NOTHING",
                        new { run = _runs[input.DestinationId], dataset = datasetIds[input.SourceId], tags }, transaction, cancellationToken: cancellationToken));
                    if (added > 0)
                    {
                        await LinkInputAsync(transaction, byUuid[input.SourceId], input.DestinationId);
                    }
                    changed += added;
                }
                return changed;
            });
            Counts.Add(new ImportCount("datasets", datasets.Count, importedDatasets));
            Counts.Add(new ImportCount("dataset inputs", inputs.Count, importedInputs));
        }

        /// <summary>As MLflow's log-inputs does it live: the dataset joins the metadata repository and feeds the run in the graph.</summary>
        private async Task LinkInputAsync(DbTransaction transaction, SourceDataset d, string runUuid)
        {
            var request = MlflowDatasets.ToDataset(new Dataset(d.Name, d.Digest, d.DatasetSourceType, d.DatasetSource, d.DatasetSchema, d.DatasetProfile));
            Lineage.LineageNode dataset;
            try
            {
                dataset = await owner.Metadata.UpsertDatasetAsync(transaction, Importer, request, runId: null, cancellationToken);
            }
            catch (InvalidParameterException ex)
            {
                // Refused before anything was written (a name that cannot be a node id, a namespace's schema): the input
                // itself is imported, only its lineage is not.
                Warnings.Add($"dataset '{d.Name}' ({d.DatasetSourceType}) of run {runUuid} is not in the lineage graph: {ex.Message}");
                return;
            }
            await Lineage.LineageGraph.LinkAsync(transaction, dataset, new Lineage.LineageNode(Lineage.NodeIds.Run(runUuid), "run", null, runUuid), "input", owner.Clock, cancellationToken);
        }

        public async Task ModelsAsync()
        {
            if (!tables.Contains("registered_models"))
            {
                return;
            }
            var rows = (await source.QueryAsync<SourceModel>("SELECT name, creation_time, last_updated_time, description FROM registered_models ORDER BY name")).ToList();
            var skipped = 0L;
            var imported = await InBatchesAsync("registered models", rows, async (transaction, batch) =>
            {
                long changed = 0;
                foreach (var m in batch)
                {
                    string ns, name;
                    try
                    {
                        (ns, name) = NamespacePath.Split(m.Name);
                    }
                    catch (InvalidParameterException e)
                    {
                        skipped++;
                        Warnings.Add($"Registered model '{m.Name}' was left out: {e.Message}");
                        continue;
                    }
                    var connection = transaction.Connection!;
                    changed += await connection.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO models (namespace, name, full_name, description, data_sources, last_version, created_at, created_by, updated_at, updated_by)
                        VALUES (@ns, @name, @FullName, @Description, '[]', 0, @created, @by, @updated, @by)
                        ON CONFLICT (full_name) DO NOTHING
                        """,
                        new { ns, name, FullName = m.Name, m.Description, created = m.CreationTime ?? Now, updated = m.LastUpdatedTime ?? m.CreationTime ?? Now, by = Importer },
                        transaction, cancellationToken: cancellationToken));
                    _models[m.Name] = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        "SELECT id FROM models WHERE full_name = @Name", new { m.Name }, transaction, cancellationToken: cancellationToken));
                }
                return changed;
            });
            var tags = tables.Contains("registered_model_tags")
                ? (await source.QueryAsync<SourcePair>("SELECT name AS owner, key, value FROM registered_model_tags ORDER BY name, key")).ToList()
                : [];
            var tagged = await InBatchesAsync("registered model tags", tags, (transaction, batch) => UpsertPairsAsync(transaction, "model_tags", "model_id",
                batch.Where(t => _models.ContainsKey(t.Owner)).Select(t => (_models[t.Owner], t.Key, t.Value ?? "")), overwrite: true));
            Counts.Add(new ImportCount("registered models", rows.Count, imported, skipped));
            Counts.Add(new ImportCount("registered model tags", tags.Count, tagged));
        }

        public async Task VersionsAsync()
        {
            if (!tables.Contains("model_versions"))
            {
                return;
            }
            var rows = (await source.QueryAsync<SourceVersion>(
                """
                SELECT name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, run_link, status
                FROM model_versions ORDER BY name, version
                """)).ToList();
            var imported = await InBatchesAsync("model versions", rows.Where(v => _models.ContainsKey(v.Name)).ToList(), async (transaction, batch) =>
            {
                long changed = 0;
                var connection = transaction.Connection!;
                foreach (var v in batch)
                {
                    var stage = StageOf(v.CurrentStage);
                    var modelId = _models[v.Name];
                    if (stage != Stage.None && await ProtectedAsync(transaction, modelId, v.Name, new PromotionTarget(PromotionTargetKind.Stage, stage.ToString())) is { } rule)
                    {
                        Warnings.Add($"Version {v.Version} of '{v.Name}' is {stage} in MLflow, but {stage} is protected by {rule.Words}: it was imported in stage None; promote it with a request.");
                        stage = Stage.None;
                    }
                    var created = v.CreationTime ?? Now;
                    var inserted = await connection.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO model_versions (model_id, version, description, source, run_id, run_link, status, stage, created_at, created_by, updated_at, updated_by)
                        VALUES (@modelId, @Version, @Description, @Source, @RunId, @RunLink, @status, @stage, @created, @by, @updated, @by)
                        ON CONFLICT (model_id, version) DO NOTHING
                        """,
                        new
                        {
                            modelId,
                            v.Version,
                            v.Description,
                            v.Source,
                            v.RunId,
                            v.RunLink,
                            status = VersionStatus.Check(v.Status is VersionStatus.Ready or VersionStatus.PendingRegistration or VersionStatus.FailedRegistration ? v.Status : null),
                            stage = stage.ToString(),
                            created,
                            updated = v.LastUpdatedTime ?? created,
                            by = v.UserId ?? Importer,
                        }, transaction, cancellationToken: cancellationToken));
                    if (inserted > 0 && !string.IsNullOrEmpty(v.RunId))
                    {
                        await Lineage.LineageGraph.LinkRunToModelAsync(transaction, v.RunId, v.Name, v.Version, owner.Clock, cancellationToken);
                    }
                    // Numbers stay as MLflow gave them; the counter moves past them so new versions follow on.
                    await connection.ExecuteAsync(new CommandDefinition(
                        "UPDATE models SET last_version = @Version WHERE id = @modelId AND last_version < @Version",
                        new { modelId, v.Version }, transaction, cancellationToken: cancellationToken));
                    if (inserted > 0 && stage != Stage.None)
                    {
                        // MLflow keeps only the current stage; the history starts with how it arrived.
                        await connection.ExecuteAsync(new CommandDefinition(
                            """
                            INSERT INTO stage_transitions (version_id, from_stage, to_stage, comment, changed_at, changed_by)
                            SELECT id, 'None', @stage, 'imported from MLflow: its stage at import', @updated, @by FROM model_versions WHERE model_id = @modelId AND version = @Version
                            """,
                            new { stage = stage.ToString(), updated = v.LastUpdatedTime ?? created, by = Importer, modelId, v.Version }, transaction, cancellationToken: cancellationToken));
                    }
                    changed += inserted;
                }
                return changed;
            });
            Counts.Add(new ImportCount("model versions", rows.Count, imported, rows.Count(v => !_models.ContainsKey(v.Name))));
        }

        public async Task VersionTagsAsync()
        {
            if (!tables.Contains("model_version_tags"))
            {
                return;
            }
            var rows = (await source.QueryAsync<SourceVersionTag>("SELECT name, version, key, value FROM model_version_tags ORDER BY name, version, key")).ToList();
            var imported = await InBatchesAsync("model version tags", rows.Where(t => _models.ContainsKey(t.Name)).ToList(), async (transaction, batch) =>
            {
                long changed = 0;
                foreach (var t in batch)
                {
                    changed += await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO version_tags (version_id, key, value)
                        SELECT id, @Key, @value FROM model_versions WHERE model_id = @model AND version = @Version
                        ON CONFLICT (version_id, key) DO UPDATE SET value = excluded.value WHERE version_tags.value <> excluded.value
                        """,
                        new { t.Key, value = t.Value ?? "", model = _models[t.Name], t.Version }, transaction, cancellationToken: cancellationToken));
                }
                return changed;
            });
            Counts.Add(new ImportCount("model version tags", rows.Count, imported));
        }

        // An import is no way around a promotion policy: a stage or alias the model's policy protects is not moved by it.
        private async Task<GoverningRule?> ProtectedAsync(DbTransaction transaction, long modelId, string model, PromotionTarget target) =>
            await PromotionPolicies.GoverningRuleAsync(transaction, modelId, model, NamespacePath.Split(model).Namespace, target, cancellationToken);

        public async Task AliasesAsync()
        {
            if (!tables.Contains("registered_model_aliases"))
            {
                return;
            }
            var rows = (await source.QueryAsync<SourceAlias>("SELECT name, alias, version FROM registered_model_aliases ORDER BY name, alias")).ToList();
            long held = 0;
            var imported = await InBatchesAsync("aliases", rows.Where(a => _models.ContainsKey(a.Name)).ToList(), async (transaction, batch) =>
            {
                long changed = 0;
                var connection = transaction.Connection!;
                foreach (var a in batch)
                {
                    var modelId = _models[a.Name];
                    var current = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                        "SELECT version FROM aliases WHERE model_id = @modelId AND alias = @Alias", new { modelId, a.Alias }, transaction, cancellationToken: cancellationToken));
                    if (current == a.Version)
                    {
                        continue;
                    }
                    if (await ProtectedAsync(transaction, modelId, a.Name, new PromotionTarget(PromotionTargetKind.Alias, a.Alias)) is { } rule)
                    {
                        Warnings.Add($"Alias '{a.Alias}' of '{a.Name}' (version {a.Version} in MLflow) is protected by {rule.Words}: it was not imported; move it with a promotion request.");
                        held++;
                        continue;
                    }
                    await connection.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO aliases (model_id, alias, version, updated_at, updated_by) VALUES (@modelId, @Alias, @Version, @now, @by)
                        ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by
                        """,
                        new { modelId, a.Alias, a.Version, now = Now, by = Importer }, transaction, cancellationToken: cancellationToken));
                    await ModelAliases.RecordAsync(transaction, modelId, a.Alias, (int)a.Version, current, Importer, owner.Clock, cancellationToken);
                    changed++;
                }
                return changed;
            });
            Counts.Add(new ImportCount("aliases", rows.Count, imported, held));
        }

        /// <summary>
        /// Copies an MLflow artifact root (the proxy's <c>--artifacts-destination</c>) into Cairn's, at the same relative
        /// paths, so that <c>mlflow-artifacts:/</c> URIs of imported runs resolve. Files already there with the same bytes are skipped.
        /// </summary>
        public async Task ArtifactsAsync(string directory)
        {
            var root = new DirectoryInfo(directory);
            if (!root.Exists)
            {
                throw new NotFoundException($"There is no artifact directory at {root.FullName}.");
            }
            var destination = owner.ProxyArtifacts;
            var stored = await destination.ListAsync("", cancellationToken).ToDictionaryAsync(o => o.Key, o => o.Size, StringComparer.Ordinal, cancellationToken);
            var files = root.EnumerateFiles("*", SearchOption.AllDirectories).ToList();
            long copied = 0, done = 0, bytes = 0;
            foreach (var file in files)
            {
                var key = Path.GetRelativePath(root.FullName, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
                if (!stored.TryGetValue(key, out var size) || size != file.Length || !await SameBytesAsync(file, key))
                {
                    // Staged and committed by the store, so an interrupted import leaves no half file in place.
                    await using var read = file.OpenRead();
                    await using var staged = await destination.StageAsync(key, read, long.MaxValue, withMd5: false, cancellationToken);
                    await destination.CommitAsync(staged, key, cancellationToken);
                    copied++;
                    bytes += file.Length;
                }
                progress?.Report(new ImportProgress("artifacts", ++done, files.Count));
            }
            if (copied > 0)
            {
                await WriteAsync("artifacts", 0, async transaction =>
                {
                    await owner.Audit.AppendAsync(transaction, caller.Name, "import.mlflow", "mlflow-import/artifacts", null,
                        new { kind = "artifacts", from = root.FullName, files = copied, bytes }, cancellationToken);
                    return 0L;
                });
            }
            Counts.Add(new ImportCount("artifact files", files.Count, copied));
        }

        private async Task<bool> SameBytesAsync(FileInfo file, string key)
        {
            await using var local = file.OpenRead();
            await using var copy = await owner.ProxyArtifacts.OpenReadAsync(key, 0, null, cancellationToken);
            var (first, second) = (await SHA256.HashDataAsync(local, cancellationToken), await SHA256.HashDataAsync(copy, cancellationToken));
            return first.AsSpan().SequenceEqual(second);
        }

        /// <summary>
        /// Writes <paramref name="rows"/> in transactions of a few thousand, each followed (when it changed anything) by one
        /// audit entry with the count; reports progress after each.
        /// </summary>
        private async Task<long> InBatchesAsync<T>(string kind, IReadOnlyList<T> rows, Func<DbTransaction, T[], Task<long>> write)
        {
            long imported = 0, done = 0;
            foreach (var batch in rows.Chunk(RowsPerTransaction))
            {
                imported += await WriteAsync(kind, batch.Length, transaction => write(transaction, batch));
                done += batch.Length;
                progress?.Report(new ImportProgress(kind, done, rows.Count));
            }
            if (rows.Count == 0)
            {
                progress?.Report(new ImportProgress(kind, 0, 0));
            }
            return imported;
        }

        private Task<long> WriteAsync(string kind, long rows, Func<DbTransaction, Task<long>> write) =>
            Database.WriteAsync(async (_, transaction) =>
            {
                var changed = await write(transaction);
                if (changed > 0)
                {
                    await owner.Audit.AppendAsync(transaction, caller.Name, "import.mlflow", $"mlflow-import/{kind.Replace(' ', '_')}", null,
                        new { kind, rows, changed }, cancellationToken);
                }
                return changed;
            }, cancellationToken);

        // withRun also copies the run's experiment and start time onto each row (run params: migration 0025's order indexes).
        private async Task<long> UpsertPairsAsync(DbTransaction transaction, string table, string ownerColumn, IEnumerable<(long Owner, string Key, string Value)> pairs, bool overwrite, bool withRun = false)
        {
            long changed = 0;
            var conflict = overwrite ? $"DO UPDATE SET value = excluded.value WHERE {table}.value <> excluded.value" : "DO NOTHING";
            var insert = withRun
                ? $"INSERT INTO {table} ({ownerColumn}, key, value, experiment_id, start_time) SELECT @ownerId, @key, @value, r.experiment_id, r.start_time FROM runs r WHERE r.id = @ownerId"
                : $"INSERT INTO {table} ({ownerColumn}, key, value) VALUES (@ownerId, @key, @value)";
            foreach (var (ownerId, key, value) in pairs)
            {
                changed += await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                    $"{insert} ON CONFLICT ({ownerColumn}, key) {conflict}",
                    new { ownerId, key, value }, transaction, cancellationToken: cancellationToken));
            }
            return changed;
        }

        private static Stage StageOf(string? stage) =>
            Enum.TryParse<Stage>(stage, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed : Stage.None;
    }
}
