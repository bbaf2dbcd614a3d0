using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Events;

/// <summary>
/// Delivers events to webhooks, at least once and in order per webhook. Each cycle leases the active webhooks that have
/// work (new events past their cursor, or a pending delivery due) — on PostgreSQL with <c>FOR UPDATE SKIP LOCKED</c>, so
/// replicas take different webhooks — and in the same transaction fans the new events out to them as PENDING deliveries
/// and advances their cursors. Then each leased webhook's deliveries go out oldest first, the head one until it
/// succeeds or finally fails; a failed attempt is retried after an exponential backoff with full jitter (or what
/// <c>Retry-After</c> asks for), until the delivery's horizon, past which it fails and the webhook is disabled (an audited
/// <c>webhook.disable</c>). Every attempt is recorded; results are written in batches, each batch renewing the leases.
/// A dispatcher that dies leaves its leases to run out; another takes over and sends what was not recorded as done
/// again, under the same delivery ids.
/// </summary>
public sealed class WebhookDispatcher(
    CairnDatabase database, Webhooks webhooks, AuditChain audit, WebhookSender sender, WebhookOptions options, TimeProvider clock)
{
    /// <summary>Who disables a webhook whose delivery failed for good, as the audit log names it.</summary>
    public const string Actor = "cairn-dispatcher";

    private const int LeaseBatch = 100;
    private const int FanOutBatch = 5000;
    private const int DeliveryBatch = 200;
    private const int ResponseExcerptBytes = 1024;

    /// <summary>This dispatcher's name in <c>webhooks.lease_owner</c>: one per process (replica).</summary>
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record HookRow
    {
        public string Id { get; init; } = "";
        public string Url { get; init; } = "";
        public string? Secret { get; init; }
        public long SecretPlain { get; init; }
        public string? PreviousSecret { get; init; }
        public long? PreviousSecretUntil { get; init; }
        public string Namespace { get; init; } = "";
        public string? Model { get; init; }
        public string Format { get; init; } = "";
        public string CreatedBy { get; init; } = "";
        public string? CreatorKind { get; init; }
        public string? CreatorGroups { get; init; }
        public long CursorSeq { get; init; }

        public WebhookCreator Creator => new(CreatorKind, CreatedBy, CreatorGroups);
    }

    private sealed record WorkRow
    {
        public long CursorSeq { get; init; }
        public string? LeaseOwner { get; init; }
        public long? LeaseUntil { get; init; }
        public long? NextDue { get; init; }
    }

    /// <summary>What deciding whether a webhook receives an event reads of it (also for redelivery).</summary>
    internal sealed record EventRow
    {
        public long Seq { get; init; }
        public string Type { get; init; } = "";
        public string Resource { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string ReadRole { get; init; } = "";
    }

    private sealed record PendingRow
    {
        public string Id { get; init; } = "";
        public long EventSeq { get; init; }
        public long Attempts { get; init; }
        public long NextAttemptAt { get; init; }
        public long ExpiresAt { get; init; }
        public long At { get; init; }
        public string Type { get; init; } = "";
        public string Resource { get; init; } = "";
        public string? Payload { get; init; }
        public string? Before { get; init; }
    }

    /// <summary>
    /// When there is next work for this dispatcher: now when some webhook has new events or a due delivery, the earliest
    /// retry or lease expiry otherwise, null when there is nothing at all. A read: an idle dispatcher never takes the
    /// store's write lock.
    /// </summary>
    public async Task<DateTimeOffset?> NextWorkAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var rows = await database.ReadAsync(async connection => (await connection.QueryAsync<WorkRow>(new CommandDefinition(
            """
            SELECT w.lease_owner, w.lease_until,
                CASE WHEN w.cursor_seq < (SELECT COALESCE(MAX(seq), 0) FROM events) THEN 0
                     ELSE (SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 'PENDING') END AS next_due
            FROM webhooks w WHERE w.status = 'Active'
            """, cancellationToken: cancellationToken))).ToList(), cancellationToken);
        long? next = null;
        foreach (var row in rows)
        {
            if (row.NextDue is not { } due)
            {
                continue;
            }
            if (row.LeaseOwner is not null && row.LeaseOwner != Owner && row.LeaseUntil is { } until && until >= now.ToUnixTimeMilliseconds())
            {
                // Another dispatcher works it; should that one die, this one takes over when the lease runs out.
                due = Math.Max(due, until + 1);
            }
            next = next is null ? due : Math.Min(next.Value, due);
        }
        return next is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(next.Value);
    }

    /// <summary>One cycle: lease, fan out, deliver, record. Returns how many attempts were made.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var hooks = await LeaseAsync(cancellationToken);
        if (hooks.Count == 0)
        {
            return 0;
        }
        using var batch = new ResultBatch(database, webhooks, audit, options, clock, Owner, hooks.Select(h => h.Id).ToArray());
        using var working = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Slow receivers must not let the leases run out under a live dispatcher: what is done so far is written, and the
        // leases renewed, a few times per lease time.
        var renewal = RenewAsync(batch, working.Token);
        try
        {
            await Parallel.ForEachAsync(hooks, new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelWebhooks, CancellationToken = cancellationToken },
                async (hook, token) => await DeliverAsync(hook, batch, token));
        }
        finally
        {
            await working.CancelAsync();
            try
            {
                await renewal;
            }
            finally
            {
                // What was sent is recorded even when stopping or when a renewal failed; the leases are given back so
                // another replica needn't wait.
                await batch.FlushAsync(release: true, CancellationToken.None);
            }
        }
        return batch.Attempts;
    }

    private async Task RenewAsync(ResultBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.LeaseTime / 3, clock, cancellationToken);
                // Only the wait is cut short when the cycle ends: a flush under way finishes, or the attempts it took from
                // the batch would never be recorded and their deliveries sent again under the same attempt numbers.
                await batch.FlushAsync(release: false, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The cycle is over; its last flush gives the leases back.
        }
    }

    /// <summary>Leases the webhooks with work and fans their new events out to them, in one write transaction.</summary>
    private async Task<List<HookRow>> LeaseAsync(CancellationToken cancellationToken) =>
        await database.WriteAsync(async (connection, transaction) =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var head = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COALESCE(MAX(seq), 0) FROM events", transaction: transaction, cancellationToken: cancellationToken));
            var hooks = (await connection.QueryAsync<HookRow>(new CommandDefinition(
                $"""
                UPDATE webhooks SET lease_owner = @owner, lease_until = @until
                WHERE id IN (
                    SELECT w.id FROM webhooks w
                    WHERE w.status = 'Active' AND (w.lease_until IS NULL OR w.lease_until < @now OR w.lease_owner = @owner)
                      AND (w.cursor_seq < @head OR EXISTS (
                          SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 'PENDING' AND d.next_attempt_at <= @now))
                    ORDER BY w.ordinal LIMIT @limit {database.Dialect.SkipLocked})
                RETURNING id, url, secret, secret_plain, previous_secret, previous_secret_until, namespace, model, format, created_by, creator_kind, creator_groups, cursor_seq
                """,
                new { owner = Owner, until = now + (long)options.LeaseTime.TotalMilliseconds, now, head, limit = LeaseBatch },
                transaction, cancellationToken: cancellationToken))).ToList();
            var behind = hooks.Where(h => h.CursorSeq < head).ToList();
            if (behind.Count > 0)
            {
                await FanOutAsync(transaction, behind, head, now, cancellationToken);
            }
            return hooks;
        }, cancellationToken);

    /// <summary>
    /// Turns the events past each webhook's cursor into its PENDING deliveries: those of a type its patterns match, in its
    /// namespace (or below), of its model when it names one, and that its creator may read now.
    /// </summary>
    private async Task FanOutAsync(DbTransaction transaction, List<HookRow> hooks, long head, long now, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var from = hooks.Min(h => h.CursorSeq);
        var events = (await connection.QueryAsync<EventRow>(new CommandDefinition(
            "SELECT seq, type, resource, namespace, read_role FROM events WHERE seq > @from AND seq <= @head ORDER BY seq LIMIT @limit",
            new { from, head, limit = FanOutBatch }, transaction, cancellationToken: cancellationToken))).ToList();
        // Events commit in seq order (every writer holds the store's write lock), so nothing can appear below the head later.
        var reached = events.Count == FanOutBatch ? events[^1].Seq : head;
        var patterns = await webhooks.EventsAsync(connection, transaction, hooks.Select(h => h.Id).ToArray(), cancellationToken);
        var creators = await WebhookCreators.ResolveAsync(transaction, options, hooks.Select(h => h.Creator).ToList(), cancellationToken);
        var expires = now + (long)options.Horizon.TotalMilliseconds;
        var deliveries = new List<object>();
        foreach (var hook in hooks)
        {
            var creator = creators.GetValueOrDefault(hook.Creator);
            foreach (var e in events)
            {
                if (e.Seq <= hook.CursorSeq
                    || !Receives(patterns[hook.Id], hook.Namespace, hook.Model, creator, e.Type, e.Resource, e.Namespace, Enum.Parse<Role>(e.ReadRole)))
                {
                    continue;
                }
                deliveries.Add(new { id = Guid.NewGuid().ToString(), webhook_id = hook.Id, event_seq = e.Seq, now, expires });
            }
        }
        if (deliveries.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"""
                INSERT INTO webhook_deliveries (id, webhook_id, event_seq, state, attempts, next_attempt_at, created_at, expires_at)
                SELECT r.id, r.webhook_id, r.event_seq, 'PENDING', 0, r.now, r.now, r.expires
                FROM {database.Dialect.JsonRows("@rows", [("id", "text"), ("webhook_id", "text"), ("event_seq", "bigint"), ("now", "bigint"), ("expires", "bigint")])}
                """,
                new { rows = SqlDialects.RowsParameter(deliveries) }, transaction, cancellationToken: cancellationToken));
        }
        await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE webhooks SET cursor_seq = @reached WHERE {database.Dialect.InList("id", "@ids")} AND cursor_seq < @reached",
            new { reached, ids = hooks.Select(h => h.Id).ToArray() }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Whether a webhook receives an event: of a type its patterns match, in its namespace or below, of its model (the
    /// model itself, its versions, aliases and files) when it names one, and readable by its creator (null: a revoked
    /// or unknown creator, who reads nothing).
    /// </summary>
    internal static bool Receives(
        IReadOnlyList<string> patterns, string @namespace, string? model, Caller? creator, string type, string resource, string eventNamespace, Role readRole)
    {
        if (creator is null || !patterns.Any(p => EventCatalogue.Matches(p, type)) || !NamespacePath.Covers(@namespace, eventNamespace))
        {
            return false;
        }
        if (model is not null)
        {
            var modelResource = "models/" + model;
            if (resource != modelResource && !resource.StartsWith(modelResource + "/", StringComparison.Ordinal))
            {
                return false;
            }
        }
        return creator.Has(readRole, eventNamespace);
    }

    /// <summary>Sends one leased webhook's due deliveries in order, until one must wait (a retry) or none is left.</summary>
    private async Task DeliverAsync(HookRow hook, ResultBatch batch, CancellationToken cancellationToken)
    {
        var format = Enum.Parse<WebhookFormat>(hook.Format);
        while (true)
        {
            var pending = await database.ReadAsync(async connection => (await connection.QueryAsync<PendingRow>(new CommandDefinition(
                """
                SELECT d.id, d.event_seq, d.attempts, d.next_attempt_at, d.expires_at, e.at, e.type, e.resource, e.payload,
                    CASE WHEN e.type IN ('model_version_tag.set', 'model_version_tag.deleted') THEN a.before END AS before
                FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq LEFT JOIN audit_log a ON a.seq = d.event_seq
                WHERE d.webhook_id = @id AND d.state = 'PENDING'
                ORDER BY d.created_at, d.event_seq, d.id LIMIT @limit
                """,
                new { id = hook.Id, limit = DeliveryBatch }, cancellationToken: cancellationToken))).ToList(), cancellationToken);
            var secrets = webhooks.Secrets(hook.Secret, hook.SecretPlain != 0, hook.PreviousSecret, hook.PreviousSecretUntil, clock.GetUtcNow().ToUnixTimeMilliseconds());
            foreach (var delivery in pending)
            {
                var now = clock.GetUtcNow();
                if (delivery.NextAttemptAt > now.ToUnixTimeMilliseconds())
                {
                    // The head waits for its retry, and everything after it waits for the head.
                    return;
                }
                var (body, contentType) = WebhookSender.Body(format, delivery.Id, delivery.Type, delivery.Resource,
                    DateTimeOffset.FromUnixTimeMilliseconds(delivery.At), Data(format, delivery), options.CloudEventsSource);
                var result = await sender.SendAsync(hook.Url, secrets, delivery.Id, body, contentType, options.Timeout, cancellationToken);
                var attempt = delivery.Attempts + 1;
                var at = now.ToUnixTimeMilliseconds();
                if (result.Succeeded)
                {
                    batch.Add(hook.Id, delivery.Id, attempt, at, result, "SUCCEEDED", at, null);
                    continue;
                }
                var next = now + Backoff(attempt, result.RetryAfter);
                if (next.ToUnixTimeMilliseconds() > delivery.ExpiresAt)
                {
                    batch.Add(hook.Id, delivery.Id, attempt, at, result, "FAILED", at, null);
                    batch.Disable(hook.Id, $"Delivery {delivery.Id} (event {delivery.EventSeq}) failed for {options.Horizon} after {attempt} attempts; "
                        + $"last: {result.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? result.Error}.");
                    return;
                }
                batch.Add(hook.Id, delivery.Id, attempt, at, result, "PENDING", null, next.ToUnixTimeMilliseconds());
                return;
            }
            if (pending.Count < DeliveryBatch)
            {
                return;
            }
            // Recorded before the next page is read, so that page starts after what was just sent.
            await batch.FlushAsync(release: false, cancellationToken);
        }
    }

    /// <summary>MLflow's data for MLflow's six events in MLflow's format; Cairn's payload otherwise.</summary>
    private static JsonNode? Data(WebhookFormat format, PendingRow delivery)
    {
        var payload = delivery.Payload is null ? null : JsonNode.Parse(delivery.Payload);
        if (format == WebhookFormat.Mlflow && MlflowPayloads.IsMlflowEvent(delivery.Type))
        {
            return MlflowPayloads.Translate(delivery.Type, delivery.Resource, payload, delivery.Before is null ? null : JsonNode.Parse(delivery.Before)) ?? payload;
        }
        return payload;
    }

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1: what Retry-After asked, else exponential with full jitter.</summary>
    private TimeSpan Backoff(long attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } asked)
        {
            return asked;
        }
        var ceiling = Math.Min(options.RetryMaxDelay.TotalMilliseconds, options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }

    private static string? Excerpt(string? body)
    {
        if (body is null || System.Text.Encoding.UTF8.GetByteCount(body) <= ResponseExcerptBytes)
        {
            return body;
        }
        // Cut at a character boundary within the first KiB.
        var length = Math.Min(body.Length, ResponseExcerptBytes);
        while (System.Text.Encoding.UTF8.GetByteCount(body.AsSpan(0, length)) > ResponseExcerptBytes)
        {
            length--;
        }
        return body[..length];
    }

    /// <summary>
    /// Attempts and delivery outcomes waiting to be written: one transaction per batch, never per delivery, which also
    /// renews (or finally gives back) the leases of the cycle's webhooks and disables the webhooks whose delivery failed
    /// for good.
    /// </summary>
    private sealed class ResultBatch(
        CairnDatabase database, Webhooks webhooks, AuditChain audit, WebhookOptions options, TimeProvider clock, string owner, string[] leased) : IDisposable
    {
        private readonly ConcurrentQueue<object> _attempts = new();
        private readonly ConcurrentQueue<object> _outcomes = new();
        private readonly ConcurrentDictionary<string, string> _disabled = new(StringComparer.Ordinal);
        private readonly SemaphoreSlim _gate = new(1, 1);
        private int _count;

        public int Attempts => Volatile.Read(ref _count);

        public void Dispose() => _gate.Dispose();

        public void Add(string webhookId, string deliveryId, long attempt, long at, WebhookAttemptResult result, string state, long? completedAt, long? nextAttemptAt)
        {
            _attempts.Enqueue(new
            {
                delivery_id = deliveryId,
                attempt,
                at,
                status = result.Status,
                latency_ms = result.LatencyMs,
                response_excerpt = Excerpt(result.Body),
                error = result.Error,
            });
            _outcomes.Enqueue(new { id = deliveryId, webhook_id = webhookId, state, attempt, completed_at = completedAt, next_attempt_at = nextAttemptAt ?? at, last_status = result.Status, last_error = result.Error });
            Interlocked.Increment(ref _count);
            // Counted when made, as the receiver saw it, whether or not its record is written before a crash.
            CairnTelemetry.DeliveryAttempts.Add(1, new KeyValuePair<string, object?>("outcome", state switch { "SUCCEEDED" => "succeeded", "FAILED" => "failed", _ => "retrying" }));
        }

        public void Disable(string webhookId, string reason) => _disabled[webhookId] = reason;

        public async Task FlushAsync(bool release, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                var attempts = Drain(_attempts);
                var outcomes = Drain(_outcomes);
                var disabled = _disabled.ToArray();
                _disabled.Clear();
                try
                {
                    await WriteAsync(attempts, outcomes, disabled, release, cancellationToken);
                }
                catch
                {
                    // Not written: kept for the next flush (this cycle's last one, or the renewal after), never dropped.
                    attempts.ForEach(_attempts.Enqueue);
                    outcomes.ForEach(_outcomes.Enqueue);
                    foreach (var (id, reason) in disabled)
                    {
                        _disabled.TryAdd(id, reason);
                    }
                    throw;
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task WriteAsync(List<object> attempts, List<object> outcomes, KeyValuePair<string, string>[] disabled, bool release, CancellationToken cancellationToken)
        {
            var dialect = database.Dialect;
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await database.WriteAsync(async (connection, transaction) =>
            {
                if (attempts.Count > 0)
                {
                    // A replica that took over after a lease ran out may have recorded the same attempt number; a webhook
                    // deleted meanwhile took its deliveries with it.
                    await connection.ExecuteAsync(new CommandDefinition(
                        $"""
                        INSERT INTO webhook_attempts (delivery_id, attempt, at, status, latency_ms, response_excerpt, error)
                        SELECT r.delivery_id, r.attempt, r.at, r.status, r.latency_ms, r.response_excerpt, r.error
                        FROM {dialect.JsonRows("@rows", [("delivery_id", "text"), ("attempt", "bigint"), ("at", "bigint"), ("status", "bigint"), ("latency_ms", "bigint"), ("response_excerpt", "text"), ("error", "text")])}
                        WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = r.delivery_id)
                        ON CONFLICT (delivery_id, attempt) DO NOTHING
                        """,
                        new { rows = SqlDialects.RowsParameter(attempts) }, transaction, cancellationToken: cancellationToken));
                    await connection.ExecuteAsync(new CommandDefinition(
                        $"""
                        UPDATE webhook_deliveries SET state = r.state, attempts = r.attempt, completed_at = r.completed_at,
                            next_attempt_at = r.next_attempt_at, last_status = r.last_status, last_error = r.last_error
                        FROM {dialect.JsonRows("@rows", [("id", "text"), ("state", "text"), ("attempt", "bigint"), ("completed_at", "bigint"), ("next_attempt_at", "bigint"), ("last_status", "bigint"), ("last_error", "text")])}
                        WHERE webhook_deliveries.id = r.id AND webhook_deliveries.state = 'PENDING'
                        """,
                        new { rows = SqlDialects.RowsParameter(outcomes) }, transaction, cancellationToken: cancellationToken));
                }
                foreach (var (id, reason) in disabled)
                {
                    await DisableAsync(transaction, id, reason, now, cancellationToken);
                }
                await connection.ExecuteAsync(new CommandDefinition(
                    release
                        ? $"UPDATE webhooks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @owner AND {dialect.InList("id", "@leased")}"
                        : $"UPDATE webhooks SET lease_until = @until WHERE lease_owner = @owner AND {dialect.InList("id", "@leased")}",
                    new { owner, leased, until = now + (long)options.LeaseTime.TotalMilliseconds },
                    transaction, cancellationToken: cancellationToken));
                return true;
            }, cancellationToken);
        }

        private async Task DisableAsync(DbTransaction transaction, string id, string reason, long now, CancellationToken cancellationToken)
        {
            Webhook before;
            try
            {
                before = await webhooks.LoadAsync(transaction, id, cancellationToken);
            }
            catch (NotFoundException)
            {
                return;
            }
            if (before.Status != WebhookStatus.Active)
            {
                return;
            }
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                "UPDATE webhooks SET status = 'Disabled', disabled_reason = @reason, updated_at = @now WHERE id = @id",
                new { id, reason, now = Math.Max(now, before.UpdatedAt.ToUnixTimeMilliseconds() + 1) }, transaction, cancellationToken: cancellationToken));
            var after = await webhooks.LoadAsync(transaction, id, cancellationToken);
            await audit.AppendAsync(transaction, Actor, "webhook.disable", Webhooks.Resource(id), before, after, cancellationToken);
        }

        private static List<object> Drain(ConcurrentQueue<object> queue)
        {
            var items = new List<object>();
            while (queue.TryDequeue(out var item))
            {
                items.Add(item);
            }
            return items;
        }
    }
}
