using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Cairn.Events;

/// <summary>What one attempt got: the receiver's status and body, how long it took, or why no answer came.</summary>
/// <param name="Status">The HTTP status, or null when no answer came.</param>
/// <param name="Body">The receiver's answer (for the test endpoint; the delivery log keeps its first KiB).</param>
/// <param name="LatencyMs">From sending to the end of the answer (or to the failure).</param>
/// <param name="RetryAfter">What a 429 or 503 answer's <c>Retry-After</c> asked for.</param>
/// <param name="Error">Why no answer came (timeout, refused connection).</param>
public sealed record WebhookAttemptResult(int? Status, string? Body, long LatencyMs, TimeSpan? RetryAfter, string? Error)
{
    /// <summary>A 2xx answer; anything else is retried.</summary>
    public bool Succeeded => Status is >= 200 and < 300;
}

/// <summary>
/// Sends webhook deliveries signed as MLflow 3.5 and Standard Webhooks both specify. Headers <c>X-MLflow-Delivery-Id</c>
/// and <c>webhook-id</c> carry the delivery id (the same on every attempt), <c>X-MLflow-Timestamp</c> and
/// <c>webhook-timestamp</c> the attempt's Unix seconds, and when the webhook has a secret <c>X-MLflow-Signature</c> and
/// <c>webhook-signature</c> carry <c>v1,</c> and the Base64 HMAC-SHA256, keyed with the secret's UTF-8 bytes, of
/// <c>{delivery id}.{timestamp}.{body}</c>. During a secret rotation <c>webhook-signature</c> lists the new and the
/// previous secret's signatures (space-separated, as Standard Webhooks allows); <c>X-MLflow-Signature</c>, which
/// MLflow's receivers parse as exactly one, carries the new secret's only.
/// </summary>
public sealed class WebhookSender(HttpClient http, TimeProvider clock)
{
    /// <summary>The name of the <c>HttpClient</c> (IHttpClientFactory) deliveries are sent with.</summary>
    public const string HttpClientName = "Cairn.Webhooks";

    public const string DeliveryIdHeader = "X-MLflow-Delivery-Id";
    public const string TimestampHeader = "X-MLflow-Timestamp";
    public const string SignatureHeader = "X-MLflow-Signature";
    public const string StandardIdHeader = "webhook-id";
    public const string StandardTimestampHeader = "webhook-timestamp";
    public const string StandardSignatureHeader = "webhook-signature";
    public const string SignatureVersion = "v1";

    /// <summary>
    /// Posts <paramref name="body"/> to <paramref name="url"/> once, signed with each of <paramref name="secrets"/>
    /// (newest first; none for an unsigned webhook). Failures to get an answer are returned, not thrown.
    /// </summary>
    public async Task<WebhookAttemptResult> SendAsync(
        string url, IReadOnlyList<string> secrets, string deliveryId, string body, string contentType, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var started = clock.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(body, Encoding.UTF8, contentType),
            };
            request.Headers.Add(DeliveryIdHeader, deliveryId);
            request.Headers.Add(TimestampHeader, timestamp);
            request.Headers.Add(StandardIdHeader, deliveryId);
            request.Headers.Add(StandardTimestampHeader, timestamp);
            if (secrets.Count > 0)
            {
                var signatures = secrets.Select(secret => Sign(secret, deliveryId, timestamp, body)).ToList();
                request.Headers.Add(SignatureHeader, signatures[0]);
                request.Headers.Add(StandardSignatureHeader, string.Join(' ', signatures));
            }
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            using var response = await http.SendAsync(request, timeoutSource.Token);
            var answer = await response.Content.ReadAsStringAsync(timeoutSource.Token);
            var status = (int)response.StatusCode;
            TimeSpan? retryAfter = status is 429 or 503 ? RetryAfter(response.Headers.RetryAfter) : null;
            return new WebhookAttemptResult(status, answer, Elapsed(started), retryAfter, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookAttemptResult(null, null, Elapsed(started), null, $"No answer within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (timeout).");
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or UriFormatException)
        {
            return new WebhookAttemptResult(null, null, Elapsed(started), null, $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The signature of a delivery with one secret: <c>v1,</c> and the Base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>.</summary>
    public static string Sign(string secret, string deliveryId, string timestamp, string body) =>
        SignatureVersion + "," + Convert.ToBase64String(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{deliveryId}.{timestamp}.{body}")));

    /// <summary>
    /// The body of a delivery of an event of <paramref name="type"/> in <paramref name="format"/>, and its content type.
    /// MLflow's body names the entity and action (the type's two halves) and carries <paramref name="data"/>; a
    /// CloudEvent carries it as <c>data</c>, with the delivery id as its <c>id</c> and <c>cairn.</c> before the type.
    /// </summary>
    public static (string Body, string ContentType) Body(
        WebhookFormat format, string deliveryId, string type, string resource, DateTimeOffset at, JsonNode? data, string source)
    {
        if (format == WebhookFormat.CloudEvents)
        {
            return (new JsonObject
            {
                ["specversion"] = "1.0",
                ["id"] = deliveryId,
                ["source"] = source,
                ["type"] = CloudEventType(type),
                ["subject"] = resource,
                ["time"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["datacontenttype"] = "application/json",
                ["data"] = data?.DeepClone(),
            }.ToJsonString(), "application/cloudevents+json");
        }
        var dot = type.LastIndexOf('.');
        return (new JsonObject
        {
            ["entity"] = dot < 0 ? type : type[..dot],
            ["action"] = dot < 0 ? "" : type[(dot + 1)..],
            // Python's isoformat() of an aware UTC time, as MLflow writes it.
            ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture),
            ["data"] = data?.DeepClone(),
        }.ToJsonString(), "application/json");
    }

    /// <summary>The CloudEvents <c>type</c> of a Cairn event type: <c>cairn.model_version.created</c>.</summary>
    public static string CloudEventType(string type) => "cairn." + type;

    private long Elapsed(long started) => (long)clock.GetElapsedTime(started).TotalMilliseconds;

    private TimeSpan? RetryAfter(System.Net.Http.Headers.RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - clock.GetUtcNow() is { Ticks: > 0 } wait ? wait : TimeSpan.Zero,
        _ => null,
    };
}

/// <summary>The <c>data</c> of each event's delivery; the examples are what a test delivery sends (MLflow's own).</summary>
public static class WebhookPayloads
{
    /// <summary>MLflow's example payload for an event of <paramref name="type"/>; for Cairn's other types, one naming the type.</summary>
    public static JsonObject Example(string type)
    {
        var dot = type.LastIndexOf('.');
        var @event = new WebhookEvent(dot < 0 ? type : type[..dot], dot < 0 ? "" : type[(dot + 1)..]);
        if (!WebhookEvent.Entities.Contains(@event.Entity))
        {
            return new JsonObject { ["example"] = true, ["type"] = type };
        }
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
