using System.Data.Common;
using System.Globalization;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Events;

/// <summary>
/// One attempt of a delivery, as the delivery log keeps it: its number (1 for the first), when it was made, the
/// receiver's HTTP status (null when no answer came), how long it took, the first KiB of the answer, or why no answer
/// came (timeout, refused connection).
/// </summary>
public sealed record WebhookAttempt(int Attempt, DateTimeOffset At, int? Status, long LatencyMs, string? ResponseExcerpt, string? Error);

/// <summary>
/// One event handed (or to be handed) to one webhook. <see cref="Id"/> is what the receiver sees as
/// <c>X-MLflow-Delivery-Id</c> and <c>webhook-id</c>, the same on every attempt: receivers deduplicate by it.
/// <see cref="State"/> is PENDING (waiting for its first or next attempt, at <see cref="NextAttemptAt"/>), SUCCEEDED or
/// FAILED (given up at the horizon); <see cref="RedeliveryOf"/> names the delivery this one repeats, when redelivered by
/// id; <see cref="AttemptLog"/> holds every attempt, oldest first, when one delivery is asked for.
/// </summary>
public sealed record WebhookDeliveryRecord(
    string Id, string WebhookId, long EventSeq, string EventType, string State, int Attempts, DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt, int? LastStatus, string? LastError, string? RedeliveryOf,
    IReadOnlyList<WebhookAttempt>? AttemptLog);

public sealed record WebhookDeliveryPage(IReadOnlyList<WebhookDeliveryRecord> Deliveries, string? NextPageToken);

