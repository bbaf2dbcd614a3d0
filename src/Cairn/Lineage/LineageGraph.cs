using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Lineage;

/// <summary>A node of the lineage graph; <see cref="Id"/> is typed in Marquez's style (<c>dataset:ns:name</c>).</summary>
public sealed record LineageNode(string Id, string Kind, string? Namespace, string Name);

/// <summary>An edge: <see cref="Source"/> fed <see cref="Target"/>.</summary>
public sealed record LineageEdge(string Source, string Target, string Kind);

/// <summary>
/// A node as a graph query returns it, with its edges inside the answer; a run (an execution) also names its
/// <see cref="Job"/> (<c>job:&lt;namespace&gt;:&lt;name&gt;</c>) and <see cref="State"/>.
/// </summary>
public sealed record GraphNode(string Id, string Kind, string? Namespace, string Name, int Depth, IReadOnlyList<LineageEdge> InEdges, IReadOnlyList<LineageEdge> OutEdges,
    string? Job = null, string? State = null);

/// <summary>The part of the graph around a node; <see cref="Truncated"/> when the node cap cut it short.</summary>
public sealed record LineageGraphResult(string Node, string Direction, int Depth, IReadOnlyList<GraphNode> Graph, bool Truncated);

/// <summary>A shortest chain of edges from one node to another, following the edges' direction.</summary>
public sealed record LineagePath(string From, string To, IReadOnlyList<string> Nodes, IReadOnlyList<LineageEdge> Edges);

/// <summary>
/// Every shortest chain of edges from <see cref="From"/> to <see cref="To"/>, as the nodes and edges that lie on one:
/// each chain is <see cref="Length"/> edges long; <see cref="Paths"/> counts them.
/// </summary>
public sealed record LineagePaths(string From, string To, int Length, long Paths, IReadOnlyList<LineageNode> Nodes, IReadOnlyList<LineageEdge> Edges);

/// <summary>A page of nodes found by their name, namespace or id.</summary>
public sealed record LineageNodePage(IReadOnlyList<LineageNode> Nodes, string? NextPageToken);

public sealed record CreateEdgeRequest(string? Source, string? Target, string? Kind = null);

/// <summary>
/// Typed node ids, as Marquez writes them: <c>dataset:&lt;namespace&gt;:&lt;name&gt;</c>, <c>job:&lt;namespace&gt;:&lt;name&gt;</c>,
/// <c>run:&lt;id&gt;</c>. Namespaces and names may both hold colons (<c>s3://bucket</c> and
/// <c>logs/2026-12-06T10:00:00.json</c>, a job <c>spark:app:stage</c>), so an id is made from its parts and its node
/// keeps them (<see cref="DatasetNode"/>, <see cref="JobNode"/>): the store looks nodes up by the whole id and never
/// needs to split one. Only an id typed by someone for a node that does not exist yet is split, by
/// <see cref="Parse"/>, with Marquez's rule.
/// </summary>
public static class NodeIds
{
    public static string Dataset(string @namespace, string name) => $"dataset:{@namespace}:{name}";

    public static string Job(string @namespace, string name) => $"job:{@namespace}:{name}";

    public static string Feature(string @namespace, string name) => $"feature:{@namespace}:{name}";

    public static string Artifact(string type, string name) => $"artifact:{type}:{name}";

    public static string Run(string runId) => $"run:{runId}";

    public static string Model(string fullName, int version) => string.Create(CultureInfo.InvariantCulture, $"model:{fullName}:{version}");

    /// <summary>A logged model (MLflow 3), by its id (<c>m-…</c>).</summary>
    public static string LoggedModel(string modelId) => $"logged_model:{modelId}";

    /// <summary>A dataset's node from its namespace and name, whatever colons they hold.</summary>
    public static LineageNode DatasetNode(string @namespace, string name) => new(Dataset(@namespace, name), "dataset", @namespace, name);

    /// <summary>A job's node from its namespace and name, whatever colons they hold.</summary>
    public static LineageNode JobNode(string @namespace, string name) => new(Job(@namespace, name), "job", @namespace, name);

    /// <summary>A feature's node from its namespace and name.</summary>
    public static LineageNode FeatureNode(string @namespace, string name) => new(Feature(@namespace, name), "feature", @namespace, name);

    /// <summary>A run's node.</summary>
    public static LineageNode RunNode(string runId) => new(Run(runId), "run", null, runId);

