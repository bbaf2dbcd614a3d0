using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Lineage.Marquez;

/// <summary>Marquez's lineage answer: job and dataset nodes sorted by id; <see cref="Truncated"/> when the node cap cut it.</summary>
public sealed record MarquezLineage(IReadOnlyList<MarquezNode> Graph, bool Truncated);

/// <summary>A node: <see cref="Type"/> is <c>JOB</c> (data <see cref="MarquezJobData"/>) or <c>DATASET</c> (<see cref="MarquezDatasetData"/>).</summary>
public sealed record MarquezNode(string Id, string Type, object Data, IReadOnlyList<MarquezEdge> InEdges, IReadOnlyList<MarquezEdge> OutEdges);

public sealed record MarquezEdge(string Origin, string Destination);

/// <summary>A job or dataset id as Marquez writes it inside <c>data</c>.</summary>
public sealed record MarquezId(string Namespace, string Name);

/// <summary>Marquez's <c>JobData</c>: <see cref="Inputs"/> and <see cref="Outputs"/> are those of the job's current version.</summary>
public sealed record MarquezJobData(
    MarquezId Id, string Type, string Name, string SimpleName, string? ParentJobName, string? ParentJobUuid, string? CurrentRunUuid,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string Namespace, IReadOnlyList<MarquezId> Inputs, IReadOnlyList<MarquezId> Outputs,
    string? Location, string? Description, MarquezRun? LatestRun);

/// <summary>Marquez's <c>DatasetData</c>.</summary>
public sealed record MarquezDatasetData(
    MarquezId Id, string Type, string Name, string PhysicalName, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string Namespace,
    string SourceName, IReadOnlyList<MarquezField> Fields, IReadOnlyList<string> Tags, DateTimeOffset? LastModifiedAt, string? Description,
    string? LastLifecycleState, JsonElement Facets);

public sealed record MarquezField(string Name, string? Type, IReadOnlyList<string> Tags, string? Description);

/// <summary>Marquez's <c>Run</c>; <see cref="State"/> in Marquez's words (<c>COMPLETED</c>, <c>FAILED</c>, <c>ABORTED</c>, <c>RUNNING</c>, <c>NEW</c>).</summary>
public sealed record MarquezRun(
    string Id, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? NominalStartTime, DateTimeOffset? NominalEndTime, string State,
    DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, long? DurationMs, IReadOnlyDictionary<string, string> Args, object? JobVersion,
    IReadOnlyList<MarquezDatasetVersion> InputDatasetVersions, IReadOnlyList<MarquezDatasetVersion> OutputDatasetVersions,
    IReadOnlyDictionary<string, string> Context, JsonElement Facets);

public sealed record MarquezDatasetVersion(MarquezDatasetVersionId DatasetVersionId, IReadOnlyDictionary<string, object> Facets);

public sealed record MarquezDatasetVersionId(string Namespace, string Name, string? Version);

/// <summary>
/// Marquez's <c>GET /api/v1/lineage</c> read from Cairn's own tables: runs are folded into their job, and jobs are linked
/// through the datasets their current version reads or writes, as Marquez's <c>LineageService</c> and <c>LineageDao</c> do.
/// </summary>
/// <remarks>
/// A job's current version is what its last finished run (COMPLETE, FAILED or ABORTED, by end time) read and wrote; a
/// streaming job's (job facet <c>jobType.processingType = STREAMING</c>) is its latest run's, finished or not; a job with
/// no finished run has the inputs and outputs of its job events. As in Marquez, a later unfinished run that reads nothing
/// (writes nothing) clears the current inputs (outputs) until it finishes. The walk starts at the job (for a dataset, the
/// job that last wrote it, else the one that last read it) and adds, level by level up to <c>depth</c>, every job whose
/// current version shares a dataset with a job of the previous level, in either direction; the answer holds those jobs
/// and all their datasets. A dataset that the start job's lineage does not reach (no longer written by the current
/// version of its job) is answered alone. Every step is one query per level or per collection.
/// </remarks>
public sealed class MarquezLineageView(CairnDatabase database)
{
    /// <summary>Marquez's default depth (<c>OpenLineageResource.DEFAULT_DEPTH</c>).</summary>
    public const int DefaultDepth = 20;

