using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cairn.Tests.Api;
using Cairn.Tests.Mlflow;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Ui;

/// <summary>
/// Issue 15: the experiments list, an experiment's runs table (MLflow's filter and order, chosen columns, paging,
/// compare selection), the run page (metric charts, params, tags, inputs, artifacts, registered versions) and the
/// compare page, read in-process as HTML with runs logged through the MLflow API.
/// </summary>
public sealed partial class RunsPagesTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow.Mlflow _mlflow = new(app.CreateClient());

    private async Task<string> ExperimentAsync(string name) =>
        (string)(await _mlflow.OkAsync("experiments/create", new { name }))["experiment_id"]!;

    private async Task<string> RunAsync(string experimentId, string name, double auc, string lr, int steps = 3)
    {
        var info = (JsonObject)(await _mlflow.OkAsync("runs/create", new
        {
            experiment_id = experimentId,
            run_name = name,
            start_time = 1_700_000_000_000,
            tags = new[] { new { key = "mlflow.user", value = "ana" }, new { key = "mlflow.source.name", value = "/home/ana/train.py" }, new { key = "team", value = "vision" } },
        }))["run"]!["info"]!;
        var runId = (string)info["run_id"]!;
        await _mlflow.OkAsync("runs/log-batch", new
        {
            run_id = runId,
            metrics = Enumerable.Range(0, steps).Select(step => new { key = "loss", value = 1.0 / (step + 1), timestamp = 1_700_000_000_000 + (step * 1000), step })
                .Append(new { key = "auc", value = auc, timestamp = 1_700_000_100_000, step = 0 }).ToArray(),
            @params = new[] { new { key = "lr", value = lr }, new { key = "optimizer", value = "adam" } },
        });
        await _mlflow.OkAsync("runs/update", new { run_id = runId, status = "FINISHED", end_time = 1_700_000_065_000 });
        return runId;
    }

    [Fact]
    public async Task The_experiments_list_links_each_experiment_and_searches_by_name()
    {
        var id = await ExperimentAsync("ui-exp-churn-model");
        await ExperimentAsync("ui-exp-other");
        var browser = app.Browser();

        var all = await browser.PageAsync("/experiments");
        Assert.Contains($"href=\"/experiments/{id}\"", all, StringComparison.Ordinal);
        Assert.Contains("<title>Experiments · Cairn</title>", all, StringComparison.Ordinal);

        var found = await browser.PageAsync("/experiments?q=CHURN");
        Assert.Contains("ui-exp-churn-model", found, StringComparison.Ordinal);
        Assert.DoesNotContain("ui-exp-other", found, StringComparison.Ordinal);

        var none = await browser.PageAsync("/experiments?q=no-such-experiment-anywhere");
        Assert.Contains("No experiment matches this name.", none, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runs_table_filters_orders_and_keeps_the_chosen_columns_in_the_url()
    {
        var experiment = await ExperimentAsync("ui-runs-table");
        await RunAsync(experiment, "good-run", 0.91, "0.01");
        await RunAsync(experiment, "weak-run", 0.62, "0.1");
        var browser = app.Browser();

        var all = await browser.PageAsync($"/experiments/{experiment}");
        Assert.Contains("good-run", all, StringComparison.Ordinal);
        Assert.Contains("weak-run", all, StringComparison.Ordinal);
        Assert.Contains("class=\"badge finished\"", all, StringComparison.Ordinal);
        Assert.Contains("train.py", all, StringComparison.Ordinal);
        Assert.Contains("1m 5s", all, StringComparison.Ordinal);
        // Default columns: the runs' metrics and params.
        Assert.Contains(">0.91<", all, StringComparison.Ordinal);
        Assert.Contains("name=\"r\"", all, StringComparison.Ordinal);
        Assert.Contains("action=\"/runs/compare\"", all, StringComparison.Ordinal);

        var filtered = await browser.PageAsync($"/experiments/{experiment}?filter=" + Uri.EscapeDataString("metrics.auc > 0.8 and params.lr = '0.01'"));
        Assert.Contains("good-run", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain("weak-run", filtered, StringComparison.Ordinal);

        var ordered = await browser.PageAsync($"/experiments/{experiment}?order=" + Uri.EscapeDataString("metrics.auc ASC"));
        Assert.True(ordered.IndexOf("weak-run", StringComparison.Ordinal) < ordered.IndexOf("good-run", StringComparison.Ordinal));

        var chosen = await browser.PageAsync($"/experiments/{experiment}?cols=" + Uri.EscapeDataString("params.optimizer"));
        Assert.Contains(">adam<", chosen, StringComparison.Ordinal);
        Assert.DoesNotContain(">0.91<", chosen, StringComparison.Ordinal);
        // Sorting by a column keeps the chosen columns.
        Assert.Contains("cols=params.optimizer", chosen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_filter_or_order_is_shown_at_its_field()
    {
        var experiment = await ExperimentAsync("ui-runs-bad-filter");
        await RunAsync(experiment, "r", 0.5, "1");
        var browser = app.Browser();

        var badFilter = await browser.PageAsync($"/experiments/{experiment}?filter=" + Uri.EscapeDataString("metrics.auc >"));
        Assert.Contains("role=\"alert\"", badFilter, StringComparison.Ordinal);
        Assert.Matches("name=\"filter\"[^>]*aria-invalid=\"true\"", badFilter);

        var badOrder = await browser.PageAsync($"/experiments/{experiment}?order=" + Uri.EscapeDataString("nonsense.x DESC"));
        Assert.Contains("role=\"alert\"", badOrder, StringComparison.Ordinal);
        Assert.Matches("name=\"order\"[^>]*aria-invalid=\"true\"", badOrder);
    }

    [Fact]
    public async Task The_runs_table_is_paged_on_the_server_with_a_page_token()
    {
        var experiment = await ExperimentAsync("ui-runs-paging");
        for (var i = 0; i < 51; i++)
        {
            await _mlflow.OkAsync("runs/create", new { experiment_id = experiment, run_name = $"paged-{i:00}", start_time = 1_700_000_000_000 + i });
        }
        var browser = app.Browser();
        var first = await browser.PageAsync($"/experiments/{experiment}");
        Assert.Equal(50, PagedRun().Count(first));
        var next = NextLink().Match(first);
        Assert.True(next.Success, "No next page link.");
        var second = await browser.PageAsync(WebUtility.HtmlDecode(next.Groups["href"].Value));
        Assert.Equal(1, PagedRun().Count(second));
        Assert.Contains("paged-00", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_experiment_without_runs_says_how_to_log_them_and_an_unknown_one_is_404()
    {
        var experiment = await ExperimentAsync("ui-runs-empty");
        var browser = app.Browser();
        var empty = await browser.PageAsync($"/experiments/{experiment}");
        Assert.Contains("No runs in this experiment yet.", empty, StringComparison.Ordinal);
        Assert.Contains("mlflow.set_tracking_uri(", empty, StringComparison.Ordinal);

        using var missing = await browser.GetAsync("/experiments/987654321");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("No such experiment.", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_run_page_shows_its_fields_and_a_metric_chart_per_key()
    {
        var experiment = await ExperimentAsync("ui-run-page");
        var runId = await RunAsync(experiment, "charted", 0.88, "0.01", steps: 5);
        var html = await app.Browser().PageAsync($"/runs/{runId}");

        Assert.Contains($"href=\"/experiments/{experiment}\">ui-run-page</a>", html, StringComparison.Ordinal);
        Assert.Contains("/home/ana/train.py", html, StringComparison.Ordinal);
        Assert.Contains(">optimizer<", html, StringComparison.Ordinal);
        Assert.Contains(">team<", html, StringComparison.Ordinal);
        // One chart per metric key, each with one line; the single-point metric is a marker only.
        Assert.Equal(2, Regex.Count(html, "<svg class=\"chart line-chart\""));
        Assert.Equal(1, Regex.Count(html, "<polyline class=\"line\""));
        Assert.Contains("<title>loss · step 4: 0.2</title>", html, StringComparison.Ordinal);
        Assert.Contains("No artifacts logged.", html, StringComparison.Ordinal);

        var byTime = await app.Browser().PageAsync($"/runs/{runId}?x=time");
        Assert.Contains("<title>loss · seconds 4: 0.2</title>", byTime, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_run_page_browses_previews_and_downloads_artifacts()
    {
        var experiment = await ExperimentAsync("ui-run-artifacts");
        var runId = await RunAsync(experiment, "with-files", 0.7, "0.1");
        var client = app.CreateClient();
        foreach (var (path, body) in new[] { ("notes/readme.txt", "hello <b>artifacts</b>"), ("plots/roc.png", "\u0089PNG fake"), ("top.json", "{}") })
        {
            using var upload = await client.PostAsync(new Uri($"/ajax-api/2.0/mlflow/upload-artifact?run_uuid={runId}&path={Uri.EscapeDataString(path)}", UriKind.Relative), new StringContent(body));
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        }
        var browser = app.Browser();

        var root = await browser.PageAsync($"/runs/{runId}");
        Assert.Contains("artifact=notes", root, StringComparison.Ordinal);
        Assert.Contains("artifact=top.json", root, StringComparison.Ordinal);

        var text = await browser.PageAsync($"/runs/{runId}?artifact=notes%2Freadme.txt");
        Assert.Contains("hello &lt;b&gt;artifacts&lt;/b&gt;", text, StringComparison.Ordinal);
        Assert.Contains($"href=\"/runs/{runId}/artifacts/file?path=notes%2Freadme.txt\"", text, StringComparison.Ordinal);

        var image = await browser.PageAsync($"/runs/{runId}?artifact=plots%2Froc.png");
        Assert.Contains($"<img class=\"artifact-image\" src=\"/runs/{runId}/artifacts/file?path=plots%2Froc.png\"", image, StringComparison.Ordinal);

        using var download = await browser.GetAsync($"/runs/{runId}/artifacts/file?path=notes%2Freadme.txt");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("hello <b>artifacts</b>", await download.Content.ReadAsStringAsync());
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());

        using var missing = await browser.GetAsync($"/runs/{runId}/artifacts/file?path=nope.txt");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var unsafePath = await browser.GetAsync($"/runs/{runId}/artifacts/file?path=..%2F..%2Fetc%2Fpasswd");
        Assert.Equal(HttpStatusCode.BadRequest, unsafePath.StatusCode);
    }

    [Fact]
    public async Task The_run_page_links_the_model_versions_registered_from_it_and_its_datasets()
    {
        var experiment = await ExperimentAsync("ui-run-versions");
        var runId = await RunAsync(experiment, "registered", 0.9, "0.01");
        await _mlflow.OkAsync("runs/log-inputs", new
        {
            run_id = runId,
            datasets = new[]
            {
                new
                {
                    tags = new[] { new { key = "mlflow.data.context", value = "training" } },
                    dataset = new { name = "churn-train", digest = "d1g3st", source_type = "s3", source = "{\"uri\":\"s3://bucket/train.parquet\"}" },
                },
            },
        });
        await _mlflow.OkAsync("registered-models/create", new { name = "ui_runs_registered" });
        await _mlflow.OkAsync("model-versions/create", new { name = "ui_runs_registered", source = $"runs:/{runId}/model", run_id = runId });

        var html = await app.Browser().PageAsync($"/runs/{runId}");
        Assert.Contains("ui_runs_registered", html, StringComparison.Ordinal);
        Assert.Contains("/versions/1\"", html, StringComparison.Ordinal);
        Assert.Contains("churn-train", html, StringComparison.Ordinal);
        Assert.Contains("d1g3st", html, StringComparison.Ordinal);
        Assert.Contains(">training<", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_run_is_a_404_page()
    {
        using var response = await app.Browser().GetAsync("/runs/0123456789abcdef0123456789abcdef");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(body.Contains("No such run.", StringComparison.Ordinal), body);
    }

    [Fact]
    public async Task Compare_puts_runs_side_by_side_with_differences_overlaid_curves_and_a_scatter()
    {
        var experiment = await ExperimentAsync("ui-compare");
        var a = await RunAsync(experiment, "cmp-a", 0.9, "0.01", steps: 4);
        var b = await RunAsync(experiment, "cmp-b", 0.8, "0.1", steps: 6);
        var html = await app.Browser().PageAsync($"/runs/compare?r={a}&r={b}&metric=loss");

        Assert.Contains("Compare 2 runs", html, StringComparison.Ordinal);
        // lr differs (highlighted), optimizer does not.
        Assert.Matches("<tr class=\"differs\">\\s*<th scope=\"row\">lr</th>", html);
        Assert.Matches("<tr>\\s*<th scope=\"row\">optimizer</th>", html);
        // One curve per run, then a marker per run on the scatter (lr against auc).
        Assert.Equal(2, Regex.Count(html, "<polyline class=\"line\""));
        Assert.Contains("class=\"chart scatter-chart\"", html, StringComparison.Ordinal);
        Assert.Contains("cmp-a · params.lr 0.01, metrics.auc 0.9", html, StringComparison.Ordinal);

        var onlyDiff = await app.Browser().PageAsync($"/runs/compare?r={a}&r={b}&diff=1");
        Assert.DoesNotContain("<th scope=\"row\">optimizer</th>", onlyDiff, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_with_fewer_than_two_runs_says_how_to_choose_them()
    {
        var html = await app.Browser().PageAsync("/runs/compare");
        Assert.Contains("Choose 2 to 20 runs to compare.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_logged_with_a_run_is_encoded_on_every_page()
    {
        var experiment = await ExperimentAsync("ui-runs-<script>x</script>");
        var a = await RunAsync(experiment, "<img src=x onerror=alert(1)>", 0.5, "<b>lr</b>");
        var b = await RunAsync(experiment, "plain", 0.6, "1");
        var browser = app.Browser();
        foreach (var url in new[] { "/experiments", $"/experiments/{experiment}", $"/runs/{a}", $"/runs/compare?r={a}&r={b}" })
        {
            var html = await browser.PageAsync(url);
            Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<script>x</script>", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<b>lr</b>", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_store_reads_runs_by_id_in_order_and_a_runs_whole_history_at_once()
    {
        var experiment = await ExperimentAsync("ui-store-reads");
        var a = await RunAsync(experiment, "first", 0.1, "1", steps: 3);
        var b = await RunAsync(experiment, "second", 0.2, "2", steps: 2);
        var store = app.Services.GetRequiredService<Cairn.Tracking.TrackingStore>();
        var caller = Cairn.Governance.Caller.Admin("test");

        var runs = await store.GetRunsAsync(caller, [b, "no-such-run", a, b], CancellationToken.None);
        Assert.Equal([b, a], runs.Select(r => r.Info.RunId));
        Assert.Contains(runs[0].Data.Params, p => p.Key == "lr" && p.Value == "2");

        var history = await store.GetRunMetricHistoriesAsync(caller, a, 100, CancellationToken.None);
        Assert.Equal(["auc", "loss", "loss", "loss"], history.Select(m => m.Key));
        Assert.Equal([0L, 1, 2], history.Where(m => m.Key == "loss").Select(m => m.Step));
        Assert.Equal(2, (await store.GetRunMetricHistoriesAsync(caller, a, 2, CancellationToken.None)).Count);
        await Assert.ThrowsAsync<NotFoundException>(() => store.GetRunMetricHistoriesAsync(caller, "no-such-run", 10, CancellationToken.None));
    }

    [GeneratedRegex("href=\"/runs/[0-9a-f]+\">paged-")]
    private static partial Regex PagedRun();

    [GeneratedRegex("<a href=\"(?<href>[^\"]+)\" rel=\"next\">")]
    private static partial Regex NextLink();
}
