using System.Text.Json.Nodes;
using static Cairn.IntegrationTests.Webhooks.WebhookServers;

namespace Cairn.IntegrationTests.Webhooks;

/// <summary>
/// Issue 16 items 5, 6 and 8 against the real <c>cairn serve</c> process and a receiver run by Node.js that checks every
/// delivery with the <c>standardwebhooks</c> package and MLflow's scheme: real registry events arrive signed, a
/// <c>kill -9</c> mid-delivery loses nothing, failing receivers see the backoff, loopback is refused unless allowed.
/// Each test has a server and a receiver of its own.
/// </summary>
public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cairn-webhooks-").FullName;
    private NodeReceiver _receiver = null!;
    private ServerProcess? _server;

    public async Task InitializeAsync() => _receiver = await NodeReceiver.StartAsync(Secret);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        await _receiver.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task Registry_events_arrive_signed_as_mlflow_and_standard_webhooks_verify_them()
    {
        _server = await StartAsync(_dataDir);
        using var api = Client(_server);
        await CreateWebhookAsync(api, _receiver.Url());

        await RegisterAsync(api, "/risk", "fraud", versions: 2);

        var received = await _receiver.WaitForAsync(d => d.Count(x => x.Json["entity"]?.ToString() is "registered_model" or "model_version" or "model_version_alias") >= 4,
            TimeSpan.FromSeconds(20), "the model's, its two versions' and the alias's events");
        Assert.All(received, d => Assert.True(d.StandardVerified && d.MlflowVerified, d.ToString()));
        Assert.All(received, d => Assert.Equal(d.Header("x-mlflow-delivery-id"), d.Header("webhook-id")));
        Assert.All(received, d => Assert.StartsWith("application/json", d.Header("content-type"), StringComparison.Ordinal));

        // MLflow's body and names for MLflow's events.
        var model = Assert.Single(received, d => Type(d) == "registered_model.created");
        Assert.Equal("risk.fraud", (string?)model.Json["data"]!["name"]);
        var versions = received.Where(d => Type(d) == "model_version.created").Select(d => d.Json["data"]!).ToList();
        Assert.Equal(["1", "2"], versions.Select(v => v["version"]!.ToString()).Order());
        Assert.All(versions, v => Assert.Equal("risk.fraud", (string?)v["name"]));
        var alias = Assert.Single(received, d => Type(d) == "model_version_alias.created");
        Assert.Equal("champion", (string?)alias.Json["data"]!["alias"]);

        // The verifier really verifies: with another secret the next delivery is refused by both schemes.
        await _receiver.SecretsAsync("some-other-secret");
        (await api.PostAsync("/api/v1/models", System.Net.Http.Json.JsonContent.Create(new { @namespace = "/risk", model_name = "other" }))).EnsureSuccessStatusCode();
        var wrong = await _receiver.WaitForAsync(d => d.Any(x => (string?)x.Json["data"]?["name"] == "risk.other"), TimeSpan.FromSeconds(20), "the second model's event");
        var unverified = wrong.Single(x => (string?)x.Json["data"]?["name"] == "risk.other");
        Assert.False(unverified.StandardVerified);
        Assert.False(unverified.MlflowVerified);
    }

    [Fact]
    public async Task A_server_killed_mid_delivery_delivers_every_event_after_restart_under_the_same_ids() => await KillAndRestartAsync(null);

    [PostgresFact]
    public async Task A_server_on_postgresql_killed_mid_delivery_delivers_every_event_after_restart()
    {
        using var database = Postgres.CreateDatabase();
        await KillAndRestartAsync(database.ConnectionString);
    }

    private async Task KillAndRestartAsync(string? database)
    {
        // The receiver holds its first answers: the server is killed while an attempt waits for one.
        await _receiver.BehaveAsync(new { delay_ms = 1500, times = 3 });
        _server = await StartAsync(_dataDir, database);
        var api = Client(_server);
        var webhook = await CreateWebhookAsync(api, _receiver.Url());
        var after = await HeadAsync(api);

        await RegisterAsync(api, "/risk", "fraud", versions: 4);
        var events = await EventSeqsAfterAsync(api, after);
        await _receiver.WaitForAsync(d => d.Count > 0, TimeSpan.FromSeconds(20), "a first delivery in flight");
        await _server.KillAsync();
        await _server.DisposeAsync();
        api.Dispose();

        _server = await StartAsync(_dataDir, database);
        api = Client(_server);
        var log = await WaitForLogAsync(api, webhook, l => l.Count(d => (long)d["event_seq"]! > after) == events.Count && l.All(d => (string?)d["state"] == "SUCCEEDED"),
            TimeSpan.FromSeconds(40), "every event delivered after the restart");

        var received = await _receiver.DeliveriesAsync();
        AssertEveryEventDelivered(after, events, log, received);
        // The attempt cut off by the kill was made again, under the same delivery id.
        Assert.Contains(received.GroupBy(d => d.Id), g => g.Count() > 1);
        api.Dispose();
        // Stopped before its database is dropped.
        await _server.DisposeAsync();
        _server = null;
    }

    [Fact]
    public async Task A_failing_receiver_sees_retries_back_off_and_honour_retry_after_and_timeouts()
    {
        _server = await StartAsync(_dataDir);
        using var api = Client(_server);
        var webhook = await CreateWebhookAsync(api, _receiver.Url(), "registered_model.created");

        // 500 four times, then 200: each wait is at most the doubling ceiling (full jitter: anywhere below it).
        await _receiver.BehaveAsync(new { status = 500, times = 4 });
        await RegisterModelAsync(api, "backoff");
        var attempts = await AttemptsAsync("risk.backoff", 5);
        Assert.Equal([500, 500, 500, 500, 200], attempts.Select(a => a.Answered));
        var gaps = Gaps(attempts);
        for (var i = 0; i < gaps.Count; i++)
        {
            var ceiling = RetryBaseDelay * Math.Pow(2, i);
            Assert.True(gaps[i] <= ceiling + TimeSpan.FromMilliseconds(800), $"Wait {i + 1} was {gaps[i].TotalMilliseconds} ms, above its ceiling {ceiling.TotalMilliseconds} ms.");
        }
        var logged = await DeliveryAsync(api, webhook, attempts[0].Id!);
        Assert.Equal("SUCCEEDED", (string?)logged["state"]);
        Assert.Equal([500, 500, 500, 500, 200], logged["attempt_log"]!.AsArray().Select(a => (int)a!["status"]!));

        // 429 with Retry-After: 2 — the next attempt waits at least 2 s.
        await _receiver.BehaveAsync(new { status = 429, retry_after = "2", times = 1 });
        await RegisterModelAsync(api, "throttled");
        var throttled = await AttemptsAsync("risk.throttled", 2);
        Assert.Equal([429, 200], throttled.Select(a => a.Answered));
        Assert.True(Gaps(throttled)[0] >= TimeSpan.FromMilliseconds(1950), $"Retry-After: 2 was followed after {Gaps(throttled)[0].TotalMilliseconds} ms.");

        // An answer slower than the attempt timeout is a failed attempt, retried.
        await _receiver.BehaveAsync(new { delay_ms = (int)(AttemptTimeout.TotalMilliseconds + 1500), times = 1 });
        await RegisterModelAsync(api, "slow");
        var slow = await AttemptsAsync("risk.slow", 2);
        // Attempts are logged in batches: the success can be recorded before the timed-out attempt's entry is.
        var slowLog = await WaitForDeliveryAsync(api, webhook, slow[0].Id!,
            d => (string?)d["state"] == "SUCCEEDED" && d["attempt_log"]?.AsArray().Count >= 2);
        var first = slowLog["attempt_log"]!.AsArray()[0]!;
        Assert.Null((int?)first["status"]);
        Assert.False(string.IsNullOrEmpty((string?)first["error"]), first.ToJsonString());
    }

    [Fact]
    public async Task Without_the_allow_list_a_loopback_receiver_is_refused_and_the_attempt_is_logged()
    {
        _server = await StartAsync(_dataDir, allowLoopback: false);
        using var api = Client(_server);
        // By name: refused after DNS, at connect time (a literal 127.0.0.1 may be refused when the webhook is saved).
        var webhook = await CreateWebhookAsync(api, $"http://localhost:{_receiver.Port}/hook", "registered_model.created");

        await RegisterModelAsync(api, "ssrf");

        var log = await WaitForLogAsync(api, webhook, l => l.Any(d => (int?)d["attempts"] >= 1), TimeSpan.FromSeconds(20), "a refused attempt");
        var delivery = await DeliveryAsync(api, webhook, (string)log[0]["id"]!);
        Assert.NotEqual("SUCCEEDED", (string?)delivery["state"]);
        var attempt = delivery["attempt_log"]!.AsArray()[0]!;
        Assert.Null((int?)attempt["status"]);
        Assert.Contains("loopback", (string?)attempt["error"], StringComparison.Ordinal);
        Assert.Contains("CAIRN_WEBHOOK_ALLOWED_NETWORKS", (string?)attempt["error"], StringComparison.Ordinal);
        Assert.Empty(await _receiver.DeliveriesAsync());
    }

    private static string Type(NodeReceiver.Delivery d) => $"{d.Json["entity"]}.{d.Json["action"]}";

    private static async Task RegisterModelAsync(HttpClient api, string model) =>
        (await api.PostAsync("/api/v1/models", System.Net.Http.Json.JsonContent.Create(new { @namespace = "/risk", model_name = model }))).EnsureSuccessStatusCode();

    /// <summary>The attempts the receiver got for the model's creation, once there are <paramref name="count"/>.</summary>
    private async Task<List<NodeReceiver.Delivery>> AttemptsAsync(string model, int count)
    {
        var all = await _receiver.WaitForAsync(d => d.Count(x => (string?)x.Json["data"]?["name"] == model) >= count, TimeSpan.FromSeconds(30), $"{count} attempts for {model}");
        var attempts = all.Where(x => (string?)x.Json["data"]?["name"] == model).ToList();
        Assert.Single(attempts.Select(a => a.Id).Distinct());
        Assert.Single(attempts.Select(a => a.Body).Distinct());
        Assert.All(attempts, a => Assert.True(a.StandardVerified && a.MlflowVerified, a.ToString()));
        return attempts;
    }

    private static List<TimeSpan> Gaps(List<NodeReceiver.Delivery> attempts) =>
        attempts.Zip(attempts.Skip(1), (a, b) => b.ReceivedAt - a.ReceivedAt).ToList();

    private static async Task<JsonObject> WaitForDeliveryAsync(HttpClient api, string webhook, string id, Func<JsonObject, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var delivery = await DeliveryAsync(api, webhook, id);
            if (done(delivery))
            {
                return delivery;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Delivery {id} did not get there: {delivery.ToJsonString()}");
            await Task.Delay(100);
        }
    }
}
