namespace Cairn.Client;

/// <summary>A webhook as the API shows it: never its secret, only whether one is set.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Description">What it is for.</param>
/// <param name="Url">Where deliveries are posted.</param>
/// <param name="Events">Event type patterns, such as <c>model_version.created</c> or <c>model_version.*</c>.</param>
/// <param name="Namespace">The namespace watched, with the ones below it.</param>
/// <param name="Model">The one model watched, when set.</param>
/// <param name="Status"><c>ACTIVE</c> or <c>DISABLED</c>.</param>
/// <param name="DisabledReason">Why the server disabled it (a delivery that failed for good).</param>
/// <param name="Format"><c>mlflow</c> or <c>cloudevents</c>.</param>
/// <param name="HasSecret">Whether deliveries are signed.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">Who created it: it receives only what they may read.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record Webhook(
    string Id, string Name, string? Description, string Url, IReadOnlyList<string> Events, string Namespace, string? Model,
    string Status, string? DisabledReason, string Format, bool HasSecret, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt);

/// <summary>A webhook to create, or the changes to make to one (fields left null are not changed).</summary>
/// <param name="Name">Its name: letters, digits, '.', '_', '-'.</param>
/// <param name="Description">What it is for.</param>
/// <param name="Url">Where deliveries are posted (https unless the server allows http).</param>
/// <param name="Events">Event type patterns.</param>
/// <param name="Namespace">The namespace watched (creation only).</param>
/// <param name="Model">The one model watched (creation only).</param>
/// <param name="Secret">The signing secret; never returned.</param>
/// <param name="SecretGraceSeconds">On a change of secret, how long the old one keeps signing (default 24 h).</param>
/// <param name="Status"><c>ACTIVE</c> or <c>DISABLED</c>.</param>
/// <param name="Format"><c>mlflow</c> (default) or <c>cloudevents</c>.</param>
public sealed record WebhookRequest(
    string? Name = null, string? Description = null, string? Url = null, IReadOnlyList<string>? Events = null, string? Namespace = null,
    string? Model = null, string? Secret = null, long? SecretGraceSeconds = null, string? Status = null, string? Format = null);

/// <summary>One page of webhooks, newest first.</summary>
/// <param name="Webhooks">The webhooks on this page.</param>
/// <param name="NextPageToken">Pass it back for the next page; null on the last.</param>
public sealed record WebhookPage(IReadOnlyList<Webhook> Webhooks, string? NextPageToken);

/// <summary>What a test delivery got.</summary>
/// <param name="Success">Whether the receiver answered below 400.</param>
/// <param name="ResponseStatus">Its status, or null when no answer came.</param>
/// <param name="ResponseBody">Its answer.</param>
/// <param name="ErrorMessage">Why no answer came.</param>
public sealed record WebhookTestResult(bool Success, int? ResponseStatus, string? ResponseBody, string? ErrorMessage);

/// <summary>One attempt of a delivery.</summary>
/// <param name="Attempt">Its number, from 1.</param>
/// <param name="At">When it was made.</param>
/// <param name="Status">The receiver's status, or null when no answer came.</param>
/// <param name="LatencyMs">How long it took.</param>
/// <param name="ResponseExcerpt">The first KiB of the answer.</param>
/// <param name="Error">Why no answer came.</param>
public sealed record WebhookAttempt(int Attempt, DateTimeOffset At, int? Status, long LatencyMs, string? ResponseExcerpt, string? Error);

/// <summary>One event handed to one webhook; its id is the receiver's <c>webhook-id</c>, the same on every attempt.</summary>
/// <param name="Id">The delivery id.</param>
/// <param name="WebhookId">The webhook.</param>
/// <param name="EventSeq">The event's seq.</param>
/// <param name="EventType">The event's type.</param>
/// <param name="State"><c>PENDING</c>, <c>SUCCEEDED</c> or <c>FAILED</c>.</param>
/// <param name="Attempts">How many attempts were made.</param>
/// <param name="CreatedAt">When the delivery was created.</param>
/// <param name="NextAttemptAt">When a pending delivery is next tried.</param>
/// <param name="CompletedAt">When it succeeded or failed for good.</param>
/// <param name="LastStatus">The last attempt's status.</param>
/// <param name="LastError">The last attempt's error.</param>
/// <param name="RedeliveryOf">The delivery it repeats.</param>
/// <param name="AttemptLog">Every attempt (when one delivery is read).</param>
public sealed record WebhookDelivery(
    string Id, string WebhookId, long EventSeq, string EventType, string State, int Attempts, DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt, int? LastStatus, string? LastError, string? RedeliveryOf,
    IReadOnlyList<WebhookAttempt>? AttemptLog);

/// <summary>One page of a webhook's deliveries, newest first.</summary>
/// <param name="Deliveries">The deliveries on this page.</param>
/// <param name="NextPageToken">Pass it back for the next page; null on the last.</param>
public sealed record WebhookDeliveryPage(IReadOnlyList<WebhookDelivery> Deliveries, string? NextPageToken);
