using Cairn.Server.Ui.Graphics;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15: the arithmetic of the server-drawn charts: ticks, scales, skipped values, downsampling.</summary>
[Trait("Store", "none")]
public sealed class ChartGeometryTests
{
    [Theory]
    [InlineData(0, 10, new[] { 0d, 2, 4, 6, 8, 10 })]
    [InlineData(0.13, 0.87, new[] { 0d, 0.2, 0.4, 0.6, 0.8, 1 })]
    [InlineData(0.31, 0.39, new[] { 0.3, 0.32, 0.34, 0.36, 0.38, 0.4 })]
    [InlineData(-3, 47, new[] { -10d, 0, 10, 20, 30, 40, 50 })]
    [InlineData(0, 999, new[] { 0d, 200, 400, 600, 800, 1000 })]
    public void Ticks_are_round_numbers_covering_the_values(double min, double max, double[] expected)
    {
        var ticks = ChartMath.NiceTicks(min, max);
        Assert.Equal(expected, ticks);
        Assert.True(ticks[0] <= min && ticks[^1] >= max);
    }

    [Fact]
    public void One_value_gets_ticks_either_side_of_it()
    {
        var ticks = ChartMath.NiceTicks(5, 5);
        Assert.True(ticks[0] < 5 && ticks[^1] > 5);
        Assert.Equal([-1d, -0.5, 0, 0.5, 1], ChartMath.NiceTicks(0, 0));
    }

    [Fact]
    public void Tick_labels_have_the_decimals_their_step_needs()
    {
        Assert.Equal("0.3", ChartMath.FormatTick(0.30000000000000004, 0.1));
        Assert.Equal("200", ChartMath.FormatTick(200, 200));
        Assert.Equal("0.25", ChartMath.FormatTick(0.25, 0.05));
        Assert.Equal("1.5E+6", ChartMath.FormatTick(1_500_000, 500_000));
    }

    [Fact]
    public void A_scale_maps_the_domain_onto_the_pixels_and_a_y_axis_runs_upwards()
    {
        var y = new LinearScale(0, 10, 200, 0);
        Assert.Equal(200, y.Map(0));
        Assert.Equal(0, y.Map(10));
        Assert.Equal(100, y.Map(5));
        Assert.Equal(50, new LinearScale(3, 3, 0, 100).Map(3));
    }

    [Fact]
    public void The_chart_spans_its_ticks_and_places_points_inside_the_plot()
    {
        var chart = new LineChart { Series = [new ChartSeries("loss", [new(0, 1), new(1, 0.5), new(2, 0.25)])], Width = 600, Height = 300 };
        var layout = chart.Compute();
        Assert.Equal(0, layout.X.DomainMin);
        Assert.Equal(2, layout.X.DomainMax);
        Assert.Equal(["0.2", "0.4", "0.6", "0.8", "1.0"], layout.YTicks.Select(t => t.Label));
        foreach (var point in layout.Lines[0].Points)
        {
            var (px, py) = (layout.X.Map(point.X), layout.Y.Map(point.Y));
            Assert.InRange(px, 0, 600);
            Assert.InRange(py, 0, 300);
        }
        // Larger values are higher up.
        Assert.True(layout.Y.Map(1) < layout.Y.Map(0.25));
    }

    [Fact]
    public void NaN_and_infinite_values_are_skipped_and_counted()
    {
        var chart = new LineChart
        {
            Series = [new ChartSeries("m", [new(0, 1), new(1, double.NaN), new(2, double.PositiveInfinity), new(3, double.NegativeInfinity), new(4, 2)])],
        };
        var layout = chart.Compute();
        Assert.Equal(3, layout.Skipped);
        Assert.Equal([new ChartPoint(0, 1), new ChartPoint(4, 2)], layout.Lines[0].Points);
        Assert.All(layout.YTicks, t => Assert.True(double.IsFinite(t.Value)));
    }

    [Fact]
    public void A_single_point_is_drawn_in_the_middle_of_sensible_axes()
    {
        var layout = new LineChart { Series = [new ChartSeries("auc", [new(0, 0.9)])] }.Compute();
        Assert.Single(layout.Lines[0].Markers);
        Assert.True(layout.Y.DomainMin < 0.9 && layout.Y.DomainMax > 0.9);
        Assert.True(layout.X.DomainMin < 0 && layout.X.DomainMax > 0);
    }

    [Fact]
    public void A_series_with_only_bad_values_or_none_still_has_axes()
    {
        var layout = new LineChart { Series = [new ChartSeries("empty", []), new ChartSeries("nan", [new(0, double.NaN)])] }.Compute();
        Assert.NotEmpty(layout.XTicks);
        Assert.NotEmpty(layout.YTicks);
        Assert.All(layout.Lines, l => Assert.Empty(l.Points));
    }

    [Fact]
    public void Ten_thousand_points_are_downsampled_keeping_the_extremes()
    {
        var points = Enumerable.Range(0, 10_000).Select(i => new ChartPoint(i, Math.Sin(i / 100d))).ToList();
        points[4321] = new ChartPoint(4321, 50);
        points[7777] = new ChartPoint(7777, -50);
        var layout = new LineChart { Series = [new ChartSeries("noisy", points)] }.Compute();
        var kept = layout.Lines[0].Points;

        Assert.InRange(kept.Count, 2, LineChart.MaxPointsPerSeries);
        Assert.Contains(new ChartPoint(4321, 50), kept);
        Assert.Contains(new ChartPoint(7777, -50), kept);
        Assert.Equal(kept.OrderBy(p => p.X), kept);
        Assert.InRange(layout.Lines[0].Markers.Count, 1, LineChart.MaxMarkersPerSeries);
    }

    [Fact]
    public void Downsampling_leaves_short_series_alone()
    {
        var points = Enumerable.Range(0, 10).Select(i => new ChartPoint(i, i)).ToList();
        Assert.Same(points, ChartMath.Downsample(points, 1000));
    }

    [Fact]
    public void A_scatter_leaves_out_items_without_finite_values()
    {
        var layout = new ScatterChart
        {
            Points = [new("a", 0.01, 0.9, 0), new("b", 0.1, double.NaN, 1), new("c", double.PositiveInfinity, 0.5, 2), new("d", 0.05, 0.8, 3)],
        }.Compute();
        Assert.Equal(["a", "d"], layout.Shown.Select(p => p.Label));
        Assert.True(layout.X.DomainMin <= 0.01 && layout.X.DomainMax >= 0.05);
    }

    [Fact]
    public void Values_are_formatted_invariantly_with_nan_and_infinity_spelled_out()
    {
        Assert.Equal("0.123457", ChartMath.Format(0.1234567));
        Assert.Equal("42", ChartMath.Format(42));
        Assert.Equal("NaN", ChartMath.Format(double.NaN));
        Assert.Equal("∞", ChartMath.Format(double.PositiveInfinity));
        Assert.Equal("12.5", ChartMath.Px(12.46));
    }
}
