using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// Issue 17's approval journey in Chromium against <c>cairn serve --auth token</c>: a writer asks for Production, an
/// approver finds the request in the inbox with the diff to the current holder and approves it; the model page's
/// promotion history and the compliance report then show the version in Production and who allowed it.
/// </summary>
[Collection(UiBrowser.Collection)]
public sealed class ApprovalJourneyTests(UiBrowser browser, UiTokenServerFixture fixture) : IClassFixture<UiTokenServerFixture>
{
    [Fact]
    public async Task A_request_is_approved_in_the_inbox_and_shows_in_the_history_and_the_compliance_report()
    {
        var server = fixture.Server;
        await server.SeedAsync("/api/v1/models", new { @namespace = "/journey_gov", model_name = "fraud", owner = "fraud-team" });
        await server.SeedAsync("/api/v1/models/journey_gov.fraud/versions", new { framework = "sklearn", metrics = new { auc = 0.88 } });
        await server.SeedAsync("/api/v1/models/journey_gov.fraud/versions", new { framework = "sklearn", metrics = new { auc = 0.93 } });
        (await server.Api.PutAsJsonAsync("/api/v1/policies/journey_gov", new { protected_targets = new[] { new { stage = "Production", approvals = 1 } } })).EnsureSuccessStatusCode();
        var writer = await server.CreateTokenAsync("journey-gov-writer", "writer");
        var approver = await server.CreateTokenAsync("journey-gov-approver", "approver");
        using (var asWriter = new HttpClient { BaseAddress = new Uri(server.Url) })
        {
            asWriter.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", writer);
            (await asWriter.PostAsJsonAsync("/api/v1/models/journey_gov.fraud/versions/2/promotions", new { target = "Production", comment = "better auc" })).EnsureSuccessStatusCode();
        }

        await using var ui = await browser.OpenAsync(server.Url);
        var page = ui.Page;
        await UiBrowser.SignInAsync(page, approver);
        await page.GotoAsync("/approvals");
        var request = page.Locator("section.request", new() { HasText = "journey_gov.fraud v2" });
        await request.WaitForAsync();
        Assert.Contains("better auc", await request.InnerTextAsync(), StringComparison.Ordinal);
        // The diff shows the requested version's metric beside the (absent) current holder's.
        Assert.Contains("0.93", await request.Locator("table.diff").InnerTextAsync(), StringComparison.Ordinal);
        await browser.Screenshot(page, "approvals-inbox");
        await request.Locator("input[name='Comment']").FillAsync("ship it");
        await request.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await page.GetByText("Nothing waits for you").WaitForAsync();

        await page.GotoAsync("/models/journey_gov.fraud");
        await page.Locator("svg.promotion-timeline").WaitForAsync();
        Assert.Contains("v2", await page.Locator("svg.promotion-timeline").InnerHTMLAsync(), StringComparison.Ordinal);
        await browser.Screenshot(page, "promotion-history");

        await page.GotoAsync("/reports/compliance?scope=journey_gov.fraud");
        await page.Locator("#audit-head").WaitForAsync();
        var report = await page.Locator("main").InnerTextAsync();
        Assert.Contains("journey-gov-approver", report, StringComparison.Ordinal);
        Assert.Contains("journey-gov-writer", report, StringComparison.Ordinal);
        await browser.Screenshot(page, "compliance-report");
        var pdf = await page.APIRequest.GetAsync(await page.GetByRole(AriaRole.Link, new() { Name = "PDF" }).GetAttributeAsync("href") ?? "");
        Assert.Equal(200, pdf.Status);
        Assert.Equal("application/pdf", pdf.Headers["content-type"]);

        var version = await server.Api.GetStringAsync("/api/v1/models/journey_gov.fraud/versions/2");
        Assert.Contains("\"stage\":\"Production\"", version, StringComparison.Ordinal);
    }
}
