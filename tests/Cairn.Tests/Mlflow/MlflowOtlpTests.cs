using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;
using Cairn.Tracking.Traces;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// OTLP/HTTP span ingestion at <c>POST /v1/traces</c> as MLflow's server has it (mlflow/server/otel_api.py, and the
/// store's log_spans), with requests built from OpenTelemetry's protos as an exporter builds them; and the native read
/// of the same traces at <c>/api/v1/traces</c>.
/// </summary>
public sealed class MlflowOtlpTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow _v2 = new(app.CreateClient());
    private readonly Mlflow _v3 = new(app.CreateClient(), "/api/3.0/mlflow");
    private readonly HttpClient _client = app.CreateClient();

    private const long Second = 1_000_000_000;
    private const long Start = 1_700_000_000_000 * 1_000_000;

    private async Task<string> ExperimentAsync() =>
        (string)(await _v2.OkAsync("experiments/create", new { name = $"otlp-{Guid.NewGuid():N}" }))["experiment_id"]!;

    private static (ByteString TraceId, string MlflowId) NewTraceId()
    {
        var bytes = RandomNumberGenerator.GetBytes(16);
        return (ByteString.CopyFrom(bytes), "tr-" + Convert.ToHexStringLower(bytes));
    }

    private static Span NewSpan(ByteString traceId, string name, ByteString? parent, long startNs, long endNs, Status.Types.StatusCode code, params (string Key, AnyValue Value)[] attributes)
    {
        var span = new Span
        {
            TraceId = traceId,
            SpanId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(8)),
            ParentSpanId = parent ?? ByteString.Empty,
            Name = name,
            StartTimeUnixNano = (ulong)startNs,
            EndTimeUnixNano = (ulong)endNs,
            Status = new Status { Code = code },
        };
        span.Attributes.AddRange(attributes.Select(a => new KeyValue { Key = a.Key, Value = a.Value }));
        return span;
    }

    private static ExportTraceServiceRequest Request(params Span[] spans)
    {
        var scope = new ScopeSpans();
        scope.Spans.AddRange(spans);
        var resource = new ResourceSpans();
        resource.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resource);
        return request;
    }

    private Task<HttpResponseMessage> ExportAsync(string? experimentId, byte[] body, string contentType = "application/x-protobuf")
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/traces", UriKind.Relative)) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (experimentId is not null)
        {
            message.Headers.Add("x-mlflow-experiment-id", experimentId);
        }
        return _client.SendAsync(message);
    }

    private async Task<JsonNode> TraceInfoAsync(string traceId) => (await _v3.GetOkAsync($"traces/{traceId}"))["trace"]!["trace_info"]!;

    [Fact]
    public async Task An_export_request_creates_the_trace_from_its_spans_and_stores_each_span()
    {
        var experimentId = await ExperimentAsync();
        var (traceId, mlflowId) = NewTraceId();
        var root = NewSpan(traceId, "agent", null, Start, Start + 3 * Second, Status.Types.StatusCode.Ok,
            ("mlflow.spanType", new AnyValue { StringValue = "\"CHAIN\"" }), ("mlflow.traceRequestId", new AnyValue { StringValue = $"\"{mlflowId}\"" }));
        var child = NewSpan(traceId, "retrieve", root.SpanId, Start + Second, Start + 2 * Second, Status.Types.StatusCode.Unset,
            ("k", new AnyValue { IntValue = 3 }), ("docs", new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { StringValue = "a" } } } }));

        using var response = await ExportAsync(experimentId, Request(root, child).ToByteArray());

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType!.MediaType);
        ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());

        var info = await TraceInfoAsync(mlflowId);
        Assert.Equal(experimentId, (string?)info["trace_location"]!["mlflow_experiment"]!["experiment_id"]);
        Assert.Equal("2023-11-14T22:13:20Z", (string?)info["request_time"]);
        Assert.Equal("3s", (string?)info["execution_duration"]);
        Assert.Equal("OK", (string?)info["state"]);
        Assert.Equal($"mlflow-artifacts:/{experimentId}/traces/{mlflowId}/artifacts", (string?)info["tags"]!["mlflow.artifactLocation"]);

        // The native API shows the same trace with its spans in start order.
        var detail = (await (await _client.GetAsync(new Uri($"/api/v1/traces/{mlflowId}", UriKind.Relative))).OkAsync());
        Assert.Equal(mlflowId, (string?)detail["trace"]!["trace_id"]);
        var spans = (JsonArray)detail["spans"]!;
        Assert.Equal(["agent", "retrieve"], spans.Select(s => (string)s!["name"]!));
        Assert.Equal("CHAIN", (string?)spans[0]!["span_type"]);
        Assert.Null(spans[0]!["parent_span_id"]);
        Assert.Equal(Convert.ToHexStringLower(root.SpanId.Span), (string?)spans[1]!["parent_span_id"]);
        Assert.Equal("UNSET", (string?)spans[1]!["status"]);
        var content = spans[1]!["content"]!;
        Assert.Equal(Convert.ToBase64String(traceId.Span), (string?)content["trace_id"]);
        Assert.Equal(Convert.ToBase64String(root.SpanId.Span), (string?)content["parent_span_id"]);
        Assert.Equal("STATUS_CODE_UNSET", (string?)content["status"]!["code"]);
        Assert.Equal("3", (string?)content["attributes"]!["k"]);
        Assert.Equal("[\"a\"]", (string?)content["attributes"]!["docs"]);
        Assert.Equal($"\"{mlflowId}\"", (string?)content["attributes"]!["mlflow.traceRequestId"]);

        // Span names are searchable, as MLflow's store allows (span.name with =, !=, IN, LIKE, ILIKE).
        var locations = new[] { new { mlflow_experiment = new { experiment_id = experimentId } } };
        foreach (var filter in new[] { "span.name = 'retrieve'", "span.name LIKE 'retr%'", "span.name ILIKE 'RETR%'", "span.name IN ('x', 'agent')" })
        {
            var found = await _v3.OkAsync("traces/search", new { locations, filter });
            Assert.Equal(mlflowId, (string?)Assert.Single((JsonArray)found["traces"]!)!["trace_id"]);
        }
        Assert.Null((await _v3.OkAsync("traces/search", new { locations, filter = "span.name = 'nothing'" }))["traces"]);

        // The export is audited under the trace.
        var audit = await (await _client.GetAsync(new Uri($"/api/v1/audit?resource=traces/{mlflowId}", UriKind.Relative))).OkAsync();
        Assert.Contains(((JsonArray)audit["entries"]!), e => (string?)e!["action"] == "trace.spans.log");
    }

    [Fact]
    public async Task A_trace_stays_in_progress_until_its_root_span_arrives_and_grows_to_cover_every_span()
    {
        var experimentId = await ExperimentAsync();
        var (traceId, mlflowId) = NewTraceId();
        var rootSpanId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(8));
        var child = NewSpan(traceId, "tool", rootSpanId, Start + 2 * Second, Start + 3 * Second, Status.Types.StatusCode.Ok);

        (await ExportAsync(experimentId, Request(child).ToByteArray())).EnsureSuccessStatusCode();
        var partial = await TraceInfoAsync(mlflowId);
        Assert.Equal("IN_PROGRESS", (string?)partial["state"]);
        Assert.Equal("1s", (string?)partial["execution_duration"]);

        var root = NewSpan(traceId, "agent", null, Start, Start + 4 * Second, Status.Types.StatusCode.Error);
        root.SpanId = rootSpanId;
        (await ExportAsync(experimentId, Request(root).ToByteArray())).EnsureSuccessStatusCode();

        var whole = await TraceInfoAsync(mlflowId);
        Assert.Equal("ERROR", (string?)whole["state"]);
        Assert.Equal("2023-11-14T22:13:20Z", (string?)whole["request_time"]);
        Assert.Equal("4s", (string?)whole["execution_duration"]);
    }

    [Fact]
    public async Task Starting_a_trace_after_its_spans_keeps_the_spans_and_the_ui_reads_them_until_a_data_file_is_uploaded()
    {
        var experimentId = await ExperimentAsync();
        var (traceId, mlflowId) = NewTraceId();
        var root = NewSpan(traceId, "agent", null, Start, Start + Second, Status.Types.StatusCode.Ok);
        var child = NewSpan(traceId, "llm", root.SpanId, Start, Start + Second, Status.Types.StatusCode.Ok);
        (await ExportAsync(experimentId, Request(root, child).ToByteArray())).EnsureSuccessStatusCode();

        await (await _v3.PostAsync("traces", new
        {
            trace = new
            {
                trace_info = new
                {
                    trace_id = mlflowId,
                    trace_location = new { type = "MLFLOW_EXPERIMENT", mlflow_experiment = new { experiment_id = experimentId } },
                    request_time = "2023-11-14T22:13:20Z",
                    execution_duration = "1s",
                    state = "OK",
                    tags = new Dictionary<string, string> { ["mlflow.traceName"] = "agent" },
                },
            },
        })).OkAsync();

        using var response = await _client.GetAsync(new Uri($"/ajax-api/2.0/mlflow/get-trace-artifact?request_id={mlflowId}", UriKind.Relative));
        var data = await response.OkAsync();
        Assert.Equal(["agent", "llm"], ((JsonArray)data["spans"]!).Select(s => (string)s!["name"]!).Order());
        Assert.Equal("agent", (string?)(await TraceInfoAsync(mlflowId))["tags"]!["mlflow.traceName"]);
    }

    // ports tests/tracing/test_otel_logging.py: the header, content type, body and conversion checks
    [Fact]
    public async Task Bad_exports_are_refused_as_mlflows_otlp_endpoint_refuses_them()
    {
        var experimentId = await ExperimentAsync();
        var (traceId, _) = NewTraceId();
        var body = Request(NewSpan(traceId, "s", null, Start, Start + Second, Status.Types.StatusCode.Ok)).ToByteArray();

        async Task Refused(HttpResponseMessage response, int status, string detail)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
            Assert.Contains(detail, text, StringComparison.Ordinal);
        }

        await Refused(await ExportAsync(experimentId, body, "application/json"), 400, "Invalid Content-Type: application/json. Expected: application/x-protobuf");
        await Refused(await ExportAsync(null, body), 422, "x-mlflow-experiment-id");
        await Refused(await ExportAsync(experimentId, "not a protobuf"u8.ToArray()), 400, "Invalid OpenTelemetry protobuf format");
        await Refused(await ExportAsync(experimentId, new ExportTraceServiceRequest().ToByteArray()), 400, "Invalid OpenTelemetry protobuf format - no spans found");
        await Refused(await ExportAsync("987654321", body), 422, "Cannot store OpenTelemetry spans: No Experiment with id=987654321 exists");
        await Refused(await ExportAsync("test-experiment", body), 422, "Cannot store OpenTelemetry spans: Invalid value 'test-experiment'");
        var shortId = NewSpan(ByteString.CopyFrom(1, 2, 3), "s", null, Start, Start + Second, Status.Types.StatusCode.Ok);
        await Refused(await ExportAsync(experimentId, Request(shortId).ToByteArray()), 422, "Cannot convert OpenTelemetry span to MLflow span");
        var noTraceId = NewSpan(ByteString.Empty, "incomplete-span", null, Start, Start + Second, Status.Types.StatusCode.Ok);
        await Refused(await ExportAsync(experimentId, Request(noTraceId).ToByteArray()), 422, "Cannot convert OpenTelemetry span to MLflow span");

        // A caller's span count is bounded before the write lock: one span too many stores none of them.
        var (crowdedId, crowdedMlflowId) = NewTraceId();
        var crowd = Enumerable.Range(0, TraceStore.MaxSpansPerRequest + 1)
            .Select(i => NewSpan(crowdedId, $"s{i}", null, Start, Start + Second, Status.Types.StatusCode.Ok)).ToArray();
        await Refused(await ExportAsync(experimentId, Request(crowd).ToByteArray()), 422, $"send at most {TraceStore.MaxSpansPerRequest} at a time");
        await (await _v3.GetAsync($"traces/{crowdedMlflowId}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    // Spans as a plain OpenTelemetry SDK exports them (no MLflow attributes) make traces that searches find, as in
    // tests/tracing/test_otel_logging.py::test_otel_client_sends_spans_to_mlflow_database.
    [Fact]
    public async Task The_native_api_searches_an_experiments_traces_and_answers_problems_for_bad_input()
    {
        var experimentId = await ExperimentAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (traceId, mlflowId) = NewTraceId();
            var code = i == 2 ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Ok;
            (await ExportAsync(experimentId, Request(NewSpan(traceId, $"root{i}", null, Start + i * Second, Start + (i + 1) * Second, code)).ToByteArray()))
                .EnsureSuccessStatusCode();
            ids.Add(mlflowId);
        }

        var all = await (await _client.GetAsync(new Uri($"/api/v1/traces?experiment_id={experimentId}", UriKind.Relative))).OkAsync();
        Assert.Equal([ids[2], ids[1], ids[0]], ((JsonArray)all["traces"]!).Select(t => (string)t!["trace_id"]!));
        Assert.Equal("ERROR", (string?)all["traces"]![0]!["state"]);
        var viaMlflow = await _v3.OkAsync("traces/search", new { locations = new[] { new { mlflow_experiment = new { experiment_id = experimentId } } } });
        Assert.Equal([ids[2], ids[1], ids[0]], ((JsonArray)viaMlflow["traces"]!).Select(t => (string)t!["trace_id"]!));

        var ok = await (await _client.GetAsync(new Uri(
            $"/api/v1/traces?experiment_id={experimentId}&filter={Uri.EscapeDataString("status = 'OK'")}&order_by=timestamp_ms%20ASC&max_results=1", UriKind.Relative))).OkAsync();
        Assert.Equal(ids[0], (string?)Assert.Single((JsonArray)ok["traces"]!)!["trace_id"]);
        Assert.NotNull((string?)ok["next_page_token"]);

        using var missing = await _client.GetAsync(new Uri("/api/v1/traces/tr-nothing", UriKind.Relative));
        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType!.MediaType);
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", (string?)(await missing.Content.ReadFromJsonNodeAsync())["error_code"]);

        using var bad = await _client.GetAsync(new Uri($"/api/v1/traces?experiment_id={experimentId}&filter={Uri.EscapeDataString("nope = 1")}", UriKind.Relative));
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Equal("INVALID_PARAMETER_VALUE", (string?)(await bad.Content.ReadFromJsonNodeAsync())["error_code"]);
    }
}

internal static class HttpContentJson
{
    public static async Task<JsonNode> ReadFromJsonNodeAsync(this HttpContent content) => JsonNode.Parse(await content.ReadAsStringAsync())!;
}
