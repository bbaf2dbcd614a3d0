using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cairn.Tests.Api;
using Microsoft.Extensions.Logging;

namespace Cairn.Tests.Observability;

/// <summary>
/// What <c>/metrics</c> reports after the scenario of <see cref="ObservedApp"/>: requests by route template and status,
/// database time and write-lock wait, bytes uploaded and downloaded, webhook delivery lag and attempts, monitoring
/// windows and alerts; and the request log's lines. SQLite and PostgreSQL.
/// </summary>
public sealed class MetricsTests(ObservedApp app) : IClassFixture<ObservedApp>
{
    [Fact]
    public async Task Requests_are_counted_by_route_template_and_status_never_by_raw_path()
    {
        var scrape = await app.ScrapeAsync();
        const string Requests = "http_server_request_duration_seconds_count";
        Assert.True(scrape.Sum(Requests, ("http_route", "/api/v1/models/{fullName}"), ("http_request_method", "GET"), ("http_response_status_code", "200")) >= 1, scrape.Text);
        // A domain error answered by the exception handler keeps its route.
        Assert.True(scrape.Sum(Requests, ("http_route", "/api/v1/models/{fullName}"), ("http_response_status_code", "404")) >= 1, scrape.Text);
        Assert.True(scrape.Of("http_server_request_duration_seconds_bucket", ("http_route", "/api/v1/models/{fullName}")).Count > 1);
        Assert.DoesNotContain(app.Model, scrape.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("observed.missing", scrape.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writes_record_database_time_and_the_wait_for_the_write_lock()
    {
        var scrape = await app.ScrapeAsync();
        var system = TestBackend.PostgresServer is null ? "sqlite" : "postgresql";
        Assert.True(scrape.Sum("cairn_db_operation_duration_seconds_count", ("operation", "write"), ("db_system_name", system)) >= 1, scrape.Text);
        Assert.True(scrape.Sum("cairn_db_operation_duration_seconds_count", ("operation", "read"), ("db_system_name", system)) >= 1);
        Assert.True(scrape.Sum("cairn_db_write_lock_wait_seconds_count") >= 1);
        Assert.True(scrape.Sum("cairn_db_write_lock_wait_seconds_sum") >= 0);
    }

    [Fact]
    public async Task Uploads_and_downloads_count_their_bytes_and_a_range_only_what_it_sent()
    {
        var before = await app.ScrapeAsync();
        Assert.True(before.Sum("cairn_files_uploaded_bytes_total") >= ObservedApp.FileBytes, before.Text);
        Assert.True(before.Sum("cairn_files_downloaded_bytes_total") >= ObservedApp.FileBytes + 100);

        // The counters belong to the process (other servers of the test run add to them): a range adds at least its own bytes.
        using var range = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/models/{app.Model}/versions/1/files/weights.bin") { Headers = { Range = new(10, 19) } };
        Assert.Equal(HttpStatusCode.PartialContent, (await app.CreateClient().SendAsync(range)).StatusCode);
        var after = await app.ScrapeAsync();
        Assert.True(after.Sum("cairn_files_downloaded_bytes_total") - before.Sum("cairn_files_downloaded_bytes_total") >= 10);
    }

    [Fact]
    public async Task Deliveries_that_wait_show_as_lag_and_their_attempts_by_outcome()
    {
        var scrape = await app.ScrapeUntilAsync(s => s.Sum("cairn_webhook_delivery_attempts_total", ("outcome", "retrying")) >= 1);
        Assert.True(scrape.Sum("cairn_webhook_delivery_attempts_total", ("outcome", "retrying")) >= 1, scrape.Text);
        // The receiver is down, so the scenario's first event still waits: this server's own gauge says how long.
        var lag = Assert.Single(scrape.Of("cairn_webhook_delivery_lag_seconds"));
        Assert.True(lag.Value > 0, scrape.Text);
    }

    [Fact]
    public async Task Monitoring_windows_and_drift_alerts_are_counted()
    {
        var scrape = await app.ScrapeAsync();
        Assert.True(scrape.Sum("cairn_monitoring_windows_total", ("source", "profile"), ("drifted", "unknown")) >= 1, scrape.Text);
        Assert.True(scrape.Sum("cairn_alerts_raised_total", ("kind", "drift"), ("severity", "critical")) >= 1, scrape.Text);
    }

    [Fact]
    public async Task Each_request_writes_one_log_line_with_route_status_duration_actor_and_trace()
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        await (await client.GetAsync($"/api/v1/models/{app.Model}")).ExpectAsync(200);
        await (await client.GetAsync("/api/v1/models?q=probe")).ExpectAsync(200);

        var line = Assert.Single(app.Log.Entries, e => e.Category == "Cairn.Requests" && (string?)e.State["Path"] == $"/api/v1/models/{app.Model}"
            && (string?)e.State["TraceId"] == "4bf92f3577b34da6a3ce929d0e0e4736");
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal(2801, line.EventId.Id);
        Assert.Equal("GET", line.State["Method"]);
        Assert.Equal("/api/v1/models/{fullName}", line.State["Route"]);
        Assert.Equal(200, line.State["Status"]);
        Assert.Equal("tester", line.State["Actor"]);
        Assert.InRange((double)line.State["DurationMs"]!, 0, 60_000);
        // The query string (a search, possibly a name someone should not see in logs) is never logged.
        Assert.DoesNotContain(app.Log.Entries, e => e.Category == "Cairn.Requests" && e.Message.Contains("probe", StringComparison.Ordinal));
        Assert.Contains(app.Log.Entries, e => e.Category == "Cairn.Requests" && (string?)e.State["Path"] == "/api/v1/models");
    }

    [Fact]
    public async Task The_start_up_log_names_the_version_urls_docs_and_auth_and_no_warning_on_loopback()
    {
        await app.ScrapeAsync();
        var started = Assert.Single(app.Log.Entries, e => e.EventId.Id == 2802);
        Assert.Matches(@"^Cairn \d+\.\d+\.\d+\S* listening on http://127\.0\.0\.1:5000; API reference at http://127\.0\.0\.1:5000/docs; authentication: none$", started.Message);
        Assert.DoesNotContain(app.Log.Entries, e => e.EventId.Id == 2803);
        var stores = Assert.Single(app.Log.Entries, e => e.EventId.Id == 4);
        Assert.Contains(TestBackend.PostgresServer is null ? "SQLite " : "PostgreSQL ", stores.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", stores.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Every_metric_the_grafana_dashboard_queries_is_exported()
    {
        var scrape = await app.ScrapeUntilAsync(s => s.Families.Contains("cairn_webhook_delivery_attempts"));
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "grafana", "cairn-dashboard.json")))!;
        var expressions = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]?.AsArray() ?? []).Select(t => (string)t!["expr"]!).ToList();
        Assert.NotEmpty(expressions);
        var used = expressions.SelectMany(e => Regex.Matches(e, @"\b(cairn_[a-z0-9_]+|http_server_[a-z0-9_]+)\b").Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket", used);
        foreach (var name in used)
        {
            Assert.True(scrape.Samples.Any(s => s.Name == name), $"The dashboard queries {name}, which /metrics does not export.");
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "Cairn.slnx")))
        {
            directory = directory.Parent ?? throw new InvalidOperationException("Cairn.slnx not found above " + AppContext.BaseDirectory);
        }
        return directory.FullName;
    }
}

