using System.Globalization;
using Cairn.Events;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

/// <summary>
/// A webhook to create or change. <c>events</c> are event type patterns (<c>model_version.created</c>,
/// <c>model_version.*</c>); <c>secret_grace_seconds</c> is how long a replaced secret keeps signing (default 24 h).
/// </summary>
public sealed record WebhookRequest(
    string? Name = null, string? Description = null, string? Url = null, IReadOnlyList<string>? Events = null, string? Namespace = null,
    string? Model = null, string? Secret = null, long? SecretGraceSeconds = null, string? Status = null, string? Format = null);

/// <summary>A webhook as the native API shows it; never its secret, only <c>has_secret</c>.</summary>
public sealed record WebhookResponse(
    string Id, string Name, string? Description, string Url, IReadOnlyList<string> Events, string Namespace, string? Model,
    string Status, string? DisabledReason, string Format, bool HasSecret, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt);

public sealed record WebhookList(IReadOnlyList<WebhookResponse> Webhooks, string? NextPageToken);

/// <summary>Which event type's example a test sends (by default the first the webhook subscribes to).</summary>
public sealed record WebhookTestRequest(string? Event = null);

/// <summary>The past event to send again.</summary>
public sealed record RedeliverRequest(long? EventSeq = null);

/// <summary>
/// Webhooks: <c>/api/v1/webhooks</c> — create, list, read, change, delete and test them, read each one's delivery log
/// and redeliver past events. Managing a webhook takes the admin role on the namespace it watches.
/// </summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        var webhooks = api.MapGroup("/webhooks").WithTags("Webhooks");
        webhooks.MapPost("/", CreateAsync).WithSummary("Create a webhook: URL, event type patterns, namespace/model filter, secret, format (admin of the namespace)");
        webhooks.MapGet("/", ListAsync).WithSummary("List the webhooks of the namespaces the caller administers, newest first");
        webhooks.MapGet("/{id}", GetAsync).WithSummary("Read a webhook (never its secret)");
        webhooks.MapPatch("/{id}", UpdateAsync).WithSummary("Change a webhook; a new secret leaves the old one signing for secret_grace_seconds");
        webhooks.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a webhook and its delivery log");
        webhooks.MapPost("/{id}/test", TestAsync).WithSummary("Send an example event, signed, and report the receiver's answer");
        webhooks.MapGet("/{id}/deliveries", DeliveriesAsync).WithSummary("The webhook's deliveries, newest first, optionally by state");
        webhooks.MapGet("/{id}/deliveries/{deliveryId}", DeliveryAsync).WithSummary("One delivery with every attempt (time, status, latency, response excerpt, error)");
        webhooks.MapPost("/{id}/redeliver", RedeliverEventAsync).WithSummary("Send a past event (event_seq) to the webhook again, as a new delivery");
        webhooks.MapPost("/{id}/deliveries/{deliveryId}/redeliver", RedeliverAsync).WithSummary("Send a delivery's event again, as a new delivery");
        return api;
    }

    public static async Task<Created<WebhookResponse>> CreateAsync(WebhookRequest request, HttpContext http, Webhooks webhooks, CancellationToken cancellationToken)
    {
        var name = Required(request.Name, "name");
        var url = Required(request.Url, "url");
        var events = Patterns(request.Events ?? throw new InvalidParameterException("'events' is required: a list of event type patterns such as model_version.created."));
        if (request.SecretGraceSeconds is not null)
        {
            throw new InvalidParameterException("'secret_grace_seconds' applies to a change of secret (PATCH), not to a new webhook.");
        }
        var created = await webhooks.CreateAsync(http.Caller(), new CreateWebhookRequest(
            name, url, events, request.Description, EmptyIsNull(request.Secret, "secret"), Status(request.Status), request.Namespace, EmptyIsNull(request.Model, "model"),
            Format(request.Format)), cancellationToken);
        return TypedResults.Created(ApiPaths.Of("api/v1/webhooks", created.Id), Response(created));
    }

    public static async Task<Ok<WebhookList>> ListAsync(
        HttpContext http, Webhooks webhooks, CancellationToken cancellationToken,
        [FromQuery(Name = "max_results")] int? maxResults = null, [FromQuery(Name = "page_token")] string? pageToken = null)
    {
        var page = await webhooks.ListAsync(http.Caller(), maxResults, pageToken, cancellationToken);
        return TypedResults.Ok(new WebhookList(page.Webhooks.Select(Response).ToList(), page.NextPageToken));
    }

    public static async Task<Ok<WebhookResponse>> GetAsync(string id, HttpContext http, Webhooks webhooks, CancellationToken cancellationToken) =>
        TypedResults.Ok(Response(await webhooks.GetAsync(http.Caller(), id, cancellationToken)));

    public static async Task<Ok<WebhookResponse>> UpdateAsync(
        string id, WebhookRequest request, HttpContext http, Webhooks webhooks, CancellationToken cancellationToken)
    {
        if (request.Namespace is not null || request.Model is not null)
        {
            throw new InvalidParameterException(
                $"'{(request.Namespace is not null ? "namespace" : "model")}' cannot be changed: it decides who manages the webhook; create a new webhook instead.");
        }
        if (request.SecretGraceSeconds is < 0)
        {
            throw new InvalidParameterException($"'secret_grace_seconds' must be 0 or more; got {request.SecretGraceSeconds.Value.ToString(CultureInfo.InvariantCulture)}.");
        }
        if (request.SecretGraceSeconds is not null && request.Secret is null)
        {
            throw new InvalidParameterException("'secret_grace_seconds' goes with a new 'secret'.");
        }
        var updated = await webhooks.UpdateAsync(http.Caller(), id, new UpdateWebhookRequest(
            request.Name, request.Description, request.Url, request.Events is null ? null : Patterns(request.Events), EmptyIsNull(request.Secret, "secret"),
            Status(request.Status), request.SecretGraceSeconds is { } grace ? TimeSpan.FromSeconds(grace) : null, Format(request.Format)), cancellationToken);
        return TypedResults.Ok(Response(updated));
    }

    public static async Task<NoContent> DeleteAsync(string id, HttpContext http, Webhooks webhooks, CancellationToken cancellationToken)
    {
        await webhooks.DeleteAsync(http.Caller(), id, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<WebhookTestResult>> TestAsync(
        string id, HttpContext http, Webhooks webhooks, CancellationToken cancellationToken, [FromBody] WebhookTestRequest? request = null)
    {
        if (request?.Event is { } type && !EventCatalogue.AllTypes.Contains(type, StringComparer.Ordinal))
        {
            throw new InvalidParameterException($"'event' must be an event type (docs/events.md lists them); got '{type}'.");
        }
        return TypedResults.Ok(await webhooks.TestAsync(http.Caller(), id, request?.Event, cancellationToken));
    }

    public static async Task<Ok<WebhookDeliveryPage>> DeliveriesAsync(
        string id, HttpContext http, WebhookDeliveries deliveries, CancellationToken cancellationToken, string? state = null,
        [FromQuery(Name = "max_results")] int? maxResults = null, [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await deliveries.ListAsync(http.Caller(), id, state?.ToUpperInvariant(), maxResults, pageToken, cancellationToken));

    public static async Task<Ok<WebhookDeliveryRecord>> DeliveryAsync(
        string id, string deliveryId, HttpContext http, WebhookDeliveries deliveries, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deliveries.GetAsync(http.Caller(), id, deliveryId, cancellationToken));

    public static async Task<Accepted<WebhookDeliveryRecord>> RedeliverEventAsync(
        string id, RedeliverRequest request, HttpContext http, WebhookDeliveries deliveries, CancellationToken cancellationToken)
    {
        var seq = request.EventSeq is > 0 ? request.EventSeq.Value
            : throw new InvalidParameterException("'event_seq' is required: the seq of a past event (from the delivery log or GET /api/v1/events).");
        var created = await deliveries.RedeliverEventAsync(http.Caller(), id, seq, cancellationToken);
        return TypedResults.Accepted(ApiPaths.Of("api/v1/webhooks", id, "deliveries", created.Id), created);
    }

    public static async Task<Accepted<WebhookDeliveryRecord>> RedeliverAsync(
        string id, string deliveryId, HttpContext http, WebhookDeliveries deliveries, CancellationToken cancellationToken)
    {
        var created = await deliveries.RedeliverAsync(http.Caller(), id, deliveryId, cancellationToken);
        return TypedResults.Accepted(ApiPaths.Of("api/v1/webhooks", id, "deliveries", created.Id), created);
    }

    private static WebhookResponse Response(Webhook w) => new(
        w.Id, w.Name, w.Description, w.Url, w.Events, w.Namespace, w.Model, w.Status.ToString().ToUpperInvariant(), w.DisabledReason,
        FormatName(w.Format), w.HasSecret, w.CreatedAt, w.CreatedBy, w.UpdatedAt);

    private static string FormatName(WebhookFormat format) => format == WebhookFormat.CloudEvents ? "cloudevents" : "mlflow";

    private static List<string> Patterns(IReadOnlyList<string> events)
    {
        if (events.Count == 0)
        {
            throw new InvalidParameterException("'events' must name at least one event type pattern.");
        }
        foreach (var pattern in events)
        {
            EventCatalogue.CheckPattern(pattern ?? "", "events");
        }
        return [.. events];
    }

    private static string Required(string? value, string field) =>
        string.IsNullOrEmpty(value) ? throw new InvalidParameterException($"'{field}' is required.") : value;

    private static string? EmptyIsNull(string? value, string field) =>
        value is { Length: 0 } ? throw new InvalidParameterException($"'{field}' must not be empty; leave it out instead.") : value;

    private static WebhookStatus? Status(string? status) => status?.ToUpperInvariant() switch
    {
        null => null,
        "ACTIVE" => WebhookStatus.Active,
        "DISABLED" => WebhookStatus.Disabled,
        _ => throw new InvalidParameterException($"'status' must be ACTIVE or DISABLED; got '{status}'."),
    };

    private static WebhookFormat? Format(string? format) => format?.ToLowerInvariant() switch
    {
        null => null,
        "mlflow" => WebhookFormat.Mlflow,
        "cloudevents" => WebhookFormat.CloudEvents,
        _ => throw new InvalidParameterException($"'format' must be mlflow or cloudevents; got '{format}'."),
    };
}
