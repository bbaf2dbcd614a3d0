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
    private sealed record Pending(string Actor, List<MappedEvent> Events, TaskCompletionSource<IngestResult> Done);

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
        // the lock's holder only writes what they say.
        var events = (await ParseAsync(body, batch)).Select(e => Map(caller.Name, e)).ToList();
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
    // A group is one transaction written set-based, whatever its number of events: every dataset write of every event in
    // one call, every run in one, the extra nodes and every edge in one statement each; then one audit entry per caller
    // in it: a lone event's own, or the list of every event (a batch, or single-event requests committed together).
    private Task<List<IngestResult>> WriteAsync(List<Pending> group) => database.WriteAsync(async (_, transaction) =>
    {
        var events = group.SelectMany(p => p.Events).ToList();
        await store.UpsertDatasetsAsync(transaction, [.. events.SelectMany(e => e.Datasets)], CancellationToken.None);
        await store.UpsertExecutionsAsync(transaction, [.. events.Select(e => e.Execution).OfType<ExecutionWrite>()], CancellationToken.None);
        await LineageGraph.TouchNodesAsync(transaction, [], [.. events.SelectMany(e => e.Nodes)], clock, CancellationToken.None);
        await LineageGraph.LinkExistingAsync(transaction, [.. events.SelectMany(e => e.Edges).Distinct()], clock, CancellationToken.None);
        foreach (var (actor, recorded) in group.GroupBy(p => p.Actor, StringComparer.Ordinal).Select(g => (g.Key, g.SelectMany(p => p.Events).Select(e => e.Recorded).ToList())))
        {
            await (recorded is [var one]
                ? audit.AppendAsync(transaction, actor, "openlineage.event", one.Resource, null, one, CancellationToken.None)
                : audit.AppendAsync(transaction, actor, "openlineage.batch", "lineage/batch", null, new { events = recorded }, CancellationToken.None));
        }
        return group.Select(p => new IngestResult(
            p.Events.Count,
            [.. p.Events.SelectMany(e => e.Runs).Distinct().Order(StringComparer.Ordinal)],
            [.. p.Events.SelectMany(e => e.Datasets.Select(d => DatasetId(d.Request))).Distinct().Order(StringComparer.Ordinal)])).ToList();
    }, CancellationToken.None);

    /// <summary>What an event recorded, as its audit entry says it.</summary>
    private sealed record RecordedEvent(string Resource, string? EventType, DateTimeOffset EventTime, string? Producer, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

    /// <summary>
    /// An event as writes: its datasets (inputs, then outputs, then a dataset event's own), its run, the nodes and edges
    /// it adds beside them (a job event's job, a parent run's job), the runs it names, and its audit record.
    /// </summary>
    private sealed record MappedEvent(
        IReadOnlyList<DatasetWrite> Datasets, ExecutionWrite? Execution, IReadOnlyList<LineageNode> Nodes, IReadOnlyList<LineageEdge> Edges,
        IReadOnlyList<string> Runs, RecordedEvent Recorded);

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

    /// <summary>What an event will write, read from it before the write lock.</summary>
    private static MappedEvent Map(string actor, JObject @event)
    {
        var eventTime = DateTimeOffset.Parse((string)@event["eventTime"]!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var inputs = Datasets(@event["inputs"]);
        var outputs = Datasets(@event["outputs"]);
        var datasets = new List<DatasetWrite>(inputs.Count + outputs.Count);
        var nodes = new List<LineageNode>();
        var edges = new List<LineageEdge>();
        ExecutionWrite? execution = null;
        List<string> runs = [];
        string resource;
        if (@event["run"] is JObject run)
        {
            var runId = (string)run["runId"]!;
            var runNode = NodeIds.Run(runId);
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
            execution = new ExecutionWrite(actor, new PutExecutionRequest(
                RunId: runId,
                Type: ExecutionType((string?)@event.SelectToken("job.facets.jobType.jobType")),
                JobNamespace: (string)@event["job"]!["namespace"]!,
                JobName: (string)@event["job"]!["name"]!,
                State: States.GetValueOrDefault(eventType),
                ParentRunId: (string?)parent?.SelectToken("run.runId"),
                StartedAt: eventType == "START" ? eventTime : null,
                EndedAt: terminal ? eventTime : null), facets);
            datasets.AddRange(inputs.Select(d => new DatasetWrite(actor, d, null)));
            datasets.AddRange(outputs.Select(d => new DatasetWrite(actor, d, runId)));
            // A DAG run parents many task events: the edge from its job is written once per group all the same.
            if (parent?["job"] is JObject parentJob && (string?)parent.SelectToken("run.runId") is { } parentRunId)
            {
                var job = NodeIds.Parse(NodeIds.Job((string)parentJob["namespace"]!, (string)parentJob["name"]!));
                nodes.Add(job);
                edges.Add(new LineageEdge(job.Id, NodeIds.Run(parentRunId), "runs"));
            }
            edges.AddRange(inputs.Select(d => new LineageEdge(DatasetId(d), runNode, "input")));
            edges.AddRange(outputs.Select(d => new LineageEdge(runNode, DatasetId(d), "output")));
            runs.Add(runNode);
            resource = $"executions/{runId}";
        }
        else if (@event["job"] is JObject job)
        {
            // A job event: the job's design-time inputs and outputs, with no run.
            var node = NodeIds.Parse(NodeIds.Job((string)job["namespace"]!, (string)job["name"]!));
            datasets.AddRange(inputs.Concat(outputs).Select(d => new DatasetWrite(actor, d, null)));
            nodes.Add(node);
            edges.AddRange(inputs.Select(d => new LineageEdge(DatasetId(d), node.Id, "input")));
            edges.AddRange(outputs.Select(d => new LineageEdge(node.Id, DatasetId(d), "output")));
            resource = $"lineage/{node.Id}";
        }
        else
        {
            var dataset = ToDataset((JObject)@event["dataset"]!);
            datasets.Add(new DatasetWrite(actor, dataset, null));
            resource = $"datasets/{DatasetId(dataset)}";
        }
        return new MappedEvent(datasets, execution, nodes, edges, runs, new RecordedEvent(
            resource, (string?)@event["eventType"], eventTime, (string?)@event["producer"], [.. inputs.Select(DatasetId)], [.. outputs.Select(DatasetId)]));
    }

    private static List<PutDatasetRequest> Datasets(JToken? datasets) => [.. datasets?.Children<JObject>().Select(ToDataset) ?? []];

    private static string DatasetId(PutDatasetRequest dataset) => NodeIds.Dataset(dataset.Namespace!, dataset.Name!);

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
