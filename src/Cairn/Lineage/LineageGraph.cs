using System.Data.Common;
using System.Globalization;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Lineage;

/// <summary>A node of the lineage graph; <see cref="Id"/> is typed in Marquez's style (<c>dataset:ns:name</c>).</summary>
public sealed record LineageNode(string Id, string Kind, string? Namespace, string Name);

/// <summary>An edge: <see cref="Source"/> fed <see cref="Target"/>.</summary>
public sealed record LineageEdge(string Source, string Target, string Kind);

/// <summary>A node as a graph query returns it, with its edges inside the answer.</summary>
public sealed record GraphNode(string Id, string Kind, string? Namespace, string Name, int Depth, IReadOnlyList<LineageEdge> InEdges, IReadOnlyList<LineageEdge> OutEdges);

/// <summary>The part of the graph around a node; <see cref="Truncated"/> when the node cap cut it short.</summary>
public sealed record LineageGraphResult(string Node, string Direction, int Depth, IReadOnlyList<GraphNode> Graph, bool Truncated);

/// <summary>A shortest chain of edges from one node to another, following the edges' direction.</summary>
public sealed record LineagePath(string From, string To, IReadOnlyList<string> Nodes, IReadOnlyList<LineageEdge> Edges);

public sealed record CreateEdgeRequest(string? Source, string? Target, string? Kind = null);

/// <summary>Typed node ids, as Marquez writes them.</summary>
public static class NodeIds
{
    public static string Dataset(string @namespace, string name) => $"dataset:{@namespace}:{name}";

    public static string Job(string @namespace, string name) => $"job:{@namespace}:{name}";

    public static string Feature(string @namespace, string name) => $"feature:{@namespace}:{name}";

    public static string Run(string runId) => $"run:{runId}";

    public static string Model(string fullName, int version) => string.Create(CultureInfo.InvariantCulture, $"model:{fullName}:{version}");

    /// <summary>The node an id names: its kind, namespace and name; refuses ids of an unknown kind or shape.</summary>
    public static LineageNode Parse(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new InvalidParameterException("A lineage node id is required, such as dataset:<namespace>:<name>, job:<namespace>:<name>, run:<id> or model:<full_name>:<version>.");
        }
        var colon = id.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? "" : id[..colon];
        var rest = colon < 0 ? "" : id[(colon + 1)..];
        // Namespaces may hold colons themselves (s3://bucket): the name is after the last one.
        var last = rest.LastIndexOf(':');
        return kind switch
        {
            "run" when rest.Length > 0 => new LineageNode(id, kind, null, rest),
            "dataset" or "job" or "model" or "feature" or "deployment" when last > 0 && last < rest.Length - 1 => new LineageNode(id, kind, rest[..last], rest[(last + 1)..]),
            _ => throw new InvalidParameterException(
                $"'{id}' is not a lineage node id: use dataset:<namespace>:<name>, job:<namespace>:<name>, feature:<namespace>:<name>, run:<id>, model:<full_name>:<version> or deployment:<environment>:<name>."),
        };
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
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO lineage_edges (source, target, kind, created_at) VALUES (@source, @target, @kind, @now) ON CONFLICT DO NOTHING",
            new { source = source.Id, target = target.Id, kind, now }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The run produced this model version: the edge a registration from a run records (live or imported).</summary>
    public static Task LinkRunToModelAsync(DbTransaction transaction, string runId, string model, long version, TimeProvider clock, CancellationToken cancellationToken) =>
        LinkAsync(transaction,
            new LineageNode(NodeIds.Run(runId), "run", null, runId),
            new LineageNode(NodeIds.Model(model, (int)version), "model", model, version.ToString(CultureInfo.InvariantCulture)),
            "output", clock, cancellationToken);

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
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM lineage_nodes WHERE id = @Id", new { start.Id }, cancellationToken: cancellationToken)) == 0)
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
            var ids = found.Keys.ToList();
            var nodes = await connection.QueryAsync<LineageNode>(new CommandDefinition(
                $"SELECT id, kind, namespace, name FROM lineage_nodes WHERE {database.Dialect.InList("id", "@ids")}", new { ids }, cancellationToken: cancellationToken));
            var edges = (await connection.QueryAsync<LineageEdge>(new CommandDefinition(
                $"SELECT source, target, kind FROM lineage_edges WHERE {database.Dialect.InList("source", "@ids")} AND {database.Dialect.InList("target", "@ids")}",
                new { ids }, cancellationToken: cancellationToken))).ToList();
            var graph = nodes
                .Select(n => new GraphNode(n.Id, n.Kind, n.Namespace, n.Name, found[n.Id],
                    edges.Where(e => e.Target == n.Id).OrderBy(e => e.Source, StringComparer.Ordinal).ToList(),
                    edges.Where(e => e.Source == n.Id).OrderBy(e => e.Target, StringComparer.Ordinal).ToList()))
                .OrderBy(n => n.Depth).ThenBy(n => n.Id, StringComparer.Ordinal).ToList();
            return new LineageGraphResult(start.Id, way, levels, graph, truncated);
        }, cancellationToken);
    }

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
    /// One direction of the walk, in the database: a recursive query that follows edges from <paramref name="from"/> to
    /// <paramref name="to"/> up to <paramref name="depth"/> steps. Cycles cannot run away (the depth bounds the recursion)
    /// and each node keeps its least depth. Returns whether the node cap cut the answer.
    /// </summary>
    private static async Task<bool> WalkAsync(DbConnection connection, string start, string from, string to, int depth, Dictionary<string, int> found, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string Node, long Depth)>(new CommandDefinition(
            $"""
            WITH RECURSIVE walk(node, depth) AS (
                SELECT CAST(@start AS TEXT), 0
                UNION
                SELECT e.{to}, w.depth + 1 FROM lineage_edges e JOIN walk w ON e.{from} = w.node WHERE w.depth < @depth
            )
            SELECT node, CAST(MIN(depth) AS BIGINT) AS depth FROM walk GROUP BY node ORDER BY MIN(depth), node LIMIT @limit
            """, new { start, depth, limit = MaxNodes + 1 }, cancellationToken: cancellationToken));
        var truncated = false;
        foreach (var (node, level) in rows)
        {
            if (found.Count >= MaxNodes && !found.ContainsKey(node))
            {
                truncated = true;
                continue;
            }
            found[node] = found.TryGetValue(node, out var known) ? Math.Min(known, (int)level) : (int)level;
        }
        return truncated;
    }
}
