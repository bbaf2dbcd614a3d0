using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// Issue 18's deployments journey in Chromium against <c>cairn serve --auth token</c>: a deployment tool records a
/// deployment and shifts it to a 90/10 canary; a writer sees the stacked traffic bar on the deployments page, rolls back
/// there, and the deployment's page shows the rollback in its revisions and status history.
/// </summary>
[Collection(UiBrowser.Collection)]
public sealed class DeploymentJourneyTests(UiBrowser browser, UiTokenServerFixture fixture) : IClassFixture<UiTokenServerFixture>
{
    [Fact]
    public async Task A_recorded_canary_is_shown_and_rolled_back_from_the_deployments_page()
    {
        var server = fixture.Server;
        await server.SeedAsync("/api/v1/models", new { @namespace = "/journey_dep", model_name = "fraud" });
        await server.SeedAsync("/api/v1/models/journey_dep.fraud/versions", new { framework = "sklearn" });
        await server.SeedAsync("/api/v1/models/journey_dep.fraud/versions", new { framework = "sklearn" });
        (await server.Api.PutAsJsonAsync("/api/v1/environments/journey-prod", new { description = "production" })).EnsureSuccessStatusCode();
        var writer = await server.CreateTokenAsync("journey-dep-writer", "writer");
        string id;
        using (var tool = new HttpClient { BaseAddress = new Uri(server.Url) })
        {
            tool.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", writer);
            var recorded = await tool.PostAsJsonAsync("/api/v1/deployments", new
            {
                name = "fraud-api",
                environment = "journey-prod",
                model = "journey_dep.fraud",
                strategy = "canary",
                status = "succeeded",
                traffic = new[] { new { version = 1, share = 100 } },
            });
            recorded.EnsureSuccessStatusCode();
            id = (string)(await recorded.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
            (await tool.PutAsJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { new { version = 1, share = 90 }, new { version = 2, share = 10 } }, message = "canary 10%" }))
                .EnsureSuccessStatusCode();
        }

        await using var ui = await browser.OpenAsync(server.Url);
        var page = ui.Page;
        await UiBrowser.SignInAsync(page, writer);
        await page.GotoAsync("/deployments?env=journey-prod");
        var row = page.Locator($"tr[data-deployment='{id}']");
        await row.WaitForAsync();
        Assert.Equal(2, await row.Locator("svg.traffic-bar g.segment").CountAsync());
        Assert.Equal("90", await row.Locator("svg.traffic-bar g.segment[data-version='1']").GetAttributeAsync("data-share"));
        Assert.Contains("in_progress", await row.InnerTextAsync(), StringComparison.Ordinal);
        await browser.Screenshot(page, "deployments-canary");

        await row.GetByRole(AriaRole.Button, new() { Name = "Roll back" }).ClickAsync();
        await row.Locator(".badge", new() { HasText = "rolled_back" }).WaitForAsync();
        Assert.Equal(1, await row.Locator("svg.traffic-bar g.segment").CountAsync());
        await browser.Screenshot(page, "deployments-rolled-back");

        await row.GetByRole(AriaRole.Link, new() { Name = "fraud-api" }).ClickAsync();
        await page.Locator("table.revisions tr[data-revision='3']").WaitForAsync();
        Assert.Contains("rollback to revision 1", await page.Locator("table.revisions").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("journey-dep-writer", await page.Locator("table.status-history").InnerTextAsync(), StringComparison.Ordinal);
        await browser.Screenshot(page, "deployment-detail");

        var deployment = await server.Api.GetStringAsync($"/api/v1/deployments/{id}");
        Assert.Contains("\"status\":\"rolled_back\"", deployment, StringComparison.Ordinal);
    }
}
