using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// Issue 15's "readable at 300 nodes", in Chromium against a real <c>cairn serve</c>: a dataset with 299 nodes within
/// the explorer's default depth (OpenLineage events: 4 ingestion jobs writing it, 54 jobs reading it, two runs each),
/// drawn whole, no two nodes overlapping, every label inside its node, the centre scrolled into view, and the side
/// panel following a click. How fast it is drawn is measured by <c>bench ui-graph</c>, not here.
/// </summary>
[Collection(UiBrowser.Collection)]
public sealed class LargeLineageGraphTests(UiBrowser browser, UiServerFixture fixture) : IClassFixture<UiServerFixture>
{
    private const string Producer = "https://example.com/cairn-large-graph";
    private const int IngestJobs = 4, SourcesPerIngest = 4, Readers = 54, RunsPerJob = 2, OutputsPerReader = 2;

    /// <summary>The centre, its writers' runs, jobs and sources, and its readers' runs, jobs and outputs.</summary>
    private const int Nodes = 1 + (IngestJobs * (RunsPerJob + 1 + SourcesPerIngest)) + (Readers * (RunsPerJob + 1 + OutputsPerReader));

    /// <summary>
    /// Recorded edges (source → run, job → run, run → output) and each job's derived inputs (what its runs read,
    /// decision 0014), the explorer drawing each (source, target) once.
    /// </summary>
    private const int Edges = (IngestJobs * ((RunsPerJob * (SourcesPerIngest + 2)) + SourcesPerIngest)) + (Readers * ((RunsPerJob * (2 + OutputsPerReader)) + 1));

