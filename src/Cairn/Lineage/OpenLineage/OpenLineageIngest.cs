using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Cairn.Lineage.OpenLineage;

/// <summary>
/// What an ingestion recorded: how many events, and the runs and datasets they named; <paramref name="Notes"/> says what
/// Cairn kept but could not interpret (column statistics it cannot read), by path (<c>[3].inputs[0].inputFacets…</c> in a batch).
/// </summary>
public sealed record IngestResult(int Events, IReadOnlyList<string> Runs, IReadOnlyList<string> Datasets, IReadOnlyList<ErrorDetail>? Notes = null);

/// <summary>An event that passed validation: its JSON, its time as Cairn reads it, and what Cairn will not interpret of it.</summary>
internal sealed record OpenLineageEvent(JObject Json, DateTimeOffset EventTime, IReadOnlyList<ErrorDetail> Notes);


/// <summary>
/// OpenLineage ingestion. Each event is validated against the published schema, then becomes metadata: a run event's
/// job and run become an execution (<c>job:&lt;ns&gt;:&lt;name&gt;</c> → <c>run:&lt;runId&gt;</c>), its input and output
/// datasets become dataset nodes named by namespace and name (so two producers naming one dataset make one node),
/// with the schema, data source, version, documentation and data-quality facets as the dataset's schema, location,
/// version, description and column statistics; the parent facet links the parent run to this one. Job events record
/// design-time lineage (datasets → job → datasets), dataset events the dataset alone.
/// A batch is one transaction: all its events are recorded, or none. Each transaction leaves one audit entry per caller:
/// a lone event's <c>openlineage.event</c>, or <c>openlineage.batch</c> listing each event.
/// </summary>
public sealed class OpenLineageIngest(CairnDatabase database, AuditChain audit, MetadataStore store, TimeProvider clock)
{
    public const int MaxBatch = 1000;

    /// <summary>The largest request body Cairn reads, after decompression: 64 MiB.</summary>
    public const int MaxBodyBytes = 64 * 1024 * 1024;

    private static readonly Dictionary<string, string> States = new(StringComparer.Ordinal)
    {
        ["START"] = ExecutionState.Running,
        ["RUNNING"] = ExecutionState.Running,
        ["COMPLETE"] = ExecutionState.Complete,
        ["FAIL"] = ExecutionState.Failed,
        ["ABORT"] = ExecutionState.Aborted,
    };

    private readonly List<Pending> _queue = [];
    private bool _committing;

    /// <summary>Events of one request waiting to be recorded, and the request's answer once they are.</summary>
    private sealed record Pending(string Actor, List<PreparedEvent> Events, TaskCompletionSource<IngestResult> Done);

