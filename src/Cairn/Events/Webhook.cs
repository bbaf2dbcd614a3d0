using System.Text.RegularExpressions;

namespace Cairn.Events;

/// <summary>Whether a webhook is told of events.</summary>
public enum WebhookStatus
{
    Active = 1,
    Disabled = 2,
}

/// <summary>
/// A kind of registry event a webhook can subscribe to: an entity (<c>model_version</c>) and what happened to it
/// (<c>created</c>). Written <c>model_version.created</c>.
/// </summary>
public sealed record WebhookEvent(string Entity, string Action)
{
    // Which actions each entity has (MLflow 3.5's VALID_ENTITY_ACTIONS). The prompt entities never fire in Cairn,
    // which has no prompts, but a subscription to them is accepted as MLflow accepts it.
    private static readonly Dictionary<string, string[]> ValidActions = new(StringComparer.Ordinal)
    {
        ["registered_model"] = ["created"],
        ["model_version"] = ["created"],
        ["model_version_tag"] = ["set", "deleted"],
        ["model_version_alias"] = ["created", "deleted"],
        ["prompt"] = ["created"],
        ["prompt_version"] = ["created"],
        ["prompt_tag"] = ["set", "deleted"],
        ["prompt_version_tag"] = ["set", "deleted"],
        ["prompt_alias"] = ["created", "deleted"],
    };

    private static readonly string[] Actions = ["created", "updated", "deleted", "set"];

    /// <summary>Every entity a webhook can name, in MLflow's order.</summary>
    public static IReadOnlyCollection<string> Entities => ValidActions.Keys;

    /// <summary>
    /// The event for an entity and action, each given by name (<c>model_version</c>, <c>created</c>); an unknown name or
    /// an action the entity does not have is refused with MLflow's message.
    /// </summary>
    public static WebhookEvent Of(string entity, string action)
    {
        if (!ValidActions.TryGetValue(entity, out var valid))
        {
            throw new InvalidParameterException($"Invalid webhook entity '{entity}'. Valid entities are: {PythonList(ValidActions.Keys)}");
        }
        if (!Actions.Contains(action, StringComparer.Ordinal))
        {
            throw new InvalidParameterException($"Invalid webhook action '{action}'. Valid actions are: {PythonList(Actions)}");
        }
        return valid.Contains(action, StringComparer.Ordinal)
            ? new WebhookEvent(entity, action)
            : throw new InvalidParameterException(
                $"Invalid action '{action}' for entity '{entity}'. Valid actions are: {PythonList(valid.Order(StringComparer.Ordinal))}");
    }

    /// <summary>Parses <c>entity.action</c>.</summary>
    public static WebhookEvent Parse(string text) => text.Split('.') is [var entity, var action]
        ? Of(entity, action)
        : throw new InvalidParameterException(
            $"Invalid event string format: {text}. Expected format: 'entity.action' (e.g., 'registered_model.created')");

    public override string ToString() => $"{Entity}.{Action}";

    // MLflow prints the valid names as a Python list; its clients' messages read the same here.
    private static string PythonList(IEnumerable<string> names) => "[" + string.Join(", ", names.Select(n => $"'{n}'")) + "]";
}

/// <summary>How a delivery's body is written.</summary>
public enum WebhookFormat
{
    /// <summary>MLflow 3's <c>{"entity", "action", "timestamp", "data"}</c>; MLflow's data for MLflow's six events.</summary>
    Mlflow = 1,

    /// <summary>A CloudEvents 1.0 structured JSON event (<c>application/cloudevents+json</c>).</summary>
    CloudEvents = 2,
}

/// <summary>
/// A webhook as every API shows it. The secret is never part of it: only whether one is set. <see cref="Events"/> are
/// event type patterns (<c>model_version.created</c>, <c>model_version.*</c>); the webhook receives the events of
/// <see cref="Namespace"/> and the namespaces below it (of <see cref="Model"/> only, when set) that its creator may read.
/// </summary>
public sealed record Webhook(
    string Id, string Name, string? Description, string Url, IReadOnlyList<string> Events, WebhookStatus Status,
    bool HasSecret, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt,
    string Namespace, string? Model, WebhookFormat Format, string? DisabledReason);

/// <summary>A new webhook. <see cref="Status"/> null means active; <see cref="Namespace"/> null means the root (or the model's).</summary>
public sealed record CreateWebhookRequest(
    string Name, string Url, IReadOnlyList<string> Events, string? Description = null, string? Secret = null, WebhookStatus? Status = null,
    string? Namespace = null, string? Model = null, WebhookFormat? Format = null);

