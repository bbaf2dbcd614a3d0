using System.Data.Common;
using System.Globalization;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Tracking.Traces;

/// <summary>
/// Traces of GenAI applications, kept with the experiments they belong to: trace infos with metadata and tags, spans
/// as exporters send them, and links to runs. Every change is one transaction with its audit entry. Like the rest of
/// tracking (decision 0007), traces belong to the root namespace: reading needs reader on "/", writing writer on "/".
/// </summary>
public sealed class TraceStore(CairnDatabase database, AuditChain audit)
{
    /// <summary>The page size of a search that names none (MLflow's default).</summary>
    public const int DefaultPage = 100;

    /// <summary>The largest page a search may ask for (MLflow's handlers allow 500).</summary>
    public const int MaxPage = 500;

    /// <summary>At most this many traces are linked to a run in one request.</summary>
    public const int MaxLinks = 100;

    public const int MaxTagKeyLength = 250;

    /// <summary>
    /// At most this many spans are stored from one request: each is a row written under the write lock, so the count a
    /// caller sends is bounded before the lock is taken (OpenTelemetry's batch exporter sends 512 by default).
    /// </summary>
    public const int MaxSpansPerRequest = 10_000;

    private sealed record TraceRow
    {
        public string TraceId { get; init; } = "";
        public long ExperimentId { get; init; }
        public long RequestTime { get; init; }
        public long? ExecutionDuration { get; init; }
        public string State { get; init; } = "";
        public string? ClientRequestId { get; init; }
        public string? RequestPreview { get; init; }
        public string? ResponsePreview { get; init; }
    }

    private sealed record PairRow
    {
        public string TraceId { get; init; } = "";
        public string Key { get; init; } = "";
        public string Value { get; init; } = "";
    }

    private sealed record ExperimentRow
    {
        public long Id { get; init; }
        public string ArtifactLocation { get; init; } = "";
        public string LifecycleStage { get; init; } = "";
    }

    private const string SelectTraces =
        "SELECT t.trace_id, t.experiment_id, t.request_time, t.execution_duration, t.state, t.client_request_id, t.request_preview, t.response_preview FROM traces t";

