using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Cairn.Events;
using Cairn.Tests.Api;
using Microsoft.AspNetCore.Hosting;

namespace Cairn.Tests.Mlflow;

/// <summary>The server with plain-http webhooks to loopback allowed (MLflow's tests set MLFLOW_WEBHOOK_ALLOWED_SCHEMES the same way).</summary>
public sealed class WebhookApp : CairnApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Cairn:WebhookAllowedSchemes", "http,https");
        // The receivers listen on loopback, which deliveries refuse unless allowed.
        builder.UseSetting("Cairn:WebhookAllowedNetworks", "127.0.0.0/8");
    }
}

/// <summary>
/// MLflow 3.x's webhooks: create, list, get, update, delete and test, the secret kept for signing and never shown.
/// Ports tests/tracking/test_client_webhooks.py and tests/webhooks/test_e2e.py (the test endpoint against a real receiver).
/// </summary>
public sealed class MlflowWebhooksApiTests(WebhookApp app) : IClassFixture<WebhookApp>
{
    private const string Secret = "receiver-shared-secret";
    private readonly Mlflow _mlflow = new(app.CreateClient());

    private static object[] Events(params (string Entity, string Action)[] events) =>
        events.Select(e => (object)new { entity = e.Entity, action = e.Action }).ToArray();

    private async Task<JsonObject> CreateAsync(string name, string url = "https://example.com/webhook", object[]? events = null, string? secret = null, string? description = null) =>
        (JsonObject)(await (await _mlflow.PostAsync("webhooks", new { name, url, events = events ?? Events(("MODEL_VERSION", "CREATED")), secret, description })).OkAsync())["webhook"]!;

