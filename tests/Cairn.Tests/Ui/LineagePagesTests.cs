using System.Net;
using System.Text;
using Cairn.Tests.Api;
using Xunit.Abstractions;

namespace Cairn.Tests.Ui;

/// <summary>
/// Issue 15: the lineage explorer (<c>/lineage</c>) and the path view (<c>/lineage/path</c>) over a graph recorded from
/// OpenLineage events (dataset → job → dataset → model version), on SQLite and PostgreSQL.
/// </summary>
public sealed class LineagePagesTests(CairnApp app, ITestOutputHelper output) : IClassFixture<CairnApp>
{
    private static string Q(string value) => Uri.EscapeDataString(value);

    /// <summary>The explorer's link to a node, as Razor writes it in an attribute.</summary>
    private static string Link(string node, int depth, string? dir = null) =>
        "href=\"/lineage?node=" + Q(node) + "&amp;depth=" + depth + (dir is null ? "" : "&amp;dir=" + dir) + "\"";

    [Fact]
    public async Task The_explorer_draws_the_graph_around_a_dataset_with_each_node_a_link_that_recentres_it()
    {
        var p = await LineagePipeline.RecordAsync(app);

        var html = await app.Browser().PageAsync($"/lineage?node={Q(p.Raw)}&depth=2");

        Assert.Contains("<svg class=\"lineage-graph\"", html, StringComparison.Ordinal);
        // Upstream the run that wrote it, its job and what it read; downstream the training run and its model version.
        foreach (var node in new[] { p.Source, $"run:{p.IngestRun}", p.IngestJob, $"run:{p.TrainRun}", p.ModelVersion })
        {
            Assert.Contains(Link(node, 2), html, StringComparison.Ordinal);
        }
        Assert.Contains("class=\"node dataset current\"", html, StringComparison.Ordinal);
        Assert.Contains("class=\"node model\"", html, StringComparison.Ordinal);
        Assert.Contains("marker-end=\"url(#lineage-arrow)\"", html, StringComparison.Ordinal);
        // The side panel: the dataset's schema and a link to its page.
        Assert.Contains("claim_id", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/datasets/view?ns=" + Q(p.RawNamespace) + "&amp;name=" + Q(LineagePipeline.RawName) + "\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Depth_and_direction_are_kept_in_every_link_and_bound_the_graph()
    {
        var p = await LineagePipeline.RecordAsync(app);
        var browser = app.Browser();

        var near = await browser.PageAsync($"/lineage?node={Q(p.Raw)}&depth=1&dir=down");

        Assert.Contains(Link($"run:{p.TrainRun}", 1, "down"), near, StringComparison.Ordinal);
        Assert.DoesNotContain(Link(p.ModelVersion, 1, "down"), near, StringComparison.Ordinal);
        Assert.DoesNotContain(Link($"run:{p.IngestRun}", 1, "down"), near, StringComparison.Ordinal);
        // The depth control links to the same node and direction at each depth; the current one is marked.
        Assert.Contains(Link(p.Raw, 3, "down"), near, StringComparison.Ordinal);
        Assert.Contains(Link(p.Raw, 1, "down") + " class=\"current\"", near, StringComparison.Ordinal);

        var recentred = await browser.PageAsync($"/lineage?node={Q($"run:{p.TrainRun}")}&depth=1&dir=down");
        Assert.Contains(Link(p.ModelVersion, 1, "down"), recentred, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_panel_of_a_model_version_links_to_its_page_and_a_run_shows_its_state_and_inputs()
    {
        var p = await LineagePipeline.RecordAsync(app);
        var browser = app.Browser();

        var model = await browser.PageAsync($"/lineage?node={Q(p.ModelVersion)}&depth=2");
        Assert.Contains($"href=\"/models/{p.Model}/versions/1\"", model, StringComparison.Ordinal);
        Assert.Contains(Link(p.Raw, 2), model, StringComparison.Ordinal);

        var run = await browser.PageAsync($"/lineage?node={Q($"run:{p.TrainRun}")}&depth=1");
        Assert.Contains("badge complete", run, StringComparison.Ordinal);
        Assert.Contains("claims.train", run, StringComparison.Ordinal);

        var job = await browser.PageAsync($"/lineage?node={Q(p.IngestJob)}&depth=1");
        Assert.Contains(Link($"run:{p.IngestRun}", 1), job, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_search_box_finds_a_node_by_part_of_its_name()
    {
        var p = await LineagePipeline.RecordAsync(app);

        var html = await app.Browser().PageAsync($"/lineage?q={Q("claims_" + p.Suffix)}");

        Assert.Contains("href=\"/lineage?node=" + Q(p.Source) + "\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/lineage?node=" + Q(p.Raw) + "\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_node_is_a_404_page_and_a_bad_depth_a_400_saying_why()
    {
        var browser = app.Browser();

        using var missing = await browser.GetAsync($"/lineage?node={Q("dataset:nowhere:nothing")}");
        var missingHtml = await missing.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("does not exist", missingHtml, StringComparison.Ordinal);
        Assert.Contains("<nav class=\"breadcrumb\"", missingHtml, StringComparison.Ordinal);

        using var deep = await browser.GetAsync($"/lineage?node={Q("dataset:nowhere:nothing")}&depth=99");
        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
        Assert.Contains("&#x27;depth&#x27; must be between 1 and 20", await deep.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_path_view_shows_the_shortest_path_from_the_source_table_to_the_model_version_either_way_round()
    {
        var p = await LineagePipeline.RecordAsync(app);
        var browser = app.Browser();

        var html = await browser.PageAsync($"/lineage/path?from={Q(p.Source)}&to={Q(p.ModelVersion)}");

        Assert.Contains("One shortest path of 4 edges.", html, StringComparison.Ordinal);
        Assert.Contains("class=\"node dataset current hl\"", html, StringComparison.Ordinal);
        Assert.Contains("class=\"node model hl\"", html, StringComparison.Ordinal);
        foreach (var node in new[] { p.Source, $"run:{p.IngestRun}", p.Raw, $"run:{p.TrainRun}", p.ModelVersion })
        {
            Assert.Contains("href=\"/lineage?node=" + Q(node) + "\"", html, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(Q(p.IngestJob), html, StringComparison.Ordinal);

        var back = await browser.PageAsync($"/lineage/path?from={Q(p.ModelVersion)}&to={Q(p.Source)}");
        Assert.Contains("Nothing leads from the first node to the second", back, StringComparison.Ordinal);

        // The source table and the ingest job both feed the ingest run; neither leads to the other.
        using var none = await browser.GetAsync($"/lineage/path?from={Q(p.Source)}&to={Q(p.IngestJob)}");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Contains("No lineage path leads", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_three_hundred_node_neighbourhood_is_drawn_whole_and_a_larger_one_is_cut_with_a_note()
    {
        // A hub feeding 9 layers of 33 datasets, each fed by two of the layer before: 298 nodes downstream of the hub.
        var p = Guid.NewGuid().ToString("N")[..8];
        string Id(int layer, int i) => $"dataset:big-{p}:n{layer}-{i}";
        var hub = $"dataset:big-{p}:hub";
        var random = new Random(11);
        var nodes = new List<string> { hub };
        var edges = new HashSet<(string, string)>();
        for (var layer = 0; layer < 9; layer++)
        {
            for (var i = 0; i < 33; i++)
            {
                nodes.Add(Id(layer, i));
                edges.Add(layer == 0 ? (hub, Id(0, i)) : (Id(layer - 1, random.Next(33)), Id(layer, i)));
                if (layer > 0)
                {
                    edges.Add((Id(layer - 1, random.Next(33)), Id(layer, i)));
                }
            }
        }
        var browser = app.Browser();
        await browser.PageAsync("/lineage"); // the store exists once the app has started
        var sql = new StringBuilder("INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at) VALUES ");
        sql.AppendJoin(", ", nodes.Select(n => $"('{n}', 'dataset', 'big-{p}', '{n[(n.LastIndexOf(':') + 1)..]}', 0, 0)"));
        sql.Append("; INSERT INTO lineage_edges (source, target, kind, created_at) VALUES ");
        sql.AppendJoin(", ", edges.Select(e => $"('{e.Item1}', '{e.Item2}', 'feeds', 0)"));
        await app.ExecuteSqlAsync(sql.ToString());
        await browser.PageAsync($"/lineage?node={Q(hub)}&depth=1"); // warm up

        using var response = await browser.GetAsync($"/lineage?node={Q(hub)}&depth=10&dir=down");
        var html = await response.Content.ReadAsStringAsync();
        var serverTime = response.Headers.GetValues("Server-Timing").Single();
        output.WriteLine($"{nodes.Count} nodes, {edges.Count} edges: {serverTime}, {html.Length / 1024} KiB of HTML");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(nodes.Count, System.Text.RegularExpressions.Regex.Count(html, "<g class=\"node dataset"));
        Assert.DoesNotContain("more than the 300 drawn", html, StringComparison.Ordinal);

        // With 12 more nodes beyond the last layer the walk holds 310: the page draws the depths that fit and says so.
        var extra = Enumerable.Range(0, 12).Select(i => $"dataset:big-{p}:x{i}").ToList();
        await app.ExecuteSqlAsync(
            "INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at) VALUES " + string.Join(", ", extra.Select(n => $"('{n}', 'dataset', 'big-{p}', 'x', 0, 0)")) +
            "; INSERT INTO lineage_edges (source, target, kind, created_at) VALUES " + string.Join(", ", extra.Select(n => $"('{Id(8, 0)}', '{n}', 'feeds', 0)")));
        var capped = await browser.PageAsync($"/lineage?node={Q(hub)}&depth=10&dir=down");
        Assert.Contains("more than the 300 drawn at once", capped, StringComparison.Ordinal);
        Assert.Contains("showing depth 9 (298 nodes)", capped, StringComparison.Ordinal);
        Assert.Equal(298, System.Text.RegularExpressions.Regex.Count(capped, "<g class=\"node dataset"));
    }

    [Fact]
    public async Task Without_a_node_the_explorer_lists_nodes_to_start_from()
    {
        var p = await LineagePipeline.RecordAsync(app);

        var html = await app.Browser().PageAsync($"/lineage?q={Q(p.Suffix)}");

        Assert.Contains("Nodes matching", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/lineage?node=" + Q(p.Raw), html, StringComparison.Ordinal);
        Assert.Contains("href=\"/lineage?node=" + Q(p.ModelVersion), html, StringComparison.Ordinal);
    }
}

/// <summary>An empty store: the explorer says how to send OpenLineage events.</summary>
public sealed class LineageEmptyPageTests(CairnApp app) : IClassFixture<CairnApp>
{
    [Fact]
    public async Task An_empty_store_says_how_to_send_openlineage_events()
    {
        var html = await app.Browser().PageAsync("/lineage");

        Assert.Contains("No lineage yet.", html, StringComparison.Ordinal);
        Assert.Contains("/api/v1/lineage", html, StringComparison.Ordinal);
        Assert.Contains("endpoint: api/v1/lineage", html, StringComparison.Ordinal);

        var datasets = await app.Browser().PageAsync("/datasets");
        Assert.Contains("No datasets yet.", datasets, StringComparison.Ordinal);
    }
}
