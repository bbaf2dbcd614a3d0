using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// Issue 15's model journeys in Chromium against a real <c>cairn serve</c>: find a model by tag, open a version and
/// download a file, compare two versions. Each saves screenshots of the pages it passes (models list, model, version,
/// compare).
/// </summary>
[Collection(UiBrowser.Collection)]
public sealed class ModelJourneyTests(UiBrowser browser, UiServerFixture fixture) : IClassFixture<UiServerFixture>
{
    private async Task VersionAsync(string model, object body) =>
        (await fixture.Server.Api.PostAsJsonAsync($"/api/v1/models/{model}/versions", body)).EnsureSuccessStatusCode();

    [Fact]
    public async Task Find_a_model_by_tag_and_open_it()
    {
        await fixture.Server.SeedAsync("/api/v1/models", new
        {
            @namespace = "/journeys/vision",
            model_name = "detector",
            owner = "ana",
            description = "Finds **objects** in street images.",
            tags = new Dictionary<string, string> { ["team"] = "street-vision" },
        });
        await fixture.Server.SeedAsync("/api/v1/models", new { @namespace = "/journeys/text", model_name = "tagger", tags = new Dictionary<string, string> { ["team"] = "nlp" } });
        await VersionAsync("journeys.vision.detector", new { metrics = new { map = 0.61 } });
        await using var ui = await browser.OpenAsync(fixture.Server.Url);
        var page = ui.Page;

        await page.GotoAsync("/");
        await page.Locator("input[name=filter]").FillAsync("tags.team = 'street-vision'");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("filter="));
        var results = page.Locator("table.table tbody tr");
        await Assertions.Expect(results).ToHaveCountAsync(1);
        await Assertions.Expect(results.First).ToContainTextAsync("detector");
        await browser.Screenshot(page, "models-list");

        await page.GetByRole(AriaRole.Link, new() { Name = "detector", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/models/journeys.vision.detector");
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("detector");
        await Assertions.Expect(page.Locator(".markdown strong")).ToHaveTextAsync("objects");
        await browser.Screenshot(page, "model");
        ui.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Open_a_version_and_download_a_file()
    {
        await fixture.Server.SeedAsync("/api/v1/models", new { @namespace = "/journeys", model_name = "downloads" });
        await VersionAsync("journeys.downloads", new { status = "PENDING_REGISTRATION", metrics = new { auc = 0.93 }, @params = new { depth = "8" } });
        var bytes = new byte[70_000];
        new Random(15).NextBytes(bytes);
        (await fixture.Server.Api.PutAsync("/api/v1/models/journeys.downloads/versions/1/files/weights/model.bin", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
        await using var ui = await browser.OpenAsync(fixture.Server.Url);
        var page = ui.Page;

        await page.GotoAsync("/models/journeys.downloads");
        await page.GetByRole(AriaRole.Link, new() { Name = "v1", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/models/journeys.downloads/versions/1");
        await Assertions.Expect(page.Locator("#files + table")).ToContainTextAsync("weights/model.bin");
        await browser.Screenshot(page, "version");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download", Exact = true }).ClickAsync());
        var saved = Path.Combine(Path.GetTempPath(), $"cairn-download-{Guid.NewGuid():N}.bin");
        await download.SaveAsAsync(saved);
        try
        {
            Assert.Equal("model.bin", download.SuggestedFilename);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(saved));
        }
        finally
        {
            File.Delete(saved);
        }
        ui.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Compare_two_versions_and_see_the_difference_highlighted()
    {
        await fixture.Server.SeedAsync("/api/v1/models", new { @namespace = "/journeys", model_name = "compared" });
        await VersionAsync("journeys.compared", new { metrics = new { accuracy = 0.81, loss = 0.4 }, @params = new { lr = "0.01", epochs = "10" } });
        await VersionAsync("journeys.compared", new { metrics = new { accuracy = 0.86, loss = 0.4 }, @params = new { lr = "0.003", epochs = "10" } });
        await VersionAsync("journeys.compared", new { metrics = new { accuracy = 0.84 }, @params = new { lr = "0.003" } });
        await using var ui = await browser.OpenAsync(fixture.Server.Url);
        var page = ui.Page;

        await page.GotoAsync("/models/journeys.compared");
        await page.GetByLabel("Select version 1 to compare").CheckAsync();
        await page.GetByLabel("Select version 2 to compare").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Compare selected" }).ClickAsync();
        // The table lists the newest first, so the form sends v=2&v=1.
        await page.WaitForURLAsync(new Regex(@"/models/journeys\.compared/compare\?v=2&v=1$"));

        var lr = page.Locator("tr", new() { Has = page.Locator("th", new() { HasTextRegex = new Regex("^lr$") }) });
        await Assertions.Expect(lr).ToHaveClassAsync("diff");
        await Assertions.Expect(lr).ToContainTextAsync("0.003");
        var epochs = page.Locator("tr", new() { Has = page.Locator("th", new() { HasTextRegex = new Regex("^epochs$") }) });
        await Assertions.Expect(epochs).Not.ToHaveClassAsync("diff");
        await browser.Screenshot(page, "compare");

        await page.GetByRole(AriaRole.Link, new() { Name = "Show only differences" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("only=diff"));
        await Assertions.Expect(epochs).ToHaveCountAsync(0);
        ui.AssertNoConsoleErrors();
    }
}