    private static JsonObject Event(string job, JsonArray inputs, JsonArray outputs) => new()
    {
        ["eventType"] = "COMPLETE",
        ["eventTime"] = "2026-12-01T02:00:00Z",
        ["producer"] = Producer,
        ["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        ["run"] = new JsonObject { ["runId"] = Guid.NewGuid().ToString() },
        ["job"] = new JsonObject { ["namespace"] = "airflow://large", ["name"] = job },
        ["inputs"] = inputs,
        ["outputs"] = outputs,
    };

    private static JsonObject Dataset(string ns, string name) => new() { ["namespace"] = ns, ["name"] = name };

    /// <summary>The events of a 299-node neighbourhood around <c>s3://large-&lt;p&gt;:features/claims_daily</c>.</summary>
    private static JsonArray Events(string p)
    {
        var lake = $"s3://large-{p}";
        var events = new JsonArray();
        for (var j = 0; j < IngestJobs; j++)
        {
            for (var r = 0; r < RunsPerJob; r++)
            {
                events.Add(Event($"{p}.ingest_{j}",
                    [.. Enumerable.Range(0, SourcesPerIngest).Select(s => Dataset("postgres://claims-db:5432", $"region_{j}.claims_{p}_{s}"))],
                    [Dataset(lake, "features/claims_daily")]));
            }
        }
        for (var j = 0; j < Readers; j++)
        {
            for (var r = 0; r < RunsPerJob; r++)
            {
                // Long names, as real pipelines have: the boxes must cut them, not overflow.
                events.Add(Event($"{p}.downstream_consumer_of_daily_claim_features_{j:D3}", [Dataset(lake, "features/claims_daily")],
                    [.. Enumerable.Range(0, OutputsPerReader).Select(o => Dataset(lake, $"consumers/{j:D3}/predictions_partitioned_by_day_{o}"))]));
            }
        }
        return events;
    }

    [Fact]
    public async Task A_300_node_neighbourhood_is_drawn_whole_without_overlaps_and_its_side_panel_follows_clicks()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        await fixture.Server.SeedAsync("/api/v1/lineage/batch", Events(p));
        await using var ui = await browser.OpenAsync(fixture.Server.Url);
        var page = ui.Page;

        var centre = $"dataset:s3://large-{p}:features/claims_daily";
        await page.GotoAsync($"/lineage?node={Uri.EscapeDataString(centre)}&depth=2");
        var graph = page.Locator("svg.lineage-graph");
        await graph.Locator(".node.current").WaitForAsync();

        // All of it drawn: the whole neighbourhood, no cap notice, every edge.
        Assert.Equal(299, Nodes);
        Assert.Equal(Nodes, await graph.Locator("g.node").CountAsync());
        Assert.Equal(Edges, await graph.Locator("g.edges path").CountAsync());
        Assert.Contains($"{Nodes} nodes, {Edges} edges", await page.Locator(".lineage-toolbar").TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator(".notice.warn").CountAsync());

        // Readable: no two nodes overlap, each label and sublabel lies inside its node's shape, and every node is a link.
        var geometry = JsonDocument.Parse(await page.EvaluateAsync<string>("""
            () => {
              const nodes = [...document.querySelectorAll("svg.lineage-graph g.node")].map(g => {
                const box = g.querySelector(".shape").getBBox(), at = g.transform.baseVal.consolidate().matrix;
                const texts = [...g.querySelectorAll("text.label, text.sublabel")].map(t => { const b = t.getBBox(); return [b.x, b.y, b.width, b.height]; });
                return { x: at.e + box.x, y: at.f + box.y, w: box.width, h: box.height, texts, link: !!g.closest("a[href]") };
              });
              return JSON.stringify(nodes);
            }
            """)).RootElement.EnumerateArray().Select(n => new
        {
            X = n.GetProperty("x").GetDouble(),
            Y = n.GetProperty("y").GetDouble(),
            W = n.GetProperty("w").GetDouble(),
            H = n.GetProperty("h").GetDouble(),
            Texts = n.GetProperty("texts").EnumerateArray().Select(t => t.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList(),
            Link = n.GetProperty("link").GetBoolean(),
        }).ToList();
        Assert.Equal(Nodes, geometry.Count);
        Assert.All(geometry, n => Assert.True(n.Link));
        var overlaps = new List<string>();
        for (var i = 0; i < geometry.Count; i++)
        {
            for (var j = i + 1; j < geometry.Count; j++)
            {
                var (a, b) = (geometry[i], geometry[j]);
                if (a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H)
                {
                    overlaps.Add($"node {i} at ({a.X},{a.Y}) and node {j} at ({b.X},{b.Y})");
                }
            }
        }
        Assert.True(overlaps.Count == 0, string.Join("; ", overlaps.Take(5)));
        Assert.All(geometry, n => Assert.All(n.Texts, t => Assert.True(t[0] >= 0 && t[0] + t[2] <= n.W && t[1] >= 0 && t[1] + t[3] <= n.H,
            $"a label of {t[2]:F0}x{t[3]:F0} at ({t[0]:F0},{t[1]:F0}) leaves its {n.W}x{n.H} node")));

        // The canvas is scrolled to the centre: it is what the browser finds at its own middle, so a click there opens it.
        Assert.True(await page.EvaluateAsync<bool>("""
            () => {
              const node = document.querySelector("svg.lineage-graph g.node.current"), box = node.getBoundingClientRect();
              const canvas = document.querySelector(".lineage-canvas").getBoundingClientRect();
              const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
              return box.top >= canvas.top && box.bottom <= canvas.bottom && node.contains(hit);
            }
            """));
        var panel = page.Locator(".lineage-panel");
        Assert.Contains("features/claims_daily", await panel.Locator(".panel-title").TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Contains($"{IngestJobs * RunsPerJob} in, {(Readers * RunsPerJob) + Readers} out", await panel.TextContentAsync() ?? "", StringComparison.Ordinal);
        await browser.Screenshot(page, "lineage-explorer-300-nodes", fullPage: false);

        // A reader far down the graph: clicking it re-centres the explorer, and the panel shows the job and its two runs.
        var job = Uri.EscapeDataString($"job:airflow://large:{p}.downstream_consumer_of_daily_claim_features_053");
        await graph.Locator($"a[href='/lineage?node={job}&depth=2']").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains($"node={job}", StringComparison.Ordinal));
        await graph.Locator("g.node.job.current").WaitForAsync();
        Assert.Contains("downstream_consumer_of_daily_claim_features_053", await panel.Locator(".panel-title").TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Equal(RunsPerJob, await panel.Locator("table tbody tr").CountAsync());
        ui.AssertNoConsoleErrors();
    }
}
