using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// MLflow tracking behaviour beyond the happy path, each checked against what MLflow's SQL store answers: lifecycle
/// errors, paging limits, GET forms of the searches, metric history pages and the audit entries behind each write.
/// </summary>
public sealed class TrackingContractTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow _mlflow = new(app.CreateClient());

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private async Task<string> ExperimentAsync(string? name = null) =>
        (string)(await _mlflow.OkAsync("experiments/create", new { name = name ?? Unique("exp") }))["experiment_id"]!;

    private async Task<string> RunIdAsync(string experimentId, string? runName = null) =>
        (string)(await _mlflow.OkAsync("runs/create", new { experiment_id = experimentId, start_time = "1700000000000", run_name = runName }))["run"]!["info"]!["run_id"]!;

    [Fact]
    public async Task Deleting_a_deleted_or_restoring_an_active_experiment_is_not_found_and_renaming_a_deleted_one_is_invalid_state()
    {
        var id = await ExperimentAsync();

        await (await _mlflow.PostAsync("experiments/restore", new { experiment_id = id }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"No Experiment with id={id} exists");
        await _mlflow.OkAsync("experiments/delete", new { experiment_id = id });
        await (await _mlflow.PostAsync("experiments/delete", new { experiment_id = id }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"No Experiment with id={id} exists");
        await (await _mlflow.PostAsync("experiments/update", new { experiment_id = id, new_name = Unique("late") }))
            .MlflowErrorAsync(500, "INVALID_STATE", "Cannot rename a non-active experiment.");
        await (await _mlflow.PostAsync("experiments/set-experiment-tag", new { experiment_id = id, key = "k", value = "v" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "must be in the 'active' state");
    }

    [Fact]
    public async Task An_experiment_keeps_a_given_artifact_location_and_refuses_a_runs_uri()
    {
        var id = (string)(await _mlflow.OkAsync("experiments/create", new { name = Unique("located"), artifact_location = "s3://bucket/team" }))["experiment_id"]!;
        var runId = await RunIdAsync(id);

        Assert.Equal("s3://bucket/team", (string?)(await _mlflow.GetOkAsync($"experiments/get?experiment_id={id}"))["experiment"]!["artifact_location"]);
        Assert.Equal($"s3://bucket/team/{runId}/artifacts", (string?)(await _mlflow.GetOkAsync($"runs/get?run_id={runId}"))["run"]!["info"]!["artifact_uri"]);
        await (await _mlflow.PostAsync("experiments/set-experiment-tag", new { experiment_id = id, key = "note", value = new string('x', 5001) }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "exceeded length limit of 5000");
        await _mlflow.OkAsync("experiments/set-experiment-tag", new { experiment_id = id, key = "note", value = new string('x', 5000) });
        await (await _mlflow.PostAsync("experiments/create", new { name = Unique("runs"), artifact_location = "runs:/abc/model" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Artifact location cannot be a runs:/ URI. Given: 'runs:/abc/model'");
    }

    [Fact]
    public async Task Deleting_an_experiment_deletes_its_runs_and_restoring_it_restores_them()
    {
        var id = await ExperimentAsync();
        var runId = await RunIdAsync(id);

        await _mlflow.OkAsync("experiments/delete", new { experiment_id = id });
        Assert.Equal("deleted", (string?)(await _mlflow.GetOkAsync($"runs/get?run_id={runId}"))["run"]!["info"]!["lifecycle_stage"]);
        await (await _mlflow.PostAsync("runs/set-tag", new { run_id = runId, key = "k", value = "v" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"The run {runId} must be in the 'active' state");

        await _mlflow.OkAsync("experiments/restore", new { experiment_id = id });
        Assert.Equal("active", (string?)(await _mlflow.GetOkAsync($"runs/get?run_id={runId}"))["run"]!["info"]!["lifecycle_stage"]);
    }

    [Fact]
    public async Task Experiment_listing_and_search_answer_get_requests_with_query_parameters()
    {
        var stem = Unique("get");
        var ids = new List<string>();
        foreach (var i in Enumerable.Range(0, 3))
        {
            ids.Add(await ExperimentAsync($"{stem}-{i}"));
        }
        await _mlflow.OkAsync("experiments/delete", new { experiment_id = ids[2] });

        var active = await _mlflow.GetOkAsync($"experiments/search?filter={Uri.EscapeDataString($"name LIKE '{stem}-%'")}&order_by=name%20ASC");
        var all = await _mlflow.GetOkAsync($"experiments/search?filter={Uri.EscapeDataString($"name LIKE '{stem}-%'")}&view_type=ALL&max_results=10");
        var listed = await _mlflow.GetOkAsync("experiments/list?view_type=DELETED_ONLY&max_results=50000");

        Assert.Equal([$"{stem}-0", $"{stem}-1"], active["experiments"]!.AsArray().Select(e => (string)e!["name"]!));
        var prefixed = await _mlflow.OkAsync("experiments/search", new { filter = $"attributes.name LIKE '{stem}-%'", order_by = new[] { "attributes.name DESC" } });
        Assert.Equal([$"{stem}-1", $"{stem}-0"], prefixed["experiments"]!.AsArray().Select(e => (string)e!["name"]!));
        await (await _mlflow.PostAsync("experiments/search", new { order_by = new[] { "tags.team DESC" } })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "order_by");
        Assert.Equal(3, all["experiments"]!.AsArray().Count);
        Assert.Null(all["next_page_token"]);
        Assert.Contains(listed["experiments"]!.AsArray(), e => (string?)e!["experiment_id"] == ids[2]);
        Assert.DoesNotContain(listed["experiments"]!.AsArray(), e => (string?)e!["lifecycle_stage"] == "active");
    }

    [Fact]
    public async Task Search_page_sizes_follow_mlflows_limits_and_messages()
    {
        await (await _mlflow.PostAsync("experiments/search", new { max_results = 50001 }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value for max_results. It must be at most 50000, but got 50001");
        await (await _mlflow.PostAsync("experiments/search", new { max_results = 0 }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value for max_results. It must be a positive integer, but got 0");
        // MLflow's handler refuses it before its store would (ports test_rest_tracking.py::test_search_validation); a GET skips the handler's check.
        await (await _mlflow.PostAsync("runs/search", new { experiment_ids = new[] { "0" }, max_results = 50001 }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value 50001 for parameter 'max_results' supplied. Hint: Value was of type 'int'.");
        await (await _mlflow.GetAsync("runs/search?experiment_ids=0&max_results=50001"))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value for request parameter max_results. It must be at most 50000, but got value 50001");
        await (await _mlflow.PostAsync("runs/search", new { experiment_ids = new[] { "0" }, page_token = "bm90LWEtdG9rZW4" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "page_token");
    }

    [Fact]
    public async Task A_page_token_is_bound_to_the_search_it_came_from()
    {
        var experiment = await ExperimentAsync();
        foreach (var _ in Enumerable.Range(0, 3))
        {
            await RunIdAsync(experiment);
        }
        var first = await _mlflow.OkAsync("runs/search", new { experiment_ids = new[] { experiment }, max_results = 2 });
        var token = (string)first["next_page_token"]!;

        await (await _mlflow.PostAsync("runs/search", new { experiment_ids = new[] { experiment }, max_results = 2, page_token = token, filter = "attributes.status = 'RUNNING'" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "page_token");
        var second = await _mlflow.OkAsync("runs/search", new { experiment_ids = new[] { experiment }, max_results = 2, page_token = token });
        Assert.Single(second["runs"]!.AsArray());
        Assert.Null(second["next_page_token"]);
    }

    [Fact]
    public async Task Run_search_by_get_takes_repeated_experiment_ids_and_filters_on_run_name_and_id()
    {
        var first = await ExperimentAsync();
        var second = await ExperimentAsync();
        var a = await RunIdAsync(first, "alpha");
        var b = await RunIdAsync(second, "beta");

        var both = await _mlflow.GetOkAsync($"runs/search?experiment_ids={first}&experiment_ids={second}&order_by=attributes.run_name%20ASC");
        Assert.Equal([a, b], both["runs"]!.AsArray().Select(r => (string)r!["info"]!["run_id"]!));

        async Task<List<string>> Search(string filter) =>
            ((await _mlflow.OkAsync("runs/search", new { experiment_ids = new[] { first, second }, filter }))["runs"]?.AsArray() ?? [])
                .Select(r => (string)r!["info"]!["run_id"]!).ToList();
        Assert.Equal([b], await Search("attributes.run_name = 'beta'"));
        Assert.Equal([a], await Search($"attributes.run_id IN ('{a}')"));
        Assert.Equal([a], await Search("tags.`mlflow.runName` = 'alpha'"));
        Assert.Equal([a], await Search("tags.mlflow.runName = 'alpha'"));
        Assert.Equal([b], await Search("tags.\"mlflow.runName\" = 'beta'"));
        Assert.Equal([a, b], (await _mlflow.OkAsync("runs/search", new { experiment_ids = new[] { first, second }, order_by = new[] { "tags.`mlflow.runName` ASC" } }))["runs"]!.AsArray()
            .Select(r => (string)r!["info"]!["run_id"]!));
        Assert.Empty(await Search("attributes.start_time > 1700000000000"));
        Assert.Empty((await _mlflow.OkAsync("runs/search", new { experiment_ids = Array.Empty<string>() }))["runs"]?.AsArray() ?? []);
    }

    [Fact]
    public async Task Updating_a_run_with_an_empty_name_keeps_its_name()
    {
        var runId = await RunIdAsync(await ExperimentAsync(), "kept");

        var info = (await _mlflow.OkAsync("runs/update", new { run_uuid = runId, run_name = "", status = "KILLED" }))["run_info"]!;

        Assert.Equal("kept", (string?)info["run_name"]);
        Assert.Equal("KILLED", (string?)info["status"]);
        Assert.Equal(runId, (string?)info["run_uuid"]);
        Assert.Null(info["end_time"]);
    }

    [Fact]
    public async Task A_batch_over_1000_entries_in_total_is_refused()
    {
        var runId = await RunIdAsync(await ExperimentAsync());

        await (await _mlflow.PostAsync("runs/log-batch", new
        {
            run_id = runId,
            metrics = Enumerable.Range(0, 900).Select(i => new { key = "m", value = 1.0, timestamp = 1L, step = (long)i }).ToArray(),
            @params = Enumerable.Range(0, 100).Select(i => new { key = $"p{i}", value = "v" }).ToArray(),
            tags = new[] { new { key = "t", value = "v" } },
        })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "at most 1000 metrics, params and tags in total. Got 1001");
    }

    [Fact]
    public async Task A_batch_metric_without_a_value_or_timestamp_is_refused_quoting_the_metrics()
    {
        // MLflow's handler names the whole list, not the item (ports test_rest_tracking.py::test_log_batch_validation).
        var runId = await RunIdAsync(await ExperimentAsync());

        await (await _mlflow.PostAsync("runs/log-batch", new { run_id = runId, metrics = new object[] { new { key = "a", value = 1, timestamp = 1 }, new { key = "b", timestamp = 1 } } }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value [{'key': 'a', 'value': 1, 'timestamp': 1}, {'key': 'b', 'timestamp': 1}] for parameter 'metrics' supplied. Hint: Value was of type 'list'.");
        await (await _mlflow.PostAsync("runs/log-batch", new { run_id = runId, metrics = new[] { new { key = "a", value = 1 } } }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "for parameter 'metrics' supplied");
        await _mlflow.OkAsync("runs/log-batch", new { run_id = runId, metrics = new[] { new { key = "a", value = "Infinity", timestamp = "5" } } });

        var metric = (await _mlflow.GetOkAsync($"runs/get?run_id={runId}"))["run"]!["data"]!["metrics"]![0]!;
        Assert.Equal("Infinity", metric["value"]!.ToJsonString().Trim('"'));
        Assert.Equal(0, (long)metric["step"]!);
        Assert.Equal(5, (long)metric["timestamp"]!);
    }

    [Fact]
    public async Task A_param_logged_twice_in_one_batch_with_different_values_is_refused()
    {
        var runId = await RunIdAsync(await ExperimentAsync());

        await (await _mlflow.PostAsync("runs/log-batch", new { run_id = runId, @params = new[] { new { key = "lr", value = "1" }, new { key = "lr", value = "2" } } }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Duplicate parameter keys");
        await _mlflow.OkAsync("runs/log-batch", new { run_id = runId, @params = new[] { new { key = "lr", value = "1" }, new { key = "lr", value = "1" } } });
        await (await _mlflow.PostAsync("runs/log-parameter", new { run_id = runId, key = "lr", value = "3" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed");
    }

    [Fact]
    public async Task Metric_history_pages_in_step_order_and_a_repeated_point_is_kept_once()
    {
        var runId = await RunIdAsync(await ExperimentAsync());
        var points = Enumerable.Range(0, 5).Select(i => new { key = "loss", value = 1.0 / (i + 1), timestamp = 1_700_000_000_000L + i, step = (long)i }).ToArray();
        await _mlflow.OkAsync("runs/log-batch", new { run_id = runId, metrics = points });
        await _mlflow.OkAsync("runs/log-batch", new { run_id = runId, metrics = points[..1] });

        var steps = new List<long>();
        string? token = null;
        var pages = 0;
        do
        {
            var query = $"metrics/get-history?run_id={runId}&metric_key=loss&max_results=2" + (token is null ? "" : $"&page_token={Uri.EscapeDataString(token)}");
            var page = await _mlflow.GetOkAsync(query);
            steps.AddRange(page["metrics"]!.AsArray().Select(m => (long)m!["step"]!));
            token = (string?)page["next_page_token"];
            pages++;
        }
        while (token is not null);

        Assert.Equal([0, 1, 2, 3, 4], steps);
        Assert.Equal(3, pages);
        var empty = await _mlflow.GetOkAsync($"metrics/get-history?run_id={runId}&metric_key=absent");
        Assert.Empty(empty["metrics"]?.AsArray() ?? []);
        await (await _mlflow.GetAsync($"metrics/get-history?run_id={runId}")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "'metric_key'");
        await (await _mlflow.GetAsync("metrics/get-history?run_id=absent&metric_key=loss")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Each_write_leaves_one_audit_entry_and_a_batchs_entry_keeps_counts_not_points()
    {
        var experiment = await ExperimentAsync();
        var runId = await RunIdAsync(experiment);
        await _mlflow.OkAsync("runs/log-batch", new
        {
            run_id = runId,
            metrics = Enumerable.Range(0, 500).Select(i => new { key = i % 2 == 0 ? "a" : "b", value = (double)i, timestamp = 1L, step = (long)i }).ToArray(),
        });
        await _mlflow.OkAsync("runs/delete", new { run_id = runId });

        var response = await _mlflow.Client.GetAsync(new Uri($"/api/v1/audit?resource=runs/{runId}", UriKind.Relative));
        var entries = (await response.OkAsync())["entries"]!.AsArray();
        Assert.Equal(["run.delete", "run.log_batch", "run.create"], entries.Select(e => (string?)e!["action"]));
        var batch = entries[1]!["after"]!;
        Assert.Equal(500, (int)batch["metrics"]!);
        Assert.Equal(["a", "b"], batch["metric_keys"]!.AsArray().Select(k => (string)k!));
        Assert.True(batch.ToJsonString().Length < 200, batch.ToJsonString());

        var experimentEntries = (await (await _mlflow.Client.GetAsync(new Uri($"/api/v1/audit?resource=experiments/{experiment}", UriKind.Relative))).OkAsync())["entries"]!.AsArray();
        Assert.Equal("experiment.create", (string?)experimentEntries.Single()!["action"]);
    }

    [Fact]
    public async Task Responses_leave_absent_fields_out_and_write_int64s_as_numbers()
    {
        var runId = await RunIdAsync(await ExperimentAsync());

        var info = (JsonObject)(await _mlflow.GetOkAsync($"runs/get?run_id={runId}"))["run"]!["info"]!;

        Assert.False(info.ContainsKey("end_time"));
        Assert.Equal(JsonValueKind(1_700_000_000_000L), JsonValueKind(info["start_time"]!));
        Assert.Equal(1_700_000_000_000L, (long)info["start_time"]!);
    }

    private static System.Text.Json.JsonValueKind JsonValueKind(JsonNode node) => node.GetValueKind();

    private static System.Text.Json.JsonValueKind JsonValueKind(long value) => JsonValue.Create(value).GetValueKind();
}
