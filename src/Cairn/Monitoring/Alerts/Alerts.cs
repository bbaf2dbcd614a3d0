using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Monitoring.Alerts;

/// <summary>
/// Alerts: raised by <see cref="AlertEvaluator"/> inside the transaction that stores a window or a performance figure;
/// read with reader on the model's namespace, acknowledged and resolved with writer (open → acknowledged → resolved;
/// resolved is final). Every change is audited, so each is an event (<c>monitoring.alert_raised</c>,
/// <c>monitoring.alert_acknowledged</c>, <c>monitoring.alert_resolved</c>) whose payload is the alert with its evidence.
/// </summary>
public sealed class Alerts(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;
    private const int MaxCommentLength = 10_000;

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    internal sealed record AlertRow
    {
        public string Id { get; init; } = "";
        public string RuleId { get; init; } = "";
        public string Model { get; init; } = "";
        public string Namespace { get; init; } = "";
        public long Version { get; init; }
        public string DeploymentId { get; init; } = "";
        public string Kind { get; init; } = "";
        public string Severity { get; init; } = "";
        public string Status { get; init; } = "";
        public string Summary { get; init; } = "";
        public string Evidence { get; init; } = "";
        public long DataFrom { get; init; }
        public long DataTo { get; init; }
        public long RaisedAt { get; init; }
        public long? AcknowledgedAt { get; init; }
        public string? AcknowledgedBy { get; init; }
        public string? AcknowledgeComment { get; init; }
        public long? ResolvedAt { get; init; }
        public string? ResolvedBy { get; init; }
        public string? ResolveComment { get; init; }

        public AlertStatus StatusValue => Enum.Parse<AlertStatus>(Status, ignoreCase: true);

        public Alert ToAlert()
        {
            var evidence = JsonSerializer.Deserialize<AlertEvidence>(Evidence, CairnJson.Options)!;
            return new Alert(
                Id, RuleId, Model, (int)Version, evidence.Deployment, Enum.Parse<AlertKind>(Kind, ignoreCase: true),
                Enum.Parse<AlertSeverity>(Severity, ignoreCase: true), StatusValue, Summary, At(RaisedAt), At(DataFrom), At(DataTo),
                FeatureNames(evidence), evidence,
                AcknowledgedAt is { } ack ? new AlertAction(At(ack), AcknowledgedBy!, AcknowledgeComment) : null,
                ResolvedAt is { } res ? new AlertAction(At(res), ResolvedBy!, ResolveComment) : null);
        }
    }

    private sealed record CountRow
    {
        public string DeploymentId { get; init; } = "";
        public string Model { get; init; } = "";
        public long Open { get; init; }
        public long Acknowledged { get; init; }
        public long Highest { get; init; }
        public long LastRaised { get; init; }
    }

    internal const string SelectAlerts =
        """
        SELECT a.id, a.rule_id, a.model, a.namespace, a.version, a.deployment_id, a.kind, a.severity, a.status, a.summary,
               a.evidence, a.data_from, a.data_to, a.raised_at, a.acknowledged_at, a.acknowledged_by, a.acknowledge_comment,
               a.resolved_at, a.resolved_by, a.resolve_comment
        FROM alerts a
        """;

    internal static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>The features an alert's windows name as breaching, each once, sorted.</summary>
    internal static IReadOnlyList<string> FeatureNames(AlertEvidence evidence) =>
        [.. evidence.Windows.SelectMany(w => w.Features).Select(f => f.Feature).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>One alert; reader on its model's namespace.</summary>
    public async Task<Alert> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var row = await database.ReadAsync(c => c.QuerySingleOrDefaultAsync<AlertRow>(new CommandDefinition(
            SelectAlerts + " WHERE a.id = @id", new { id }, cancellationToken: cancellationToken)), cancellationToken) ?? throw Missing(id);
        caller.Require(Role.Reader, row.Namespace);
        return row.ToAlert();
    }

    /// <summary>Alerts matching <paramref name="query"/>, newest first, among the namespaces the caller may read.</summary>
    public async Task<AlertPage> ListAsync(Caller caller, AlertQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var size = Paging.PageSize(query.MaxResults, DefaultPageSize, MaxPageSize);
        var where = new List<string>();
        var parameters = new Dictionary<string, object?>();
        if (ModelCatalog.NamespaceScope(caller, "a.namespace", parameters) is { } scope)
        {
            where.Add(scope);
        }
        if (query.Model is not null)
        {
            caller.Require(Role.Reader, NamespacePath.Split(query.Model).Namespace);
            parameters["model"] = query.Model;
            where.Add("a.model = @model");
        }
        if (query.Deployment is not null)
        {
            parameters["deployment"] = query.Deployment;
            where.Add("a.deployment_id = @deployment");
        }
        if (query.Status is not null)
        {
            parameters["status"] = ParseStatus(query.Status).ToString().ToLowerInvariant();
            where.Add("a.status = @status");
        }
        if (query.From is { } from)
        {
            parameters["from"] = from.ToUnixTimeMilliseconds();
            where.Add("a.raised_at >= @from");
        }
        if (query.To is { } to)
        {
            parameters["to"] = to.ToUnixTimeMilliseconds();
            where.Add("a.raised_at < @to");
        }
        var shape = string.Join('\n', query.Model, query.Deployment, query.Status, query.From?.ToUnixTimeMilliseconds(), query.To?.ToUnixTimeMilliseconds(), caller.Name);
        var page = OffsetPage.Start(size, query.PageToken, shape);
        page.AddTo(parameters);
        var rows = await database.ReadAsync(c => c.QueryAsync<AlertRow>(new CommandDefinition(
            SelectAlerts + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY a.raised_at DESC, a.id DESC" + OffsetPage.Sql,
            new DynamicParameters(parameters), cancellationToken: cancellationToken)), cancellationToken);
        var (list, next) = page.Cut(rows.Select(r => r.ToAlert()));
        return new AlertPage(list, next);
    }

    /// <summary>
    /// Every deployment with alerts not yet resolved, among the namespaces the caller may read: how many are open and
    /// acknowledged, the highest severity and the last raised (one query; for the monitoring overview).
    /// </summary>
    public async Task<IReadOnlyList<DeploymentAlertCount>> UnresolvedByDeploymentAsync(Caller caller, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, object?>();
        var scope = ModelCatalog.NamespaceScope(caller, "a.namespace", parameters);
        var rows = await database.ReadAsync(c => c.QueryAsync<CountRow>(new CommandDefinition(
            """
            SELECT a.deployment_id, a.model,
                   SUM(CASE WHEN a.status = 'open' THEN 1 ELSE 0 END) AS open,
                   SUM(CASE WHEN a.status = 'acknowledged' THEN 1 ELSE 0 END) AS acknowledged,
                   MAX(CASE a.severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) AS highest, MAX(a.raised_at) AS last_raised
            FROM alerts a WHERE a.status <> 'resolved'
            """ + (scope is null ? "" : " AND " + scope) + " GROUP BY a.deployment_id, a.model ORDER BY MAX(a.raised_at) DESC, a.deployment_id",
            new DynamicParameters(parameters), cancellationToken: cancellationToken)), cancellationToken);
        return [.. rows.Select(r => new DeploymentAlertCount(r.DeploymentId, r.Model, r.Open, r.Acknowledged, (AlertSeverity)r.Highest, At(r.LastRaised)))];
    }

    /// <summary>Acknowledges an open alert (someone is on it); writer on its model's namespace.</summary>
    public Task<Alert> AcknowledgeAsync(Caller caller, string id, string? comment, CancellationToken cancellationToken) =>
        MoveAsync(caller, id, comment, AlertStatus.Acknowledged, cancellationToken);

    /// <summary>Resolves an open or acknowledged alert (final); writer on its model's namespace.</summary>
    public Task<Alert> ResolveAsync(Caller caller, string id, string? comment, CancellationToken cancellationToken) =>
        MoveAsync(caller, id, comment, AlertStatus.Resolved, cancellationToken);

    private async Task<Alert> MoveAsync(Caller caller, string id, string? comment, AlertStatus to, CancellationToken cancellationToken)
    {
        if (comment is { Length: > MaxCommentLength })
        {
            throw new InvalidParameterException($"'comment' is {comment.Length} characters long; at most {MaxCommentLength} are allowed.");
        }
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<AlertRow>(new CommandDefinition(
                SelectAlerts + " WHERE a.id = @id", new { id }, transaction, cancellationToken: cancellationToken)) ?? throw Missing(id);
            caller.Require(Role.Writer, row.Namespace);
            var from = row.StatusValue;
            if (from == AlertStatus.Resolved)
            {
                throw new InvalidStateException($"Alert '{id}' is resolved, which is final; a new breach raises a new alert.");
            }
            if (from == to)
            {
                throw new InvalidStateException($"Alert '{id}' is already {to.ToString().ToLowerInvariant()}.");
            }
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var (sql, action) = to == AlertStatus.Acknowledged
                ? ("UPDATE alerts SET status = 'acknowledged', acknowledged_at = @now, acknowledged_by = @by, acknowledge_comment = @comment WHERE id = @id", "alert.acknowledge")
                : ("UPDATE alerts SET status = 'resolved', resolved_at = @now, resolved_by = @by, resolve_comment = @comment WHERE id = @id", "alert.resolve");
            await connection.ExecuteAsync(new CommandDefinition(sql, new { id, now, by = caller.Name, comment }, transaction, cancellationToken: cancellationToken));
            var after = (await connection.QuerySingleAsync<AlertRow>(new CommandDefinition(
                SelectAlerts + " WHERE a.id = @id", new { id }, transaction, cancellationToken: cancellationToken))).ToAlert();
            await audit.AppendAsync(transaction, caller.Name, action, Resource(row.Model, id), row.ToAlert(), after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    internal static AlertStatus ParseStatus(string value) =>
        Enum.TryParse<AlertStatus>(value, ignoreCase: true, out var status) && Enum.IsDefined(status) && !value.Any(char.IsDigit)
            ? status
            : throw new InvalidParameterException($"'status' must be one of open, acknowledged, resolved; got '{value}'.");

    private static NotFoundException Missing(string id) => new($"Alert '{id}' does not exist.");

    /// <summary>The audit resource of an alert: under its model, so its events go to the model's namespace.</summary>
    internal static string Resource(string model, string id) => $"{ModelCatalog.Resource(model)}/alerts/{id}";

    internal static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