    public async Task<MarquezLineage> LineageAsync(Caller caller, string? nodeId, int? depth, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var start = NodeIds.Parse(nodeId);
        if (start.Kind is not ("job" or "dataset"))
        {
            throw new InvalidParameterException($"'nodeId' must name a job or a dataset (job:<namespace>:<name>, dataset:<namespace>:<name>); got '{start.Id}'.");
        }
        var levels = depth ?? DefaultDepth;
        if (levels < 0)
        {
            throw new InvalidParameterException($"'depth' must be 0 or more; got {levels}.");
        }
        return await database.ReadAsync(async connection =>
        {
            if (!await LineageGraph.NodeExistsAsync(connection, null, start.Id, cancellationToken))
            {
                throw new NotFoundException($"Lineage node '{start.Id}' does not exist.");
            }
            var walk = new Walk(this, connection, cancellationToken);
            var startJob = start.Kind == "job" ? start.Id : await walk.JobOfDatasetAsync(start.Id);
            if (startJob is null)
            {
                return new MarquezLineage([await walk.OrphanAsync(start.Id)], false);
            }
            var truncated = await walk.RunAsync(startJob, levels);
            if (start.Kind == "dataset" && !walk.Datasets.Contains(start.Id))
            {
                return new MarquezLineage([await walk.OrphanAsync(start.Id)], false);
            }
            return new MarquezLineage(await walk.NodesAsync(), truncated);
        }, cancellationToken);
    }

    private (string Sql, object Value) IdSet(IEnumerable<string> ids) => LineageGraph.IdSet(database.Dialect, ids);

    private ISqlDialect Dialect => database.Dialect;

    /// <summary>
    /// The jobs that any run (or job event) of theirs linked to one of the datasets <paramref name="set"/> names, in either
    /// direction: one step of Marquez's walk.
    /// </summary>
    internal static string CandidatesSql(ISqlDialect dialect, string set) =>
        dialect is SqliteDialect
            // SQLite follows two edges by node key (lineage_links, decision 0037), joining the runs' edges to their jobs'
            // without naming the run in between: through the view, 40 % more time for ten datasets of 386,000 edges.
            ? $"""
              SELECT j.id FROM lineage_nodes d JOIN lineage_links e ON e.source = d.key AND e.kind = 'input'
              JOIN lineage_links r ON r.target = e.target AND r.kind = 'runs' JOIN lineage_nodes j ON j.key = r.source
              WHERE d.id IN {set}
              UNION
              SELECT j.id FROM lineage_nodes d JOIN lineage_links e ON e.target = d.key AND e.kind = 'output'
              JOIN lineage_links r ON r.target = e.source AND r.kind = 'runs' JOIN lineage_nodes j ON j.key = r.source
              WHERE d.id IN {set}
              UNION
              SELECT j.id FROM lineage_nodes d JOIN lineage_links e ON e.source = d.key AND e.kind = 'input' JOIN lineage_nodes j ON j.key = e.target
              WHERE d.id IN {set} AND j.id LIKE 'job:%'
              UNION
              SELECT j.id FROM lineage_nodes d JOIN lineage_links e ON e.target = d.key AND e.kind = 'output' JOIN lineage_nodes j ON j.key = e.source
              WHERE d.id IN {set} AND j.id LIKE 'job:%'
              """
            : $"""
              SELECT r.source FROM lineage_edges e JOIN lineage_edges r ON r.target = e.target AND r.kind = 'runs'
              WHERE e.source IN {set} AND e.kind = 'input'
              UNION
              SELECT r.source FROM lineage_edges e JOIN lineage_edges r ON r.target = e.source AND r.kind = 'runs'
              WHERE e.target IN {set} AND e.kind = 'output'
              UNION
              SELECT e.target FROM lineage_edges e WHERE e.source IN {set} AND e.kind = 'input' AND e.target LIKE 'job:%'
              UNION
              SELECT e.source FROM lineage_edges e WHERE e.target IN {set} AND e.kind = 'output' AND e.source LIKE 'job:%'
              """;