    [Fact]
    public async Task A_created_webhook_is_shown_with_its_events_and_status_but_never_its_secret()
    {
        // ports test_client_webhooks.py::test_create_webhook and test_get_webhook
        var created = await CreateAsync("with-secret", events: Events(("MODEL_VERSION", "CREATED"), ("MODEL_VERSION_ALIAS", "DELETED")), secret: Secret, description: "tells CI");
        var id = (string)created["webhook_id"]!;

        Assert.Equal("with-secret", (string?)created["name"]);
        Assert.Equal("https://example.com/webhook", (string?)created["url"]);
        Assert.Equal("tells CI", (string?)created["description"]);
        Assert.Equal("ACTIVE", (string?)created["status"]);
        Assert.Equal("""[{"entity":"MODEL_VERSION","action":"CREATED"},{"entity":"MODEL_VERSION_ALIAS","action":"DELETED"}]""", created["events"]!.ToJsonString());
        Assert.True((long)created["creation_timestamp"]! > 0);
        Assert.Equal((long)created["creation_timestamp"]!, (long)created["last_updated_timestamp"]!);
        Assert.Null(created["secret"]);

        var fetched = await _mlflow.GetAsync($"webhooks/{id}");
        var fetchedText = await fetched.Content.ReadAsStringAsync();
        Assert.Equal(created.ToJsonString(), JsonNode.Parse(fetchedText)!["webhook"]!.ToJsonString());
        var listed = await (await _mlflow.GetAsync("webhooks?max_results=1000")).Content.ReadAsStringAsync();
        var audit = await (await app.CreateClient().GetAsync(new Uri($"/api/v1/audit?resource=webhooks/{id}", UriKind.Relative))).Content.ReadAsStringAsync();
        Assert.DoesNotContain(Secret, fetchedText, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, listed, StringComparison.Ordinal);
        Assert.Contains("webhook.create", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_without_description_leaves_it_out_and_a_disabled_one_says_so()
    {
        var created = (JsonObject)(await (await _mlflow.PostAsync("webhooks", new
        {
            name = "quiet",
            url = "https://example.com/q",
            events = Events(("REGISTERED_MODEL", "CREATED")),
            status = "DISABLED",
        })).OkAsync())["webhook"]!;

        Assert.False(created.ContainsKey("description"));
        Assert.Equal("DISABLED", (string?)created["status"]);
    }

    [Fact]
    public async Task Enums_given_as_proto_numbers_are_read_as_their_names()
    {
        var created = (JsonObject)(await (await _mlflow.PostAsync("webhooks", new
        {
            name = "numbers",
            url = "https://example.com/n",
            events = new[] { new { entity = 3, action = 4 } },
            status = 2,
        })).OkAsync())["webhook"]!;

        Assert.Equal("""[{"entity":"MODEL_VERSION_TAG","action":"SET"}]""", created["events"]!.ToJsonString());
        Assert.Equal("DISABLED", (string?)created["status"]);
    }

    [Theory]
    [InlineData("-leading-hyphen", "Webhook name '-leading-hyphen' is invalid. It must start and end with a letter or digit")]
    [InlineData("has space", "Webhook name 'has space' is invalid.")]
    public async Task A_name_mlflow_refuses_is_refused_with_its_message(string name, string message) =>
        await (await _mlflow.PostAsync("webhooks", new { name, url = "https://example.com", events = Events(("MODEL_VERSION", "CREATED")) }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", message);

    [Fact]
    public async Task A_name_of_64_characters_is_refused_and_63_accepted()
    {
        await (await _mlflow.PostAsync("webhooks", new { name = new string('a', 64), url = "https://example.com", events = Events(("MODEL_VERSION", "CREATED")) }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "is invalid");
        await CreateAsync(new string('b', 63));
    }

    [Theory]
    // ports test_client_webhooks.py::test_update_webhook_invalid_urls
    [InlineData("ftp://example.com", "Invalid webhook URL scheme: 'ftp'. Allowed schemes are: http, https.")]
    [InlineData("example.com/hook", "Invalid webhook URL scheme: ''. Allowed schemes are: http, https.")]
    [InlineData("   ", "Webhook URL cannot be empty or just whitespace: '   '")]
    public async Task A_url_that_is_not_http_or_https_is_refused_on_create_and_update(string url, string message)
    {
        await (await _mlflow.PostAsync("webhooks", new { name = "bad-url", url, events = Events(("MODEL_VERSION", "CREATED")) }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", message);
        var id = (string)(await CreateAsync("good-url"))["webhook_id"]!;
        await (await _mlflow.PatchAsync($"webhooks/{id}", new { url })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", message);
    }

    [Fact]
    public void By_default_only_https_is_allowed_as_in_mlflow()
    {
        var refused = Assert.Throws<InvalidParameterException>(() => WebhookRules.CheckUrl("http://example.com", new WebhookOptions().AllowedSchemes));
        Assert.Equal("Invalid webhook URL scheme: 'http'. Allowed schemes are: https.", refused.Message);
        WebhookRules.CheckUrl("https://example.com", new WebhookOptions().AllowedSchemes);
    }

    [Fact]
    public async Task Missing_fields_and_events_an_entity_does_not_have_are_refused_with_mlflows_messages()
    {
        var events = Events(("MODEL_VERSION", "CREATED"));
        await (await _mlflow.PostAsync("webhooks", new { url = "https://example.com", events })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'");
        await (await _mlflow.PostAsync("webhooks", new { name = "n", events })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'url'");
        await (await _mlflow.PostAsync("webhooks", new { name = "n", url = "https://example.com" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'events'");
        await (await _mlflow.PostAsync("webhooks", new { name = "n", url = "https://example.com", events = Array.Empty<object>() }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Webhook events must be a non-empty list of WebhookEvent objects");
        await (await _mlflow.PostAsync("webhooks", new { name = "n", url = "https://example.com", events = Events(("REGISTERED_MODEL", "DELETED")) }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid action 'deleted' for entity 'registered_model'. Valid actions are: ['created']");
        await (await _mlflow.PostAsync("webhooks", new { name = "n", url = "https://example.com", events = Events(("MODEL_VERSION_TAG", "CREATED")) }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Valid actions are: ['deleted', 'set']");
        await (await _mlflow.PostAsync("webhooks", new { name = "n", url = "https://example.com", events = Events(("EXPERIMENT", "CREATED")) }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid webhook entity 'experiment'");
        await (await _mlflow.PostAsync("webhooks", new { name = "n", url = "https://example.com", events, status = "PAUSED" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid webhook status 'PAUSED'");
    }

    [Fact]
    public async Task A_webhook_that_does_not_exist_is_not_found_on_every_route()
    {
        // ports test_get_webhook_not_found, test_update_webhook_not_found, test_delete_webhook_not_found
        const string message = "Webhook with ID nonexistent not found";
        await (await _mlflow.GetAsync("webhooks/nonexistent")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", message);
        await (await _mlflow.PatchAsync("webhooks/nonexistent", new { name = "x" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", message);
        await (await _mlflow.DeleteAsync("webhooks/nonexistent", new { })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", message);
        await (await _mlflow.PostAsync("webhooks/nonexistent/test", new { })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", message);
    }

    [Fact]
    public async Task Webhooks_are_listed_newest_first_in_pages_that_do_not_overlap()
    {
        // ports test_client_webhooks.py::test_list_webhooks
        using var own = new WebhookApp();
        var mlflow = new Mlflow(own.CreateClient());
        for (var i = 0; i < 5; i++)
        {
            await (await mlflow.PostAsync("webhooks", new { name = $"hook-{i}", url = "https://example.com", events = Events(("MODEL_VERSION", "CREATED")) })).OkAsync();
        }

        var first = await mlflow.GetOkAsync("webhooks?max_results=2");
        var second = await mlflow.GetOkAsync($"webhooks?max_results=2&page_token={Uri.EscapeDataString((string)first["next_page_token"]!)}");
        var third = await mlflow.GetOkAsync($"webhooks?max_results=2&page_token={Uri.EscapeDataString((string)second["next_page_token"]!)}");

        var names = new[] { first, second, third }.SelectMany(p => p["webhooks"]!.AsArray().Select(w => (string)w!["name"]!)).ToList();
        Assert.Equal(["hook-4", "hook-3", "hook-2", "hook-1", "hook-0"], names);
        Assert.Null(third["next_page_token"]);
        await (await mlflow.GetAsync("webhooks?max_results=0")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "max_results must be between 1 and 1000.");
        await (await mlflow.GetAsync("webhooks?max_results=1001")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "max_results must be between 1 and 1000.");
        Assert.Equal(5, (await mlflow.GetOkAsync("webhooks"))["webhooks"]!.AsArray().Count);
        // ports test_handlers.py::test_list_webhooks_empty_page_token: an empty token is no token
        Assert.Equal(2, (await mlflow.GetOkAsync("webhooks?max_results=2&page_token="))["webhooks"]!.AsArray().Count);
    }

    [Fact]
    public async Task Updating_changes_the_given_fields_only_and_moves_the_update_time()
    {
        // ports test_update_webhook and test_update_webhook_partial
        var webhook = await CreateAsync("original", "https://example.com/original", description: "Original description");
        var id = (string)webhook["webhook_id"]!;

        var partial = (await (await _mlflow.PatchAsync($"webhooks/{id}", new { name = "renamed" })).OkAsync())["webhook"]!;
        Assert.Equal("renamed", (string?)partial["name"]);
        Assert.Equal("https://example.com/original", (string?)partial["url"]);
        Assert.Equal("Original description", (string?)partial["description"]);
        Assert.Equal(webhook["events"]!.ToJsonString(), partial["events"]!.ToJsonString());

        var full = (await (await _mlflow.PatchAsync($"webhooks/{id}", new
        {
            name = "updated_name",
            url = "https://example.com/updated",
            description = "Updated description",
            status = "DISABLED",
            events = Events(("MODEL_VERSION_TAG", "SET"), ("REGISTERED_MODEL", "CREATED")),
        })).OkAsync())["webhook"]!;
        Assert.Equal("updated_name", (string?)full["name"]);
        Assert.Equal("https://example.com/updated", (string?)full["url"]);
        Assert.Equal("Updated description", (string?)full["description"]);
        Assert.Equal("DISABLED", (string?)full["status"]);
        Assert.Equal("""[{"entity":"MODEL_VERSION_TAG","action":"SET"},{"entity":"REGISTERED_MODEL","action":"CREATED"}]""", full["events"]!.ToJsonString());
        Assert.True((long)full["last_updated_timestamp"]! > (long)partial["last_updated_timestamp"]!);
        Assert.True((long)partial["last_updated_timestamp"]! > (long)webhook["last_updated_timestamp"]!);
        Assert.Equal((long)webhook["creation_timestamp"]!, (long)full["creation_timestamp"]!);
    }

    [Fact]
    public async Task A_deleted_webhook_is_gone_from_get_and_list_and_its_deletion_is_audited()
    {
        // ports test_client_webhooks.py::test_delete_webhook
        var id = (string)(await CreateAsync("doomed"))["webhook_id"]!;

        Assert.Empty(await (await _mlflow.DeleteAsync($"webhooks/{id}", new { })).OkAsync());

        await (await _mlflow.GetAsync($"webhooks/{id}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"Webhook with ID {id} not found");
        var listed = await _mlflow.GetOkAsync("webhooks?max_results=1000");
        Assert.DoesNotContain(listed["webhooks"]!.AsArray(), w => (string?)w!["webhook_id"] == id);
        var audit = await (await app.CreateClient().GetAsync(new Uri($"/api/v1/audit?resource=webhooks/{id}", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal(["webhook.delete", "webhook.create"], audit["entries"]!.AsArray().Select(e => (string)e!["action"]!).ToArray());
    }

    [Fact]
    public async Task Testing_posts_the_events_example_payload_to_the_receiver_and_reports_its_answer()
    {
        // ports tests/webhooks/test_e2e.py::test_webhook_test_insecure_endpoint
        await using var receiver = WebhookReceiver.Start();
        var id = (string)(await CreateAsync("insecure-test", receiver.Url("/insecure-webhook"), Events(("MODEL_VERSION", "CREATED"), ("REGISTERED_MODEL", "CREATED"))))["webhook_id"]!;

        var result = (await (await _mlflow.PostAsync($"webhooks/{id}/test", new { })).OkAsync())["result"]!;

        Assert.True((bool)result["success"]!);
        Assert.Equal(200, (int)result["response_status"]!);
        Assert.Equal("received", (string?)result["response_body"]);
        Assert.Null(result["error_message"]);
        var delivery = Assert.Single(receiver.Deliveries);
        var body = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("model_version", (string?)body["entity"]);
        Assert.Equal("created", (string?)body["action"]);
        Assert.True(DateTimeOffset.TryParse((string?)body["timestamp"], System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal(
            """{"name":"example_model","version":"1","source":"models:/123","run_id":"abcd1234abcd5678","tags":{"example_key":"example_value"},"description":"An example model version"}""",
            body["data"]!.ToJsonString());
        Assert.Equal("application/json", delivery.ContentType?.Split(';')[0]);
        Assert.True(Guid.TryParse(delivery.Headers["X-MLflow-Delivery-Id"], out _));
        Assert.True(long.TryParse(delivery.Headers["X-MLflow-Timestamp"], out var seconds) && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) < 300);
        Assert.Null(delivery.Headers["X-MLflow-Signature"]);
    }

    [Fact]
    public async Task A_test_of_a_named_event_sends_that_events_payload()
    {
        // ports tests/webhooks/test_e2e.py::test_webhook_test_with_specific_event
        await using var receiver = WebhookReceiver.Start();
        var id = (string)(await CreateAsync("specific", receiver.Url("/insecure-webhook"), Events(("MODEL_VERSION", "CREATED"), ("MODEL_VERSION_ALIAS", "CREATED"))))["webhook_id"]!;

        var result = (await (await _mlflow.PostAsync($"webhooks/{id}/test", new { @event = new { entity = "MODEL_VERSION_ALIAS", action = "CREATED" } })).OkAsync())["result"]!;

        Assert.True((bool)result["success"]!);
        var body = JsonNode.Parse(Assert.Single(receiver.Deliveries).Body)!;
        Assert.Equal("model_version_alias", (string?)body["entity"]);
        Assert.Equal("""{"name":"example_model","alias":"example_alias","version":"1"}""", body["data"]!.ToJsonString());
    }

    [Fact]
    public async Task A_receiver_verifies_the_signature_of_a_test_delivery_with_the_shared_secret()
    {
        // ports tests/webhooks/test_e2e.py::test_webhook_test_secure_endpoint: the receiver checks the signature as
        // MLflow documents (HMAC-SHA256 of "{delivery id}.{timestamp}.{raw body}", Base64, after "v1,")
        await using var receiver = WebhookReceiver.Start();
        var id = (string)(await CreateAsync("secure", receiver.Url("/secure-webhook"), secret: Secret))["webhook_id"]!;

        var result = (await (await _mlflow.PostAsync($"webhooks/{id}/test", new { })).OkAsync())["result"]!;

        Assert.True((bool)result["success"]!, result.ToJsonString());
        Assert.Equal(200, (int)result["response_status"]!);
        var delivery = Assert.Single(receiver.Deliveries);
        Assert.StartsWith("v1,", delivery.Headers["X-MLflow-Signature"], StringComparison.Ordinal);
        Assert.Equal("verified", delivery.Outcome);
    }

    [Fact]
    public async Task A_wrong_secret_fails_the_receivers_check_and_the_test_reports_the_401_without_an_error_message()
    {
        // ports tests/webhooks/test_e2e.py::test_webhook_test_with_wrong_secret and test_webhook_without_secret_to_secure_endpoint
        await using var receiver = WebhookReceiver.Start();
        var wrong = (string)(await CreateAsync("wrong-secret", receiver.Url("/secure-webhook"), secret: "not-the-shared-one"))["webhook_id"]!;
        var none = (string)(await CreateAsync("no-secret", receiver.Url("/secure-webhook")))["webhook_id"]!;

        var refused = (await (await _mlflow.PostAsync($"webhooks/{wrong}/test", new { })).OkAsync())["result"]!;
        var unsigned = (await (await _mlflow.PostAsync($"webhooks/{none}/test", new { })).OkAsync())["result"]!;

        Assert.False((bool)refused["success"]!);
        Assert.Equal(401, (int)refused["response_status"]!);
        Assert.Null(refused["error_message"]);
        Assert.Equal(400, (int)unsigned["response_status"]!);
        Assert.Equal(["Invalid signature", "Missing signature header"], receiver.Deliveries.Select(d => d.Outcome).ToArray());
    }

    [Fact]
    public async Task Updating_the_secret_makes_later_deliveries_sign_with_the_new_one()
    {
        await using var receiver = WebhookReceiver.Start();
        var id = (string)(await CreateAsync("rotated", receiver.Url("/secure-webhook"), secret: "old-secret"))["webhook_id"]!;

        var before = (await (await _mlflow.PostAsync($"webhooks/{id}/test", new { })).OkAsync())["result"]!;
        var updated = await (await _mlflow.PatchAsync($"webhooks/{id}", new { secret = Secret })).Content.ReadAsStringAsync();
        var after = (await (await _mlflow.PostAsync($"webhooks/{id}/test", new { })).OkAsync())["result"]!;

        Assert.Equal(401, (int)before["response_status"]!);
        Assert.DoesNotContain(Secret, updated, StringComparison.Ordinal);
        Assert.Equal(200, (int)after["response_status"]!);
    }

    [Fact]
    public async Task A_receiver_answering_404_is_a_failed_test_with_its_body_and_an_unreachable_one_has_an_error_message()
    {
        // ports tests/webhooks/test_e2e.py::test_webhook_test_failed_endpoint
        await using var receiver = WebhookReceiver.Start();
        var missing = (string)(await CreateAsync("missing-path", receiver.Url("/nowhere")))["webhook_id"]!;
        var unreachable = (string)(await CreateAsync("unreachable", $"http://127.0.0.1:{WebhookReceiver.FreePort()}/hook"))["webhook_id"]!;

        var notFound = (await (await _mlflow.PostAsync($"webhooks/{missing}/test", new { })).OkAsync())["result"]!;
        var failed = (await (await _mlflow.PostAsync($"webhooks/{unreachable}/test", new { })).OkAsync())["result"]!;

        Assert.False((bool)notFound["success"]!);
        Assert.Equal(404, (int)notFound["response_status"]!);
        Assert.Equal("not found", (string?)notFound["response_body"]);
        Assert.Null(notFound["error_message"]);
        Assert.False((bool)failed["success"]!);
        Assert.Null(failed["response_status"]);
        Assert.StartsWith("Failed to test webhook: ", (string?)failed["error_message"], StringComparison.Ordinal);
    }

    [Fact]
    public void The_signature_is_the_base64_hmac_sha256_of_id_timestamp_and_body()
    {
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData("k"u8.ToArray(), "id.1700000000.{}"u8.ToArray()));
        Assert.Equal(expected, WebhookSender.Sign("k", "id", "1700000000", "{}"));
    }
}