    /// <summary>
    /// Records a trace as its client reports it once finished; a trace that spans already created (<see cref="LogSpansAsync"/>)
    /// takes the reported fields, keeping its spans. The store adds the tag <see cref="TraceKeys.ArtifactLocation"/>.
    /// </summary>
    /// <exception cref="NotFoundException">The experiment does not exist.</exception>
    /// <exception cref="InvalidParameterException">A missing id, an inactive experiment, or a bad tag key.</exception>
    public async Task<TraceInfo> StartTraceAsync(Caller caller, TraceInfo trace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(trace);
        caller.Require(Role.Writer, NamespacePath.Root);
        if (string.IsNullOrEmpty(trace.TraceId))
        {
            throw TrackingLimits.Missing("trace_id");
        }
        var experimentId = TrackingLimits.ExperimentId(trace.ExperimentId);
        foreach (var key in trace.Tags.Keys)
        {
            CheckTagKey(key);
        }
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var experiment = await ActiveExperimentAsync(connection, transaction, experimentId, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO traces (trace_id, experiment_id, request_time, execution_duration, state, client_request_id, request_preview, response_preview)
                VALUES (@TraceId, @experimentId, @RequestTime, @ExecutionDuration, @State, @ClientRequestId, @RequestPreview, @ResponsePreview)
                ON CONFLICT (trace_id) DO UPDATE SET
                    request_time = excluded.request_time, execution_duration = excluded.execution_duration, state = excluded.state,
                    client_request_id = excluded.client_request_id, request_preview = excluded.request_preview, response_preview = excluded.response_preview
                """,
                new { trace.TraceId, experimentId, trace.RequestTime, trace.ExecutionDuration, trace.State, trace.ClientRequestId, trace.RequestPreview, trace.ResponsePreview },
                transaction, cancellationToken: cancellationToken));
            var tags = new Dictionary<string, string>(trace.Tags) { [TraceKeys.ArtifactLocation] = ArtifactLocation(experiment, trace.TraceId) };
            await UpsertPairsAsync(connection, transaction, "trace_tags", trace.TraceId, tags, cancellationToken);
            await UpsertPairsAsync(connection, transaction, "trace_metadata", trace.TraceId, trace.Metadata, cancellationToken);
            var stored = await FindAsync(connection, transaction, trace.TraceId, cancellationToken) ?? throw Missing(trace.TraceId);
            await audit.AppendAsync(transaction, caller.Name, "trace.start", Resource(trace.TraceId), null,
                new { trace_id = trace.TraceId, experiment_id = stored.ExperimentId, stored.State, stored.RequestTime, stored.ExecutionDuration }, cancellationToken);
            return stored;
        }, cancellationToken);
    }

    /// <summary>
    /// MLflow 2.x's start of a trace: a new trace (with a server-made id) in progress from <paramref name="requestTime"/>,
    /// finished later by <see cref="EndTraceAsync"/>.
    /// </summary>
    public async Task<TraceInfo> BeginTraceAsync(
        Caller caller, string? experimentId, long requestTime, IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, string> tags,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var id = Guid.NewGuid().ToString("N");
        return await StartTraceAsync(caller, new TraceInfo(
            id, experimentId ?? "", requestTime, null, TraceState.InProgress, null, null, null, metadata, tags), cancellationToken);
    }

    /// <summary>MLflow 2.x's end of a trace: its duration up to <paramref name="endTime"/>, its state, and more metadata and tags.</summary>
    /// <exception cref="NotFoundException">No such trace.</exception>
    public async Task<TraceInfo> EndTraceAsync(
        Caller caller, string traceId, long endTime, string state, IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, string> tags,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(tags);
        caller.Require(Role.Writer, NamespacePath.Root);
        foreach (var key in tags.Keys)
        {
            CheckTagKey(key);
        }
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await FindAsync(connection, transaction, traceId, cancellationToken) ?? throw Missing(traceId);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE traces SET execution_duration = @duration, state = @state WHERE trace_id = @traceId",
                new { duration = endTime - before.RequestTime, state, traceId }, transaction, cancellationToken: cancellationToken));
            await UpsertPairsAsync(connection, transaction, "trace_tags", traceId, tags, cancellationToken);
            await UpsertPairsAsync(connection, transaction, "trace_metadata", traceId, metadata, cancellationToken);
            var after = await FindAsync(connection, transaction, traceId, cancellationToken) ?? throw Missing(traceId);
            await audit.AppendAsync(transaction, caller.Name, "trace.end", Resource(traceId),
                new { before.State, before.ExecutionDuration }, new { after.State, after.ExecutionDuration }, cancellationToken);
            return after;
        }, cancellationToken);
    }

    /// <exception cref="NotFoundException">No such trace.</exception>
    public async Task<TraceInfo> GetTraceAsync(Caller caller, string? traceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        caller.Require(Role.Reader, NamespacePath.Root);
        if (string.IsNullOrEmpty(traceId))
        {
            throw TrackingLimits.Missing("trace_id");
        }
        return await database.ReadAsync(async connection =>
            await FindAsync(connection, null, traceId, cancellationToken) ?? throw Missing(traceId), cancellationToken);
    }

    /// <summary>The traces of some experiments that match a filter, in order, one page at a time (one query for the page, one each for its tags and metadata).</summary>
    /// <exception cref="InvalidParameterException">No experiment, a bad page size, filter, order_by or page token.</exception>
    public async Task<TracePage> SearchTracesAsync(Caller caller, TraceQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(query);
        caller.Require(Role.Reader, NamespacePath.Root);
        if (query.ExperimentIds.Count == 0)
        {
            throw TrackingLimits.Missing("experiment_ids");
        }
        var size = query.MaxResults switch
        {
            null => DefaultPage,
            < 1 => throw new InvalidParameterException($"Invalid value {query.MaxResults} for parameter 'max_results' supplied. It must be a positive integer"),
            > MaxPage => throw new InvalidParameterException($"Invalid value {query.MaxResults} for parameter 'max_results' supplied. It must be at most {MaxPage}"),
            { } requested => requested,
        };
        var experiments = query.ExperimentIds.Select(id => TrackingLimits.ExperimentId(id, "experiment_ids")).Distinct().ToList();
        var parameters = new Dictionary<string, object?> { ["experiments"] = experiments };
        var where = new List<string> { database.Dialect.InList("t.experiment_id", "@experiments") };
        if (TraceFilter.Compile(query.Filter, database.Dialect, parameters) is { } condition)
        {
            where.Add(condition);
        }
        var orderBy = TraceFilter.OrderBy(query.OrderBy, parameters);
        var page = OffsetPage.Start(size, query.PageToken,
            $"traces|{string.Join(',', experiments)}|{query.Filter}|{string.Join('|', query.OrderBy ?? [])}");
        page.AddTo(parameters);
        return await database.ReadAsync(async connection =>
        {
            var (rows, next) = page.Cut(await connection.QueryAsync<TraceRow>(new CommandDefinition(
                $"{SelectTraces} WHERE {string.Join(" AND ", where)} ORDER BY {orderBy}{OffsetPage.Sql}",
                new DynamicParameters(parameters), cancellationToken: cancellationToken)));
            return new TracePage(await WithPairsAsync(connection, null, rows, cancellationToken), next);
        }, cancellationToken);
    }

    /// <summary>
    /// How two filters (MLflow's trace grammar) go together over the traces of some experiments, or over those of them
    /// that match <paramref name="baseFilter"/>: all four counts in one query.
    /// </summary>
    /// <exception cref="InvalidParameterException">No experiment, or a filter MLflow's grammar refuses.</exception>
    public async Task<TraceCorrelation> CorrelateAsync(
        Caller caller, IReadOnlyList<string> experimentIds, string filter1, string filter2, string? baseFilter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(experimentIds);
        caller.Require(Role.Reader, NamespacePath.Root);
        if (experimentIds.Count == 0)
        {
            throw TrackingLimits.Missing("experiment_ids");
        }
        var experiments = experimentIds.Select(id => TrackingLimits.ExperimentId(id, "experiment_ids")).Distinct().ToList();
        var parameters = new Dictionary<string, object?> { ["experiments"] = experiments };
        var where = new List<string> { database.Dialect.InList("t.experiment_id", "@experiments") };
        if (TraceFilter.Compile(baseFilter, database.Dialect, parameters) is { } universe)
        {
            where.Add(universe);
        }
        var first = TraceFilter.Compile(filter1, database.Dialect, parameters) ?? "1 = 1";
        var second = TraceFilter.Compile(filter2, database.Dialect, parameters) ?? "1 = 1";
        var counts = await database.ReadAsync(connection => connection.QuerySingleAsync<CorrelationRow>(new CommandDefinition(
            $"""
            SELECT COUNT(*) AS total,
                   COALESCE(SUM(CASE WHEN {first} THEN 1 ELSE 0 END), 0) AS filter1,
                   COALESCE(SUM(CASE WHEN {second} THEN 1 ELSE 0 END), 0) AS filter2,
                   COALESCE(SUM(CASE WHEN ({first}) AND ({second}) THEN 1 ELSE 0 END), 0) AS joint
            FROM traces t WHERE {string.Join(" AND ", where)}
            """, new DynamicParameters(parameters), cancellationToken: cancellationToken)), cancellationToken);
        return TraceCorrelation.FromCounts((int)counts.Total, (int)counts.Filter1, (int)counts.Filter2, (int)counts.Joint);
    }

    private sealed record CorrelationRow
    {
        public long Total { get; init; }
        public long Filter1 { get; init; }
        public long Filter2 { get; init; }
        public long Joint { get; init; }
    }

    /// <summary>Sets (or replaces) a tag of a trace.</summary>
    /// <exception cref="NotFoundException">No such trace.</exception>
    public async Task SetTagAsync(Caller caller, string? traceId, string? key, string? value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        caller.Require(Role.Writer, NamespacePath.Root);
        CheckTagKey(key);
        var tag = new KeyValue(key!, value ?? "");
        await database.WriteAsync(async (connection, transaction) =>
        {
            var id = await ExistingIdAsync(connection, transaction, traceId, cancellationToken);
            await UpsertPairsAsync(connection, transaction, "trace_tags", id, new Dictionary<string, string> { [tag.Key] = tag.Value }, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "trace.tag.set", Resource(id), null, tag, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <exception cref="NotFoundException">No such trace, or it has no tag <paramref name="key"/>.</exception>
    public async Task DeleteTagAsync(Caller caller, string? traceId, string? key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        caller.Require(Role.Writer, NamespacePath.Root);
        if (string.IsNullOrEmpty(key))
        {
            throw TrackingLimits.Missing("key");
        }
        await database.WriteAsync(async (connection, transaction) =>
        {
            var id = await ExistingIdAsync(connection, transaction, traceId, cancellationToken);
            var value = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
                "SELECT value FROM trace_tags WHERE trace_id = @id AND key = @key", new { id, key }, transaction, cancellationToken: cancellationToken))
                ?? throw new NotFoundException($"No trace tag with key '{key}' for trace with ID '{id}'");
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM trace_tags WHERE trace_id = @id AND key = @key", new { id, key }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "trace.tag.delete", Resource(id), new KeyValue(key, value), null, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes traces of one experiment, with their spans, tags, metadata and links: those named, or those that started
    /// at or before a time (the oldest first, at most <see cref="TraceDeletion.MaxTraces"/>). Returns how many went.
    /// </summary>
    /// <exception cref="InvalidParameterException">Criteria that MLflow does not allow together, or none.</exception>
    public async Task<int> DeleteTracesAsync(Caller caller, TraceDeletion deletion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(deletion);
        caller.Require(Role.Writer, NamespacePath.Root);
        var experimentId = TrackingLimits.ExperimentId(deletion.ExperimentId);
        var ids = deletion.TraceIds is { Count: > 0 } named ? named : null;
        if (deletion.MaxTimestampMillis is null && ids is null)
        {
            throw new InvalidParameterException("Either `max_timestamp_millis` or `trace_ids` must be specified.");
        }
        if (deletion.MaxTimestampMillis is not null && ids is not null)
        {
            throw new InvalidParameterException("Only one of `max_timestamp_millis` and `trace_ids` can be specified.");
        }
        if (ids is not null && deletion.MaxTraces is not null)
        {
            throw new InvalidParameterException("`max_traces` can't be specified if `trace_ids` is specified.");
        }
        if (deletion.MaxTraces is <= 0)
        {
            throw new InvalidParameterException($"`max_traces` must be a positive integer, received {deletion.MaxTraces}.");
        }
        var parameters = new Dictionary<string, object?> { ["experimentId"] = experimentId };
        var where = new List<string> { "experiment_id = @experimentId" };
        if (deletion.MaxTimestampMillis is { } max)
        {
            where.Add("request_time <= @max");
            parameters["max"] = max;
        }
        if (ids is not null)
        {
            where.Add(database.Dialect.InList("trace_id", "@ids"));
            parameters["ids"] = ids.ToList();
        }
        var select = $"SELECT trace_id FROM traces WHERE {string.Join(" AND ", where)} ORDER BY request_time, trace_id";
        if (deletion.MaxTraces is { } limit)
        {
            select += " LIMIT @limit";
            parameters["limit"] = limit;
        }
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var doomed = (await connection.QueryAsync<string>(new CommandDefinition(
                select, new DynamicParameters(parameters), transaction, cancellationToken: cancellationToken))).ToList();
            if (doomed.Count == 0)
            {
                return 0;
            }
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM traces WHERE {database.Dialect.InList("trace_id", "@doomed")}", new { doomed }, transaction, cancellationToken: cancellationToken));
            var experiment = experimentId.ToString(CultureInfo.InvariantCulture);
            await audit.AppendAsync(transaction, caller.Name, "trace.delete", $"experiments/{experiment}/traces",
                new { trace_ids = doomed }, new { deleted = doomed.Count }, cancellationToken);
            return doomed.Count;
        }, cancellationToken);
    }

    /// <summary>Links traces to a run, so that a search for the run's traces finds them; links already made are kept once.</summary>
    /// <exception cref="InvalidParameterException">More than <see cref="MaxLinks"/> traces, or no run id.</exception>
    /// <exception cref="NotFoundException">A trace does not exist.</exception>
    public async Task LinkToRunAsync(Caller caller, IReadOnlyList<string>? traceIds, string? runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        caller.Require(Role.Writer, NamespacePath.Root);
        var run = TrackingLimits.RunId(runId);
        if (traceIds is not { Count: > 0 })
        {
            return;
        }
        if (traceIds.Count > MaxLinks)
        {
            throw new InvalidParameterException(
                $"Cannot link more than {MaxLinks} traces to a run in a single request. Provided {traceIds.Count} traces.");
        }
        var ids = traceIds.Distinct().ToList();
        await database.WriteAsync(async (connection, transaction) =>
        {
            var found = (await connection.QueryAsync<string>(new CommandDefinition(
                $"SELECT trace_id FROM traces WHERE {database.Dialect.InList("trace_id", "@ids")}", new { ids }, transaction, cancellationToken: cancellationToken))).ToHashSet();
            if (ids.FirstOrDefault(id => !found.Contains(id)) is { } missing)
            {
                throw Missing(missing);
            }
            foreach (var id in ids)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO trace_run_links (trace_id, run_id) VALUES (@id, @run) ON CONFLICT (trace_id, run_id) DO NOTHING",
                    new { id, run }, transaction, cancellationToken: cancellationToken));
            }
            await audit.AppendAsync(transaction, caller.Name, "trace.link", $"runs/{run}", null, new { trace_ids = ids }, cancellationToken);
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// Stores spans as an exporter sends them (replacing spans already stored under the same ids). A trace not yet known
    /// is created in <paramref name="experimentId"/>, in progress until its root span arrives; a known trace's start,
    /// duration and (while in progress) state grow to cover the new spans.
    /// </summary>
    /// <exception cref="NotFoundException">The experiment does not exist.</exception>
    public async Task LogSpansAsync(Caller caller, string? experimentId, IReadOnlyList<TraceSpan> spans, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(spans);
        caller.Require(Role.Writer, NamespacePath.Root);
        var experimentKey = TrackingLimits.ExperimentId(experimentId);
        if (spans.Count == 0)
        {
            return;
        }
        if (spans.Count > MaxSpansPerRequest)
        {
            throw new InvalidParameterException($"A request holds {spans.Count} spans; send at most {MaxSpansPerRequest} at a time.");
        }
        await database.WriteAsync(async (connection, transaction) =>
        {
            var experiment = await ActiveExperimentAsync(connection, transaction, experimentKey, cancellationToken);
            foreach (var trace in spans.GroupBy(s => s.TraceId))
            {
                await LogTraceSpansAsync(connection, transaction, caller, experiment, trace.Key, trace.ToList(), cancellationToken);
            }
            return 0;
        }, cancellationToken);
    }

    /// <summary>A trace's spans in start order.</summary>
    /// <exception cref="NotFoundException">No such trace.</exception>
    public async Task<IReadOnlyList<TraceSpan>> GetSpansAsync(Caller caller, string? traceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        caller.Require(Role.Reader, NamespacePath.Root);
        return await database.ReadAsync(async connection =>
        {
            var id = await ExistingIdAsync(connection, null, traceId, cancellationToken);
            return (IReadOnlyList<TraceSpan>)(await connection.QueryAsync<TraceSpan>(new CommandDefinition(
                """
                SELECT trace_id AS TraceId, span_id AS SpanId, parent_span_id AS ParentSpanId, name AS Name, span_type AS SpanType, status AS Status,
                       start_time_unix_nano AS StartTimeUnixNano, end_time_unix_nano AS EndTimeUnixNano, content AS Content
                FROM trace_spans WHERE trace_id = @id ORDER BY start_time_unix_nano, span_id
                """, new { id }, cancellationToken: cancellationToken))).ToList();
        }, cancellationToken);
    }

    private async Task LogTraceSpansAsync(
        DbConnection connection, DbTransaction transaction, Caller caller, ExperimentRow experiment, string traceId, List<TraceSpan> spans,
        CancellationToken cancellationToken)
    {
        var start = spans.Min(s => s.StartTimeUnixNano) / 1_000_000;
        var ends = spans.Where(s => s.EndTimeUnixNano is not null).Select(s => s.EndTimeUnixNano!.Value / 1_000_000).ToList();
        long? end = ends.Count > 0 ? ends.Max() : null;
        // The root span decides the trace's state: ERROR if it failed, OK otherwise (OK or UNSET), as MLflow maps it.
        var rootState = spans.FirstOrDefault(s => s.ParentSpanId is null) is { } root ? (root.Status == "ERROR" ? TraceState.Error : TraceState.Ok) : null;

        var existing = await connection.QuerySingleOrDefaultAsync<TraceRow>(new CommandDefinition(
            $"{SelectTraces} WHERE t.trace_id = @traceId", new { traceId }, transaction, cancellationToken: cancellationToken));
        if (existing is null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO traces (trace_id, experiment_id, request_time, execution_duration, state) VALUES (@traceId, @experiment, @start, @duration, @state)",
                new { traceId, experiment = experiment.Id, start, duration = end - start, state = rootState ?? TraceState.InProgress },
                transaction, cancellationToken: cancellationToken));
            await UpsertPairsAsync(connection, transaction, "trace_tags", traceId,
                new Dictionary<string, string> { [TraceKeys.ArtifactLocation] = ArtifactLocation(experiment, traceId) }, cancellationToken);
        }
        else
        {
            var newStart = Math.Min(existing.RequestTime, start);
            long? knownEnd = existing.ExecutionDuration is { } d ? existing.RequestTime + d : null;
            long? newEnd = (knownEnd, end) switch
            {
                ({ } a, { } b) => Math.Max(a, b),
                (var a, var b) => a ?? b,
            };
            var state = existing.State is TraceState.InProgress or TraceState.Unspecified && rootState is not null ? rootState : existing.State;
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE traces SET request_time = @newStart, execution_duration = @duration, state = @state WHERE trace_id = @traceId",
                new { newStart, duration = newEnd - newStart, state, traceId }, transaction, cancellationToken: cancellationToken));
        }
        foreach (var span in spans)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO trace_spans (trace_id, span_id, parent_span_id, name, span_type, status, start_time_unix_nano, end_time_unix_nano, content)
                VALUES (@TraceId, @SpanId, @ParentSpanId, @Name, @SpanType, @Status, @StartTimeUnixNano, @EndTimeUnixNano, @Content)
                ON CONFLICT (trace_id, span_id) DO UPDATE SET
                    parent_span_id = excluded.parent_span_id, name = excluded.name, span_type = excluded.span_type, status = excluded.status,
                    start_time_unix_nano = excluded.start_time_unix_nano, end_time_unix_nano = excluded.end_time_unix_nano, content = excluded.content
                """, span, transaction, cancellationToken: cancellationToken));
        }
        await audit.AppendAsync(transaction, caller.Name, "trace.spans.log", Resource(traceId), null,
            new { experiment_id = experiment.Id, span_ids = spans.Select(s => s.SpanId).ToList() }, cancellationToken);
    }

    private static async Task<ExperimentRow> ActiveExperimentAsync(DbConnection connection, DbTransaction transaction, long id, CancellationToken cancellationToken)
    {
        var experiment = await connection.QuerySingleOrDefaultAsync<ExperimentRow>(new CommandDefinition(
            "SELECT id, artifact_location, lifecycle_stage FROM experiments WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken))
            ?? throw new NotFoundException($"No Experiment with id={id} exists");
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw new InvalidParameterException($"The experiment {id} must be in the 'active' state. Current state is {experiment.LifecycleStage}.");
        }
        return experiment;
    }

    /// <summary>Where a trace's data file goes: a folder of its own under the experiment's location, apart from run artifacts (as MLflow lays it out).</summary>
    private static string ArtifactLocation(ExperimentRow experiment, string traceId) =>
        $"{experiment.ArtifactLocation.TrimEnd('/')}/traces/{traceId}/artifacts";

    private async Task<TraceInfo?> FindAsync(DbConnection connection, DbTransaction? transaction, string traceId, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<TraceRow>(new CommandDefinition(
            $"{SelectTraces} WHERE t.trace_id = @traceId", new { traceId }, transaction, cancellationToken: cancellationToken));
        return row is null ? null : (await WithPairsAsync(connection, transaction, [row], cancellationToken))[0];
    }

    private static async Task<string> ExistingIdAsync(DbConnection connection, DbTransaction? transaction, string? traceId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(traceId))
        {
            throw TrackingLimits.Missing("trace_id");
        }
        var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM traces WHERE trace_id = @traceId", new { traceId }, transaction, cancellationToken: cancellationToken));
        return count > 0 ? traceId : throw Missing(traceId);
    }

    /// <summary>The page's tags and metadata, one query each for the whole page.</summary>
    private async Task<IReadOnlyList<TraceInfo>> WithPairsAsync(DbConnection connection, DbTransaction? transaction, List<TraceRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return [];
        }
        var ids = rows.Select(r => r.TraceId).ToList();
        async Task<ILookup<string, PairRow>> PairsAsync(string table) =>
            (await connection.QueryAsync<PairRow>(new CommandDefinition(
                $"SELECT trace_id, key, value FROM {table} WHERE {database.Dialect.InList("trace_id", "@ids")}",
                new { ids }, transaction, cancellationToken: cancellationToken))).ToLookup(p => p.TraceId);
        var tags = await PairsAsync("trace_tags");
        var metadata = await PairsAsync("trace_metadata");
        return rows.Select(r => new TraceInfo(
            r.TraceId, r.ExperimentId.ToString(CultureInfo.InvariantCulture), r.RequestTime, r.ExecutionDuration, r.State,
            r.ClientRequestId, r.RequestPreview, r.ResponsePreview,
            metadata[r.TraceId].ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            tags[r.TraceId].ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal))).ToList();
    }

    private static async Task UpsertPairsAsync(
        DbConnection connection, DbTransaction transaction, string table, string traceId, IReadOnlyDictionary<string, string> pairs, CancellationToken cancellationToken)
    {
        foreach (var (key, value) in pairs)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {table} (trace_id, key, value) VALUES (@traceId, @key, @value) ON CONFLICT (trace_id, key) DO UPDATE SET value = excluded.value",
                new { traceId, key, value }, transaction, cancellationToken: cancellationToken));
        }
    }

    private static void CheckTagKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw TrackingLimits.Missing("key");
        }
        if (key.Length > MaxTagKeyLength)
        {
            throw new InvalidParameterException(
                $"'key' exceeds the maximum length of {MaxTagKeyLength} characters");
        }
    }

    private static string Resource(string traceId) => $"traces/{traceId}";

    private static NotFoundException Missing(string traceId) => new($"Trace with ID '{traceId}' not found.");
}
