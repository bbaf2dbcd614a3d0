using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;

namespace Cairn.Monitoring.Alerts;

/// <summary>
/// Evaluates the alert rules that watch a series when a window or a performance figure is stored, inside the
/// transaction that stores it: a raised alert, its audit entry and its event commit with the data or not at all. Reads
/// are set-based: the matching rules in one query, the newest K windows (K the largest of those rules') with their
/// feature rows in one, the rules' previous alerts on the deployment in one.
/// </summary>
public sealed class AlertEvaluator(Storage.CairnDatabase database, Governance.AuditChain audit, TimeProvider clock)
{
    /// <summary>The path of a window on the API, as alert evidence links it (relative to the server's base URL).</summary>
    public static string WindowPath(string windowId) => "/api/v1/monitoring/windows/" + Uri.EscapeDataString(windowId);

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record WindowKey
    {
        public string DeploymentId { get; init; } = "";
        public long ModelId { get; init; }
        public long VersionId { get; init; }
        public long Version { get; init; }
    }

    private sealed record WindowFeatureRow
    {
        public string Id { get; init; } = "";
        public long StartsAt { get; init; }
        public long EndsAt { get; init; }
        public long? Drifted { get; init; }
        public double? DriftShare { get; init; }
        public string? Feature { get; init; }
        public string? Method { get; init; }
        public double? Score { get; init; }
        public double? Threshold { get; init; }
        public long? FeatureDrifted { get; init; }
        public double? Psi { get; init; }
    }

    private sealed record PreviousRow
    {
        public string RuleId { get; init; } = "";
        public long LastStart { get; init; }
        public long DataTo { get; init; }
    }

    private sealed record MetricRow
    {
        public string Metric { get; init; } = "";
        public long StartsAt { get; init; }
        public long EndsAt { get; init; }
        public double Value { get; init; }
        public long? Count { get; init; }
        public string Source { get; init; } = "";
        public long Version { get; init; }
    }

    private sealed record SeriesWindow(WindowFeatureRow Window, IReadOnlyList<AlertFeature> Features)
    {
        public bool? Drifted => Window.Drifted is { } d ? d != 0 : null;
    }

    /// <summary>
    /// Evaluates the drift and PSI rules watching the series (deployment and version) of the stored window
    /// <paramref name="windowId"/>, in <paramref name="transaction"/>; raises and records the alerts due, audited as
    /// <paramref name="actor"/> (who reported the window), and returns them.
    /// </summary>
    public async Task<IReadOnlyList<Alert>> EvaluateWindowAsync(DbTransaction transaction, string actor, string windowId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var connection = transaction.Connection!;
        var key = await connection.QuerySingleOrDefaultAsync<WindowKey>(new CommandDefinition(
            "SELECT deployment_id, model_id, version_id, version FROM monitoring_windows WHERE id = @windowId",
            new { windowId }, transaction, cancellationToken: cancellationToken))
            ?? throw new InvalidOperationException($"Window '{windowId}' is not stored in this transaction.");
        var rules = (await connection.QueryAsync<AlertRules.RuleRow>(new CommandDefinition(
            AlertRules.SelectRules + " WHERE r.model_id = @ModelId AND r.enabled = 1 AND r.kind IN ('drift', 'psi') AND (r.deployment_id IS NULL OR r.deployment_id = @DeploymentId)",
            key, transaction, cancellationToken: cancellationToken))).ToList();
        if (rules.Count == 0)
        {
            return [];
        }
        var k = rules.Max(r => r.Consecutive);
        var rows = await connection.QueryAsync<WindowFeatureRow>(new CommandDefinition(
            """
            SELECT w.id, w.starts_at, w.ends_at, w.drifted, w.drift_share, f.feature, f.method, f.score, f.threshold,
                   f.drifted AS feature_drifted, f.psi
            FROM (SELECT id, starts_at, ends_at, drifted, drift_share, reported_at FROM monitoring_windows
                  WHERE deployment_id = @DeploymentId AND version_id = @VersionId
                  ORDER BY starts_at DESC, reported_at DESC, id DESC LIMIT @k) w
            LEFT JOIN monitoring_feature_drift f ON f.window_id = w.id
            ORDER BY w.starts_at DESC, w.reported_at DESC, w.id DESC, f.feature
            """,
            new { key.DeploymentId, key.VersionId, k }, transaction, cancellationToken: cancellationToken));
        var series = new List<SeriesWindow>();
        foreach (var group in rows.GroupBy(r => r.Id))
        {
            var features = group.Where(r => r.Feature is not null)
                .Select(r => new AlertFeature(r.Feature!, r.Method!, r.Score, r.Threshold ?? 0, r.FeatureDrifted is not null and not 0, r.Psi))
                .ToList();
            series.Add(new SeriesWindow(group.First(), features));
        }
        var previous = await PreviousAsync(transaction, key.DeploymentId, rules.Select(r => r.Id), cancellationToken);
        var raised = new List<Alert>();
        AlertDeployment? deployment = null;
        foreach (var rule in rules)
        {
            var window = series.Take((int)rule.Consecutive).ToList();
            var breaching = window.Select(w => Breaching(rule, w)).ToList();
            var observations = window.Select((w, i) => new AlertObservation(w.Window.StartsAt, w.Window.EndsAt, breaching[i] is not null)).ToList();
            if (!AlertStreak.Raises((int)rule.Consecutive, rule.CooldownMs, observations, Previous(previous, rule.Id)))
            {
                continue;
            }
            var windows = window.Select((w, i) => new AlertWindow(
                w.Window.Id, Alerts.At(w.Window.StartsAt), Alerts.At(w.Window.EndsAt), WindowPath(w.Window.Id), w.Drifted, w.Window.DriftShare, breaching[i]!)).ToList();
            var names = windows.SelectMany(w => w.Features).Select(f => f.Feature).ToHashSet(StringComparer.Ordinal);
            var newest = window[0].Features.Where(f => names.Contains(f.Feature)).ToList();
            deployment ??= await DeploymentAsync(transaction, key.DeploymentId, cancellationToken);
            var evidence = new AlertEvidence(rule.ToRule(), rule.Model, (int)key.Version, deployment, newest, windows, []);
            raised.Add(await RaiseAsync(transaction, actor, rule, key.ModelId, key.VersionId, evidence,
                window[^1].Window.StartsAt, window[0].Window.EndsAt, window[0].Window.StartsAt, Summary(rule, evidence), cancellationToken));
        }
        return raised;
    }

