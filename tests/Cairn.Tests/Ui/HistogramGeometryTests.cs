using System.Text.Json;
using Cairn.Lineage;
using Cairn.Server.Ui.Graphics;
using Cairn.Server.Ui.Pages.Lineage;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15: the geometry of the dataset page's histograms and the explorer's node cap.</summary>
[Trait("Store", "none")]
public sealed class HistogramGeometryTests
{
    [Fact]
    public void A_stored_histogram_has_one_bar_per_bin_as_tall_as_its_count_on_a_shared_baseline()
    {
        var plot = HistogramGeometry.FromHistogram(new Histogram([0, 100, 1000, 100000], [400, 500, 100]));

        Assert.Equal(3, plot.Bars.Count);
        Assert.False(plot.Estimated);
        var tallest = plot.Bars[1];
        Assert.Equal(plot.Baseline, tallest.Y + tallest.Height, 6);
        Assert.Equal(0.8, plot.Bars[0].Height / tallest.Height, 6);
        Assert.Equal(0.2, plot.Bars[2].Height / tallest.Height, 6);
        // Bins are drawn equally wide, left to right, inside the plot.
        Assert.True(plot.Bars[0].X < plot.Bars[1].X && plot.Bars[1].X < plot.Bars[2].X);
        Assert.Equal(plot.Bars[0].Width, plot.Bars[2].Width, 6);
        Assert.All(plot.Bars, b => Assert.True(b.X >= 0 && b.X + b.Width <= plot.Width));
        Assert.Equal(["0", "100", "1000", "100k"], plot.Ticks.Select(t => t.Text));
        Assert.Equal("500", plot.YMax);
    }

    [Fact]
    public void Quantiles_become_a_density_whose_bar_areas_are_the_shares_between_them()
    {
        using var min = JsonDocument.Parse("0");
        using var max = JsonDocument.Parse("1000");
        var stats = new ColumnStatistics(Min: min.RootElement.Clone(), Max: max.RootElement.Clone(),
            Quantiles: new Dictionary<string, double> { ["0.5"] = 100, ["0.25"] = 50 });

        var plot = HistogramGeometry.Of(stats)!;

        Assert.True(plot.Estimated);
        Assert.Equal(3, plot.Bars.Count);
        var areas = plot.Bars.Select(b => b.Width * b.Height).ToList();
        // 25% in [0, 50], 25% in [50, 100], 50% in [100, 1000]: areas in the ratio 1 : 1 : 2 (widths lose 1 px of gap each).
        Assert.Equal([0.25, 0.25, 0.5], plot.Bars.Select(b => b.Value));
        Assert.True(plot.Bars[0].Height > plot.Bars[2].Height);
        Assert.Equal(plot.Bars[0].Height, plot.Bars[1].Height, 6);
    }

    [Fact]
    public void A_column_without_a_histogram_or_two_quantiles_has_no_plot()
    {
        Assert.Null(HistogramGeometry.Of(new ColumnStatistics(Count: 10, Nulls: 1)));
        Assert.Null(HistogramGeometry.Of(new ColumnStatistics(Quantiles: new Dictionary<string, double> { ["0.5"] = 3 })));
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(98000, "98k")]
    [InlineData(1250000, "1.25M")]
    [InlineData(0.125, "0.125")]
    [InlineData(-42.5, "-42.5")]
    public void Axis_numbers_are_short_and_culture_invariant(double value, string text) => Assert.Equal(text, HistogramGeometry.Number(value));

    private static GraphNode Node(string id, int depth) => new(id, "dataset", "ns", id, depth, [], []);

    [Fact]
    public void A_neighbourhood_over_the_cap_is_cut_to_the_whole_depths_that_fit()
    {
        var graph = new List<GraphNode> { Node("c", 0) };
        graph.AddRange(Enumerable.Range(0, 10).Select(i => Node($"a{i}", 1)));
        graph.AddRange(Enumerable.Range(0, 100).Select(i => Node($"b{i}", 2)));

        var (nodes, shown) = LineageViews.Cap(graph, 2, max: 50);
        Assert.Equal(1, shown);
        Assert.Equal(11, nodes.Count);

        var (few, partial) = LineageViews.Cap(graph, 2, max: 5);
        Assert.Equal(0, partial);
        Assert.Equal(["c", "a0", "a1", "a2", "a3"], few.Select(n => n.Id));

        var (all, depth) = LineageViews.Cap(graph, 2, max: 300);
        Assert.Equal(2, depth);
        Assert.Equal(111, all.Count);
    }
}