/// <summary>
/// A webhook's delivery log, and redelivery of any past event it would receive (a new delivery, with a new id, sent
/// after those already waiting). Reading and redelivering take the admin role on the webhook's namespace.
/// </summary>
public sealed class WebhookDeliveries(CairnDatabase database, Webhooks webhooks, AuditChain audit, WebhookOptions options, TimeProvider clock)
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;
    private static readonly string[] States = ["PENDING", "SUCCEEDED", "FAILED"];

    private const string Select = """
        SELECT d.id, d.webhook_id, d.event_seq, e.type AS event_type, d.state, d.attempts, d.created_at, d.next_attempt_at,
            d.completed_at, d.last_status, d.last_error, d.redelivery_of
        FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq
        """;

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record Row
    {
        public string Id { get; init; } = "";
        public string WebhookId { get; init; } = "";
        public long EventSeq { get; init; }
        public string EventType { get; init; } = "";
        public string State { get; init; } = "";
        public long Attempts { get; init; }
        public long CreatedAt { get; init; }
        public long NextAttemptAt { get; init; }
        public long? CompletedAt { get; init; }
        public long? LastStatus { get; init; }
        public string? LastError { get; init; }
        public string? RedeliveryOf { get; init; }
    }

    private sealed record AttemptRow
    {
        public long Attempt { get; init; }
        public long At { get; init; }
        public long? Status { get; init; }
        public long LatencyMs { get; init; }
        public string? ResponseExcerpt { get; init; }
        public string? Error { get; init; }
    }

    /// <summary>The webhook's deliveries, newest first, optionally only those in <paramref name="state"/>.</summary>
    public async Task<WebhookDeliveryPage> ListAsync(
        Caller caller, string webhookId, string? state, int? maxResults, string? pageToken, CancellationToken cancellationToken)
    {
        if (state is not null && !States.Contains(state, StringComparer.Ordinal))
        {
            throw new InvalidParameterException($"'state' must be one of {string.Join(", ", States)}; got '{state}'.");
        }
        var size = Paging.PageSize(maxResults, DefaultPageSize, MaxPageSize);
        var shape = "webhook deliveries " + webhookId + " " + state;
        var offset = Paging.DecodeOffset(pageToken, shape);
        await webhooks.GetAsync(caller, webhookId, cancellationToken);
        var rows = await database.ReadAsync(async connection => (await connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            {Select}
            WHERE d.webhook_id = @webhookId AND (@state IS NULL OR d.state = @state)
            ORDER BY d.created_at DESC, d.event_seq DESC, d.id DESC LIMIT @limit OFFSET @offset
            """,
            new { webhookId, state, limit = size + 1, offset }, cancellationToken: cancellationToken))).ToList(), cancellationToken);
        string? next = null;
        if (rows.Count > size)
        {
            rows.RemoveAt(size);
            next = Paging.EncodeOffset(offset + size, shape);
        }
        return new WebhookDeliveryPage(rows.Select(r => ToRecord(r, null)).ToList(), next);
    }

    /// <summary>One delivery with every attempt made.</summary>
    public async Task<WebhookDeliveryRecord> GetAsync(Caller caller, string webhookId, string deliveryId, CancellationToken cancellationToken)
    {
        await webhooks.GetAsync(caller, webhookId, cancellationToken);
        return await database.ReadAsync(async connection =>
        {
            var row = await FindAsync(connection, null, webhookId, deliveryId, cancellationToken);
            var attempts = await connection.QueryAsync<AttemptRow>(new CommandDefinition(
                "SELECT attempt, at, status, latency_ms, response_excerpt, error FROM webhook_attempts WHERE delivery_id = @deliveryId ORDER BY attempt",
                new { deliveryId }, cancellationToken: cancellationToken));
            return ToRecord(row, attempts.Select(a => new WebhookAttempt(
                (int)a.Attempt, DateTimeOffset.FromUnixTimeMilliseconds(a.At), (int?)a.Status, a.LatencyMs, a.ResponseExcerpt, a.Error)).ToList());
        }, cancellationToken);
    }

    /// <summary>
    /// Sends event <paramref name="eventSeq"/> to the webhook again (or for the first time, had it been missed): any
    /// event up to the webhook's cursor that it would receive — of a type it subscribes to, in its namespace and model,
    /// readable by its creator.
    /// </summary>
    public async Task<WebhookDeliveryRecord> RedeliverEventAsync(Caller caller, string webhookId, long eventSeq, CancellationToken cancellationToken)
    {
        var webhook = await webhooks.GetAsync(caller, webhookId, cancellationToken);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var e = await connection.QuerySingleOrDefaultAsync<WebhookDispatcher.EventRow>(new CommandDefinition(
                "SELECT seq, type, resource, namespace, read_role FROM events WHERE seq = @eventSeq", new { eventSeq }, transaction, cancellationToken: cancellationToken))
                ?? throw new NotFoundException($"No event {eventSeq.ToString(CultureInfo.InvariantCulture)}.");
            var creator = await WebhookCreators.OfWebhookAsync(transaction, options, webhook.Id, cancellationToken);
            if (!WebhookDispatcher.Receives(webhook.Events, webhook.Namespace, webhook.Model, creator, e.Type, e.Resource, e.Namespace, Enum.Parse<Role>(e.ReadRole)))
            {
                throw new InvalidParameterException(
                    $"'event_seq' {eventSeq.ToString(CultureInfo.InvariantCulture)} is a {e.Type} event on '{e.Resource}', which webhook {webhookId} does not receive "
                    + "(its events, namespace, model, or what its creator may read).");
            }
            return await InsertAsync(transaction, caller, webhook.Id, eventSeq, null, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Sends the event of delivery <paramref name="deliveryId"/> again, as a new delivery that names the old one.</summary>
    public async Task<WebhookDeliveryRecord> RedeliverAsync(Caller caller, string webhookId, string deliveryId, CancellationToken cancellationToken)
    {
        await webhooks.GetAsync(caller, webhookId, cancellationToken);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var original = await FindAsync(connection, transaction, webhookId, deliveryId, cancellationToken);
            return await InsertAsync(transaction, caller, webhookId, original.EventSeq, original.Id, cancellationToken);
        }, cancellationToken);
    }

    private async Task<WebhookDeliveryRecord> InsertAsync(
        DbTransaction transaction, Caller caller, string webhookId, long eventSeq, string? redeliveryOf, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var id = Guid.NewGuid().ToString();
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO webhook_deliveries (id, webhook_id, event_seq, state, attempts, next_attempt_at, created_at, expires_at, redelivery_of)
            VALUES (@id, @webhookId, @eventSeq, 'PENDING', 0, @now, @now, @expires, @redeliveryOf)
            """,
            new { id, webhookId, eventSeq, now, expires = now + (long)options.Horizon.TotalMilliseconds, redeliveryOf }, transaction, cancellationToken: cancellationToken));
        var created = ToRecord(await FindAsync(transaction.Connection!, transaction, webhookId, id, cancellationToken), null);
        await audit.AppendAsync(transaction, caller.Name, "webhook.redeliver", Webhooks.Resource(webhookId), null, created, cancellationToken);
        return created;
    }

    private static async Task<Row> FindAsync(DbConnection connection, DbTransaction? transaction, string webhookId, string deliveryId, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"{Select} WHERE d.webhook_id = @webhookId AND d.id = @deliveryId", new { webhookId, deliveryId }, transaction, cancellationToken: cancellationToken))
        ?? throw new NotFoundException($"Webhook {webhookId} has no delivery {deliveryId}.");

    private static WebhookDeliveryRecord ToRecord(Row r, IReadOnlyList<WebhookAttempt>? attempts) => new(
        r.Id, r.WebhookId, r.EventSeq, r.EventType, r.State, (int)r.Attempts, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt),
        r.State == "PENDING" ? DateTimeOffset.FromUnixTimeMilliseconds(r.NextAttemptAt) : null,
        r.CompletedAt is { } completed ? DateTimeOffset.FromUnixTimeMilliseconds(completed) : null,
        (int?)r.LastStatus, r.LastError, r.RedeliveryOf, attempts);
}
