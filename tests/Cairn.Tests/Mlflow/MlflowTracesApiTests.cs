using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// MLflow's trace endpoints: the 3.x client's start/get/search under /api/3.0, and the 2.x routes it (and 2.x/3.1
/// clients) call for the rest. Ports tests/tracking/test_rest_tracking.py's trace tests and test_handlers.py::test_version.
/// </summary>
public sealed class MlflowTracesApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow _v2 = new(app.CreateClient());
    private readonly Mlflow _v3 = new(app.CreateClient(), "/api/3.0/mlflow");

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static string TraceId() => "tr-" + Guid.NewGuid().ToString("N");

    private async Task<string> ExperimentAsync() =>
        (string)(await _v2.OkAsync("experiments/create", new { name = Unique("traces") }))["experiment_id"]!;

    /// <summary>POSTs a StartTraceV3 as MLflow's client sends it once a trace has finished.</summary>
    private Task<HttpResponseMessage> StartAsync(
        string experimentId, string traceId, string requestTime = "2025-01-02T03:04:05.678Z", string? duration = "2.500s", string state = "OK",
        object? tags = null, object? metadata = null) =>
        _v3.PostAsync("traces", new
        {
            trace = new
            {
                trace_info = new
                {
                    trace_id = traceId,
                    trace_location = new { type = "MLFLOW_EXPERIMENT", mlflow_experiment = new { experiment_id = experimentId } },
                    request_preview = "{\"question\": \"why\"}",
                    response_preview = "\"because\"",
                    request_time = requestTime,
                    execution_duration = duration,
                    state,
                    trace_metadata = metadata ?? new Dictionary<string, string> { ["mlflow.trace_schema.version"] = "3" },
                    tags = tags ?? new Dictionary<string, string>(),
                },
            },
        });

    private async Task<string> TraceAsync(string experimentId, string name, long requestTimeMs, string state = "OK", object? metadata = null)
    {
        var id = TraceId();
        var time = DateTimeOffset.FromUnixTimeMilliseconds(requestTimeMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await (await StartAsync(experimentId, id, time, "0.100s", state, new Dictionary<string, string> { ["mlflow.traceName"] = name }, metadata)).OkAsync();
        return id;
    }

    private async Task<List<string>> SearchIdsAsync(object body)
    {
        var result = await _v3.OkAsync("traces/search", body);
        return ((JsonArray?)result["traces"] ?? []).Select(t => (string)t!["trace_id"]!).ToList();
    }

    private static JsonArray Locations(string experimentId) =>
        [new JsonObject { ["type"] = "MLFLOW_EXPERIMENT", ["mlflow_experiment"] = new JsonObject { ["experiment_id"] = experimentId } }];

    // ports test_rest_tracking.py::test_start_trace
    [Fact]
    public async Task A_trace_started_through_the_v3_api_is_read_back_with_its_times_state_metadata_and_tags()
    {
        var experimentId = await ExperimentAsync();
        var traceId = TraceId();

        var started = await (await StartAsync(experimentId, traceId,
            tags: new Dictionary<string, string> { ["tag1"] = "football", ["tag2"] = "basketball" },
            metadata: new Dictionary<string, string> { ["meta1"] = "apple", ["meta2"] = "grape", ["mlflow.trace_schema.version"] = "3" })).OkAsync();
        var read = await _v3.GetOkAsync($"traces/{traceId}");

        foreach (var info in new[] { started["trace"]!["trace_info"]!, read["trace"]!["trace_info"]! })
        {
            Assert.Equal(traceId, (string?)info["trace_id"]);
            Assert.Equal("MLFLOW_EXPERIMENT", (string?)info["trace_location"]!["type"]);
            Assert.Equal(experimentId, (string?)info["trace_location"]!["mlflow_experiment"]!["experiment_id"]);
            Assert.Equal("2025-01-02T03:04:05.678Z", (string?)info["request_time"]);
            Assert.Equal("2.500s", (string?)info["execution_duration"]);
            Assert.Equal("OK", (string?)info["state"]);
            Assert.Equal("{\"question\": \"why\"}", (string?)info["request_preview"]);
            Assert.Equal("\"because\"", (string?)info["response_preview"]);
            Assert.Equal("apple", (string?)info["trace_metadata"]!["meta1"]);
            Assert.Equal("3", (string?)info["trace_metadata"]!["mlflow.trace_schema.version"]);
            Assert.Equal("football", (string?)info["tags"]!["tag1"]);
            Assert.Equal("basketball", (string?)info["tags"]!["tag2"]);
            // The store says where the client uploads the span data: a folder of the experiment's artifact location.
            Assert.Equal($"mlflow-artifacts:/{experimentId}/traces/{traceId}/artifacts", (string?)info["tags"]!["mlflow.artifactLocation"]);
        }
    }

    [Theory]
    [InlineData("2025-01-02T03:04:05.123456789Z", "0.250000000s", "2025-01-02T03:04:05.123Z", "0.250s")]
    [InlineData("2025-01-02T03:04:05Z", "12s", "2025-01-02T03:04:05Z", "12s")]
    [InlineData("2025-01-02T04:04:05.5+01:00", "0.001s", "2025-01-02T03:04:05.500Z", "0.001s")]
    public async Task Times_are_read_as_protobuf_json_and_written_back_in_its_millisecond_form(string requestTime, string duration, string expectedTime, string expectedDuration)
    {
        var experimentId = await ExperimentAsync();
        var traceId = TraceId();

        await (await StartAsync(experimentId, traceId, requestTime, duration)).OkAsync();
        var info = (await _v3.GetOkAsync($"traces/{traceId}"))["trace"]!["trace_info"]!;

        Assert.Equal(expectedTime, (string?)info["request_time"]);
        Assert.Equal(expectedDuration, (string?)info["execution_duration"]);
    }

    // ports test_rest_tracking.py::test_legacy_start_and_end_trace_v2
    [Fact]
    public async Task Legacy_v2_start_and_end_merge_metadata_and_tags_and_compute_the_duration()
    {
        var experimentId = await ExperimentAsync();

        var started = (await _v2.OkAsync("traces", new
        {
            experiment_id = experimentId,
            timestamp_ms = 1000,
            request_metadata = new[] { new { key = "meta1", value = "apple" }, new { key = "meta2", value = "grape" } },
            tags = new[] { new { key = "tag1", value = "football" }, new { key = "tag2", value = "basketball" } },
        }))["trace_info"]!;
        var requestId = (string)started["request_id"]!;
        Assert.Equal(experimentId, (string?)started["experiment_id"]);
        Assert.Equal(1000, (long)started["timestamp_ms"]!);
        Assert.Null(started["execution_time_ms"]);
        Assert.Equal("IN_PROGRESS", (string?)started["status"]);
        Assert.Equal(new Dictionary<string, string> { ["meta1"] = "apple", ["meta2"] = "grape" }, Pairs(started["request_metadata"]));
        Assert.Equal(new Dictionary<string, string> { ["tag1"] = "football", ["tag2"] = "basketball" }, UserPairs(started["tags"]));

        var ended = (await (await _v2.PatchAsync($"traces/{requestId}", new
        {
            timestamp_ms = 3000,
            status = "OK",
            request_metadata = new[] { new { key = "meta1", value = "orange" }, new { key = "meta3", value = "banana" } },
            tags = new[] { new { key = "tag1", value = "soccer" }, new { key = "tag3", value = "tennis" } },
        })).OkAsync())["trace_info"]!;
        Assert.Equal(requestId, (string?)ended["request_id"]);
        Assert.Equal(1000, (long)ended["timestamp_ms"]!);
        Assert.Equal(2000, (long)ended["execution_time_ms"]!);
        Assert.Equal("OK", (string?)ended["status"]);
        Assert.Equal(new Dictionary<string, string> { ["meta1"] = "orange", ["meta2"] = "grape", ["meta3"] = "banana" }, Pairs(ended["request_metadata"]));
        Assert.Equal(new Dictionary<string, string> { ["tag1"] = "soccer", ["tag2"] = "basketball", ["tag3"] = "tennis" }, UserPairs(ended["tags"]));

        var info = (await _v2.GetOkAsync($"traces/{requestId}/info"))["trace_info"]!;
        Assert.Equal(2000, (long)info["execution_time_ms"]!);
    }

    // ports test_rest_tracking.py::test_search_traces
    [Fact]
    public async Task Search_returns_the_newest_first_filters_on_status_orders_and_pages()
    {
        var experimentId = await ExperimentAsync();
        var first = await TraceAsync(experimentId, "trace1", 1_700_000_001_000);
        var second = await TraceAsync(experimentId, "trace2", 1_700_000_002_000);
        var third = await TraceAsync(experimentId, "trace3", 1_700_000_003_000, "ERROR");

        var all = await _v3.OkAsync("traces/search", new { locations = Locations(experimentId) });
        Assert.Equal([third, second, first], ((JsonArray)all["traces"]!).Select(t => (string)t!["trace_id"]!));
        Assert.Null(all["next_page_token"]);

        Assert.Equal([first, second], await SearchIdsAsync(new { locations = Locations(experimentId), filter = "status = 'OK'", order_by = new[] { "timestamp ASC" } }));

        var page = await _v3.OkAsync("traces/search", new { locations = Locations(experimentId), max_results = 2 });
        Assert.Equal([third, second], ((JsonArray)page["traces"]!).Select(t => (string)t!["trace_id"]!));
        var token = (string?)page["next_page_token"];
        Assert.NotNull(token);
        var rest = await _v3.OkAsync("traces/search", new { locations = Locations(experimentId), page_token = token });
        Assert.Equal([first], ((JsonArray)rest["traces"]!).Select(t => (string)t!["trace_id"]!));
        Assert.Null(rest["next_page_token"]);

        // The 2.x route answers the same search in TraceInfo (v2) shape.
        var v2 = await _v2.GetOkAsync($"traces?experiment_ids={experimentId}&filter={Uri.EscapeDataString("status = 'ERROR'")}");
        var only = Assert.Single((JsonArray)v2["traces"]!)!;
        Assert.Equal(third, (string?)only["request_id"]);
        Assert.Equal("ERROR", (string?)only["status"]);
        Assert.Equal(1_700_000_003_000, (long)only["timestamp_ms"]!);
    }

    [Fact]
    public async Task Search_filters_on_names_tags_metadata_ids_and_times_and_orders_on_tags()
    {
        var experimentId = await ExperimentAsync();
        var first = await TraceAsync(experimentId, "alpha", 1_700_000_001_000, metadata: new Dictionary<string, string> { ["user"] = "ann" });
        var second = await TraceAsync(experimentId, "beta", 1_700_000_002_000, metadata: new Dictionary<string, string> { ["user"] = "bob" });
        await (await _v2.PatchAsync($"traces/{first}/tags", new { key = "env", value = "prod" })).OkAsync();
        await (await _v2.PatchAsync($"traces/{second}/tags", new { key = "env", value = "dev" })).OkAsync();

        async Task<List<string>> Filter(string filter, params string[] orderBy) =>
            await SearchIdsAsync(new { locations = Locations(experimentId), filter, order_by = orderBy });

        Assert.Equal([second], await Filter("name = 'beta'"));
        Assert.Equal([first], await Filter("trace.name != 'beta'"));
        Assert.Equal([first], await Filter("tag.env = 'prod'"));
        Assert.Equal([second], await Filter("tags.env != 'prod'"));
        Assert.Equal([second], await Filter("metadata.user = 'bob'"));
        Assert.Equal([first], await Filter("request_metadata.`user` = 'ann'"));
        Assert.Equal([second], await Filter("timestamp_ms > 1700000001500"));
        Assert.Equal([first], await Filter("attributes.timestamp <= 1700000001000 AND execution_time_ms = 100"));
        Assert.Equal([second, first], await Filter($"request_id IN ('{first}', '{second}')"));
        Assert.Equal([second], await Filter($"request_id NOT IN ('{first}')"));
        Assert.Empty(await Filter("status = 'ERROR'"));
        Assert.Equal([second, first], await Filter("status = 'OK'"));
        Assert.Equal([second, first], await Filter("", "tag.env ASC"));
        Assert.Equal([first, second], await Filter("", "name ASC"));
        Assert.Equal([first, second], await Filter("", "timestamp_ms ASC"));
    }

    [Fact]
    public async Task Bad_filters_order_bys_and_page_sizes_are_refused_with_mlflow_messages()
    {
        var experimentId = await ExperimentAsync();

        async Task Refused(object body, string message) =>
            await (await _v3.PostAsync("traces/search", body)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", message);

        var locations = Locations(experimentId);
        await Refused(new { locations, filter = "foo.bar = 'x'" }, "Invalid entity type 'foo'");
        await Refused(new { locations, filter = "unknown = 'x'" }, "Invalid attribute key 'unknown' specified. Valid keys are");
        await Refused(new { locations, filter = "tag.env LIKE 'p%'" }, "Invalid comparator 'LIKE' not one of '{'!=', '='}'");
        await Refused(new { locations, filter = "status > 'OK'" }, "Invalid comparator '>' not one of");
        await Refused(new { locations, filter = "execution_time_ms IN ('1')" }, "Invalid comparator 'IN' not one of");
        await Refused(new { locations, filter = "span.type = 'LLM'" }, "Invalid span attribute 'type'. Supported attributes: name.");
        await Refused(new { locations, filter = "status = 'OK' OR status = 'ERROR'" }, "AND only");
        await Refused(new { locations, filter = "status = " }, "Invalid filter at character");
        await Refused(new { locations, order_by = new[] { "nope DESC" } }, "Invalid attribute key 'nope' specified.");
        await Refused(new { locations, order_by = new[] { "timestamp sideways" } }, "Invalid order_by clause 'timestamp sideways'. Could not be parsed.");
        await Refused(new { locations, order_by = new[] { "timestamp ASC", "timestamp_ms DESC" } }, "`order_by` contains duplicate fields");
        await Refused(new { locations, max_results = 501 }, "Invalid value 501 for parameter 'max_results' supplied.");
        await Refused(new { locations, max_results = 0 }, "It must be a positive integer");
        await Refused(new { locations = Array.Empty<object>() }, "Missing value for required parameter 'locations'.");
        await Refused(new { locations, page_token = "garbage" }, "page_token");
    }

    // ports test_rest_tracking.py::test_delete_traces
    [Fact]
    public async Task Filter_correlation_counts_both_filters_and_their_overlap_and_gives_mlflows_npmi()
    {
        // Ports test_rest_tracking.py's calculate_trace_filter_correlation checks: counts over the experiment, NPMI and
        // its smoothed form, the base filter narrowing the universe, and NaN where a filter matches nothing.
        var experiment = await ExperimentAsync();
        await TraceAsync(experiment, "retrieve", 1_700_000_000_000, "ERROR");
        await TraceAsync(experiment, "retrieve", 1_700_000_001_000, "ERROR");
        await TraceAsync(experiment, "retrieve", 1_700_000_002_000, "OK");
        await TraceAsync(experiment, "answer", 1_700_000_003_000, "OK");

        var result = await _v3.OkAsync("traces/calculate-filter-correlation", new
        {
            experiment_ids = new[] { experiment },
            filter_string1 = "name = 'retrieve'",
            filter_string2 = "status = 'ERROR'",
        });
        Assert.Equal(4, (int)result["total_count"]!);
        Assert.Equal(3, (int)result["filter1_count"]!);
        Assert.Equal(2, (int)result["filter2_count"]!);
        Assert.Equal(2, (int)result["joint_count"]!);
        // n11=2, n10=1, n01=0, n00=1: log(2*4/(3*2)) / -log(2/4).
        Assert.Equal(Math.Log(8.0 / 6) / Math.Log(2), (double)result["npmi"]!, 9);
        // Jeffreys smoothing: n11=2.5, n10=1.5, n01=0.5, n00=1.5, N=6.
        var smoothed = Math.Log(2.5 * 6 / (4.0 * 3.0)) / -Math.Log(2.5 / 6);
        Assert.Equal(smoothed, (double)result["npmi_smoothed"]!, 9);

        var narrowed = await _v3.OkAsync("traces/calculate-filter-correlation", new
        {
            experiment_ids = new[] { experiment },
            filter_string1 = "status = 'ERROR'",
            filter_string2 = "status = 'OK'",
            base_filter = "name = 'retrieve'",
        });
        Assert.Equal(3, (int)narrowed["total_count"]!);
        Assert.Equal(0, (int)narrowed["joint_count"]!);
        Assert.Equal(-1.0, (double)narrowed["npmi"]!);

        var none = await _v3.OkAsync("traces/calculate-filter-correlation", new
        {
            experiment_ids = new[] { experiment },
            filter_string1 = "name = 'nothing'",
            filter_string2 = "status = 'OK'",
        });
        Assert.Equal("NaN", (string)none["npmi"]!);
        Assert.Equal(0, (int)none["filter1_count"]!);

        await (await _v3.PostAsync("traces/calculate-filter-correlation", new { experiment_ids = new[] { experiment }, filter_string2 = "status = 'OK'" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'filter_string1'");
        await (await _v3.PostAsync("traces/calculate-filter-correlation", new { experiment_ids = new[] { experiment }, filter_string1 = "foo = 1", filter_string2 = "status = 'OK'" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Traces_are_deleted_by_time_by_count_oldest_first_and_by_id()
    {
        var experimentId = await ExperimentAsync();

        async Task<bool> Exists(string id) => (await _v3.GetAsync($"traces/{id}")).IsSuccessStatusCode;
        async Task<long> Delete(object body) => (long)(await _v2.OkAsync("traces/delete-traces", body))["traces_deleted"]!;

        var a = await TraceAsync(experimentId, "a", 1_700_000_001_000);
        var b = await TraceAsync(experimentId, "b", 1_700_000_002_000);
        Assert.Equal(2, await Delete(new { experiment_id = experimentId, max_timestamp_millis = 1_000_000_000_000_000 }));
        Assert.False(await Exists(a));
        Assert.False(await Exists(b));

        var older = await TraceAsync(experimentId, "older", 1_700_000_001_000);
        var newer = await TraceAsync(experimentId, "newer", 1_700_000_002_000);
        Assert.Equal(1, await Delete(new { experiment_id = experimentId, max_traces = 1, max_timestamp_millis = 1_000_000_000_000_000 }));
        Assert.False(await Exists(older));
        Assert.True(await Exists(newer));

        var named = await TraceAsync(experimentId, "named", 1_700_000_003_000);
        Assert.Equal(1, await Delete(new { experiment_id = experimentId, request_ids = new[] { named } }));
        Assert.False(await Exists(named));
        Assert.True(await Exists(newer));

        // The 3.0 path deletes the same way; the criteria are checked as MLflow's store checks them.
        Assert.Equal(1, (long)(await _v3.OkAsync("traces/delete-traces", new { experiment_id = experimentId, request_ids = new[] { newer } }))["traces_deleted"]!);
        await (await _v2.PostAsync("traces/delete-traces", new { experiment_id = experimentId }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Either `max_timestamp_millis` or `trace_ids` must be specified.");
        await (await _v2.PostAsync("traces/delete-traces", new { experiment_id = experimentId, max_timestamp_millis = 1, request_ids = new[] { "x" } }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Only one of `max_timestamp_millis` and `trace_ids` can be specified.");
        await (await _v2.PostAsync("traces/delete-traces", new { experiment_id = experimentId, max_traces = 1, request_ids = new[] { "x" } }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "`max_traces` can't be specified if `trace_ids` is specified.");
        await (await _v2.PostAsync("traces/delete-traces", new { max_timestamp_millis = 1 }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'experiment_id'.");
    }

    // ports test_rest_tracking.py::test_set_and_delete_trace_tag
    [Fact]
    public async Task Trace_tags_are_set_replaced_and_deleted()
    {
        var experimentId = await ExperimentAsync();
        var traceId = TraceId();
        await (await StartAsync(experimentId, traceId, tags: new Dictionary<string, string> { ["tag1"] = "red", ["tag2"] = "blue" })).OkAsync();

        await (await _v2.PatchAsync($"traces/{traceId}/tags", new { key = "tag1", value = "green" })).OkAsync();
        Assert.Equal("green", (string?)(await _v3.GetOkAsync($"traces/{traceId}"))["trace"]!["trace_info"]!["tags"]!["tag1"]);

        await (await _v2.DeleteAsync($"traces/{traceId}/tags", new { key = "tag2" })).OkAsync();
        Assert.Null((await _v3.GetOkAsync($"traces/{traceId}"))["trace"]!["trace_info"]!["tags"]!["tag2"]);

        // The 3.0 paths take the same messages.
        await (await _v3.PatchAsync($"traces/{traceId}/tags", new { key = "tag3", value = "v3" })).OkAsync();
        await (await _v3.DeleteAsync($"traces/{traceId}/tags", new { key = "tag3" })).OkAsync();

        await (await _v2.DeleteAsync($"traces/{traceId}/tags", new { key = "tag2" }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"No trace tag with key 'tag2' for trace with ID '{traceId}'");
        await (await _v2.PatchAsync($"traces/{traceId}/tags", new { value = "x" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'key'.");
    }

    [Fact]
    public async Task An_unknown_trace_is_resource_does_not_exist_on_every_route()
    {
        const string missing = "tr-00000000000000000000000000000000";

        await (await _v3.GetAsync($"traces/{missing}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"Trace with ID '{missing}' not found.");
        await (await _v2.GetAsync($"traces/{missing}/info")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"Trace with ID '{missing}' not found.");
        await (await _v2.PatchAsync($"traces/{missing}", new { timestamp_ms = 1, status = "OK" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _v2.PatchAsync($"traces/{missing}/tags", new { key = "k", value = "v" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _v2.Client.GetAsync(new Uri($"/ajax-api/2.0/mlflow/get-trace-artifact?request_id={missing}", UriKind.Relative)))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Starting_a_trace_needs_an_active_existing_experiment_and_a_trace_id()
    {
        var experimentId = await ExperimentAsync();

        await (await StartAsync("987654321", TraceId())).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=987654321 exists");
        await (await StartAsync(experimentId, "")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "trace_id");
        await (await StartAsync(experimentId, TraceId(), requestTime: "yesterday")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "request_time");
        await (await _v3.PostAsync("traces", new { })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'trace'.");

        await _v2.OkAsync("experiments/delete", new { experiment_id = experimentId });
        await (await StartAsync(experimentId, TraceId()))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"The experiment {experimentId} must be in the 'active' state. Current state is deleted.");
    }

    // ports test_rest_tracking.py::test_link_traces_to_run_and_search_traces
    [Fact]
    public async Task A_runs_traces_are_those_it_produced_and_those_linked_to_it()
    {
        var experimentId = await ExperimentAsync();
        var runId = (string)(await _v2.OkAsync("runs/create", new { experiment_id = experimentId, start_time = 1 }))["run"]!["info"]!["run_id"]!;
        var produced = await TraceAsync(experimentId, "produced", 1_700_000_001_000, metadata: new Dictionary<string, string> { ["mlflow.sourceRun"] = runId });
        var linked = await TraceAsync(experimentId, "linked", 1_700_000_002_000);
        var unrelated = await TraceAsync(experimentId, "unrelated", 1_700_000_003_000);

        await (await _v2.PostAsync("traces/link-to-run", new { trace_ids = new[] { linked }, run_id = runId })).OkAsync();
        // Linking again keeps one link.
        await (await _v2.PostAsync("traces/link-to-run", new { trace_ids = new[] { linked }, run_id = runId })).OkAsync();

        Assert.Equal([unrelated, linked, produced], await SearchIdsAsync(new { locations = Locations(experimentId) }));
        Assert.Equal([linked, produced], await SearchIdsAsync(new { locations = Locations(experimentId), filter = $"attribute.run_id = '{runId}'" }));

        await (await _v2.PostAsync("traces/link-to-run", new { trace_ids = Enumerable.Range(0, 101).Select(i => $"tr-{i}").ToArray(), run_id = runId }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Cannot link more than 100 traces to a run in a single request. Provided 101 traces.");
        await (await _v2.PostAsync("traces/link-to-run", new { trace_ids = new[] { "tr-nothing" }, run_id = runId }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Trace with ID 'tr-nothing' not found.");
        await (await _v2.PostAsync("traces/link-to-run", new { trace_ids = new[] { linked } }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'run_id'.");
    }

    // ports test_rest_tracking.py::test_get_trace_artifact_handler
    [Fact]
    public async Task The_span_data_a_client_uploads_is_served_to_the_ui_as_traces_json()
    {
        var experimentId = await ExperimentAsync();
        var traceId = TraceId();
        var info = (await (await StartAsync(experimentId, traceId)).OkAsync())["trace"]!["trace_info"]!;
        var location = (string)info["tags"]!["mlflow.artifactLocation"]!;
        var data = "{\"spans\": [{\"name\": \"test\", \"attributes\": {\"fruit\": \"\\\"apple\\\"\"}}]}";

        // What the client's artifact repository does with mlflow-artifacts:/<location>: a PUT through the proxy.
        var proxyPath = location["mlflow-artifacts:/".Length..];
        using (var put = await _v2.Client.PutAsync(new Uri($"/api/2.0/mlflow-artifacts/artifacts/{proxyPath}/traces.json", UriKind.Relative),
            new StringContent(data, Encoding.UTF8, "application/json")))
        {
            await put.OkAsync();
        }

        using var response = await _v2.Client.GetAsync(new Uri($"/ajax-api/2.0/mlflow/get-trace-artifact?request_id={traceId}", UriKind.Relative));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("attachment; filename=traces.json", response.Content.Headers.ContentDisposition!.ToString());
        Assert.Equal(data, await response.Content.ReadAsStringAsync());

        await (await _v2.Client.GetAsync(new Uri("/ajax-api/2.0/mlflow/get-trace-artifact", UriKind.Relative)))
            .MlflowErrorAsync(400, "BAD_REQUEST", "Request must include the \"request_id\" query parameter.");
    }

    [Fact]
    public async Task Routes_under_api_3_0_that_cairn_does_not_serve_answer_endpoint_not_found_in_mlflows_shape()
    {
        await (await _v3.GetAsync("experiments/get?experiment_id=0")).MlflowErrorAsync(404, "ENDPOINT_NOT_FOUND");
        await (await _v3.PostAsync("traces/tr-1/no-such-thing", new { })).MlflowErrorAsync(404, "ENDPOINT_NOT_FOUND");
        await (await _v3.Client.GetAsync(new Uri("/ajax-api/3.0/mlflow/logged-models/search", UriKind.Relative))).MlflowErrorAsync(404, "ENDPOINT_NOT_FOUND");
    }

    // ports tests/server/test_handlers.py::test_version
    [Fact]
    public async Task Version_answers_the_mlflow_release_whose_protocol_cairn_serves()
    {
        using var response = await _v2.Client.GetAsync(new Uri("/version", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("3.5.0", text);
        // MLflow's client logs spans over OTLP only to servers of 3.4 or later.
        Assert.True(Version.Parse(text) >= new Version(3, 4));
    }

    private static Dictionary<string, string> Pairs(JsonNode? list) =>
        ((JsonArray?)list ?? []).ToDictionary(p => (string)p!["key"]!, p => (string)p!["value"]!);

    /// <summary>Tags without the ones the store adds (mlflow.*), as MLflow's test compares them.</summary>
    private static Dictionary<string, string> UserPairs(JsonNode? list) =>
        Pairs(list).Where(p => !p.Key.StartsWith("mlflow.", StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value);
}
