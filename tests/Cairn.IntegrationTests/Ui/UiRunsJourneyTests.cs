using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// Issue 15's journey "open a run and see its metric chart": runs logged with a metric history through the MLflow API
/// of a real <c>cairn serve</c>, then the experiments list, the runs table, the run page and the compare page in
/// Chromium, each captured.
/// </summary>
[Collection(UiBrowser.Collection)]
public sealed class UiRunsJourneyTests(UiBrowser browser, UiServerFixture fixture) : IClassFixture<UiServerFixture>
{
    private async Task<JsonNode> MlflowAsync(string endpoint, object body)
    {
        using var response = await fixture.Server.Api.PostAsJsonAsync($"/api/2.0/mlflow/{endpoint}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{endpoint} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private async Task<string> LogRunAsync(string experimentId, string name, double lr, double floor)
    {
        var runId = (string)(await MlflowAsync("runs/create", new
        {
            experiment_id = experimentId,
            run_name = name,
            start_time = 1_760_000_000_000,
            tags = new[] { new { key = "mlflow.user", value = "ana" }, new { key = "mlflow.source.name", value = "train.py" } },
        }))["run"]!["info"]!["run_id"]!;
        var steps = Enumerable.Range(0, 60).ToList();
        await MlflowAsync("runs/log-batch", new
        {
            run_id = runId,
            metrics = steps.Select(s => new { key = "loss", value = floor + (1.5 * Math.Exp(-s / (12 * lr * 100))), timestamp = 1_760_000_000_000 + (s * 1000L), step = s })
                .Concat(steps.Select(s => new { key = "accuracy", value = 0.5 + (0.45 * (1 - Math.Exp(-s / 15d))) - floor, timestamp = 1_760_000_000_000 + (s * 1000L), step = s }))
                .ToArray(),
            @params = new[] { new { key = "lr", value = lr.ToString(System.Globalization.CultureInfo.InvariantCulture) }, new { key = "epochs", value = "60" } },
        });
        await MlflowAsync("runs/update", new { run_id = runId, status = "FINISHED", end_time = 1_760_000_095_000 });
        return runId;
    }

    [Fact]
    public async Task Open_a_run_and_see_its_metric_chart()
    {
        var experimentId = (string)(await MlflowAsync("experiments/create", new { name = "churn-classifier" }))["experiment_id"]!;
        var first = await LogRunAsync(experimentId, "baseline", 0.01, 0.2);
        var second = await LogRunAsync(experimentId, "tuned", 0.03, 0.1);
        await LogRunAsync(experimentId, "wide", 0.05, 0.15);
        await using var ui = await browser.OpenAsync(fixture.Server.Url);
        var page = ui.Page;

        await page.GotoAsync("/experiments");
        await browser.Screenshot(page, "experiments");
        await page.GetByRole(AriaRole.Link, new() { Name = "churn-classifier", Exact = true }).ClickAsync();
        await page.WaitForURLAsync($"**/experiments/{experimentId}");
        Assert.Equal(3, await page.Locator("table.runs-table tbody tr").CountAsync());
        await browser.Screenshot(page, "runs-table");

        await page.GetByRole(AriaRole.Link, new() { Name = "tuned", Exact = true }).ClickAsync();
        await page.WaitForURLAsync($"**/runs/{second}");
        var charts = page.Locator("svg.line-chart");
        Assert.Equal(2, await charts.CountAsync());
        // One line per series in each chart, with hover titles on its points.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(1, await charts.Nth(i).Locator("polyline.line").CountAsync());
            Assert.True(await charts.Nth(i).Locator("circle.point title").CountAsync() > 10);
        }
        await browser.Screenshot(page, "run-page");

        await page.GotoAsync($"/experiments/{experimentId}");
        await page.Locator($"input[name=r][value='{first}']").CheckAsync();
        await page.Locator($"input[name=r][value='{second}']").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Compare selected runs" }).ClickAsync();
        await page.WaitForURLAsync("**/runs/compare?**");
        Assert.Equal(2, await page.Locator("#curves svg polyline.line").CountAsync());
        Assert.Equal(2, await page.Locator("#scatter svg circle.point").CountAsync());
        await browser.Screenshot(page, "compare-runs");

        ui.AssertNoConsoleErrors();
    }
}