    /// <summary>
    /// Records one event (<paramref name="batch"/> false: the body is an event) or a JSON array of them, and returns
    /// once they are committed. Requests that arrive while a commit is under way are committed together in the next
    /// transaction (group commit): OpenLineage's HTTP transport sends one event per request, and one durable commit per
    /// event would cap ingestion at the disk's flush rate. A group that fails is retried request by request, so one
    /// request's bad data never fails another's.
    /// </summary>
    public async Task<IngestResult> IngestAsync(Caller caller, string body, bool batch, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        // Parsing, validating and reading the events happen here, in the caller's request and before the write lock:
        // the lock's holder only resolves names and writes.
        var events = Parse(body, batch).Select(Prepare).ToList();
        var pending = new Pending(caller.Name, events, new TaskCompletionSource<IngestResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        bool lead;
        lock (_queue)
        {
            _queue.Add(pending);
            lead = !_committing;
            _committing = true;
        }
        if (lead)
        {
            await CommitNextGroupAsync();
        }
        return await pending.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Commits what is queued (up to <see cref="MaxBatch"/> events) in one transaction; if more arrived meanwhile, a
    /// background task goes on committing, so the leading request answers as soon as its own group is in.
    /// </summary>
    private async Task CommitNextGroupAsync()
    {
        List<Pending> group;
        lock (_queue)
        {
            var take = 0;
            for (var events = 0; take < _queue.Count && events + _queue[take].Events.Count <= MaxBatch; take++)
            {
                events += _queue[take].Events.Count;
            }
            group = _queue.GetRange(0, take);
            _queue.RemoveRange(0, take);
        }
        try
        {
            var results = await WriteAsync(group);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Done.SetResult(results[i]);
            }
        }
        catch (Exception) when (group.Count > 1)
        {
            foreach (var one in group)
            {
                try
                {
                    one.Done.SetResult((await WriteAsync([one]))[0]);
                }
                catch (Exception ex)
                {
                    one.Done.SetException(ex);
                }
            }
        }
        catch (Exception ex)
        {
            group[0].Done.SetException(ex);
        }
        lock (_queue)
        {
            if (_queue.Count == 0)
            {
                _committing = false;
                return;
            }
        }
        _ = Task.Run(CommitNextGroupAsync);
    }

    // Not cancellable: a group holds other requests' events, and the caller that leads it may go away.
    // A group is one transaction written set-based, whatever its number of events: the names its datasets go by are read
    // with one query, every dataset write of every event is made in one call, every run in one, and the extra nodes,
    // edges, input/output facets and column lineage in one statement each; then one audit entry per caller in it: a lone
    // event's own, or the list of every event (a batch, or single-event requests committed together).
    private Task<List<IngestResult>> WriteAsync(List<Pending> group) => database.WriteAsync(async (_, transaction) =>
    {
        var names = await DatasetNames.LoadAsync(transaction, database.Dialect, group.SelectMany(p => p.Events.Select(e => e.Json)), CancellationToken.None);
        var writes = new GroupWrites();
        var results = new List<IngestResult>(group.Count);
        var byActor = new Dictionary<string, List<RecordedEvent>>(StringComparer.Ordinal);
        foreach (var pending in group)
        {
            var runs = new SortedSet<string>(StringComparer.Ordinal);
            var datasets = new SortedSet<string>(StringComparer.Ordinal);
            var recorded = byActor.TryGetValue(pending.Actor, out var list) ? list : byActor[pending.Actor] = [];
            foreach (var @event in pending.Events)
            {
                recorded.Add(Record(pending.Actor, @event, names, writes, runs, datasets));
            }
            var notes = pending.Events.SelectMany(e => e.Notes).ToList();
            results.Add(new IngestResult(pending.Events.Count, [.. runs], [.. datasets], notes.Count > 0 ? notes : null));
        }
        await DatasetNames.RecordAsync(transaction, writes.Aliases, clock, CancellationToken.None);
        await store.UpsertDatasetsAsync(transaction, writes.Datasets, CancellationToken.None);
        await store.UpsertExecutionsAsync(transaction, writes.Executions, CancellationToken.None);
        await LineageGraph.TouchNodesAsync(transaction, [], writes.Nodes, clock, CancellationToken.None);
        await LineageGraph.LinkExistingAsync(transaction, writes.Edges, clock, CancellationToken.None);
        await store.RecordDatasetFacetsAsync(transaction, writes.DatasetFacets, CancellationToken.None);
        // An edge named by several events of the group is written once, as last named.
        await ColumnLineage.WriteAsync(transaction,
            [.. writes.ColumnLineage.GroupBy(e => (e.OutputDataset, e.OutputField, e.InputDataset, e.InputField)).Select(g => g.Last())],
            clock.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None);
        foreach (var (actor, recorded) in byActor)
        {
            await (recorded is [var one]
                ? audit.AppendAsync(transaction, actor, "openlineage.event", one.Resource, null, one, CancellationToken.None)
                : audit.AppendAsync(transaction, actor, "openlineage.batch", "lineage/batch", null, new { events = recorded }, CancellationToken.None));
        }
        return results;
    }, CancellationToken.None);

    /// <summary>What an event recorded, as its audit entry says it.</summary>
    private sealed record RecordedEvent(
        string Resource, string? EventType, DateTimeOffset EventTime, string? Producer, IEnumerable<string> Inputs, IEnumerable<string> Outputs, IReadOnlyList<ErrorDetail>? Notes);

    /// <summary>An event as read before the write lock: credentials masked, its time, job, run and datasets read, and what Cairn will not interpret of it.</summary>
    private sealed record PreparedEvent(
        JObject Json, DateTimeOffset EventTime, IReadOnlyList<ErrorDetail> Notes, LineageNode? Job, ExecutionWrite? Run, LineageNode? ParentJob, string? ParentRunId,
        IReadOnlyList<PreparedDataset> Inputs, IReadOnlyList<PreparedDataset> Outputs);

    /// <summary>A dataset of an event as its facets describe it, under its own name (symlinks are resolved under the lock).</summary>
    private sealed record PreparedDataset(JObject Json, PutDatasetRequest Request, string? Facets);

    /// <summary>What a group's events write, gathered in order so that each table is written with one statement.</summary>
    private sealed class GroupWrites
    {
        public List<DatasetAlias> Aliases { get; } = [];
        public List<DatasetWrite> Datasets { get; } = [];
        public List<ExecutionWrite> Executions { get; } = [];
        public List<LineageNode> Nodes { get; } = [];
        public HashSet<LineageEdge> Edges { get; } = [];
        public List<RunDatasetFacets> DatasetFacets { get; } = [];
        public List<ColumnLineageEdge> ColumnLineage { get; } = [];
    }

    /// <summary>
    /// Parses and validates everything before anything is written, so a bad event costs no half-written batch. Beyond
    /// the schema (where <c>format</c> is an annotation), Cairn asserts the two values it keys on: <c>run.runId</c> is a
    /// UUID and <c>eventTime</c> a date-time it can place (<see cref="OpenLineageTime"/>).
    /// </summary>
    private static List<OpenLineageEvent> Parse(string body, bool batch)
    {
        JToken document;
        try
        {
            // Dates stay strings: Cairn reads them itself. Numbers beyond Int64 stay big integers, beyond double infinite:
            // nothing here converts them, so none fails the request.
            using var reader = new JsonTextReader(new StringReader(body)) { DateParseHandling = DateParseHandling.None, MaxDepth = 64 };
            document = JToken.ReadFrom(reader);
            if (reader.Read())
            {
                throw new InvalidParameterException("The body holds more than one JSON value.");
            }
        }
        catch (JsonReaderException ex)
        {
            throw new InvalidParameterException($"The body is not valid JSON: {ex.Message}");
        }
        List<JToken> events = batch
            ? (document as JArray)?.ToList() ?? throw new InvalidParameterException("A batch is a JSON array of OpenLineage events.")
            : [document];
        if (events.Count is 0 or > MaxBatch)
        {
            throw new InvalidParameterException($"A batch holds 1 to {MaxBatch} events; this one holds {events.Count}.");
        }
        var violations = new List<ErrorDetail>();
        var parsed = new List<OpenLineageEvent>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var prefix = batch ? $"[{i}]" : "";
            int? index = batch ? i : null;
            var validation = OpenLineageSchemas.Validate(events[i], prefix);
            var failed = validation.Violations.Select(v => v with { Index = index }).ToList();
            var eventTime = default(DateTimeOffset);
            if (events[i] is JObject json)
            {
                if (json["eventTime"] is JValue { Type: JTokenType.String } time && !OpenLineageTime.TryParse((string)time!, out eventTime, out var timeError))
                {
                    failed.Add(new ErrorDetail(Join(prefix, "eventTime"), timeError!, Index: index));
                }
                if (json.SelectToken("run.runId") is JValue { Type: JTokenType.String } runId && !Guid.TryParseExact((string)runId!, "D", out _))
                {
                    failed.Add(new ErrorDetail(Join(prefix, "run.runId"), "must be a UUID", Index: index));
                }
            }
            if (failed.Count > 0)
            {
                violations.AddRange(failed);
                continue;
            }
            var root = (JObject)events[i];
            var notes = validation.Notes.Select(n => n with { Message = $"{n.Message}; the facet is kept, its statistics are not read" }).ToList();
            if (root["inputs"] is JArray inputs)
            {
                for (var d = 0; d < inputs.Count; d++)
                {
                    // A facet that broke its schema was noted above and is not read at all.
                    var at = Join(prefix, $"inputs[{d}].inputFacets.dataQualityMetrics");
                    if (!notes.Any(n => n.Path.StartsWith(at, StringComparison.Ordinal)))
                    {
                        Statistics((JObject)inputs[d], at, notes);
                    }
                }
            }
            parsed.Add(new OpenLineageEvent(root, eventTime, notes.Select(n => n with { Index = index }).ToList()));
        }
        if (violations.Count > 0)
        {
            var first = violations[0];
            throw new SchemaValidationException(
                $"The {(batch ? "batch" : "event")} does not match the OpenLineage schema: {(first.Path.Length == 0 ? "the event" : first.Path)} {first.Message}"
                + (batch ? $" (event {first.Index} of the batch)" : "")
                + (violations.Count > 1 ? $", and {violations.Count - 1} more (see errors)." : "."),
                violations);
        }
        return parsed;
    }

