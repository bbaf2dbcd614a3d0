using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Search;
using Cairn.Storage;
using Dapper;

namespace Cairn.Tracking;

/// <summary>
/// Experiment tracking as MLflow defines it — experiments, runs, params, metrics with history, tags and dataset
/// inputs — stored as Cairn records: every change is one transaction with its audit entry. Tracking data belongs to
/// the root namespace for permissions (decision 0007): reading needs reader on "/", writing writer on "/".
/// </summary>
public sealed partial class TrackingStore(CairnDatabase database, AuditChain audit, TimeProvider clock, TrackingArtifacts artifacts, Lineage.MetadataStore metadata)
{
    public const string RunNameTag = "mlflow.runName";
    public const string LogModelHistoryTag = "mlflow.log-model.history";
    private const int DefaultExperimentPage = 1000;
    private const int DefaultRunPage = 1000;
    private const int MaxPage = 50000;

    /// <summary>What search_runs may filter and order on, in MLflow's names.</summary>
    public static FilterSchema RunSchema { get; } = new(
        "r.id",
        [
            new FilterAttribute("run_id", "r.run_uuid", FilterValueType.String),
            new FilterAttribute("run_name", "r.name", FilterValueType.String),
            new FilterAttribute("status", "r.status", FilterValueType.String),
            new FilterAttribute("user_id", "r.user_id", FilterValueType.String),
            new FilterAttribute("start_time", "r.start_time", FilterValueType.Number),
            new FilterAttribute("created", "r.start_time", FilterValueType.Number),
            new FilterAttribute("Created", "r.start_time", FilterValueType.Number),
            new FilterAttribute("end_time", "r.end_time", FilterValueType.Number),
            new FilterAttribute("artifact_uri", "r.artifact_uri", FilterValueType.String),
            new FilterAttribute("lifecycle_stage", "r.lifecycle_stage", FilterValueType.String),
        ],
        [
            new FilterCollection("metrics", "run_latest_metrics", "run_id", "key", "value", FilterValueType.Number),
            new FilterCollection("params", "run_params", "run_id", "key", "value", FilterValueType.String),
            new FilterCollection("tags", "run_tags", "run_id", "key", "value", FilterValueType.String),
        ]);

    /// <summary>What search_experiments may filter and order on.</summary>
    public static FilterSchema ExperimentSchema { get; } = new(
        "e.id",
        [
            new FilterAttribute("experiment_id", "e.id", FilterValueType.Number),
            new FilterAttribute("name", "e.name", FilterValueType.String),
            new FilterAttribute("creation_time", "e.created_at", FilterValueType.Number),
            new FilterAttribute("last_update_time", "e.updated_at", FilterValueType.Number),
        ],
        [new FilterCollection("tags", "experiment_tags", "experiment_id", "key", "value", FilterValueType.String)]);

