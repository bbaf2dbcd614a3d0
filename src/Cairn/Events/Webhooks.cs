using System.Data.Common;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Events;

/// <summary>
/// Webhooks: HTTP endpoints to tell of events. Creating, changing and removing one is an audited mutation of its own;
/// the secret is stored protected by <see cref="ISecretProtector"/> to sign deliveries and never leaves through this
/// class (nor the audit log). Managing a webhook takes the admin role on the namespace it watches.
/// </summary>
public sealed class Webhooks(
    CairnDatabase database, AuditChain audit, TimeProvider clock, WebhookOptions options, WebhookSender sender, ISecretProtector protector,
    WebhookNetworks networks)
{
    internal const string Columns =
        "id, name, description, url, secret, secret_plain, previous_secret, previous_secret_until, status, created_at, created_by, updated_at, "
        + "namespace, model, format, disabled_reason, cursor_seq";

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
        public long SecretPlain { get; init; }
        public string? PreviousSecret { get; init; }
        public long? PreviousSecretUntil { get; init; }
        public string Status { get; init; } = "";
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string Namespace { get; init; } = Everywhere;
        public string? Model { get; init; }
        public string Format { get; init; } = "";
        public string? DisabledReason { get; init; }
        public long CursorSeq { get; init; }
        public string? CreatorKind { get; init; }
        public string? CreatorGroups { get; init; }
    }

    private sealed record PatternRow
    {
        public string WebhookId { get; init; } = "";
        public string Pattern { get; init; } = "";
    }

    public async Task<Webhook> CreateAsync(Caller caller, CreateWebhookRequest request, CancellationToken cancellationToken)
    {
        WebhookRules.CheckName(request.Name);
        WebhookRules.CheckUrl(request.Url, options.AllowedSchemes);
        WebhookTargets.CheckLiteral(new Uri(request.Url), networks);
        WebhookRules.CheckEvents(request.Events);
        var (ns, model) = Scope(request.Namespace, request.Model);
        caller.Require(Role.Admin, ns);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new Row
        {
            Id = Guid.NewGuid().ToString(),
            Name = request.Name,
            Description = request.Description,
            Url = request.Url,
            Secret = string.IsNullOrEmpty(request.Secret) ? null : protector.Protect(request.Secret),
            Status = (request.Status ?? WebhookStatus.Active).ToString(),
            CreatedAt = now,
            CreatedBy = caller.Name,
            UpdatedAt = now,
            Namespace = ns,
            Model = model,
            Format = (request.Format ?? WebhookFormat.Mlflow).ToString(),
            CreatorKind = WebhookCreators.KindText(caller),
            CreatorGroups = WebhookCreators.GroupsText(caller),
        };
        var events = request.Events.Distinct(StringComparer.Ordinal).ToList();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            // A new webhook starts at the head: it receives what commits after it, not the store's history.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO webhooks (id, ordinal, name, description, url, secret, status, created_at, created_by, updated_at, namespace, model, format, cursor_seq,
                    creator_kind, creator_groups)
                SELECT @Id, COALESCE(MAX(ordinal), 0) + 1, @Name, @Description, @Url, @Secret, @Status, @CreatedAt, @CreatedBy, @UpdatedAt, @Namespace, @Model, @Format,
                    (SELECT COALESCE(MAX(seq), 0) FROM events), @CreatorKind, @CreatorGroups
                FROM webhooks
                """,
                row, transaction, cancellationToken: cancellationToken));
            await WritePatternsAsync(transaction, row.Id, events, cancellationToken);
            var created = ToWebhook(row, events);
            await audit.AppendAsync(transaction, caller.Name, "webhook.create", Resource(row.Id), null, created, cancellationToken);
            return created;
        }, cancellationToken);
    }

    /// <summary>The namespace a webhook watches: the one given, else the model's, else the root; a model must lie in it.</summary>
    private static (string Namespace, string? Model) Scope(string? @namespace, string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return (@namespace is null ? Everywhere : NamespacePath.Normalize(@namespace), null);
        }
        var (modelNamespace, _) = NamespacePath.Split(model);
        var ns = @namespace is null ? modelNamespace : NamespacePath.Normalize(@namespace);
        return NamespacePath.Covers(ns, modelNamespace)
            ? (ns, model)
            : throw new InvalidParameterException($"'model' '{model}' is not in the webhook's namespace '{ns}'.");
    }

    public async Task<Webhook> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var webhook = await database.ReadAsync(async connection =>
        {
            var row = await FindAsync(connection, null, id, cancellationToken);
            return ToWebhook(row, (await EventsAsync(connection, null, [id], cancellationToken))[id]);
        }, cancellationToken);
        caller.Require(Role.Admin, webhook.Namespace);
        return webhook;
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
        if (!caller.Grants.Any(g => g.Role >= Role.Admin))
        {
            caller.Require(Role.Admin, Everywhere);
        }
        return await database.ReadAsync(async connection =>
        {
            // An admin of the root sees every webhook, another admin those of the namespaces it administers; webhooks are
            // few, so they are read in one query and filtered here.
            var rows = (await connection.QueryAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM webhooks ORDER BY ordinal DESC", cancellationToken: cancellationToken)))
                .Where(r => caller.Has(Role.Admin, r.Namespace)).Skip(offset).Take(size + 1).ToList();
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
            WebhookTargets.CheckLiteral(new Uri(request.Url), networks);
        }
        if (request.Events is not null)
        {
            WebhookRules.CheckEvents(request.Events);
        }
        if (request.SecretGrace is { Ticks: < 0 })
        {
            throw new InvalidParameterException("'secret_grace_seconds' must not be negative.");
        }
        var protectedSecret = string.IsNullOrEmpty(request.Secret) ? null : protector.Protect(request.Secret);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindAsync(connection, transaction, id, cancellationToken);
            caller.Require(Role.Admin, row.Namespace);
            var before = ToWebhook(row, (await EventsAsync(connection, transaction, [id], cancellationToken))[id]);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var grace = (long)(request.SecretGrace ?? options.SecretGrace).TotalMilliseconds;
            var status = request.Status?.ToString() ?? row.Status;
            var reenabled = status == nameof(WebhookStatus.Active) && row.Status != nameof(WebhookStatus.Active);
            var updated = row with
            {
                Name = request.Name ?? row.Name,
                Description = request.Description ?? row.Description,
                Url = request.Url ?? row.Url,
                Secret = protectedSecret ?? row.Secret,
                SecretPlain = protectedSecret is null ? row.SecretPlain : 0,
                // A rotation keeps the secret it replaces signing (webhook-signature) for the grace period.
                PreviousSecret = protectedSecret is not null && row.Secret is not null && grace > 0 ? Protected(row) : row.PreviousSecret,
                PreviousSecretUntil = protectedSecret is not null && row.Secret is not null && grace > 0 ? now + grace : row.PreviousSecretUntil,
                Status = status,
                Format = request.Format?.ToString() ?? row.Format,
                DisabledReason = status == nameof(WebhookStatus.Active) ? null : row.DisabledReason,
                // Strictly later than the last change, as MLflow's clients compare it, even within one millisecond.
                UpdatedAt = Math.Max(now, row.UpdatedAt + 1),
            };
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE webhooks SET name = @Name, description = @Description, url = @Url, secret = @Secret, secret_plain = @SecretPlain,
                    previous_secret = @PreviousSecret, previous_secret_until = @PreviousSecretUntil, status = @Status, format = @Format,
                    disabled_reason = @DisabledReason, updated_at = @UpdatedAt
                WHERE id = @Id
                """,
                updated, transaction, cancellationToken: cancellationToken));
            if (reenabled)
            {
                // Re-enabled, the webhook resumes where it stopped: its waiting deliveries get a new horizon and go now.
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE webhook_deliveries SET next_attempt_at = @now, expires_at = @expires WHERE webhook_id = @id AND state = 'PENDING'",
                    new { id, now, expires = now + (long)options.Horizon.TotalMilliseconds }, transaction, cancellationToken: cancellationToken));
            }
            var events = before.Events;
            if (request.Events is not null)
            {
                events = request.Events.Distinct(StringComparer.Ordinal).ToList();
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM webhook_patterns WHERE webhook_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
                await WritePatternsAsync(transaction, id, events, cancellationToken);
            }
            var after = ToWebhook(updated, events);
            await audit.AppendAsync(transaction, caller.Name, "webhook.update", Resource(id), before, after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    public async Task DeleteAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await FindAsync(connection, transaction, id, cancellationToken);
            caller.Require(Role.Admin, row.Namespace);
            var before = ToWebhook(row, (await EventsAsync(connection, transaction, [id], cancellationToken))[id]);
            // The row goes with its secret and its delivery log; the audit entry keeps what the webhook was, without it.
            // (Spelled out: SQLite enforces no foreign keys here.)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = @id);
                DELETE FROM webhook_deliveries WHERE webhook_id = @id;
                DELETE FROM webhook_patterns WHERE webhook_id = @id;
                DELETE FROM webhooks WHERE id = @id;
                """, new { id }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "webhook.delete", Resource(id), before, null, cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Sends an example payload of <paramref name="type"/> (by default the first event type the webhook's patterns
    /// match) to the webhook, signed as every delivery is, and reports what the receiver answered. A disabled webhook
    /// is tested too. The test is no delivery: the delivery log does not keep it.
    /// </summary>
    public async Task<WebhookTestResult> TestAsync(Caller caller, string id, string? type, CancellationToken cancellationToken)
    {
        var (row, events) = await database.ReadAsync(async connection =>
        {
            var found = await FindAsync(connection, null, id, cancellationToken);
            return (found, (await EventsAsync(connection, null, [id], cancellationToken))[id]);
        }, cancellationToken);
        caller.Require(Role.Admin, row.Namespace);
        var tested = type ?? ExampleType(events[0]);
        var format = Enum.Parse<WebhookFormat>(row.Format);
        var data = WebhookPayloads.Example(tested);
        var deliveryId = Guid.NewGuid().ToString();
        var (body, contentType) = WebhookSender.Body(format, deliveryId, tested, Resource(id), clock.GetUtcNow(), data, options.CloudEventsSource);
        var result = await sender.SendAsync(row.Url, Secrets(row, clock.GetUtcNow().ToUnixTimeMilliseconds()), deliveryId, body, contentType, options.Timeout, cancellationToken);
        return result.Status is { } status
            ? new WebhookTestResult(status < 400, status, result.Body, null)
            : new WebhookTestResult(false, null, null, $"Failed to test webhook: {result.Error}");
    }

    // MLflow's event names test as themselves; a pattern as the first catalogue type it matches.
    private static string ExampleType(string pattern) =>
        pattern.Contains('*', StringComparison.Ordinal) ? EventCatalogue.AllTypes.First(t => EventCatalogue.Matches(pattern, t)) : pattern;

    /// <summary>The secrets that sign a delivery now, newest first: the current one, and a rotated-out one in its grace period.</summary>
    internal IReadOnlyList<string> Secrets(string? secret, bool plain, string? previous, long? previousUntil, long now)
    {
        if (secret is null)
        {
            return [];
        }
        var current = plain ? secret : protector.Unprotect(secret);
        return previous is not null && previousUntil > now ? [current, protector.Unprotect(previous)] : [current];
    }

    private IReadOnlyList<string> Secrets(Row row, long now) => Secrets(row.Secret, row.SecretPlain != 0, row.PreviousSecret, row.PreviousSecretUntil, now);

    // The stored form of the row's current secret (protected, if it was still plaintext from before migration 0014).
    private string Protected(Row row) => row.SecretPlain != 0 ? protector.Protect(row.Secret!) : row.Secret!;

    /// <summary>
    /// Protects the secrets written in plaintext before migration 0014 (run once at startup, before any delivery): from
    /// then on every secret at rest is protected.
    /// </summary>
    public async Task ProtectPlainSecretsAsync(CancellationToken cancellationToken)
    {
        var plain = await database.ReadAsync(async connection => (await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM webhooks WHERE secret_plain = 1", cancellationToken: cancellationToken))).ToList(), cancellationToken);
        if (plain.Count == 0)
        {
            return;
        }
        var rows = plain.Select(r => new { r.Id, Secret = protector.Protect(r.Secret!) }).ToList();
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhooks SET secret = @Secret, secret_plain = 0 WHERE id = @Id AND secret_plain = 1", rows, transaction, cancellationToken: cancellationToken)), cancellationToken);
    }

    internal static string Resource(string id) => $"webhooks/{id}";

    private static async Task<Row> FindAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM webhooks WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken))
        ?? throw new NotFoundException($"Webhook with ID {id} not found.");

    /// <summary>The webhook <paramref name="id"/> as the API shows it, read in <paramref name="transaction"/>.</summary>
    internal async Task<Webhook> LoadAsync(DbTransaction transaction, string id, CancellationToken cancellationToken) =>
        ToWebhook(await FindAsync(transaction.Connection!, transaction, id, cancellationToken), (await EventsAsync(transaction.Connection!, transaction, [id], cancellationToken))[id]);

    /// <summary>The event patterns of each webhook in <paramref name="ids"/>, in one query.</summary>
    internal async Task<Dictionary<string, List<string>>> EventsAsync(
        DbConnection connection, DbTransaction? transaction, string[] ids, CancellationToken cancellationToken)
    {
        var byWebhook = ids.ToDictionary(id => id, _ => new List<string>(), StringComparer.Ordinal);
        if (ids.Length == 0)
        {
            return byWebhook;
        }
        var rows = await connection.QueryAsync<PatternRow>(new CommandDefinition(
            $"SELECT webhook_id, pattern FROM webhook_patterns WHERE {database.Dialect.InList("webhook_id", "@ids")} ORDER BY webhook_id, position",
            new { ids }, transaction, cancellationToken: cancellationToken));
        foreach (var row in rows)
        {
            byWebhook[row.WebhookId].Add(row.Pattern);
        }
        return byWebhook;
    }

    private static async Task WritePatternsAsync(DbTransaction transaction, string id, IReadOnlyList<string> events, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO webhook_patterns (webhook_id, position, pattern) VALUES (@id, @position, @pattern)",
            events.Select((e, i) => new { id, position = i, pattern = e }), transaction, cancellationToken: cancellationToken));

    private static Webhook ToWebhook(Row row, IReadOnlyList<string> events) => new(
        row.Id, row.Name, row.Description, row.Url, events, Enum.Parse<WebhookStatus>(row.Status), row.Secret is not null,
        DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), row.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt),
        row.Namespace, row.Model, Enum.Parse<WebhookFormat>(row.Format), row.DisabledReason);
}
