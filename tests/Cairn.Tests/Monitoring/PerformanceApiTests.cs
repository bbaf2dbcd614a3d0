using System.Globalization;
using System.Text.Json.Nodes;
using Cairn.Monitoring.Performance;
using Cairn.Tests.Api;
using Cairn.Tests.Deployments;

namespace Cairn.Tests.Monitoring;

/// <summary>A model with versions served by a deployment, for the monitoring tests.</summary>
internal static class MonitoredModel
{
    /// <summary>A new model with <paramref name="versions"/> versions, deployed with version 1 taking all traffic, then <paramref name="canary"/> taking 10 % when given.</summary>
    public static async Task<(string Model, string Deployment)> DeployAsync(HttpClient client, int versions = 2, int? canary = null)
    {
        var (model, env) = await DeploymentFlowTests.ModelAndEnvironmentAsync(client, versions);
        var created = await (await client.PostJsonAsync("/api/v1/deployments", new
        {
            name = "scorer",
            environment = env,
            model,
            traffic = new[] { new { version = 1, share = 100m, shadow = false } },
        })).ExpectAsync(201);
        var id = (string)created["id"]!;
        if (canary is { } v)
        {
            await (await client.PutJsonAsync($"/api/v1/deployments/{id}/traffic",
                new { traffic = new[] { new { version = 1, share = 90m, shadow = false }, new { version = v, share = 10m, shadow = false } } })).ExpectAsync(200);
        }
        return (model, id);
    }
}

