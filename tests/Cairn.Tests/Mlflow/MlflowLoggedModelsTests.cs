using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;
using Cairn.Tracking;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// MLflow 3's logged models through the MLflow API, checked against what MLflow 3.5's server and SQL store answer
/// (tests/tracking/test_rest_tracking.py, the store's logged-model tests): create, get, finalize, delete, params, tags,
/// search (filter, datasets, order_by, paging), linked metrics, run inputs/outputs, artifacts, registration from a logged
/// model, and the native read view with its lineage.
/// </summary>
public sealed class MlflowLoggedModelsTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow _mlflow = new(app.CreateClient());
    private readonly HttpClient _client = app.CreateClient();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private async Task<string> ExperimentAsync() =>
        (string)(await _mlflow.OkAsync("experiments/create", new { name = Unique("lm") }))["experiment_id"]!;

    private async Task<string> RunIdAsync(string experimentId) =>
        (string)(await _mlflow.OkAsync("runs/create", new { experiment_id = experimentId, start_time = "1700000000000" }))["run"]!["info"]!["run_id"]!;

    private async Task<JsonObject> CreateAsync(object body) => (JsonObject)(await _mlflow.OkAsync("logged-models", body))["model"]!;

    private async Task<JsonObject> GetAsync(string modelId) => (JsonObject)(await _mlflow.GetOkAsync($"logged-models/{modelId}"))["model"]!;

    private async Task<List<string>> SearchNamesAsync(object body) =>
        ((await _mlflow.OkAsync("logged-models/search", body))["models"]?.AsArray() ?? []).Select(m => (string)m!["info"]!["name"]!).ToList();

    private static Dictionary<string, string> Pairs(JsonNode? list) =>
        (list?.AsArray() ?? []).ToDictionary(p => (string)p!["key"]!, p => (string)p!["value"]!);

    private static string Id(JsonObject model) => (string)model["info"]!["model_id"]!;

    private static string Missing(string id) => $"Logged model with ID '{id}' not found.";

    [Fact]
    public async Task A_new_logged_model_is_pending_with_an_m_id_a_generated_name_and_its_files_under_the_experiments_models_folder()
    {
        var experiment = await ExperimentAsync();
        var location = (string)(await _mlflow.GetOkAsync($"experiments/get?experiment_id={experiment}"))["experiment"]!["artifact_location"]!;

        var info = (await CreateAsync(new { experiment_id = experiment }))["info"]!;

        var id = (string)info["model_id"]!;
        Assert.Matches("^m-[0-9a-f]{32}$", id);
        Assert.Equal(experiment, (string?)info["experiment_id"]);
        Assert.Equal("LOGGED_MODEL_PENDING", (string?)info["status"]);
        Assert.False(string.IsNullOrEmpty((string?)info["name"]));
        Assert.Equal($"{location}/models/{id}/artifacts", (string?)info["artifact_uri"]);
        Assert.Equal((long)info["creation_timestamp_ms"]!, (long)info["last_updated_timestamp_ms"]!);
        Assert.Null(info["source_run_id"]);
    }

    // ports test_rest_tracking.py::test_create_logged_model
    [Fact]
    public async Task A_logged_model_keeps_the_name_type_source_run_params_and_tags_it_was_created_with()
    {
        var experiment = await ExperimentAsync();
        var created = await CreateAsync(new
        {
            experiment_id = experiment,
            name = "my_model",
            model_type = "LLM",
            source_run_id = "123",
            @params = new[] { new { key = "param", value = "value" } },
            tags = new[] { new { key = "tag", value = "value" } },
        });

        var loaded = await GetAsync(Id(created));
        Assert.Equal("my_model", (string?)loaded["info"]!["name"]);
        Assert.Equal("LLM", (string?)loaded["info"]!["model_type"]);
        // MLflow records the source run without looking it up.
        Assert.Equal("123", (string?)loaded["info"]!["source_run_id"]);
        Assert.Equal(new Dictionary<string, string> { ["param"] = "value" }, Pairs(loaded["data"]!["params"]));
        Assert.Equal(new Dictionary<string, string> { ["tag"] = "value" }, Pairs(loaded["info"]!["tags"]));
    }

    [Fact]
    public async Task Creating_a_logged_model_refuses_a_bad_name_a_missing_or_unknown_experiment()
    {
        var experiment = await ExperimentAsync();
        await (await _mlflow.PostAsync("logged-models", new { experiment_id = experiment, name = "a/b" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid model name ('a/b') provided. Model name must be a non-empty string");
        await (await _mlflow.PostAsync("logged-models", new { name = "x" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'experiment_id'");
        await (await _mlflow.PostAsync("logged-models", new { experiment_id = "987654321" }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=987654321 exists");

        await _mlflow.OkAsync("experiments/delete", new { experiment_id = experiment });
        await (await _mlflow.PostAsync("logged-models", new { experiment_id = experiment }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "must be in the 'active' state");
    }

    [Fact]
    public async Task Every_call_on_an_unknown_logged_model_is_not_found_in_mlflows_words()
    {
        var id = "m-" + Guid.NewGuid().ToString("N");
        await (await _mlflow.GetAsync($"logged-models/{id}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", Missing(id));
        await (await _mlflow.PatchAsync($"logged-models/{id}", new { model_id = id, status = "LOGGED_MODEL_READY" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", Missing(id));
        await (await _mlflow.DeleteAsync($"logged-models/{id}", new { })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", Missing(id));
        await (await _mlflow.PostAsync($"logged-models/{id}/params", new { @params = new[] { new { key = "a", value = "b" } } })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", Missing(id));
        await (await _mlflow.PatchAsync($"logged-models/{id}/tags", new { tags = new[] { new { key = "a", value = "b" } } })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", Missing(id));
        await (await _mlflow.DeleteAsync($"logged-models/{id}/tags/a", new { })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", Missing(id));
        await (await _mlflow.GetAsync($"logged-models/{id}/artifacts/directories")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", Missing(id));
    }

    // ports test_rest_tracking.py::test_finalize_logged_model
    [Fact]
    public async Task Finalizing_marks_a_model_ready_or_failed_by_enum_name_or_number_and_refuses_other_statuses()
    {
        var id = Id(await CreateAsync(new { experiment_id = await ExperimentAsync() }));

        var ready = (await (await _mlflow.PatchAsync($"logged-models/{id}", new { model_id = id, status = "LOGGED_MODEL_READY" })).OkAsync())["model"]!;
        Assert.Equal("LOGGED_MODEL_READY", (string?)ready["info"]!["status"]);
        var failed = (await (await _mlflow.PatchAsync($"logged-models/{id}", new { model_id = id, status = 3 })).OkAsync())["model"]!;
        Assert.Equal("LOGGED_MODEL_UPLOAD_FAILED", (string?)failed["info"]!["status"]);
        Assert.Equal("LOGGED_MODEL_UPLOAD_FAILED", (string?)(await GetAsync(id))["info"]!["status"]);

        await (await _mlflow.PatchAsync($"logged-models/{id}", new { model_id = id }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'status'");
        await (await _mlflow.PatchAsync($"logged-models/{id}", new { model_id = id, status = "LOGGED_MODEL_PENDING" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "finalized as READY or FAILED");
        await (await _mlflow.PatchAsync($"logged-models/{id}", new { model_id = id, status = "DONE" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value 'DONE' for parameter 'status'");
    }

    // ports test_rest_tracking.py::test_delete_logged_model
    [Fact]
    public async Task A_deleted_logged_model_is_not_found_and_not_searched()
    {
        var experiment = await ExperimentAsync();
        var id = Id(await CreateAsync(new { experiment_id = experiment }));

        await (await _mlflow.DeleteAsync($"logged-models/{id}", new { })).OkAsync();

        await (await _mlflow.GetAsync($"logged-models/{id}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "not found");
        Assert.Empty(await SearchNamesAsync(new { experiment_ids = new[] { experiment } }));
    }

    // ports test_rest_tracking.py::test_log_logged_model_params, test_set_logged_model_tags, test_delete_logged_model_tag
    [Fact]
    public async Task More_params_or_tags_than_one_batch_holds_are_refused_before_anything_is_written()
    {
        var experiment = await ExperimentAsync();
        var tooMany = Enumerable.Range(0, TrackingLimits.MaxEntitiesPerBatch + 1).Select(i => new { key = $"k{i}", value = "v" }).ToArray();
        await (await _mlflow.PostAsync("logged-models", new { experiment_id = experiment, @params = tooMany }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"send at most {TrackingLimits.MaxEntitiesPerBatch} at a time");

        var id = Id(await CreateAsync(new { experiment_id = experiment }));
        await (await _mlflow.PostAsync($"logged-models/{id}/params", new { model_id = id, @params = tooMany }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"send at most {TrackingLimits.MaxEntitiesPerBatch} at a time");
        await (await _mlflow.PatchAsync($"logged-models/{id}/tags", new { tags = tooMany }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"send at most {TrackingLimits.MaxEntitiesPerBatch} at a time");
        Assert.Null((await GetAsync(id))["data"]!["params"]);
        Assert.Null((await GetAsync(id))["info"]!["tags"]);
    }

    [Fact]
    public async Task Params_and_tags_are_set_overwritten_and_a_tag_deleted_twice_is_not_found()
    {
        var id = Id(await CreateAsync(new { experiment_id = await ExperimentAsync() }));

        await _mlflow.OkAsync($"logged-models/{id}/params", new { model_id = id, @params = new[] { new { key = "param", value = "value" } } });
        Assert.Equal(new Dictionary<string, string> { ["param"] = "value" }, Pairs((await GetAsync(id))["data"]!["params"]));

        await (await _mlflow.PatchAsync($"logged-models/{id}/tags", new { tags = new[] { new { key = "tag1", value = "value1" }, new { key = "tag2", value = "value2" } } })).OkAsync();
        await (await _mlflow.PatchAsync($"logged-models/{id}/tags", new { tags = new[] { new { key = "tag1", value = "value3" } } })).OkAsync();
        Assert.Equal(new Dictionary<string, string> { ["tag1"] = "value3", ["tag2"] = "value2" }, Pairs((await GetAsync(id))["info"]!["tags"]));

        await (await _mlflow.DeleteAsync($"logged-models/{id}/tags/tag1", new { })).OkAsync();
        Assert.Equal(new Dictionary<string, string> { ["tag2"] = "value2" }, Pairs((await GetAsync(id))["info"]!["tags"]));
        await (await _mlflow.DeleteAsync($"logged-models/{id}/tags/tag1", new { }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"No tag with key 'tag1' found for model with ID '{id}'.");
    }

    // ports test_rest_tracking.py::test_search_logged_models
    [Fact]
    public async Task Search_pages_newest_first_filters_by_name_by_dataset_and_orders_by_creation_time()
    {
        var experiment = await ExperimentAsync();
        var model1 = await CreateAsync(new { experiment_id = experiment });
        var name1 = (string)model1["info"]!["name"]!;
        Assert.Equal([name1], await SearchNamesAsync(new { experiment_ids = new[] { experiment } }));
        // Creation times are milliseconds: the second model must be strictly newer.
        await Task.Delay(5);
        var name2 = (string)(await CreateAsync(new { experiment_id = experiment }))["info"]!["name"]!;

        var page1 = await _mlflow.OkAsync("logged-models/search", new { experiment_ids = new[] { experiment }, max_results = 1 });
        Assert.Equal(name2, (string?)page1["models"]![0]!["info"]!["name"]);
        var token = (string)page1["next_page_token"]!;
        var page2 = await _mlflow.OkAsync("logged-models/search", new { experiment_ids = new[] { experiment }, max_results = 1, page_token = token });
        Assert.Equal(name1, (string?)page2["models"]![0]!["info"]!["name"]);
        Assert.Null(page2["next_page_token"]);

        Assert.Equal([name1], await SearchNamesAsync(new { experiment_ids = new[] { experiment }, filter = $"name = '{name1}'" }));

        var run = await RunIdAsync(experiment);
        await _mlflow.OkAsync("runs/log-metric", new { run_id = run, key = "metric", value = 1, timestamp = 1, dataset_name = "dataset", dataset_digest = "123", model_id = Id(model1) });
        Assert.Equal([name1], await SearchNamesAsync(new { experiment_ids = new[] { experiment }, datasets = new[] { new { dataset_name = "dataset", dataset_digest = "123" } } }));
        Assert.Empty(await SearchNamesAsync(new { experiment_ids = new[] { experiment }, datasets = new[] { new { dataset_name = "dataset", dataset_digest = "456" } } }));

        Assert.Equal([name2, name1], await SearchNamesAsync(new { experiment_ids = new[] { experiment }, order_by = new[] { new { field_name = "creation_timestamp", ascending = false } } }));
        Assert.Equal([name1, name2], await SearchNamesAsync(new { experiment_ids = new[] { experiment }, order_by = new[] { new { field_name = "creation_timestamp", ascending = true } } }));
    }

    [Fact]
    public async Task Search_filters_on_metrics_params_tags_and_attributes_and_orders_by_a_metric_with_missing_values_last()
    {
        var experiment = await ExperimentAsync();
        var run = await RunIdAsync(experiment);
        var a = await CreateAsync(new { experiment_id = experiment, name = "alpha", model_type = "Classifier", @params = new[] { new { key = "lr", value = "0.1" } }, tags = new[] { new { key = "team", value = "risk" } } });
        var b = await CreateAsync(new { experiment_id = experiment, name = "beta", @params = new[] { new { key = "lr", value = "0.2" } } });
        await CreateAsync(new { experiment_id = experiment, name = "gamma" });
        await _mlflow.OkAsync("runs/log-batch", new
        {
            run_id = run,
            metrics = new object[]
            {
                new { key = "acc", value = 0.7, timestamp = 1, step = 0, model_id = Id(a), dataset_name = "eval", dataset_digest = "d1" },
                new { key = "acc", value = 0.9, timestamp = 2, step = 1, model_id = Id(a), dataset_name = "eval", dataset_digest = "d1" },
                new { key = "acc", value = 0.8, timestamp = 1, step = 0, model_id = Id(b), dataset_name = "test", dataset_digest = "d2" },
            },
        });
        var ids = new[] { experiment };

        Assert.Equal(["alpha", "beta"], (await SearchNamesAsync(new { experiment_ids = ids, filter = "metrics.acc > 0.75" })).Order());
        Assert.Equal(["beta"], await SearchNamesAsync(new { experiment_ids = ids, filter = "metrics.acc > 0.75", datasets = new[] { new { dataset_name = "test" } } }));
        Assert.Equal(["beta"], await SearchNamesAsync(new { experiment_ids = ids, filter = "params.lr = '0.2'" }));
        Assert.Equal(["alpha"], await SearchNamesAsync(new { experiment_ids = ids, filter = "tags.team = 'risk' AND attributes.model_type = 'Classifier'" }));
        Assert.Equal(["alpha", "gamma"], (await SearchNamesAsync(new { experiment_ids = ids, filter = "name IN ('alpha', 'gamma')" })).Order());
        Assert.Equal(["beta", "gamma"], (await SearchNamesAsync(new { experiment_ids = ids, filter = "name LIKE '%a' AND name != 'alpha'" })).Order());
        Assert.Equal(3, (await SearchNamesAsync(new { experiment_ids = ids, filter = "status = 'PENDING' AND creation_timestamp > 0" })).Count);

        // The latest point of alpha is 0.9: descending, alpha then beta, and gamma (no acc) last either way.
        Assert.Equal(["alpha", "beta", "gamma"], await SearchNamesAsync(new { experiment_ids = ids, order_by = new[] { new { field_name = "metrics.acc", ascending = false } } }));
        Assert.Equal(["beta", "alpha", "gamma"], await SearchNamesAsync(new { experiment_ids = ids, order_by = new[] { new { field_name = "metrics.acc", ascending = true } } }));
        Assert.Equal(["alpha", "beta", "gamma"], await SearchNamesAsync(new { experiment_ids = ids, order_by = new[] { new { field_name = "name", ascending = true } } }));
    }

    // ports test_sqlalchemy_store.py::test_search_logged_models_order_by_dataset and test_search_logged_models_datasets_filter
    [Fact]
    public async Task Search_orders_by_a_metric_measured_on_one_dataset_and_restricts_to_datasets_by_name_or_digest()
    {
        var experiment = await ExperimentAsync();
        var run = await RunIdAsync(experiment);
        var first = await CreateAsync(new { experiment_id = experiment, name = "first" });
        var second = await CreateAsync(new { experiment_id = experiment, name = "second" });
        var third = await CreateAsync(new { experiment_id = experiment, name = "third" });
        // On dataset1 the first model is better, on dataset2 the second.
        await _mlflow.OkAsync("runs/log-batch", new
        {
            run_id = run,
            metrics = new object[]
            {
                new { key = "accuracy", value = 0.9, timestamp = 1, model_id = Id(first), dataset_name = "dataset1", dataset_digest = "digest1" },
                new { key = "accuracy", value = 0.8, timestamp = 2, model_id = Id(first), dataset_name = "dataset2", dataset_digest = "digest2" },
                new { key = "accuracy", value = 0.8, timestamp = 3, model_id = Id(second), dataset_name = "dataset1", dataset_digest = "digest1" },
                new { key = "accuracy", value = 0.9, timestamp = 4, model_id = Id(second), dataset_name = "dataset2", dataset_digest = "digest2" },
                new { key = "other", value = 0.1, timestamp = 5, model_id = Id(third) },
            },
        });
        // The same points again are kept once.
        await _mlflow.OkAsync("runs/log-metric", new { run_id = run, key = "accuracy", value = 0.9, timestamp = 1, model_id = Id(first), dataset_name = "dataset1", dataset_digest = "digest1" });
        Assert.Equal(2, (await GetAsync(Id(first)))["data"]!["metrics"]!.AsArray().Count);
        var ids = new[] { experiment };

        Assert.Equal(["first", "second", "third"], await SearchNamesAsync(new { experiment_ids = ids, order_by = new[] { new { field_name = "metrics.accuracy", ascending = false, dataset_name = "dataset1", dataset_digest = "digest1" } } }));
        Assert.Equal(["second", "first", "third"], await SearchNamesAsync(new { experiment_ids = ids, order_by = new[] { new { field_name = "metrics.accuracy", ascending = false, dataset_name = "dataset2" } } }));
        Assert.Equal(["second", "first", "third"], await SearchNamesAsync(new { experiment_ids = ids, order_by = new[] { new { field_name = "metrics.accuracy", ascending = true, dataset_digest = "digest1" } } }));

        Assert.Equal(["first", "second"], (await SearchNamesAsync(new { experiment_ids = ids, filter = "metrics.accuracy >= 0.85", datasets = new[] { new { dataset_name = "dataset1" }, new { dataset_name = "dataset2" } } })).Order());
        Assert.Equal(["first"], await SearchNamesAsync(new { experiment_ids = ids, filter = "metrics.accuracy >= 0.85", datasets = new[] { new { dataset_name = "dataset1", dataset_digest = "digest1" } } }));
        Assert.Equal(["first", "second"], (await SearchNamesAsync(new { experiment_ids = ids, datasets = new[] { new { dataset_name = "dataset1" } } })).Order());
    }

    // ports test_sqlalchemy_store.py::test_search_logged_models_filter_string
    [Fact]
    public async Task Search_filters_with_in_lists_quoted_keys_and_exact_times()
    {
        var experiment = await ExperimentAsync();
        var model = await CreateAsync(new { experiment_id = experiment, name = "listed", tags = new[] { new { key = "tag 3", value = "val3" } } });
        var ids = new[] { experiment };

        Assert.Equal(["listed"], await SearchNamesAsync(new { experiment_ids = ids, filter = "name IN ('listed')" }));
        Assert.Equal(["listed"], await SearchNamesAsync(new { experiment_ids = ids, filter = "name IN ('listed', 'foo')" }));
        Assert.Empty(await SearchNamesAsync(new { experiment_ids = ids, filter = "name NOT IN ('listed', 'foo')" }));
        Assert.Equal(["listed"], await SearchNamesAsync(new { experiment_ids = ids, filter = "attributes.name LIKE 'lis%'" }));
        Assert.Equal(["listed"], await SearchNamesAsync(new { experiment_ids = ids, filter = "tags.`tag 3` = 'val3'" }));
        Assert.Empty(await SearchNamesAsync(new { experiment_ids = ids, filter = "creation_timestamp = 0" }));
        Assert.Equal(["listed"], await SearchNamesAsync(new { experiment_ids = ids, filter = $"model_id = '{Id(model)}'" }));
    }

    [Fact]
    public async Task Search_refuses_bad_filters_orders_and_requests_with_mlflows_messages()
    {
        var experiment = await ExperimentAsync();
        var ids = new[] { experiment };
        async Task Refused(object body, string message) =>
            await (await _mlflow.PostAsync("logged-models/search", body)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", message);

        await Refused(new { experiment_ids = ids, filter = "name = 'a' OR name = 'b'" }, "Invalid filter string: 'name = 'a' OR name = 'b''. Expected a list of comparisons separated by 'AND'");
        await Refused(new { experiment_ids = ids, filter = "foo.bar = 'x'" }, "Invalid entity type: 'foo'. Expected one of ['attributes', 'metrics', 'params', 'tags'].");
        await Refused(new { experiment_ids = ids, filter = "metrics.acc LIKE 'x'" }, "Invalid comparison operator for metrics.acc: 'LIKE'.");
        await Refused(new { experiment_ids = ids, filter = "params.lr > '1'" }, "Invalid comparison operator for params.lr: '>'.");
        await Refused(new { experiment_ids = ids, filter = "name = " }, "Invalid filter string: 'name = '.");
        await Refused(new { experiment_ids = ids, filter = "Foo" }, "Invalid filter string: 'Foo'.");
        await Refused(new { experiment_ids = ids, filter = "name > 'foo'" }, "Invalid comparison operator for attributes.name: '>'.");
        await Refused(new { experiment_ids = ids, filter = "bogus = 'x'" }, "Invalid logged model search key 'bogus'");
        await Refused(new { experiment_ids = ids, order_by = new[] { new { field_name = "params.lr" } } }, "Invalid order by field name: params.lr. Only metrics are supported.");
        await Refused(new { experiment_ids = ids, order_by = new[] { new { field_name = "bogus" } } }, "Invalid order by field name: bogus");
        await Refused(new { experiment_ids = ids, datasets = new[] { new { dataset_digest = "d" } } }, "`dataset_name` in the `datasets` clause must be specified.");
        await Refused(new { filter = "name = 'x'" }, "Missing value for required parameter 'experiment_ids'");
        await Refused(new { experiment_ids = ids, page_token = "not-a-token" }, "page_token");
    }

    // An MLflow 3 client lists a run's sub-directory by first searching the experiment's logged models by name.
    [Fact]
    public async Task Searching_an_experiment_without_logged_models_by_name_answers_an_empty_message()
    {
        var experiment = await ExperimentAsync();
        var answer = await _mlflow.OkAsync("logged-models/search", new { experiment_ids = new[] { experiment }, filter = "name = 'sub'" });
        Assert.Empty(answer);
    }

    [Fact]
    public async Task Metrics_logged_with_a_model_id_are_the_models_metrics_and_still_the_runs()
    {
        var experiment = await ExperimentAsync();
        var run = await RunIdAsync(experiment);
        var id = Id(await CreateAsync(new { experiment_id = experiment, source_run_id = run }));

        await _mlflow.OkAsync("runs/log-metric", new { run_id = run, key = "loss", value = 0.5, timestamp = 10, step = 2, model_id = id, dataset_name = "train", dataset_digest = "abc" });
        await _mlflow.OkAsync("runs/log-batch", new { run_id = run, metrics = new[] { new { key = "acc", value = 0.9, timestamp = 11, step = 2, model_id = id } } });
        await _mlflow.OkAsync("runs/log-metric", new { run_id = run, key = "plain", value = 1, timestamp = 12 });

        var metrics = (await GetAsync(id))["data"]!["metrics"]!.AsArray();
        Assert.Equal(["acc", "loss"], metrics.Select(m => (string)m!["key"]!));
        var loss = metrics.Single(m => (string?)m!["key"] == "loss")!;
        Assert.Equal(0.5, (double)loss["value"]!);
        Assert.Equal(10, (long)loss["timestamp"]!);
        Assert.Equal(2, (long)loss["step"]!);
        Assert.Equal("train", (string?)loss["dataset_name"]);
        Assert.Equal("abc", (string?)loss["dataset_digest"]);
        Assert.Equal(id, (string?)loss["model_id"]);
        Assert.Equal(run, (string?)loss["run_id"]);

        var runMetrics = (await _mlflow.GetOkAsync($"runs/get?run_id={run}"))["run"]!["data"]!["metrics"]!.AsArray();
        Assert.Equal(["acc", "loss", "plain"], runMetrics.Select(m => (string)m!["key"]!));

        await (await _mlflow.PostAsync("runs/log-metric", new { run_id = run, key = "loss", value = 1, timestamp = 13, model_id = "m-missing" }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", Missing("m-missing"));
    }

    // ports test_rest_tracking.py::test_log_outputs
    [Fact]
    public async Task A_runs_model_outputs_and_model_inputs_are_in_get_run_and_search_runs()
    {
        var experiment = await ExperimentAsync();
        var run = await RunIdAsync(experiment);
        var produced = Id(await CreateAsync(new { experiment_id = experiment }));
        var read = Id(await CreateAsync(new { experiment_id = experiment }));

        await _mlflow.OkAsync("runs/outputs", new { run_id = run, models = new[] { new { model_id = produced, step = 1 } } });
        await _mlflow.OkAsync("runs/log-inputs", new { run_id = run, models = new[] { new { model_id = read } } });

        var got = (await _mlflow.GetOkAsync($"runs/get?run_id={run}"))["run"]!;
        var output = got["outputs"]!["model_outputs"]!.AsArray().Single()!;
        Assert.Equal(produced, (string?)output["model_id"]);
        Assert.Equal(1, (long)output["step"]!);
        Assert.Equal(read, (string?)got["inputs"]!["model_inputs"]!.AsArray().Single()!["model_id"]);

        var searched = (await _mlflow.OkAsync("runs/search", new { experiment_ids = new[] { experiment } }))["runs"]![0]!;
        Assert.Equal(produced, (string?)searched["outputs"]!["model_outputs"]![0]!["model_id"]);
        var plain = (await _mlflow.GetOkAsync($"runs/get?run_id={await RunIdAsync(experiment)}"))["run"]!;
        Assert.Null(plain["outputs"]);
        Assert.Null(plain["inputs"]!["model_inputs"]);

        await (await _mlflow.PostAsync("runs/outputs", new { run_id = run }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'models'");
        await (await _mlflow.PostAsync("runs/outputs", new { run_id = Guid.NewGuid().ToString("N"), models = new[] { new { model_id = produced, step = 0 } } }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "not found");
        // ModelInput.model_id is required (the route fuzz found a model input without one reaching the database).
        await (await _mlflow.PostAsync("runs/log-inputs", new { run_id = run, models = new[] { new { } } }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'models.model_id'");
        await (await _mlflow.PostAsync("runs/outputs", new { run_id = run, models = new[] { new { step = 2 } } }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'models.model_id'");
    }

    // ports test_rest_tracking.py::test_list_logged_model_artifacts and test_get_logged_model_artifact
    [Fact]
    public async Task A_logged_models_files_uploaded_through_the_proxy_are_listed_and_served()
    {
        var experiment = await ExperimentAsync();
        var model = await CreateAsync(new { experiment_id = experiment });
        var id = Id(model);
        var root = (string)model["info"]!["artifact_uri"]!;
        Assert.StartsWith("mlflow-artifacts:/", root, StringComparison.Ordinal);
        var key = root["mlflow-artifacts:/".Length..].TrimStart('/');
        var mlmodel = Encoding.UTF8.GetBytes($"model_id: {id}\n");
        await (await _client.PutAsync(new Uri($"/api/2.0/mlflow-artifacts/artifacts/{key}/MLmodel", UriKind.Relative), MlflowArtifactsProxyTests.Bytes(mlmodel))).OkAsync();
        await (await _client.PutAsync(new Uri($"/api/2.0/mlflow-artifacts/artifacts/{key}/data/w.bin", UriKind.Relative), MlflowArtifactsProxyTests.Bytes([1, 2, 3]))).OkAsync();

        var listing = await _mlflow.GetOkAsync($"logged-models/{id}/artifacts/directories");
        Assert.Equal(root, (string?)listing["root_uri"]);
        var files = listing["files"]!.AsArray();
        Assert.Equal(["MLmodel", "data"], files.Select(f => (string)f!["path"]!));
        Assert.True((bool)files[1]!["is_dir"]!);
        var sub = await _mlflow.GetOkAsync($"logged-models/{id}/artifacts/directories?artifact_directory_path=data");
        Assert.Equal("data/w.bin", (string?)sub["files"]![0]!["path"]);
        Assert.Equal(3, (long)sub["files"]![0]!["file_size"]!);

        var file = await _client.GetAsync(new Uri($"/ajax-api/2.0/mlflow/logged-models/{id}/artifacts/files?artifact_file_path=MLmodel", UriKind.Relative));
        Assert.Equal(200, (int)file.StatusCode);
        Assert.Contains(id, await file.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await (await _client.GetAsync(new Uri($"/ajax-api/2.0/mlflow/logged-models/{id}/artifacts/files", UriKind.Relative)))
            .MlflowErrorAsync(400, "BAD_REQUEST", "Request must include the \"artifact_file_path\" query parameter.");
        await (await _mlflow.GetAsync($"logged-models/{id}/artifacts/directories?artifact_directory_path=../x"))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    // ports test_rest_tracking.py::test_create_model_version_model_id
    [Fact]
    public async Task A_version_registered_from_a_logged_model_is_linked_to_it_takes_its_run_and_resolves_to_its_files_by_alias()
    {
        var experiment = await ExperimentAsync();
        var run = await RunIdAsync(experiment);
        var model = await CreateAsync(new { experiment_id = experiment, source_run_id = run });
        var id = Id(model);
        var location = (string)model["info"]!["artifact_uri"]!;
        var name = Unique("registered");
        await _mlflow.OkAsync("registered-models/create", new { name });

        var v1 = (await _mlflow.OkAsync("model-versions/create", new { name, source = $"models:/{id}", model_id = id }))["model_version"]!;
        Assert.Equal(id, (string?)v1["model_id"]);
        Assert.Equal(run, (string?)v1["run_id"]);
        Assert.Equal($"models:/{id}", (string?)v1["source"]);
        Assert.Equal($"[{{\"name\": \"{name}\", \"version\": 1}}]", Pairs((await GetAsync(id))["info"]!["tags"])["mlflow.modelVersions"]);

        await _mlflow.OkAsync("model-versions/create", new { name, source = location, model_id = id });
        Assert.Equal($"[{{\"name\": \"{name}\", \"version\": 1}}, {{\"name\": \"{name}\", \"version\": 2}}]", Pairs((await GetAsync(id))["info"]!["tags"])["mlflow.modelVersions"]);

        await _mlflow.OkAsync("registered-models/alias", new { name, alias = "champion", version = "1" });
        var byAlias = (await _mlflow.GetOkAsync($"registered-models/alias?name={name}&alias=champion"))["model_version"]!;
        Assert.Equal(id, (string?)byAlias["model_id"]);
        Assert.Equal(location, (string?)(await _mlflow.GetOkAsync($"model-versions/get-download-uri?name={name}&version=1"))["artifact_uri"]);

        await (await _mlflow.PostAsync("model-versions/create", new { name, source = "models:/m-0123456789abcdef0123456789abcdef" }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", Missing("m-0123456789abcdef0123456789abcdef"));
        await (await _mlflow.PostAsync("model-versions/create", new { name, source = "s3://b/k", model_id = "m-nope" }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", Missing("m-nope"));
    }

    [Fact]
    public async Task The_native_api_reads_a_logged_model_lists_them_by_experiment_and_run_and_the_graph_joins_run_model_and_version()
    {
        var experiment = await ExperimentAsync();
        var run = await RunIdAsync(experiment);
        var id = Id(await CreateAsync(new { experiment_id = experiment, source_run_id = run, name = "native" }));
        var name = Unique("native");
        await _mlflow.OkAsync("registered-models/create", new { name });
        await _mlflow.OkAsync("model-versions/create", new { name, source = $"models:/{id}", model_id = id });

        var one = await (await _client.GetAsync(new Uri($"/api/v1/logged-models/{id}", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal(id, (string?)one["model_id"]);
        Assert.Equal("PENDING", (string?)one["status"]);
        Assert.Equal(run, (string?)one["source_run_id"]);
        Assert.Equal(name, (string?)one["registrations"]![0]!["model"]);
        Assert.Equal(1, (int)one["registrations"]![0]!["version"]!);

        var byExperiment = await (await _client.GetAsync(new Uri($"/api/v1/logged-models?experiment_id={experiment}", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal(id, (string?)byExperiment["models"]![0]!["model_id"]);
        var byRun = await (await _client.GetAsync(new Uri($"/api/v1/logged-models?run_id={run}", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal(id, (string?)byRun["models"]!.AsArray().Single()!["model_id"]);

        await (await _client.GetAsync(new Uri("/api/v1/logged-models/m-unknown", UriKind.Relative))).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync(new Uri("/api/v1/logged-models", UriKind.Relative))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        var graph = await (await _client.GetAsync(new Uri($"/api/v1/lineage/graph?node={Uri.EscapeDataString($"logged_model:{id}")}&direction=both&depth=1", UriKind.Relative))).ExpectAsync(200);
        var nodes = graph["graph"]!.AsArray().Select(n => (string)n!["id"]!).ToList();
        Assert.Contains($"run:{run}", nodes);
        Assert.Contains($"model:{name}:1", nodes);
        var self = graph["graph"]!.AsArray().Single(n => (string?)n!["id"] == $"logged_model:{id}")!;
        Assert.Contains(self["out_edges"]!.AsArray(), e => (string?)e!["target"] == $"model:{name}:1" && (string?)e["kind"] == "registered_as");
        Assert.Contains(self["in_edges"]!.AsArray(), e => (string?)e!["source"] == $"run:{run}");
    }

    [Fact]
    public async Task The_typed_client_reads_a_logged_model_and_lists_a_runs_models()
    {
        var experiment = await ExperimentAsync();
        var run = await RunIdAsync(experiment);
        var id = Id(await CreateAsync(new { experiment_id = experiment, source_run_id = run, name = "typed", @params = new[] { new { key = "lr", value = "0.1" } } }));
        await _mlflow.OkAsync("runs/log-metric", new { run_id = run, key = "acc", value = 0.5, timestamp = 3, model_id = id, dataset_name = "eval" });
        using var cairn = new Cairn.Client.CairnClient(app.CreateClient());

        var model = await cairn.GetLoggedModelAsync(id);
        Assert.Equal("typed", model.Name);
        Assert.Equal("PENDING", model.Status);
        Assert.Equal(new Cairn.Client.LoggedModelPair("lr", "0.1"), model.Params.Single());
        Assert.Equal(new Cairn.Client.LoggedModelMetric("acc", 0.5, 3, 0, run, "eval", null), model.Metrics.Single());

        Assert.Equal(id, (await cairn.ListLoggedModelsAsync(runId: run)).Models.Single().ModelId);
        Assert.Equal(id, (await cairn.ListLoggedModelsAsync(experimentId: experiment)).Models.Single().ModelId);
        var missing = await Assert.ThrowsAsync<Cairn.Client.CairnApiException>(() => cairn.GetLoggedModelAsync("m-none"));
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", missing.ErrorCode);
    }

    [Fact]
    public async Task Each_logged_model_change_writes_an_audit_entry()
    {
        var id = Id(await CreateAsync(new { experiment_id = await ExperimentAsync() }));
        await (await _mlflow.PatchAsync($"logged-models/{id}/tags", new { tags = new[] { new { key = "k", value = "v" } } })).OkAsync();
        await (await _mlflow.PatchAsync($"logged-models/{id}", new { status = "LOGGED_MODEL_READY" })).OkAsync();
        await (await _mlflow.DeleteAsync($"logged-models/{id}", new { })).OkAsync();

        var entries = (await (await _client.GetAsync(new Uri($"/api/v1/audit?resource=logged-models/{id}", UriKind.Relative))).ExpectAsync(200))["entries"]!.AsArray();
        Assert.Equal(
            ["logged_model.create", "logged_model.delete", "logged_model.finalize", "logged_model.tag.set"],
            entries.Select(e => (string)e!["action"]!).Order(StringComparer.Ordinal));
    }
}
