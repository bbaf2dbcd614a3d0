using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// MLflow 2.10.2's tests/tracking/test_rest_tracking.py, ported: each test names the MLflow test it covers. The
/// assertions that need MLflow's Python client or CLI are made on the REST calls that client sends.
/// </summary>
public sealed class RestTrackingPortTests(CairnApp app) : IClassFixture<CairnApp>, IDisposable
{
    private readonly HttpClient _client = app.CreateClient();
    private readonly Mlflow _mlflow = new(app.CreateClient());
    private readonly Mlflow _ajax = new(app.CreateClient(), "/ajax-api/2.0/mlflow");
    private readonly string _local = Directory.CreateTempSubdirectory("cairn-restport-").FullName;

    public void Dispose() => Directory.Delete(_local, recursive: true);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private async Task<string> ExperimentAsync(string? location = null) =>
        (string)(await _mlflow.OkAsync("experiments/create", new { name = Unique("exp"), artifact_location = location }))["experiment_id"]!;

    private async Task<string> RunIdAsync(string experimentId, long? startTime = null) =>
        (string)(await _mlflow.OkAsync("runs/create", new { experiment_id = experimentId, start_time = startTime }))["run"]!["info"]!["run_id"]!;

    private async Task<HttpResponseMessage> PostJsonAsync(string endpoint, string json) =>
        await _client.PostAsync(new Uri($"/api/2.0/mlflow/{endpoint}", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

    private Task<JsonObject> RunAsync(string runId) => _mlflow.GetOkAsync($"runs/get?run_id={runId}");

    private static Dictionary<string, string> Pairs(JsonNode? list) =>
        (list?.AsArray() ?? []).ToDictionary(p => (string)p!["key"]!, p => (string?)p!["value"] ?? "");

    [Fact]
    public async Task A_relative_artifact_location_is_kept_resolved_against_the_working_directory_with_the_tags()
    {
        // ports test_create_get_search_experiment
        var id = (string)(await _mlflow.OkAsync("experiments/create", new
        {
            name = Unique("My Experiment"),
            artifact_location = "my_location",
            tags = new[] { new { key = "key1", value = "val1" }, new { key = "key2", value = "val2" } },
        }))["experiment_id"]!;

        var experiment = (await _mlflow.GetOkAsync($"experiments/get?experiment_id={id}"))["experiment"]!;
        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "my_location"), (string?)experiment["artifact_location"]);
        Assert.Equal(new Dictionary<string, string> { ["key1"] = "val1", ["key2"] = "val2" }, Pairs(experiment["tags"]));
    }

    [Fact]
    public async Task A_relative_file_uri_location_stays_a_file_uri_made_absolute()
    {
        var id = await ExperimentAsync("file:rel_location");

        var location = (string?)(await _mlflow.GetOkAsync($"experiments/get?experiment_id={id}"))["experiment"]!["artifact_location"];
        Assert.Equal(new Uri(Path.Combine(Directory.GetCurrentDirectory(), "rel_location")).AbsoluteUri, location);
    }