/// <summary>
/// Predictions and ground truth through the API, performance figures per version and bucket equal to scikit-learn's,
/// reported metrics, idempotent ids, and refusals that leave the store unchanged. SQLite and PostgreSQL.
/// </summary>
public sealed class PerformanceApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();
    private static readonly DateTimeOffset Day1 = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    private static Dictionary<string, double> Figures(JsonObject series, int version, DateTimeOffset starts, string source = "computed") =>
        series["points"]!.AsArray()
            .Where(p => (int)p!["version"]! == version && (DateTimeOffset)p["starts_at"]! == starts && (string?)p["source"] == source)
            .ToDictionary(p => (string)p!["metric"]!, p => (double)p!["value"]!);

    [SkippableFact]
    public async Task Predictions_with_ground_truth_give_daily_figures_per_version_equal_to_scikit_learns()
    {
        var (_, deployment) = await MonitoredModel.DeployAsync(_client, canary: 2);
        var (outcomes, _) = PerformanceCalculatorTests.Binary(300, 21);
        var predictions = new List<object>();
        var truths = new List<object>();
        var expectedInput = new Dictionary<(int, int), (List<int> Y, List<int> P, List<double> S)>();
        for (var i = 0; i < outcomes.Count; i++)
        {
            var version = i % 3 == 0 ? 2 : 1;
            var day = i % 2;
            var label = int.Parse(outcomes[i].Prediction, CultureInfo.InvariantCulture);
            var actual = int.Parse(outcomes[i].Actual, CultureInfo.InvariantCulture);
            var score = JsonNode.Parse(outcomes[i].Probabilities!)!["1"]!.GetValue<double>();
            predictions.Add(new { id = $"p{i}", version, at = Day1.AddDays(day).AddMinutes(i), prediction = label, probabilities = new Dictionary<string, double> { ["0"] = 1 - score, ["1"] = score } });
            truths.Add(new { id = $"p{i}", actual });
            if (!expectedInput.TryGetValue((version, day), out var lists))
            {
                expectedInput[(version, day)] = lists = ([], [], []);
            }
            lists.Y.Add(actual);
            lists.P.Add(label);
            lists.S.Add(score);
        }
        var logged = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions", predictions)).ExpectAsync(200);
        Assert.Equal(300, (int)logged["stored"]!);
        Assert.Empty(logged["recomputed"]!.AsArray());
        var truth = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/ground-truth", truths)).ExpectAsync(200);
        Assert.Equal(4 * 6, truth["recomputed"]!.AsArray().Count);

        var series = await (await _client.GetAsync($"/api/v1/monitoring/performance?deployment={deployment}&bucket=day")).ExpectAsync(200);
        foreach (var ((version, day), (y, p, s)) in expectedInput)
        {
            var expected = await SklearnOracle.RunAsync(new { y, p, s }, """
                from sklearn import metrics as m
                y, yp, s = d['y'], d['p'], d['s']
                out = dict(accuracy=m.accuracy_score(y, yp), precision=m.precision_score(y, yp), recall=m.recall_score(y, yp),
                           f1=m.f1_score(y, yp), roc_auc=m.roc_auc_score(y, s), log_loss=m.log_loss(y, s))
                """);
            SklearnOracle.AssertClose(expected, Figures(series, version, Day1.AddDays(day)));
            // The figures the ingest stored for the day are the same.
            var stored = await app.ScalarAsync<double>(
                $"SELECT value FROM performance_metrics WHERE deployment_id = '{deployment}' AND version = {version} AND metric = 'roc_auc' AND source = 'computed' AND starts_at = {Day1.AddDays(day).ToUnixTimeMilliseconds()}");
            Assert.Equal(expected["roc_auc"], stored, 12);
        }

        var hourly = await (await _client.GetAsync($"/api/v1/monitoring/performance?deployment={deployment}&version=1&metric=accuracy&bucket=hour")).ExpectAsync(200);
        Assert.All(hourly["points"]!.AsArray(), p => Assert.Equal(("accuracy", 1), ((string)p!["metric"]!, (int)p["version"]!)));
        Assert.Equal(expectedInput[(1, 0)].Y.Count + expectedInput[(1, 1)].Y.Count, hourly["points"]!.AsArray().Sum(p => (int)p!["count"]!));
    }

    [SkippableFact]
    public async Task Regression_figures_over_the_whole_range_equal_scikit_learns()
    {
        var (_, deployment) = await MonitoredModel.DeployAsync(_client);
        var random = new Random(3);
        var y = Enumerable.Range(0, 120).Select(_ => Math.Round(random.NextDouble() * 500, 3)).ToList();
        var p = y.Select(v => Math.Round(v + (random.NextDouble() - 0.5) * 40, 3)).ToList();
        await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions",
            p.Select((v, i) => new { id = $"r{i}", version = 1, at = Day1.AddHours(i), prediction = v }).ToList())).ExpectAsync(200);
        await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/ground-truth",
            y.Select((v, i) => new { id = $"r{i}", actual = v }).ToList())).ExpectAsync(200);

        var series = await (await _client.GetAsync(
            $"/api/v1/monitoring/performance?deployment={deployment}&bucket=range&task=regression&from={Q(Day1)}&to={Q(Day1.AddDays(10))}")).ExpectAsync(200);
        var expected = await SklearnOracle.RunAsync(new { y, p }, """
            from sklearn import metrics as m
            import math
            out = dict(mae=m.mean_absolute_error(d['y'], d['p']), rmse=math.sqrt(m.mean_squared_error(d['y'], d['p'])), r2=m.r2_score(d['y'], d['p']))
            """);
        SklearnOracle.AssertClose(expected, Figures(series, 1, Day1));
        Assert.Equal(Day1.AddDays(10), (DateTimeOffset)series["points"]![0]!["ends_at"]!);
    }

    private static string Q(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O", CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_resent_id_replaces_its_row_and_sending_a_batch_twice_changes_nothing()
    {
        var (_, deployment) = await MonitoredModel.DeployAsync(_client);
        object Batch(string second) => new[]
        {
            new { id = "a", version = 1, at = Day1, prediction = "spam" },
            new { id = "b", version = 1, at = Day1.AddMinutes(1), prediction = second },
        };
        await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions", Batch("spam"))).ExpectAsync(200);
        await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/ground-truth", new[] { new { id = "a", actual = "spam" }, new { id = "b", actual = "ham" } })).ExpectAsync(200);
        async Task<double> AccuracyAsync() => (double)(await (await _client.GetAsync($"/api/v1/monitoring/performance?deployment={deployment}&metric=accuracy")).ExpectAsync(200))["points"]![0]!["value"]!;
        Assert.Equal(0.5, await AccuracyAsync());

        await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions", Batch("ham"))).ExpectAsync(200);
        await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions", Batch("ham"))).ExpectAsync(200);
        Assert.Equal(1.0, await AccuracyAsync());
        Assert.Equal(2, await app.ScalarAsync<int>($"SELECT COUNT(*) FROM predictions WHERE deployment_id = '{deployment}'"));
        Assert.Equal(1.0, await app.ScalarAsync<double>(
            $"SELECT value FROM performance_metrics WHERE deployment_id = '{deployment}' AND metric = 'accuracy' AND source = 'computed'"));
    }

    [Fact]
    public async Task Reported_metrics_are_kept_as_reported_and_read_with_the_computed_ones()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client);
        var reported = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/metrics", new[]
        {
            new { version = 1, metric = "latency_p99_ms", starts_at = Day1, ends_at = Day1.AddHours(1), value = 182.5, count = (long?)5000 },
            new { version = 1, metric = "accuracy", starts_at = Day1, ends_at = Day1.AddDays(1), value = 0.93, count = (long?)null },
        })).ExpectAsync(200);
        Assert.Equal(2, (int)reported["stored"]!);

        var series = await (await _client.GetAsync($"/api/v1/monitoring/performance?deployment={deployment}")).ExpectAsync(200);
        Assert.Equal(model, (string?)series["model"]);
        Assert.Equal(182.5, Figures(series, 1, Day1, "reported")["latency_p99_ms"]);
        Assert.Equal(0.93, Figures(series, 1, Day1, "reported")["accuracy"]);
        var latency = await (await _client.GetAsync($"/api/v1/monitoring/performance?deployment={deployment}&metric=latency_p99_ms")).ExpectAsync(200);
        Assert.Equal(5000, (long)Assert.Single(latency["points"]!.AsArray())!["count"]!);

        var events = await (await _client.GetAsync("/api/v1/events?types=monitoring.metrics_reported")).ExpectAsync(200);
        var last = events["events"]!.AsArray().Last()!;
        Assert.Equal($"models/{model}/deployments/{deployment}/metrics", (string?)last["resource"]);
        Assert.Equal("/" + model.Split('.')[0], (string?)last["namespace"]);
    }

    [Fact]
    public async Task Bad_batches_are_refused_naming_the_entry_and_leave_the_store_unchanged()
    {
        var (_, deployment) = await MonitoredModel.DeployAsync(_client, versions: 3);
        var before = await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");
        var unserved = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions", new[]
        {
            new { id = "a", version = 1, at = Day1, prediction = 1 },
            new { id = "b", version = 3, at = Day1, prediction = 0 },
        })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'[1].version'", (string?)unserved["detail"], StringComparison.Ordinal);
        var repeated = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions", new[]
        {
            new { id = "a", version = 1, at = Day1, prediction = 1 },
            new { id = "a", version = 1, at = Day1, prediction = 0 },
        })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'[1].id'", (string?)repeated["detail"], StringComparison.Ordinal);
        var noLabel = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions", new[] { new { id = "a", version = 1, at = Day1 } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'[0].prediction'", (string?)noLabel["detail"], StringComparison.Ordinal);
        var probability = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions",
            new[] { new { id = "a", version = 1, at = Day1, prediction = 1, probabilities = new Dictionary<string, double> { ["1"] = 1.5 } } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'[0].probabilities.1'", (string?)probability["detail"], StringComparison.Ordinal);
        var tooMany = Enumerable.Range(0, 10_001).Select(i => new { id = $"x{i}", actual = 1 }).ToList();
        var limit = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/ground-truth", tooMany)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("MaxListLength", (string?)limit["detail"], StringComparison.Ordinal);
        await (await _client.PostJsonAsync("/api/v1/deployments/dep-missing/predictions", new[] { new { id = "a", version = 1, at = Day1, prediction = 1 } }))
            .ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync("/api/v1/monitoring/performance?deployment=dep-missing")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync($"/api/v1/monitoring/performance?deployment={deployment}&bucket=week")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM predictions WHERE deployment_id = '{deployment}'"));
        Assert.Equal(before, await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log"));
    }

    [Fact]
    public async Task A_batch_is_audited_once_and_its_event_names_the_deployment_and_model()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client);
        await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions", new[]
        {
            new { id = "a", version = 1, at = Day1, prediction = 1 },
            new { id = "b", version = 1, at = Day1.AddHours(2), prediction = 0 },
        })).ExpectAsync(200);
        var audit = await (await _client.GetAsync($"/api/v1/audit?action=monitoring.predictions.log&resource={Uri.EscapeDataString($"models/{model}/deployments/{deployment}/predictions")}")).ExpectAsync(200);
        var entry = Assert.Single(audit["entries"]!.AsArray())!;
        Assert.Equal((2, deployment, model), ((int)entry["after"]!["stored"]!, (string?)entry["after"]!["deployment"], (string?)entry["after"]!["model"]));
        var events = await (await _client.GetAsync("/api/v1/events?types=monitoring.predictions_logged")).ExpectAsync(200);
        Assert.Contains(events["events"]!.AsArray(), e => (string?)e!["payload"]!["deployment"] == deployment);
        Assert.Contains(PerformanceMetricNames.RocAuc, PerformanceMetricNames.Computed);
    }
}
