using System.Globalization;
using Cairn.Lineage;
using Cairn.Server.Ui.Graphics;

namespace Cairn.Server.Ui.Pages.Lineage;

/// <summary>How the lineage pages name, label and cap nodes: shared by the explorer and the path view.</summary>
public static class LineageViews
{
    /// <summary>The most nodes the explorer draws; a larger neighbourhood is cut to the depths that fit, with a note.</summary>
    public const int MaxDrawnNodes = 300;

    /// <summary>The library's direction for the explorer's <c>dir</c> value (both, up, down), or null when it is none of them.</summary>
    public static string? Direction(string? dir) => (dir ?? "both").ToLowerInvariant() switch
    {
        "both" or "" => "both",
        "up" or "upstream" => "upstream",
        "down" or "downstream" => "downstream",
        _ => null,
    };

    /// <summary>A kind's name for people.</summary>
    public static string KindName(string kind) => kind switch
    {
        "model" => "model version",
        "logged_model" => "logged model",
        _ => kind,
    };

    /// <summary>The model's full name and version of a <c>model:&lt;full name&gt;:&lt;n&gt;</c> node, if it is one.</summary>
    public static (string FullName, int Version)? ModelVersion(LineageNode node) =>
        node.Kind == "model" && node.Namespace is { } fullName && int.TryParse(node.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? (fullName, version)
            : null;

    /// <summary>
    /// The label of a node. A run is labelled with its job's name when the graph knows the job (<paramref name="jobName"/>),
    /// since its id is a UUID no one reads; a model version with its model's full name.
    /// </summary>
    public static LineageSvg.NodeView View(LineageNode node, string? jobName, string? state, string href)
    {
        var title = $"{KindName(node.Kind)}: {node.Id}";
        return node.Kind switch
        {
            "dataset" => new("dataset", node.Name, node.Namespace, title, href),
            "job" => new("job", node.Name, node.Namespace, title, href),
            "run" when jobName is not null => new("run", jobName, $"run {ShortId(node.Name)}{(state is null ? "" : " · " + state)}", title, href),
            "run" => new("run", $"run {ShortId(node.Name)}", state ?? "MLflow run", title, href),
            "model" when ModelVersion(node) is { } mv => new("model", mv.FullName, $"version {mv.Version.ToString(CultureInfo.InvariantCulture)}", title, href),
            _ => new(node.Kind, node.Name, node.Namespace is null ? KindName(node.Kind) : $"{KindName(node.Kind)} · {node.Namespace}", title, href),
        };
    }

    /// <summary>A node's name for headings and breadcrumbs: a model version as its model and version, a run by its short id.</summary>
    public static string DisplayName(LineageNode node) => node.Kind switch
    {
        "model" when ModelVersion(node) is { } mv => $"{mv.FullName} v{mv.Version.ToString(CultureInfo.InvariantCulture)}",
        "run" => $"run {ShortId(node.Name)}",
        _ => node.Name,
    };

    /// <summary>The first eight characters of a run id, as people quote them.</summary>
    public static string ShortId(string id) => id.Length > 8 ? id[..8] : id;

    /// <summary>
    /// The nodes to draw of a neighbourhood (ordered by depth): whole depth levels while they fit in
    /// <paramref name="max"/> nodes, or the first <paramref name="max"/> of the nearest level when even that is larger.
    /// Returns the nodes and the depth shown in full (0 when only part of depth 1 is).
    /// </summary>
    public static (IReadOnlyList<GraphNode> Nodes, int ShownDepth) Cap(IReadOnlyList<GraphNode> graph, int depth, int max = MaxDrawnNodes)
    {
        if (graph.Count <= max)
        {
            return (graph, depth);
        }
        var shown = 0;
        for (var level = 1; level <= depth; level++)
        {
            if (graph.Count(n => n.Depth <= level) > max)
            {
                break;
            }
            shown = level;
        }
        var nodes = shown > 0 ? graph.Where(n => n.Depth <= shown).ToList() : graph.OrderBy(n => n.Depth).Take(max).ToList();
        return (nodes, shown);
    }

    /// <summary>The edges among <paramref name="nodes"/>, once per (source, target), with the kind first recorded.</summary>
    public static Dictionary<(string, string), string> EdgesAmong(IEnumerable<GraphNode> nodes)
    {
        var list = nodes as IReadOnlyCollection<GraphNode> ?? nodes.ToList();
        var ids = list.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var edges = new Dictionary<(string, string), string>();
        foreach (var edge in list.SelectMany(n => n.OutEdges))
        {
            if (ids.Contains(edge.Target))
            {
                edges.TryAdd((edge.Source, edge.Target), edge.Kind);
            }
        }
        return edges;
    }

    /// <summary>Lays the nodes out and builds their views: the explorer's and the path view's graph.</summary>
    public static (GraphLayout Layout, Dictionary<string, LineageSvg.NodeView> Views) Draw(
        IReadOnlyCollection<LineageNode> nodes, IReadOnlyDictionary<(string, string), string> edges, Func<string, string> href,
        IReadOnlyDictionary<string, (string? Job, string? State)>? runs = null)
    {
        var names = nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        var views = new Dictionary<string, LineageSvg.NodeView>(nodes.Count, StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            var (job, state) = runs?.GetValueOrDefault(node.Id) ?? default;
            var jobName = job is null ? null : names.TryGetValue(job, out var jobNode) ? jobNode.Name : JobName(job);
            views[node.Id] = View(node, jobName, state, href(node.Id));
        }
        var layout = LineageLayout.LeftToRight(
            nodes.Select(n => new LayoutBox(n.Id, LineageSvg.NodeWidth, LineageSvg.NodeHeight)).ToList(),
            edges.Keys);
        return (layout, views);
    }

    /// <summary>The name part of a job id the graph did not include, split as Marquez splits one.</summary>
    private static string? JobName(string jobId)
    {
        try
        {
            return NodeIds.Parse(jobId).Name;
        }
        catch (InvalidParameterException)
        {
            return null;
        }
    }
}
