using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Cairn.Events;

/// <summary>
/// Sends one webhook delivery as MLflow 3.5 does (in the manner of Standard Webhooks): a JSON body
/// <c>{"entity", "action", "timestamp", "data"}</c> with headers <c>X-MLflow-Delivery-Id</c> (a new UUID),
/// <c>X-MLflow-Timestamp</c> (Unix seconds) and, when the webhook has a secret, <c>X-MLflow-Signature</c>:
/// <c>v1,</c> then the Base64 HMAC-SHA256, keyed with the secret, of <c>{delivery id}.{timestamp}.{body}</c>.
/// A receiver recomputes that and compares in constant time (and may refuse old timestamps against replay).
/// </summary>
public sealed class WebhookSender(HttpClient http, TimeProvider clock)
{
    public const string DeliveryIdHeader = "X-MLflow-Delivery-Id";
    public const string TimestampHeader = "X-MLflow-Timestamp";
    public const string SignatureHeader = "X-MLflow-Signature";
    public const string SignatureVersion = "v1";

    /// <summary>Posts <paramref name="data"/> for <paramref name="event"/> to <paramref name="url"/>; returns the receiver's status and body.</summary>
    public async Task<(int Status, string Body)> SendAsync(
        string url, string? secret, WebhookEvent @event, JsonObject data, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var body = new JsonObject
        {
            ["entity"] = @event.Entity,
            ["action"] = @event.Action,
            // Python's isoformat() of an aware UTC time, as MLflow writes it.
            ["timestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture),
            ["data"] = data.DeepClone(),
        }.ToJsonString();
        var deliveryId = Guid.NewGuid().ToString();
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(DeliveryIdHeader, deliveryId);
        request.Headers.Add(TimestampHeader, timestamp);
        if (!string.IsNullOrEmpty(secret))
        {
            request.Headers.Add(SignatureHeader, Sign(secret, deliveryId, timestamp, body));
        }
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        using var response = await http.SendAsync(request, timeoutSource.Token);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(timeoutSource.Token));
    }

    /// <summary>The <c>X-MLflow-Signature</c> value for a delivery: <c>v1,</c> and the Base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>.</summary>
    public static string Sign(string secret, string deliveryId, string timestamp, string body) =>
        SignatureVersion + "," + Convert.ToBase64String(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{deliveryId}.{timestamp}.{body}")));
}

/// <summary>The <c>data</c> of each event's delivery; the examples are what a test delivery sends (MLflow's own).</summary>
public static class WebhookPayloads
{
    /// <summary>MLflow's example payload for <paramref name="event"/>.</summary>
    public static JsonObject Example(WebhookEvent @event)
    {
        var prompt = @event.Entity.StartsWith("prompt", StringComparison.Ordinal);
        var name = prompt ? "example_prompt" : "example_model";
        var tags = new JsonObject { ["example_key"] = "example_value" };
        return (@event.Entity, @event.Action) switch
        {
            ("registered_model" or "prompt", _) => new JsonObject
            {
                ["name"] = name,
                ["tags"] = tags,
                ["description"] = prompt ? "An example prompt" : "An example registered model",
            },
            ("model_version", _) => new JsonObject
            {
                ["name"] = name,
                ["version"] = "1",
                ["source"] = "models:/123",
                ["run_id"] = "abcd1234abcd5678",
                ["tags"] = tags,
                ["description"] = "An example model version",
            },
            ("prompt_version", _) => new JsonObject
            {
                ["name"] = name,
                ["version"] = "1",
                ["template"] = "Hello {{name}}!",
                ["tags"] = tags,
                ["description"] = "An example prompt version",
            },
            ("model_version_tag" or "prompt_version_tag", "set") => new JsonObject
            {
                ["name"] = name,
                ["version"] = "1",
                ["key"] = "example_key",
                ["value"] = "example_value",
            },
            ("model_version_tag" or "prompt_version_tag", _) => new JsonObject { ["name"] = name, ["version"] = "1", ["key"] = "example_key" },
            ("prompt_tag", "set") => new JsonObject { ["name"] = name, ["key"] = "example_key", ["value"] = "example_value" },
            ("prompt_tag", _) => new JsonObject { ["name"] = name, ["key"] = "example_key" },
            (_, "created") => new JsonObject { ["name"] = name, ["alias"] = "example_alias", ["version"] = "1" },
            _ => new JsonObject { ["name"] = name, ["alias"] = "example_alias" },
        };
    }
}
