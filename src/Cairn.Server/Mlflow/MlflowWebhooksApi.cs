using System.Globalization;
using System.Text.Json.Serialization;
using Cairn.Events;
using Cairn.Tracking;

namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow 3.x's webhook endpoints (webhooks.proto) over Cairn's <see cref="Webhooks"/>. MLflow names events by proto
/// enums (<c>{"entity": "MODEL_VERSION", "action": "CREATED"}</c>, or their numbers); Cairn by lower-case names.
/// </summary>
internal static class MlflowWebhooksApi
{
    // The proto enums' names in their numeric order (WebhookEntity, WebhookAction, WebhookStatus); 0 is "unspecified".
    private static readonly string[] EntityNames =
    [
        "ENTITY_UNSPECIFIED", "REGISTERED_MODEL", "MODEL_VERSION", "MODEL_VERSION_TAG", "MODEL_VERSION_ALIAS",
        "PROMPT", "PROMPT_VERSION", "PROMPT_TAG", "PROMPT_VERSION_TAG", "PROMPT_ALIAS",
    ];

    private static readonly string[] ActionNames = ["ACTION_UNSPECIFIED", "CREATED", "UPDATED", "DELETED", "SET"];

    public static RouteGroupBuilder MapMlflowWebhooks(this RouteGroupBuilder group)
    {
        var webhooks = group.MapGroup("/webhooks");
        webhooks.MapPost("", async (HttpContext c, Webhooks s) =>
        {
            var m = await MlflowJson.ReadAsync<WebhookMessage>(c);
            var created = await s.CreateAsync(c.Caller(), new CreateWebhookRequest(
                Required(m.Name, "name"), Required(m.Url, "url"), Events(m.Events ?? throw TrackingLimits.Missing("events")),
                NullIfEmpty(m.Description), NullIfEmpty(m.Secret), Status(m.Status)), c.RequestAborted);
            return MlflowJson.Ok(new { webhook = WebhookJson(created) });
        });
        webhooks.MapGet("", async (HttpContext c, Webhooks s) =>
        {
            var m = await MlflowJson.ReadAsync<WebhookMessage>(c);
            var page = await s.ListAsync(c.Caller(), m.MaxResults, NullIfEmpty(m.PageToken), c.RequestAborted);
            return MlflowJson.Ok(new { webhooks = page.Webhooks.Select(WebhookJson), next_page_token = page.NextPageToken });
        });
        webhooks.MapGet("/{webhook_id}", async (string webhook_id, HttpContext c, Webhooks s) =>
            MlflowJson.Ok(new { webhook = WebhookJson(await s.GetAsync(c.Caller(), webhook_id, c.RequestAborted)) }));
        webhooks.MapPatch("/{webhook_id}", async (string webhook_id, HttpContext c, Webhooks s) =>
        {
            var m = await MlflowJson.ReadAsync<WebhookMessage>(c);
            // As in MLflow, an empty string or list leaves the field as it is.
            var updated = await s.UpdateAsync(c.Caller(), webhook_id, new UpdateWebhookRequest(
                NullIfEmpty(m.Name), NullIfEmpty(m.Description), NullIfEmpty(m.Url), m.Events is { Count: > 0 } events ? Events(events) : null,
                NullIfEmpty(m.Secret), Status(m.Status)), c.RequestAborted);
            return MlflowJson.Ok(new { webhook = WebhookJson(updated) });
        });
        webhooks.MapDelete("/{webhook_id}", async (string webhook_id, HttpContext c, Webhooks s) =>
        {
            await s.DeleteAsync(c.Caller(), webhook_id, c.RequestAborted);
            return MlflowJson.Empty;
        });
        webhooks.MapPost("/{webhook_id}/test", async (string webhook_id, HttpContext c, Webhooks s) =>
        {
            var m = await MlflowJson.ReadAsync<WebhookMessage>(c);
            var result = await s.TestAsync(c.Caller(), webhook_id, m.Event is null ? null : Event(m.Event).ToString(), c.RequestAborted);
            return MlflowJson.Ok(new
            {
                result = new
                {
                    success = result.Success,
                    response_status = result.ResponseStatus,
                    response_body = result.ResponseBody,
                    error_message = result.ErrorMessage,
                },
            });
        });
        return group;
    }

    private static object WebhookJson(Webhook webhook) => new
    {
        webhook_id = webhook.Id,
        name = webhook.Name,
        description = string.IsNullOrEmpty(webhook.Description) ? null : webhook.Description,
        url = webhook.Url,
        // A native webhook's pattern (model_version.*) shows as its two halves too.
        events = webhook.Events.Select(e => e.LastIndexOf('.') is var dot and >= 0
            ? new { entity = e[..dot].ToUpperInvariant(), action = e[(dot + 1)..].ToUpperInvariant() }
            : new { entity = e.ToUpperInvariant(), action = "" }),
        status = webhook.Status.ToString().ToUpperInvariant(),
        creation_timestamp = webhook.CreatedAt.ToUnixTimeMilliseconds(),
        last_updated_timestamp = webhook.UpdatedAt.ToUnixTimeMilliseconds(),
    };

    private static List<string> Events(List<EventMessage> events) => events.Select(e => Event(e).ToString()).ToList();

    private static WebhookEvent Event(EventMessage message) =>
        WebhookEvent.Of(EnumName(message.Entity, EntityNames, "entity"), EnumName(message.Action, ActionNames, "action"));

    /// <summary>A proto enum given by name or number, as Cairn's lower-case name.</summary>
    private static string EnumName(string? value, string[] names, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidParameterException($"Missing value for required parameter 'events.{field}'.");
        }
        var name = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number < names.Length ? names[number] : value;
        return name.ToLowerInvariant();
    }

    private static WebhookStatus? Status(string? status) => status switch
    {
        null or "" => null,
        "ACTIVE" or "1" => WebhookStatus.Active,
        "DISABLED" or "2" => WebhookStatus.Disabled,
        _ => throw new InvalidParameterException($"Invalid webhook status '{status}'. Valid statuses are: ['ACTIVE', 'DISABLED']"),
    };

    private static string Required(string? value, string parameter) =>
        string.IsNullOrEmpty(value) ? throw TrackingLimits.Missing(parameter) : value;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>The fields of every webhook request message.</summary>
    internal sealed class WebhookMessage
    {
        public string? Name { get; set; }
        public string? Description { get; set; }
        public string? Url { get; set; }
        public List<EventMessage>? Events { get; set; }
        public EventMessage? Event { get; set; }
        public string? Secret { get; set; }
        [JsonConverter(typeof(MlflowJson.NumberOrStringConverter))]
        public string? Status { get; set; }
        public int? MaxResults { get; set; }
        public string? PageToken { get; set; }
    }

    internal sealed class EventMessage
    {
        [JsonConverter(typeof(MlflowJson.NumberOrStringConverter))]
        public string? Entity { get; set; }
        [JsonConverter(typeof(MlflowJson.NumberOrStringConverter))]
        public string? Action { get; set; }
    }
}
