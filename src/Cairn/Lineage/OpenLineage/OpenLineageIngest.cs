using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Cairn.Lineage.OpenLineage;

/// <summary>What an ingestion recorded: how many events, and the runs and datasets they named.</summary>
public sealed record IngestResult(int Events, IReadOnlyList<string> Runs, IReadOnlyList<string> Datasets);

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
        var events = (await ParseAsync(body, batch)).Select(Prepare).ToList();
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
            results.Add(new IngestResult(pending.Events.Count, [.. runs], [.. datasets]));
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
    private sealed record RecordedEvent(string Resource, string? EventType, DateTimeOffset EventTime, string? Producer, IEnumerable<string> Inputs, IEnumerable<string> Outputs);

    /// <summary>An event as read before the write lock: credentials masked, its time, job, run and datasets read.</summary>
    private sealed record PreparedEvent(
        JObject Json, DateTimeOffset EventTime, LineageNode? Job, ExecutionWrite? Run, LineageNode? ParentJob, string? ParentRunId,
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

    /// <summary>Parses and validates everything before anything is written, so a bad event costs no half-written batch.</summary>
    private static async Task<List<JObject>> ParseAsync(string body, bool batch)
    {
        JToken document;
        try
        {
            // Dates stay strings: the schema checks their format, and Cairn parses them itself.
            using var reader = new JsonTextReader(new StringReader(body)) { DateParseHandling = DateParseHandling.None, MaxDepth = 64 };
            document = JToken.ReadFrom(reader);
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
        for (var i = 0; i < events.Count; i++)
        {
            var prefix = batch ? $"[{i}]" : "";
            // A batch's events are validated on their own (a copy has no parent), then placed: [3].run.runId.
            violations.AddRange((await OpenLineageSchemas.ValidateAsync(batch ? events[i].DeepClone() : events[i]))
                .Select(v => v with { Path = prefix + (v.Path.Length > 0 && batch ? "." : "") + v.Path }));
        }
        if (violations.Count > 0)
        {
            var first = violations[0];
            throw new SchemaValidationException(
                $"The {(batch ? "batch" : "event")} does not match the OpenLineage schema (2-0-2): {(first.Path.Length == 0 ? "the event" : first.Path)} {first.Message}"
                + (violations.Count > 1 ? $", and {violations.Count - 1} more (see errors)." : "."),
                violations);
        }
        return events.Cast<JObject>().ToList();
    }

    /// <summary>
    /// Reads an event before the write lock. Secrets in URIs are masked first, so none reaches the store or the audit log;
    /// the actor is filled in by <see cref="Record"/>.
    /// </summary>
    private static PreparedEvent Prepare(JObject @event)
    {
        DatasetNames.MaskCredentials(@event);
        var eventTime = DateTimeOffset.Parse((string)@event["eventTime"]!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var job = @event["job"] is JObject j ? NodeIds.JobNode((string)j["namespace"]!, (string)j["name"]!) : null;
        var inputs = Prepared(@event["inputs"]);
        var outputs = @event["dataset"] is JObject dataset ? Prepared(new JArray(dataset)) : Prepared(@event["outputs"]);
        if (@event["run"] is not JObject run)
        {
            return new PreparedEvent(@event, eventTime, job, null, null, null, inputs, outputs);
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
        return new PreparedEvent(@event, eventTime, job, execution, parentJob, (string?)parent?.SelectToken("run.runId"), inputs, outputs);
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
        return new RecordedEvent(resource, (string?)@event.Json["eventType"], @event.EventTime, (string?)@event.Json["producer"], inputs.Select(d => d.Node.Id), outputs.Select(d => d.Node.Id));
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
        var statistics = (dataset.SelectToken("inputFacets.dataQualityMetrics.columnMetrics") as JObject)?.Properties()
            .ToDictionary(p => p.Name, p => ToStatistics((JObject)p.Value));
        return new PutDatasetRequest(
            Namespace: (string)dataset["namespace"]!,
            Name: (string)dataset["name"]!,
            Version: (string?)facets?.SelectToken("version.datasetVersion"),
            Location: (string?)facets?.SelectToken("dataSource.uri"),
            Description: (string?)facets?.SelectToken("documentation.description"),
            Schema: fields,
            Statistics: statistics);
    }

    private static ColumnStatistics ToStatistics(JObject metrics) => new(
        Count: (long?)(double?)metrics["count"],
        Nulls: (long?)metrics["nullCount"],
        Distinct: (long?)metrics["distinctCount"],
        Min: Number(metrics["min"]),
        Max: Number(metrics["max"]),
        Mean: (double?)metrics["sum"] is { } sum && (double?)metrics["count"] is > 0 and var count ? sum / count : null,
        Quantiles: (metrics["quantiles"] as JObject)?.Properties().ToDictionary(q => q.Name, q => (double)q.Value));

    private static System.Text.Json.JsonElement? Number(JToken? token) =>
        token is null or { Type: JTokenType.Null } ? null : System.Text.Json.JsonDocument.Parse(token.ToString(Formatting.None)).RootElement.Clone();

    /// <summary>The execution type a job declares in its jobType facet, when it is one Cairn knows; otherwise left to the store.</summary>
    private static string? ExecutionType(string? jobType) =>
        jobType?.ToLowerInvariant() is { } type && MetadataStore.BuiltInExecutionTypes.Contains(type) ? type : null;
}