    /// <summary>
    /// Evaluates the metric rules watching <paramref name="metrics"/> of deployment <paramref name="deploymentId"/>'s
    /// version <paramref name="versionId"/> after performance figures were stored in <paramref name="transaction"/>;
    /// raises and records the alerts due, audited as <paramref name="actor"/>, and returns them.
    /// </summary>
    public async Task<IReadOnlyList<Alert>> EvaluatePerformanceAsync(
        DbTransaction transaction, string actor, string deploymentId, long versionId, IReadOnlyCollection<string> metrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count == 0)
        {
            return [];
        }
        var connection = transaction.Connection!;
        var dialect = database.Dialect;
        var names = dialect.ValueSetParameter(metrics.Distinct(StringComparer.Ordinal));
        var rules = (await connection.QueryAsync<AlertRules.RuleRow>(new CommandDefinition(
            AlertRules.SelectRules + $"""
             WHERE r.model_id = (SELECT model_id FROM model_versions WHERE id = @versionId) AND r.enabled = 1 AND r.kind = 'metric'
               AND (r.deployment_id IS NULL OR r.deployment_id = @deploymentId) AND r.metric IN {dialect.ValueSet("@names", "TEXT")}
            """,
            new { versionId, deploymentId, names }, transaction, cancellationToken: cancellationToken))).ToList();
        if (rules.Count == 0)
        {
            return [];
        }
        var k = rules.Max(r => r.Consecutive);
        // The newest K figures of each metric and source: enough for a rule on one source and for one on either.
        var rows = (await connection.QueryAsync<MetricRow>(new CommandDefinition(
            $"""
            SELECT metric, starts_at, ends_at, value, count, source, version FROM (
                SELECT metric, starts_at, ends_at, value, count, source, version,
                       ROW_NUMBER() OVER (PARTITION BY metric, source ORDER BY starts_at DESC) AS n
                FROM performance_metrics
                WHERE deployment_id = @deploymentId AND version_id = @versionId AND metric IN {dialect.ValueSet("@names", "TEXT")}) p
            WHERE n <= @k
            ORDER BY metric, starts_at DESC, source
            """,
            new { deploymentId, versionId, names, k }, transaction, cancellationToken: cancellationToken))).ToList();
        var previous = await PreviousAsync(transaction, deploymentId, rules.Select(r => r.Id), cancellationToken);
        var raised = new List<Alert>();
        AlertDeployment? deployment = null;
        foreach (var rule in rules)
        {
            var figures = rows.Where(r => r.Metric == rule.Metric && (rule.Source is null || r.Source == rule.Source)).Take((int)rule.Consecutive).ToList();
            var observations = figures.Select(f => new AlertObservation(f.StartsAt, f.EndsAt, Compare(f.Value, rule.Operator!, rule.Threshold!.Value))).ToList();
            if (!AlertStreak.Raises((int)rule.Consecutive, rule.CooldownMs, observations, Previous(previous, rule.Id)))
            {
                continue;
            }
            var values = figures.Select(f => new AlertMetricValue(f.Metric, Alerts.At(f.StartsAt), Alerts.At(f.EndsAt), f.Value, f.Count, f.Source)).ToList();
            deployment ??= await DeploymentAsync(transaction, deploymentId, cancellationToken);
            var evidence = new AlertEvidence(rule.ToRule(), rule.Model, (int)figures[0].Version, deployment, [], [], values);
            raised.Add(await RaiseAsync(transaction, actor, rule, rule.ModelId, versionId, evidence,
                figures[^1].StartsAt, figures[0].EndsAt, figures[0].StartsAt, Summary(rule, evidence), cancellationToken));
        }
        return raised;
    }

    // A struct's dictionary lookup would answer a default (0, 0) for a rule that never raised: absent must stay null.
    private static PreviousAlert? Previous(Dictionary<string, PreviousAlert> previous, string ruleId) =>
        previous.TryGetValue(ruleId, out var last) ? last : null;

    private sealed record VersionRow
    {
        public long Id { get; init; }
        public long Version { get; init; }
    }

    /// <summary>
    /// Evaluates the metric rules watching the figures <paramref name="points"/> just stored in
    /// <paramref name="transaction"/> (computed or reported), per deployment and version; raises and records the alerts
    /// due, audited as <paramref name="actor"/>, and returns them.
    /// </summary>
    public async Task<IReadOnlyList<Alert>> EvaluatePerformanceAsync(
        DbTransaction transaction, string actor, IReadOnlyCollection<Performance.PerformancePoint> points, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(points);
        var raised = new List<Alert>();
        foreach (var model in points.GroupBy(p => p.Model, StringComparer.Ordinal))
        {
            var versions = (await transaction.Connection!.QueryAsync<VersionRow>(new CommandDefinition(
                $"SELECT v.id, v.version FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.full_name = @model AND v.version IN {database.Dialect.ValueSet("@numbers", "BIGINT")}",
                new { model = model.Key, numbers = database.Dialect.ValueSetParameter(model.Select(p => (long)p.Version).Distinct().ToList()) },
                transaction, cancellationToken: cancellationToken))).ToDictionary(v => v.Version, v => v.Id);
            foreach (var series in model.GroupBy(p => (p.DeploymentId, p.Version)))
            {
                if (versions.TryGetValue(series.Key.Version, out var versionId))
                {
                    raised.AddRange(await EvaluatePerformanceAsync(
                        transaction, actor, series.Key.DeploymentId, versionId, [.. series.Select(p => p.Metric).Distinct(StringComparer.Ordinal)], cancellationToken));
                }
            }
        }
        return raised;
    }

    /// <summary>Whether <paramref name="value"/> breaches: <c>value operator threshold</c>.</summary>
    internal static bool Compare(double value, string @operator, double threshold) => @operator switch
    {
        "<" => value < threshold,
        "<=" => value <= threshold,
        ">" => value > threshold,
        ">=" => value >= threshold,
        _ => false,
    };

    /// <summary>The features of <paramref name="window"/> that breach <paramref name="rule"/>, or null when the window does not.</summary>
    private static List<AlertFeature>? Breaching(AlertRules.RuleRow rule, SeriesWindow window)
    {
        switch (rule.KindValue)
        {
            case AlertKind.Drift when rule.Feature is null:
                return window.Drifted == true ? [.. window.Features.Where(f => f.Drifted)] : null;
            case AlertKind.Drift:
                return window.Features.FirstOrDefault(f => f.Feature == rule.Feature) is { Drifted: true } one ? [one] : null;
            default:
                var threshold = rule.Threshold ?? AlertRules.DefaultPsiThreshold;
                var over = window.Features.Where(f => f.Psi >= threshold && (rule.Feature is null || f.Feature == rule.Feature)).ToList();
                return over.Count > 0 ? over : null;
        }
    }

    /// <summary>The deployment's id, environment and name (the id alone when no deployment is recorded under it).</summary>
    private static async Task<AlertDeployment> DeploymentAsync(DbTransaction transaction, string id, CancellationToken cancellationToken) =>
        await Deployments.DeploymentRegistry.FindAsync(transaction.Connection!, transaction, id, cancellationToken) is { } found
            ? new AlertDeployment(id, found.Environment, found.Name)
            : new AlertDeployment(id);

    private async Task<Dictionary<string, PreviousAlert>> PreviousAsync(
        DbTransaction transaction, string deploymentId, IEnumerable<string> ruleIds, CancellationToken cancellationToken)
    {
        var dialect = database.Dialect;
        var rows = await transaction.Connection!.QueryAsync<PreviousRow>(new CommandDefinition(
            $"""
            SELECT rule_id, MAX(last_start) AS last_start, MAX(data_to) AS data_to FROM alerts
            WHERE deployment_id = @deploymentId AND rule_id IN {dialect.ValueSet("@ids", "TEXT")}
            GROUP BY rule_id
            """,
            new { deploymentId, ids = dialect.ValueSetParameter(ruleIds.ToList()) }, transaction, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.RuleId, r => new PreviousAlert(r.LastStart, r.DataTo), StringComparer.Ordinal);
    }

    private async Task<Alert> RaiseAsync(
        DbTransaction transaction, string actor, AlertRules.RuleRow rule, long modelId, long versionId, AlertEvidence evidence,
        long dataFrom, long dataTo, long lastStart, string summary, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO alerts (id, rule_id, model_id, model, namespace, version_id, version, deployment_id, kind, severity, status,
                                summary, evidence, data_from, data_to, last_start, raised_at)
            VALUES (@id, @ruleId, @modelId, @model, @ns, @versionId, @version, @deployment, @kind, @severity, 'open',
                    @summary, @evidence, @dataFrom, @dataTo, @lastStart, @now)
            """,
            new
            {
                id,
                ruleId = rule.Id,
                modelId,
                model = rule.Model,
                ns = rule.Namespace,
                versionId,
                version = (long)evidence.Version,
                deployment = evidence.Deployment.Id,
                kind = rule.Kind,
                severity = rule.Severity,
                summary,
                evidence = JsonSerializer.Serialize(evidence, CairnJson.Options),
                dataFrom,
                dataTo,
                lastStart,
                now,
            },
            transaction, cancellationToken: cancellationToken));
        var alert = new Alert(
            id, rule.Id, rule.Model, evidence.Version, evidence.Deployment, rule.KindValue, Enum.Parse<AlertSeverity>(rule.Severity, ignoreCase: true),
            AlertStatus.Open, summary, Alerts.At(now), Alerts.At(dataFrom), Alerts.At(dataTo), Alerts.FeatureNames(evidence), evidence, null, null);
        await audit.AppendAsync(transaction, actor, "alert.raise", Alerts.Resource(rule.Model, id), null, alert, cancellationToken);
        Storage.CairnDatabase.AfterCommit(transaction, () => CairnTelemetry.AlertsRaised.Add(
            1, new KeyValuePair<string, object?>("kind", rule.Kind.ToLowerInvariant()), new KeyValuePair<string, object?>("severity", rule.Severity.ToLowerInvariant())));
        return alert;
    }

    /// <summary>One line for people: what breached, how long, where.</summary>
    private static string Summary(AlertRules.RuleRow rule, AlertEvidence evidence)
    {
        var k = rule.Consecutive;
        var where = $"{rule.Model} v{evidence.Version.ToString(CultureInfo.InvariantCulture)} on deployment {evidence.Deployment.Id}";
        var run = k == 1 ? "in the latest window" : $"in {k.ToString(CultureInfo.InvariantCulture)} consecutive windows";
        var features = Alerts.FeatureNames(evidence);
        var named = features.Count == 0 ? "" : $" (features: {string.Join(", ", features.Take(10))}{(features.Count > 10 ? ", …" : "")})";
        return rule.KindValue switch
        {
            AlertKind.Drift when rule.Feature is null => $"{rule.Name}: dataset drift {run} of {where}{named}",
            AlertKind.Drift => $"{rule.Name}: feature {rule.Feature} drifted {run} of {where}",
            AlertKind.Psi => $"{rule.Name}: PSI ≥ {Alerts.Format(rule.Threshold ?? AlertRules.DefaultPsiThreshold)} {run} of {where}{named}",
            _ => $"{rule.Name}: {rule.Metric} {rule.Operator} {Alerts.Format(rule.Threshold ?? 0)} in {(k == 1 ? "the latest figure" : $"{k.ToString(CultureInfo.InvariantCulture)} consecutive figures")} of {where} (latest {Alerts.Format(evidence.Metrics[0].Value)})",
        };
    }
}
