using System.Data.Common;
using System.Globalization;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Monitoring.Alerts;

/// <summary>
/// Alert rules: per model, on every deployment serving it or on one. Reading needs reader, changing needs writer on the
/// model's namespace; every change is audited (and so an event). docs/monitoring.md ("Alerts") describes the rules.
/// </summary>
public sealed class AlertRules(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;
    internal const int MaxConsecutive = 100;
    internal const int MaxCooldownMinutes = 525_600;
    internal const double DefaultPsiThreshold = 0.25;
    private const int MaxNameLength = 200;
    private const int MaxTextLength = 10_000;
    private static readonly string[] Operators = ["<", "<=", ">", ">="];
    private static readonly string[] Sources = ["computed", "reported"];

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    internal sealed record RuleRow
    {
        public string Id { get; init; } = "";
        public long ModelId { get; init; }
        public string Model { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string? DeploymentId { get; init; }
        public string Name { get; init; } = "";
        public string? Description { get; init; }
        public string Kind { get; init; } = "";
        public string? Feature { get; init; }
        public string? Metric { get; init; }
        public string? Source { get; init; }
        public string? Operator { get; init; }
        public double? Threshold { get; init; }
        public long Consecutive { get; init; }
        public long CooldownMs { get; init; }
        public string Severity { get; init; } = "";
        public long Enabled { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";

        public AlertKind KindValue => Enum.Parse<AlertKind>(Kind, ignoreCase: true);

        public AlertRule ToRule() => new(
            Id, Model, DeploymentId, Name, Description, KindValue, Feature, Metric, Source, Operator, Threshold,
            (int)Consecutive, (int)(CooldownMs / 60_000), Enum.Parse<AlertSeverity>(Severity, ignoreCase: true), Enabled != 0,
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt), UpdatedBy);
    }

    internal const string SelectRules =
        """
        SELECT r.id, r.model_id, m.full_name AS model, m.namespace, r.deployment_id, r.name, r.description, r.kind, r.feature,
               r.metric, r.source, r.operator, r.threshold, r.consecutive, r.cooldown_ms, r.severity, r.enabled,
               r.created_at, r.created_by, r.updated_at, r.updated_by
        FROM alert_rules r JOIN models m ON m.id = r.model_id
        """;

    /// <summary>Creates a rule; writer on the model's namespace.</summary>
    public async Task<AlertRule> CreateAsync(Caller caller, AlertRuleSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var model = spec.Model is { Length: > 0 } m ? m : throw new InvalidParameterException("'model' is required: the full name of the model the rule watches.");
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        var valid = Check(spec);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var modelId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT id FROM models WHERE full_name = @model", new { model }, transaction, cancellationToken: cancellationToken))
                ?? throw ModelCatalog.Missing(model);
            await CheckDeploymentAsync(transaction, valid.Deployment, modelId, model, cancellationToken);
            var id = Guid.NewGuid().ToString("N");
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO alert_rules (id, model_id, deployment_id, name, description, kind, feature, metric, source, operator, threshold,
                                         consecutive, cooldown_ms, severity, enabled, created_at, created_by, updated_at, updated_by)
                VALUES (@id, @modelId, @Deployment, @Name, @Description, @Kind, @Feature, @Metric, @Source, @Operator, @Threshold,
                        @Consecutive, @CooldownMs, @Severity, @Enabled, @now, @by, @now, @by)
                """,
                Parameters(valid, new { id, modelId, now, by = caller.Name }), transaction, cancellationToken: cancellationToken));
            var after = await LoadAsync(transaction, id, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "alert.rule.create", Resource(model, id), null, after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    /// <summary>Replaces a rule with <paramref name="spec"/> (what it omits takes the defaults); writer on the model's namespace.</summary>
    public async Task<AlertRule> UpdateAsync(Caller caller, string id, AlertRuleSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var valid = Check(spec);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadAsync(transaction, id, cancellationToken);
            caller.Require(Role.Writer, NamespacePath.Split(before.Model).Namespace);
            if (spec.Model is not null && spec.Model != before.Model)
            {
                throw new InvalidParameterException($"'model' cannot change: rule '{id}' watches model '{before.Model}'; create a new rule for '{spec.Model}'.");
            }
            var modelId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT model_id FROM alert_rules WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
            await CheckDeploymentAsync(transaction, valid.Deployment, modelId, before.Model, cancellationToken);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE alert_rules SET deployment_id = @Deployment, name = @Name, description = @Description, kind = @Kind, feature = @Feature,
                       metric = @Metric, source = @Source, operator = @Operator, threshold = @Threshold, consecutive = @Consecutive,
                       cooldown_ms = @CooldownMs, severity = @Severity, enabled = @Enabled, updated_at = @now, updated_by = @by
                WHERE id = @id
                """,
                Parameters(valid, new { id, now, by = caller.Name }), transaction, cancellationToken: cancellationToken));
            var after = await LoadAsync(transaction, id, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "alert.rule.update", Resource(after.Model, id), before, after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    /// <summary>Deletes a rule (its alerts stay, with the rule as it was in their evidence); writer on the model's namespace.</summary>
    public async Task DeleteAsync(Caller caller, string id, CancellationToken cancellationToken) =>
        await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadAsync(transaction, id, cancellationToken);
            caller.Require(Role.Writer, NamespacePath.Split(before.Model).Namespace);
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM alert_rules WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "alert.rule.delete", Resource(before.Model, id), before, null, cancellationToken);
            return true;
        }, cancellationToken);

    /// <summary>One rule; reader on the model's namespace.</summary>
    public async Task<AlertRule> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var rule = await database.ReadAsync(async connection =>
            (await connection.QuerySingleOrDefaultAsync<RuleRow>(new CommandDefinition(
                SelectRules + " WHERE r.id = @id", new { id }, cancellationToken: cancellationToken)))?.ToRule() ?? throw Missing(id), cancellationToken);
        caller.Require(Role.Reader, NamespacePath.Split(rule.Model).Namespace);
        return rule;
    }

    /// <summary>Rules matching <paramref name="query"/>, newest first, among the namespaces the caller may read.</summary>
    public async Task<AlertRulePage> ListAsync(Caller caller, AlertRuleQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var size = Paging.PageSize(query.MaxResults, DefaultPageSize, MaxPageSize);
        var where = new List<string>();
        var parameters = new Dictionary<string, object?>();
        if (ModelCatalog.NamespaceScope(caller, "m.namespace", parameters) is { } scope)
        {
            where.Add(scope);
        }
        if (query.Model is not null)
        {
            caller.Require(Role.Reader, NamespacePath.Split(query.Model).Namespace);
            parameters["model"] = query.Model;
            where.Add("m.full_name = @model");
        }
        if (query.Deployment is not null)
        {
            parameters["deployment"] = query.Deployment;
            where.Add("r.deployment_id = @deployment");
        }
        var page = OffsetPage.Start(size, query.PageToken, string.Join('\n', query.Model, query.Deployment, caller.Name));
        page.AddTo(parameters);
        var rows = await database.ReadAsync(c => c.QueryAsync<RuleRow>(new CommandDefinition(
            SelectRules + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY r.created_at DESC, r.id DESC" + OffsetPage.Sql,
            new DynamicParameters(parameters), cancellationToken: cancellationToken)), cancellationToken);
        var (list, next) = page.Cut(rows.Select(r => r.ToRule()));
        return new AlertRulePage(list, next);
    }

    internal static async Task<AlertRule> LoadAsync(DbTransaction transaction, string id, CancellationToken cancellationToken) =>
        (await transaction.Connection!.QuerySingleOrDefaultAsync<RuleRow>(new CommandDefinition(
            SelectRules + " WHERE r.id = @id", new { id }, transaction, cancellationToken: cancellationToken)))?.ToRule() ?? throw Missing(id);

    /// <summary>A rule's deployment must exist and serve the rule's model (a deployment serves one model).</summary>
    private static async Task CheckDeploymentAsync(DbTransaction transaction, string? deploymentId, long modelId, string model, CancellationToken cancellationToken)
    {
        if (deploymentId is null)
        {
            return;
        }
        var deployment = await Deployments.DeploymentRegistry.FindAsync(transaction.Connection!, transaction, deploymentId, cancellationToken)
            ?? throw new NotFoundException($"Deployment '{deploymentId}' does not exist.");
        if (deployment.ModelId != modelId)
        {
            throw new InvalidParameterException($"'deployment' '{deploymentId}' deploys model '{deployment.Model}', not '{model}'.");
        }
    }

    private static NotFoundException Missing(string id) => new($"Alert rule '{id}' does not exist.");

    /// <summary>The audit resource of a rule: under its model, so its events go to the model's namespace.</summary>
    internal static string Resource(string model, string id) => $"{ModelCatalog.Resource(model)}/alert-rules/{id}";

    /// <summary>A spec checked and completed with the defaults, in the columns' form.</summary>
    internal sealed record ValidSpec(
        string? Deployment, string Name, string? Description, string Kind, string? Feature, string? Metric, string? Source,
        string? Operator, double? Threshold, int Consecutive, long CooldownMs, string Severity, int Enabled);

    private static DynamicParameters Parameters(ValidSpec valid, object extra)
    {
        var parameters = new DynamicParameters(valid);
        parameters.AddDynamicParams(extra);
        return parameters;
    }

    /// <summary>Checks a spec before any lock is taken; each refusal names the field and says why.</summary>
    internal static ValidSpec Check(AlertRuleSpec spec)
    {
        var name = spec.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw new InvalidParameterException("'name' is required: a short name for the rule.");
        }
        if (name.Length > MaxNameLength)
        {
            throw new InvalidParameterException($"'name' is {name.Length} characters long; at most {MaxNameLength} are allowed.");
        }
        if (spec.Description is { Length: > MaxTextLength })
        {
            throw new InvalidParameterException($"'description' is {spec.Description.Length} characters long; at most {MaxTextLength} are allowed.");
        }
        if (spec.Deployment is { } deployment && (deployment.Length is 0 or > MaxNameLength))
        {
            throw new InvalidParameterException("'deployment' must be a deployment id (1 to 200 characters), or absent to watch every deployment of the model.");
        }
        var kind = spec.Kind ?? throw new InvalidParameterException("'kind' is required: one of drift, psi, metric.");
        if (!Enum.IsDefined(kind))
        {
            throw new InvalidParameterException("'kind' must be one of drift, psi, metric.");
        }
        if (spec.Feature is { } feature && (feature.Length is 0 or > MaxNameLength))
        {
            throw new InvalidParameterException("'feature' must be a feature name (1 to 200 characters), or absent.");
        }
        var consecutive = spec.Consecutive ?? 1;
        if (consecutive is < 1 or > MaxConsecutive)
        {
            throw new InvalidParameterException($"'consecutive' must be between 1 and {MaxConsecutive}; got {consecutive.ToString(CultureInfo.InvariantCulture)}.");
        }
        var cooldown = spec.CooldownMinutes ?? 60;
        if (cooldown is < 0 or > MaxCooldownMinutes)
        {
            throw new InvalidParameterException($"'cooldown_minutes' must be between 0 and {MaxCooldownMinutes} (a year); got {cooldown.ToString(CultureInfo.InvariantCulture)}.");
        }
        var severity = spec.Severity ?? AlertSeverity.Warning;
        if (!Enum.IsDefined(severity))
        {
            throw new InvalidParameterException("'severity' must be one of info, warning, critical.");
        }
        double? threshold = spec.Threshold;
        switch (kind)
        {
            case AlertKind.Drift:
                Absent(spec.Metric, "metric", "drift");
                Absent(spec.Source, "source", "drift");
                Absent(spec.Operator, "operator", "drift");
                if (spec.Threshold is not null)
                {
                    throw new InvalidParameterException("'threshold' does not apply to a drift rule: each feature's method has its threshold (the model's drift settings); use kind psi or metric for a threshold of your own.");
                }
                break;
            case AlertKind.Psi:
                Absent(spec.Metric, "metric", "psi");
                Absent(spec.Source, "source", "psi");
                Absent(spec.Operator, "operator", "psi");
                threshold ??= DefaultPsiThreshold;
                if (threshold is not > 0)
                {
                    throw new InvalidParameterException($"'threshold' of a psi rule must be above 0 (0.1 moderate, 0.25 significant); got {threshold.Value.ToString(CultureInfo.InvariantCulture)}.");
                }
                break;
            default:
                if (spec.Feature is not null)
                {
                    throw new InvalidParameterException("'feature' does not apply to a metric rule; name the metric in 'metric'.");
                }
                if (string.IsNullOrWhiteSpace(spec.Metric) || spec.Metric.Length > MaxNameLength)
                {
                    throw new InvalidParameterException("'metric' is required for a metric rule: the metric's name (accuracy, f1, rmse, or one the serving side reports), at most 200 characters.");
                }
                if (spec.Source is not null && !Sources.Contains(spec.Source))
                {
                    throw new InvalidParameterException($"'source' must be computed or reported (or absent for either); got '{spec.Source}'.");
                }
                if (spec.Operator is null || !Operators.Contains(spec.Operator))
                {
                    throw new InvalidParameterException($"'operator' is required for a metric rule and must be one of <, <=, >, >=; got '{spec.Operator}'.");
                }
                if (threshold is null)
                {
                    throw new InvalidParameterException("'threshold' is required for a metric rule: the value the metric is compared with.");
                }
                break;
        }
        return new ValidSpec(
            spec.Deployment, name, spec.Description, kind.ToString().ToLowerInvariant(), spec.Feature, spec.Metric, spec.Source, spec.Operator,
            threshold, consecutive, cooldown * 60_000L, severity.ToString().ToLowerInvariant(), spec.Enabled ?? true ? 1 : 0);
    }

    private static void Absent(string? value, string field, string kind)
    {
        if (value is not null)
        {
            throw new InvalidParameterException($"'{field}' does not apply to a {kind} rule; it is for metric rules.");
        }
    }
}
