using Cairn.Monitoring;
using Cairn.Server.Ui.Graphics;

namespace Cairn.Tests.Ui;

/// <summary>The monitoring page's graphics: the drift heat strip's layout and the shared-edge histograms of a feature.</summary>
public sealed class MonitoringGeometryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    private static DriftStripWindow Window(string id, int hour) => new(id, T0.AddHours(hour), T0.AddHours(hour + 1));

    [Fact]
    public void The_strip_has_a_row_per_feature_sorted_and_a_column_per_window_oldest_first()
    {
        var layout = DriftHeatStrip.Of(
            [Window("w2", 2), Window("w0", 0), Window("w1", 1)],
            [
                new("w0", "income", "ks", 0.5, 0.05, false, 0.02),
                new("w2", "age", "ks", 0.001, 0.05, true, 0.31),
                new("w1", "age", "wasserstein", 0.12, 0.1, true, 0.18),
            ],
            f => "/monitoring/d?feature=" + f);
        Assert.Equal(["age", "income"], layout.Rows.Select(r => r.Text));
        Assert.Equal("/monitoring/d?feature=age", layout.Rows[0].Href);
        var cells = layout.Cells.ToDictionary(c => (c.Feature, c.WindowId));
        // Oldest window left: w0 < w1 < w2 in x; age above income in y.
        Assert.True(cells[("income", "w0")].X < cells[("age", "w1")].X && cells[("age", "w1")].X < cells[("age", "w2")].X);
        Assert.True(cells[("age", "w1")].Y < cells[("income", "w0")].Y);
        Assert.Equal("psi-significant drifted", cells[("age", "w2")].Class);
        Assert.Equal("psi-moderate drifted", cells[("age", "w1")].Class);
        Assert.Equal("psi-stable", cells[("income", "w0")].Class);
        Assert.Contains("age · 12-06 02:00–12-06 03:00: ks 0.001 (threshold 0.05), drift, PSI 0.31", cells[("age", "w2")].Title, StringComparison.Ordinal);
        Assert.Equal(3, layout.Cells.Count);
        Assert.True(layout.Width <= DriftHeatStrip.MaxWidth + 8);
    }

    [Theory]
    [InlineData(0.0999, "stable")]
    [InlineData(0.1, "moderate")]
    [InlineData(0.25, "moderate")]
    [InlineData(0.2501, "significant")]
    public void Psi_bands_match_the_drift_figures(double psi, string band) => Assert.Equal(band, DriftHeatStrip.Band(psi));

    [Fact]
    public void Many_windows_share_the_width_and_get_about_six_ticks()
    {
        var windows = Enumerable.Range(0, 200).Select(i => Window($"w{i}", i)).ToList();
        var layout = DriftHeatStrip.Of(windows, [.. windows.Select(w => new DriftStripFigure(w.Id, "age", "ks", 0.5, 0.05, false, 0.01))]);
        Assert.True(layout.Cells.All(c => c.Width >= 1));
        Assert.InRange(layout.Ticks.Count, 2, 8);
        Assert.Equal(DriftHeatStrip.Left, layout.Ticks[0].X);
    }

    [Fact]
    public void Reference_and_current_are_binned_over_the_same_edges_covering_both()
    {
        var reference = new FeatureProfile("age", FeatureKind.Numerical, 4, Points: [new(0, 1), new(10, 3)], Exact: true);
        var current = new FeatureProfile("age", FeatureKind.Numerical, 3, Points: [new(5, 1), new(20, 2)], Exact: true);
        var (r, c) = SharedHistograms.Of(reference, current, bins: 4)!.Value;
        Assert.Equal([0, 5, 10, 15, 20], r.Edges);
        Assert.Equal(r.Edges, c.Edges);
        Assert.Equal([1, 0, 3, 0], r.Counts);
        // The largest value falls in the last bin (closed on the right).
        Assert.Equal([0, 1, 0, 2], c.Counts);
    }

    [Fact]
    public void A_reported_histogram_counts_each_bin_at_its_middle_and_a_profile_without_distribution_draws_nothing()
    {
        var reported = new FeatureProfile("x", FeatureKind.Numerical, 10, Histogram: new Cairn.Lineage.Histogram([0, 2, 4], [4, 6]));
        var points = new FeatureProfile("x", FeatureKind.Numerical, 2, Points: [new(1, 1), new(3, 1)], Exact: true);
        var (r, _) = SharedHistograms.Of(reported, points, bins: 2)!.Value;
        Assert.Equal([1, 2, 3], r.Edges);
        Assert.Equal([4, 6], r.Counts);
        Assert.Null(SharedHistograms.Of(new FeatureProfile("x", FeatureKind.Numerical, 0), points));
    }
}
