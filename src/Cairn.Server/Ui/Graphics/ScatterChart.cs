namespace Cairn.Server.Ui.Graphics;

/// <summary>A labelled point of a scatter chart, optionally a link (a run's page).</summary>
public sealed record ScatterPoint(string Label, double X, double Y, int Series, string? Href = null);

/// <summary>
/// Two quantities of several items against each other (runs: a metric against a param), drawn on the server as SVG:
/// nice ticks on both axes, a marker per item in its series colour with a title, linking to the item. Items
/// with a value that is NaN, infinite or missing are left out (the page says how many).
/// </summary>
public sealed class ScatterChart
{
    public required IReadOnlyList<ScatterPoint> Points { get; init; }
    public double Width { get; init; } = 640;
    public double Height { get; init; } = 320;
    public string XLabel { get; init; } = "";
    public string YLabel { get; init; } = "";
    public string Title { get; init; } = "";

    private const double Left = 58, Right = 14, Top = 12, Bottom = 38;

    public sealed record Layout(
        LinearScale X, LinearScale Y,
        IReadOnlyList<(double Value, string Label)> XTicks, IReadOnlyList<(double Value, string Label)> YTicks,
        IReadOnlyList<ScatterPoint> Shown);

    public Layout Compute()
    {
        var shown = Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var (xMin, xMax, xTicks) = ChartMath.Axis(shown.Select(p => p.X), target: 6);
        var (yMin, yMax, yTicks) = ChartMath.Axis(shown.Select(p => p.Y), target: 5);
        var xStep = xTicks.Count > 1 ? xTicks[1] - xTicks[0] : 1;
        var yStep = yTicks.Count > 1 ? yTicks[1] - yTicks[0] : 1;
        return new Layout(
            new LinearScale(xMin, xMax, Left, Width - Right),
            new LinearScale(yMin, yMax, Height - Bottom, Top),
            xTicks.Select(t => (t, ChartMath.FormatTick(t, xStep))).ToList(),
            yTicks.Select(t => (t, ChartMath.FormatTick(t, yStep))).ToList(),
            shown);
    }
}
