using System.Net;
using Cairn.Tests.Api;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15: the datasets list (<c>/datasets</c>) and a dataset's page, on SQLite and PostgreSQL.</summary>
public sealed class DatasetPagesTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static string Q(string value) => Uri.EscapeDataString(value);

    private static string DatasetUrl(string ns, string name) => $"/datasets/view?ns={Q(ns)}&name={Q(name)}";

    [Fact]
    public async Task The_list_finds_datasets_by_text_and_links_each_to_its_page()
    {
        var p = await LineagePipeline.RecordAsync(app);

        var html = await app.Browser().PageAsync($"/datasets?q={Q(p.Suffix)}");

        Assert.Contains("href=\"/datasets/view?ns=" + Q(p.RawNamespace) + "&amp;name=" + Q(LineagePipeline.RawName) + "\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/datasets/view?ns=" + Q(LineagePipeline.SourceNamespace) + "&amp;name=" + Q(p.SourceName) + "\"", html, StringComparison.Ordinal);
        Assert.Contains(p.RawNamespace, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_filter_is_shown_by_the_field_and_a_search_without_match_says_so()
    {
        var browser = app.Browser();

        var bad = await browser.PageAsync("/datasets?filter=" + Q("nonsense = "));
        Assert.Contains("role=\"alert\"", bad, StringComparison.Ordinal);
        Assert.Contains("aria-invalid=\"true\"", bad, StringComparison.Ordinal);

        var none = await browser.PageAsync("/datasets?q=" + Q("no-such-dataset-" + Guid.NewGuid()));
        Assert.Contains("No dataset matches this search.", none, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_datasets_page_has_its_schema_versions_facets_statistics_and_a_link_to_the_explorer()
    {
        var p = await LineagePipeline.RecordAsync(app);

        var html = await app.Browser().PageAsync(DatasetUrl(p.RawNamespace, LineagePipeline.RawName));

        Assert.Contains("<title>claims · Datasets · Cairn</title>".Replace("claims", LineagePipeline.RawName, StringComparison.Ordinal), html, StringComparison.Ordinal);
        Assert.Contains("The claim&#x27;s number", html, StringComparison.Ordinal);
        Assert.Contains(">double<", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/lineage?node=" + Q(p.Raw) + "&amp;depth=2\"", html, StringComparison.Ordinal);
        // The facets as sent, kept whole and collapsed.
        Assert.Contains("<details class=\"facet\">", html, StringComparison.Ordinal);
        Assert.Contains("SchemaDatasetFacet", html, StringComparison.Ordinal);
        // The quality metrics of the training run's read, drawn as a density estimated from the quantiles.
        Assert.Contains("Estimated from quantiles", html, StringComparison.Ordinal);
        Assert.Contains("<rect class=\"bar series-1\"", html, StringComparison.Ordinal);
        Assert.Contains("870", html, StringComparison.Ordinal);
        // The version the ingest run wrote, linked to the run in the explorer.
        Assert.Contains("href=\"/lineage?node=" + Q($"run:{p.IngestRun}") + "&amp;depth=2\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_histogram_is_drawn_one_bar_per_bin_with_its_range_and_count()
    {
        var p = await LineagePipeline.RecordAsync(app);
        await p.AddHistogramAsync(app);

        var html = await app.Browser().PageAsync(DatasetUrl(p.RawNamespace, LineagePipeline.RawName));

        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(html, "<rect class=\"bar series-1\""));
        Assert.Contains("<title>[0, 100): 400</title>", html, StringComparison.Ordinal);
        Assert.Contains("<title>[1000, 100k]: 97</title>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Estimated from quantiles", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_dataset_is_a_404_page_that_says_what_to_do()
    {
        using var response = await app.Browser().GetAsync(DatasetUrl("s3://nowhere", "nothing"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("No such dataset.", html, StringComparison.Ordinal);
        Assert.Contains("<nav class=\"breadcrumb\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_from_events_is_encoded_never_markup()
    {
        using var client = app.CreateClient();
        var name = $"<img src=x onerror=alert(1)>-{Guid.NewGuid():N}";
        await (await client.PostJsonAsync("/api/v1/datasets", new { @namespace = "s3://xss", name, description = "<script>alert(2)</script>" })).ExpectAsync(201);

        var list = await app.Browser().PageAsync("/datasets?q=" + Q(name));
        var page = await app.Browser().PageAsync(DatasetUrl("s3://xss", name));

        Assert.DoesNotContain("<img src=x", list, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(2)", page, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(2)&lt;/script&gt;", page, StringComparison.Ordinal);
    }
}