    private static string Join(string prefix, string path) => prefix.Length == 0 ? path : $"{prefix}.{path}";

    /// <summary>
    /// Reads an event before the write lock. Secrets in URIs are masked first, so none reaches the store or the audit log;
    /// the actor is filled in by <see cref="Record"/>.
    /// </summary>
    private static PreparedEvent Prepare(OpenLineageEvent parsed)
    {
        var (@event, eventTime, notes) = (parsed.Json, parsed.EventTime, parsed.Notes);
        DatasetNames.MaskCredentials(@event);
        var job = @event["job"] is JObject j ? NodeIds.JobNode((string)j["namespace"]!, (string)j["name"]!) : null;
        var inputs = Prepared(@event["inputs"]);
        var outputs = @event["dataset"] is JObject dataset ? Prepared(new JArray(dataset)) : Prepared(@event["outputs"]);
        if (@event["run"] is not JObject run)
        {
            return new PreparedEvent(@event, eventTime, notes, job, null, null, null, inputs, outputs);
        }
        var eventType = (string?)@event["eventType"] ?? "OTHER";
        var terminal = eventType is "COMPLETE" or "FAIL" or "ABORT";
        var parent = run.SelectToken("facets.parent") as JObject;
        var facets = new JsonObject();
        foreach (var place in new[] { "run", "job" })
        {
            if (@event.SelectToken($"{place}.facets") is JObject given && given.Count > 0)
            {
                facets[place] = JsonNode.Parse(given.ToString(Formatting.None));
            }
        }
        var execution = new ExecutionWrite("", new PutExecutionRequest(
            RunId: (string)run["runId"]!,
            Type: ExecutionType((string?)@event.SelectToken("job.facets.jobType.jobType")),
            JobNamespace: job!.Namespace,
            JobName: job.Name,
            State: States.GetValueOrDefault(eventType),
            ParentRunId: (string?)parent?.SelectToken("run.runId"),
            StartedAt: eventType == "START" ? eventTime : null,
            EndedAt: terminal ? eventTime : null), facets);
        var parentJob = parent?["job"] is JObject pj ? NodeIds.JobNode((string)pj["namespace"]!, (string)pj["name"]!) : null;
        return new PreparedEvent(@event, eventTime, notes, job, execution, parentJob, (string?)parent?.SelectToken("run.runId"), inputs, outputs);
    }

