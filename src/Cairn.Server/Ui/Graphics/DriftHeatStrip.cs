using System.Globalization;
using Cairn.Lineage;
using Cairn.Monitoring;

namespace Cairn.Server.Ui.Graphics;

/// <summary>One window of a drift heat strip: its id and the start of the data it covers.</summary>
public sealed record DriftStripWindow(string Id, DateTimeOffset StartsAt, DateTimeOffset EndsAt);

/// <summary>One feature's drift figures in one window.</summary>
public sealed record DriftStripFigure(string WindowId, string Feature, string Method, double? Score, double Threshold, bool Drifted, double? Psi);

/// <summary>A cell: where it is drawn, its class (the PSI band, and whether the test said drift) and its hover title.</summary>
public sealed record DriftStripCell(double X, double Y, double Width, double Height, string Class, string Title, string Feature, string WindowId);

/// <summary>A row label (a feature; <see cref="Href"/> selects it) and a column tick (a window's start).</summary>
public sealed record DriftStripLabel(double X, double Y, string Text, string? Href = null);

/// <summary>The whole strip: size, cells, feature labels down the left, time ticks along the bottom.</summary>
public sealed record DriftStripLayout(double Width, double Height, IReadOnlyList<DriftStripCell> Cells, IReadOnlyList<DriftStripLabel> Rows, IReadOnlyList<DriftStripLabel> Ticks);

/// <summary>
/// Drift per feature over time as a heat strip: a row per feature, a column per window (oldest left), each cell coloured
/// by the feature's PSI band in that window (stable below 0.1, moderate to 0.25, significant above) and outlined when its
/// test said drift; a window without figures for a feature leaves its cell empty.
/// </summary>
public static class DriftHeatStrip
{
    public const double Left = 150;
    public const double CellHeight = 18;
    public const double MaxWidth = 720;
    private const double Top = 4;
    private const double Bottom = 22;

    /// <summary>The strip of <paramref name="figures"/> over <paramref name="windows"/> (any order; drawn oldest first).</summary>
    /// <param name="windows">The windows.</param>
    /// <param name="figures">The figures (features absent from a window are empty cells).</param>
    /// <param name="featureHref">The link of a feature's row label (selecting it), or null for none.</param>
    public static DriftStripLayout Of(IReadOnlyList<DriftStripWindow> windows, IReadOnlyList<DriftStripFigure> figures, Func<string, string>? featureHref = null)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(figures);
        var columns = windows.OrderBy(w => w.StartsAt).ThenBy(w => w.Id, StringComparer.Ordinal).ToList();
        var features = figures.Select(f => f.Feature).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var cellWidth = columns.Count == 0 ? 0 : Math.Clamp((MaxWidth - Left) / columns.Count, 3, 28);
        // Room for the last time tick ("MM-dd HH:mm", about 64 px at 10 px) past the last cell's start.
        var width = Math.Max(Left + cellWidth * columns.Count + 8, Math.Min(MaxWidth + 8, Left + cellWidth * Math.Max(0, columns.Count - 1) + 72));
        var height = Top + CellHeight * features.Count + Bottom;
        var column = columns.Select((w, i) => (w.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        var row = features.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i, StringComparer.Ordinal);
        var cells = new List<DriftStripCell>(figures.Count);
        foreach (var f in figures)
        {
            if (!column.TryGetValue(f.WindowId, out var c))
            {
                continue;
            }
            var window = columns[c];
            var band = f.Psi is { } psi ? "psi-" + Band(psi) : "psi-none";
            var title = $"{f.Feature} · {Time(window.StartsAt)}–{Time(window.EndsAt)}: {f.Method} {Number(f.Score)} (threshold {Number(f.Threshold)}), "
                + $"{(f.Drifted ? "drift" : "no drift")}, PSI {Number(f.Psi)}";
            cells.Add(new DriftStripCell(Left + c * cellWidth, Top + row[f.Feature] * CellHeight, Math.Max(1, cellWidth - 1), CellHeight - 2,
                band + (f.Drifted ? " drifted" : ""), title, f.Feature, f.WindowId));
        }
        var rows = features.Select((f, i) => new DriftStripLabel(Left - 6, Top + i * CellHeight + CellHeight * 0.65, f, featureHref?.Invoke(f))).ToList();
        // About six time ticks, the first and last window always.
        var step = Math.Max(1, (int)Math.Ceiling(columns.Count / 6.0));
        var ticks = columns.Select((w, i) => (w, i)).Where(p => p.i % step == 0 || p.i == columns.Count - 1)
            .Select(p => new DriftStripLabel(Left + p.i * cellWidth, height - 6, Time(p.w.StartsAt))).ToList();
        if (ticks.Count > 1 && ticks[^1].X - ticks[^2].X < 60)
        {
            ticks.RemoveAt(ticks.Count - 2);
        }
        return new DriftStripLayout(width, height, cells, rows, ticks);
    }

    /// <summary>The PSI band, as Cairn's drift figures name it: stable below 0.1, moderate to 0.25, significant above.</summary>
    public static string Band(double psi) => psi < 0.1 ? "stable" : psi <= 0.25 ? "moderate" : "significant";

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Number(double? value) => value is { } v ? v.ToString("0.####", CultureInfo.InvariantCulture) : "—";
}

/// <summary>
/// A reference and a current profile of one numerical feature as two histograms over the same edges, so that they are
/// drawn side by side on one scale: equal-width bins over the range both cover, filled from each profile's points
/// (exact values or sketch centroids, by weight) or, for a reported histogram, from each bin's mass at its middle.
/// </summary>
public static class SharedHistograms
{
    /// <summary>The two histograms, or null when either profile has no distribution to draw or the range is empty.</summary>
    public static (Histogram Reference, Histogram Current)? Of(FeatureProfile reference, FeatureProfile current, int bins = 20)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        var a = Masses(reference);
        var b = Masses(current);
        if (a.Count == 0 || b.Count == 0)
        {
            return null;
        }
        var low = Math.Min(a.Min(p => p.Value), b.Min(p => p.Value));
        var high = Math.Max(a.Max(p => p.Value), b.Max(p => p.Value));
        if (!(high > low))
        {
            high = low + 1;
        }
        var edges = Enumerable.Range(0, bins + 1).Select(i => i == bins ? high : low + (high - low) * i / bins).ToList();
        return (Fill(a, edges), Fill(b, edges));
    }

    private static List<WeightedValue> Masses(FeatureProfile profile)
    {
        if (profile.Points is { Count: > 0 } points)
        {
            return [.. points];
        }
        if (profile.Histogram is { Counts.Count: > 0 } h && h.Edges.Count == h.Counts.Count + 1)
        {
            return [.. h.Counts.Select((c, i) => new WeightedValue((h.Edges[i] + h.Edges[i + 1]) / 2, c))];
        }
        return [];
    }

    private static Histogram Fill(List<WeightedValue> masses, List<double> edges)
    {
        var bins = edges.Count - 1;
        var counts = new double[bins];
        var width = edges[^1] - edges[0];
        foreach (var m in masses)
        {
            var i = (int)Math.Floor((m.Value - edges[0]) / width * bins);
            counts[Math.Clamp(i, 0, bins - 1)] += m.Weight;
        }
        return new Histogram(edges, [.. counts.Select(c => (long)Math.Round(c))]);
    }
}
