using Cairn.Storage;
using Dapper;

namespace Cairn.Events;

/// <summary>
/// How far webhook delivery is behind: the age of the oldest event that an active webhook has not yet received, either
/// still past its cursor (not fanned out yet) or waiting in a PENDING delivery (retrying or queued). The store's answer,
/// the same on every replica.
/// </summary>
public sealed class OutboxLag(CairnDatabase database, TimeProvider clock)
{
    /// <summary>
    /// The age of the oldest undelivered event, zero when nothing waits. Synchronous, for a metrics callback: two
    /// indexed lookups (the lowest active cursor's next event, the lowest pending delivery of an active webhook).
    /// </summary>
    public TimeSpan OldestUndelivered()
    {
        using var connection = database.Open();
        var oldest = connection.ExecuteScalar<long?>(
            """
            SELECT MIN(at) FROM (
                SELECT (SELECT e.at FROM events e WHERE e.seq > (SELECT MIN(w.cursor_seq) FROM webhooks w WHERE w.status = 'Active') ORDER BY e.seq LIMIT 1) AS at
                UNION ALL
                SELECT (SELECT e.at FROM events e WHERE e.seq = (
                    SELECT MIN(d.event_seq) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                    WHERE d.state = 'PENDING' AND w.status = 'Active')) AS at
            ) oldest
            """);
        return oldest is { } at ? TimeSpan.FromMilliseconds(Math.Max(0, clock.GetUtcNow().ToUnixTimeMilliseconds() - at)) : TimeSpan.Zero;
    }
}