    private static List<PreparedDataset> Prepared(JToken? datasets) =>
        [.. datasets?.Children<JObject>().Select(d => new PreparedDataset(d, ToDataset(d), d["facets"] is JObject { Count: > 0 } given ? given.ToString(Formatting.None) : null)) ?? []];

    /// <summary>
    /// Adds what an event records to the group's writes, each of its datasets under the node its name resolves to (its
    /// own, or the dataset a symlink made it another name of), with every dataset facet kept whole.
    /// </summary>
    private static RecordedEvent Record(string actor, PreparedEvent @event, DatasetNames names, GroupWrites writes, SortedSet<string> runs, SortedSet<string> datasets)
    {
        var runId = @event.Run?.Request.RunId;
        List<(LineageNode Node, JObject Dataset)> Resolve(IReadOnlyList<PreparedDataset> prepared, string? writtenBy)
        {
            var resolved = new List<(LineageNode, JObject)>(prepared.Count);
            foreach (var dataset in prepared)
            {
                var node = names.Resolve(dataset.Json, writes.Aliases);
                writes.Datasets.Add(new DatasetWrite(actor, dataset.Request with { Namespace = node.Namespace, Name = node.Name }, writtenBy, dataset.Facets));
                resolved.Add((node, dataset.Json));
                datasets.Add(node.Id);
            }
            return resolved;
        }
        var inputs = Resolve(@event.Inputs, null);
        var outputs = Resolve(@event.Outputs, runId);
        string resource;
        if (@event.Run is { } run)
        {
            var node = NodeIds.RunNode(runId!);
            writes.Executions.Add(run with { Actor = actor });
            // A DAG run parents many task events: the edge from its job is one of the group's, written once.
            if (@event.ParentJob is { } parentJob)
            {
                writes.Nodes.Add(parentJob);
                writes.Edges.Add(new LineageEdge(parentJob.Id, NodeIds.Run(@event.ParentRunId!), "runs"));
            }
            writes.Edges.UnionWith(inputs.Select(i => new LineageEdge(i.Node.Id, node.Id, "input")));
            writes.Edges.UnionWith(outputs.Select(o => new LineageEdge(node.Id, o.Node.Id, "output")));
            // What the run read and wrote with which input and output facets.
            writes.DatasetFacets.AddRange(FacetsOf(node.Id, inputs, "inputFacets", "input"));
            writes.DatasetFacets.AddRange(FacetsOf(node.Id, outputs, "outputFacets", "output"));
            runs.Add(node.Id);
            resource = $"executions/{runId}";
        }
        else if (@event.Job is { } job)
        {
            // A job event: the job's design-time inputs and outputs, with no run.
            writes.Nodes.Add(job);
            writes.Edges.UnionWith(inputs.Select(i => new LineageEdge(i.Node.Id, job.Id, "input")));
            writes.Edges.UnionWith(outputs.Select(o => new LineageEdge(job.Id, o.Node.Id, "output")));
            resource = $"lineage/{job.Id}";
        }
        else
        {
            // A dataset event: the dataset alone (its column lineage too, as a static description of it).
            resource = $"datasets/{outputs[0].Node.Id}";
        }
        writes.ColumnLineage.AddRange(ColumnLineageOf(outputs, names, runId is null ? null : NodeIds.Run(runId), @event.Job?.Id));
        return new RecordedEvent(resource, (string?)@event.Json["eventType"], @event.EventTime, (string?)@event.Json["producer"], inputs.Select(d => d.Node.Id), outputs.Select(d => d.Node.Id),
            @event.Notes.Count > 0 ? @event.Notes : null);
    }

