using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// Issue 18's monitoring journey in Chromium against <c>cairn serve --auth token</c>: a serving side records a
/// deployment, sets its version's reference from a CSV sample, reports a drifting window of raw rows and predictions
/// with their ground truth; a writer sees the drift strip, the reference and current histograms, the performance
/// charts and the raised alert on the deployment's monitoring page, then acknowledges and resolves the alert there.
/// </summary>
[Collection(UiBrowser.Collection)]
public sealed class MonitoringJourneyTests(UiBrowser browser, UiTokenServerFixture fixture) : IClassFixture<UiTokenServerFixture>
{
    /// <summary>Rows of <c>amount</c> (about 100 ± 20, moved by <paramref name="shift"/>) and <c>region</c>, as CSV.</summary>
    private static StringContent Rows(int count, int seed, double shift)
    {
        var random = new Random(seed);
        var csv = new StringBuilder("amount,region\n");
        string[] regions = ["north", "south", "east"];
        for (var i = 0; i < count; i++)
        {
            var amount = Math.Round(100 + shift + (random.NextDouble() + random.NextDouble() - 1) * 40, 2);
            csv.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(',').Append(regions[random.Next(regions.Length)]).Append('\n');
        }
        return new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
    }

    [Fact]
    public async Task A_drifting_window_shows_on_the_deployments_monitoring_page_and_its_alert_is_acknowledged_and_resolved_there()
    {
        var server = fixture.Server;
        await server.SeedAsync("/api/v1/models", new { @namespace = "/journey_mon", model_name = "churn" });
        await server.SeedAsync("/api/v1/models/journey_mon.churn/versions", new { framework = "sklearn" });
        (await server.Api.PutAsJsonAsync("/api/v1/environments/journey-mon", new { description = "staging" })).EnsureSuccessStatusCode();
        var writer = await server.CreateTokenAsync("journey-mon-writer", "writer");
        var now = DateTimeOffset.UtcNow;
        string id;
        using (var tool = new HttpClient { BaseAddress = new Uri(server.Url) })
        {
            tool.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", writer);
            var recorded = await tool.PostAsJsonAsync("/api/v1/deployments", new
            {
                name = "churn-api",
                environment = "journey-mon",
                model = "journey_mon.churn",
                status = "succeeded",
                traffic = new[] { new { version = 1, share = 100 } },
            });
            recorded.EnsureSuccessStatusCode();
            id = (string)(await recorded.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
            (await tool.PutAsync("/api/v1/models/journey_mon.churn/versions/1/monitoring/reference", Rows(400, 1, 0))).EnsureSuccessStatusCode();
            (await tool.PostAsJsonAsync("/api/v1/monitoring/alert-rules", new { model = "journey_mon.churn", name = "inputs drift", kind = "drift", severity = "critical" }))
                .EnsureSuccessStatusCode();
            var at = Uri.EscapeDataString(now.AddHours(-1).ToString("O", CultureInfo.InvariantCulture));
            var to = Uri.EscapeDataString(now.ToString("O", CultureInfo.InvariantCulture));
            var window = await tool.PostAsync($"/api/v1/deployments/{id}/windows?version=1&starts_at={at}&ends_at={to}", Rows(300, 2, 25));
            window.EnsureSuccessStatusCode();
            Assert.True((bool)(await window.Content.ReadFromJsonAsync<JsonObject>())!["drifted"]!);
            var predictions = Enumerable.Range(0, 20).Select(i => new { id = $"req-{i}", version = 1, at = now.AddMinutes(-30), prediction = i % 2 }).ToArray();
            (await tool.PostAsJsonAsync($"/api/v1/deployments/{id}/predictions", predictions)).EnsureSuccessStatusCode();
            (await tool.PostAsJsonAsync($"/api/v1/deployments/{id}/ground-truth", Enumerable.Range(0, 20).Select(i => new { id = $"req-{i}", actual = i % 3 == 0 ? 1 : 0 }).ToArray()))
                .EnsureSuccessStatusCode();
        }

        await using var ui = await browser.OpenAsync(server.Url);
        var page = ui.Page;
        await UiBrowser.SignInAsync(page, writer);
        await page.GotoAsync($"/monitoring/{id}");
        // The strip: a cell per feature of the window, the amount's outlined as drifted.
        var strip = page.Locator("svg.drift-strip");
        await strip.WaitForAsync();
        Assert.Equal(2, await strip.Locator("rect.cell").CountAsync());
        Assert.Equal(1, await strip.Locator("rect.cell.drifted[data-feature='amount']").CountAsync());
        // The most drifted feature is drawn: reference and current side by side.
        var distributions = page.Locator("section[data-feature='amount'] .distributions");
        Assert.Equal(1, await distributions.Locator("svg[aria-label^='Histogram of amount (reference)']").CountAsync());
        Assert.Equal(1, await distributions.Locator("svg[aria-label^='Histogram of amount (current)']").CountAsync());
        Assert.True(await page.Locator("section[aria-label='Performance'] svg.line-chart").CountAsync() >= 3);
        var alert = page.Locator("table.monitoring-alerts tr[data-status='open']");
        Assert.Contains("inputs drift", await alert.InnerTextAsync(), StringComparison.Ordinal);
        await browser.Screenshot(page, "monitoring-drift");

        // The region feature chosen from the strip: its categories' shares.
        await strip.Locator("a", new() { HasText = "region" }).ClickAsync();
        await page.Locator("section[data-feature='region'] table.categories").WaitForAsync();
        await browser.Screenshot(page, "monitoring-categories");

        await alert.GetByLabel("Comment").FillAsync("retraining started");
        await alert.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        var acknowledged = page.Locator("table.monitoring-alerts tr[data-status='acknowledged']");
        await acknowledged.WaitForAsync();
        Assert.Contains("retraining started", await acknowledged.InnerTextAsync(), StringComparison.Ordinal);
        await acknowledged.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await page.Locator("table.monitoring-alerts tr[data-status='resolved']").WaitForAsync();
        await browser.Screenshot(page, "monitoring-alert-resolved");
        ui.AssertNoConsoleErrors();

        var alerts = await server.Api.GetStringAsync($"/api/v1/monitoring/alerts?deployment={id}");
        Assert.Contains("\"status\":\"resolved\"", alerts, StringComparison.OrdinalIgnoreCase);
    }
}
