using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cairn.Bench.Webhooks;

/// <summary>
/// The webhook delivery workload (<c>webhooks</c>, issue 16 item 9). A receiver in this process (Kestrel on loopback)
/// records each delivery's arrival; the server runs in this process too, allowed to deliver to loopback over http.
/// <list type="number">
/// <item>Latency: on the idle server, one version-tag change at a time; the time from sending the change to its delivery
/// arriving (an upper bound of commit → first attempt, since the commit happens inside that request).</item>
/// <item>Throughput: <c>W</c> webhooks subscribed to tag changes, whose receiver holds the first delivery of each until
/// <c>N</c> changes are committed (a backlog of <c>N × W</c> deliveries); then it lets go, and the rate is the backlog over
/// the time from letting go to the last delivery.</item>
/// </list>
/// </summary>
internal static class WebhookBench
{
    private const string Model = "bench.webhooks";
    private static readonly string[] TagEvents = ["model_version_tag.set"];

    public static async Task<int> RunAsync(
        string? postgres, int events, int webhooks, int samples, TextWriter output, TextWriter progress, CancellationToken cancellationToken)
    {
        await using var receiver = await Receiver.StartAsync(cancellationToken);
        var dataDir = Directory.CreateTempSubdirectory("cairn-bench-webhooks-").FullName;
        try
        {
            await using var server = await InProcessServer.StartAsync(dataDir, cancellationToken, postgres, new Dictionary<string, string?>
            {
                ["Cairn:WebhookAllowedSchemes"] = "http",
                ["Cairn:WebhookAllowedNetworks"] = "127.0.0.0/8",
            });
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16, UseProxy = false }) { BaseAddress = server.Address };
            var load = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg", cancellationToken)).Trim() : "n/a";
            progress.WriteLine($"webhooks: {samples} latency samples, then {events} events to {webhooks} webhook(s); load {load}");
            await SendAsync(client, HttpMethod.Post, "/api/v1/models", new { @namespace = "/bench", model_name = "webhooks" }, cancellationToken);
            await SendAsync(client, HttpMethod.Post, $"/api/v1/models/{Model}/versions", new { source = "bench" }, cancellationToken);

            var latency = await LatencyAsync(client, receiver, samples, cancellationToken);
            var (rate, total) = await ThroughputAsync(client, receiver, events, webhooks, progress, cancellationToken);

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"webhooks  commit→delivery ms (upper bound, {samples} sequential changes): p50 {Percentile(latency, 0.50):F1}  p99 {Percentile(latency, 0.99):F1}  max {latency.Max():F1}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"webhooks  backlog of {events} events × {webhooks} webhook(s): {total} deliveries drained at {rate:F0} deliveries/s"));
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<double[]> LatencyAsync(HttpClient client, Receiver receiver, int samples, CancellationToken cancellationToken)
    {
        var hook = await CreateWebhookAsync(client, receiver, "latency", 0, cancellationToken);
        var times = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var value = $"latency-{i}";
            var arrived = receiver.Expect(value);
            var start = Stopwatch.GetTimestamp();
            await SendAsync(client, HttpMethod.Put, $"/api/v1/models/{Model}/versions/1/tags/latency", new { value }, cancellationToken);
            var at = await arrived.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            times[i] = Stopwatch.GetElapsedTime(start, at).TotalMilliseconds;
        }
        await SendAsync(client, HttpMethod.Delete, $"/api/v1/webhooks/{hook}", null, cancellationToken);
        return times;
    }

    private static async Task<(double Rate, int Total)> ThroughputAsync(
        HttpClient client, Receiver receiver, int events, int webhooks, TextWriter progress, CancellationToken cancellationToken)
    {
        receiver.Hold();
        for (var w = 1; w <= webhooks; w++)
        {
            await CreateWebhookAsync(client, receiver, $"throughput-{w}", w, cancellationToken);
        }
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < events)
            {
                await SendAsync(client, HttpMethod.Put, $"/api/v1/models/{Model}/versions/1/tags/t{i % 100}", new { value = $"v{i}" }, cancellationToken);
            }
        }));
        var total = events * webhooks;
        progress.WriteLine($"webhooks: {events} events committed; releasing the receiver");
        var released = receiver.Release();
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (receiver.Received(fromHook: 1) < total && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken);
        }
        var received = receiver.Received(fromHook: 1);
        if (received < total)
        {
            throw new InvalidOperationException($"Only {received} of {total} deliveries arrived within 10 minutes.");
        }
        return (total / Stopwatch.GetElapsedTime(released, receiver.LastArrival).TotalSeconds, total);
    }

    private static async Task<string> CreateWebhookAsync(HttpClient client, Receiver receiver, string name, int hook, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(client, HttpMethod.Post, "/api/v1/webhooks", new
        {
            name,
            url = new Uri(receiver.Address, $"/hook/{hook}").ToString(),
            events = TagEvents,
            secret = "bench-secret",
            format = "mlflow",
        }, cancellationToken);
        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        return body.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        return response;
    }

    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The receiving end: records each delivery id's first arrival per webhook, and can hold deliveries back.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<(int Hook, string Id), long> _arrivals = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _expected = new(StringComparer.Ordinal);
        private TaskCompletionSource _gate = Open();
        private long _last;

        private Receiver(WebApplication app, Uri address)
        {
            _app = app;
            Address = address;
        }

        public Uri Address { get; }

        public long LastArrival => Interlocked.Read(ref _last);

        public static async Task<Receiver> StartAsync(CancellationToken cancellationToken)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            Receiver? receiver = null;
            app.MapPost("/hook/{hook:int}", async (int hook, HttpRequest request) =>
            {
                await receiver!.OnDeliveryAsync(hook, request);
                return Results.Ok();
            });
            await app.StartAsync(cancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            receiver = new Receiver(app, new Uri(address));
            return receiver;
        }

        public Task<long> Expect(string value) => _expected.GetOrAdd(value, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Release()
        {
            var at = Stopwatch.GetTimestamp();
            _gate.TrySetResult();
            return at;
        }

        public int Received(int fromHook) => _arrivals.Keys.Count(k => k.Hook >= fromHook);

        public async ValueTask DisposeAsync()
        {
            _gate.TrySetResult();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task OnDeliveryAsync(int hook, HttpRequest request)
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            if (hook > 0)
            {
                await _gate.Task;
            }
            var at = Stopwatch.GetTimestamp();
            var id = request.Headers["webhook-id"].FirstOrDefault() ?? request.Headers["X-MLflow-Delivery-Id"].FirstOrDefault() ?? Guid.NewGuid().ToString();
            if (_arrivals.TryAdd((hook, id), at))
            {
                for (var last = Interlocked.Read(ref _last); at > last && Interlocked.CompareExchange(ref _last, at, last) != last; last = Interlocked.Read(ref _last))
                {
                }
            }
            if (body.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("value", out var value)
                && value.GetString() is { } text && _expected.TryGetValue(text, out var waiter))
            {
                waiter.TrySetResult(at);
            }
        }

        private static TaskCompletionSource Open()
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open.SetResult();
            return open;
        }
    }
}
