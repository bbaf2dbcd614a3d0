namespace Cairn.Server.Ui.Graphics;

/// <summary>One line of a chart: a name for its legend and tooltips, its points in x order.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points);

/// <summary>
/// A line chart drawn on the server as SVG (a metric's history per step or over time, several runs overlaid): axes
/// with nice ticks, one polyline per series in the series' colour class, and drawn by LineChartSvg.razor, with a marker per point whose title tells
/// the series, x and y on hover. Points that are NaN or infinite are left out; a series longer than
/// <see cref="MaxPointsPerSeries"/> is downsampled keeping each stretch's lowest and highest point.
/// </summary>
public sealed class LineChart
{
    /// <summary>The most points drawn per series, so that a history of a million points is still a small page.</summary>
    public const int MaxPointsPerSeries = 1000;

    /// <summary>The most points per series that get a hover marker (the line itself keeps up to <see cref="MaxPointsPerSeries"/>).</summary>
    public const int MaxMarkersPerSeries = 200;

    public required IReadOnlyList<ChartSeries> Series { get; init; }
    public double Width { get; init; } = 640;
    public double Height { get; init; } = 260;
    public string XLabel { get; init; } = "step";
    public string YLabel { get; init; } = "";
    /// <summary>An accessible name for the whole chart.</summary>
    public string Title { get; init; } = "";

    private const double Left = 58, Right = 14, Top = 12, Bottom = 38;

    /// <summary>Where everything goes, in pixels: the geometry tests read this; LineChartSvg.razor draws it.</summary>
    public sealed record Layout(
        LinearScale X, LinearScale Y,
        IReadOnlyList<(double Value, string Label)> XTicks, IReadOnlyList<(double Value, string Label)> YTicks,
        IReadOnlyList<SeriesLayout> Lines, int Skipped);

    /// <summary>A series as drawn: its index (colour), the points kept, and the markers among them.</summary>
    public sealed record SeriesLayout(int Index, string Name, IReadOnlyList<ChartPoint> Points, IReadOnlyList<ChartPoint> Markers);

    public Layout Compute()
    {
        var skipped = 0;
        var lines = new List<SeriesLayout>();
        for (var i = 0; i < Series.Count; i++)
        {
            var finite = ChartMath.Finite(Series[i].Points);
            skipped += Series[i].Points.Count - finite.Count;
            var kept = ChartMath.Downsample(finite, MaxPointsPerSeries);
            lines.Add(new SeriesLayout(i, Series[i].Name, kept, ChartMath.Downsample(kept, MaxMarkersPerSeries)));
        }
        var (xMin, xMax, xTicks) = ChartMath.Axis(lines.SelectMany(l => l.Points).Select(p => p.X), target: 6);
        var (yMin, yMax, yTicks) = ChartMath.Axis(lines.SelectMany(l => l.Points).Select(p => p.Y), target: 5);
        var xStep = xTicks.Count > 1 ? xTicks[1] - xTicks[0] : 1;
        var yStep = yTicks.Count > 1 ? yTicks[1] - yTicks[0] : 1;
        return new Layout(
            new LinearScale(xMin, xMax, Left, Width - Right),
            new LinearScale(yMin, yMax, Height - Bottom, Top),
            xTicks.Select(t => (t, ChartMath.FormatTick(t, xStep))).ToList(),
            yTicks.Select(t => (t, ChartMath.FormatTick(t, yStep))).ToList(),
            lines, skipped);
    }
}

/// <summary>The colour classes of series.</summary>
public static class ChartColours
{
    /// <summary>The colour class of a series: six colours, then the same six dashed.</summary>
    public static string SeriesClass(int index) => $"series-{(index % 6) + 1}" + (index % 12 >= 6 ? " dashed" : "");
}