    [Fact]
    public async Task A_location_whose_query_string_climbs_is_refused()
    {
        await (await _mlflow.PostAsync("experiments/create", new { name = Unique("q"), artifact_location = "s3://bucket/x?a=../../b" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid query string");
    }

    [Fact]
    public async Task Deleted_experiments_leave_the_active_view_and_pages_of_one_cover_all_views()
    {
        // ports test_create_get_search_experiment (views and pages; other tests' experiments share this store)
        var name = Unique("viewed");
        var id = (string)(await _mlflow.OkAsync("experiments/create", new { name }))["experiment_id"]!;
        await _mlflow.OkAsync("experiments/delete", new { experiment_id = id });
        var filter = $"name = '{name}'";

        Assert.Empty((await _mlflow.OkAsync("experiments/search", new { filter }))["experiments"]?.AsArray() ?? []);
        Assert.Empty((await _mlflow.OkAsync("experiments/search", new { filter, view_type = "ACTIVE_ONLY" }))["experiments"]?.AsArray() ?? []);
        Assert.Single((await _mlflow.OkAsync("experiments/search", new { filter, view_type = "DELETED_ONLY" }))["experiments"]!.AsArray());
        Assert.Single((await _mlflow.OkAsync("experiments/search", new { filter, view_type = "ALL" }))["experiments"]!.AsArray());
        var active = await _mlflow.OkAsync("experiments/search", new { max_results = 1, filter = "name = 'Default'" });
        Assert.Equal("Default", (string?)active["experiments"]![0]!["name"]);
        Assert.Null(active["next_page_token"]);
    }

    [Theory]
    // ports test_create_experiment_validation
    [InlineData("""{"name": 123}""", "Invalid value 123 for parameter 'name'")]
    [InlineData("{}", "Missing value for required parameter 'name'")]
    [InlineData("""{"name": "experiment name", "artifact_location": 9.0, "tags": [{"key": "key", "value": "value"}]}""", "Invalid value 9.0 for parameter 'artifact_location'")]
    [InlineData("""{"name": "experiment name", "artifact_location": "my_location", "tags": "5"}""", "Invalid value 5 for parameter 'tags'")]
    public async Task Experiment_creation_is_validated_in_mlflows_words(string json, string message)
    {
        await (await PostJsonAsync("experiments/create", json)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", message);
    }

    [Fact]
    public async Task An_empty_body_is_checked_as_an_empty_message()
    {
        await (await _client.PostAsync(new Uri("/api/2.0/mlflow/experiments/create", UriKind.Relative), null))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'. See the API docs for more information about request parameters.");
    }

    [Fact]
    public async Task Metric_logging_is_validated_in_mlflows_words()
    {
        // ports test_log_metric_validation
        var runId = await RunIdAsync(await ExperimentAsync());

        string[][] cases =
        [
            ["""{"run_id": 31, "key": "metric", "value": 41, "timestamp": 59, "step": 26}""", "Invalid value 31 for parameter 'run_id' supplied"],
            [$$"""{"run_id": "{{runId}}", "key": 31, "value": 41, "timestamp": 59, "step": 26}""", "Invalid value 31 for parameter 'key' supplied"],
            [$$"""{"run_id": "{{runId}}", "key": "foo", "value": 31, "timestamp": 59, "step": "foo"}""", "Invalid value foo for parameter 'step' supplied"],
            [$$"""{"run_id": "{{runId}}", "key": "foo", "value": 31, "timestamp": "foo", "step": 41}""", "Invalid value foo for parameter 'timestamp' supplied"],
            ["""{"run_id": null, "key": "foo", "value": 31, "timestamp": 59, "step": 41}""", "Missing value for required parameter 'run_id'"],
            [$$"""{"run_id": "{{runId}}", "value": 31, "timestamp": 59, "step": 41}""", "Missing value for required parameter 'key'"],
            [$$"""{"run_id": "{{runId}}", "key": null, "value": 31, "timestamp": 59, "step": 41}""", "Missing value for required parameter 'key'"],
        ];
        foreach (var (json, message) in cases.Select(c => (c[0], c[1])))
        {
            await (await PostJsonAsync("runs/log-metric", json)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", message);
        }
        Assert.Empty((await RunAsync(runId))["run"]!["data"]!["metrics"]?.AsArray() ?? []);
    }

    [Fact]
    public async Task The_invalid_value_message_names_pythons_type_and_points_to_the_docs()
    {
        await (await PostJsonAsync("runs/log-metric", """{"run_id": 31, "key": "m", "value": 1, "timestamp": 1}"""))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE",
                "Invalid value 31 for parameter 'run_id' supplied. Hint: Value was of type 'int'. See the API docs for more information about request parameters.");
    }

    [Fact]
    public async Task Param_and_tag_logging_are_validated_in_mlflows_words_and_run_uuid_still_names_the_run()
    {
        // ports test_log_param_validation and test_set_tag_validation
        var runId = await RunIdAsync(await ExperimentAsync());

        await (await PostJsonAsync("runs/log-parameter", """{"run_id": 31, "key": "param", "value": 41}""")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value 31 for parameter 'run_id' supplied");
        await (await PostJsonAsync("runs/log-parameter", $$"""{"run_id": "{{runId}}", "key": 31, "value": 41}""")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value 31 for parameter 'key' supplied");
        await (await PostJsonAsync("runs/set-tag", """{"run_id": 31, "key": "tag", "value": 41}""")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value 31 for parameter 'run_id' supplied");
        await (await PostJsonAsync("runs/set-tag", $$"""{"run_id": "{{runId}}", "key": "param", "value": 41}""")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value 41 for parameter 'value' supplied");
        await (await PostJsonAsync("runs/set-tag", $$"""{"run_id": "{{runId}}", "value": "value"}""")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'key'");
        await (await PostJsonAsync("runs/set-tag", $$"""{"run_uuid": "{{runId}}", "key": "key", "value": "value"}""")).OkAsync();

        Assert.Equal("value", Pairs((await RunAsync(runId))["run"]!["data"]!["tags"])["key"]);
    }

    [Fact]
    public async Task Empty_strings_are_values_for_params_tags_batches_and_experiment_tags()
    {
        // ports test_log_param_with_empty_string_as_value, test_set_tag_with_empty_string_as_value,
        // test_log_batch_containing_params_and_tags_with_empty_string_values, test_set_experiment_tag_with_empty_string_as_value
        var experiment = await ExperimentAsync();
        var runId = await RunIdAsync(experiment);

        await _mlflow.OkAsync("runs/log-parameter", new { run_id = runId, key = "param_key", value = "" });
        await _mlflow.OkAsync("runs/set-tag", new { run_id = runId, key = "tag_key", value = "" });
        await _mlflow.OkAsync("runs/log-batch", new { run_id = runId, @params = new[] { new { key = "batch_param", value = "" } }, tags = new[] { new { key = "batch_tag", value = "" } } });
        await _mlflow.OkAsync("experiments/set-experiment-tag", new { experiment_id = experiment, key = "tag_key", value = "" });

        var data = (await RunAsync(runId))["run"]!["data"]!;
        Assert.Equal("", Pairs(data["params"])["param_key"]);
        Assert.Equal("", Pairs(data["params"])["batch_param"]);
        Assert.Equal("", Pairs(data["tags"])["tag_key"]);
        Assert.Equal("", Pairs(data["tags"])["batch_tag"]);
        Assert.Equal("", Pairs((await _mlflow.GetOkAsync($"experiments/get?experiment_id={experiment}"))["experiment"]!["tags"])["tag_key"]);
    }

    [Fact]
    public async Task Unsafe_paths_are_refused_with_exactly_mlflows_answer_on_every_download_route()
    {
        // ports test_path_validation
        var runId = await RunIdAsync(await ExperimentAsync());
        var expected = JsonNode.Parse("""{"error_code": "INVALID_PARAMETER_VALUE", "message": "Invalid path"}""");

        foreach (var url in new[]
        {
            $"/api/2.0/mlflow/artifacts/list?run_id={runId}&path=../path",
            $"/get-artifact?run_id={runId}&path=../path",
            "/model-versions/get-artifact?name=model&version=1&path=../path",
            // MLflow's test sends this one with a doubled slash, which its server (Werkzeug) merges.
            "//model-versions/get-artifact?name=model&version=1&path=../path",
        })
        {
            using var response = await _client.GetAsync(new Uri(_client.BaseAddress!.GetLeftPart(UriPartial.Authority) + url));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(await response.Content.ReadAsStringAsync())), url);
        }
    }

    [Fact]
    public async Task Multi_line_experiment_tags_are_kept_and_tags_stay_per_experiment()
    {
        // ports test_set_experiment_tag
        var first = await ExperimentAsync();
        var second = await ExperimentAsync();
        await _mlflow.OkAsync("experiments/set-experiment-tag", new { experiment_id = first, key = "dataset", value = "imagenet1K" });
        await _mlflow.OkAsync("experiments/set-experiment-tag", new { experiment_id = first, key = "dataset", value = "birdbike" });
        await _mlflow.OkAsync("experiments/set-experiment-tag", new { experiment_id = second, key = "dataset", value = "birds200" });
        await _mlflow.OkAsync("experiments/set-experiment-tag", new { experiment_id = first, key = "multiline tag", value = "value2\nvalue2\nvalue2" });

        var tags = Pairs((await _mlflow.GetOkAsync($"experiments/get?experiment_id={first}"))["experiment"]!["tags"]);
        Assert.Equal("birdbike", tags["dataset"]);
        Assert.Equal("value2\nvalue2\nvalue2", tags["multiline tag"]);
        Assert.Equal("birds200", Pairs((await _mlflow.GetOkAsync($"experiments/get?experiment_id={second}"))["experiment"]!["tags"])["dataset"]);
    }

    [Fact]
    public async Task Deleting_a_tag_of_a_missing_run_a_missing_tag_or_a_deleted_run_is_refused()
    {
        // ports test_delete_tag
        var runId = await RunIdAsync(await ExperimentAsync());
        await _mlflow.OkAsync("runs/set-tag", new { run_id = runId, key = "taggity", value = "do-dah" });
        await _mlflow.OkAsync("runs/delete-tag", new { run_id = runId, key = "taggity" });

        Assert.DoesNotContain("taggity", Pairs((await RunAsync(runId))["run"]!["data"]!["tags"]).Keys);
        await (await _mlflow.PostAsync("runs/delete-tag", new { run_id = "fake_run_id", key = "taggity" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "not found");
        await (await _mlflow.PostAsync("runs/delete-tag", new { run_id = runId, key = "fakeTag" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "No tag with name: fakeTag");
        await _mlflow.OkAsync("runs/delete", new { run_id = runId });
        await (await _mlflow.PostAsync("runs/delete-tag", new { run_id = runId, key = "taggity" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"The run {runId} must be in");
    }

    [Theory]
    // ports test_log_batch_validation
    [InlineData("metrics")]
    [InlineData("params")]
    [InlineData("tags")]
    public async Task A_batch_list_that_is_not_a_list_is_refused(string field)
    {
        var runId = await RunIdAsync(await ExperimentAsync());

        await (await PostJsonAsync("runs/log-batch", $$"""{"run_id": "{{runId}}", "{{field}}": "foo"}"""))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"Invalid value foo for parameter '{field}' supplied");
    }

    [Fact]
    public async Task A_batch_metric_needs_a_timestamp_but_not_a_step()
    {
        // ports test_log_batch_validation and test_log_batch
        var runId = await RunIdAsync(await ExperimentAsync());

        await (await PostJsonAsync("runs/log-batch", $$"""{"run_id": "{{runId}}", "metrics": [{"key": "mae", "value": 2.5}]}"""))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value [{'key': 'mae', 'value': 2.5}] for parameter 'metrics' supplied");
        await (await PostJsonAsync("runs/log-batch", $$"""{"run_id": "{{runId}}", "metrics": [{"key": "mae", "value": 2.5, "timestamp": 123456789}]}""")).OkAsync();

        var history = await _mlflow.GetOkAsync($"metrics/get-history?run_id={runId}&metric_key=mae");
        Assert.Equal(0, (long)history["metrics"]![0]!["step"]!);
    }

    [Fact]
    public async Task Terminating_sets_finished_or_the_given_status_and_an_end_time()
    {
        // ports test_set_terminated_defaults and test_set_terminated_status
        var experiment = await ExperimentAsync();
        foreach (var status in new[] { "FINISHED", "FAILED" })
        {
            var runId = await RunIdAsync(experiment);
            var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            Assert.Null((await RunAsync(runId))["run"]!["info"]!["end_time"]);
            await _mlflow.OkAsync("runs/update", new { run_id = runId, status, end_time = before });

            var info = (await RunAsync(runId))["run"]!["info"]!;
            Assert.Equal(status, (string?)info["status"]);
            Assert.True((long)info["end_time"]! <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
    }

    [Fact]
    public async Task Runs_started_at_the_same_time_page_in_run_id_order()
    {
        // ports test_search_pagination
        var experiment = await ExperimentAsync();
        var runs = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            runs.Add(await RunIdAsync(experiment, startTime: 1));
        }
        runs.Sort(StringComparer.Ordinal);

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await _mlflow.OkAsync("runs/search", new { experiment_ids = new[] { experiment }, max_results = 4, page_token = token });
            seen.AddRange(page["runs"]!.AsArray().Select(r => (string)r!["info"]!["run_id"]!));
            token = (string?)page["next_page_token"];
            pages++;
        }
        while (token is not null);

        Assert.Equal(runs, seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task A_search_above_the_page_limit_is_refused_naming_the_value()
    {
        // ports test_search_validation
        var experiment = await ExperimentAsync();

        await (await _mlflow.PostAsync("runs/search", new { experiment_ids = new[] { experiment }, max_results = 123456789 }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value 123456789 for parameter 'max_results' supplied");
    }

    [Fact]
    public async Task An_experiment_missing_by_name_is_not_found()
    {
        // ports test_get_experiment_by_name (the client turns this 404 into None)
        await (await _mlflow.GetAsync("experiments/get-by-name?experiment_name=idontexist-" + Guid.NewGuid().ToString("N")))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name");
    }

    [Fact]
    public async Task Bulk_metric_history_requests_are_validated_as_mlflow_validates_them()
    {
        // ports test_get_metric_history_bulk_rejects_invalid_requests
        await (await _ajax.GetAsync("metrics/get-history-bulk?metric_key=key"))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "GetMetricHistoryBulk request must specify at least one run_id");
        var many = string.Join('&', Enumerable.Range(0, 1000).Select(i => $"run_id=id_{i}"));
        await (await _ajax.GetAsync($"metrics/get-history-bulk?{many}&metric_key=key"))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "GetMetricHistoryBulk request cannot specify more than 20 run_ids. Received 1000 run_ids.");
        await (await _ajax.GetAsync("metrics/get-history-bulk?run_id=123"))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "GetMetricHistoryBulk request must specify a metric_key");
        await (await _ajax.GetAsync("metrics/get-history-bulk?run_id=123&metric_key=k&max_results=x"))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value x for parameter 'max_results'");
    }

    [Fact]
    public async Task Bulk_metric_history_is_ordered_by_run_then_timestamp_step_and_value_and_cut_at_max_results()
    {
        // ports test_get_metric_history_bulk_returns_expected_metrics_in_expected_order and ..._respects_max_results
        var experiment = await ExperimentAsync();
        var run1 = await RunIdAsync(experiment);
        var run2 = await RunIdAsync(experiment);
        var run3 = await RunIdAsync(experiment);
        (string Key, long Timestamp, long Step, double Value)[] a = [("metricA", 1, 2, 10), ("metricA", 1, 3, 11), ("metricA", 1, 3, 12), ("metricA", 2, 3, 12)];
        (string Key, long Timestamp, long Step, double Value)[] b = [("metricB", 7, -2, -100), ("metricB", 8, 0, 0), ("metricB", 8, 0, 1), ("metricB", 9, 1, 12)];
        foreach (var m in a.Concat(b))
        {
            await _mlflow.OkAsync("runs/log-metric", new { run_id = run1, key = m.Key, value = m.Value, timestamp = m.Timestamp, step = m.Step });
            await _mlflow.OkAsync("runs/log-metric", new { run_id = run2, key = m.Key, value = m.Value + 1, timestamp = m.Timestamp, step = m.Step });
        }

        static List<(string, double, long, long, string)> Expected(string run, double plus, params (string Key, long Timestamp, long Step, double Value)[] points) =>
            points.Select(p => (p.Key, p.Value + plus, p.Timestamp, p.Step, run)).ToList();
        static void Same(List<(string, double, long, long, string)> expected, JsonObject actual) =>
            Assert.Equal(expected, actual["metrics"]!.AsArray().Select(m => ((string)m!["key"]!, (double)m["value"]!, (long)m["timestamp"]!, (long)m["step"]!, (string)m["run_id"]!)).ToList());

        Same(Expected(run1, 0, a), await _ajax.GetOkAsync($"metrics/get-history-bulk?run_id={run1}&metric_key=metricA"));
        Same(Expected(run2, 1, b), await _ajax.GetOkAsync($"metrics/get-history-bulk?run_id={run2}&metric_key=metricB"));
        var (low, high) = string.CompareOrdinal(run1, run2) < 0 ? ((run1, 0.0), (run2, 1.0)) : ((run2, 1.0), (run1, 0.0));
        Same([.. Expected(low.Item1, low.Item2, a), .. Expected(high.Item1, high.Item2, a)], await _ajax.GetOkAsync($"metrics/get-history-bulk?run_id={run1}&run_id={run2}&metric_key=metricA"));
        var withEmpty = await _ajax.GetOkAsync($"metrics/get-history-bulk?run_id={run1}&run_id={run2}&run_id={run3}&metric_key=metricB");
        Assert.Equal(8, withEmpty["metrics"]!.AsArray().Count);
        Same(Expected(run1, 0, a[..2]), await _ajax.GetOkAsync($"metrics/get-history-bulk?run_id={run1}&metric_key=metricA&max_results=2"));
        await (await new Mlflow(_client).GetAsync($"metrics/get-history-bulk?run_id={run1}&metric_key=metricA")).MlflowErrorAsync(404, "ENDPOINT_NOT_FOUND");
    }

    [Fact]
    public async Task Dataset_search_requests_are_validated_as_mlflow_validates_them()
    {
        // ports test_search_dataset_handler_rejects_invalid_requests
        await (await _ajax.PostAsync("experiments/search-datasets", new { }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "SearchDatasets request must specify at least one experiment_id.");
        await (await _ajax.PostAsync("experiments/search-datasets", new { experiment_ids = Array.Empty<string>() }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "SearchDatasets request must specify at least one experiment_id.");
        await (await _ajax.PostAsync("experiments/search-datasets", new { experiment_ids = Enumerable.Range(0, 1000).Select(i => $"id_{i}").ToArray() }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "SearchDatasets request cannot specify more than");
    }

    [Fact]
    public async Task Dataset_search_answers_each_dataset_with_its_context()
    {
        // ports test_search_dataset_handler_returns_expected_results
        var experiment = await ExperimentAsync();
        var runId = await RunIdAsync(experiment);
        await _mlflow.OkAsync("runs/log-inputs", new
        {
            run_id = runId,
            datasets = new object[]
            {
                new { tags = new[] { new { key = "mlflow.data.context", value = "training" } }, dataset = new { name = "name1", digest = "digest1", source_type = "source_type1", source = "source1" } },
                new { dataset = new { name = "name2", digest = "digest2", source_type = "source_type1", source = "source2" } },
            },
        });

        var found = await _ajax.OkAsync("experiments/search-datasets", new { experiment_ids = new[] { experiment } });

        var expected = JsonNode.Parse($$"""
            [{"experiment_id": "{{experiment}}", "name": "name1", "digest": "digest1", "context": "training"},
             {"experiment_id": "{{experiment}}", "name": "name2", "digest": "digest2", "context": null}]
            """);
        Assert.True(JsonNode.DeepEquals(expected, found["dataset_summaries"]), found.ToJsonString());
    }

    [Fact]
    public async Task Inputs_need_a_run_id_and_may_leave_datasets_out_as_mlflow_3_does()
    {
        // ports test_log_inputs_validation; 2.10.2 also required datasets, 3.5 (whose clients log model inputs alone) does not
        var runId = await RunIdAsync(await ExperimentAsync());
        var dataset = new { tags = new[] { new { key = "tag1", value = "value1" } }, dataset = new { name = "name1", digest = "digest1", source_type = "source_type1", source = "source1" } };

        await (await _mlflow.PostAsync("runs/log-inputs", new { datasets = new[] { dataset } }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'run_id'");
        await _mlflow.OkAsync("runs/log-inputs", new { run_id = runId });
    }

    [Fact]
    public async Task Renaming_a_finished_run_keeps_its_status()
    {
        // ports test_update_run_name_without_changing_status
        var runId = await RunIdAsync(await ExperimentAsync());
        await _mlflow.OkAsync("runs/update", new { run_id = runId, status = "FINISHED", end_time = 5 });
        await _mlflow.OkAsync("runs/update", new { run_id = runId, run_name = "name_abc" });

        var info = (await RunAsync(runId))["run"]!["info"]!;
        Assert.Equal("name_abc", (string?)info["run_name"]);
        Assert.Equal("FINISHED", (string?)info["status"]);
    }

    [Fact]
    public async Task Promptlab_run_requests_name_the_first_missing_field()
    {
        // ports test_create_promptlab_run_handler_rejects_invalid_requests
        var request = new JsonObject();
        foreach (var (field, value) in new (string, JsonNode)[]
        {
            ("experiment_id", "123"),
            ("prompt_template", "my_prompt_template"),
            ("prompt_parameters", JsonNode.Parse("""[{"key": "my_key", "value": "my_value"}]""")!),
            ("model_route", "my_route"),
            ("model_input", "my_input"),
            ("mlflow_version", "1.0.0"),
        })
        {
            await (await _ajax.PostAsync("runs/create-promptlab-run", request))
                .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"CreatePromptlabRun request must specify {field}.");
            request[field] = value;
        }
    }

    [Fact]
    public async Task A_promptlab_run_is_finished_with_its_params_tags_model_and_evaluation_table()
    {
        // ports test_create_promptlab_run_handler_returns_expected_results
        var experiment = await ExperimentAsync();

        var run = (await _ajax.OkAsync("runs/create-promptlab-run", new
        {
            experiment_id = experiment,
            run_name = "my_run_name",
            prompt_template = "my_prompt_template",
            prompt_parameters = new[] { new { key = "my_key", value = "my_value" } },
            model_route = "my_route",
            model_parameters = new[] { new { key = "temperature", value = "0.1" } },
            model_input = "my_input",
            model_output = "my_output",
            model_output_parameters = new[] { new { key = "latency", value = "100" } },
            mlflow_version = "1.0.0",
            user_id = "username",
            start_time = 456,
        }))["run"]!;

        var info = run["info"]!;
        Assert.Equal("my_run_name", (string?)info["run_name"]);
        Assert.Equal(experiment, (string?)info["experiment_id"]);
        Assert.Equal("username", (string?)info["user_id"]);
        Assert.Equal("FINISHED", (string?)info["status"]);
        Assert.Equal(456, (long)info["start_time"]!);
        var parameters = Pairs(run["data"]!["params"]);
        Assert.Equal("my_route", parameters["model_route"]);
        Assert.Equal("my_prompt_template", parameters["prompt_template"]);
        Assert.Equal("0.1", parameters["temperature"]);
        var tags = Pairs(run["data"]!["tags"]);
        Assert.Equal("""[{"path": "eval_results_table.json", "type": "table"}]""", tags["mlflow.loggedArtifacts"]);
        Assert.Equal("PROMPT_ENGINEERING", tags["mlflow.runSourceType"]);
        var runId = (string)info["run_id"]!;
        var table = JsonNode.Parse(await (await _client.GetAsync(new Uri($"/get-artifact?run_id={runId}&path=eval_results_table.json", UriKind.Relative))).Content.ReadAsStringAsync())!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"columns": ["my_key", "prompt", "output", "latency"], "data": [["my_value", "my_input", "my_output", "100"]]}"""), table), table.ToJsonString());
        var model = await _mlflow.GetOkAsync($"artifacts/list?run_id={runId}&path=model");
        Assert.Contains("model/MLmodel", model["files"]!.AsArray().Select(f => (string?)f!["path"]));
    }

    [Fact]
    public async Task Artifact_uploads_from_the_web_ui_are_validated_as_mlflow_validates_them()
    {
        // ports test_upload_artifact_handler_rejects_invalid_requests
        var runId = await RunIdAsync(await ExperimentAsync());

        foreach (var (query, message) in new[]
        {
            ("", "Request must specify run_uuid."),
            ($"run_uuid={runId}", "Request must specify path."),
            ($"run_uuid={runId}&path=", "Request must specify path."),
            ($"run_uuid={runId}&path=../test.txt", "Invalid path"),
            ($"run_uuid={runId}&path=test.txt", "Request must specify data."),
        })
        {
            await (await _client.PostAsync(new Uri($"/ajax-api/2.0/mlflow/upload-artifact?{query}", UriKind.Relative), null))
                .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", message);
        }
    }

    [Fact]
    public async Task A_file_uploaded_from_the_web_ui_is_downloaded_by_get_artifact()
    {
        // ports test_upload_artifact_handler
        var runId = await RunIdAsync(await ExperimentAsync());

        using var upload = await _client.PostAsync(new Uri($"/ajax-api/2.0/mlflow/upload-artifact?run_uuid={runId}&path=test.txt", UriKind.Relative), new StringContent("hello world"));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        using var download = await _client.GetAsync(new Uri($"/get-artifact?run_uuid={runId}&path=test.txt", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("hello world", await download.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_run_under_a_local_file_location_lists_and_serves_its_files_where_they_are()
    {
        // ports test_artifacts (the client writes a file: root itself; here the web UI's upload writes it)
        var location = new Uri(_local).AbsoluteUri;
        var experiment = await ExperimentAsync(location);
        var run = (await _mlflow.OkAsync("runs/create", new { experiment_id = experiment }))["run"]!["info"]!;
        var runId = (string)run["run_id"]!;
        Assert.StartsWith(location, (string?)run["artifact_uri"], StringComparison.Ordinal);
        foreach (var path in new[] { "my.file", "dir/my.file" })
        {
            (await _client.PostAsync(new Uri($"/ajax-api/2.0/mlflow/upload-artifact?run_uuid={runId}&path={path}", UriKind.Relative), new StringContent("Hello, World!"))).EnsureSuccessStatusCode();
        }

        var root = await _mlflow.GetOkAsync($"artifacts/list?run_id={runId}");
        var dir = await _mlflow.GetOkAsync($"artifacts/list?run_id={runId}&path=dir");
        Assert.Equal(["dir", "my.file"], root["files"]!.AsArray().Select(f => (string)f!["path"]!));
        Assert.Equal(["dir/my.file"], dir["files"]!.AsArray().Select(f => (string)f!["path"]!));
        Assert.Equal("Hello, World!", await File.ReadAllTextAsync(Path.Combine(_local, runId, "artifacts", "dir", "my.file")));
        Assert.Equal("Hello, World!", await (await _client.GetAsync(new Uri($"/get-artifact?run_id={runId}&path=dir/my.file", UriKind.Relative))).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_run_created_with_every_argument_reads_back_the_same_and_is_its_experiments_only_run()
    {
        // ports test_create_run_all_args
        var experiment = await ExperimentAsync();
        var tags = new Dictionary<string, string>
        {
            ["mlflow.user"] = "username",
            ["mlflow.source.type"] = "LOCAL",
            ["mlflow.source.name"] = "Hello",
            ["mlflow.project.entryPoint"] = "entry",
            ["mlflow.source.git.commit"] = "abc",
            ["mlflow.parentRunId"] = "7",
            ["my"] = "tag",
            ["other"] = "tag",
        };

        var created = (await _mlflow.OkAsync("runs/create", new
        {
            experiment_id = experiment,
            user_id = "username",
            start_time = 456,
            run_name = "my name",
            tags = tags.Select(t => new { key = t.Key, value = t.Value }).ToArray(),
        }))["run"]!;
        var runId = (string)created["info"]!["run_id"]!;
        var fetched = (await RunAsync(runId))["run"]!;
        var searched = (await _mlflow.OkAsync("runs/search", new { experiment_ids = new[] { experiment } }))["runs"]!.AsArray();

        foreach (var run in new[] { created, fetched })
        {
            var info = run["info"]!;
            Assert.Equal(runId, (string?)info["run_uuid"]);
            Assert.Equal(experiment, (string?)info["experiment_id"]);
            Assert.Equal("username", (string?)info["user_id"]);
            Assert.Equal(456, (long)info["start_time"]!);
            Assert.Equal("my name", (string?)info["run_name"]);
            var runTags = Pairs(run["data"]!["tags"]);
            Assert.All(tags, t => Assert.Equal(t.Value, runTags[t.Key]));
            Assert.True(JsonNode.DeepEquals(info, searched.Single()!["info"]), $"{info.ToJsonString()} vs {searched.ToJsonString()}");
        }
    }

    [Fact]
    public async Task A_run_created_with_only_its_experiment_belongs_to_user_unknown()
    {
        // ports test_create_run_defaults: MLflow's client sends user_id "unknown" when no mlflow.user tag is given
        var experiment = await ExperimentAsync();
        var runId = (string)(await _mlflow.OkAsync("runs/create", new { experiment_id = experiment, user_id = "unknown" }))["run"]!["info"]!["run_id"]!;

        var info = (await RunAsync(runId))["run"]!["info"]!;
        Assert.Equal(experiment, (string?)info["experiment_id"]);
        Assert.Equal("unknown", (string?)info["user_id"]);
    }

    [Fact]
    public async Task Metrics_params_and_tags_read_back_with_nan_infinities_and_stepless_points()
    {
        // ports test_log_metrics_params_tags
        var runId = await RunIdAsync(await ExperimentAsync());
        await _mlflow.OkAsync("runs/log-metric", new { run_id = runId, key = "metric", value = 123.456, timestamp = 789, step = 2 });
        await _mlflow.OkAsync("runs/log-metric", new { run_id = runId, key = "nan_metric", value = "NaN", timestamp = 1 });
        await _mlflow.OkAsync("runs/log-metric", new { run_id = runId, key = "inf_metric", value = "Infinity", timestamp = 1 });
        await _mlflow.OkAsync("runs/log-metric", new { run_id = runId, key = "-inf_metric", value = "-Infinity", timestamp = 1 });
        await _mlflow.OkAsync("runs/log-metric", new { run_id = runId, key = "stepless-metric", value = 987.654, timestamp = 321 });
        await _mlflow.OkAsync("runs/log-parameter", new { run_id = runId, key = "param", value = "value" });
        await _mlflow.OkAsync("runs/set-tag", new { run_id = runId, key = "taggity", value = "do-dah" });

        var data = (await RunAsync(runId))["run"]!["data"]!;
        var metrics = data["metrics"]!.AsArray().ToDictionary(m => (string)m!["key"]!, m => m!["value"]!.ToJsonString().Trim('"'));
        Assert.Equal("123.456", metrics["metric"]);
        Assert.Equal("NaN", metrics["nan_metric"]);
        Assert.Equal("Infinity", metrics["inf_metric"]);
        Assert.Equal("-Infinity", metrics["-inf_metric"]);
        Assert.Equal("987.654", metrics["stepless-metric"]);
        Assert.Equal("value", Pairs(data["params"])["param"]);
        Assert.Equal("do-dah", Pairs(data["tags"])["taggity"]);
        var history = (await _mlflow.GetOkAsync($"metrics/get-history?run_id={runId}&metric_key=metric"))["metrics"]!.AsArray().Single()!;
        Assert.Equal((123.456, 789L, 2L), ((double)history["value"]!, (long)history["timestamp"]!, (long)history["step"]!));
        var stepless = (await _mlflow.GetOkAsync($"metrics/get-history?run_id={runId}&metric_key=stepless-metric"))["metrics"]!.AsArray().Single()!;
        Assert.Equal((987.654, 321L, 0L), ((double)stepless["value"]!, (long)stepless["timestamp"]!, (long)stepless["step"]!));
        Assert.Null((await _mlflow.GetOkAsync($"metrics/get-history?run_id={runId}&metric_key=a_test_accuracy"))["metrics"]);
    }

    [Fact]
    public async Task Logged_models_accumulate_in_the_runs_history_tag_in_order()
    {
        // ports test_log_model (the REST part: each log-model call appends to mlflow.log-model.history)
        var runId = await RunIdAsync(await ExperimentAsync());
        for (var i = 0; i < 3; i++)
        {
            var model = new JsonObject { ["artifact_path"] = $"model/path/{i}", ["run_id"] = runId, ["utc_time_created"] = $"2024-01-0{i + 1} 00:00:00.000000", ["flavors"] = new JsonObject { ["python_function"] = new JsonObject { ["loader_module"] = "mlflow.pyfunc" } } };
            await _mlflow.OkAsync("runs/log-model", new { run_id = runId, model_json = model.ToJsonString() });

            var history = JsonNode.Parse(Pairs((await RunAsync(runId))["run"]!["data"]!["tags"])["mlflow.log-model.history"])!.AsArray();
            Assert.Equal(i + 1, history.Count);
            Assert.True(JsonNode.DeepEquals(model, history[i]), history.ToJsonString());
            Assert.Equal(Enumerable.Range(0, i + 1).Select(j => $"model/path/{j}"), history.Select(m => (string)m!["artifact_path"]!));
        }
        await (await _mlflow.PostAsync("runs/log-model", new { run_id = runId, model_json = "{}" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Model json is missing mandatory fields");
    }

    [Fact]
    public async Task Experiments_are_read_by_id_renamed_deleted_and_restored()
    {
        // ports test_get_experiment, test_delete_restore_experiment and test_rename_experiment (and the CLI variants' REST calls)
        var name = Unique("BadName");
        var id = (string)(await _mlflow.OkAsync("experiments/create", new { name }))["experiment_id"]!;
        async Task<JsonNode> Get() => (await _mlflow.GetOkAsync($"experiments/get?experiment_id={id}"))["experiment"]!;

        Assert.Equal((id, name, "active"), ((string)(await Get())["experiment_id"]!, (string)(await Get())["name"]!, (string)(await Get())["lifecycle_stage"]!));
        Assert.Equal(id, (string?)(await _mlflow.GetOkAsync($"experiments/get-by-name?experiment_name={name}"))["experiment"]!["experiment_id"]);
        await _mlflow.OkAsync("experiments/update", new { experiment_id = id, new_name = name + "-good" });
        Assert.Equal(name + "-good", (string?)(await Get())["name"]);
        await _mlflow.OkAsync("experiments/delete", new { experiment_id = id });
        Assert.Equal("deleted", (string?)(await Get())["lifecycle_stage"]);
        await _mlflow.OkAsync("experiments/restore", new { experiment_id = id });
        Assert.Equal("active", (string?)(await Get())["lifecycle_stage"]);
    }

    [Fact]
    public async Task Dataset_inputs_read_back_with_their_dataset_and_tags()
    {
        // ports test_log_inputs
        var runId = await RunIdAsync(await ExperimentAsync());
        await _mlflow.OkAsync("runs/log-inputs", new
        {
            run_id = runId,
            datasets = new[] { new { tags = new[] { new { key = "tag1", value = "value1" } }, dataset = new { name = "name1", digest = "digest1", source_type = "source_type1", source = "source1" } } },
        });

        var input = (await RunAsync(runId))["run"]!["inputs"]!["dataset_inputs"]!.AsArray().Single()!;
        Assert.Equal(("name1", "digest1", "source_type1", "source1"),
            ((string)input["dataset"]!["name"]!, (string)input["dataset"]!["digest"]!, (string)input["dataset"]!["source_type"]!, (string)input["dataset"]!["source"]!));
        Assert.Equal(new Dictionary<string, string> { ["tag1"] = "value1" }, Pairs(input["tags"]));
    }
}

/// <summary>
/// test_rest_tracking.py::test_search_experiments, which asserts whole result lists: on a store of its own, where the
/// Default experiment is the only other one.
/// </summary>
public sealed class SearchExperimentsPortTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow _mlflow = new(app.CreateClient());

    private async Task<string[]> NamesAsync(object request, string? token = null) =>
        await NamesOfAsync(await _mlflow.OkAsync("experiments/search", request));

    private static Task<string[]> NamesOfAsync(JsonObject page) =>
        Task.FromResult((page["experiments"]?.AsArray() ?? []).Select(e => (string)e!["name"]!).ToArray());

    [Fact]
    public async Task Experiments_are_filtered_ordered_paged_and_viewed_as_mlflow_answers()
    {
        Assert.Equal(["Default"], await NamesAsync(new { }));
        var ids = new List<string>();
        foreach (var (name, tag) in new[] { ("a", "value"), ("ab", "vaLue"), ("Abc", null) })
        {
            // Distinct creation times, which order the results (MLflow's test sleeps a millisecond likewise).
            await Task.Delay(5);
            ids.Add((string)(await _mlflow.OkAsync("experiments/create", new { name, tags = tag is null ? null : new[] { new { key = "key", value = tag } } }))["experiment_id"]!);
        }

        Assert.Equal(["a"], await NamesAsync(new { filter = "attribute.name = 'a'" }));
        Assert.Equal(["Abc", "ab", "Default"], await NamesAsync(new { filter = "attribute.name != 'a'" }));
        Assert.Equal(["ab", "a"], await NamesAsync(new { filter = "name LIKE 'a%'" }));
        Assert.Equal(["a"], await NamesAsync(new { filter = "tag.key = 'value'" }));
        Assert.Equal(["ab"], await NamesAsync(new { filter = "tag.key != 'value'" }));
        Assert.Equal(["ab", "a"], await NamesAsync(new { filter = "tag.key ILIKE '%alu%'" }));
        Assert.Equal(["ab", "a", "Default", "Abc"], await NamesAsync(new { order_by = new[] { "name DESC" } }));
        var first = await _mlflow.OkAsync("experiments/search", new { max_results = 2 });
        Assert.Equal(["Abc", "ab"], await NamesOfAsync(first));
        Assert.Equal(["a", "Default"], await NamesAsync(new { page_token = (string)first["next_page_token"]! }));

        await _mlflow.OkAsync("experiments/delete", new { experiment_id = ids[1] });
        Assert.Equal(["Abc", "a", "Default"], await NamesAsync(new { view_type = "ACTIVE_ONLY" }));
        Assert.Equal(["ab"], await NamesAsync(new { view_type = "DELETED_ONLY" }));
        Assert.Equal(["Abc", "ab", "a", "Default"], await NamesAsync(new { view_type = "ALL" }));
        var page = await _mlflow.OkAsync("experiments/search", new { max_results = 1, view_type = "ALL" });
        Assert.Single(page["experiments"]!.AsArray());
        Assert.NotNull(page["next_page_token"]);
    }
}
