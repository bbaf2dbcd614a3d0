using System.Diagnostics;
using Cairn.Server.Ui.Graphics;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15: the lineage explorer's layout (MSAGL, left to right) as geometry.</summary>
[Trait("Store", "none")]
public sealed class LineageLayoutTests(ITestOutputHelper output)
{
    private static LayoutBox Box(string id) => new(id, LineageSvg.NodeWidth, LineageSvg.NodeHeight);

    /// <summary>A pipeline-shaped graph: <paramref name="layers"/> columns of <paramref name="perLayer"/> nodes, each fed by two of the column before.</summary>
    public static (List<LayoutBox> Boxes, List<(string, string)> Edges) Layered(int layers, int perLayer, int seed = 7)
    {
        var random = new Random(seed);
        var boxes = new List<LayoutBox>();
        var edges = new List<(string, string)>();
        for (var layer = 0; layer < layers; layer++)
        {
            for (var i = 0; i < perLayer; i++)
            {
                boxes.Add(Box($"n{layer}-{i}"));
                if (layer > 0)
                {
                    edges.Add(($"n{layer - 1}-{random.Next(perLayer)}", $"n{layer}-{i}"));
                    edges.Add(($"n{layer - 1}-{random.Next(perLayer)}", $"n{layer}-{i}"));
                }
            }
        }
        return (boxes, edges);
    }

    private static void AssertNoOverlap(GraphLayout layout)
    {
        var boxes = layout.Boxes.OrderBy(b => b.X).ToList();
        for (var i = 0; i < boxes.Count; i++)
        {
            for (var j = i + 1; j < boxes.Count && boxes[j].X < boxes[i].Right; j++)
            {
                var (a, b) = (boxes[i], boxes[j]);
                Assert.False(a.Y < b.Bottom && b.Y < a.Bottom, $"{a.Id} and {b.Id} overlap: {a} {b}");
            }
        }
    }