    private sealed record ExperimentRow
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public string ArtifactLocation { get; init; } = "";
        public string LifecycleStage { get; init; } = "";
        public long CreatedAt { get; init; }
        public long UpdatedAt { get; init; }
    }

    private sealed record RunRow
    {
        public long Id { get; init; }
        public string RunUuid { get; init; } = "";
        public long ExperimentId { get; init; }
        public string? Name { get; init; }
        public string? UserId { get; init; }
        public string Status { get; init; } = "";
        public long? StartTime { get; init; }
        public long? EndTime { get; init; }
        public string LifecycleStage { get; init; } = "";
        public string ArtifactUri { get; init; } = "";
    }

    private sealed record PairRow
    {
        public long Owner { get; init; }
        public string Key { get; init; } = "";
        public string Value { get; init; } = "";
    }

    private sealed record MetricRow
    {
        public long RunId { get; init; }
        public string Key { get; init; } = "";
        public double Value { get; init; }
        public long IsNan { get; init; }
        public long Timestamp { get; init; }
        public long Step { get; init; }

        public Metric ToMetric() => new(Key, IsNan != 0 ? double.NaN : Value, Timestamp, Step);
    }

    private sealed record InputRow
    {
        public long RunId { get; init; }
        public string Name { get; init; } = "";
        public string Digest { get; init; } = "";
        public string SourceType { get; init; } = "";
        public string Source { get; init; } = "";
        public string? Schema { get; init; }
        public string? Profile { get; init; }
        public string Tags { get; init; } = "{}";
    }

    // ---- Experiments -------------------------------------------------------------------------------------------

    /// <summary>MLflow's "Default" experiment 0, made once with a location under the default artifact root.</summary>
    public async Task EnsureDefaultExperimentAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await database.WriteAsync(async (connection, transaction) =>
        {
            var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM experiments WHERE id = 0", transaction: transaction, cancellationToken: cancellationToken));
            if (exists == 0)
            {
                var location = artifacts.ExperimentLocation(0);
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO experiments (id, name, artifact_location, lifecycle_stage, created_at, updated_at, created_by)
                    SELECT 0, 'Default', @location, 'active', @now, @now, 'cairn'
                    WHERE NOT EXISTS (SELECT 1 FROM experiments WHERE name = 'Default')
                    """,
                    new { location, now }, transaction, cancellationToken: cancellationToken));
            }
            return 0;
        }, cancellationToken);
    }

    public async Task<string> CreateExperimentAsync(
        Caller caller, string? name, string? artifactLocation, IReadOnlyList<KeyValue>? tags, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        if (string.IsNullOrWhiteSpace(name))
        {
            throw TrackingLimits.Missing("name");
        }
        if (name.Length > TrackingLimits.MaxExperimentNameLength)
        {
            throw new InvalidParameterException($"Experiment name exceeds the maximum length of {TrackingLimits.MaxExperimentNameLength} characters.");
        }
        NameRules.Check(name, "name");
        if (artifactLocation is not null && artifactLocation.StartsWith("runs:", StringComparison.Ordinal))
        {
            throw new InvalidParameterException($"Artifact location cannot be a runs:/ URI. Given: '{artifactLocation}'");
        }
        foreach (var tag in tags ?? [])
        {
            TrackingLimits.CheckExperimentTag(tag);
        }
        TrackingLimits.CheckUniqueTags(tags ?? []);
        // As MLflow's stores keep it: a relative location is resolved against the server's working directory.
        var given = string.IsNullOrWhiteSpace(artifactLocation) ? null : TrackingArtifacts.ResolveIfLocal(artifactLocation);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM experiments WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken)) > 0)
            {
                throw new AlreadyExistsException($"Experiment(name={name}) already exists.");
            }
            // Ids count up from the highest ever used, so an id is never reused (a deleted experiment keeps its row).
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM experiments", transaction: transaction, cancellationToken: cancellationToken));
            var location = given ?? artifacts.ExperimentLocation(id);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO experiments (id, name, artifact_location, lifecycle_stage, created_at, updated_at, created_by)
                VALUES (@id, @name, @location, 'active', @now, @now, @by)
                """,
                new { id, name, location, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            await UpsertPairsAsync(transaction, "experiment_tags", "experiment_id", id, tags ?? [], cancellationToken);
            var experimentId = id.ToString(CultureInfo.InvariantCulture);
            await audit.AppendAsync(transaction, caller.Name, "experiment.create", ExperimentResource(experimentId), null,
                new { experiment_id = experimentId, name, artifact_location = location, tags }, cancellationToken);
            return experimentId;
        }, cancellationToken);
    }

    public async Task<Experiment> GetExperimentAsync(Caller caller, string? experimentId, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = TrackingLimits.ExperimentId(experimentId);
        return await database.ReadAsync(async connection =>
        {
            var row = await FindExperimentAsync(connection, null, id, cancellationToken) ?? throw ExperimentMissing(experimentId!);
            return (await WithTagsAsync(database.Dialect, connection, [row], cancellationToken))[0];
        }, cancellationToken);
    }

    public async Task<Experiment> GetExperimentByNameAsync(Caller caller, string? name, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        if (string.IsNullOrEmpty(name))
        {
            throw TrackingLimits.Missing("experiment_name");
        }
        return await database.ReadAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ExperimentRow>(new CommandDefinition(
                $"{SelectExperiments} WHERE e.name = @name", new { name }, cancellationToken: cancellationToken))
                ?? throw new NotFoundException($"Could not find experiment with name '{name}'");
            return (await WithTagsAsync(database.Dialect, connection, [row], cancellationToken))[0];
        }, cancellationToken);
    }

    public async Task<ExperimentPage> SearchExperimentsAsync(Caller caller, ExperimentQuery query, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var size = query.MaxResults switch
        {
            null => DefaultExperimentPage,
            < 1 => throw new InvalidParameterException($"Invalid value for max_results. It must be a positive integer, but got {query.MaxResults}"),
            > MaxPage => throw new InvalidParameterException($"Invalid value for max_results. It must be at most {MaxPage}, but got {query.MaxResults}"),
            { } requested => requested,
        };
        var parameters = new Dictionary<string, object?>();
        var where = new List<string> { LifecycleCondition("e", query.ViewType) };
        if (MlflowFilter.Parse(query.Filter) is { } filter)
        {
            where.Add(FilterCompiler.Compile(filter, ExperimentSchema, database.Dialect, parameters));
        }
        var orderBy = OrderByClause.ToSql(query.OrderBy, ExperimentSchema, "creation_time DESC, experiment_id ASC");
        var page = OffsetPage.Start(size, query.PageToken, $"experiments|{query.Filter}|{query.OrderBy}|{query.ViewType}");
        page.AddTo(parameters);
        return await database.ReadAsync(async connection =>
        {
            var (rows, next) = page.Cut(await connection.QueryAsync<ExperimentRow>(new CommandDefinition(
                $"{SelectExperiments} WHERE {string.Join(" AND ", where)} ORDER BY {orderBy}" + OffsetPage.Sql,
                new DynamicParameters(parameters), cancellationToken: cancellationToken)));
            return new ExperimentPage(await WithTagsAsync(database.Dialect, connection, rows, cancellationToken), next);
        }, cancellationToken);
    }

    /// <summary>
    /// MLflow's experiment order_by (a list of <c>[attribute.]name [ASC|DESC]</c>) as one order_by over
    /// <see cref="ExperimentSchema"/>: MLflow allows the attribute prefixes its filters take.
    /// </summary>
    public static string? ExperimentOrderBy(IEnumerable<string>? terms)
    {
        var list = (terms ?? []).Select(term => term.Trim()).Where(term => term.Length > 0).Select(term =>
        {
            foreach (var prefix in (ReadOnlySpan<string>)["attributes.", "attribute.", "attr."])
            {
                if (term.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    return term[prefix.Length..];
                }
            }
            return term;
        }).ToList();
        return list.Count == 0 ? null : string.Join(", ", list);
    }

    public async Task RenameExperimentAsync(Caller caller, string? experimentId, string? newName, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.ExperimentId(experimentId);
        if (string.IsNullOrWhiteSpace(newName))
        {
            throw TrackingLimits.Missing("new_name");
        }
        NameRules.Check(newName, "new_name");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindExperimentAsync(connection, transaction, id, cancellationToken) ?? throw ExperimentMissing(experimentId!);
            if (row.LifecycleStage != LifecycleStage.Active)
            {
                throw new InvalidStateException("Cannot rename a non-active experiment.");
            }
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM experiments WHERE name = @newName AND id <> @id", new { newName, id }, transaction, cancellationToken: cancellationToken)) > 0)
            {
                throw new AlreadyExistsException($"Experiment(name={newName}) already exists.");
            }
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE experiments SET name = @newName, updated_at = @now WHERE id = @id", new { newName, now, id }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "experiment.rename", ExperimentResource(experimentId!), new { name = row.Name }, new { name = newName }, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>Marks an experiment (and its runs) deleted or active again; rows stay, so ids are never reused.</summary>
    public async Task SetExperimentLifecycleAsync(Caller caller, string? experimentId, bool delete, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.ExperimentId(experimentId);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var (from, to) = delete ? (LifecycleStage.Active, LifecycleStage.Deleted) : (LifecycleStage.Deleted, LifecycleStage.Active);
        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindExperimentAsync(connection, transaction, id, cancellationToken) ?? throw ExperimentMissing(experimentId!);
            // MLflow looks a deleted experiment up among the active ones (and the reverse to restore): not found.
            if (row.LifecycleStage != from)
            {
                throw ExperimentMissing(experimentId!);
            }
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE experiments SET lifecycle_stage = @to, updated_at = @now WHERE id = @id;
                UPDATE runs SET lifecycle_stage = @to, deleted_time = @deletedTime WHERE experiment_id = @id AND lifecycle_stage = @from;
                """,
                new { to, from, now, id, deletedTime = delete ? now : (long?)null }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, delete ? "experiment.delete" : "experiment.restore", ExperimentResource(experimentId!),
                new { lifecycle_stage = from }, new { lifecycle_stage = to }, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    public async Task SetExperimentTagAsync(Caller caller, string? experimentId, KeyValue tag, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.ExperimentId(experimentId);
        TrackingLimits.CheckExperimentTag(tag);
        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindExperimentAsync(connection, transaction, id, cancellationToken) ?? throw ExperimentMissing(experimentId!);
            RequireActive(row);
            await UpsertPairsAsync(transaction, "experiment_tags", "experiment_id", id, [tag], cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "experiment.tag.set", ExperimentResource(experimentId!), null, tag, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>Removes a tag of an active experiment; a tag it does not have is RESOURCE_DOES_NOT_EXIST, as in MLflow.</summary>
    public async Task DeleteExperimentTagAsync(Caller caller, string? experimentId, string? key, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.ExperimentId(experimentId);
        if (string.IsNullOrEmpty(key))
        {
            throw TrackingLimits.Missing("key");
        }
        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindExperimentAsync(connection, transaction, id, cancellationToken) ?? throw ExperimentMissing(experimentId!);
            RequireActive(row);
            var value = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT value FROM experiment_tags WHERE experiment_id = @id AND key = @key", new { id, key }, transaction, cancellationToken: cancellationToken))
                ?? throw new NotFoundException($"No tag with name: {key} in experiment with id {experimentId}");
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM experiment_tags WHERE experiment_id = @id AND key = @key", new { id, key }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "experiment.tag.delete", ExperimentResource(experimentId!), new KeyValue(key, value), null, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    // ---- Runs --------------------------------------------------------------------------------------------------

    public async Task<Run> CreateRunAsync(Caller caller, CreateRunRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var experimentId = TrackingLimits.ExperimentId(request.ExperimentId);
        var tags = (request.Tags ?? []).ToList();
        tags.ForEach(TrackingLimits.CheckTag);
        TrackingLimits.CheckUniqueTags(tags);
        var tagged = tags.LastOrDefault(t => t.Key == RunNameTag)?.Value;
        if (request.RunName is not null && tagged is not null && request.RunName != tagged)
        {
            throw new InvalidParameterException(
                $"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='{request.RunName}', mlflow.runName='{tagged}').");
        }
        var name = NameRules.Check(request.RunName ?? tagged ?? RunNames.Generate(), "run_name");
        tags.RemoveAll(t => t.Key == RunNameTag);
        tags.Add(new KeyValue(RunNameTag, name));
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var runId = Guid.NewGuid().ToString("N");
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var experiment = await FindExperimentAsync(connection, transaction, experimentId, cancellationToken) ?? throw ExperimentMissing(request.ExperimentId);
            RequireActive(experiment);
            var row = new RunRow
            {
                RunUuid = runId,
                ExperimentId = experimentId,
                Name = name,
                UserId = request.UserId ?? caller.Name,
                Status = RunStatus.Running,
                StartTime = request.StartTime ?? now,
                LifecycleStage = LifecycleStage.Active,
                ArtifactUri = TrackingArtifacts.RunArtifactUri(experiment.ArtifactLocation, runId),
            };
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)
                VALUES (@RunUuid, @ExperimentId, @Name, @UserId, @Status, @StartTime, @LifecycleStage, @ArtifactUri)
                RETURNING id
                """,
                row, transaction, cancellationToken: cancellationToken));
            await UpsertPairsAsync(transaction, "run_tags", "run_id", id, tags, cancellationToken);
            var run = new Run(ToInfo(row), new RunData([], [], tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToList()), new RunInputs([]));
            await audit.AppendAsync(transaction, caller.Name, "run.create", RunResource(runId), null, run.Info, cancellationToken);
            return run;
        }, cancellationToken);
    }

    public async Task<Run> GetRunAsync(Caller caller, string? runId, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        return await database.ReadAsync(async connection =>
        {
            var row = await FindRunAsync(connection, null, id, cancellationToken) ?? throw RunMissing(id);
            return (await LoadRunsAsync(database.Dialect, connection, [row], cancellationToken))[0];
        }, cancellationToken);
    }

    public async Task<RunInfo> UpdateRunAsync(Caller caller, string? runId, UpdateRunRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        if (request.Status is not null && !RunStatus.All.Contains(request.Status))
        {
            throw new InvalidParameterException($"Invalid value '{request.Status}' for parameter 'status': expected one of {string.Join(", ", RunStatus.All)}.");
        }
        // MLflow ignores an empty run_name rather than blanking the name.
        var runName = string.IsNullOrEmpty(request.RunName) ? null : NameRules.Check(request.RunName, "run_name");
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindRunAsync(connection, transaction, id, cancellationToken) ?? throw RunMissing(id);
            RequireActive(row);
            var updated = row with
            {
                Status = request.Status ?? row.Status,
                EndTime = request.EndTime ?? row.EndTime,
                Name = runName ?? row.Name,
            };
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE runs SET status = @Status, end_time = @EndTime, name = @Name WHERE id = @Id", updated, transaction, cancellationToken: cancellationToken));
            if (runName is not null)
            {
                await UpsertPairsAsync(transaction, "run_tags", "run_id", row.Id, [new KeyValue(RunNameTag, runName)], cancellationToken);
            }
            await audit.AppendAsync(transaction, caller.Name, "run.update", RunResource(id), ToInfo(row), ToInfo(updated), cancellationToken);
            return ToInfo(updated);
        }, cancellationToken);
    }

    public async Task SetRunLifecycleAsync(Caller caller, string? runId, bool delete, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindRunAsync(connection, transaction, id, cancellationToken) ?? throw RunMissing(id);
            var to = delete ? LifecycleStage.Deleted : LifecycleStage.Active;
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE runs SET lifecycle_stage = @to, deleted_time = @deletedTime WHERE id = @Id",
                new { to, deletedTime = delete ? now : (long?)null, row.Id }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, delete ? "run.delete" : "run.restore", RunResource(id),
                new { lifecycle_stage = row.LifecycleStage }, new { lifecycle_stage = to }, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    public async Task DeleteRunTagAsync(Caller caller, string? runId, string? key, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        if (string.IsNullOrEmpty(key))
        {
            throw TrackingLimits.Missing("key");
        }
        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindRunAsync(connection, transaction, id, cancellationToken) ?? throw RunMissing(id);
            RequireActive(row);
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM run_tags WHERE run_id = @Id AND key = @key", new { row.Id, key }, transaction, cancellationToken: cancellationToken));
            if (deleted == 0)
            {
                throw new NotFoundException($"No tag with name: {key} in run with id {id}");
            }
            await audit.AppendAsync(transaction, caller.Name, "run.tag.delete", RunResource(id), new { key }, null, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// log-batch, and log-metric/log-parameter/set-tag as batches of one: all or nothing, in one transaction. Params are
    /// immutable once logged (the same value again is fine); a metric point is history, and each key's latest point is
    /// kept for runs/get and search.
    /// </summary>
    public async Task LogBatchAsync(
        Caller caller, string? runId, IReadOnlyList<Metric>? metrics, IReadOnlyList<KeyValue>? parameters, IReadOnlyList<KeyValue>? tags,
        CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        metrics ??= [];
        parameters ??= [];
        tags ??= [];
        TrackingLimits.CheckBatch(metrics.Count, parameters.Count, tags.Count);
        foreach (var metric in metrics)
        {
            TrackingLimits.CheckMetric(metric);
        }
        foreach (var param in parameters)
        {
            TrackingLimits.CheckParam(param);
        }
        foreach (var tag in tags)
        {
            TrackingLimits.CheckTag(tag);
        }
        // The same key twice in one batch with different values is refused, as MLflow does.
        foreach (var group in parameters.GroupBy(p => p.Key, StringComparer.Ordinal).Where(g => g.Select(p => p.Value).Distinct(StringComparer.Ordinal).Count() > 1))
        {
            throw new InvalidParameterException($"Duplicate parameter keys have been submitted: [{group.Key}]. Please ensure the request contains only one param value per param key.");
        }

        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindRunAsync(connection, transaction, id, cancellationToken) ?? throw RunMissing(id);
            RequireActive(row);
            await LogParamsAsync(database.Dialect, transaction, row, parameters.DistinctBy(p => p.Key, StringComparer.Ordinal).ToList(), cancellationToken);
            await LogMetricsAsync(transaction, row, metrics, cancellationToken);
            await LoggedModels.LoggedModelLinks.LogMetricsAsync(transaction, row.RunUuid, metrics, cancellationToken);
            await UpsertPairsAsync(transaction, "run_tags", "run_id", row.Id, tags, cancellationToken);
            if (tags.LastOrDefault(t => t.Key == RunNameTag) is { } runName)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE runs SET name = @Value WHERE id = @Id", new { runName.Value, row.Id }, transaction, cancellationToken: cancellationToken));
            }
            // A batch can hold a thousand points: the audit entry keeps what changed, not every value.
            await audit.AppendAsync(transaction, caller.Name, "run.log_batch", RunResource(id), null, new
            {
                metrics = metrics.Count,
                metric_keys = metrics.Select(m => m.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
                @params = parameters,
                tags,
            }, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>log-inputs: datasets the run read and, with MLflow 3, logged models it read (<paramref name="models"/>, unchecked as in MLflow).</summary>
    public async Task LogInputsAsync(
        Caller caller, string? runId, IReadOnlyList<DatasetInput>? inputs, IReadOnlyList<LoggedModels.RunModelLink>? models, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        // ModelInput.model_id is required by MLflow's proto (validate_required); the ids themselves are not looked up.
        if (models?.Any(m => string.IsNullOrEmpty(m?.ModelId)) == true)
        {
            throw TrackingLimits.Missing("models.model_id");
        }
        inputs ??= [];
        foreach (var input in inputs)
        {
            if (input.Dataset is null || string.IsNullOrEmpty(input.Dataset.Name) || string.IsNullOrEmpty(input.Dataset.Digest)
                || string.IsNullOrEmpty(input.Dataset.SourceType) || string.IsNullOrEmpty(input.Dataset.Source))
            {
                throw new InvalidParameterException("Each dataset input needs a dataset with name, digest, source_type and source.");
            }
            foreach (var tag in input.Tags ?? [])
            {
                TrackingLimits.CheckTag(tag);
            }
        }
        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindRunAsync(connection, transaction, id, cancellationToken) ?? throw RunMissing(id);
            RequireActive(row);
            foreach (var input in inputs)
            {
                var d = input.Dataset;
                var datasetId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    """
                    INSERT INTO tracking_datasets (experiment_id, name, digest, source_type, source, schema, profile)
                    VALUES (@ExperimentId, @Name, @Digest, @SourceType, @Source, @Schema, @Profile)
                    ON CONFLICT (experiment_id, name, digest) DO UPDATE SET source = excluded.source
                    RETURNING id
                    """,
                    new { row.ExperimentId, d.Name, d.Digest, d.SourceType, d.Source, d.Schema, d.Profile }, transaction, cancellationToken: cancellationToken));
                var inputTags = JsonSerializer.Serialize((input.Tags ?? []).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal));
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO run_inputs (run_id, dataset_id, tags) VALUES (@Id, @datasetId, @inputTags)
                    ON CONFLICT (run_id, dataset_id) DO UPDATE SET tags = excluded.tags
                    """,
                    new { row.Id, datasetId, inputTags }, transaction, cancellationToken: cancellationToken));
                // The dataset fed the run: one graph with runs, model versions and OpenLineage's datasets. It is also a
                // dataset of the metadata repository, named by source type and name, its digest the version.
                var dataset = await metadata.UpsertDatasetAsync(transaction, caller.Name, MlflowDatasets.ToDataset(d), runId: null, cancellationToken);
                await Lineage.LineageGraph.LinkAsync(transaction, dataset, new Lineage.LineageNode(Lineage.NodeIds.Run(id), "run", null, id), "input", clock, cancellationToken);
            }
            await LoggedModels.LoggedModelLinks.RecordRunModelsAsync(transaction, row.Id, id, "input", models ?? [], clock, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "run.log_inputs", RunResource(id), null,
                new
                {
                    datasets = inputs.Select(i => new { i.Dataset.Name, i.Dataset.Digest, i.Dataset.Source }).ToList(),
                    models = models?.Select(m => m.ModelId).ToList(),
                }, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>The fields MLflow's handler requires of a logged model, in the order its error names them.</summary>
    private static readonly string[] LoggedModelFields = ["artifact_path", "flavors", "utc_time_created", "run_id"];

    /// <summary>log-model: MLflow keeps the logged model's description in a JSON list in the run's history tag.</summary>
    public async Task LogModelAsync(Caller caller, string? runId, string? modelJson, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        if (string.IsNullOrEmpty(modelJson))
        {
            throw TrackingLimits.Missing("model_json");
        }
        JsonElement model;
        try
        {
            model = JsonDocument.Parse(modelJson).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new InvalidParameterException($"Malformed model info. \n {modelJson} \n is not a valid JSON.");
        }
        var missing = LoggedModelFields
            .Where(field => model.ValueKind != JsonValueKind.Object || !model.TryGetProperty(field, out _)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidParameterException($"Model json is missing mandatory fields: {{{string.Join(", ", missing.Select(f => $"'{f}'"))}}}");
        }
        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindRunAsync(connection, transaction, id, cancellationToken) ?? throw RunMissing(id);
            RequireActive(row);
            var previous = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT value FROM run_tags WHERE run_id = @Id AND key = @key", new { row.Id, key = LogModelHistoryTag }, transaction, cancellationToken: cancellationToken));
            var history = previous is null ? [] : JsonSerializer.Deserialize<List<JsonElement>>(previous) ?? [];
            history.Add(model);
            var tag = new KeyValue(LogModelHistoryTag, JsonSerializer.Serialize(history));
            await UpsertPairsAsync(transaction, "run_tags", "run_id", row.Id, [tag], cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "run.log_model", RunResource(id), null, model, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    public async Task<MetricHistoryPage> GetMetricHistoryAsync(
        Caller caller, string? runId, string? metricKey, int? maxResults, string? pageToken, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        if (string.IsNullOrEmpty(metricKey))
        {
            throw TrackingLimits.Missing("metric_key");
        }
        var size = maxResults is null ? int.MaxValue - 1 : Paging.PageSize(maxResults, 25000, 25000);
        var page = OffsetPage.Start(size, pageToken, $"history|{id}|{metricKey}");
        return await database.ReadAsync(async connection =>
        {
            var row = await FindRunAsync(connection, null, id, cancellationToken) ?? throw RunMissing(id);
            var parameters = new Dictionary<string, object?> { ["Id"] = row.Id, ["metricKey"] = metricKey };
            page.AddTo(parameters);
            var (points, next) = page.Cut(await connection.QueryAsync<MetricRow>(new CommandDefinition(
                """
                SELECT run_id, key, value, is_nan, timestamp, step FROM run_metrics
                WHERE run_id = @Id AND key = @metricKey ORDER BY step, timestamp, value
                """ + OffsetPage.Sql,
                new DynamicParameters(parameters), cancellationToken: cancellationToken)));
            return new MetricHistoryPage(points.Select(p => p.ToMetric()).ToList(), next);
        }, cancellationToken);
    }

    public async Task<RunPage> SearchRunsAsync(Caller caller, RunQuery query, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var size = PageSize(query.MaxResults, DefaultRunPage);
        var experimentIds = query.ExperimentIds.Select(e => TrackingLimits.ExperimentId(e, "experiment_ids")).Distinct().ToList();
        if (experimentIds.Count == 0)
        {
            return new RunPage([], null);
        }
        var parameters = new Dictionary<string, object?> { ["experimentIds"] = experimentIds };
        // One experiment (the usual search, and the UI's runs table) as an equality: the engine then walks
        // ix_runs_experiment_start_uuid in the default order and stops at the page; an IN list sorts every run.
        var inExperiments = experimentIds.Count == 1 ? "r.experiment_id = @experimentId" : database.Dialect.InList("r.experiment_id", "@experimentIds");
        if (experimentIds.Count == 1)
        {
            parameters["experimentId"] = experimentIds[0];
        }
        var where = new List<string> { inExperiments, LifecycleCondition("r", query.ViewType) };
        var indexable = new List<(string Key, string Operator, double Value)>();
        if (MlflowFilter.Parse(query.Filter) is { } filter)
        {
            // Not bounded to the experiments inside the EXISTS (their rows carry it): PostgreSQL then took the conditions as
            // independent, expected few runs to pass, and chose plans that read every matching row (a param filter without
            // an order: 89 ms → 1.1 s on 100,000 runs). The ordered walk below handles a common param instead.
            where.Add(FilterCompiler.Compile(filter, RunSchema, database.Dialect, parameters));
            indexable = IndexableMetricTerms(filter).Take(2).ToList();
        }
        var order = ParseRunOrder(query.OrderBy);
        var orderBy = RunOrderBy(order, parameters);
        var page = OffsetPage.Start(size, query.PageToken, $"runs|{string.Join(',', experimentIds)}|{query.Filter}|{string.Join(';', query.OrderBy ?? [])}|{query.ViewType}");
        page.AddTo(parameters);
        return await database.ReadAsync(async connection =>
        {
            var selective = await SelectiveMetricTermAsync(connection, indexable, cancellationToken);
            if (selective is null && experimentIds.Count == 1 && order is [{ Collection.Prefix: "metrics" or "params" } term])
            {
                var walked = await SearchByIndexedOrderAsync(database.Dialect, connection, term, where, parameters, page, cancellationToken);
                return new RunPage(await LoadRunsAsync(database.Dialect, connection, walked.Rows, cancellationToken), walked.Next);
            }
            if (selective is { } hint)
            {
                // Implied by the filter's own EXISTS, so the rows are the same; it lets the engine test membership in
                // the few runs the (key, value) index finds instead of probing every run of the experiments.
                parameters["hintKey"] = hint.Key;
                parameters["hintValue"] = hint.Value;
                where.Add($"r.id IN (SELECT h.run_id FROM run_latest_metrics h WHERE h.key = @hintKey AND h.value {hint.Operator} @hintValue)");
            }
            var (rows, next) = page.Cut(await connection.QueryAsync<RunRow>(new CommandDefinition(
                $"{SelectRuns} WHERE {string.Join(" AND ", where)} ORDER BY {orderBy}" + OffsetPage.Sql,
                new DynamicParameters(parameters), cancellationToken: cancellationToken)));
            return new RunPage(await LoadRunsAsync(database.Dialect, connection, rows, cancellationToken), next);
        }, cancellationToken);
    }

    /// <summary>Matches at most this many latest-metric rows: a metric comparison selective enough to drive a search.</summary>
    private const int SelectiveMatches = 2000;

    /// <summary>The metric comparisons of a filter's top-level AND that the (key, value) index answers by a range.</summary>
    private static IEnumerable<(string Key, string Operator, double Value)> IndexableMetricTerms(FilterExpression filter)
    {
        var terms = filter is AndExpression all ? all.Operands : [filter];
        foreach (var term in terms)
        {
            if (term is ComparisonExpression { Operand: { Name: "metrics", Key: { } key }, Values: [{ Kind: FilterLiteralKind.Number } literal] } comparison
                && double.TryParse(literal.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && comparison.Operator switch
                {
                    ComparisonOperator.Equal => "=",
                    ComparisonOperator.LessThan => "<",
                    ComparisonOperator.LessThanOrEqual => "<=",
                    ComparisonOperator.GreaterThan => ">",
                    ComparisonOperator.GreaterThanOrEqual => ">=",
                    _ => null,
                } is { } op)
            {
                yield return (key, op, value);
            }
        }
    }

    /// <summary>The first term matching few enough rows, found by a bounded count on the (key, value) index.</summary>
    private static async Task<(string Key, string Operator, double Value)?> SelectiveMetricTermAsync(
        DbConnection connection, List<(string Key, string Operator, double Value)> terms, CancellationToken cancellationToken)
    {
        foreach (var term in terms)
        {
            var matches = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                $"SELECT COUNT(*) FROM (SELECT 1 FROM run_latest_metrics WHERE key = @Key AND value {term.Operator} @Value LIMIT {SelectiveMatches + 1}) s",
                new { term.Key, term.Value }, cancellationToken: cancellationToken));
            if (matches <= SelectiveMatches)
            {
                return term;
            }
        }
        return null;
    }

    /// <summary>
    /// One metric's points across several runs (the web UI's chart of runs side by side), in one query: ordered by run
    /// id, then timestamp, step and value, as MLflow's SQL store orders them, and cut at <paramref name="maxResults"/>.
    /// Run ids that name no run contribute nothing.
    /// </summary>
    public async Task<IReadOnlyList<RunMetric>> GetMetricHistoryBulkAsync(
        Caller caller, IReadOnlyList<string> runIds, string metricKey, int maxResults, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        ArgumentNullException.ThrowIfNull(runIds);
        return await database.ReadAsync(async connection =>
        {
            var rows = await connection.QueryAsync<(string RunUuid, string Key, double Value, long IsNan, long Timestamp, long Step)>(new CommandDefinition(
                $"""
                SELECT r.run_uuid, m.key, m.value, m.is_nan, m.timestamp, m.step FROM run_metrics m JOIN runs r ON r.id = m.run_id
                WHERE {database.Dialect.InList("r.run_uuid", "@runIds")} AND m.key = @metricKey
                ORDER BY r.run_uuid, m.timestamp, m.step, m.value LIMIT @maxResults
                """,
                new { runIds = runIds.Distinct(StringComparer.Ordinal).ToList(), metricKey, maxResults }, cancellationToken: cancellationToken));
            return rows.Select(r => new RunMetric(r.RunUuid, new Metric(r.Key, r.IsNan != 0 ? double.NaN : r.Value, r.Timestamp, r.Step))).ToList();
        }, cancellationToken);
    }

    /// <summary>
    /// The datasets the runs of some experiments took as inputs, each with the context its input was tagged with
    /// (<c>mlflow.data.context</c>, absent when untagged), distinct, at most <paramref name="limit"/>: one query.
    /// Ids that are not experiment ids match nothing.
    /// </summary>
    public async Task<IReadOnlyList<DatasetSummary>> SearchDatasetsAsync(Caller caller, IReadOnlyList<string> experimentIds, int limit, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        ArgumentNullException.ThrowIfNull(experimentIds);
        var ids = experimentIds.Select(e => long.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : (long?)null)
            .OfType<long>().Distinct().ToList();
        if (ids.Count == 0)
        {
            return [];
        }
        return await database.ReadAsync(async connection =>
        {
            var rows = await connection.QueryAsync<(long ExperimentId, string Name, string Digest, string Tags)>(new CommandDefinition(
                $"""
                SELECT DISTINCT d.experiment_id, d.name, d.digest, i.tags FROM tracking_datasets d JOIN run_inputs i ON i.dataset_id = d.id
                WHERE {database.Dialect.InList("d.experiment_id", "@ids")} ORDER BY d.experiment_id, d.name, d.digest
                """,
                new { ids }, cancellationToken: cancellationToken));
            return rows.Select(r => new DatasetSummary(
                    r.ExperimentId.ToString(CultureInfo.InvariantCulture), r.Name, r.Digest,
                    (JsonSerializer.Deserialize<Dictionary<string, string>>(r.Tags) ?? []).GetValueOrDefault(DatasetContextTag)))
                .Distinct().Take(limit).ToList();
        }, cancellationToken);
    }

    /// <summary>The input tag that says what a dataset was used for (training, evaluation, …).</summary>
    public const string DatasetContextTag = "mlflow.data.context";

    /// <summary>The run's artifact URI and experiment, for the artifact endpoints and the registry.</summary>
    public async Task<RunInfo> GetRunInfoAsync(Caller caller, string? runId, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        return await database.ReadAsync(async connection =>
            ToInfo(await FindRunAsync(connection, null, id, cancellationToken) ?? throw RunMissing(id)), cancellationToken);
    }

    public static NotFoundException RunMissing(string runId) => new($"Run with id={runId} not found");

    // ---- helpers -----------------------------------------------------------------------------------------------

    private const string SelectExperiments =
        "SELECT e.id, e.name, e.artifact_location, e.lifecycle_stage, e.created_at, e.updated_at FROM experiments e";

    private const string SelectRuns =
        "SELECT r.id, r.run_uuid, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time, r.lifecycle_stage, r.artifact_uri FROM runs r";

    private static string ExperimentResource(string id) => $"experiments/{id}";

    private static string RunResource(string id) => $"runs/{id}";

    private static NotFoundException ExperimentMissing(string id) => new($"No Experiment with id={id} exists");

    private static int PageSize(int? requested, int defaultSize)
    {
        if (requested > MaxPage)
        {
            throw new InvalidParameterException($"Invalid value for request parameter max_results. It must be at most {MaxPage}, but got value {requested}");
        }
        return Paging.PageSize(requested, defaultSize, MaxPage);
    }

    private static string LifecycleCondition(string alias, ViewType view) => view switch
    {
        ViewType.ActiveOnly => $"{alias}.lifecycle_stage = 'active'",
        ViewType.DeletedOnly => $"{alias}.lifecycle_stage = 'deleted'",
        _ => "1 = 1",
    };

    private static void RequireActive(ExperimentRow row)
    {
        if (row.LifecycleStage != LifecycleStage.Active)
        {
            throw new InvalidParameterException($"The experiment {row.Id} must be in the 'active' state. Current state is {row.LifecycleStage}.");
        }
    }

    private static void RequireActive(RunRow row)
    {
        if (row.LifecycleStage != LifecycleStage.Active)
        {
            throw new InvalidParameterException($"The run {row.RunUuid} must be in the 'active' state. Current state is {row.LifecycleStage}.");
        }
    }

    private static RunInfo ToInfo(RunRow row) => new(
        row.RunUuid, row.RunUuid, row.Name ?? "", row.ExperimentId.ToString(CultureInfo.InvariantCulture), row.UserId, row.Status,
        row.StartTime, row.EndTime, row.ArtifactUri, row.LifecycleStage);

    private static Task<ExperimentRow?> FindExperimentAsync(DbConnection connection, DbTransaction? transaction, long id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ExperimentRow>(new CommandDefinition(
            $"{SelectExperiments} WHERE e.id = @id", new { id }, transaction, cancellationToken: cancellationToken));

    private static Task<RunRow?> FindRunAsync(DbConnection connection, DbTransaction? transaction, string runId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"{SelectRuns} WHERE r.run_uuid = @runId", new { runId }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Sets tags with one statement and one rows parameter however many there are (MLflow caps log-batch, not create-run
    /// or create-experiment). A key given twice keeps its last value, as one upsert after another would; the table and
    /// column are constants chosen by the caller.
    /// </summary>
    private static async Task UpsertPairsAsync(DbTransaction transaction, string table, string ownerColumn, long owner, IEnumerable<KeyValue> pairs, CancellationToken cancellationToken)
    {
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            last[pair.Key] = pair.Value;
        }
        if (last.Count == 0)
        {
            return;
        }
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO {table} ({ownerColumn}, key, value) SELECT @owner, r.key, r.value FROM {SqlDialects.Of(transaction).JsonRows("@rows", PairColumns)} WHERE true
            ON CONFLICT ({ownerColumn}, key) DO UPDATE SET value = excluded.value
            """,
            new { owner, rows = SqlDialects.RowsParameter(last.Select(p => new { p.Key, p.Value })) }, transaction, cancellationToken: cancellationToken));
    }

    private static readonly (string Name, string Type)[] PairColumns = [("key", "text"), ("value", "text")];

    private static async Task LogParamsAsync(ISqlDialect dialect, DbTransaction transaction, RunRow run, List<KeyValue> parameters, CancellationToken cancellationToken)
    {
        if (parameters.Count == 0)
        {
            return;
        }
        var connection = transaction.Connection!;
        var existing = (await connection.QueryAsync<PairRow>(new CommandDefinition(
            $"SELECT run_id AS owner, key, value FROM run_params WHERE run_id = @Id AND key IN {dialect.ValueSet("@keys", "TEXT")}",
            new { run.Id, keys = dialect.ValueSetParameter(parameters.Select(p => p.Key)) }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var added = new List<KeyValue>(parameters.Count);
        foreach (var param in parameters)
        {
            if (existing.TryGetValue(param.Key, out var logged))
            {
                if (logged != param.Value)
                {
                    throw new InvalidParameterException(
                        $"Changing param values is not allowed. Param with key='{param.Key}' was already logged with value='{logged}' for run ID='{run.RunUuid}'. Attempted logging new value '{param.Value}'.");
                }
                continue;
            }
            added.Add(param);
        }
        if (added.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO run_params (run_id, key, value, experiment_id, start_time) SELECT @Id, r.key, r.value, @ExperimentId, @StartTime FROM {dialect.JsonRows("@rows", PairColumns)}",
                new { run.Id, run.ExperimentId, run.StartTime, rows = SqlDialects.RowsParameter(added.Select(p => new { p.Key, p.Value })) }, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>The history with one prepared insert, then one upsert per key of its latest point.</summary>
    private static async Task LogMetricsAsync(DbTransaction transaction, RunRow run, IReadOnlyList<Metric> metrics, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var runId = run.Id;
        await MetricPoints.InsertAsync(transaction, metrics.Select(m => MetricPoint.Of(runId, m)), cancellationToken);
        foreach (var latest in metrics.GroupBy(m => m.Key, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(m => m.Step).ThenByDescending(m => m.Timestamp).ThenByDescending(m => Storable(m.Value).Value).First()))
        {
            var (value, isNan) = Storable(latest.Value);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO run_latest_metrics (run_id, key, step, timestamp, value, is_nan, experiment_id, start_time)
                VALUES (@runId, @Key, @Step, @Timestamp, @value, @isNan, @ExperimentId, @StartTime)
                ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp, value = excluded.value, is_nan = excluded.is_nan
                WHERE excluded.step > run_latest_metrics.step
                   OR (excluded.step = run_latest_metrics.step AND excluded.timestamp > run_latest_metrics.timestamp)
                   OR (excluded.step = run_latest_metrics.step AND excluded.timestamp = run_latest_metrics.timestamp AND excluded.value > run_latest_metrics.value)
                """,
                new { runId, latest.Key, latest.Step, latest.Timestamp, value, isNan, run.ExperimentId, run.StartTime }, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>SQL REAL holds ±∞ but not NaN (SQLite stores NULL): NaN is kept as 0 with a flag, as MLflow does.</summary>
    private static (double Value, int IsNan) Storable(double value) => double.IsNaN(value) ? (0, 1) : (value, 0);

    private static async Task<IReadOnlyList<Experiment>> WithTagsAsync(ISqlDialect dialect, DbConnection connection, IReadOnlyList<ExperimentRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return [];
        }
        var tags = (await connection.QueryAsync<PairRow>(new CommandDefinition(
            $"SELECT experiment_id AS owner, key, value FROM experiment_tags WHERE {dialect.InList("experiment_id", "@ids")} ORDER BY key",
            new { ids = rows.Select(r => r.Id).ToList() }, cancellationToken: cancellationToken))).ToLookup(t => t.Owner);
        return rows.Select(r => new Experiment(
            r.Id.ToString(CultureInfo.InvariantCulture), r.Name, r.ArtifactLocation, r.LifecycleStage, r.CreatedAt, r.UpdatedAt,
            tags[r.Id].Select(t => new KeyValue(t.Key, t.Value)).ToList())).ToList();
    }

    private static async Task<IReadOnlyList<Run>> LoadRunsAsync(ISqlDialect dialect, DbConnection connection, IReadOnlyList<RunRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return [];
        }
        var ids = new { ids = rows.Select(r => r.Id).ToList() };
        var metrics = (await connection.QueryAsync<MetricRow>(new CommandDefinition(
            $"SELECT run_id, key, value, is_nan, timestamp, step FROM run_latest_metrics WHERE {dialect.InList("run_id", "@ids")} ORDER BY key", ids, cancellationToken: cancellationToken))).ToLookup(m => m.RunId);
        var parameters = (await connection.QueryAsync<PairRow>(new CommandDefinition(
            $"SELECT run_id AS owner, key, value FROM run_params WHERE {dialect.InList("run_id", "@ids")} ORDER BY key", ids, cancellationToken: cancellationToken))).ToLookup(p => p.Owner);
        var tags = (await connection.QueryAsync<PairRow>(new CommandDefinition(
            $"SELECT run_id AS owner, key, value FROM run_tags WHERE {dialect.InList("run_id", "@ids")} ORDER BY key", ids, cancellationToken: cancellationToken))).ToLookup(p => p.Owner);
        var inputs = (await connection.QueryAsync<InputRow>(new CommandDefinition(
            $"""
            SELECT i.run_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile, i.tags
            FROM run_inputs i JOIN tracking_datasets d ON d.id = i.dataset_id WHERE {dialect.InList("i.run_id", "@ids")} ORDER BY d.name, d.digest
            """, ids, cancellationToken: cancellationToken))).ToLookup(i => i.RunId);
        var models = await LoggedModels.LoggedModelLinks.LoadRunLinksAsync(dialect, connection, rows.Select(r => r.Id).ToList(), cancellationToken);
        return rows.Select(r => new Run(
            ToInfo(r),
            new RunData(
                metrics[r.Id].Select(m => m.ToMetric()).ToList(),
                parameters[r.Id].Select(p => new KeyValue(p.Key, p.Value)).ToList(),
                tags[r.Id].Select(t => new KeyValue(t.Key, t.Value)).ToList()),
            new RunInputs(inputs[r.Id].Select(i => new DatasetInput(
                (JsonSerializer.Deserialize<Dictionary<string, string>>(i.Tags) ?? []).Select(t => new KeyValue(t.Key, t.Value)).ToList(),
                new Dataset(i.Name, i.Digest, i.SourceType, i.Source, i.Schema, i.Profile))).ToList(),
                models[r.Id].FirstOrDefault()?.Inputs is { Count: > 0 } modelInputs ? modelInputs : null),
            // Left out without model outputs, so that runs read as before by clients that know no outputs.
            models[r.Id].FirstOrDefault()?.Outputs is { Count: > 0 } modelOutputs ? new RunOutputs(modelOutputs) : null)).ToList();
    }
}