    /// <summary>The input or output facets of a run's datasets, by the dataset's node.</summary>
    private static IEnumerable<RunDatasetFacets> FacetsOf(string run, List<(LineageNode Node, JObject Dataset)> datasets, string property, string direction) =>
        datasets.Where(d => d.Dataset[property] is JObject { Count: > 0 })
            .Select(d => new RunDatasetFacets(run, d.Node.Id, direction, d.Dataset[property]!.ToString(Formatting.None)));

    /// <summary>
    /// The columnLineage facets of an event's outputs as rows: its <c>fields</c> (1-0-x inputFields with the output's
    /// transformationDescription and transformationType, or 1-2-0 inputFields each with its transformations) and its
    /// dataset-level <c>dataset</c> entries (output field <c>""</c>). Input datasets resolve through symlinks as outputs do.
    /// </summary>
    private static List<ColumnLineageEdge> ColumnLineageOf(List<(LineageNode Node, JObject Dataset)> outputs, DatasetNames names, string? run, string? job)
    {
        var edges = new List<ColumnLineageEdge>();
        foreach (var (output, dataset) in outputs)
        {
            if (dataset.SelectToken("facets.columnLineage") is not JObject facet)
            {
                continue;
            }
            void Add(string field, JToken? inputFields, string? description, string? type)
            {
                foreach (var input in inputFields?.Children<JObject>() ?? [])
                {
                    if ((string?)input["namespace"] is not { } ns || (string?)input["name"] is not { } name || (string?)input["field"] is not { } inputField)
                    {
                        continue;
                    }
                    var from = names.Known(ns, name);
                    var transformations = input["transformations"] as JArray;
                    var first = transformations?.FirstOrDefault() as JObject;
                    edges.Add(new ColumnLineageEdge(
                        output.Id, output.Namespace!, output.Name, field, from.Id, from.Namespace!, from.Name, inputField,
                        description ?? (string?)first?["description"], type ?? (string?)first?["type"],
                        transformations?.ToString(Formatting.None), run, job));
                }
            }
            foreach (var field in (facet["fields"] as JObject)?.Properties() ?? [])
            {
                if (field.Value is JObject column)
                {
                    Add(field.Name, column["inputFields"], (string?)column["transformationDescription"], (string?)column["transformationType"]);
                }
            }
            Add("", facet["dataset"], null, null);
        }
        // An edge named twice in one event is written once, as last named.
        return edges.GroupBy(e => (e.OutputDataset, e.OutputField, e.InputDataset, e.InputField)).Select(g => g.Last()).ToList();
    }

    /// <summary>A dataset as the standard facets describe it; what no facet says is left as it was.</summary>
    private static PutDatasetRequest ToDataset(JObject dataset)
    {
        var facets = dataset["facets"] as JObject;
        var fields = (facets?.SelectToken("schema.fields") as JArray)?.Children<JObject>()
            .Select(f => new DatasetField((string)f["name"]!, (string?)f["type"], (string?)f["description"]))
            .DistinctBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        var statistics = Statistics(dataset, "", notes: null);
        return new PutDatasetRequest(
            Namespace: (string)dataset["namespace"]!,
            Name: (string)dataset["name"]!,
            Version: (string?)facets?.SelectToken("version.datasetVersion"),
            Location: (string?)facets?.SelectToken("dataSource.uri"),
            Description: (string?)facets?.SelectToken("documentation.description"),
            Schema: fields,
            Statistics: statistics);
    }

