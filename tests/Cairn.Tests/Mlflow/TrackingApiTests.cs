using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>MLflow's tracking endpoints, compared with MLflow's documented responses and errors.</summary>
public sealed class TrackingApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow _mlflow = new(app.CreateClient());

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private async Task<string> ExperimentAsync(string? name = null) =>
        (string)(await _mlflow.OkAsync("experiments/create", new { name = name ?? Unique("exp") }))["experiment_id"]!;

    private async Task<JsonObject> RunAsync(string experimentId, object? tags = null, string? runName = null) =>
        (JsonObject)(await _mlflow.OkAsync("runs/create", new { experiment_id = experimentId, start_time = 1_700_000_000_000, tags, run_name = runName }))["run"]!["info"]!;

    [Fact]
    public async Task The_default_experiment_0_exists()
    {
        var experiment = (await _mlflow.GetOkAsync("experiments/get?experiment_id=0"))["experiment"]!;

        Assert.Equal("Default", (string?)experiment["name"]);
        Assert.Equal("mlflow-artifacts:/0", (string?)experiment["artifact_location"]);
    }

    [Fact]
    public async Task An_experiment_is_created_and_read_by_id_and_by_name()
    {
        var name = Unique("fraud");
        var id = (string)(await _mlflow.OkAsync("experiments/create", new { name, tags = new[] { new { key = "team", value = "risk" } } }))["experiment_id"]!;

        var byId = (await _mlflow.GetOkAsync($"experiments/get?experiment_id={id}"))["experiment"]!;
        var byName = (await _mlflow.GetOkAsync($"experiments/get-by-name?experiment_name={name}"))["experiment"]!;

        Assert.Equal(name, (string?)byId["name"]);
        Assert.Equal(id, (string?)byName["experiment_id"]);
        Assert.Equal("active", (string?)byId["lifecycle_stage"]);
        Assert.Equal($"mlflow-artifacts:/{id}", (string?)byId["artifact_location"]);
        Assert.Equal("risk", (string?)byId["tags"]![0]!["value"]);
        Assert.True((long)byId["creation_time"]! > 0);
    }

    [Fact]
    public async Task Experiment_errors_use_mlflow_codes_and_statuses()
    {
        var name = Unique("dup");
        await ExperimentAsync(name);

        await (await _mlflow.PostAsync("experiments/create", new { name })).MlflowErrorAsync(400, "RESOURCE_ALREADY_EXISTS", $"Experiment(name={name}) already exists.");
        await (await _mlflow.PostAsync("experiments/create", new { })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'");
        await (await _mlflow.GetAsync("experiments/get?experiment_id=987654")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=987654 exists");
        await (await _mlflow.GetAsync("experiments/get?experiment_id=abc")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _mlflow.GetAsync($"experiments/get-by-name?experiment_name={Unique("none")}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment");
        await (await _mlflow.Client.PostAsync(new Uri("/api/2.0/mlflow/experiments/create", UriKind.Relative), new StringContent("{not json", Encoding.UTF8, "application/json")))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Malformed request");
    }

    [Fact]
    public async Task Experiments_are_renamed_deleted_restored_and_tagged()
    {
        var id = await ExperimentAsync();
        var renamed = Unique("renamed");

        await _mlflow.OkAsync("experiments/update", new { experiment_id = id, new_name = renamed });
        await _mlflow.OkAsync("experiments/set-experiment-tag", new { experiment_id = id, key = "owner", value = "ana" });
        await _mlflow.OkAsync("experiments/delete", new { experiment_id = id });

        var deleted = (await _mlflow.GetOkAsync($"experiments/get?experiment_id={id}"))["experiment"]!;
        Assert.Equal(renamed, (string?)deleted["name"]);
        Assert.Equal("deleted", (string?)deleted["lifecycle_stage"]);
        Assert.Equal("owner", (string?)deleted["tags"]![0]!["key"]);
        await (await _mlflow.PostAsync("runs/create", new { experiment_id = id })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "must be in the 'active' state");

        var active = await _mlflow.OkAsync("experiments/search", new { filter = $"name = '{renamed}'" });
        var deletedOnly = await _mlflow.OkAsync("experiments/search", new { filter = $"name = '{renamed}'", view_type = "DELETED_ONLY" });
        // Protobuf's JSON leaves an empty list out, as MLflow's server writes it.
        Assert.Null(active["experiments"]);
        Assert.Single(deletedOnly["experiments"]!.AsArray());

        await _mlflow.OkAsync("experiments/restore", new { experiment_id = id });
        Assert.Equal("active", (string?)(await _mlflow.GetOkAsync($"experiments/get?experiment_id={id}"))["experiment"]!["lifecycle_stage"]);
    }

    [Fact]
    public async Task Experiment_search_filters_on_names_and_tags_orders_and_pages()
    {
        var stem = Unique("page");
        foreach (var i in Enumerable.Range(0, 5))
        {
            await _mlflow.OkAsync("experiments/create", new { name = $"{stem}-{i}", tags = new[] { new { key = "parity", value = i % 2 == 0 ? "even" : "odd" } } });
        }

        var even = await _mlflow.OkAsync("experiments/search", new { filter = $"name LIKE '{stem}-%' AND tags.parity = 'even'", order_by = new[] { "name DESC" } });
        Assert.Equal([$"{stem}-4", $"{stem}-2", $"{stem}-0"], even["experiments"]!.AsArray().Select(e => (string)e!["name"]!));

        var names = new List<string>();
        string? token = null;
        do
        {
            var page = await _mlflow.OkAsync("experiments/search", new { filter = $"name LIKE '{stem}-%'", order_by = new[] { "name ASC" }, max_results = 2, page_token = token });
            names.AddRange(page["experiments"]!.AsArray().Select(e => (string)e!["name"]!));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{stem}-{i}"), names);
    }

    [Fact]
    public async Task A_run_is_created_named_updated_and_read_back()
    {
        var experiment = await ExperimentAsync();
        var info = await RunAsync(experiment, tags: new[] { new { key = "mlflow.runName", value = "first" } });
        var runId = (string)info["run_id"]!;

        Assert.Equal(runId, (string?)info["run_uuid"]);
        Assert.Equal(32, runId.Length);
        Assert.Equal("first", (string?)info["run_name"]);
        Assert.Equal("RUNNING", (string?)info["status"]);
        Assert.Equal($"mlflow-artifacts:/{experiment}/{runId}/artifacts", (string?)info["artifact_uri"]);

        var updated = (await _mlflow.OkAsync("runs/update", new { run_id = runId, status = "FINISHED", end_time = 1_700_000_100_000, run_name = "final" }))["run_info"]!;
        Assert.Equal("FINISHED", (string?)updated["status"]);
        var run = (await _mlflow.GetOkAsync($"runs/get?run_id={runId}"))["run"]!;
        Assert.Equal("final", (string?)run["info"]!["run_name"]);
        Assert.Equal(1_700_000_100_000, (long)run["info"]!["end_time"]!);
        Assert.Contains(run["data"]!["tags"]!.AsArray(), t => (string?)t!["key"] == "mlflow.runName" && (string?)t["value"] == "final");

        await (await _mlflow.PostAsync("runs/create", new { experiment_id = experiment, run_name = "a", tags = new[] { new { key = "mlflow.runName", value = "b" } } }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "different values");
        await (await _mlflow.PostAsync("runs/update", new { run_id = runId, status = "DONE" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _mlflow.GetAsync("runs/get?run_id=0000")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Run with id=0000 not found");
    }

    [Fact]
    public async Task Params_metrics_and_tags_are_logged_singly_and_in_batches()
    {
        var runId = (string)(await RunAsync(await ExperimentAsync()))["run_id"]!;

        await _mlflow.OkAsync("runs/log-parameter", new { run_id = runId, key = "lr", value = "0.1" });
        await _mlflow.OkAsync("runs/log-parameter", new { run_uuid = runId, key = "lr", value = "0.1" });
        await _mlflow.OkAsync("runs/log-metric", new { run_id = runId, key = "loss", value = 0.5, timestamp = "1700000000001", step = 1 });
        await _mlflow.OkAsync("runs/log-metric", new { run_id = runId, key = "loss", value = 0.25, timestamp = 1_700_000_000_002, step = 2 });
        await _mlflow.OkAsync("runs/log-metric", new { run_id = runId, key = "odd", value = "NaN", timestamp = 1_700_000_000_002 });
        await _mlflow.OkAsync("runs/set-tag", new { run_id = runId, key = "team", value = "risk" });
        await _mlflow.OkAsync("runs/log-batch", new
        {
            run_id = runId,
            metrics = new[] { new { key = "acc", value = 0.9, timestamp = 1_700_000_000_003, step = 0 } },
            @params = new[] { new { key = "epochs", value = "3" } },
            tags = new[] { new { key = "stage", value = "train" } },
        });
        await _mlflow.OkAsync("runs/delete-tag", new { run_id = runId, key = "stage" });

        var data = (await _mlflow.GetOkAsync($"runs/get?run_id={runId}"))["run"]!["data"]!;
        var metrics = data["metrics"]!.AsArray().ToDictionary(m => (string)m!["key"]!, m => m!);
        Assert.Equal(0.25, (double)metrics["loss"]["value"]!);
        Assert.Equal(2, (long)metrics["loss"]["step"]!);
        Assert.Equal("NaN", metrics["odd"]["value"]!.ToJsonString().Trim('"'));
        Assert.Equal(["epochs", "lr"], data["params"]!.AsArray().Select(p => (string)p!["key"]!));
        Assert.DoesNotContain(data["tags"]!.AsArray(), t => (string?)t!["key"] == "stage");

        var history = await _mlflow.GetOkAsync($"metrics/get-history?run_id={runId}&metric_key=loss");
        Assert.Equal([0.5, 0.25], history["metrics"]!.AsArray().Select(m => (double)m!["value"]!));
    }

    [Fact]
    public async Task Batch_limits_and_param_changes_are_refused_with_mlflows_errors_and_store_nothing()
    {
        var runId = (string)(await RunAsync(await ExperimentAsync()))["run_id"]!;
        await _mlflow.OkAsync("runs/log-parameter", new { run_id = runId, key = "lr", value = "0.1" });
        var tooMany = Enumerable.Range(0, 1001).Select(i => new { key = "m", value = (double)i, timestamp = 1L, step = (long)i }).ToArray();

        await (await _mlflow.PostAsync("runs/log-batch", new { run_id = runId, metrics = tooMany })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "at most 1000 metrics");
        await (await _mlflow.PostAsync("runs/log-batch", new { run_id = runId, @params = Enumerable.Range(0, 101).Select(i => new { key = $"p{i}", value = "v" }).ToArray() }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "at most 100 params");
        await (await _mlflow.PostAsync("runs/log-batch", new { run_id = runId, tags = Enumerable.Range(0, 101).Select(i => new { key = $"t{i}", value = "v" }).ToArray() }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "at most 100 tags");
        // Within the counts and value lengths, but over MLflow's 1,000,000-byte request limit (about 1.4 MB).
        var bulky = new
        {
            run_id = runId,
            tags = Enumerable.Range(0, 100).Select(i => new { key = $"t{i}", value = new string('x', 8000) }).ToArray(),
            @params = Enumerable.Range(0, 100).Select(i => new { key = $"p{i}", value = new string('y', 6000) }).ToArray(),
        };
        await (await _mlflow.PostAsync("runs/log-batch", bulky))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Batched logging API requests must be at most 1000000 bytes, got a request of size");
        // A batch whose param conflicts is refused whole: its metrics are not kept either.
        await (await _mlflow.PostAsync("runs/log-batch", new
        {
            run_id = runId,
            metrics = new[] { new { key = "kept", value = 1.0, timestamp = 1L, step = 0L } },
            @params = new[] { new { key = "lr", value = "0.2" } },
        })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed");
        await (await _mlflow.PostAsync("runs/log-metric", new { run_id = runId, key = "../x", value = 1, timestamp = 1 })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _mlflow.PostAsync("runs/log-metric", new { run_id = runId, key = "x", value = 1 })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "'timestamp'");

        var data = (await _mlflow.GetOkAsync($"runs/get?run_id={runId}"))["run"]!["data"]!;
        Assert.Empty(data["metrics"]!.AsArray());
        Assert.Equal("0.1", (string?)data["params"]![0]!["value"]);
    }

    [Fact]
    public async Task A_deleted_run_refuses_writes_until_restored()
    {
        var runId = (string)(await RunAsync(await ExperimentAsync()))["run_id"]!;
        await _mlflow.OkAsync("runs/delete", new { run_id = runId });

        await (await _mlflow.PostAsync("runs/log-parameter", new { run_id = runId, key = "a", value = "b" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"The run {runId} must be in the 'active' state. Current state is deleted.");
        Assert.Equal("deleted", (string?)(await _mlflow.GetOkAsync($"runs/get?run_id={runId}"))["run"]!["info"]!["lifecycle_stage"]);

        await _mlflow.OkAsync("runs/restore", new { run_id = runId });
        await _mlflow.OkAsync("runs/log-parameter", new { run_id = runId, key = "a", value = "b" });
    }

    [Fact]
    public async Task Run_search_filters_on_metrics_params_tags_and_attributes_orders_and_pages()
    {
        var experiment = await ExperimentAsync();
        var runs = new List<string>();
        foreach (var i in Enumerable.Range(0, 6))
        {
            var runId = (string)(await RunAsync(experiment))["run_id"]!;
            runs.Add(runId);
            await _mlflow.OkAsync("runs/log-batch", new
            {
                run_id = runId,
                metrics = new[] { new { key = "acc", value = 0.5 + (i / 10.0), timestamp = 1L, step = 0L } },
                @params = new[] { new { key = "model", value = i % 2 == 0 ? "tree" : "linear" } },
                tags = new[] { new { key = "team", value = i < 3 ? "risk" : "ops" } },
            });
        }
        await _mlflow.OkAsync("runs/update", new { run_id = runs[5], status = "FAILED" });

        async Task<List<string>> Search(object body) =>
            (await _mlflow.OkAsync("runs/search", body))["runs"]!.AsArray().Select(r => (string)r!["info"]!["run_id"]!).ToList();

        Assert.Equal([runs[4], runs[5]], await Search(new { experiment_ids = new[] { experiment }, filter = "metrics.acc >= 0.9", order_by = new[] { "metrics.acc ASC" } }));
        Assert.Equal([runs[2], runs[0]], await Search(new { experiment_ids = new[] { experiment }, filter = "params.model = 'tree' and tags.team = 'risk'", order_by = new[] { "metrics.acc DESC" } }));
        Assert.Equal([runs[5]], await Search(new { experiment_ids = new[] { experiment }, filter = "attributes.status = 'FAILED'" }));
        Assert.Equal([runs[1], runs[3]], await Search(new { experiment_ids = new[] { experiment }, filter = "param.model IN ('linear') and attribute.status != 'FAILED'", order_by = new[] { "metrics.acc" } }));

        var paged = new List<string>();
        string? token = null;
        do
        {
            var page = await _mlflow.OkAsync("runs/search", new { experiment_ids = new[] { experiment }, order_by = new[] { "metrics.acc DESC" }, max_results = 4, page_token = token });
            paged.AddRange(page["runs"]!.AsArray().Select(r => (string)r!["info"]!["run_id"]!));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        Assert.Equal(Enumerable.Reverse(runs), paged);

        await (await _mlflow.PostAsync("runs/search", new { experiment_ids = new[] { experiment }, filter = "metrics.acc > 1 OR metrics.acc < 0" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "AND only");
        await (await _mlflow.PostAsync("runs/search", new { experiment_ids = new[] { experiment }, max_results = 50001 })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid value 50001 for parameter 'max_results'");
    }

    [Fact]
    public async Task Dataset_inputs_and_logged_models_show_on_the_run()
    {
        var runId = (string)(await RunAsync(await ExperimentAsync()))["run_id"]!;
        await _mlflow.OkAsync("runs/log-inputs", new
        {
            run_id = runId,
            datasets = new[]
            {
                new
                {
                    tags = new[] { new { key = "mlflow.data.context", value = "training" } },
                    dataset = new { name = "claims", digest = "abc123", source_type = "local", source = "{\"uri\": \"/data/claims.parquet\"}", schema = "{}" },
                },
            },
        });
        await _mlflow.OkAsync("runs/log-model", new
        {
            run_id = runId,
            model_json = $"{{\"artifact_path\": \"model\", \"flavors\": {{}}, \"utc_time_created\": \"2026-11-23 02:00:00.000000\", \"run_id\": \"{runId}\"}}",
        });

        var run = (await _mlflow.GetOkAsync($"runs/get?run_id={runId}"))["run"]!;
        var input = run["inputs"]!["dataset_inputs"]![0]!;
        Assert.Equal("claims", (string?)input["dataset"]!["name"]);
        Assert.Equal("training", (string?)input["tags"]![0]!["value"]);
        var history = run["data"]!["tags"]!.AsArray().Single(t => (string?)t!["key"] == "mlflow.log-model.history")!;
        Assert.Equal("model", (string?)JsonNode.Parse((string)history["value"]!)![0]!["artifact_path"]);

        await (await _mlflow.PostAsync("runs/log-model", new { run_id = runId, model_json = "not json" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Malformed model info");
        await (await _mlflow.PostAsync("runs/log-model", new { run_id = runId, model_json = "{\"artifact_path\": \"model\", \"flavors\": {}}" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Model json is missing mandatory fields: {'utc_time_created', 'run_id'}");
    }

    [Fact]
    public async Task The_ajax_api_prefix_serves_the_same_handlers()
    {
        var id = await ExperimentAsync();
        var ajax = new Mlflow(app.CreateClient(), "/ajax-api/2.0/mlflow");

        Assert.Equal(id, (string?)(await ajax.GetOkAsync($"experiments/get?experiment_id={id}"))["experiment"]!["experiment_id"]);
    }
}

/// <summary>The MLflow API under <c>--auth token</c>: the same tokens and roles as the native API.</summary>
public sealed class TrackingAuthTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_writer_token_works_as_bearer_and_as_basic_password()
    {
        var token = await app.TokenAsync("ml-writer", "writer");
        using var basic = app.CreateClient();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"anyone:{token}")));

        await new Mlflow(app.ClientWithToken(token)).OkAsync("experiments/create", new { name = $"bearer-{Guid.NewGuid():N}" });
        await new Mlflow(basic).OkAsync("experiments/create", new { name = $"basic-{Guid.NewGuid():N}" });
    }

    [Fact]
    public async Task A_reader_token_reads_but_may_not_write()
    {
        var reader = new Mlflow(app.ClientWithToken(await app.TokenAsync("ml-reader", "reader")));

        await reader.GetOkAsync("experiments/get?experiment_id=0");
        await (await reader.PostAsync("experiments/create", new { name = "nope" })).MlflowErrorAsync(403, "PERMISSION_DENIED");
    }
}