    /// <summary>A job's current version: the runs that define it and the datasets it reads and writes.</summary>
    private sealed class JobVersion
    {
        public RunRow? Latest { get; set; }

        public RunRow? Version { get; set; }

        public bool Streaming { get; set; }

        public SortedSet<string> Inputs { get; } = new(StringComparer.Ordinal);

        public SortedSet<string> Outputs { get; } = new(StringComparer.Ordinal);

        public IEnumerable<string> All => Inputs.Concat(Outputs);
    }

    private sealed class RunRow
    {
        public string Job { get; set; } = "";

        public string Id { get; set; } = "";

        public string RunId { get; set; } = "";

        public string State { get; set; } = "";

        public string Facets { get; set; } = "{}";

        public long? StartedAt { get; set; }

        public long? EndedAt { get; set; }

        public long CreatedAt { get; set; }

        public long UpdatedAt { get; set; }

        public long Latest { get; set; }

        public long DoneRank { get; set; }
    }

    private sealed class DatasetRow
    {
        public string Id { get; set; } = "";

        public string? Namespace { get; set; }

        public string Name { get; set; } = "";

        public long CreatedAt { get; set; }

        public long UpdatedAt { get; set; }

        public string? Description { get; set; }

        public string? Schema { get; set; }

        public string? Version { get; set; }

        public string? Facets { get; set; }

        public long? LastModifiedAt { get; set; }
    }

    private sealed class Walk(MarquezLineageView view, DbConnection connection, CancellationToken cancellationToken)
    {
        private static readonly JsonElement Empty = JsonSerializer.SerializeToElement(new { });
        private readonly Dictionary<string, JobVersion> _versions = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (SortedSet<string> Inputs, SortedSet<string> Outputs)> _runIo = new(StringComparer.Ordinal);

        /// <summary>The jobs of the answer, in the order found.</summary>
        public List<string> Jobs { get; } = [];

        /// <summary>The datasets of the answer: every input and output of its jobs' current versions.</summary>
        public SortedSet<string> Datasets { get; } = new(StringComparer.Ordinal);

