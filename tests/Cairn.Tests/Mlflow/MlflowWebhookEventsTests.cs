using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// Registry changes reach the webhooks subscribed to them, through the event each change writes in its own transaction.
/// Ports tests/webhooks/test_e2e.py (test_registered_model_created, test_model_version_created, test_model_version_tag_set,
/// test_model_version_tag_deleted, test_model_version_alias_created, test_model_version_alias_deleted, test_webhook_with_secret).
/// Each test has its own server, so that only its webhooks receive its events.
/// </summary>
public sealed class MlflowWebhookEventsTests
{
    private static readonly object[] AllModelEvents =
    [
        new { entity = "REGISTERED_MODEL", action = "CREATED" },
        new { entity = "MODEL_VERSION", action = "CREATED" },
        new { entity = "MODEL_VERSION_TAG", action = "SET" },
        new { entity = "MODEL_VERSION_TAG", action = "DELETED" },
        new { entity = "MODEL_VERSION_ALIAS", action = "CREATED" },
        new { entity = "MODEL_VERSION_ALIAS", action = "DELETED" },
    ];

    private static async Task SubscribeAsync(Mlflow mlflow, string name, string url, object[] events, string? secret = null, string? status = null) =>
        await (await mlflow.PostAsync("webhooks", new { name, url, events, secret, status })).OkAsync();

    [Fact]
    public async Task Every_registry_event_mlflow_fires_reaches_a_subscribed_webhook_with_mlflows_payload()
    {
        using var app = new WebhookApp();
        var mlflow = new Mlflow(app.CreateClient());
        await using var receiver = WebhookReceiver.Start();
        await SubscribeAsync(mlflow, "all-model-events", receiver.Url("/insecure-webhook"), AllModelEvents);

        await mlflow.OkAsync("registered-models/create", new { name = "risk.scorer", description = "scores", tags = new[] { new { key = "team", value = "risk" } } });
        await mlflow.OkAsync("model-versions/create", new { name = "risk.scorer", source = "s3://bucket/model", tags = new[] { new { key = "stage", value = "dev" } } });
        await mlflow.OkAsync("model-versions/set-tag", new { name = "risk.scorer", version = "1", key = "checked", value = "yes" });
        Assert.Empty(await (await mlflow.DeleteAsync("model-versions/delete-tag", new { name = "risk.scorer", version = "1", key = "checked" })).OkAsync());
        await mlflow.OkAsync("registered-models/alias", new { name = "risk.scorer", alias = "champion", version = "1" });
        Assert.Empty(await (await mlflow.DeleteAsync("registered-models/alias", new { name = "risk.scorer", alias = "champion" })).OkAsync());

        var received = (await receiver.WaitForAsync(6)).Select(d => JsonNode.Parse(d.Body)!).ToList();
        Assert.Equal(
            ["registered_model.created", "model_version.created", "model_version_tag.set", "model_version_tag.deleted", "model_version_alias.created", "model_version_alias.deleted"],
            received.Select(b => $"{b["entity"]}.{b["action"]}").ToArray());
        Assert.Equal("""{"name":"risk.scorer","tags":{"team":"risk"},"description":"scores"}""", received[0]["data"]!.ToJsonString());
        Assert.Equal("""{"name":"risk.scorer","version":"1","source":"s3://bucket/model","run_id":null,"tags":{"stage":"dev"},"description":null}""", received[1]["data"]!.ToJsonString());
        Assert.Equal("""{"name":"risk.scorer","version":"1","key":"checked","value":"yes"}""", received[2]["data"]!.ToJsonString());
        Assert.Equal("""{"name":"risk.scorer","version":"1","key":"checked"}""", received[3]["data"]!.ToJsonString());
        Assert.Equal("""{"name":"risk.scorer","alias":"champion","version":"1"}""", received[4]["data"]!.ToJsonString());
        Assert.Equal("""{"name":"risk.scorer","alias":"champion"}""", received[5]["data"]!.ToJsonString());
    }