    /// <summary>The graph's SVG as the page renders it.</summary>
    public static async Task<string> RenderAsync(GraphLayout layout, IReadOnlyDictionary<string, LineageSvg.NodeView> views, string? current)
    {
        await using var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        await using var renderer = new HtmlRenderer(services, services.GetRequiredService<ILoggerFactory>());
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<LineageSvg>(ParameterView.FromDictionary(new Dictionary<string, object?>
            {
                [nameof(LineageSvg.Layout)] = layout,
                [nameof(LineageSvg.Views)] = views,
                [nameof(LineageSvg.Current)] = current,
            }));
            return output.ToHtmlString();
        });
    }

    [Fact]
    public async Task Node_text_is_encoded_and_long_names_are_cut_with_the_whole_name_as_title()
    {
        var name = "<script>alert(1)</script>/warehouse/a/very/long/table/name/indeed";
        var layout = LineageLayout.LeftToRight([Box("x")], []);
        var svg = await RenderAsync(layout, new Dictionary<string, LineageSvg.NodeView> { ["x"] = new("dataset", name, "s3://b", name, "/lineage?node=x&a=1") }, "x");

        Assert.DoesNotContain("<script>", svg, StringComparison.Ordinal);
        Assert.Contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;/warehouse/a/very/long/table/name/indeed</title>", svg, StringComparison.Ordinal);
        Assert.Contains("&#x2026;", svg, StringComparison.Ordinal); // the ellipsis, encoded
        Assert.Contains("href=\"/lineage?node=x&amp;a=1\"", svg, StringComparison.Ordinal);
        Assert.Contains("class=\"node dataset current\"", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chain_runs_left_to_right_in_edge_order()
    {
        var layout = LineageLayout.LeftToRight(
            [Box("dataset:raw"), Box("run:1"), Box("dataset:features"), Box("run:2"), Box("model:m:1")],
            [("dataset:raw", "run:1"), ("run:1", "dataset:features"), ("dataset:features", "run:2"), ("run:2", "model:m:1")]);

        var x = layout.Boxes.ToDictionary(b => b.Id, b => b.X);
        Assert.True(x["dataset:raw"] < x["run:1"] && x["run:1"] < x["dataset:features"] && x["dataset:features"] < x["run:2"] && x["run:2"] < x["model:m:1"],
            string.Join(", ", x.Select(p => $"{p.Key}={p.Value}")));
        Assert.Equal(4, layout.Edges.Count);
        Assert.All(layout.Edges, e => Assert.StartsWith("M", e.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_edge_of_a_dag_points_rightwards_and_no_boxes_overlap()
    {
        var (boxes, edges) = Layered(6, 8);
        var layout = LineageLayout.LeftToRight(boxes, edges);

        var byId = layout.Boxes.ToDictionary(b => b.Id);
        Assert.All(edges, e => Assert.True(byId[e.Item1].Right <= byId[e.Item2].X, $"{e.Item1} → {e.Item2} does not point right"));
        AssertNoOverlap(layout);
        Assert.All(layout.Boxes, b => Assert.True(b.X >= 0 && b.Y >= 0 && b.Right <= layout.Width && b.Bottom <= layout.Height, $"{b} is outside {layout.Width}×{layout.Height}"));
    }

    [Fact]
    public void A_cycle_a_lone_node_and_duplicate_edges_are_laid_out_too()
    {
        var layout = LineageLayout.LeftToRight(
            [Box("a"), Box("b"), Box("c"), Box("alone")],
            [("a", "b"), ("b", "c"), ("c", "a"), ("a", "b"), ("a", "a"), ("a", "missing")]);

        Assert.Equal(4, layout.Boxes.Count);
        Assert.Equal(3, layout.Edges.Count);
        AssertNoOverlap(layout);
    }

    /// <summary>
    /// The CPU time of the current thread (Linux: /proc/thread-self/stat, in clock ticks of 10 ms), so that a test measures
    /// the layout's own work and not the load of the machine it shares; null elsewhere.
    /// </summary>
    private static TimeSpan? ThreadCpu()
    {
        const string stat = "/proc/thread-self/stat";
        if (!File.Exists(stat))
        {
            return null;
        }
        // Fields after the command (which ends with ')'): state is field 3, utime 14, stime 15.
        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    [Fact]
    public async Task Three_hundred_nodes_are_laid_out_and_drawn_well_within_a_second()
    {
        var (boxes, edges) = Layered(10, 30);
        LineageLayout.LeftToRight(boxes.Take(20).ToList(), edges.Take(20)); // warm up the JIT

        var cpu = ThreadCpu();
        var clock = Stopwatch.StartNew();
        var layout = LineageLayout.LeftToRight(boxes, edges);
        var laidOut = clock.Elapsed;
        var layoutCpu = ThreadCpu() - cpu;
        var svg = await RenderAsync(layout, boxes.ToDictionary(b => b.Id, b => new LineageSvg.NodeView("dataset", b.Id, "ns", b.Id, "/lineage?node=" + b.Id)), "n0-0");
        var total = clock.Elapsed;
        output.WriteLine($"300 nodes, {edges.Count} edges: layout {laidOut.TotalMilliseconds:0} ms ({layoutCpu?.TotalMilliseconds:0} ms of CPU), " +
            $"layout + SVG {total.TotalMilliseconds:0} ms, {svg.Length / 1024} KiB, {layout.Width:0}×{layout.Height:0} px");

        Assert.Equal(300, layout.Boxes.Count);
        AssertNoOverlap(layout);
        // The layout's own work, whatever else the machine runs; wall-clock only as a bound against a runaway.
        Assert.True((layoutCpu ?? laidOut) < TimeSpan.FromSeconds(1), $"300 nodes took {(layoutCpu ?? laidOut).TotalMilliseconds:0} ms");
        Assert.True(total < TimeSpan.FromSeconds(30), $"300 nodes took {total.TotalMilliseconds:0} ms of wall-clock time");
    }
}
