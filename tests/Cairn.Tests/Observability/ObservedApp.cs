using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Cairn.Tests.Api;
using Cairn.Tests.Monitoring;
using Cairn.Tests.Monitoring.Alerts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Cairn.Tests.Observability;

/// <summary>
/// The server with its log captured, and, once, a little of everything the metrics count: a webhook whose receiver is
/// down (so its deliveries wait and retry), a model read and a missing one, a file uploaded and downloaded whole and in
/// part, a monitoring window, and a drift alert. The tests then read <c>/metrics</c> and the log.
/// </summary>
public class ObservedApp : CairnApp, IAsyncLifetime
{
    private readonly Dictionary<string, string> _settings;

    public ObservedApp() : this([], "none")
    {
    }

    protected ObservedApp(Dictionary<string, string> settings, string auth) : base(auth)
    {
        _settings = settings;
    }

    public CapturedLog Log { get; } = new();

    /// <summary>The model of the scenario, with version 1 holding <see cref="FileBytes"/> bytes at <c>weights.bin</c>.</summary>
    public string Model { get; private set; } = "";

    public const int FileBytes = 4096;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // The webhook's receiver is on loopback, a port nothing listens on.
        builder.UseSetting("Cairn:WebhookAllowedSchemes", "http,https");
        builder.UseSetting("Cairn:WebhookAllowedNetworks", "127.0.0.0/8");
        builder.UseSetting("Cairn:Webhooks:PollInterval", "00:00:00.100");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.AddProvider(Log));
    }

    public async Task InitializeAsync()
    {
        if (_settings.Count > 0)
        {
            // The variants (token auth, a listening address) need no scenario.
            _ = Server;
            return;
        }
        var client = CreateClient();
        await (await client.PostJsonAsync("/api/v1/webhooks", new { name = "down", url = "http://127.0.0.1:9/hook", events = new[] { "*" } })).ExpectAsync(201);

        Model = "observed_" + Guid.NewGuid().ToString("N")[..8] + ".scorer";
        await (await client.PostJsonAsync("/api/v1/models", new { @namespace = "/" + Model.Split('.')[0], model_name = "scorer" })).ExpectAsync(201);
        await (await client.GetAsync($"/api/v1/models/{Model}")).ExpectAsync(200);
        await (await client.GetAsync("/api/v1/models/observed.missing")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await client.PostJsonAsync($"/api/v1/models/{Model}/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);
        var file = $"/api/v1/models/{Model}/versions/1/files/weights.bin";
        await (await client.PutAsync(file, new ByteArrayContent(new byte[FileBytes]) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } })).ExpectAsync(201);
        Assert.Equal(FileBytes, (await client.GetByteArrayAsync(file)).Length);
        using var range = new HttpRequestMessage(HttpMethod.Get, file) { Headers = { Range = new RangeHeaderValue(0, 99) } };
        Assert.Equal(System.Net.HttpStatusCode.PartialContent, (await client.SendAsync(range)).StatusCode);

        var (_, deployment) = await MonitoredModel.DeployAsync(client);
        await (await client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", new
        {
            version = 1,
            starts_at = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero),
            ends_at = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero),
            profile = MonitoringWindowsApiTests.ExactProfile(50, 3),
        })).ExpectAsync(201);

        var series = await AlertSeries.CreateAsync(this, client);
        await (await client.PostJsonAsync("/api/v1/monitoring/alert-rules", new { model = series.Model, name = "inputs drift", kind = "drift", cooldown_minutes = 0, severity = "critical" })).ExpectAsync(201);
        Assert.Single(await series.WindowAsync("dep-observed", 0, drifted: true, new AlertSeries.Feature("age", Drifted: true, Psi: 0.4)));
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    /// <summary>Reads <c>/metrics</c> as Prometheus's text format.</summary>
    public async Task<Scrape> ScrapeAsync(HttpClient? client = null)
    {
        var response = await (client ?? CreateClient()).GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"/metrics answered {(int)response.StatusCode}: {text}");
        return new Scrape(text);
    }

    /// <summary>Scrapes until <paramref name="done"/> holds, for what background work records (webhook deliveries).</summary>
    public async Task<Scrape> ScrapeUntilAsync(Func<Scrape, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var scrape = await ScrapeAsync();
            if (done(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }
            await Task.Delay(50);
        }
    }
}

/// <summary>The server with <c>--auth token</c> and <c>Cairn:Metrics:RequireToken</c>.</summary>
public sealed class TokenMetricsApp() : ObservedApp(new() { ["Cairn:Metrics:RequireToken"] = "true" }, "token");

/// <summary>The server without authentication, set to listen on every address.</summary>
public sealed class OpenListenerApp() : ObservedApp(new() { ["urls"] = "http://0.0.0.0:5000" }, "none");

/// <summary>One scrape in Prometheus's text format: its samples by name, with their labels.</summary>
public sealed partial class Scrape(string text)
{
    public string Text { get; } = text;

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public IReadOnlyList<Sample> Samples { get; } = Parse(text);

    /// <summary>The samples of <paramref name="name"/> whose labels include every pair of <paramref name="labels"/>.</summary>
    public IReadOnlyList<Sample> Of(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();

    /// <summary>The sum of the matching samples (0 when there are none).</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) => Of(name, labels).Sum(s => s.Value);

    /// <summary>The metric families this scrape declares (its <c># TYPE</c> lines).</summary>
    public IReadOnlySet<string> Families { get; } = text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal))
        .Select(l => l.Split(' ')[2]).ToHashSet(StringComparer.Ordinal);

    private static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"Not a sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups["key"].Value, m => Regex.Unescape(m.Groups["value"].Value), StringComparer.Ordinal);
            samples.Add(new Sample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
        return samples;
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
    private static partial Regex LabelPair();
}

/// <summary>Every log entry the server wrote, with its category, level, event id, message and state.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> State);

    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            log._entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), values.ToDictionary(p => p.Key, p => p.Value)));
        }
    }
}
