using System.Net;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace Cairn.IntegrationTests;

/// <summary>
/// The real <c>cairn serve</c> exporting traces over OTLP/HTTP to a real receiver (an HTTP listener in this test that
/// decodes the export requests with OpenTelemetry's protos), and writing its log as JSON lines.
/// </summary>
public sealed class ObservabilityServeTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cairn-it-otel-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task Traces_reach_an_otlp_receiver_with_their_routes_and_the_json_log_is_one_object_per_line()
    {
        using var receiver = new OtlpReceiver();
        await using var server = await ServerProcess.StartAsync(["--data-dir", _dataDir, "--log-format", "json"], new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Url,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // Spans go out in batches; a short delay keeps the test short.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var created = await http.PostAsync("/api/v1/models", new StringContent("""{"namespace":"/otel","model_name":"traced"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/models/otel.traced")).StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        var spans = receiver.Spans();
        while (!spans.Any(s => s.Route == "/api/v1/models/{fullName}") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            spans = receiver.Spans();
        }
        var request = Assert.Single(spans, s => s.Route == "/api/v1/models/{fullName}");
        Assert.Equal("GET /api/v1/models/{fullName}", request.Name);
        Assert.Equal("cairn", request.Service);
        // The store's read is a child span of the request's, in the same trace.
        Assert.Contains(spans, s => s.Name == "cairn.db.read" && s.TraceId == request.TraceId && s.ParentSpanId == request.SpanId);
        Assert.Contains(spans, s => s.Name == "cairn.db.write");
        // Neither readiness probes (the start-up's wait) nor scrapes are traced.
        Assert.DoesNotContain(spans, s => s.Route is "/ready" or "/health");

        // Every line of standard output is one JSON object; the request log's line for the read is among them.
        var lines = server.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        var entries = lines.Select(line =>
        {
            try
            {
                return JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"Not a JSON line: {line} ({e.Message})");
            }
        }).ToList();
        var logged = Assert.Single(entries, e => e.GetProperty("Category").GetString() == "Cairn.Requests"
            && e.GetProperty("State").GetProperty("Path").GetString() == "/api/v1/models/otel.traced");
        Assert.Equal("/api/v1/models/{fullName}", logged.GetProperty("State").GetProperty("Route").GetString());
        Assert.Equal(request.TraceId, logged.GetProperty("State").GetProperty("TraceId").GetString());
        Assert.Contains(entries, e => e.GetProperty("EventId").GetInt32() == 2802 && e.GetProperty("Message").GetString()!.Contains(server.Url, StringComparison.Ordinal));
    }

    /// <summary>A span as the receiver decoded it.</summary>
    private sealed record Span(string Service, string Name, string TraceId, string SpanId, string ParentSpanId, string? Route);

    /// <summary>An OTLP/HTTP traces receiver (<c>POST /v1/traces</c>, protobuf) on a free loopback port.</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<Span> _spans = [];
        private readonly Task _serving;

        public OtlpReceiver()
        {
            Url = $"http://127.0.0.1:{ServerProcess.FreePort()}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _serving = Task.Run(ServeAsync);
        }

        public string Url { get; }

        public IReadOnlyList<Span> Spans()
        {
            lock (_spans)
            {
                return [.. _spans];
            }
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                if (context.Request.Url?.AbsolutePath == "/v1/traces" && context.Request.ContentType == "application/x-protobuf")
                {
                    Record(ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray()));
                    context.Response.ContentType = "application/x-protobuf";
                    var answer = new ExportTraceServiceResponse().ToByteArray();
                    await context.Response.OutputStream.WriteAsync(answer);
                }
                else
                {
                    context.Response.StatusCode = 404;
                }
                context.Response.Close();
            }
        }

        private void Record(ExportTraceServiceRequest request)
        {
            lock (_spans)
            {
                foreach (var resource in request.ResourceSpans)
                {
                    var service = resource.Resource.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value.StringValue ?? "";
                    foreach (var span in resource.ScopeSpans.SelectMany(s => s.Spans))
                    {
                        _spans.Add(new Span(service, span.Name, Convert.ToHexStringLower(span.TraceId.Span), Convert.ToHexStringLower(span.SpanId.Span),
                            Convert.ToHexStringLower(span.ParentSpanId.Span), span.Attributes.FirstOrDefault(a => a.Key == "http.route")?.Value.StringValue));
                    }
                }
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
