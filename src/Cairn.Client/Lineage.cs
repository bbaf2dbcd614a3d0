namespace Cairn.Client;

/// <summary>An edge of the lineage graph: <paramref name="Source"/> fed <paramref name="Target"/>.</summary>
/// <param name="Source">The node that fed, such as <c>dataset:s3://lake:claims</c>.</param>
/// <param name="Target">The node it fed, such as <c>run:…</c>.</param>
/// <param name="Kind">How: <c>input</c>, <c>output</c> or another word the producer chose.</param>
public sealed record LineageEdge(string Source, string Target, string Kind);

/// <summary>A node in a graph answer.</summary>
/// <param name="Id">Its typed id: <c>dataset:ns:name</c>, <c>job:ns:name</c>, <c>run:id</c>, <c>model:full_name:version</c>.</param>
/// <param name="Kind">dataset, job, run or model.</param>
/// <param name="Namespace">Its namespace (a model's full name for a model version), if any.</param>
/// <param name="Name">Its name (a model version's number).</param>
/// <param name="Depth">How many edges from the node asked about.</param>
/// <param name="InEdges">Edges into it, among the answer's nodes.</param>
/// <param name="OutEdges">Edges out of it, among the answer's nodes.</param>
/// <param name="Job">For a run: its job's id, <c>job:ns:name</c>.</param>
/// <param name="State">For a run: its state (NEW, RUNNING, COMPLETE, FAILED, ABORTED).</param>
public sealed record LineageGraphNode(string Id, string Kind, string? Namespace, string Name, int Depth, IReadOnlyList<LineageEdge> InEdges, IReadOnlyList<LineageEdge> OutEdges,
    string? Job = null, string? State = null);

/// <summary>The lineage around a node.</summary>
/// <param name="Node">The node asked about.</param>
/// <param name="Direction">upstream, downstream or both.</param>
/// <param name="Depth">The depth walked.</param>
/// <param name="Graph">The nodes found, nearest first.</param>
/// <param name="Truncated">Whether the server's node cap cut the answer.</param>
public sealed record LineageGraph(string Node, string Direction, int Depth, IReadOnlyList<LineageGraphNode> Graph, bool Truncated);