/// <summary>
/// Changes to a webhook; a null field is left as it is. A new <see cref="Secret"/> leaves the previous one valid for
/// <see cref="SecretGrace"/> (by default <see cref="WebhookOptions.SecretGrace"/>).
/// </summary>
public sealed record UpdateWebhookRequest(
    string? Name = null, string? Description = null, string? Url = null, IReadOnlyList<string>? Events = null,
    string? Secret = null, WebhookStatus? Status = null, TimeSpan? SecretGrace = null, WebhookFormat? Format = null);

public sealed record WebhookPage(IReadOnlyList<Webhook> Webhooks, string? NextPageToken);

/// <summary>
/// What a test delivery got: the receiver's status and body, or (when no answer came) why not. A status of 400 or
/// more is not a success.
/// </summary>
public sealed record WebhookTestResult(bool Success, int? ResponseStatus, string? ResponseBody, string? ErrorMessage);

/// <summary>Webhook settings (configuration section <c>Cairn:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>URL schemes a webhook may use (MLflow's MLFLOW_WEBHOOK_ALLOWED_SCHEMES; by default https only).</summary>
    public IReadOnlyList<string> AllowedSchemes { get; init; } = ["https"];

    /// <summary>How long one delivery attempt waits for the receiver (MLflow's MLFLOW_WEBHOOK_REQUEST_TIMEOUT, 30 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle dispatcher looks for new events written by other replicas (its own commits wake it at once).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The first retry waits up to this long; each later one up to twice as long (full jitter).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts (a <c>Retry-After</c> may ask for longer).</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long a delivery is retried from its creation before it fails and its webhook is disabled.</summary>
    public TimeSpan Horizon { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long a dispatcher holds a webhook before another replica may take it over (renewed while working).</summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a rotated-out secret keeps signing when the change names no grace period.</summary>
    public TimeSpan SecretGrace { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How many webhooks one dispatcher serves side by side (each in its own event order).</summary>
    public int MaxParallelWebhooks { get; init; } = 10;

    /// <summary>The CloudEvents <c>source</c> of every event (the server's base URL, when configured).</summary>
    public string CloudEventsSource { get; init; } = "/cairn";

    /// <summary>
    /// Whether authentication is on: a webhook then receives only what its creator (an API token, or a user with the
    /// groups it had at creation) may read now by its role bindings, and nothing once the token is revoked or the
    /// bindings taken away. Without auth every creator reads everything. (The name predates user creators.)
    /// </summary>
    public bool CreatorsAreTokens { get; init; }
}

/// <summary>The checks MLflow makes on a webhook's name, URL and events, with its messages.</summary>
public static partial class WebhookRules
{
    // 1 to 63 characters of letters, digits, '.', '_' and '-', starting and ending with a letter or digit.
    [GeneratedRegex(@"\A(?=.{1,63}\z)[a-z0-9]([a-z0-9._-]*[a-z0-9])?\z", RegexOptions.IgnoreCase)]
    private static partial Regex NamePattern();

    public static void CheckName(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw new InvalidParameterException(
                $"Webhook name '{name}' is invalid. It must start and end with a letter or digit, be less than 63 characters long, "
                + "and contain only letters, digits, dots (.), underscores (_), and hyphens (-).");
        }
    }

    public static void CheckUrl(string url, IReadOnlyList<string> allowedSchemes)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new InvalidParameterException($"Webhook URL cannot be empty or just whitespace: '{url}'");
        }
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon > 0 && Uri.CheckSchemeName(url[..colon]) ? url[..colon].ToLowerInvariant() : "";
        if (!allowedSchemes.Contains(scheme, StringComparer.Ordinal))
        {
            throw new InvalidParameterException(
                $"Invalid webhook URL scheme: '{scheme}'. Allowed schemes are: {string.Join(", ", allowedSchemes)}.");
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Host.Length == 0)
        {
            throw new InvalidParameterException($"Invalid webhook URL '{url}': it names no host.");
        }
    }

    public static void CheckEvents(IReadOnlyList<string>? events)
    {
        if (events is not { Count: > 0 })
        {
            throw new InvalidParameterException("Webhook events must be a non-empty list of WebhookEvent objects: [].");
        }
    }
}
