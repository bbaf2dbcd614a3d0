using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// metrics/get-history-bulk-interval, the sampled histories of MLflow's run charts. Ports test_rest_tracking.py's
/// test_get_metric_history_bulk_interval_rejects_invalid_requests and test_get_metric_history_bulk_interval_respects_max_results.
/// </summary>
public sealed class MlflowMetricIntervalTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow _mlflow = new(app.CreateClient(), "/ajax-api/2.0/mlflow");

    private async Task<string> RunWithStepsAsync(int steps, long timestamp = 1, string? runId = null)
    {
        if (runId is null)
        {
            var experiment = (string)(await _mlflow.OkAsync("experiments/create", new { name = $"interval-{Guid.NewGuid():N}" }))["experiment_id"]!;
            runId = (string)(await _mlflow.OkAsync("runs/create", new { experiment_id = experiment }))["run"]!["info"]!["run_id"]!;
        }
        for (var step = 0; step < steps; step++)
        {
            await _mlflow.OkAsync("runs/log-metric", new { run_id = runId, key = "metricA", value = 10.0, timestamp, step });
        }
        return runId;
    }

    private async Task<long[]> StepsAsync(string query) =>
        (await _mlflow.GetOkAsync($"metrics/get-history-bulk-interval?{query}"))["metrics"]!.AsArray().Select(m => (long)m!["step"]!).ToArray();

    [Theory]
    [InlineData("metric_key=key", "Missing value for required parameter 'run_ids'.")]
    [InlineData("run_ids=123&metric_key=key&max_results=0", "max_results must be between 1 and 2500")]
    [InlineData("run_ids=123&metric_key=", "Missing value for required parameter 'metric_key'")]
    [InlineData("run_ids=123&max_results=5", "Missing value for required parameter 'metric_key'")]
    [InlineData("run_ids=123&metric_key=key&start_step=1&end_step=0&max_results=5", "end_step must be greater than start_step. ")]
    [InlineData("run_ids=123&metric_key=key&start_step=1&max_results=5", "If either start step or end step are specified, both must be specified.")]
    public async Task Invalid_requests_are_refused_with_mlflows_messages(string query, string message) =>
        await (await _mlflow.GetAsync($"metrics/get-history-bulk-interval?{query}")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", message);

    [Fact]
    public async Task More_than_100_runs_are_refused() =>
        await (await _mlflow.GetAsync("metrics/get-history-bulk-interval?metric_key=key&" + string.Join('&', Enumerable.Range(0, 101).Select(i => $"run_ids=id_{i}"))))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "GetMetricHistoryBulkInterval request must specify at most 100 run_ids.");

    [Fact]
    public async Task Steps_are_sampled_evenly_keeping_each_runs_first_and_last()
    {
        var run1 = await RunWithStepsAsync(10);

        var sampled = await StepsAsync($"run_ids={run1}&metric_key=metricA&max_results=5");
        var ranged = await StepsAsync($"run_ids={run1}&metric_key=metricA&start_step=0&end_step=4&max_results=5");
        Assert.Equal([0, 2, 4, 6, 8, 9], sampled);
        Assert.Equal([0, 1, 2, 3, 4], ranged);

        var run2 = await RunWithStepsAsync(20);
        var both = (await _mlflow.GetOkAsync($"metrics/get-history-bulk-interval?run_ids={run1}&run_ids={run2}&metric_key=metricA&max_results=5"))["metrics"]!.AsArray();
        Assert.Equal([0, 4, 8, 9], both.Where(m => (string?)m!["run_id"] == run1).Select(m => (long)m!["step"]!).ToArray());
        Assert.Equal([0, 4, 8, 9, 12, 16, 19], both.Where(m => (string?)m!["run_id"] == run2).Select(m => (long)m!["step"]!).ToArray());
        Assert.Equal(
            """{"key":"metricA","value":10,"timestamp":1,"step":0,"run_id":"RUN"}""".Replace("RUN", run1, StringComparison.Ordinal),
            both[0]!.ToJsonString());
    }

    [Fact]
    public async Task Every_point_at_a_sampled_step_is_returned_and_an_unknown_run_has_none()
    {
        var run = await RunWithStepsAsync(10);
        await RunWithStepsAsync(10, timestamp: 2, runId: run);

        var metrics = (await _mlflow.GetOkAsync($"metrics/get-history-bulk-interval?run_ids={run}&run_ids=0123456789abcdef0123456789abcdef&metric_key=metricA&max_results=5"))["metrics"]!.AsArray();

        Assert.Equal([0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 9, 9], metrics.Select(m => (long)m!["step"]!).ToArray());
        Assert.Equal([1, 2], metrics.Take(2).Select(m => (long)m!["timestamp"]!).ToArray());
    }
}