        /// <summary>
        /// The job Marquez starts from for a dataset: the latest that wrote it, else the latest that read it, by the time
        /// of the run's last state (Marquez orders by its job versions' creation, which is that time).
        /// </summary>
        public async Task<string?> JobOfDatasetAsync(string dataset) =>
            await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
                """
                SELECT job FROM (
                    SELECT r.source AS job, 1 AS io, COALESCE(x.ended_at, x.started_at, x.updated_at) AS at FROM lineage_edges e
                    JOIN executions x ON x.id = e.source JOIN lineage_edges r ON r.target = x.id AND r.kind = 'runs'
                    WHERE e.target = @dataset AND e.kind = 'output'
                    UNION ALL
                    SELECT r.source, 0, COALESCE(x.ended_at, x.started_at, x.updated_at) FROM lineage_edges e
                    JOIN executions x ON x.id = e.target JOIN lineage_edges r ON r.target = x.id AND r.kind = 'runs'
                    WHERE e.source = @dataset AND e.kind = 'input'
                    UNION ALL
                    SELECT e.source, 1, e.created_at FROM lineage_edges e WHERE e.target = @dataset AND e.kind = 'output' AND e.source LIKE 'job:%'
                    UNION ALL
                    SELECT e.target, 0, e.created_at FROM lineage_edges e WHERE e.source = @dataset AND e.kind = 'input' AND e.target LIKE 'job:%'
                ) c ORDER BY io DESC, at DESC, job DESC LIMIT 1
                """, new { dataset }, cancellationToken: cancellationToken));

        /// <summary>
        /// Marquez's walk from <paramref name="start"/>: level by level, the jobs whose current version shares a dataset
        /// with the previous level's. Returns whether the node cap stopped it.
        /// </summary>
        public async Task<bool> RunAsync(string start, int depth)
        {
            await LoadVersionsAsync([start]);
            var found = new HashSet<string>(StringComparer.Ordinal) { start };
            Jobs.Add(start);
            Datasets.UnionWith(_versions[start].All);
            var frontier = new List<string> { start };
            for (var level = 1; level <= depth && frontier.Count > 0; level++)
            {
                var shared = new HashSet<string>(frontier.SelectMany(j => _versions[j].All), StringComparer.Ordinal);
                if (shared.Count == 0)
                {
                    break;
                }
                var candidates = (await CandidatesAsync(shared)).Where(j => !found.Contains(j)).ToList();
                await LoadVersionsAsync(candidates.Where(j => !_versions.ContainsKey(j)).ToList());
                frontier = [];
                foreach (var job in candidates.Where(j => _versions[j].All.Any(shared.Contains)).Order(StringComparer.Ordinal))
                {
                    var added = _versions[job].All.Count(d => !Datasets.Contains(d));
                    if (Jobs.Count + Datasets.Count + 1 + added > LineageGraph.MaxNodes)
                    {
                        return true;
                    }
                    found.Add(job);
                    Jobs.Add(job);
                    Datasets.UnionWith(_versions[job].All);
                    frontier.Add(job);
                }
            }
            return false;
        }

        /// <summary>Jobs that any run (or job event) of theirs linked to one of <paramref name="datasets"/>, in either direction.</summary>
        private async Task<List<string>> CandidatesAsync(IEnumerable<string> datasets)
        {
            var (set, ids) = view.IdSet(datasets);
            return (await connection.QueryAsync<string>(new CommandDefinition(
                CandidatesSql(view.Dialect, set), new { ids }, cancellationToken: cancellationToken))).AsList();
        }

        /// <summary>The current versions of <paramref name="jobs"/>: two queries whatever their number.</summary>
        private async Task LoadVersionsAsync(List<string> jobs)
        {
            if (jobs.Count == 0)
            {
                return;
            }
            var (set, ids) = view.IdSet(jobs);
            // Per job, its latest run (the one Marquez's jobs.current_run_uuid names: the last to be recorded) and its
            // last finished run (whose inputs and outputs make the current job version).
            var runs = await connection.QueryAsync<RunRow>(new CommandDefinition(
                $"""
                SELECT job, id, runid, state, facets, startedat, endedat, createdat, updatedat, latest, donerank FROM (
                    SELECT r.source AS job, x.id, x.run_id AS runid, x.state, x.facets, x.started_at AS startedat, x.ended_at AS endedat,
                        x.created_at AS createdat, x.updated_at AS updatedat,
                        ROW_NUMBER() OVER (PARTITION BY r.source ORDER BY x.updated_at DESC, COALESCE(x.ended_at, x.started_at, 0) DESC, x.run_id DESC) AS latest,
                        ROW_NUMBER() OVER (PARTITION BY r.source ORDER BY CASE WHEN x.state IN ('COMPLETE', 'FAILED', 'ABORTED') THEN 0 ELSE 1 END,
                            COALESCE(x.ended_at, 0) DESC, x.updated_at DESC, x.run_id DESC) AS donerank
                    FROM lineage_edges r JOIN executions x ON x.id = r.target
                    WHERE r.source IN {set} AND r.kind = 'runs'
                ) ranked WHERE latest = 1 OR donerank = 1
                """, new { ids }, cancellationToken: cancellationToken));
            foreach (var job in jobs)
            {
                _versions[job] = new JobVersion();
            }
            foreach (var run in runs)
            {
                var version = _versions[run.Job];
                if (run.Latest == 1)
                {
                    version.Latest = run;
                    version.Streaming = IsStreaming(run.Facets);
                }
                if (run.DoneRank == 1 && ExecutionState.IsTerminal(run.State))
                {
                    version.Version = run;
                }
            }
            foreach (var version in _versions.Values.Where(v => v.Streaming && v.Latest is not null))
            {
                version.Version = version.Latest;
            }
            // One query for the inputs and outputs of every run involved, and of the job events of jobs without a version.
            var owners = jobs.Select(j => _versions[j]).SelectMany(v => new[] { v.Version?.Id, v.Latest?.Id }).OfType<string>()
                .Concat(jobs.Where(j => _versions[j].Version is null)).Distinct(StringComparer.Ordinal).ToList();
            await LoadIoAsync(owners);
            foreach (var job in jobs)
            {
                var version = _versions[job];
                var (inputs, outputs) = _runIo.GetValueOrDefault(version.Version?.Id ?? job, ([], []));
                var latest = version.Latest;
                // Marquez marks the current inputs (outputs) obsolete on any later event that has none, until a run finishes.
                var pending = latest is not null && !version.Streaming && latest.Id != version.Version?.Id && !ExecutionState.IsTerminal(latest.State);
                var (latestInputs, latestOutputs) = latest is null ? ([], []) : _runIo.GetValueOrDefault(latest.Id, ([], []));
                if (!(pending && latestInputs.Count == 0))
                {
                    version.Inputs.UnionWith(inputs);
                }
                if (!(pending && latestOutputs.Count == 0))
                {
                    version.Outputs.UnionWith(outputs);
                }
            }
        }

        private async Task LoadIoAsync(List<string> owners)
        {
            var missing = owners.Where(o => !_runIo.ContainsKey(o)).ToList();
            if (missing.Count == 0)
            {
                return;
            }
            foreach (var owner in missing)
            {
                _runIo[owner] = (new SortedSet<string>(StringComparer.Ordinal), new SortedSet<string>(StringComparer.Ordinal));
            }
            var (set, ids) = view.IdSet(missing);
            var rows = await connection.QueryAsync<(string Owner, string Dataset, string Kind)>(new CommandDefinition(
                $"""
                SELECT e.target, e.source, e.kind FROM lineage_edges e WHERE e.target IN {set} AND e.kind = 'input' AND e.source LIKE 'dataset:%'
                UNION ALL
                SELECT e.source, e.target, e.kind FROM lineage_edges e WHERE e.source IN {set} AND e.kind = 'output' AND e.target LIKE 'dataset:%'
                """, new { ids }, cancellationToken: cancellationToken));
            foreach (var (owner, dataset, kind) in rows)
            {
                (kind == "input" ? _runIo[owner].Inputs : _runIo[owner].Outputs).Add(dataset);
            }
        }

        /// <summary>The answer's nodes, sorted by id as Marquez sorts them, with their data: three queries.</summary>
        public async Task<List<MarquezNode>> NodesAsync()
        {
            var latestIo = Jobs.Select(j => _versions[j].Latest?.Id).OfType<string>()
                .SelectMany(r => _runIo.TryGetValue(r, out var io) ? io.Inputs.Concat(io.Outputs) : []);
            var datasets = await DatasetsAsync(Datasets.Concat(latestIo).Distinct(StringComparer.Ordinal));
            var (set, ids) = view.IdSet(Jobs);
            var jobNodes = (await connection.QueryAsync<(string Id, string? Namespace, string Name, long CreatedAt, long UpdatedAt)>(new CommandDefinition(
                $"SELECT id, namespace, name, created_at, updated_at FROM lineage_nodes WHERE id IN {set}", new { ids }, cancellationToken: cancellationToken)))
                .ToDictionary(n => n.Id, StringComparer.Ordinal);
            var readers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var writers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var nodes = new List<MarquezNode>(Jobs.Count + Datasets.Count);
            foreach (var job in Jobs)
            {
                var version = _versions[job];
                foreach (var input in version.Inputs)
                {
                    Add(readers, input, job);
                }
                foreach (var output in version.Outputs)
                {
                    Add(writers, output, job);
                }
                var node = jobNodes[job];
                nodes.Add(new MarquezNode(job, "JOB", JobData(node.Namespace ?? "", node.Name, node.CreatedAt, node.UpdatedAt, version, datasets),
                    version.Inputs.Select(d => new MarquezEdge(d, job)).ToList(),
                    version.Outputs.Select(d => new MarquezEdge(job, d)).ToList()));
            }
            foreach (var dataset in Datasets)
            {
                nodes.Add(new MarquezNode(dataset, "DATASET", DatasetData(datasets[dataset]),
                    writers.GetValueOrDefault(dataset, []).Order(StringComparer.Ordinal).Select(j => new MarquezEdge(j, dataset)).ToList(),
                    readers.GetValueOrDefault(dataset, []).Order(StringComparer.Ordinal).Select(j => new MarquezEdge(dataset, j)).ToList()));
            }
            return nodes.OrderBy(n => n.Id, StringComparer.Ordinal).ToList();
        }

        /// <summary>A dataset alone, as Marquez answers for a dataset that no current job version reads or writes.</summary>
        public async Task<MarquezNode> OrphanAsync(string dataset) =>
            new(dataset, "DATASET", DatasetData((await DatasetsAsync([dataset]))[dataset]), [], []);

        private async Task<Dictionary<string, DatasetRow>> DatasetsAsync(IEnumerable<string> datasets)
        {
            var (set, ids) = view.IdSet(datasets);
            // lastModifiedAt is when a run last completed writing the dataset, as Marquez sets it on COMPLETE.
            return (await connection.QueryAsync<DatasetRow>(new CommandDefinition(
                $"""
                SELECT n.id, n.namespace, n.name, COALESCE(d.created_at, n.created_at) AS createdat, COALESCE(d.updated_at, n.updated_at) AS updatedat,
                    d.description, d.schema, d.version, d.facets, m.at AS lastmodifiedat
                FROM lineage_nodes n
                LEFT JOIN datasets d ON d.id = n.id
                LEFT JOIN (
                    SELECT e.target AS dataset, MAX(x.ended_at) AS at FROM lineage_edges e JOIN executions x ON x.id = e.source
                    WHERE e.target IN {set} AND e.kind = 'output' AND x.state = 'COMPLETE' GROUP BY e.target
                ) m ON m.dataset = n.id
                WHERE n.id IN {set}
                """, new { ids }, cancellationToken: cancellationToken))).ToDictionary(d => d.Id, StringComparer.Ordinal);
        }

        private MarquezJobData JobData(string @namespace, string name, long createdAt, long updatedAt, JobVersion version, Dictionary<string, DatasetRow> datasets)
        {
            using var facets = JsonDocument.Parse(version.Latest?.Facets ?? "{}");
            var job = facets.RootElement.TryGetProperty("job", out var j) ? j : default;
            var parent = Text(facets.RootElement, "run", "parent", "job", "name");
            var simpleName = parent is not null && name.StartsWith(parent + ".", StringComparison.Ordinal) ? name[(parent.Length + 1)..] : name;
            return new MarquezJobData(
                new MarquezId(@namespace, name), version.Streaming ? "STREAM" : "BATCH", name, simpleName, parent, null, version.Latest?.RunId,
                Time(createdAt), Time(updatedAt), @namespace,
                version.Inputs.Select(d => Id(d, datasets)).ToList(), version.Outputs.Select(d => Id(d, datasets)).ToList(),
                Text(job, "sourceCodeLocation", "url"), Text(job, "documentation", "description"),
                version.Latest is { } latest ? Run(latest, datasets) : null);
        }

        private MarquezRun Run(RunRow run, Dictionary<string, DatasetRow> datasets)
        {
            using var facets = JsonDocument.Parse(run.Facets);
            var runFacets = facets.RootElement.TryGetProperty("run", out var r) ? r.Clone() : Empty;
            var (inputs, outputs) = _runIo.GetValueOrDefault(run.Id, ([], []));
            return new MarquezRun(
                run.RunId, Time(run.CreatedAt), Time(run.UpdatedAt),
                Instant(Text(runFacets, "nominalTime", "nominalStartTime")), Instant(Text(runFacets, "nominalTime", "nominalEndTime")),
                run.State switch { ExecutionState.Complete => "COMPLETED", var state => state },
                run.StartedAt is { } started ? Time(started) : null, run.EndedAt is { } ended ? Time(ended) : null,
                run.StartedAt is { } s && run.EndedAt is { } e ? e - s : null,
                new Dictionary<string, string>(), null,
                inputs.Select(d => DatasetVersion(d, datasets)).ToList(), outputs.Select(d => DatasetVersion(d, datasets)).ToList(),
                new Dictionary<string, string>(), runFacets);
        }

        private static MarquezDatasetVersion DatasetVersion(string dataset, Dictionary<string, DatasetRow> datasets)
        {
            var id = Id(dataset, datasets);
            return new MarquezDatasetVersion(new MarquezDatasetVersionId(id.Namespace, id.Name, datasets.GetValueOrDefault(dataset)?.Version), new Dictionary<string, object>());
        }

        private static MarquezDatasetData DatasetData(DatasetRow row)
        {
            var fields = new List<MarquezField>();
            if (row.Schema is { } schema)
            {
                using var document = JsonDocument.Parse(schema);
                fields.AddRange(document.RootElement.EnumerateArray().Select(f => new MarquezField(
                    Text(f, "name") ?? "", Text(f, "type"), [], Text(f, "description"))));
            }
            var @namespace = row.Namespace ?? "";
            using var facets = JsonDocument.Parse(row.Facets ?? "{}");
            // Marquez names the source by the dataSource facet, "default" without one; the lifecycle state is the last
            // lifecycleStateChange facet's. Marquez's lineage answer has no facets; Cairn adds them (issue 13 asks for them).
            return new MarquezDatasetData(new MarquezId(@namespace, row.Name), "DB_TABLE", row.Name, row.Name, Time(row.CreatedAt), Time(row.UpdatedAt),
                @namespace, Text(facets.RootElement, "dataSource", "name") ?? "default", fields, [], row.LastModifiedAt is { } at ? Time(at) : null, row.Description,
                Text(facets.RootElement, "lifecycleStateChange", "lifecycleStateChange"), facets.RootElement.Clone());
        }

        private static void Add(Dictionary<string, List<string>> map, string key, string value)
        {
            if (!map.TryGetValue(key, out var list))
            {
                map[key] = list = [];
            }
            list.Add(value);
        }

        private static bool IsStreaming(string facets)
        {
            using var document = JsonDocument.Parse(facets);
            return string.Equals(Text(document.RootElement, "job", "jobType", "processingType"), "STREAMING", StringComparison.OrdinalIgnoreCase);
        }

        private static MarquezId Id(string dataset, Dictionary<string, DatasetRow> datasets) =>
            datasets.TryGetValue(dataset, out var row) ? new MarquezId(row.Namespace ?? "", row.Name) : new MarquezId("", dataset);

        private static string? Text(JsonElement element, params string[] path)
        {
            foreach (var name in path)
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                {
                    return null;
                }
            }
            return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        }

        private static DateTimeOffset? Instant(string? text) =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.ToUniversalTime() : null;

        private static DateTimeOffset Time(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }
}
