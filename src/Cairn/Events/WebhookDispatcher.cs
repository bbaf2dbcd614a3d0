using System.Text.Json.Nodes;
using Cairn.Storage;
using Dapper;

namespace Cairn.Events;

/// <summary>One hand-over of an event to a webhook: the receiver's status, or why none came.</summary>
public sealed record WebhookDelivery(long EventId, string WebhookId, WebhookEvent Event, int? Status, string? Error)
{
    public bool Succeeded => Status is < 400;
}

/// <summary>
/// Hands the outbox's events to the active webhooks subscribed to them, oldest first. A batch of events is leased (on
/// PostgreSQL with <c>FOR UPDATE SKIP LOCKED</c>, so replicas take different rows) for <see cref="LeaseTime"/>, delivered,
/// then marked delivered; a dispatcher that dies mid-batch leaves its lease to run out and another takes the rows.
/// Each event goes to each webhook once, as MLflow 3.5 sends it; retrying failed deliveries and keeping every attempt
/// is not done here.
/// </summary>
public sealed class WebhookDispatcher(CairnDatabase database, WebhookSender sender, WebhookOptions options, TimeProvider clock)
{
    private const int BatchSize = 100;

    // MLflow's delivery pool (MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS): webhooks are served side by side, each in event order.
    private const int ParallelWebhooks = 10;

    /// <summary>How long a leased batch is kept from other dispatchers.</summary>
    public static TimeSpan LeaseTime { get; } = TimeSpan.FromMinutes(5);

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record EventRow
    {
        public long Id { get; init; }
        public string Entity { get; init; } = "";
        public string Action { get; init; } = "";
        public string Payload { get; init; } = "";
    }

    private sealed record Subscription
    {
        public string Id { get; init; } = "";
        public string Url { get; init; } = "";
        public string? Secret { get; init; }
        public string Entity { get; init; } = "";
        public string Action { get; init; } = "";
    }

    /// <summary>Whether any event waits for delivery; a read, so that an idle dispatcher never takes the write lock.</summary>
    public async Task<bool> HasPendingAsync(CancellationToken cancellationToken) =>
        await database.ReadAsync(connection => connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM outbox WHERE delivered_at IS NULL AND (lease_until IS NULL OR lease_until < @now) ORDER BY id LIMIT 1",
            new { now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)), cancellationToken) is not null;

    /// <summary>Delivers one batch of pending events; returns every delivery made (none when nothing was pending).</summary>
    public async Task<IReadOnlyList<WebhookDelivery>> DispatchAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var events = await database.WriteAsync(async (connection, transaction) => (await connection.QueryAsync<EventRow>(new CommandDefinition(
            $"""
            UPDATE outbox SET lease_until = @until
            WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NULL AND (lease_until IS NULL OR lease_until < @now)
                         ORDER BY id LIMIT @limit {database.Dialect.SkipLocked})
            RETURNING id, entity, action, payload
            """,
            new { now, until = now + (long)LeaseTime.TotalMilliseconds, limit = BatchSize }, transaction, cancellationToken: cancellationToken)))
            .OrderBy(e => e.Id).ToList(), cancellationToken);
        if (events.Count == 0)
        {
            return [];
        }
        var subscriptions = await database.ReadAsync(async connection => (await connection.QueryAsync<Subscription>(new CommandDefinition(
            """
            SELECT w.id, w.url, w.secret, e.entity, e.action FROM webhooks w JOIN webhook_events e ON e.webhook_id = w.id
            WHERE w.status = 'Active'
            """,
            cancellationToken: cancellationToken))).ToList(), cancellationToken);
        var work = subscriptions
            .GroupBy(s => s.Id)
            .Select(hook => (Hook: hook.First(), Events: events.Where(e => hook.Any(s => s.Entity == e.Entity && s.Action == e.Action)).ToList()))
            .Where(w => w.Events.Count > 0)
            .ToList();
        var deliveries = new System.Collections.Concurrent.ConcurrentBag<WebhookDelivery>();
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = ParallelWebhooks, CancellationToken = cancellationToken }, async (item, token) =>
        {
            foreach (var row in item.Events)
            {
                deliveries.Add(await DeliverAsync(item.Hook, row, token));
            }
        });
        var ids = events.Select(e => e.Id).ToArray();
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE outbox SET delivered_at = @at, lease_until = NULL WHERE {database.Dialect.InList("id", "@ids")}",
            new { at = clock.GetUtcNow().ToUnixTimeMilliseconds(), ids }, transaction, cancellationToken: cancellationToken)), cancellationToken);
        return [.. deliveries.OrderBy(d => d.EventId)];
    }

    private async Task<WebhookDelivery> DeliverAsync(Subscription hook, EventRow row, CancellationToken cancellationToken)
    {
        var @event = new WebhookEvent(row.Entity, row.Action);
        try
        {
            var (status, _) = await sender.SendAsync(hook.Url, hook.Secret, @event, (JsonObject)JsonNode.Parse(row.Payload)!, options.Timeout, cancellationToken);
            return new WebhookDelivery(row.Id, hook.Id, @event, status, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new WebhookDelivery(row.Id, hook.Id, @event, null, $"{e.GetType().Name}: {e.Message}");
        }
    }
}