    /// <summary>
    /// The column statistics a dataQualityMetrics input facet gives, as far as Cairn can read them: a column whose values
    /// it cannot hold (a count beyond Int64, a sum beyond double) or that are not coherent (more nulls than values, a
    /// quantile key that is not a probability, such as "25") is left out, and <paramref name="notes"/> says why. The
    /// facet itself is kept as sent.
    /// </summary>
    private static Dictionary<string, ColumnStatistics>? Statistics(JObject dataset, string at, List<ErrorDetail>? notes)
    {
        if (dataset.SelectToken("inputFacets.dataQualityMetrics") is not JObject facet
            || facet["columnMetrics"] is not JObject columns
            || facet["_deleted"] is JValue { Type: JTokenType.Boolean } deleted && (bool)deleted)
        {
            return null;
        }
        var statistics = new Dictionary<string, ColumnStatistics>(StringComparer.Ordinal);
        foreach (var column in columns.Properties())
        {
            string? problem;
            if (column.Value is not JObject metrics)
            {
                problem = "is not an object";
            }
            else if (ToStatistics(metrics, out problem) is { } read && (problem = MetadataStore.StatisticsProblem(read, column.Name)) is null)
            {
                statistics[column.Name] = read;
                continue;
            }
            notes?.Add(new ErrorDetail($"{at}.columnMetrics.{column.Name}", $"{problem!.TrimEnd('.')}; the column's statistics are kept in the facet, not read"));
        }
        return statistics;
    }

    private static ColumnStatistics? ToStatistics(JObject metrics, out string? problem)
    {
        string? issue = null;
        long? Whole(string name)
        {
            var token = metrics[name];
            if (token is null or { Type: JTokenType.Null })
            {
                return null;
            }
            if (token.Type is JTokenType.Integer && ((JValue)token).Value is long whole)
            {
                return whole;
            }
            if (token.Type is JTokenType.Float && (double)token is var d && double.IsFinite(d) && Math.Floor(d) == d && d is >= long.MinValue and < long.MaxValue)
            {
                return (long)d;
            }
            issue ??= $"'{name}' ({token.ToString(Formatting.None)}) is not a whole number Cairn can hold";
            return null;
        }
        double? Real(JToken? token, string name)
        {
            if (token is null or { Type: JTokenType.Null })
            {
                return null;
            }
            var value = token.Type is JTokenType.Integer or JTokenType.Float ? (double)token : double.NaN;
            if (!double.IsFinite(value))
            {
                issue ??= $"'{name}' ({token.ToString(Formatting.None)}) is not a finite number";
                return null;
            }
            return value;
        }
        System.Text.Json.JsonElement? Bound(string name)
        {
            var token = metrics[name];
            if (token is null or { Type: JTokenType.Null })
            {
                return null;
            }
            if (Real(token, name) is null)
            {
                return null;
            }
            return System.Text.Json.JsonDocument.Parse(token.ToString(Formatting.None)).RootElement.Clone();
        }
        var count = Whole("count");
        Dictionary<string, double>? quantiles = null;
        if (metrics["quantiles"] is JObject given)
        {
            quantiles = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var quantile in given.Properties())
            {
                quantiles[quantile.Name] = Real(quantile.Value, $"quantiles.{quantile.Name}") ?? 0;
            }
        }
        var statistics = new ColumnStatistics(
            Count: count,
            Nulls: Whole("nullCount"),
            Distinct: Whole("distinctCount"),
            Min: Bound("min"),
            Max: Bound("max"),
            Mean: Real(metrics["sum"], "sum") is { } sum && count > 0 ? sum / count : null,
            Quantiles: quantiles);
        problem = issue;
        return issue is null ? statistics : null;
    }

    /// <summary>The execution type a job declares in its jobType facet, when it is one Cairn knows; otherwise left to the store.</summary>
    private static string? ExecutionType(string? jobType) =>
        jobType?.ToLowerInvariant() is { } type && MetadataStore.BuiltInExecutionTypes.Contains(type) ? type : null;
}