    /// <summary>
    /// The node an id names: its kind, namespace and name; refuses ids of an unknown kind or shape. An id whose namespace
    /// or name holds colons is ambiguous (<c>dataset:a:b:c</c> is a:b + c or a + b:c); it is split as Marquez's
    /// <c>NodeId</c> splits it, at the first colon that does not start <c>//</c> (a URI's scheme) or a digit (a port,
    /// a time), so <c>dataset:s3://bucket:logs/2026-12-06T10:00:00.json</c> is s3://bucket + the key, and
    /// <c>dataset:postgres://db:5432:public.t</c> is postgres://db:5432 + public.t. When no colon qualifies, the last
    /// one splits. Callers that know the parts build the node from them instead (<see cref="DatasetNode"/>), and lookups
    /// of existing nodes go by the whole id.
    /// </summary>
    public static LineageNode Parse(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new InvalidParameterException("A lineage node id is required, such as dataset:<namespace>:<name>, job:<namespace>:<name>, run:<id> or model:<full_name>:<version>.");
        }
        var colon = id.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? "" : id[..colon];
        var rest = colon < 0 ? "" : id[(colon + 1)..];
        var split = kind is "dataset" or "job" or "feature" or "deployment" ? MarquezSplit(rest) : rest.LastIndexOf(':');
        return kind switch
        {
            "run" or "logged_model" when rest.Length > 0 => new LineageNode(id, kind, null, rest),
            "dataset" or "job" or "model" or "feature" or "artifact" or "deployment" when split > 0 && split < rest.Length - 1 => new LineageNode(id, kind, rest[..split], rest[(split + 1)..]),
            _ => throw new InvalidParameterException(
                $"'{id}' is not a lineage node id: use dataset:<namespace>:<name>, job:<namespace>:<name>, feature:<namespace>:<name>, artifact:<type>:<name>, run:<id>, logged_model:<id>, model:<full_name>:<version> or deployment:<environment>:<name>."),
        };
    }

    /// <summary>
    /// Where <c>&lt;namespace&gt;:&lt;name&gt;</c> splits by Marquez's rule: the first colon followed by neither
    /// <c>//</c> nor a digit; the last colon when none is; -1 when there is no colon.
    /// </summary>
    public static int MarquezSplit(string rest)
    {
        for (var i = rest.IndexOf(':', StringComparison.Ordinal); i >= 0; i = rest.IndexOf(':', i + 1))
        {
            var next = rest.AsSpan(i + 1);
            if (!next.StartsWith("//", StringComparison.Ordinal) && !(next.Length > 0 && char.IsAsciiDigit(next[0])))
            {
                return i;
            }
        }
        return rest.LastIndexOf(':');
    }
}

