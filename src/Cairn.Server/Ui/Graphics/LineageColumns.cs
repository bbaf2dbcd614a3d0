using Cairn.Lineage;

namespace Cairn.Server.Ui.Graphics;

/// <summary>
/// A node's direct neighbourhood as three columns, left to right: what fed it, the node itself, what it fed. Each
/// column is centred on the tallest; edges are cubic curves from a box's right side to the next box's left side. At
/// most <see cref="MaxPerColumn"/> boxes a column; the rest are counted (<see cref="HiddenUpstream"/>,
/// <see cref="HiddenDownstream"/>) for the full explorer to show.
/// </summary>
public sealed class LineageColumns
{
    public const int MaxPerColumn = 8;
    public const double BoxWidth = 210;
    public const double BoxHeight = 40;
    public const double RowGap = 12;
    public const double ColumnGap = 90;
    public const double Margin = 8;

    /// <summary>A placed node: its box's top-left corner.</summary>
    public sealed record Box(string Id, string Kind, string Label, double X, double Y, bool Current)
    {
        public double Right => X + BoxWidth;
        public double Middle => Y + (BoxHeight / 2);
    }

    /// <summary>An edge between two placed boxes, as the SVG path data of its curve.</summary>
    public sealed record Curve(string From, string To, string Path);

    public IReadOnlyList<Box> Boxes { get; }
    public IReadOnlyList<Curve> Curves { get; }
    public double Width { get; }
    public double Height { get; }
    public int HiddenUpstream { get; }
    public int HiddenDownstream { get; }

    private LineageColumns(IReadOnlyList<Box> boxes, IReadOnlyList<Curve> curves, double width, double height, int hiddenUp, int hiddenDown)
    {
        Boxes = boxes;
        Curves = curves;
        Width = width;
        Height = height;
        HiddenUpstream = hiddenUp;
        HiddenDownstream = hiddenDown;
    }

    /// <summary>Lays out <paramref name="center"/> with the nodes of <paramref name="graph"/> one edge away from it.</summary>
    public static LineageColumns Layout(string center, IReadOnlyList<GraphNode> graph)
    {
        var byId = graph.ToDictionary(n => n.Id, StringComparer.Ordinal);
        var self = byId.GetValueOrDefault(center);
        var upstream = Neighbours(self?.InEdges.Select(e => e.Source), center, byId);
        var downstream = Neighbours(self?.OutEdges.Select(e => e.Target), center, byId);
        var rows = Math.Max(1, Math.Max(Math.Min(upstream.Count, MaxPerColumn), Math.Min(downstream.Count, MaxPerColumn)));
        var height = (2 * Margin) + (rows * BoxHeight) + ((rows - 1) * RowGap);
        var boxes = new List<Box>();
        var curves = new List<Curve>();
        var centreBox = Place(new[] { self ?? new GraphNode(center, NodeIds.Parse(center).Kind, null, center, 0, [], []) }, 1, height, true)[0];
        boxes.Add(centreBox);
        foreach (var box in Place(upstream.Take(MaxPerColumn), 0, height, false))
        {
            boxes.Add(box);
            curves.Add(new Curve(box.Id, center, Bezier(box.Right, box.Middle, centreBox.X, centreBox.Middle)));
        }
        foreach (var box in Place(downstream.Take(MaxPerColumn), 2, height, false))
        {
            boxes.Add(box);
            curves.Add(new Curve(center, box.Id, Bezier(centreBox.Right, centreBox.Middle, box.X, box.Middle)));
        }
        var width = (2 * Margin) + (3 * BoxWidth) + (2 * ColumnGap);
        return new LineageColumns(boxes, curves, width, height,
            Math.Max(0, upstream.Count - MaxPerColumn), Math.Max(0, downstream.Count - MaxPerColumn));
    }

    /// <summary>What a box says: a model version as <c>name vN</c>, others by their name.</summary>
    public static string Label(GraphNode node) =>
        node.Kind == "model" && node.Namespace is { } model ? $"{model} v{node.Name}" : node.Name;

    private static List<GraphNode> Neighbours(IEnumerable<string>? ids, string center, Dictionary<string, GraphNode> byId) =>
        (ids ?? []).Where(id => id != center).Distinct(StringComparer.Ordinal)
            .Select(id => byId.GetValueOrDefault(id)).OfType<GraphNode>()
            .OrderBy(n => n.Kind, StringComparer.Ordinal).ThenBy(n => Label(n), StringComparer.Ordinal).ToList();

    private static List<Box> Place(IEnumerable<GraphNode> nodes, int column, double height, bool current)
    {
        var list = nodes.ToList();
        var used = (list.Count * BoxHeight) + (Math.Max(0, list.Count - 1) * RowGap);
        var top = (height - used) / 2;
        var x = Margin + (column * (BoxWidth + ColumnGap));
        return list.Select((n, i) => new Box(n.Id, n.Kind, Label(n), x, top + (i * (BoxHeight + RowGap)), current)).ToList();
    }

    private static string Bezier(double x1, double y1, double x2, double y2)
    {
        var bend = (x2 - x1) / 2;
        return FormattableString.Invariant($"M{x1:0.#},{y1:0.#} C{x1 + bend:0.#},{y1:0.#} {x2 - bend:0.#},{y2:0.#} {x2:0.#},{y2:0.#}");
    }
}