    [Fact]
    public async Task Changes_through_the_native_api_fire_the_same_events()
    {
        using var app = new WebhookApp();
        var mlflow = new Mlflow(app.CreateClient());
        var native = app.CreateClient();
        await using var receiver = WebhookReceiver.Start();
        await SubscribeAsync(mlflow, "native", receiver.Url("/insecure-webhook"), AllModelEvents);

        await (await native.PostAsync(new Uri("/api/v1/models", UriKind.Relative), JsonBody(new { @namespace = "/ops", model_name = "router" }))).ExpectAsync(201);
        await (await native.PostAsync(new Uri("/api/v1/models/ops.router/versions", UriKind.Relative), JsonBody(new { source = "s3://b/m" }))).ExpectAsync(201);
        await (await native.PutAsync(new Uri("/api/v1/models/ops.router/aliases/champion", UriKind.Relative), JsonBody(new { version = 1 }))).ExpectAsync(200);

        var received = await receiver.WaitForAsync(3);
        Assert.Equal(["registered_model.created", "model_version.created", "model_version_alias.created"],
            received.Select(d => JsonNode.Parse(d.Body)!).Select(b => $"{b["entity"]}.{b["action"]}").ToArray());
    }

    [Fact]
    public async Task A_disabled_webhook_and_one_subscribed_to_other_events_get_nothing()
    {
        using var app = new WebhookApp();
        var mlflow = new Mlflow(app.CreateClient());
        await using var disabled = WebhookReceiver.Start();
        await using var versionsOnly = WebhookReceiver.Start();
        await SubscribeAsync(mlflow, "disabled", disabled.Url("/insecure-webhook"), AllModelEvents, status: "DISABLED");
        await SubscribeAsync(mlflow, "versions-only", versionsOnly.Url("/insecure-webhook"), [new { entity = "MODEL_VERSION", action = "CREATED" }]);

        await mlflow.OkAsync("registered-models/create", new { name = "quiet.model" });
        await mlflow.OkAsync("model-versions/create", new { name = "quiet.model", source = "s3://b/m" });

        // Events are dispatched in order: once the version's has arrived, the model's was already passed over.
        var delivery = Assert.Single(await versionsOnly.WaitForAsync(1));
        Assert.Equal("model_version", (string?)JsonNode.Parse(delivery.Body)!["entity"]);
        Assert.Empty(disabled.Deliveries);
    }

    [Fact]
    public async Task An_event_delivery_is_signed_with_the_webhooks_secret_and_verified_by_the_receiver()
    {
        // ports tests/webhooks/test_e2e.py::test_webhook_with_secret and test_webhook_with_wrong_secret
        using var app = new WebhookApp();
        var mlflow = new Mlflow(app.CreateClient());
        await using var receiver = WebhookReceiver.Start("event-secret");
        await SubscribeAsync(mlflow, "signed", receiver.Url("/secure-webhook"), [AllModelEvents[0]], secret: "event-secret");
        await SubscribeAsync(mlflow, "wrongly-signed", receiver.Url("/secure-webhook"), [AllModelEvents[0]], secret: "another-secret");

        await mlflow.OkAsync("registered-models/create", new { name = "signed.model" });

        // The refused delivery is retried (Cairn retries what a receiver refuses; decision 0018), so the receiver may see
        // it more than once before the verified one: what matters is each webhook's verdict.
        await PollAsync(() => Task.FromResult(receiver.Deliveries.Select(d => d.Outcome).Distinct().Count() >= 2));
        Assert.Equal(["Invalid signature", "verified"], receiver.Deliveries.Select(d => d.Outcome).Distinct().Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task A_change_that_fails_writes_no_event_and_a_committed_one_is_marked_delivered()
    {
        using var app = new WebhookApp();
        var mlflow = new Mlflow(app.CreateClient());
        await using var receiver = WebhookReceiver.Start();
        await SubscribeAsync(mlflow, "counted", receiver.Url("/insecure-webhook"), [AllModelEvents[0]]);

        await mlflow.OkAsync("registered-models/create", new { name = "once.model" });
        await (await mlflow.PostAsync("registered-models/create", new { name = "once.model" })).MlflowErrorAsync(400, "RESOURCE_ALREADY_EXISTS");

        await receiver.WaitForAsync(1);
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT COUNT(*) FROM events WHERE type = 'registered_model.created'"));
        await PollAsync(async () => await app.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'SUCCEEDED'") == 1);
        Assert.Single(receiver.Deliveries);
    }

    private static StringContent JsonBody(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static async Task PollAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s.");
            await Task.Delay(50);
        }
    }
}