/// <summary>
/// The lineage graph: nodes and the edges between them, recorded from the native API, MLflow (dataset inputs of runs,
/// model versions from runs) and OpenLineage events, and walked in the database with a recursive query that is safe
/// on cycles (each node is reported once, at its least depth) and bounded by a depth cap and a node cap.
/// Reading needs reader on "/", writing writer on "/", as for tracking records (decision 0007).
/// </summary>
public sealed class LineageGraph(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    public const int MaxDepth = 20;
    public const int MaxNodes = 2000;

    public async Task<LineageEdge> AddEdgeAsync(Caller caller, CreateEdgeRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var source = NodeIds.Parse(request.Source);
        var target = NodeIds.Parse(request.Target);
        if (source.Id == target.Id)
        {
            throw new InvalidParameterException($"An edge needs two different nodes; both are '{source.Id}'.");
        }
        var edge = new LineageEdge(source.Id, target.Id, string.IsNullOrWhiteSpace(request.Kind) ? "feeds" : request.Kind);
        return await database.WriteAsync(async (_, transaction) =>
        {
            await LinkAsync(transaction, source, target, edge.Kind, clock, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "lineage.edge.add", $"lineage/{edge.Source}", null, edge, cancellationToken);
            return edge;
        }, cancellationToken);
    }

    /// <summary>
    /// Records both nodes (if new) and the edge (if new) in the caller's transaction: how features that create lineage
    /// (MLflow's dataset inputs, versions registered from runs, OpenLineage events) add it with their own change.
    /// With <paramref name="nodesExist"/> the caller vouches that both nodes are already recorded, and only the edge is written.
    /// </summary>
    public static async Task LinkAsync(DbTransaction transaction, LineageNode source, LineageNode target, string kind, TimeProvider clock, CancellationToken cancellationToken, bool nodesExist = false)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var connection = transaction.Connection!;
        if (!nodesExist)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at)
                VALUES (@sourceId, @sourceKind, @sourceNamespace, @sourceName, @now, @now), (@targetId, @targetKind, @targetNamespace, @targetName, @now, @now)
                ON CONFLICT (id) DO NOTHING
                """,
                new
                {
                    sourceId = source.Id,
                    sourceKind = source.Kind,
                    sourceNamespace = source.Namespace,
                    sourceName = source.Name,
                    targetId = target.Id,
                    targetKind = target.Kind,
                    targetNamespace = target.Namespace,
                    targetName = target.Name,
                    now,
                }, transaction, cancellationToken: cancellationToken));
        }
        await LinkExistingAsync(transaction, [new LineageEdge(source.Id, target.Id, kind)], clock, cancellationToken);
    }

    /// <summary>Whether the graph has a node with this id.</summary>
    public static async Task<bool> NodeExistsAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM lineage_nodes WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)) > 0;

    /// <summary>
    /// Records nodes that are new, in one statement each for <paramref name="touched"/> (marked updated now) and
    /// <paramref name="others"/> (left as they are if recorded: PostgreSQL slows down on a row rewritten many times in
    /// one transaction, as a DAG run's node would be by every task event of a batch). Any number of nodes, duplicates
    /// allowed: the rows go to the database as one JSON parameter.
    /// </summary>
    public static async Task TouchNodesAsync(DbTransaction transaction, IReadOnlyCollection<LineageNode> touched, IReadOnlyCollection<LineageNode> others, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var dialect = SqlDialects.Of(transaction);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (nodes, conflict) in new[] { (touched, "DO UPDATE SET updated_at = excluded.updated_at"), (others, "DO NOTHING") })
        {
            var rows = nodes.Where(n => seen.Add(n.Id)).Select(n => new NodeRow(n.Id, n.Kind, n.Namespace, n.Name)).ToList();
            if (rows.Count == 0)
            {
                continue;
            }
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                $"""
                INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at)
                SELECT r.id, r.kind, r.namespace, r.name, @now, @now FROM {dialect.JsonRows("@rows", NodeColumns)} WHERE true
                ON CONFLICT (id) {conflict}
                """, new { rows = SqlDialects.RowsParameter(rows), now }, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>
    /// Records edges between nodes the caller knows are recorded, in one statement, whatever their number. On SQLite an
    /// edge is stored by its nodes' integer keys (<c>lineage_links</c>, migration 0028), and <c>lineage_edges</c> is the
    /// view that names them; an edge to a node that is not recorded fails there as a foreign key fails on PostgreSQL.
    /// </summary>
    public static async Task LinkExistingAsync(DbTransaction transaction, IReadOnlyCollection<LineageEdge> edges, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (edges.Count == 0)
        {
            return;
        }
        var dialect = SqlDialects.Of(transaction);
        var rows = dialect.JsonRows("@rows", EdgeColumns);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            dialect is SqliteDialect
                ? $"""
                  INSERT INTO lineage_links (source, target, kind, created_at)
                  SELECT (SELECT key FROM lineage_nodes WHERE id = r.source), (SELECT key FROM lineage_nodes WHERE id = r.target), r.kind, @now
                  FROM {rows} WHERE true
                  ON CONFLICT DO NOTHING
                  """
                : $"""
                  INSERT INTO lineage_edges (source, target, kind, created_at)
                  SELECT r.source, r.target, r.kind, @now FROM {rows} WHERE true
                  ON CONFLICT DO NOTHING
                  """,
            new { rows = SqlDialects.RowsParameter(edges.Select(e => new EdgeRow(e.Source, e.Target, e.Kind))), now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            transaction, cancellationToken: cancellationToken));
    }

    private static readonly (string, string)[] NodeColumns = [("id", "text"), ("kind", "text"), ("namespace", "text"), ("name", "text")];
    private static readonly (string, string)[] EdgeColumns = [("source", "text"), ("target", "text"), ("kind", "text")];

    private sealed record NodeRow(string Id, string Kind, string? Namespace, string Name);

    private sealed record EdgeRow(string Source, string Target, string Kind);

    /// <summary>
    /// The run produced this model version: the edge a registration from a run records (live or imported), when the run
    /// is recorded here, as an MLflow run or as an execution (a lineage node <c>run:&lt;id&gt;</c>). Returns false, and
    /// records nothing, for an id no run has: the graph never gets a node made up for it.
    /// </summary>
    public static async Task<bool> LinkRunToModelAsync(DbTransaction transaction, string runId, string model, long version, TimeProvider clock, CancellationToken cancellationToken)
    {
        var run = NodeIds.Run(runId);
        var known = await transaction.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM runs WHERE run_uuid = @runId) + (SELECT COUNT(*) FROM lineage_nodes WHERE id = @run)",
            new { runId, run }, transaction, cancellationToken: cancellationToken));
        if (known == 0)
        {
            return false;
        }
        await LinkAsync(transaction,
            new LineageNode(run, "run", null, runId),
            new LineageNode(NodeIds.Model(model, (int)version), "model", model, version.ToString(CultureInfo.InvariantCulture)),
            "output", clock, cancellationToken);
        return true;
    }

    /// <summary>The nodes within <paramref name="depth"/> edges of <paramref name="node"/>, upstream, downstream or both.</summary>
    public async Task<LineageGraphResult> GraphAsync(Caller caller, string? node, string? direction, int? depth, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var start = NodeIds.Parse(node);
        var way = (direction ?? "both").ToLowerInvariant();
        if (way is not ("upstream" or "downstream" or "both"))
        {
            throw new InvalidParameterException($"'direction' must be upstream, downstream or both; got '{direction}'.");
        }
        var levels = depth ?? 5;
        if (levels is < 1 or > MaxDepth)
        {
            throw new InvalidParameterException($"'depth' must be between 1 and {MaxDepth}; got {levels}.");
        }
        return await database.ReadAsync(async connection =>
        {
            // Another name of a dataset (from a symlinks facet) walks from the dataset's node.
            start = await ResolveAliasAsync(connection, start, cancellationToken);
            if (!await NodeExistsAsync(connection, null, start.Id, cancellationToken))
            {
                throw new NotFoundException($"Lineage node '{start.Id}' does not exist.");
            }
            var found = new Dictionary<string, int>(StringComparer.Ordinal) { [start.Id] = 0 };
            var truncated = false;
            if (way is "downstream" or "both")
            {
                truncated |= await WalkAsync(connection, start.Id, "source", "target", levels, found, cancellationToken);
            }
            if (way is "upstream" or "both")
            {
                truncated |= await WalkAsync(connection, start.Id, "target", "source", levels, found, cancellationToken);
            }
            // The found ids go to the database as one parameter (a JSON array on SQLite, an array on PostgreSQL): Dapper's
            // expansion into one parameter per id cost ~0.1 ms per node to bind and prepare (136 ms for a 700-node answer).
            var (set, ids) = IdSet(found.Keys);
            var nodes = await connection.QueryAsync<LineageNode>(new CommandDefinition(
                $"SELECT id, kind, namespace, name FROM lineage_nodes WHERE id IN {set}", new { ids }, cancellationToken: cancellationToken));
            // With the recorded edges, each job's derived inputs (decision 0014): what any run of the job read.
            var edges = await connection.QueryAsync<LineageEdge>(new CommandDefinition(
                database.Dialect is SqliteDialect
                    // SQLite reads lineage_links by node key (decision 0037) and tests the far end's key against the found
                    // nodes' keys: through the view each candidate edge (a job's runs' inputs: thousands) looked its node up
                    // to compare ids, 7x the time. The test is written +…: otherwise SQLite probes the primary key with
                    // every pair of the two lists, n² probes (100 ms for 700 nodes), instead of scanning each source's edges.
                    ? $"""
                      SELECT s.id AS source, t.id AS target, l.kind
                      FROM lineage_nodes s JOIN lineage_links l ON l.source = s.key JOIN lineage_nodes t ON t.key = l.target
                      WHERE s.id IN {set} AND +l.target IN (SELECT key FROM lineage_nodes WHERE id IN {set})
                      UNION
                      SELECT si.id, sr.id, 'input'
                      FROM lineage_nodes sr JOIN lineage_links r ON r.source = sr.key AND r.kind = 'runs'
                      JOIN lineage_links i ON i.target = r.target AND i.kind = 'input' JOIN lineage_nodes si ON si.key = i.source
                      WHERE sr.id IN {set} AND +i.source IN (SELECT key FROM lineage_nodes WHERE id IN {set})
                      """
                    : $"""
                      SELECT source, target, kind FROM lineage_edges WHERE source IN {set} AND target IN {set}
                      UNION
                      SELECT i.source, r.source, 'input' FROM lineage_edges r JOIN lineage_edges i ON i.target = r.target AND i.kind = 'input'
                      WHERE r.source IN {set} AND r.kind = 'runs' AND i.source IN {set}
                      """,
                new { ids }, cancellationToken: cancellationToken));
            var runs = (await connection.QueryAsync<(string Id, string JobNamespace, string JobName, string State)>(new CommandDefinition(
                $"SELECT id, job_namespace, job_name, state FROM executions WHERE id IN {set}", new { ids }, cancellationToken: cancellationToken)))
                .ToDictionary(r => r.Id, StringComparer.Ordinal);
            var inEdges = new Dictionary<string, List<LineageEdge>>(found.Count, StringComparer.Ordinal);
            var outEdges = new Dictionary<string, List<LineageEdge>>(found.Count, StringComparer.Ordinal);
            foreach (var edge in edges)
            {
                Add(inEdges, edge.Target, edge);
                Add(outEdges, edge.Source, edge);
            }
            var graph = nodes
                .Select(n => new GraphNode(n.Id, n.Kind, n.Namespace, n.Name, found[n.Id],
                    Sorted(inEdges, n.Id, static e => e.Source), Sorted(outEdges, n.Id, static e => e.Target),
                    runs.TryGetValue(n.Id, out var run) ? NodeIds.Job(run.JobNamespace, run.JobName) : null, runs.TryGetValue(n.Id, out run) ? run.State : null))
                .OrderBy(n => n.Depth).ThenBy(n => n.Id, StringComparer.Ordinal).ToList();
            return new LineageGraphResult(start.Id, way, levels, graph, truncated);
        }, cancellationToken);
    }

    /// <summary>The dataset node another name of a dataset stands for; any other node as it is.</summary>
    private static async Task<LineageNode> ResolveAliasAsync(DbConnection connection, LineageNode node, CancellationToken cancellationToken) =>
        node.Kind == "dataset" && await connection.QuerySingleOrDefaultAsync<LineageNode>(new CommandDefinition(
            "SELECT n.id, n.kind, n.namespace, n.name FROM dataset_aliases a JOIN lineage_nodes n ON n.id = a.dataset_id WHERE a.id = @Id",
            new { node.Id }, cancellationToken: cancellationToken)) is { } dataset ? dataset : node;

    /// <summary>SQL for the set of <paramref name="ids"/> as the one parameter <c>@ids</c>, and that parameter's value.</summary>
    private (string Sql, object Value) IdSet(IEnumerable<string> ids) => IdSet(database.Dialect, ids);

    /// <summary>SQL for the set of <paramref name="ids"/> as the one parameter <c>@ids</c> in <paramref name="dialect"/>, and that parameter's value.</summary>
    internal static (string Sql, object Value) IdSet(ISqlDialect dialect, IEnumerable<string> ids) =>
        (dialect.ValueSet("@ids", "TEXT"), dialect.ValueSetParameter(ids));

    private static void Add(Dictionary<string, List<LineageEdge>> byNode, string node, LineageEdge edge)
    {
        if (!byNode.TryGetValue(node, out var list))
        {
            byNode[node] = list = [];
        }
        list.Add(edge);
    }

    private static List<LineageEdge> Sorted(Dictionary<string, List<LineageEdge>> byNode, string node, Func<LineageEdge, string> key) =>
        byNode.TryGetValue(node, out var list) ? list.OrderBy(key, StringComparer.Ordinal).ToList() : [];

    /// <summary>
    /// A shortest path from <paramref name="from"/> to <paramref name="to"/> along the edges (what fed what), found
    /// breadth-first one level per query, at most <see cref="MaxDepth"/> edges long; 404 when there is none.
    /// </summary>
    public async Task<LineagePath> PathAsync(Caller caller, string? from, string? to, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var start = NodeIds.Parse(from).Id;
        var end = NodeIds.Parse(to).Id;
        return await database.ReadAsync(async connection =>
        {
            var parents = new Dictionary<string, LineageEdge?>(StringComparer.Ordinal) { [start] = null };
            var frontier = new List<string> { start };
            for (var level = 0; level < MaxDepth && frontier.Count > 0 && !parents.ContainsKey(end); level++)
            {
                var edges = await connection.QueryAsync<LineageEdge>(new CommandDefinition(
                    $"SELECT source, target, kind FROM lineage_edges WHERE {database.Dialect.InList("source", "@frontier")} ORDER BY source, target, kind",
                    new { frontier }, cancellationToken: cancellationToken));
                frontier = [];
                foreach (var edge in edges.Where(e => parents.TryAdd(e.Target, e)))
                {
                    frontier.Add(edge.Target);
                }
                if (parents.Count > MaxNodes * 10)
                {
                    break;
                }
            }
            if (!parents.ContainsKey(end))
            {
                throw new NotFoundException($"No lineage path leads from '{start}' to '{end}' within {MaxDepth} edges.");
            }
            var path = new List<LineageEdge>();
            for (var at = end; parents[at] is { } edge; at = edge.Source)
            {
                path.Add(edge);
            }
            path.Reverse();
            return new LineagePath(start, end, [start, .. path.Select(e => e.Target)], path);
        }, cancellationToken);
    }

    /// <summary>
    /// Every shortest path from <paramref name="from"/> to <paramref name="to"/> along the edges, found breadth-first one
    /// level per query (the level's nodes sent as one parameter) and kept as the edges that reach each node at its least
    /// distance, at most <see cref="MaxDepth"/> edges long. 404 when either node does not exist or no path leads there.
    /// </summary>
    public async Task<LineagePaths> ShortestPathsAsync(Caller caller, string? from, string? to, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var startNode = NodeIds.Parse(from);
        var endNode = NodeIds.Parse(to);
        return await database.ReadAsync(async connection =>
        {
            var start = (await ResolveAliasAsync(connection, startNode, cancellationToken)).Id;
            var end = (await ResolveAliasAsync(connection, endNode, cancellationToken)).Id;
            foreach (var id in new[] { start, end })
            {
                if (!await NodeExistsAsync(connection, null, id, cancellationToken))
                {
                    throw new NotFoundException($"Lineage node '{id}' does not exist.");
                }
            }
            // The edges that first reach each node, all of them when several reach it at the same distance.
            var reachedBy = new Dictionary<string, List<LineageEdge>>(StringComparer.Ordinal) { [start] = [] };
            var frontier = new List<string> { start };
            for (var level = 0; level < MaxDepth && frontier.Count > 0 && !reachedBy.ContainsKey(end); level++)
            {
                var (set, ids) = IdSet(frontier);
                var edges = await connection.QueryAsync<LineageEdge>(new CommandDefinition(
                    $"SELECT source, target, kind FROM lineage_edges WHERE source IN {set} ORDER BY source, target, kind", new { ids }, cancellationToken: cancellationToken));
                var next = new Dictionary<string, List<LineageEdge>>(StringComparer.Ordinal);
                foreach (var edge in edges.Where(e => !reachedBy.ContainsKey(e.Target)))
                {
                    if (!next.TryGetValue(edge.Target, out var list))
                    {
                        next[edge.Target] = list = [];
                    }
                    // Two kinds of edge between the same pair are one step.
                    if (!list.Exists(e => e.Source == edge.Source))
                    {
                        list.Add(edge);
                    }
                }
                foreach (var (node, list) in next)
                {
                    reachedBy[node] = list;
                }
                frontier = [.. next.Keys];
                if (reachedBy.Count > MaxNodes * 10)
                {
                    break;
                }
            }
            if (!reachedBy.ContainsKey(end))
            {
                throw new NotFoundException($"No lineage path leads from '{start}' to '{end}' within {MaxDepth} edges.");
            }
            // Back from the end: the edges on some shortest path, and how many paths run through each node.
            var onPath = new List<LineageEdge>();
            var visited = new HashSet<string>(StringComparer.Ordinal) { end };
            var queue = new Queue<string>([end]);
            while (queue.Count > 0)
            {
                foreach (var edge in reachedBy[queue.Dequeue()])
                {
                    onPath.Add(edge);
                    if (visited.Add(edge.Source))
                    {
                        queue.Enqueue(edge.Source);
                    }
                }
            }
            var count = new Dictionary<string, long>(StringComparer.Ordinal) { [start] = 1 };
            long Count(string node)
            {
                if (!count.TryGetValue(node, out var n))
                {
                    n = 0;
                    foreach (var edge in reachedBy[node])
                    {
                        n = Math.Min(long.MaxValue / 2, n + Count(edge.Source));
                    }
                    count[node] = n;
                }
                return n;
            }
            var (nodeSet, nodeIds) = IdSet(visited);
            var nodes = (await connection.QueryAsync<LineageNode>(new CommandDefinition(
                $"SELECT id, kind, namespace, name FROM lineage_nodes WHERE id IN {nodeSet} ORDER BY id", new { ids = nodeIds }, cancellationToken: cancellationToken))).ToList();
            var length = 0;
            for (var at = end; reachedBy[at] is [var first, ..]; at = first.Source)
            {
                length++;
            }
            return new LineagePaths(start, end, length, Count(end), nodes,
                onPath.OrderBy(e => e.Source, StringComparer.Ordinal).ThenBy(e => e.Target, StringComparer.Ordinal).ToList());
        }, cancellationToken);
    }

    /// <summary>
    /// Nodes whose name, namespace or id holds <paramref name="q"/> (any case), of one <paramref name="kind"/> when given,
    /// datasets and jobs first, then by name; paged.
    /// </summary>
    public async Task<LineageNodePage> SearchNodesAsync(Caller caller, string? q, string? kind, int? maxResults, string? pageToken, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var size = Paging.PageSize(maxResults, 50, 500);
        var parameters = new Dictionary<string, object?>();
        var where = new List<string>();
        if (!string.IsNullOrWhiteSpace(q))
        {
            where.Add(Paging.FreeText(q, database.Dialect, parameters, "name", "namespace", "id"));
        }
        if (!string.IsNullOrWhiteSpace(kind))
        {
            where.Add("kind = @kind");
            parameters["kind"] = kind;
        }
        var page = OffsetPage.Start(size, pageToken, string.Join('\n', "nodes", q, kind));
        page.AddTo(parameters);
        var sql = "SELECT id, kind, namespace, name FROM lineage_nodes" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY CASE kind WHEN 'dataset' THEN 0 WHEN 'job' THEN 1 WHEN 'model' THEN 2 ELSE 3 END, name, id" + OffsetPage.Sql;
        var (rows, next) = page.Cut(await database.ReadAsync(
            c => c.QueryAsync<LineageNode>(new CommandDefinition(sql, new DynamicParameters(parameters), cancellationToken: cancellationToken)), cancellationToken));
        return new LineageNodePage(rows, next);
    }

    /// <summary>
    /// One direction of the walk from <paramref name="start"/>, following edges from <paramref name="from"/> to
    /// <paramref name="to"/> up to <paramref name="depth"/> steps, into <paramref name="found"/>: each node at its least
    /// depth (so cycles end), the walk's first <see cref="MaxNodes"/> + 1 nodes in (depth, id) order offered to the
    /// answer until it holds <see cref="MaxNodes"/>. Returns whether the node cap cut the answer.
    /// </summary>
    /// <remarks>
    /// Most walks are small, and one recursive query answers them in one round trip. But the recursive query
    /// enumerates every (node, depth) within the depth before anything can be capped: from a dataset that a thousand
    /// pipelines read, 40,000 rows for an answer of 2,000 nodes (120 ms on SQLite, 170 ms on PostgreSQL at depth 10, and
    /// growing with the graph). So the query stops after a row budget, and a walk that exceeds it is redone level by
    /// level (<see cref="WalkLevelsAsync"/>), which stops where the cap does.
    /// </remarks>
    private async Task<bool> WalkAsync(DbConnection connection, string start, string from, string to, int depth, Dictionary<string, int> found, CancellationToken cancellationToken)
    {
        const int rowBudget = 2 * (MaxNodes + 1);
        // Each step follows the recorded edges (m.k = 0) and a job's derived inputs (m.k = 1, decision 0014): downstream a
        // dataset reaches the jobs whose runs read it (dataset -input-> run <-runs- job), upstream a job reaches what its
        // runs read (job -runs-> run <-input- dataset). One query with the recursive reference once, as PostgreSQL requires.
        var (first, second) = from == "source" ? ("input", "runs") : ("runs", "input");
        var rows = (await connection.QueryAsync<(string Node, long Depth)>(new CommandDefinition(
            WalkSql(database.Dialect, from, to),
            new { start, depth, rows = rowBudget, first, second }, cancellationToken: cancellationToken))).AsList();
        if (rows.Count >= rowBudget)
        {
            return await WalkLevelsAsync(connection, start, from, to, depth, found, cancellationToken);
        }
        var least = new Dictionary<string, int>(rows.Count, StringComparer.Ordinal);
        foreach (var (node, level) in rows)
        {
            least[node] = least.TryGetValue(node, out var known) ? Math.Min(known, (int)level) : (int)level;
        }
        var truncated = false;
        foreach (var (node, level) in least.OrderBy(n => n.Value).ThenBy(n => n.Key, StringComparer.Ordinal).Take(MaxNodes + 1))
        {
            truncated |= !Keep(found, node, level);
        }
        return truncated;
    }

    /// <summary>The recursive walk of <see cref="WalkAsync"/>, following edges from <paramref name="from"/> to <paramref name="to"/>.</summary>
    internal static string WalkSql(ISqlDialect dialect, string from, string to) =>
        dialect is SqliteDialect
            // SQLite walks the edges by node key (lineage_links, decision 0037), with one recursive step per kind of step
            // (which SQLite allows): the view lineage_edges, a join, cannot be flattened into a LEFT JOIN and would be
            // materialised whole on every walk. CROSS JOIN keeps SQLite from reading every node to join the walk to.
            ? $"""
              WITH RECURSIVE walk(node, depth) AS (
                  SELECT key, 0 FROM lineage_nodes WHERE id = @start
                  UNION
                  SELECT e.{to}, w.depth + 1 FROM walk w JOIN lineage_links e ON e.{from} = w.node WHERE w.depth < @depth
                  UNION
                  SELECT b.source, w.depth + 1
                  FROM walk w JOIN lineage_links a ON a.source = w.node AND a.kind = @first JOIN lineage_links b ON b.target = a.target AND b.kind = @second
                  WHERE w.depth < @depth
              )
              SELECT CAST(@start AS TEXT) AS node, 0 AS depth
              UNION ALL
              SELECT n.id, walk.depth FROM walk CROSS JOIN lineage_nodes n ON n.key = walk.node WHERE walk.depth > 0
              LIMIT @rows
              """
            : $"""
              WITH RECURSIVE walk(node, depth) AS (
                  SELECT CAST(@start AS TEXT), 0
                  UNION
                  SELECT COALESCE(e.{to}, b.source), w.depth + 1
                  FROM walk w CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 AS k) m
                  LEFT JOIN lineage_edges e ON m.k = 0 AND e.{from} = w.node
                  LEFT JOIN lineage_edges a ON m.k = 1 AND a.source = w.node AND a.kind = @first
                  LEFT JOIN lineage_edges b ON b.target = a.target AND b.kind = @second
                  WHERE w.depth < @depth AND COALESCE(e.{to}, b.source) IS NOT NULL
              )
              SELECT node, CAST(depth AS BIGINT) AS depth FROM walk LIMIT @rows
              """;

    /// <summary>
    /// <see cref="WalkAsync"/> breadth-first, one query per level (the level's new nodes sent as one parameter), stopping
    /// once the walk has <see cref="MaxNodes"/> + 1 nodes: the same answer, with work bounded by the cap, not the graph.
    /// </summary>
    private async Task<bool> WalkLevelsAsync(DbConnection connection, string start, string from, string to, int depth, Dictionary<string, int> found, CancellationToken cancellationToken)
    {
        // The walk's own nodes in (depth, id) order, the start first: as many as the cap could ever take (the answer's
        // nodes come from both directions, at most MaxNodes in all), so that a node beyond them cannot be added anyway.
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        var frontier = new List<string> { start };
        var truncated = false;
        for (var level = 1; level <= depth && frontier.Count > 0; level++)
        {
            var (set, ids) = IdSet(frontier);
            var (first, second) = from == "source" ? ("input", "runs") : ("runs", "input");
            var next = (await connection.QueryAsync<string>(new CommandDefinition(
                $"""
                SELECT {to} FROM lineage_edges WHERE {from} IN {set}
                UNION
                SELECT b.source FROM lineage_edges a JOIN lineage_edges b ON b.target = a.target AND b.kind = @second
                WHERE a.source IN {set} AND a.kind = @first
                """, new { ids, first, second }, cancellationToken: cancellationToken)))
                .Where(seen.Add)
                .Order(StringComparer.Ordinal)
                .ToList();
            frontier = [];
            foreach (var node in next)
            {
                if (seen.Count - next.Count + frontier.Count >= MaxNodes + 1)
                {
                    return truncated;
                }
                frontier.Add(node);
                truncated |= !Keep(found, node, level);
            }
        }
        return truncated;
    }

    /// <summary>Adds a node to the answer at its least depth; false when the node cap leaves no room for a new one.</summary>
    private static bool Keep(Dictionary<string, int> found, string node, int level)
    {
        if (found.TryGetValue(node, out var known))
        {
            found[node] = Math.Min(known, level);
            return true;
        }
        if (found.Count >= MaxNodes)
        {
            return false;
        }
        found[node] = level;
        return true;
    }
}

/// <summary>
/// The nodes and edges several steps of one transaction record, collected so that the group writes each kind once:
/// every node with two statements (<see cref="Touched"/> marked updated, <see cref="Others"/> recorded if new) and every
/// edge with one, instead of a few statements per step. Nodes go in before the rows that refer to them, edges after.
/// </summary>
internal sealed class GraphWrites
{
    /// <summary>Nodes recorded and marked updated now.</summary>
    public List<LineageNode> Touched { get; } = [];

    /// <summary>Nodes recorded if new, left as they are otherwise.</summary>
    public List<LineageNode> Others { get; } = [];

    /// <summary>Edges between nodes that are recorded by the time they are written.</summary>
    public HashSet<LineageEdge> Edges { get; } = [];

    public Task WriteNodesAsync(DbTransaction transaction, TimeProvider clock, CancellationToken cancellationToken) =>
        LineageGraph.TouchNodesAsync(transaction, Touched, Others, clock, cancellationToken);

    public Task WriteEdgesAsync(DbTransaction transaction, TimeProvider clock, CancellationToken cancellationToken) =>
        LineageGraph.LinkExistingAsync(transaction, Edges, clock, cancellationToken);
}
