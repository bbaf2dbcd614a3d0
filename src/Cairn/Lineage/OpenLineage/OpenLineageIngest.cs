using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;

namespace Cairn.Lineage.OpenLineage;

/// <summary>
/// What an ingestion recorded: how many events, and the runs and datasets they named; <paramref name="Notes"/> says what
/// Cairn kept but could not interpret (column statistics it cannot read), by path (<c>[3].inputs[0].inputFacets…</c> in a batch).
/// </summary>
public sealed record IngestResult(int Events, IReadOnlyList<string> Runs, IReadOnlyList<string> Datasets, IReadOnlyList<ErrorDetail>? Notes = null);

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
    public async Task<IngestResult> IngestAsync(Caller caller, ReadOnlyMemory<byte> body, bool batch, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        // Parsing, validating and reading the events happen here, in the caller's request and before the write lock:
        // the lock's holder only resolves names and writes.
        var events = Parse(body, batch);
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
        var names = await DatasetNames.LoadAsync(transaction, database.Dialect, group.SelectMany(p => p.Events.SelectMany(e => e.Names())), CancellationToken.None);
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
        // Datasets and runs are merged first, so that the group's nodes (changed datasets, runs, jobs, parents) are written
        // with two statements and its edges with one, rather than a few statements per kind of write.
        var graph = new GraphWrites();
        var datasetRows = await store.MergeDatasetsAsync(transaction, writes.Datasets, graph, CancellationToken.None);
        var executionRows = await store.MergeExecutionsAsync(transaction, writes.Executions, graph, CancellationToken.None);
        graph.Others.AddRange(writes.Nodes);
        graph.Edges.UnionWith(writes.Edges);
        await graph.WriteNodesAsync(transaction, clock, CancellationToken.None);
        await store.WriteDatasetsAsync(transaction, datasetRows, CancellationToken.None);
        await store.WriteExecutionsAsync(transaction, executionRows, CancellationToken.None);
        await graph.WriteEdgesAsync(transaction, clock, CancellationToken.None);
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

    /// <summary>
    /// An event as read before the write lock, with credentials in its strings masked: its time, type and producer, job,
    /// run and datasets, and what Cairn will not interpret of it. Nothing refers to the parsed document any more, whose
    /// pooled memory goes back as soon as the request's events are read.
    /// </summary>
    private sealed record PreparedEvent(
        DateTimeOffset EventTime, string? EventType, string? Producer, IReadOnlyList<ErrorDetail> Notes, LineageNode? Job, ExecutionWrite? Run,
        LineageNode? ParentJob, string? ParentRunId, IReadOnlyList<PreparedDataset> Inputs, IReadOnlyList<PreparedDataset> Outputs)
    {
        /// <summary>Every dataset name the event holds: its datasets, their symlinks and their column-lineage inputs.</summary>
        public IEnumerable<(string Namespace, string Name)> Names() =>
            Inputs.Concat(Outputs).SelectMany(d => d.Symlinks.Select(l => (l.Namespace, l.Name)).Concat(d.ColumnLineage.Select(c => (c.Namespace, c.Name))).Prepend((d.Namespace, d.Name)));
    }

    /// <summary>
    /// A dataset of an event under its own name (symlinks are resolved under the lock): as its facets describe it, its
    /// facets and its input or output facets as compact JSON, and its columnLineage facet's inputs.
    /// </summary>
    private sealed record PreparedDataset(
        string Namespace, string Name, IReadOnlyList<DatasetName> Symlinks, PutDatasetRequest Request, string? Facets, string? IoFacets,
        IReadOnlyList<ColumnInput> ColumnLineage);

    /// <summary>An input field of an output's columnLineage facet (output field <c>""</c> for its dataset-level entries), its dataset not yet resolved.</summary>
    private sealed record ColumnInput(string OutputField, string Namespace, string Name, string Field, string? Description, string? Type, string? Transformations);

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
    /// Parses and validates everything before anything is written, so a bad event costs no half-written batch, then
    /// reads what each event records. Beyond the schema (where <c>format</c> is an annotation), Cairn asserts the two
    /// values it keys on: <c>run.runId</c> is a UUID and <c>eventTime</c> a date-time it can place (<see cref="OpenLineageTime"/>).
    /// The body is parsed into a <see cref="JsonDocument"/> (pooled memory, one allocation-light pass) that is released
    /// before the events queue for the write lock.
    /// </summary>
    private static List<PreparedEvent> Parse(ReadOnlyMemory<byte> body, bool batch)
    {
        JsonDocument document;
        try
        {
            // Dates stay strings: Cairn reads them itself. Numbers are kept as sent (beyond Int64, beyond double):
            // nothing here converts them, so none fails the request.
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new InvalidParameterException($"The body is not valid JSON: {ex.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (batch && root.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidParameterException("A batch is a JSON array of OpenLineage events.");
            }
            var count = batch ? root.GetArrayLength() : 1;
            if (count is 0 or > MaxBatch)
            {
                throw new InvalidParameterException($"A batch holds 1 to {MaxBatch} events; this one holds {count}.");
            }
            var events = new List<(JsonElement Json, DateTimeOffset EventTime, List<ErrorDetail> Notes)>(count);
            var violations = new List<ErrorDetail>();
            var i = 0;
            foreach (var json in batch ? root.EnumerateArray() : Enumerable.Repeat(root, 1))
            {
                var prefix = batch ? $"[{i}]" : "";
                int? index = batch ? i : null;
                i++;
                var validation = OpenLineageSchemas.Validate(json, prefix);
                var failed = validation.Violations.Select(v => v with { Index = index }).ToList();
                var eventTime = default(DateTimeOffset);
                if (json.ValueKind == JsonValueKind.Object)
                {
                    if (Get(json, "eventTime") is { ValueKind: JsonValueKind.String } time && !OpenLineageTime.TryParse(time.GetString()!, out eventTime, out var timeError))
                    {
                        failed.Add(new ErrorDetail(Join(prefix, "eventTime"), timeError!, Index: index));
                    }
                    if (Get(Get(json, "run"), "runId") is { ValueKind: JsonValueKind.String } runId && !Guid.TryParseExact(runId.GetString(), "D", out _))
                    {
                        failed.Add(new ErrorDetail(Join(prefix, "run.runId"), "must be a UUID", Index: index));
                    }
                }
                if (failed.Count > 0)
                {
                    violations.AddRange(failed);
                    continue;
                }
                var notes = validation.Notes.Select(n => n with { Message = $"{n.Message}; the facet is kept, its statistics are not read", Index = index }).ToList();
                events.Add((json, eventTime, notes));
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
            return events.Select((e, n) => Prepare(e.Json, e.EventTime, e.Notes, batch ? $"[{n}]" : "", batch ? n : null)).ToList();
        }
    }

    private static string Join(string prefix, string path) => prefix.Length == 0 ? path : $"{prefix}.{path}";

    /// <summary>
    /// Reads an event before the write lock. Every string taken from it has its credentials masked (URIs with
    /// user:password, password parameters), so none reaches the store or the audit log; the actor is filled in by <see cref="Record"/>.
    /// </summary>
    private static PreparedEvent Prepare(JsonElement @event, DateTimeOffset eventTime, List<ErrorDetail> notes, string prefix, int? index)
    {
        var jobJson = Get(@event, "job");
        var job = jobJson.ValueKind == JsonValueKind.Object ? NodeIds.JobNode(Text(Get(jobJson, "namespace"))!, Text(Get(jobJson, "name"))!) : null;
        var inputs = new List<PreparedDataset>();
        var d = 0;
        foreach (var input in Items(Get(@event, "inputs")))
        {
            // A facet that broke its schema was noted by validation and is not read for notes again.
            var at = Join(prefix, $"inputs[{d++}].inputFacets.dataQualityMetrics");
            var noted = notes.Any(n => n.Path.StartsWith(at, StringComparison.Ordinal));
            var before = notes.Count;
            inputs.Add(Dataset(input, "inputFacets", noted ? null : notes, at, columnLineage: false));
            for (var n = before; n < notes.Count; n++)
            {
                notes[n] = notes[n] with { Index = index };
            }
        }
        var outputs = Get(@event, "dataset") is { ValueKind: JsonValueKind.Object } dataset
            ? new List<PreparedDataset> { Dataset(dataset, "outputFacets", null, "", columnLineage: true) }
            : Items(Get(@event, "outputs")).Select(o => Dataset(o, "outputFacets", null, "", columnLineage: true)).ToList();
        var eventType = Text(Get(@event, "eventType"));
        var producer = Text(Get(@event, "producer"));
        var run = Get(@event, "run");
        if (run.ValueKind != JsonValueKind.Object)
        {
            return new PreparedEvent(eventTime, eventType, producer, notes, job, null, null, null, inputs, outputs);
        }
        var type = eventType ?? "OTHER";
        var terminal = type is "COMPLETE" or "FAIL" or "ABORT";
        var parent = Get(Get(run, "facets"), "parent");
        // The run's and job's facets by place, as one JSON object of their compact texts.
        var facets = new StringBuilder("{");
        foreach (var place in new[] { "run", "job" })
        {
            if (Get(Get(@event, place), "facets") is { ValueKind: JsonValueKind.Object } given && HasMembers(given))
            {
                facets.Append(facets.Length > 1 ? ",\"" : "\"").Append(place).Append("\":").Append(Compact(given));
            }
        }
        var parentRunId = Text(Get(Get(parent, "run"), "runId"));
        var execution = new ExecutionWrite("", new PutExecutionRequest(
            RunId: Text(Get(run, "runId"))!,
            Type: ExecutionType(Text(Get(Get(Get(jobJson, "facets"), "jobType"), "jobType"))),
            JobNamespace: job!.Namespace,
            JobName: job.Name,
            State: States.GetValueOrDefault(type),
            ParentRunId: parentRunId,
            StartedAt: type == "START" ? eventTime : null,
            EndedAt: terminal ? eventTime : null), facets.Append('}').ToString());
        var parentJob = Get(parent, "job") is { ValueKind: JsonValueKind.Object } pj ? NodeIds.JobNode(Text(Get(pj, "namespace"))!, Text(Get(pj, "name"))!) : null;
        return new PreparedEvent(eventTime, eventType, producer, notes, job, execution, parentJob, parentRunId, inputs, outputs);
    }

    /// <summary>
    /// A dataset of an event: its name, symlinks, what its facets say, its facets and input or output facets
    /// (<paramref name="ioFacets"/>) kept whole, and its columnLineage facet's inputs when it is an output.
    /// </summary>
    private static PreparedDataset Dataset(JsonElement dataset, string ioFacets, List<ErrorDetail>? notes, string at, bool columnLineage)
    {
        var facets = Get(dataset, "facets");
        var symlinks = new List<DatasetName>();
        foreach (var identifier in Items(Get(Get(facets, "symlinks"), "identifiers")))
        {
            if (Get(identifier, "namespace") is { ValueKind: JsonValueKind.String } ns && Get(identifier, "name") is { ValueKind: JsonValueKind.String } name)
            {
                symlinks.Add(new DatasetName(Mask(ns.GetString()!), Mask(name.GetString()!), Text(Get(identifier, "type"))));
            }
        }
        var io = Get(dataset, ioFacets);
        return new PreparedDataset(
            Text(Get(dataset, "namespace"))!,
            Text(Get(dataset, "name"))!,
            symlinks,
            ToDataset(dataset, Statistics(dataset, at, notes)),
            facets.ValueKind == JsonValueKind.Object && HasMembers(facets) ? Compact(facets) : null,
            io.ValueKind == JsonValueKind.Object && HasMembers(io) ? Compact(io) : null,
            columnLineage ? ColumnInputs(Get(facets, "columnLineage")) : []);
    }

    /// <summary>
    /// Adds what an event records to the group's writes, each of its datasets under the node its name resolves to (its
    /// own, or the dataset a symlink made it another name of), with every dataset facet kept whole.
    /// </summary>
    private static RecordedEvent Record(string actor, PreparedEvent @event, DatasetNames names, GroupWrites writes, SortedSet<string> runs, SortedSet<string> datasets)
    {
        var runId = @event.Run?.Request.RunId;
        List<(LineageNode Node, PreparedDataset Dataset)> Resolve(IReadOnlyList<PreparedDataset> prepared, string? writtenBy)
        {
            var resolved = new List<(LineageNode, PreparedDataset)>(prepared.Count);
            foreach (var dataset in prepared)
            {
                var node = names.Resolve(dataset.Namespace, dataset.Name, dataset.Symlinks, writes.Aliases);
                writes.Datasets.Add(new DatasetWrite(actor, dataset.Request with { Namespace = node.Namespace, Name = node.Name }, writtenBy, dataset.Facets));
                resolved.Add((node, dataset));
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
            writes.DatasetFacets.AddRange(FacetsOf(node.Id, inputs, "input"));
            writes.DatasetFacets.AddRange(FacetsOf(node.Id, outputs, "output"));
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
        return new RecordedEvent(resource, @event.EventType, @event.EventTime, @event.Producer, inputs.Select(d => d.Node.Id), outputs.Select(d => d.Node.Id),
            @event.Notes.Count > 0 ? @event.Notes : null);
    }

    /// <summary>The input or output facets of a run's datasets, by the dataset's node.</summary>
    private static IEnumerable<RunDatasetFacets> FacetsOf(string run, List<(LineageNode Node, PreparedDataset Dataset)> datasets, string direction) =>
        datasets.Where(d => d.Dataset.IoFacets is not null).Select(d => new RunDatasetFacets(run, d.Node.Id, direction, d.Dataset.IoFacets!));

    /// <summary>
    /// The columnLineage facet's inputs: its <c>fields</c> (1-0-x inputFields with the output's transformationDescription
    /// and transformationType, or 1-2-0 inputFields each with its transformations) and its dataset-level <c>dataset</c>
    /// entries (output field <c>""</c>).
    /// </summary>
    private static List<ColumnInput> ColumnInputs(JsonElement facet)
    {
        var inputs = new List<ColumnInput>();
        if (facet.ValueKind != JsonValueKind.Object)
        {
            return inputs;
        }
        void Add(string field, JsonElement inputFields, string? description, string? type)
        {
            foreach (var input in Items(inputFields))
            {
                if (Get(input, "namespace") is not { ValueKind: JsonValueKind.String } ns || Get(input, "name") is not { ValueKind: JsonValueKind.String } name
                    || Get(input, "field") is not { ValueKind: JsonValueKind.String } inputField)
                {
                    continue;
                }
                var transformations = Get(input, "transformations");
                var first = transformations.ValueKind == JsonValueKind.Array ? Items(transformations).FirstOrDefault() : default;
                inputs.Add(new ColumnInput(
                    field, Mask(ns.GetString()!), Mask(name.GetString()!), Mask(inputField.GetString()!),
                    description ?? Text(Get(first, "description")), type ?? Text(Get(first, "type")),
                    transformations.ValueKind == JsonValueKind.Array ? Compact(transformations) : null));
            }
        }
        if (Get(facet, "fields") is { ValueKind: JsonValueKind.Object } fields)
        {
            foreach (var field in fields.EnumerateObject())
            {
                if (field.Value.ValueKind == JsonValueKind.Object)
                {
                    Add(field.Name, Get(field.Value, "inputFields"), Text(Get(field.Value, "transformationDescription")), Text(Get(field.Value, "transformationType")));
                }
            }
        }
        Add("", Get(facet, "dataset"), null, null);
        return inputs;
    }

    /// <summary>The column lineage of an event's outputs as rows, input datasets resolved through symlinks as outputs are.</summary>
    private static List<ColumnLineageEdge> ColumnLineageOf(List<(LineageNode Node, PreparedDataset Dataset)> outputs, DatasetNames names, string? run, string? job)
    {
        var edges = new List<ColumnLineageEdge>();
        foreach (var (output, dataset) in outputs)
        {
            foreach (var input in dataset.ColumnLineage)
            {
                var from = names.Known(input.Namespace, input.Name);
                edges.Add(new ColumnLineageEdge(
                    output.Id, output.Namespace!, output.Name, input.OutputField, from.Id, from.Namespace!, from.Name, input.Field,
                    input.Description, input.Type, input.Transformations, run, job));
            }
        }
        // An edge named twice in one event is written once, as last named.
        return edges.GroupBy(e => (e.OutputDataset, e.OutputField, e.InputDataset, e.InputField)).Select(g => g.Last()).ToList();
    }

    /// <summary>A dataset as the standard facets describe it; what no facet says is left as it was.</summary>
    private static PutDatasetRequest ToDataset(JsonElement dataset, Dictionary<string, ColumnStatistics>? statistics)
    {
        var facets = Get(dataset, "facets");
        var schema = Get(Get(facets, "schema"), "fields");
        var fields = schema.ValueKind == JsonValueKind.Array
            ? Items(schema).Where(f => f.ValueKind == JsonValueKind.Object)
                .Select(f => new DatasetField(Text(Get(f, "name"))!, Text(Get(f, "type")), Text(Get(f, "description"))))
                .DistinctBy(f => f.Name, StringComparer.Ordinal)
                .ToList()
            : null;
        return new PutDatasetRequest(
            Namespace: Text(Get(dataset, "namespace"))!,
            Name: Text(Get(dataset, "name"))!,
            Version: Text(Get(Get(facets, "version"), "datasetVersion")),
            Location: Text(Get(Get(facets, "dataSource"), "uri")),
            Description: Text(Get(Get(facets, "documentation"), "description")),
            Schema: fields,
            Statistics: statistics);
    }

    /// <summary>
    /// The column statistics a dataQualityMetrics input facet gives, as far as Cairn can read them: a column whose values
    /// it cannot hold (a count beyond Int64, a sum beyond double) or that are not coherent (more nulls than values, a
    /// quantile key that is not a probability, such as "25") is left out, and <paramref name="notes"/> says why. The
    /// facet itself is kept as sent.
    /// </summary>
    private static Dictionary<string, ColumnStatistics>? Statistics(JsonElement dataset, string at, List<ErrorDetail>? notes)
    {
        var facet = Get(Get(dataset, "inputFacets"), "dataQualityMetrics");
        if (facet.ValueKind != JsonValueKind.Object || Get(facet, "columnMetrics") is not { ValueKind: JsonValueKind.Object } columns
            || Get(facet, "_deleted").ValueKind == JsonValueKind.True)
        {
            return null;
        }
        var statistics = new Dictionary<string, ColumnStatistics>(StringComparer.Ordinal);
        foreach (var column in columns.EnumerateObject())
        {
            string? problem;
            if (column.Value.ValueKind != JsonValueKind.Object)
            {
                problem = "is not an object";
            }
            else if (ToStatistics(column.Value, out problem) is { } read && (problem = MetadataStore.StatisticsProblem(read, column.Name)) is null)
            {
                statistics[column.Name] = read;
                continue;
            }
            notes?.Add(new ErrorDetail($"{at}.columnMetrics.{column.Name}", $"{problem!.TrimEnd('.')}; the column's statistics are kept in the facet, not read"));
        }
        return statistics;
    }

    private static ColumnStatistics? ToStatistics(JsonElement metrics, out string? problem)
    {
        string? issue = null;
        long? Whole(string name)
        {
            var value = Get(metrics, name);
            if (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            {
                return null;
            }
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var whole))
            {
                return whole;
            }
            if (value.ValueKind == JsonValueKind.Number && SchemaNode.NumberOf(value) is var d && double.IsFinite(d) && Math.Floor(d) == d && d is >= long.MinValue and < long.MaxValue)
            {
                return (long)d;
            }
            issue ??= $"'{name}' ({value.GetRawText()}) is not a whole number Cairn can hold";
            return null;
        }
        double? Real(JsonElement value, string name)
        {
            if (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            {
                return null;
            }
            var number = value.ValueKind == JsonValueKind.Number ? SchemaNode.NumberOf(value) : double.NaN;
            if (!double.IsFinite(number))
            {
                issue ??= $"'{name}' ({value.GetRawText()}) is not a finite number";
                return null;
            }
            return number;
        }
        JsonElement? Bound(string name)
        {
            var value = Get(metrics, name);
            return value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null || Real(value, name) is null ? null : value.Clone();
        }
        var count = Whole("count");
        Dictionary<string, double>? quantiles = null;
        if (Get(metrics, "quantiles") is { ValueKind: JsonValueKind.Object } given)
        {
            quantiles = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var quantile in given.EnumerateObject())
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
            Mean: Real(Get(metrics, "sum"), "sum") is { } sum && count > 0 ? sum / count : null,
            Quantiles: quantiles);
        problem = issue;
        return issue is null ? statistics : null;
    }

    /// <summary>The execution type a job declares in its jobType facet, when it is one Cairn knows; otherwise left to the store.</summary>
    private static string? ExecutionType(string? jobType) =>
        jobType?.ToLowerInvariant() is { } type && MetadataStore.BuiltInExecutionTypes.Contains(type) ? type : null;

    /// <summary>A member of an object, or nothing (<see cref="JsonValueKind.Undefined"/>) when absent or not an object.</summary>
    private static JsonElement Get(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) ? value : default;

    /// <summary>An array's items, or none when it is not an array.</summary>
    private static JsonElement.ArrayEnumerator Items(JsonElement json) =>
        (json.ValueKind == JsonValueKind.Array ? json : NoItems).EnumerateArray();

    private static readonly JsonElement NoItems = JsonDocument.Parse("[]").RootElement;

    private static bool HasMembers(JsonElement json)
    {
        using var members = json.EnumerateObject();
        return members.MoveNext();
    }

    /// <summary>A scalar as text with its credentials masked (a string as it reads, another scalar as written); null for anything else.</summary>
    private static string? Text(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.String => Mask(json.GetString()!),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => json.GetRawText(),
        _ => null,
    };

    private static string Mask(string text) => Secrets.MaskUri(text);

    private static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _compactBuffer;

    /// <summary>
    /// A part of an event as compact JSON, every string in it with its credentials masked, numbers as sent. A part whose
    /// text holds no character a credential needs (<c>@</c>, <c>=</c>) and no escape is written as it is, without a look at its strings.
    /// </summary>
    private static string Compact(JsonElement json)
    {
        var buffer = _compactBuffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, CompactJson))
        {
            if (JsonMarshal.GetRawUtf8Value(json).IndexOfAny("@=\\"u8) < 0)
            {
                json.WriteTo(writer);
            }
            else
            {
                WriteMasked(writer, json);
            }
        }
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity > 1024 * 1024)
        {
            // A huge facet does not keep its buffer alive on the thread.
            _compactBuffer = null;
        }
        return text;
    }

    private static void WriteMasked(Utf8JsonWriter writer, JsonElement json)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var member in json.EnumerateObject())
                {
                    writer.WritePropertyName(member.Name);
                    WriteMasked(writer, member.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in json.EnumerateArray())
                {
                    WriteMasked(writer, item);
                }
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(Mask(json.GetString()!));
                break;
            default:
                json.WriteTo(writer);
                break;
        }
    }
}
