using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn lineage show NODE</c>: where a model, run or dataset came from and what it feeds.</summary>
internal static class LineageCommands
{
    public static Command Create() => new("lineage", "Walk the lineage graph: datasets, jobs, runs and model versions") { ShowCommand() };

    private static Command ShowCommand()
    {
        var node = new Argument<string>("node")
        {
            Description = "A node id: dataset:<namespace>:<name>, job:<namespace>:<name>, run:<id> or model:<full_name>:<version>",
        };
        var upstream = new Option<bool>("--upstream") { Description = "Only what fed the node" };
        var downstream = new Option<bool>("--downstream") { Description = "Only what the node fed" };
        var depth = new Option<int?>("--depth") { Description = "How many edges to follow (default 5, at most 20)", HelpName = "n" };
        var format = new Option<string>("--format")
        {
            Description = "tree (default, for people), dot (Graphviz), mermaid, or json",
            HelpName = "tree|dot|mermaid|json",
            DefaultValueFactory = _ => "tree",
        };
        format.AcceptOnlyFromAmong("tree", "dot", "mermaid", "json");
        var command = new Command("show", "Show the lineage around a node: as a tree, or as Graphviz dot, Mermaid or JSON")
        {
            node, upstream, downstream, depth, format,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            var (up, down) = (result.GetValue(upstream), result.GetValue(downstream));
            var direction = up == down ? "both" : up ? "upstream" : "downstream";
            using var client = ClientFactory.Create(result);
            var graph = await client.GetLineageAsync(result.GetRequiredValue(node), direction, result.GetValue(depth), cancellationToken);
            output.Write(graph, g => Output.Line(result.GetValue(format) switch
            {
                "json" => JsonSerializer.Serialize(g, Output.JsonOptions),
                "dot" => Dot(g),
                "mermaid" => Mermaid(g),
                _ => Tree(g),
            }));
            if (graph.Truncated)
            {
                Output.Note("The graph was cut at the server's node cap; narrow it with --depth or a direction.");
            }
        });
        return command;
    }

    /// <summary>Upstream as a tree of what fed the node, downstream as a tree of what it fed; a node met twice is marked, not repeated.</summary>
    internal static string Tree(LineageGraph graph)
    {
        var byId = graph.Graph.ToDictionary(n => n.Id, StringComparer.Ordinal);
        var text = new StringBuilder();
        if (graph.Direction is "upstream" or "both")
        {
            text.AppendLine(Markup.Remove($"upstream of {graph.Node}:"));
            Walk(graph.Node, n => n.InEdges.Select(e => (e.Source, e.Kind)), "<-", "", []);
        }
        if (graph.Direction is "downstream" or "both")
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"downstream of {graph.Node}:");
            Walk(graph.Node, n => n.OutEdges.Select(e => (e.Target, e.Kind)), "->", "", []);
        }
        return text.ToString().TrimEnd();

        void Walk(string id, Func<LineageGraphNode, IEnumerable<(string Next, string Kind)>> next, string arrow, string indent, HashSet<string> seen)
        {
            if (indent.Length == 0)
            {
                text.AppendLine(id);
            }
            if (!byId.TryGetValue(id, out var current) || !seen.Add(id))
            {
                return;
            }
            var children = next(current).OrderBy(c => c.Next, StringComparer.Ordinal).ToList();
            for (var i = 0; i < children.Count; i++)
            {
                var last = i == children.Count - 1;
                var (child, kind) = children[i];
                var again = seen.Contains(child) ? " (shown above)" : "";
                text.AppendLine(CultureInfo.InvariantCulture, $"{indent}{(last ? "└─" : "├─")}{arrow} {child} [{kind}]{again}");
                if (again.Length == 0)
                {
                    Walk(child, next, arrow, indent + (last ? "   " : "│  "), seen);
                }
            }
        }
    }

    internal static string Dot(LineageGraph graph)
    {
        var text = new StringBuilder("digraph lineage {\n  rankdir=LR;\n");
        foreach (var node in graph.Graph)
        {
            text.Append(CultureInfo.InvariantCulture, $"  \"{Escape(node.Id)}\" [label=\"{Escape(node.Kind)}\\n{Escape(node.Namespace is null ? node.Name : $"{node.Namespace}:{node.Name}")}\"];\n");
        }
        foreach (var edge in Edges(graph))
        {
            text.Append(CultureInfo.InvariantCulture, $"  \"{Escape(edge.Source)}\" -> \"{Escape(edge.Target)}\" [label=\"{Escape(edge.Kind)}\"];\n");
        }
        return text.Append('}').ToString();

        static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
    }

    internal static string Mermaid(LineageGraph graph)
    {
        // Mermaid ids must be plain words: each node gets n0, n1, … with its real id as the label.
        var ids = graph.Graph.Select((n, i) => (n.Id, Key: $"n{i}")).ToDictionary(p => p.Id, p => p.Key, StringComparer.Ordinal);
        var text = new StringBuilder("flowchart LR\n");
        foreach (var node in graph.Graph)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {ids[node.Id]}[\"{node.Id.Replace("\"", "#quot;", StringComparison.Ordinal)}\"]\n");
        }
        foreach (var edge in Edges(graph))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {ids[edge.Source]} -->|{edge.Kind}| {ids[edge.Target]}\n");
        }
        return text.ToString().TrimEnd();
    }

    private static IEnumerable<LineageEdge> Edges(LineageGraph graph) =>
        graph.Graph.SelectMany(n => n.OutEdges).Distinct().OrderBy(e => e.Source, StringComparer.Ordinal).ThenBy(e => e.Target, StringComparer.Ordinal);
}
