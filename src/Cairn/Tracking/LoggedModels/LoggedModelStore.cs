using System.Data.Common;
using System.Globalization;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Tracking.LoggedModels;

/// <summary>
/// Logged models: what an experiment's runs produced as models (MLflow 3), each with its own id, status, params, tags,
/// linked metrics and the registered versions made from it. Every change is one transaction with its audit entry;
/// permissions are those of tracking records (decision 0007): reader on "/" to read, writer on "/" to write.
/// A deleted logged model is kept (ids are never reused) but is found by nothing.
/// </summary>
public sealed class LoggedModelStore(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    /// <summary>The tag listing the registered versions made from a model, as MLflow writes it.</summary>
    public const string ModelVersionsTag = "mlflow.modelVersions";

    private const int DefaultPage = 100;
    private const int MaxPage = 1000;

    private static readonly System.Buffers.SearchValues<char> NameForbidden = System.Buffers.SearchValues.Create("/:.%\"'");

    private sealed record ModelRow
    {
        public string ModelId { get; init; } = "";
        public long ExperimentId { get; init; }
        public string Name { get; init; } = "";
        public string ArtifactLocation { get; init; } = "";
        public string Status { get; init; } = "";
        public string? StatusMessage { get; init; }
        public string? ModelType { get; init; }
        public string? SourceRunId { get; init; }
        public string LifecycleStage { get; init; } = "";
        public long CreatedAt { get; init; }
        public long UpdatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    private sealed record ExperimentRow
    {
        public string Location { get; init; } = "";
        public string Stage { get; init; } = "";
    }

    private sealed record RunRow
    {
        public long Id { get; init; }
        public string LifecycleStage { get; init; } = "";
    }

    private sealed record PairRow
    {
        public string ModelId { get; init; } = "";
        public string Key { get; init; } = "";
        public string Value { get; init; } = "";
    }

    private sealed record MetricRow
    {
        public string ModelId { get; init; } = "";
        public string Key { get; init; } = "";
        public double Value { get; init; }
        public long IsNan { get; init; }
        public long Timestamp { get; init; }
        public long Step { get; init; }
        public string RunId { get; init; } = "";
        public string? DatasetName { get; init; }
        public string? DatasetDigest { get; init; }
    }

    private sealed record RegistrationRow
    {
        public string ModelId { get; init; } = "";
        public string Model { get; init; } = "";
        public long Version { get; init; }
    }

    private const string SelectModels =
        """
        SELECT lm.model_id, lm.experiment_id, lm.name, lm.artifact_location, lm.status, lm.status_message, lm.model_type,
               lm.source_run_id, lm.lifecycle_stage, lm.created_at, lm.updated_at, lm.created_by
        FROM logged_models lm
        """;

    /// <summary>Creates a PENDING model in an active experiment, its files to go under the experiment's location.</summary>
    /// <exception cref="InvalidParameterException">A bad name, param or tag, or the experiment is not active.</exception>
    /// <exception cref="NotFoundException">No such experiment.</exception>
    public async Task<LoggedModel> CreateAsync(Caller caller, CreateLoggedModelRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var experimentId = TrackingLimits.ExperimentId(request.ExperimentId);
        if (request.Name is not null && (request.Name.Length == 0 || request.Name.IndexOfAny(NameForbidden) >= 0))
        {
            throw new InvalidParameterException(
                $"Invalid model name ('{request.Name}') provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '\"', \"'\")");
        }
        var parameters = CheckPairs(request.Params, "Param");
        var tags = CheckPairs(request.Tags, "Tag");
        var modelId = "m-" + Guid.NewGuid().ToString("N");
        var name = request.Name ?? RunNames.Generate();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var experiment = await connection.QuerySingleOrDefaultAsync<ExperimentRow>(new CommandDefinition(
                "SELECT artifact_location AS location, lifecycle_stage AS stage FROM experiments WHERE id = @experimentId", new { experimentId }, transaction, cancellationToken: cancellationToken))
                ?? throw new NotFoundException($"No Experiment with id={request.ExperimentId} exists");
            if (experiment.Stage != LifecycleStage.Active)
            {
                throw new InvalidParameterException($"The experiment {experimentId} must be in the 'active' state. Current state is {experiment.Stage}.");
            }
            var row = new ModelRow
            {
                ModelId = modelId,
                ExperimentId = experimentId,
                Name = name,
                ArtifactLocation = $"{experiment.Location.TrimEnd('/')}/models/{modelId}/artifacts",
                Status = LoggedModelStatus.Pending,
                ModelType = request.ModelType,
                SourceRunId = string.IsNullOrEmpty(request.SourceRunId) ? null : request.SourceRunId,
                LifecycleStage = LifecycleStage.Active,
                CreatedAt = now,
                UpdatedAt = now,
                CreatedBy = caller.Name,
            };
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, status, model_type, source_run_id, lifecycle_stage, created_at, updated_at, created_by)
                VALUES (@ModelId, @ExperimentId, @Name, @ArtifactLocation, @Status, @ModelType, @SourceRunId, @LifecycleStage, @CreatedAt, @UpdatedAt, @CreatedBy)
                """, row, transaction, cancellationToken: cancellationToken));
            await UpsertPairsAsync(transaction, "logged_model_params", modelId, parameters, cancellationToken);
            await UpsertPairsAsync(transaction, "logged_model_tags", modelId, tags, cancellationToken);
            if (row.SourceRunId is { } runId)
            {
                await LoggedModelLinks.LinkRunAsync(transaction, runId, modelId, "output", clock, cancellationToken);
            }
            var created = ToModel(row, parameters, tags, [], []);
            await audit.AppendAsync(transaction, caller.Name, "logged_model.create", Resource(modelId), null, created, cancellationToken);
            return created;
        }, cancellationToken);
    }

    /// <exception cref="NotFoundException">No such model, or it was deleted.</exception>
    public async Task<LoggedModel> GetAsync(Caller caller, string? modelId, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = RequiredId(modelId);
        return await database.ReadAsync(async connection =>
        {
            var row = await FindAsync(connection, null, id, cancellationToken) ?? throw Missing(id);
            return (await LoadAsync(connection, null, [row], cancellationToken))[0];
        }, cancellationToken);
    }

    /// <summary>Marks the upload complete (<see cref="LoggedModelStatus.Ready"/>) or failed (<see cref="LoggedModelStatus.Failed"/>).</summary>
    /// <exception cref="InvalidParameterException">Any other status: a model goes back to pending by no call.</exception>
    public async Task<LoggedModel> FinalizeAsync(Caller caller, string? modelId, string status, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = RequiredId(modelId);
        if (status is not (LoggedModelStatus.Ready or LoggedModelStatus.Failed))
        {
            throw new InvalidParameterException($"A logged model is finalized as {LoggedModelStatus.Ready} or {LoggedModelStatus.Failed}, not '{status}'.");
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindAsync(connection, transaction, id, cancellationToken) ?? throw Missing(id);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE logged_models SET status = @status, updated_at = @now WHERE model_id = @id", new { status, now, id }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "logged_model.finalize", Resource(id), new { status = row.Status }, new { status }, cancellationToken);
            return (await LoadAsync(connection, transaction, [row with { Status = status, UpdatedAt = now }], cancellationToken))[0];
        }, cancellationToken);
    }

    /// <summary>Marks the model deleted: the row stays (as MLflow keeps it), and nothing finds it any more.</summary>
    public async Task DeleteAsync(Caller caller, string? modelId, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = RequiredId(modelId);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await database.WriteAsync(async (connection, transaction) =>
        {
            _ = await FindAsync(connection, transaction, id, cancellationToken) ?? throw Missing(id);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE logged_models SET lifecycle_stage = 'deleted', updated_at = @now WHERE model_id = @id", new { now, id }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "logged_model.delete", Resource(id), new { lifecycle_stage = LifecycleStage.Active }, new { lifecycle_stage = LifecycleStage.Deleted }, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>Adds params (a key logged again takes the new value, as MLflow's merge does).</summary>
    public async Task LogParamsAsync(Caller caller, string? modelId, IReadOnlyList<KeyValue>? parameters, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = RequiredId(modelId);
        var pairs = CheckPairs(parameters, "Param");
        await ChangePairsAsync(caller, id, "logged_model_params", pairs, "logged_model.params.log", cancellationToken);
    }

    /// <summary>Sets tags, replacing the values of keys already set.</summary>
    public async Task SetTagsAsync(Caller caller, string? modelId, IReadOnlyList<KeyValue>? tags, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = RequiredId(modelId);
        var pairs = CheckPairs(tags, "Tag");
        await ChangePairsAsync(caller, id, "logged_model_tags", pairs, "logged_model.tag.set", cancellationToken);
    }

    /// <exception cref="NotFoundException">No such model, or it has no tag with this key.</exception>
    public async Task DeleteTagAsync(Caller caller, string? modelId, string? key, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = RequiredId(modelId);
        if (string.IsNullOrEmpty(key))
        {
            throw TrackingLimits.Missing("tag_key");
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await database.WriteAsync(async (connection, transaction) =>
        {
            _ = await FindAsync(connection, transaction, id, cancellationToken) ?? throw Missing(id);
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM logged_model_tags WHERE model_id = @id AND key = @key", new { id, key }, transaction, cancellationToken: cancellationToken));
            if (deleted == 0)
            {
                throw new NotFoundException($"No tag with key '{key}' found for model with ID '{id}'.");
            }
            await Touch(transaction, id, now, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "logged_model.tag.delete", Resource(id), new { key }, null, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// Models of the given experiments matching MLflow's logged-model filter, optionally only those with metrics on
    /// the given datasets; newest first unless ordered otherwise. One query per page, plus one per kind of child row.
    /// </summary>
    public async Task<LoggedModelPage> SearchAsync(Caller caller, LoggedModelQuery query, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        if (query.ExperimentIds.Count == 0)
        {
            throw TrackingLimits.Missing("experiment_ids");
        }
        var experimentIds = query.ExperimentIds.Select(e => TrackingLimits.ExperimentId(e, "experiment_ids")).Distinct().ToList();
        if (query.Datasets is { } datasets && datasets.Any(d => string.IsNullOrEmpty(d.DatasetName)))
        {
            throw new InvalidParameterException("`dataset_name` in the `datasets` clause must be specified.");
        }
        var size = query.MaxResults switch
        {
            null or 0 => DefaultPage,
            < 0 => throw new InvalidParameterException($"Invalid value for max_results. It must be a positive integer, but got {query.MaxResults}"),
            // A larger page is served in several: the client follows next_page_token either way.
            { } requested => Math.Min(requested, MaxPage),
        };
        var parameters = new Dictionary<string, object?> { ["experimentIds"] = experimentIds };
        var where = new List<string> { database.Dialect.InList("lm.experiment_id", "@experimentIds"), "lm.lifecycle_stage = 'active'" };
        where.AddRange(LoggedModelSearch.Where(query.Filter, query.Datasets, database.Dialect, parameters));
        var orderBy = LoggedModelSearch.OrderBy(query.OrderBy, parameters);
        var shape = string.Join('|', "logged-models", string.Join(',', experimentIds), query.Filter,
            string.Join(';', (query.Datasets ?? []).Select(d => $"{d.DatasetName}@{d.DatasetDigest}")),
            string.Join(';', (query.OrderBy ?? []).Select(o => $"{o.FieldName} {o.Ascending} {o.DatasetName}@{o.DatasetDigest}")));
        var page = OffsetPage.Start(size, query.PageToken, shape);
        page.AddTo(parameters);
        return await database.ReadAsync(async connection =>
        {
            var (rows, next) = page.Cut(await connection.QueryAsync<ModelRow>(new CommandDefinition(
                $"{SelectModels} WHERE {string.Join(" AND ", where)} ORDER BY {orderBy}" + OffsetPage.Sql,
                new DynamicParameters(parameters), cancellationToken: cancellationToken)));
            return new LoggedModelPage(await LoadAsync(connection, null, rows, cancellationToken), next);
        }, cancellationToken);
    }

    /// <summary>The models a run produced: those naming it as their source run and those it logged as outputs, newest first.</summary>
    public async Task<IReadOnlyList<LoggedModel>> ListByRunAsync(Caller caller, string? runId, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        return await database.ReadAsync(async connection =>
        {
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM runs WHERE run_uuid = @id", new { id }, cancellationToken: cancellationToken)) == 0)
            {
                throw TrackingStore.RunMissing(id);
            }
            var rows = (await connection.QueryAsync<ModelRow>(new CommandDefinition(
                $"""
                {SelectModels}
                WHERE lm.lifecycle_stage = 'active' AND (lm.source_run_id = @id OR lm.model_id IN (
                    SELECT l.model_id FROM run_model_links l JOIN runs r ON r.id = l.run_id WHERE r.run_uuid = @id AND l.direction = 'output'))
                ORDER BY lm.created_at DESC, lm.model_id
                """, new { id }, cancellationToken: cancellationToken))).ToList();
            return await LoadAsync(connection, null, rows, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>runs/outputs: the logged models an active run produced, each at a step (the models are not checked, as in MLflow).</summary>
    public async Task LogOutputsAsync(Caller caller, string? runId, IReadOnlyList<RunModelLink>? models, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        if (models is not { Count: > 0 })
        {
            throw TrackingLimits.Missing("models");
        }
        if (models.Any(m => string.IsNullOrEmpty(m?.ModelId)))
        {
            throw TrackingLimits.Missing("models.model_id");
        }
        await database.WriteAsync(async (connection, transaction) =>
        {
            var run = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
                "SELECT id, lifecycle_stage FROM runs WHERE run_uuid = @id", new { id }, transaction, cancellationToken: cancellationToken))
                ?? throw TrackingStore.RunMissing(id);
            if (run.LifecycleStage != LifecycleStage.Active)
            {
                throw new InvalidParameterException($"The run {id} must be in the 'active' state. Current state is {run.LifecycleStage}.");
            }
            await LoggedModelLinks.RecordRunModelsAsync(transaction, run.Id, id, "output", models.Select(m => m with { Step = m.Step ?? 0 }).ToList(), clock, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "run.log_outputs", $"runs/{id}", null, models, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>MLflow's words for a model that is not there.</summary>
    public static NotFoundException Missing(string modelId) => new($"Logged model with ID '{modelId}' not found.");

    private static string Resource(string id) => $"logged-models/{id}";

    private static string RequiredId(string? modelId) => string.IsNullOrEmpty(modelId) ? throw TrackingLimits.Missing("model_id") : modelId;

    private static List<KeyValue> CheckPairs(IReadOnlyList<KeyValue>? pairs, string kind)
    {
        // Each pair is a row written under the write lock: the count a caller sends is bounded before it is taken, at
        // the entity limit of MLflow's log-batch (MLflow sets none for logged models).
        if (pairs is { Count: > TrackingLimits.MaxEntitiesPerBatch })
        {
            throw new InvalidParameterException(
                $"A request holds {pairs.Count} {kind.ToLowerInvariant()}s; send at most {TrackingLimits.MaxEntitiesPerBatch} at a time.");
        }
        var list = new List<KeyValue>();
        foreach (var pair in pairs ?? [])
        {
            TrackingLimits.CheckKey(kind, pair?.Key);
            list.Add(pair! with { Value = pair.Value ?? "" });
        }
        // The last value of a key repeated in one request wins, as successive merges would leave it.
        return list.GroupBy(p => p.Key, StringComparer.Ordinal).Select(g => g.Last()).ToList();
    }

    private async Task ChangePairsAsync(Caller caller, string id, string table, List<KeyValue> pairs, string action, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await database.WriteAsync(async (connection, transaction) =>
        {
            _ = await FindAsync(connection, transaction, id, cancellationToken) ?? throw Missing(id);
            await UpsertPairsAsync(transaction, table, id, pairs, cancellationToken);
            await Touch(transaction, id, now, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, action, Resource(id), null, pairs, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    private static Task<int> Touch(DbTransaction transaction, string id, long now, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE logged_models SET updated_at = @now WHERE model_id = @id", new { now, id }, transaction, cancellationToken: cancellationToken));

    internal static async Task UpsertPairsAsync(DbTransaction transaction, string table, string modelId, IReadOnlyList<KeyValue> pairs, CancellationToken cancellationToken)
    {
        foreach (var pair in pairs)
        {
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {table} (model_id, key, value) VALUES (@modelId, @Key, @Value) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value",
                new { modelId, pair.Key, pair.Value }, transaction, cancellationToken: cancellationToken));
        }
    }

    private static Task<ModelRow?> FindAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ModelRow>(new CommandDefinition(
            $"{SelectModels} WHERE lm.model_id = @id AND lm.lifecycle_stage = 'active'", new { id }, transaction, cancellationToken: cancellationToken));

    /// <summary>The rows with their params, tags, metrics and registrations: one query for each, whatever the page's size.</summary>
    private async Task<IReadOnlyList<LoggedModel>> LoadAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<ModelRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return [];
        }
        var dialect = database.Dialect;
        var ids = new { ids = rows.Select(r => r.ModelId).ToList() };
        var parameters = (await connection.QueryAsync<PairRow>(new CommandDefinition(
            $"SELECT model_id, key, value FROM logged_model_params WHERE {dialect.InList("model_id", "@ids")} ORDER BY key", ids, transaction, cancellationToken: cancellationToken))).ToLookup(p => p.ModelId);
        var tags = (await connection.QueryAsync<PairRow>(new CommandDefinition(
            $"SELECT model_id, key, value FROM logged_model_tags WHERE {dialect.InList("model_id", "@ids")} ORDER BY key", ids, transaction, cancellationToken: cancellationToken))).ToLookup(p => p.ModelId);
        var metrics = (await connection.QueryAsync<MetricRow>(new CommandDefinition(
            $"""
            SELECT model_id, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest FROM logged_model_metrics
            WHERE {dialect.InList("model_id", "@ids")} ORDER BY key, timestamp, step
            """, ids, transaction, cancellationToken: cancellationToken))).ToLookup(m => m.ModelId);
        var registrations = (await connection.QueryAsync<RegistrationRow>(new CommandDefinition(
            $"""
            SELECT v.logged_model_id AS model_id, m.full_name AS model, v.version FROM model_versions v JOIN models m ON m.id = v.model_id
            WHERE {dialect.InList("v.logged_model_id", "@ids")} ORDER BY m.full_name, v.version
            """, ids, transaction, cancellationToken: cancellationToken))).ToLookup(r => r.ModelId);
        return rows.Select(r => ToModel(r,
            parameters[r.ModelId].Select(p => new KeyValue(p.Key, p.Value)).ToList(),
            tags[r.ModelId].Select(t => new KeyValue(t.Key, t.Value)).ToList(),
            metrics[r.ModelId].Select(m => new LoggedModelMetric(m.Key, m.IsNan != 0 ? double.NaN : m.Value, m.Timestamp, m.Step, m.RunId, m.DatasetName, m.DatasetDigest)).ToList(),
            registrations[r.ModelId].Select(g => new LoggedModelRegistration(g.Model, (int)g.Version)).ToList())).ToList();
    }

    private static LoggedModel ToModel(ModelRow r, IReadOnlyList<KeyValue> parameters, IReadOnlyList<KeyValue> tags, IReadOnlyList<LoggedModelMetric> metrics, IReadOnlyList<LoggedModelRegistration> registrations) => new(
        r.ModelId, r.ExperimentId.ToString(CultureInfo.InvariantCulture), r.Name, r.ArtifactLocation, r.Status, r.StatusMessage, r.ModelType, r.SourceRunId,
        r.LifecycleStage, r.CreatedAt, r.UpdatedAt, r.CreatedBy,
        parameters.OrderBy(p => p.Key, StringComparer.Ordinal).ToList(), tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToList(), metrics, registrations);
}
