using System.Data.Common;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Events;

/// <summary>
/// Webhooks: HTTP endpoints to tell of registry events. Creating, changing and removing one is an audited mutation
/// of its own; the secret is stored to sign deliveries and never leaves through this class (nor the audit log).
/// Webhooks see events of every namespace, so managing them takes the admin role on the root.
/// </summary>
public sealed class Webhooks(CairnDatabase database, AuditChain audit, TimeProvider clock, WebhookOptions options, WebhookSender sender)
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;
    // The root namespace: a role there covers every model, as a webhook's events do.
    private const string Everywhere = "/";
    private const string ListShape = "webhooks newest first";

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record Row
    {
        public string Id { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Description { get; init; }
        public string Url { get; init; } = "";
        public string? Secret { get; init; }
        public string Status { get; init; } = "";
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
    }

    private sealed record EventRow
    {
        public string WebhookId { get; init; } = "";
        public string Entity { get; init; } = "";
        public string Action { get; init; } = "";
    }

    public async Task<Webhook> CreateAsync(Caller caller, CreateWebhookRequest request, CancellationToken cancellationToken)
    {
        WebhookRules.CheckName(request.Name);
        WebhookRules.CheckUrl(request.Url, options.AllowedSchemes);
        WebhookRules.CheckEvents(request.Events);
        caller.Require(Role.Admin, Everywhere);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new Row
        {
            Id = Guid.NewGuid().ToString(),
            Name = request.Name,
            Description = request.Description,
            Url = request.Url,
            Secret = request.Secret,
            Status = (request.Status ?? WebhookStatus.Active).ToString(),
            CreatedAt = now,
            CreatedBy = caller.Name,
            UpdatedAt = now,
        };
        var events = request.Events.Distinct().ToList();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO webhooks (id, ordinal, name, description, url, secret, status, created_at, created_by, updated_at)
                SELECT @Id, COALESCE(MAX(ordinal), 0) + 1, @Name, @Description, @Url, @Secret, @Status, @CreatedAt, @CreatedBy, @UpdatedAt
                FROM webhooks
                """,
                row, transaction, cancellationToken: cancellationToken));
            await WriteEventsAsync(transaction, row.Id, events, cancellationToken);
            var created = ToWebhook(row, events);
            await audit.AppendAsync(transaction, caller.Name, "webhook.create", Resource(row.Id), null, created, cancellationToken);
            return created;
        }, cancellationToken);
    }

    public async Task<Webhook> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, Everywhere);
        return await database.ReadAsync(async connection =>
        {
            var row = await FindAsync(connection, null, id, cancellationToken);
            return ToWebhook(row, (await EventsAsync(connection, null, [id], cancellationToken))[id]);
        }, cancellationToken);
    }

    /// <summary>Webhooks, newest first, a page at a time (MLflow's page sizes: 100 by default, at most 1,000).</summary>
    public async Task<WebhookPage> ListAsync(Caller caller, int? maxResults, string? pageToken, CancellationToken cancellationToken)
    {
        if (maxResults is < 1 or > MaxPageSize)
        {
            throw new InvalidParameterException($"max_results must be between 1 and {MaxPageSize}.");
        }
        var size = maxResults ?? DefaultPageSize;
        var offset = Paging.DecodeOffset(pageToken, ListShape);
        caller.Require(Role.Admin, Everywhere);
        return await database.ReadAsync(async connection =>
        {
            var rows = (await connection.QueryAsync<Row>(new CommandDefinition(
                """
                SELECT id, name, description, url, secret, status, created_at, created_by, updated_at FROM webhooks
                ORDER BY ordinal DESC LIMIT @limit OFFSET @offset
                """,
                new { limit = size + 1, offset }, cancellationToken: cancellationToken))).ToList();
            string? next = null;
            if (rows.Count > size)
            {
                rows.RemoveAt(size);
                next = Paging.EncodeOffset(offset + size, ListShape);
            }
            var events = await EventsAsync(connection, null, rows.Select(r => r.Id).ToArray(), cancellationToken);
            return new WebhookPage(rows.Select(r => ToWebhook(r, events[r.Id])).ToList(), next);
        }, cancellationToken);
    }

    public async Task<Webhook> UpdateAsync(Caller caller, string id, UpdateWebhookRequest request, CancellationToken cancellationToken)
    {
        if (request.Name is not null)
        {
            WebhookRules.CheckName(request.Name);
        }
        if (request.Url is not null)
        {
            WebhookRules.CheckUrl(request.Url, options.AllowedSchemes);
        }
        if (request.Events is not null)
        {
            WebhookRules.CheckEvents(request.Events);
        }
        caller.Require(Role.Admin, Everywhere);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindAsync(connection, transaction, id, cancellationToken);
            var before = ToWebhook(row, (await EventsAsync(connection, transaction, [id], cancellationToken))[id]);
            var updated = row with
            {
                Name = request.Name ?? row.Name,
                Description = request.Description ?? row.Description,
                Url = request.Url ?? row.Url,
                Secret = request.Secret ?? row.Secret,
                Status = request.Status?.ToString() ?? row.Status,
                // Strictly later than the last change, as MLflow's clients compare it, even within one millisecond.
                UpdatedAt = Math.Max(clock.GetUtcNow().ToUnixTimeMilliseconds(), row.UpdatedAt + 1),
            };
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE webhooks SET name = @Name, description = @Description, url = @Url, secret = @Secret, status = @Status,
                    updated_at = @UpdatedAt
                WHERE id = @Id
                """,
                updated, transaction, cancellationToken: cancellationToken));
            var events = before.Events;
            if (request.Events is not null)
            {
                events = request.Events.Distinct().ToList();
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM webhook_events WHERE webhook_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
                await WriteEventsAsync(transaction, id, events, cancellationToken);
            }
            var after = ToWebhook(updated, events);
            await audit.AppendAsync(transaction, caller.Name, "webhook.update", Resource(id), before, after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    public async Task DeleteAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, Everywhere);
        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindAsync(connection, transaction, id, cancellationToken);
            var before = ToWebhook(row, (await EventsAsync(connection, transaction, [id], cancellationToken))[id]);
            // The row goes with its secret; the audit entry keeps what the webhook was, without it.
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM webhooks WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "webhook.delete", Resource(id), before, null, cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Sends <paramref name="event"/>'s example payload (by default the webhook's first event's) to the webhook, signed
    /// as every delivery is, and reports what the receiver answered. A disabled webhook is tested too.
    /// </summary>
    public async Task<WebhookTestResult> TestAsync(Caller caller, string id, WebhookEvent? @event, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, Everywhere);
        var (row, events) = await database.ReadAsync(async connection =>
        {
            var found = await FindAsync(connection, null, id, cancellationToken);
            return (found, (await EventsAsync(connection, null, [id], cancellationToken))[id]);
        }, cancellationToken);
        var tested = @event ?? events[0];
        try
        {
            var (status, body) = await sender.SendAsync(row.Url, row.Secret, tested, WebhookPayloads.Example(tested), options.Timeout, cancellationToken);
            return new WebhookTestResult(status < 400, status, body, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new WebhookTestResult(false, null, null, $"Failed to test webhook: {e.GetType().Name}('{e.Message}')");
        }
    }

    private static string Resource(string id) => $"webhooks/{id}";

    private static async Task<Row> FindAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT id, name, description, url, secret, status, created_at, created_by, updated_at FROM webhooks WHERE id = @id",
            new { id }, transaction, cancellationToken: cancellationToken))
        ?? throw new NotFoundException($"Webhook with ID {id} not found.");

    /// <summary>The events of each webhook in <paramref name="ids"/>, in one query.</summary>
    private async Task<Dictionary<string, List<WebhookEvent>>> EventsAsync(
        DbConnection connection, DbTransaction? transaction, string[] ids, CancellationToken cancellationToken)
    {
        var byWebhook = ids.ToDictionary(id => id, _ => new List<WebhookEvent>(), StringComparer.Ordinal);
        if (ids.Length == 0)
        {
            return byWebhook;
        }
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(
            $"SELECT webhook_id, entity, action FROM webhook_events WHERE {database.Dialect.InList("webhook_id", "@ids")} ORDER BY webhook_id, position",
            new { ids }, transaction, cancellationToken: cancellationToken));
        foreach (var row in rows)
        {
            byWebhook[row.WebhookId].Add(new WebhookEvent(row.Entity, row.Action));
        }
        return byWebhook;
    }

    private static async Task WriteEventsAsync(DbTransaction transaction, string id, IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO webhook_events (webhook_id, position, entity, action) VALUES (@id, @position, @entity, @action)",
            events.Select((e, i) => new { id, position = i, entity = e.Entity, action = e.Action }), transaction, cancellationToken: cancellationToken));

    private static Webhook ToWebhook(Row row, IReadOnlyList<WebhookEvent> events) => new(
        row.Id, row.Name, row.Description, row.Url, events, Enum.Parse<WebhookStatus>(row.Status), row.Secret is not null,
        DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), row.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt));
}
