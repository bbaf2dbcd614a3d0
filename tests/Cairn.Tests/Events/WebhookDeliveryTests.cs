using System.Text.Json.Nodes;
using Cairn.Governance;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Events;

/// <summary>
/// Webhook deliveries from the events table: signed for MLflow and Standard Webhooks receivers, in commit order per
/// webhook, retried with backoff (and Retry-After), given up at the horizon (disabling the webhook, with an event),
/// logged attempt by attempt, redeliverable, filtered by pattern, namespace, model and what the creator may read, and
/// never lost when a dispatcher stops or dies holding a lease. Each test has its own server: webhooks see every event.
/// </summary>
public sealed class WebhookDeliveryTests
{
    private const string Secret = "whsec-test-secret";

    private static async Task<string> CreateWebhookAsync(
        HttpClient client, string url, string[] events, string? secret = null, string? ns = null, string? model = null, string? format = null, string name = "hook") =>
        (string)(await (await client.PostJsonAsync("/api/v1/webhooks", new { name, url, events, secret, @namespace = ns, model, format })).ExpectAsync(201))["id"]!;

    private static async Task CreateModelAsync(HttpClient client, string ns, string name) =>
        await (await client.PostJsonAsync("/api/v1/models", new { @namespace = ns, model_name = name })).ExpectAsync(201);

    private static async Task CreateVersionAsync(HttpClient client, string model) =>
        await (await client.PostJsonAsync($"/api/v1/models/{model}/versions", new { source = "s3://b/m" })).ExpectAsync(201);

    private static async Task PollAsync(Func<Task<bool>> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"The condition did not hold within {seconds} s.");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Events_reach_a_webhook_in_commit_order_signed_for_mlflow_and_standard_webhooks_receivers()
    {
        using var app = new DeliveryApp();
        var client = app.CreateClient();
        await using var receiver = ScriptedReceiver.Start();
        await CreateWebhookAsync(client, receiver.Url, ["model_version.created"], Secret);

        await CreateModelAsync(client, "/team", "ranker");
        for (var i = 0; i < 5; i++)
        {
            await CreateVersionAsync(client, "team.ranker");
        }

        var requests = await receiver.WaitForAsync(5);
        Assert.Equal(["1", "2", "3", "4", "5"], requests.Select(r => (string)r.Json["data"]!["version"]!).ToArray());
        Assert.All(requests, r =>
        {
            Assert.Equal("model_version", (string?)r.Json["entity"]);
            Assert.Equal("team.ranker", (string?)r.Json["data"]!["name"]);
            Assert.True(r.MlflowSignatureVerifies(Secret));
            Assert.True(r.StandardSignatureVerifies(Secret));
            Assert.False(r.StandardSignatureVerifies("another secret"));
            Assert.Equal(r.Headers["X-MLflow-Delivery-Id"], r.Headers["webhook-id"]);
            Assert.Equal(r.Headers["X-MLflow-Timestamp"], r.Headers["webhook-timestamp"]);
        });
        Assert.Equal(5, requests.Select(r => r.DeliveryId).Distinct().Count());
    }

