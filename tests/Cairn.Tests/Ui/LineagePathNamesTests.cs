using System.Net;
using Cairn.Tests.Api;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15: the path view takes a node's name (or part of it) as well as its id, and offers a choice when a name is ambiguous.</summary>
public sealed class LineagePathNamesTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static string Q(string value) => Uri.EscapeDataString(value);

    [Fact]
    public async Task A_dataset_named_by_its_table_name_finds_the_path_to_the_model_version()
    {
        var p = await LineagePipeline.RecordAsync(app);

        var html = await app.Browser().PageAsync($"/lineage/path?from={Q(p.SourceName.ToUpperInvariant())}&to={Q(p.ModelVersion)}");

        Assert.Contains("One shortest path of 4 edges.", html, StringComparison.Ordinal);
        Assert.Contains("class=\"node dataset current hl\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_matching_several_nodes_lists_them_as_links_and_an_unknown_name_is_not_found()
    {
        var p = await LineagePipeline.RecordAsync(app);
        var browser = app.Browser();

        var several = await browser.PageAsync($"/lineage/path?from={Q(p.Suffix)}&to={Q(p.ModelVersion)}");
        using var unknown = await browser.GetAsync($"/lineage/path?from={Q($"no-such-node-{Guid.NewGuid():N}")}&to={Q(p.ModelVersion)}");

        Assert.Contains("matches several nodes; choose the start", several, StringComparison.Ordinal);
        Assert.Contains($"href=\"/lineage/path?from={Q(p.Source)}&amp;to={Q(p.ModelVersion)}\"", several, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("No lineage node has an id, name or namespace containing", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