/// <summary>Who may scrape, and the warning for an open server. SQLite and PostgreSQL.</summary>
public sealed class MetricsAccessTests(TokenMetricsApp tokenApp, OpenListenerApp openApp) : IClassFixture<TokenMetricsApp>, IClassFixture<OpenListenerApp>
{
    [Fact]
    public async Task With_require_token_a_scrape_without_a_valid_token_is_refused()
    {
        var anonymous = await tokenApp.CreateClient().GetAsync("/metrics");
        await anonymous.ExpectAsync(401, "UNAUTHENTICATED");
        await (await tokenApp.ClientWithToken("cairn_wrong").GetAsync("/metrics")).ExpectAsync(401, "UNAUTHENTICATED");
        var token = await tokenApp.TokenAsync("prometheus", "reader");
        var scrape = await tokenApp.ScrapeAsync(tokenApp.ClientWithToken(token));
        Assert.Contains("http_server_request_duration_seconds", scrape.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auth_none_listening_beyond_loopback_is_warned_about_loudly()
    {
        Assert.Equal(HttpStatusCode.OK, (await openApp.CreateClient().GetAsync("/health")).StatusCode);
        var warning = Assert.Single(openApp.Log.Entries, e => e.EventId.Id == 2803);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("AUTHENTICATION IS OFF", warning.Message, StringComparison.Ordinal);
        Assert.Contains("http://0.0.0.0:5000", warning.Message, StringComparison.Ordinal);
        Assert.Contains("--auth token", warning.Message, StringComparison.Ordinal);
    }
}

/// <summary>Which addresses count as this machine only.</summary>
[Trait("Store", "none")]
public sealed class LoopbackTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://127.0.0.2:80/", true)]
    [InlineData("http://0.0.0.0:5000", false)]
    [InlineData("http://*:5000", false)]
    [InlineData("http://+:5000", false)]
    [InlineData("http://[::]:5000", false)]
    [InlineData("https://cairn.example.com", false)]
    [InlineData("http://10.1.2.3:5000", false)]
    public void A_listening_url_is_loopback_only_for_localhost_and_loopback_addresses(string url, bool loopback) =>
        Assert.Equal(loopback, Cairn.Server.Observability.Telemetry.IsLoopback(url));
}
