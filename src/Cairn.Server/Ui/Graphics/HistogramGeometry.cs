using System.Globalization;
using Cairn.Lineage;

namespace Cairn.Server.Ui.Graphics;

/// <summary>One bar of a histogram in SVG coordinates, with what it stands for.</summary>
public sealed record HistogramBar(double X, double Y, double Width, double Height, double Low, double High, double Value, string Title);

/// <summary>An axis label at <see cref="X"/>.</summary>
public sealed record HistogramTick(double X, string Text);

/// <summary>A histogram drawn in a <see cref="Width"/> × <see cref="Height"/> box; <see cref="Estimated"/> when read from quantiles.</summary>
public sealed record HistogramPlot(double Width, double Height, double Baseline, IReadOnlyList<HistogramBar> Bars, IReadOnlyList<HistogramTick> Ticks, string YMax, bool Estimated);

/// <summary>
/// The geometry of a column's histogram. A stored histogram (edges and counts) is drawn one bar per bin, all bins the
/// same width and labelled with their edges, since profilers' bins are often uneven (0, 100, 1000, 100000) and a bar as
/// wide as its bin would hide the narrow ones. A column with only quantiles gets an estimated density: between two
/// quantiles lies the probability mass between them, spread over their range (bars as wide as their range, as tall as
/// mass per unit).
/// </summary>
public static class HistogramGeometry
{
    public const double PlotWidth = 320;
    public const double PlotHeight = 130;
    private const double Left = 44;
    private const double Right = 8;
    private const double Top = 8;
    private const double Bottom = 22;

    /// <summary>The plot of <paramref name="stats"/>, or null when it holds neither a histogram nor two quantiles.</summary>
    public static HistogramPlot? Of(ColumnStatistics stats)
    {
        if (stats.Histogram is { Counts.Count: > 0 } histogram && histogram.Edges.Count == histogram.Counts.Count + 1)
        {
            return FromHistogram(histogram);
        }
        return FromQuantiles(stats);
    }

    public static HistogramPlot FromHistogram(Histogram histogram)
    {
        var bins = histogram.Counts.Count;
        var max = Math.Max(1, histogram.Counts.Max());
        var innerWidth = PlotWidth - Left - Right;
        var innerHeight = PlotHeight - Top - Bottom;
        var width = innerWidth / bins;
        var bars = new List<HistogramBar>(bins);
        for (var i = 0; i < bins; i++)
        {
            var height = innerHeight * histogram.Counts[i] / max;
            var (low, high) = (histogram.Edges[i], histogram.Edges[i + 1]);
            bars.Add(new HistogramBar(Left + i * width + 1, Top + innerHeight - height, Math.Max(0.5, width - 2), height, low, high, histogram.Counts[i],
                $"[{Number(low)}, {Number(high)}{(i == bins - 1 ? "]" : ")")}: {histogram.Counts[i].ToString("N0", CultureInfo.InvariantCulture)}"));
        }
        // Every edge labelled when there is room, else about six of them.
        var step = Math.Max(1, (int)Math.Ceiling((bins + 1) / 7.0));
        var ticks = Enumerable.Range(0, bins + 1).Where(i => i % step == 0 || i == bins)
            .Select(i => new HistogramTick(Left + i * width, Number(histogram.Edges[i]))).ToList();
        if (ticks.Count > 1 && ticks[^1].X - ticks[^2].X < width * step / 2)
        {
            ticks.RemoveAt(ticks.Count - 2);
        }
        return new HistogramPlot(PlotWidth, PlotHeight, Top + innerHeight, bars, ticks, Number(max), false);
    }

    /// <summary>A density estimated from quantiles (and min and max, as the 0 and 1 quantiles, when numeric).</summary>
    public static HistogramPlot? FromQuantiles(ColumnStatistics stats)
    {
        var points = new SortedDictionary<double, double>();
        foreach (var (key, value) in stats.Quantiles ?? new Dictionary<string, double>())
        {
            if (double.TryParse(key, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 1 && double.IsFinite(value))
            {
                points[p] = value;
            }
        }
        if (stats.Min is { ValueKind: System.Text.Json.JsonValueKind.Number } min && min.TryGetDouble(out var lo) && !points.ContainsKey(0))
        {
            points[0] = lo;
        }
        if (stats.Max is { ValueKind: System.Text.Json.JsonValueKind.Number } max && max.TryGetDouble(out var hi) && !points.ContainsKey(1))
        {
            points[1] = hi;
        }
        var list = points.ToList();
        var bins = new List<(double Low, double High, double Mass)>();
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Value > list[i - 1].Value)
            {
                bins.Add((list[i - 1].Value, list[i].Value, list[i].Key - list[i - 1].Key));
            }
        }
        if (bins.Count == 0)
        {
            return null;
        }
        var (from, to) = (bins[0].Low, bins[^1].High);
        var innerWidth = PlotWidth - Left - Right;
        var innerHeight = PlotHeight - Top - Bottom;
        var maxDensity = bins.Max(b => b.Mass / (b.High - b.Low));
        double X(double v) => Left + innerWidth * (v - from) / (to - from);
        var bars = bins.Select(b =>
        {
            var density = b.Mass / (b.High - b.Low);
            var height = maxDensity > 0 ? innerHeight * density / maxDensity : 0;
            return new HistogramBar(X(b.Low), Top + innerHeight - height, Math.Max(0.5, X(b.High) - X(b.Low) - 1), height, b.Low, b.High, b.Mass,
                $"[{Number(b.Low)}, {Number(b.High)}]: {(b.Mass * 100).ToString("0.#", CultureInfo.InvariantCulture)}% of values");
        }).ToList();
        var ticks = new List<HistogramTick> { new(X(from), Number(from)), new(X(to), Number(to)) };
        if (points.TryGetValue(0.5, out var median) && X(median) - X(from) > 30 && X(to) - X(median) > 30)
        {
            ticks.Insert(1, new HistogramTick(X(median), Number(median)));
        }
        return new HistogramPlot(PlotWidth, PlotHeight, Top + innerHeight, bars, ticks, "", true);
    }

    /// <summary>A short, invariant number: 98000 → 98k, 1250000 → 1.25M, 0.125 → 0.125.</summary>
    public static string Number(double value)
    {
        var abs = Math.Abs(value);
        return abs switch
        {
            >= 1e12 => value.ToString("0.##e+0", CultureInfo.InvariantCulture),
            >= 1e9 => (value / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "G",
            >= 1e6 => (value / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
            >= 1e4 => (value / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
            >= 1 or 0 => value.ToString("0.##", CultureInfo.InvariantCulture),
            >= 1e-3 => value.ToString("0.####", CultureInfo.InvariantCulture),
            _ => value.ToString("0.##e+0", CultureInfo.InvariantCulture),
        };
    }
}
