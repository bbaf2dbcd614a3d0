using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// Issue 15's journey "explore lineage from a dataset to a model version and back", in Chromium against a real
/// <c>cairn serve</c>: OpenLineage events for an ingest and a training run, a model version registered from the
/// training run; then the datasets list, the dataset's page, the explorer around it, the model version's node and
/// page, and back.
/// </summary>
[Collection(UiBrowser.Collection)]
public sealed class LineageJourneyTests(UiBrowser browser, UiServerFixture fixture, ITestOutputHelper output) : IClassFixture<UiServerFixture>
{
    private const string Producer = "https://example.com/cairn-journey";

    private static JsonObject Facet(string name, JsonObject body)
    {
        body["_producer"] = Producer;
        body["_schemaURL"] = $"https://openlineage.io/spec/facets/1-0-0/{name}.json";
        return body;
    }

    private static JsonObject Event(string runId, string job, JsonArray inputs, JsonArray outputs) => new()
    {
        ["eventType"] = "COMPLETE",
        ["eventTime"] = "2026-11-22T02:00:00Z",
        ["producer"] = Producer,
        ["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        ["run"] = new JsonObject { ["runId"] = runId },
        ["job"] = new JsonObject { ["namespace"] = "airflow://journey", ["name"] = job },
        ["inputs"] = inputs,
        ["outputs"] = outputs,
    };

    [Fact]
    public async Task Explore_lineage_from_a_dataset_to_a_model_version_and_back()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        var lake = $"s3://journey-{p}";
        var (ingest, train) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        var schema = Facet("SchemaDatasetFacet", new JsonObject
        {
            ["fields"] = new JsonArray(new JsonObject { ["name"] = "claim_id", ["type"] = "string" }, new JsonObject { ["name"] = "amount", ["type"] = "double" }),
        });
        await fixture.Server.SeedAsync("/api/v1/lineage", Event(ingest, "claims.ingest",
            [new JsonObject { ["namespace"] = "postgres://claims-db:5432", ["name"] = $"public.claims_{p}" }],
            [new JsonObject { ["namespace"] = lake, ["name"] = "raw/claims", ["facets"] = new JsonObject { ["schema"] = schema } }]));
        await fixture.Server.SeedAsync("/api/v1/lineage", Event(train, "claims.train",
            [new JsonObject { ["namespace"] = lake, ["name"] = "raw/claims" }], []));
        await fixture.Server.SeedAsync("/api/v1/datasets", new
        {
            @namespace = lake,
            name = "raw/claims",
            statistics = new { amount = new { count = 1000, nulls = 3, histogram = new { edges = new[] { 0, 100, 1000, 100000 }, counts = new[] { 400, 500, 100 } } } },
        });
        await fixture.Server.SeedAsync("/api/v1/models", new { @namespace = "/journey", model_name = $"fraud_{p}" });
        await fixture.Server.SeedAsync($"/api/v1/models/journey.fraud_{p}/versions", new { run_id = train });
        await using var ui = await browser.OpenAsync(fixture.Server.Url);
        var page = ui.Page;

        // The datasets list, searched for this journey's lake, and the dataset's page.
        await page.GotoAsync("/datasets");
        await page.GetByLabel("Search").FillAsync(lake);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "raw/claims", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Column statistics" }).WaitForAsync();
        Assert.Equal(3, await page.Locator(".histogram rect.bar").CountAsync());
        await browser.Screenshot(page, "dataset");

        // Into the explorer: the graph around the dataset, the model version two steps downstream.
        var clock = Stopwatch.StartNew();
        await page.GetByRole(AriaRole.Link, new() { Name = "Open in lineage explorer" }).ClickAsync();
        await page.Locator("svg.lineage-graph .node.current").WaitForAsync();
        var explorerReady = clock.Elapsed;
        var modelNode = page.Locator("svg.lineage-graph a", new() { Has = page.Locator(".node.model") });
        Assert.Equal(1, await modelNode.CountAsync());
        Assert.Contains("depth=2", page.Url, StringComparison.Ordinal);
        await browser.Screenshot(page, "lineage-explorer");

        // Re-centred on the model version: its panel links to the version's page.
        await modelNode.ClickAsync();
        await page.Locator("svg.lineage-graph .node.model.current").WaitForAsync();
        Assert.Contains("node=model%3Ajourney.fraud_" + p + "%3A1", page.Url, StringComparison.Ordinal);
        var versionLink = page.GetByRole(AriaRole.Link, new() { Name = "Open model version 1" });
        Assert.Equal($"/models/journey.fraud_{p}/versions/1", await versionLink.GetAttributeAsync("href"));
        await browser.Screenshot(page, "lineage-explorer-model-version");
        await versionLink.ClickAsync();
        await page.WaitForURLAsync($"**/models/journey.fraud_{p}/versions/1");
        // The version page belongs to another part of the UI; where it is not there yet the journey stops at the link.
        var versionPage = await page.EvaluateAsync<int>("() => performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0");
        output.WriteLine($"{fixture.Server.Backend}: explorer ready in {explorerReady.TotalMilliseconds:F0} ms; version page answered {versionPage}");

        // And back: the browser's history returns to the explorer around the model version, then to the dataset's.
        await page.GoBackAsync();
        await page.Locator("svg.lineage-graph .node.model.current").WaitForAsync();
        await page.GoBackAsync();
        await page.Locator("svg.lineage-graph .node.dataset.current").WaitForAsync();
        var datasetNode = page.Locator("svg.lineage-graph a[aria-current='true']");
        Assert.Contains("raw/claims", await datasetNode.Locator("title").TextContentAsync() ?? "", StringComparison.Ordinal);
        if (versionPage is 200 or 0)
        {
            ui.AssertNoConsoleErrors();
        }
    }
}
