using Cairn.Lineage;
using Cairn.Registry;
using Cairn.Server.Ui.Graphics;
using Cairn.Server.Ui.Pages.Models;

namespace Cairn.Tests.Ui;

/// <summary>The model pages' logic without a server: the lineage columns' geometry, comparison rows, number text, markdown.</summary>
[Trait("Store", "none")]
public sealed class ModelPageLogicTests
{
    private static GraphNode Node(string id, IEnumerable<LineageEdge>? inEdges = null, IEnumerable<LineageEdge>? outEdges = null)
    {
        var parsed = NodeIds.Parse(id);
        return new GraphNode(id, parsed.Kind, parsed.Namespace, parsed.Name, 0, (inEdges ?? []).ToList(), (outEdges ?? []).ToList());
    }

    [Fact]
    public void Upstream_goes_left_downstream_right_and_the_version_in_the_middle_column_centred()
    {
        const string center = "model:team.m:3";
        var inputs = new[] { new LineageEdge("dataset:s3://b:train", center, "input"), new LineageEdge("job:etl:prep", center, "output") };
        var outputs = new[] { new LineageEdge(center, "job:serving:score", "input") };
        var layout = LineageColumns.Layout(center, [Node(center, inputs, outputs), Node("dataset:s3://b:train"), Node("job:etl:prep"), Node("job:serving:score")]);

        var self = layout.Boxes.Single(b => b.Current);
        Assert.Equal("team.m v3", self.Label);
        Assert.Equal(LineageColumns.Margin + LineageColumns.BoxWidth + LineageColumns.ColumnGap, self.X);
        var left = layout.Boxes.Where(b => b.X == LineageColumns.Margin).ToList();
        Assert.Equal(["dataset:s3://b:train", "job:etl:prep"], left.Select(b => b.Id));
        var right = Assert.Single(layout.Boxes, b => b.X > self.X);
        Assert.Equal("job:serving:score", right.Id);
        // Two rows high; the single boxes are centred on them.
        Assert.Equal((2 * LineageColumns.Margin) + (2 * LineageColumns.BoxHeight) + LineageColumns.RowGap, layout.Height);
        Assert.Equal(layout.Height / 2, self.Middle);
        Assert.Equal(layout.Height / 2, right.Middle);
        Assert.Equal(3, layout.Curves.Count);
        Assert.StartsWith($"M{LineageColumns.Margin + LineageColumns.BoxWidth:0.#},", layout.Curves[0].Path, StringComparison.Ordinal);
    }

    [Fact]
    public void More_neighbours_than_a_column_holds_are_counted_not_drawn()
    {
        const string center = "model:m:1";
        var sources = Enumerable.Range(0, LineageColumns.MaxPerColumn + 3).Select(i => $"dataset:ns:t{i:00}").ToList();
        var layout = LineageColumns.Layout(center, [Node(center, sources.Select(s => new LineageEdge(s, center, "input"))), .. sources.Select(s => Node(s))]);

        Assert.Equal(LineageColumns.MaxPerColumn + 1, layout.Boxes.Count);
        Assert.Equal(3, layout.HiddenUpstream);
        Assert.Equal(0, layout.HiddenDownstream);
    }

    [Fact]
    public void A_node_alone_is_one_box()
    {
        var layout = LineageColumns.Layout("model:m:1", [Node("model:m:1")]);
        Assert.Single(layout.Boxes);
        Assert.Empty(layout.Curves);
    }

    private static ModelVersion Version(int n, IReadOnlyDictionary<string, double> metrics, IReadOnlyDictionary<string, string> parameters) =>
        new("m", n, null, null, null, null, null, null, "READY", Stage.None, null, null, new Dictionary<string, string>(), null,
            metrics, parameters, new Dictionary<string, string>(), [], DateTimeOffset.UnixEpoch, "ana", DateTimeOffset.UnixEpoch, "ana");

    [Fact]
    public void A_row_differs_when_any_version_has_another_value_or_lacks_the_key()
    {
        var comparison = VersionComparison.Of(
        [
            Version(1, new Dictionary<string, double> { ["acc"] = 0.9, ["loss"] = 0.1 }, new Dictionary<string, string> { ["lr"] = "0.1" }),
            Version(2, new Dictionary<string, double> { ["acc"] = 0.9 }, new Dictionary<string, string> { ["lr"] = "0.2" }),
        ]);
        var metrics = comparison.Sections.Single(s => s.Title == "Metrics").Rows;
        Assert.False(metrics.Single(r => r.Key == "acc").Differs);
        Assert.True(metrics.Single(r => r.Key == "loss").Differs);
        Assert.Equal(["0.1", null], metrics.Single(r => r.Key == "loss").Values);
        Assert.True(comparison.Sections.Single(s => s.Title == "Params").Rows.Single().Differs);
    }

    [Theory]
    [InlineData(0.5, "0.5")]
    [InlineData(0.123456789, "0.123457")]
    [InlineData(12345678.0, "1.23457E+07")]
    [InlineData(2.0, "2")]
    [InlineData(double.NaN, "NaN")]
    public void Metrics_are_written_in_the_invariant_culture_with_six_significant_digits(double value, string text) =>
        Assert.Equal(text, ModelText.Number(value));

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(5L * 1024 * 1024 * 1024, "5.0 GiB")]
    public void Sizes_are_written_in_binary_units(long bytes, string text) => Assert.Equal(text, ModelText.Size(bytes));

    [Theory]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("[x](javascript:alert(1))")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>")]
    [InlineData("[x](data:text/html;base64,PHNjcmlwdD4=)")]
    public void Markdown_never_renders_script_handlers_or_script_links(string markdown)
    {
        var html = ModelMarkdown.Render(markdown).Value;
        // Raw HTML is escaped to text; only a real element's attribute could run.
        Assert.DoesNotMatch("<a [^>]*href=\"(javascript|data):", html);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
    }
}
