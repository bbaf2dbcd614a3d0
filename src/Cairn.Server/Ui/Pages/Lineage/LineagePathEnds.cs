using Cairn.Governance;
using Cairn.Lineage;

namespace Cairn.Server.Ui.Pages.Lineage;

/// <summary>
/// What an end of the path view names: a node id in any form the explorer takes (the service resolves dataset aliases),
/// or else a node's name or part of it, looked up with the node search.
/// </summary>
internal static class LineagePathEnds
{
    /// <summary>Candidates offered when a name matches several nodes.</summary>
    public const int Choices = 10;

    /// <summary>
    /// The node id <paramref name="text"/> stands for: itself when it is a node id; the one node whose name equals it
    /// (any case) or, failing that, the only node the search finds; else null with the nodes to choose from (none when
    /// nothing matches).
    /// </summary>
    public static async Task<(string? Id, IReadOnlyList<LineageNode> Candidates)> ResolveAsync(
        LineageGraph graph, Caller caller, string text, CancellationToken cancellationToken)
    {
        var trimmed = text.Trim();
        try
        {
            return (NodeIds.Parse(trimmed).Id, []);
        }
        catch (InvalidParameterException)
        {
            // Not an id: a name.
        }
        var found = (await graph.SearchNodesAsync(caller, trimmed, null, Choices, null, cancellationToken)).Nodes;
        var exact = found.Where(n => string.Equals(n.Name, trimmed, StringComparison.OrdinalIgnoreCase)).ToList();
        return exact.Count == 1 ? (exact[0].Id, []) : found.Count == 1 ? (found[0].Id, []) : (null, found);
    }
}