    [Fact]
    public async Task A_failing_receiver_gets_the_same_delivery_again_and_later_events_wait_for_it()
    {
        using var app = new DeliveryApp();
        var client = app.CreateClient();
        await using var receiver = ScriptedReceiver.Start(n => new ScriptedReceiver.Answer(n <= 2 ? 500 : 200, Body: n <= 2 ? "try later" : "ok"));
        var id = await CreateWebhookAsync(client, receiver.Url, ["registered_model.created"]);

        await CreateModelAsync(client, "/", "first");
        await CreateModelAsync(client, "/", "second");

        var requests = await receiver.WaitForAsync(4);
        Assert.Equal(["first", "first", "first", "second"], requests.Take(4).Select(r => (string)r.Json["data"]!["name"]!).ToArray());
        Assert.Single(requests.Take(3).Select(r => r.DeliveryId).Distinct());
        // The retries waited (backoff), if only milliseconds here.
        Assert.True(requests[1].At > requests[0].At && requests[2].At > requests[1].At);

        var deliveryId = requests[0].DeliveryId;
        await PollAsync(async () => (string?)(await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries/{deliveryId}")).ExpectAsync(200))["state"] == "SUCCEEDED");
        var delivery = await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries/{deliveryId}")).ExpectAsync(200);
        Assert.Equal(3, (int)delivery["attempts"]!);
        var attempts = delivery["attempt_log"]!.AsArray();
        Assert.Equal([500, 500, 200], attempts.Select(a => (int)a!["status"]!).ToArray());
        Assert.Equal("try later", (string?)attempts[0]!["response_excerpt"]);
        Assert.All(attempts, a => Assert.True((long)a!["latency_ms"]! >= 0));
    }

    [Fact]
    public async Task A_429_with_retry_after_is_retried_no_sooner_than_asked()
    {
        using var app = new DeliveryApp();
        var client = app.CreateClient();
        await using var receiver = ScriptedReceiver.Start(n => n == 1 ? new ScriptedReceiver.Answer(429, RetryAfter: "1") : new ScriptedReceiver.Answer(200));
        await CreateWebhookAsync(client, receiver.Url, ["registered_model.created"]);

        await CreateModelAsync(client, "/", "throttled");

        var requests = await receiver.WaitForAsync(2);
        Assert.Equal(requests[0].DeliveryId, requests[1].DeliveryId);
        // Without Retry-After the backoff here is at most 50 ms.
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(900), $"Retried after {(requests[1].At - requests[0].At).TotalMilliseconds} ms.");
    }

    [Fact]
    public async Task An_attempt_without_an_answer_in_time_is_logged_as_a_timeout_and_retried()
    {
        using var app = new DeliveryApp(new Dictionary<string, string> { ["Timeout"] = "00:00:00.300" });
        var client = app.CreateClient();
        await using var receiver = ScriptedReceiver.Start(n => new ScriptedReceiver.Answer(200, n == 1 ? TimeSpan.FromSeconds(3) : TimeSpan.Zero));
        var id = await CreateWebhookAsync(client, receiver.Url, ["registered_model.created"]);

        await CreateModelAsync(client, "/", "slow");

        var requests = await receiver.WaitForAsync(2);
        var deliveryId = requests[0].DeliveryId;
        await PollAsync(async () => (string?)(await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries/{deliveryId}")).ExpectAsync(200))["state"] == "SUCCEEDED");
        var attempts = (await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries/{deliveryId}")).ExpectAsync(200))["attempt_log"]!.AsArray();
        Assert.Null(attempts[0]!["status"]);
        Assert.Contains("timeout", (string?)attempts[0]!["error"], StringComparison.Ordinal);
        Assert.Equal(200, (int)attempts[^1]!["status"]!);
    }

    [Fact]
    public async Task Every_attempt_is_logged_under_its_own_number_while_the_leases_are_renewed_around_it()
    {
        // Leases renewed every 75 ms, so the second renewal of a cycle falls when its attempt times out, as the cycle ends:
        // what that renewal writes must not be lost.
        using var app = new DeliveryApp(new Dictionary<string, string> { ["Timeout"] = "00:00:00.150", ["LeaseTime"] = "00:00:00.225" });
        var client = app.CreateClient();
        await using var receiver = ScriptedReceiver.Start(n => new ScriptedReceiver.Answer(200, n <= 12 ? TimeSpan.FromSeconds(1) : TimeSpan.Zero));
        await CreateModelAsync(client, "/", "busy");
        var id = await CreateWebhookAsync(client, receiver.Url, ["registered_model.created"]);

        await CreateModelAsync(client, "/", "slow");
        // Other writers keep the store's write lock busy, so a renewal often waits for it when its cycle ends.
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await CreateVersionAsync(client, "busy");
            }
        })).ToArray();

        var requests = await receiver.WaitForAsync(13);
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        var deliveryId = requests[0].DeliveryId;
        JsonObject delivery = [];
        await PollAsync(async () => (string?)(delivery = await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries/{deliveryId}")).ExpectAsync(200))["state"] == "SUCCEEDED");
        // Under load even the quick answer can miss the 150 ms: then there are more attempts, each logged all the same.
        var sent = receiver.Requests.Count;
        Assert.True(sent >= 13, $"{sent} requests");
        Assert.Equal(sent, (int)delivery["attempts"]!);
        var log = delivery["attempt_log"]!.AsArray();
        Assert.Equal(Enumerable.Range(1, sent), log.Select(a => (int)a!["attempt"]!).Order());
        Assert.Equal(sent - 1, log.Count(a => a!["status"] is null));
    }

    [Fact]
    public async Task Past_the_horizon_the_delivery_fails_the_webhook_is_disabled_with_an_event_and_re_enabling_resumes()
    {
        using var app = new DeliveryApp(new Dictionary<string, string> { ["Horizon"] = "00:00:00.400" });
        var client = app.CreateClient();
        await using var failing = ScriptedReceiver.Start(_ => new ScriptedReceiver.Answer(500));
        await using var watcher = ScriptedReceiver.Start();
        var id = await CreateWebhookAsync(client, failing.Url, ["registered_model.created"], name: "failing");
        await CreateWebhookAsync(client, watcher.Url, ["webhook.disabled"], name: "watcher");

        await CreateModelAsync(client, "/", "doomed");

        var disabled = (await watcher.WaitForAsync(1))[0].Json;
        Assert.Equal("webhook", (string?)disabled["entity"]);
        Assert.Equal("disabled", (string?)disabled["action"]);
        var webhook = await (await client.GetAsync($"/api/v1/webhooks/{id}")).ExpectAsync(200);
        Assert.Equal("DISABLED", (string?)webhook["status"]);
        Assert.Contains("failed", (string?)webhook["disabled_reason"], StringComparison.Ordinal);
        var log = await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries")).ExpectAsync(200);
        Assert.Equal("FAILED", (string?)Assert.Single(log["deliveries"]!.AsArray())!["state"]);
        Assert.True(failing.Requests.Count >= 2);
        var audit = await (await client.GetAsync("/api/v1/audit?action=webhook.disable")).ExpectAsync(200);
        Assert.Equal(global::Cairn.Events.WebhookDispatcher.Actor, (string?)Assert.Single(audit["entries"]!.AsArray())!["actor"]);

        // Disabled, it is told nothing; re-enabled, it resumes with what happened meanwhile.
        await CreateModelAsync(client, "/", "meanwhile");
        failing.Script = _ => new ScriptedReceiver.Answer(200);
        var before = failing.Requests.Count;
        await (await client.PatchJsonAsync($"/api/v1/webhooks/{id}", new { status = "ACTIVE" })).ExpectAsync(200);
        var resumed = await failing.WaitForAsync(before + 1);
        Assert.Equal("meanwhile", (string?)resumed[^1].Json["data"]!["name"]);
        Assert.Null((await (await client.GetAsync($"/api/v1/webhooks/{id}")).ExpectAsync(200))["disabled_reason"]);
    }

    [Fact]
    public async Task The_delivery_log_lists_newest_first_and_past_events_are_redelivered_under_new_ids()
    {
        using var app = new DeliveryApp();
        var client = app.CreateClient();
        await using var receiver = ScriptedReceiver.Start();
        var id = await CreateWebhookAsync(client, receiver.Url, ["registered_model.created"]);
        await CreateModelAsync(client, "/", "replayed");
        await CreateModelAsync(client, "/", "later");
        await receiver.WaitForAsync(2);
        await PollAsync(async () => (await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries?state=SUCCEEDED")).ExpectAsync(200))["deliveries"]!.AsArray().Count == 2);

        var log = (await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries?max_results=1")).ExpectAsync(200));
        var newest = log["deliveries"]!.AsArray().Single()!;
        Assert.Equal("registered_model.created", (string?)newest["event_type"]);
        Assert.NotNull(log["next_page_token"]);
        var older = (await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries?max_results=1&page_token={Uri.EscapeDataString((string)log["next_page_token"]!)}")).ExpectAsync(200))["deliveries"]!.AsArray().Single()!;
        Assert.True((long)older["event_seq"]! < (long)newest["event_seq"]!);
        var detail = await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries/{(string)older["id"]!}")).ExpectAsync(200);
        var attempt = Assert.Single(detail["attempt_log"]!.AsArray())!;
        Assert.Equal(200, (int)attempt["status"]!);
        Assert.Equal("ok", (string?)attempt["response_excerpt"]);

        var bySeq = await (await client.PostJsonAsync($"/api/v1/webhooks/{id}/redeliver", new { event_seq = (long)older["event_seq"]! })).ExpectAsync(202);
        var byId = await (await client.PostAsync($"/api/v1/webhooks/{id}/deliveries/{(string)older["id"]!}/redeliver", null)).ExpectAsync(202);
        Assert.Equal((string?)older["id"], (string?)byId["redelivery_of"]);
        Assert.Equal("PENDING", (string?)bySeq["state"]);

        var requests = await receiver.WaitForAsync(4);
        Assert.Equal(["replayed", "later", "replayed", "replayed"], requests.Select(r => (string)r.Json["data"]!["name"]!).ToArray());
        Assert.Equal(4, requests.Select(r => r.DeliveryId).Distinct().Count());
        Assert.Equal((string?)bySeq["id"], requests[2].DeliveryId);

        // An event it would not receive, and one that does not exist, are refused naming event_seq.
        var tokenEvent = await app.ScalarAsync<long>("SELECT MIN(seq) FROM events WHERE type = 'webhook.created'");
        var refused = await (await client.PostJsonAsync($"/api/v1/webhooks/{id}/redeliver", new { event_seq = tokenEvent })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("event_seq", (string?)refused["detail"], StringComparison.Ordinal);
        await (await client.PostJsonAsync($"/api/v1/webhooks/{id}/redeliver", new { event_seq = 999_999 })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries?state=LOST")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_rotated_secret_keeps_signing_webhook_signature_during_its_grace_and_mlflows_header_carries_the_new_one()
    {
        using var app = new DeliveryApp();
        var client = app.CreateClient();
        await using var receiver = ScriptedReceiver.Start();
        var id = await CreateWebhookAsync(client, receiver.Url, ["registered_model.created"], "old-secret");

        var patched = await (await client.PatchJsonAsync($"/api/v1/webhooks/{id}", new { secret = "new-secret", secret_grace_seconds = 3600 })).ExpectAsync(200);
        Assert.DoesNotContain("secret\":\"", patched.ToJsonString(), StringComparison.Ordinal);
        Assert.True((bool)patched["has_secret"]!);
        await CreateModelAsync(client, "/", "during-grace");
        var during = (await receiver.WaitForAsync(1))[0];
        Assert.Equal(2, during.StandardSignatureCount);
        Assert.True(during.StandardSignatureVerifies("new-secret"));
        Assert.True(during.StandardSignatureVerifies("old-secret"));
        Assert.True(during.MlflowSignatureVerifies("new-secret"));
        Assert.False(during.MlflowSignatureVerifies("old-secret"));

        // The grace period over (moved into the past here), only the new secret signs.
        await app.ExecuteSqlAsync($"UPDATE webhooks SET previous_secret_until = 1 WHERE id = '{id}'");
        await CreateModelAsync(client, "/", "after-grace");
        var after = (await receiver.WaitForAsync(2))[1];
        Assert.Equal(1, after.StandardSignatureCount);
        Assert.True(after.StandardSignatureVerifies("new-secret"));
        Assert.False(after.StandardSignatureVerifies("old-secret"));

        // Secrets are stored protected, never as given.
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT COUNT(*) FROM webhooks WHERE secret = 'new-secret' OR previous_secret = 'old-secret'"));
        var audit = await (await client.GetAsync("/api/v1/audit?resource=webhooks/" + id)).ExpectAsync(200);
        Assert.DoesNotContain("-secret", audit.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patterns_namespaces_and_a_model_filter_choose_what_each_webhook_receives()
    {
        using var app = new DeliveryApp();
        var client = app.CreateClient();
        await using var inA = ScriptedReceiver.Start();
        await using var oneModel = ScriptedReceiver.Start();
        await using var everywhere = ScriptedReceiver.Start();
        await CreateWebhookAsync(client, inA.Url, ["registered_model.created"], ns: "/a", name: "in-a");
        await CreateWebhookAsync(client, oneModel.Url, ["model_version.*"], model: "a.m1", name: "one-model");
        await CreateWebhookAsync(client, everywhere.Url, ["registered_model.*"], name: "everywhere");

        await CreateModelAsync(client, "/b", "m3");
        await CreateModelAsync(client, "/a/b", "m2");
        await CreateModelAsync(client, "/a", "m1");
        await CreateVersionAsync(client, "b.m3");
        await CreateVersionAsync(client, "a.m1");

        Assert.Equal(["b.m3", "a.b.m2", "a.m1"], (await everywhere.WaitForAsync(3)).Select(r => (string)r.Json["data"]!["name"]!).ToArray());
        // Deliveries go in event order: once a.m1's has arrived, b.m3's (earlier) was passed over.
        Assert.Equal(["a.b.m2", "a.m1"], (await inA.WaitForAsync(2)).Select(r => (string)r.Json["data"]!["name"]!).ToArray());
        var version = Assert.Single(await oneModel.WaitForAsync(1));
        Assert.Equal("a.m1", (string?)version.Json["data"]!["name"]);
        Assert.Equal("model_version", (string?)version.Json["entity"]);

        await (await client.PostJsonAsync("/api/v1/webhooks", new { name = "typo", url = inA.Url, events = new[] { "model_versoin.created" } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await client.PostJsonAsync("/api/v1/webhooks", new { name = "odd", url = inA.Url, events = new[] { "*" }, format = "xml" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await client.PostJsonAsync("/api/v1/webhooks", new { name = "outside", url = inA.Url, events = new[] { "*" }, @namespace = "/b", model = "a.m1" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_webhook_receives_only_what_its_creator_may_read_and_nothing_once_the_creator_is_revoked()
    {
        using var app = new DeliveryApp(auth: "token");
        var admin = app.ClientWithToken(await app.TokenAsync("root-admin", "admin"));
        var aAdmin = app.ClientWithToken(await app.TokenAsync("a-admin", "admin", "/a"));
        var doomed = app.ClientWithToken(await app.TokenAsync("doomed-admin", "admin"));
        await using var aReceiver = ScriptedReceiver.Start();
        await using var revokedReceiver = ScriptedReceiver.Start();

        await (await aAdmin.PostJsonAsync("/api/v1/webhooks", new { name = "root", url = aReceiver.Url, events = new[] { "*" } })).ExpectAsync(403, "PERMISSION_DENIED");
        await CreateWebhookAsync(aAdmin, aReceiver.Url, ["registered_model.created"], ns: "/a");
        var revokedHook = await CreateWebhookAsync(doomed, revokedReceiver.Url, ["registered_model.created"]);
        Assert.Single((await (await aAdmin.GetAsync("/api/v1/webhooks")).ExpectAsync(200))["webhooks"]!.AsArray());
        await (await aAdmin.GetAsync($"/api/v1/webhooks/{revokedHook}")).ExpectAsync(403, "PERMISSION_DENIED");
        await app.Services.GetRequiredService<ApiTokens>().RevokeAsync(Caller.Admin("setup"), "doomed-admin", CancellationToken.None);

        await CreateModelAsync(admin, "/b", "hidden");
        await CreateModelAsync(admin, "/a", "shown");

        Assert.Equal("a.shown", (string?)Assert.Single(await aReceiver.WaitForAsync(1)).Json["data"]!["name"]);
        var head = await app.ScalarAsync<long>("SELECT MAX(seq) FROM events");
        await PollAsync(async () => await app.ScalarAsync<long>($"SELECT cursor_seq FROM webhooks WHERE id = '{revokedHook}'") >= head - 1);
        Assert.Equal(0L, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = '{revokedHook}'"));
        Assert.Empty(revokedReceiver.Requests);
    }

    [Fact]
    public async Task A_lease_held_by_a_dead_dispatcher_is_taken_over_once_it_runs_out()
    {
        using var app = new DeliveryApp();
        var client = app.CreateClient();
        await using var receiver = ScriptedReceiver.Start();
        var id = await CreateWebhookAsync(client, receiver.Url, ["registered_model.created"]);
        var until = DateTimeOffset.UtcNow.AddSeconds(2);
        await app.ExecuteSqlAsync($"UPDATE webhooks SET lease_owner = 'dead-replica', lease_until = {until.ToUnixTimeMilliseconds()} WHERE id = '{id}'");

        await CreateModelAsync(client, "/", "orphaned");

        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.True(request.At >= until.AddMilliseconds(-50), $"Delivered {(until - request.At).TotalMilliseconds} ms before the lease ran out.");
        await PollAsync(async () => await app.ScalarAsync<long>($"SELECT COUNT(*) FROM webhooks WHERE id = '{id}' AND lease_owner = 'dead-replica'") == 0);
    }

    [Fact]
    public async Task A_dispatcher_stopped_mid_batch_loses_nothing_its_successor_delivers_the_rest()
    {
        using var successor = new DeliveryApp();
        await using var receiver = ScriptedReceiver.Start(_ => new ScriptedReceiver.Answer(200, TimeSpan.FromMilliseconds(100)));
        var first = new DeliveryApp(store: successor);
        var client = first.CreateClient();
        await CreateWebhookAsync(client, receiver.Url, ["registered_model.created"]);
        for (var i = 0; i < 15; i++)
        {
            await CreateModelAsync(client, "/", $"m{i}");
        }
        await receiver.WaitForAsync(3);
        first.Dispose();
        var stoppedAt = receiver.Requests.Count;

        _ = successor.CreateClient();

        await receiver.WaitUntilAsync(r => r.Select(x => (string)x.Json["data"]!["name"]!).Distinct().Count() == 15);
        Assert.True(stoppedAt < 15, "The first dispatcher finished before it was stopped: the test proved nothing.");
        var names = receiver.Requests.Select(x => (string)x.Json["data"]!["name"]!).ToList();
        // In order, each at least once (a delivery cut off mid-attempt may come twice, under the same id).
        Assert.Equal(Enumerable.Range(0, 15).Select(i => $"m{i}"), names.Distinct());
        Assert.Equal(names.Count, receiver.Requests.Select(r => r.DeliveryId).Count());
        Assert.Equal(15, receiver.Requests.Select(r => r.DeliveryId).Distinct().Count());
    }

    [Fact]
    public async Task A_cloudevents_webhook_gets_structured_cloudevents_and_mlflow_format_carries_cairns_payload_for_other_events()
    {
        using var app = new DeliveryApp();
        var client = app.CreateClient();
        await using var cloud = ScriptedReceiver.Start();
        await using var mlflow = ScriptedReceiver.Start();
        await CreateWebhookAsync(client, cloud.Url, ["registered_model.created"], Secret, format: "cloudevents", name: "cloud");
        await CreateWebhookAsync(client, mlflow.Url, ["registered_model.updated"], name: "mlflow-updates");

        await CreateModelAsync(client, "/ce", "model");
        await (await client.PatchJsonAsync("/api/v1/models/ce.model", new { description = "now described" })).ExpectAsync(200);

        var request = Assert.Single(await cloud.WaitForAsync(1));
        Assert.Equal("application/cloudevents+json", request.ContentType?.Split(';')[0]);
        var cloudEvent = request.Json;
        Assert.Equal("1.0", (string?)cloudEvent["specversion"]);
        Assert.Equal(request.DeliveryId, (string?)cloudEvent["id"]);
        Assert.Equal("cairn.registered_model.created", (string?)cloudEvent["type"]);
        Assert.Equal("/cairn", (string?)cloudEvent["source"]);
        Assert.Equal("models/ce.model", (string?)cloudEvent["subject"]);
        Assert.Equal("application/json", (string?)cloudEvent["datacontenttype"]);
        Assert.Equal("ce.model", (string?)cloudEvent["data"]!["full_name"]);
        Assert.True(DateTimeOffset.TryParse((string?)cloudEvent["time"], System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.True(request.StandardSignatureVerifies(Secret));

        var update = Assert.Single(await mlflow.WaitForAsync(1)).Json;
        Assert.Equal("registered_model", (string?)update["entity"]);
        Assert.Equal("updated", (string?)update["action"]);
        Assert.Equal("now described", (string?)update["data"]!["description"]);
        Assert.Equal("ce.model", (string?)update["data"]!["full_name"]);
    }
}
