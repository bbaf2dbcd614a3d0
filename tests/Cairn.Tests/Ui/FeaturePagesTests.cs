using Cairn.Tests.Api;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15: the features list (<c>/features</c>), on SQLite and PostgreSQL.</summary>
public sealed class FeaturePagesTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static string Q(string value) => Uri.EscapeDataString(value);

    private async Task<string> RecordAsync(string ns)
    {
        var client = app.CreateClient();
        await (await client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "claims_features" })).ExpectAsync(201);
        await (await client.PostJsonAsync("/api/v1/features", new
        {
            @namespace = ns,
            name = "claim_amount_zscore",
            value_type = "float64",
            description = "Claim amount standardised per region",
            dataset = $"dataset:{ns}:claims_features",
            statistics = new { count = 1000, mean = 0.0, stddev = 1.0, histogram = new { edges = new[] { -3.0, 0.0, 3.0 }, counts = new[] { 480, 520 } } },
            tags = new { owner = "risk" },
        })).ExpectAsync(201);
        await (await client.PostJsonAsync("/api/v1/features", new { @namespace = ns, name = "region_code", value_type = "string" })).ExpectAsync(201);
        return $"dataset:{ns}:claims_features";
    }

    [Fact]
    public async Task The_list_shows_each_features_type_source_distribution_and_tags_and_links_to_the_explorer()
    {
        var ns = $"fp-{Guid.NewGuid():N}";
        var dataset = await RecordAsync(ns);

        var html = await app.Browser().PageAsync($"/features?q={Q(ns)}");

        Assert.Contains("href=\"" + UiEscaped($"/lineage?node={Q($"feature:{ns}:claim_amount_zscore")}&depth=2") + "\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"" + UiEscaped($"/lineage?node={Q(dataset)}&depth=2") + "\"", html, StringComparison.Ordinal);
        Assert.Contains("float64", html, StringComparison.Ordinal);
        Assert.Contains("Claim amount standardised per region", html, StringComparison.Ordinal);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("owner", html, StringComparison.Ordinal);
        Assert.Contains("region_code", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_filter_language_narrows_the_list_and_a_bad_filter_is_shown_by_the_field()
    {
        var ns = $"fp-{Guid.NewGuid():N}";
        await RecordAsync(ns);
        var browser = app.Browser();

        var typed = await browser.PageAsync("/features?filter=" + Q($"namespace = '{ns}' AND value_type = 'string'"));
        Assert.Contains("region_code", typed, StringComparison.Ordinal);
        Assert.DoesNotContain("claim_amount_zscore", typed, StringComparison.Ordinal);

        var bad = await browser.PageAsync("/features?filter=" + Q("value_type = "));
        Assert.Contains("role=\"alert\"", bad, StringComparison.Ordinal);
        Assert.Contains("aria-invalid=\"true\"", bad, StringComparison.Ordinal);

        var none = await browser.PageAsync("/features?q=" + Q("no-such-feature-" + Guid.NewGuid()));
        Assert.Contains("No feature matches this search.", none, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_datasets_page_links_to_every_feature_computed_from_it_and_the_navigation_names_features()
    {
        var ns = $"fp-{Guid.NewGuid():N}";
        var dataset = await RecordAsync(ns);

        var html = await app.Browser().PageAsync($"/datasets/view?ns={Q(ns)}&name=claims_features");

        Assert.Contains("href=\"" + UiEscaped("/features?filter=" + Q($"dataset = '{dataset}'")) + "\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/features\"", html, StringComparison.Ordinal);
    }

    // Razor encodes '&' in attribute values.
    private static string UiEscaped(string url) => url.Replace("&", "&amp;", StringComparison.Ordinal);
}
