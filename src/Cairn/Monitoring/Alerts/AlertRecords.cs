namespace Cairn.Monitoring.Alerts;

/// <summary>What an alert rule watches.</summary>
public enum AlertKind
{
    /// <summary>A window's drift verdict: the dataset's, or one named feature's.</summary>
    Drift,

    /// <summary>A feature's PSI (or any feature's, when none is named) at or above the threshold.</summary>
    Psi,

    /// <summary>A performance metric, computed or reported, compared with the threshold by the operator.</summary>
    Metric,
}

/// <summary>How loud an alert is; receivers route on it.</summary>
public enum AlertSeverity
{
    /// <summary>Worth a look.</summary>
    Info,

    /// <summary>Worth acting on soon (the default).</summary>
    Warning,

    /// <summary>Worth acting on now.</summary>
    Critical,
}

/// <summary>Where an alert is: open, acknowledged (someone is on it), resolved (final).</summary>
public enum AlertStatus
{
    /// <summary>Raised, nobody has taken it yet.</summary>
    Open,

    /// <summary>Someone has taken it.</summary>
    Acknowledged,

    /// <summary>Done with; final.</summary>
    Resolved,
}

/// <summary>
/// A rule as a caller writes it (POST creates, PUT replaces): every part optional here, checked by
/// <see cref="AlertRules"/> with a message naming the field.
/// </summary>
/// <param name="Model">The model's full name (required; cannot change on PUT).</param>
/// <param name="Deployment">A deployment id: the rule watches only that deployment; null watches every one serving the model.</param>
/// <param name="Name">A short name (required).</param>
/// <param name="Description">What the rule is for and what to do when it fires.</param>
/// <param name="Kind">drift, psi or metric (required).</param>
/// <param name="Feature">drift: the feature whose verdict counts (null: the dataset's); psi: the feature (null: any).</param>
/// <param name="Metric">metric: the metric's name (accuracy, f1, rmse, or any reported one).</param>
/// <param name="Source">metric: computed, reported, or null for either.</param>
/// <param name="Operator">metric: <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c> or <c>&gt;=</c>: breached when value operator threshold.</param>
/// <param name="Threshold">psi: the PSI at or above which a window breaches (default 0.25); metric: the value compared with.</param>
/// <param name="Consecutive">K: how many consecutive windows (metric buckets) must breach (default 1, at most 100).</param>
/// <param name="CooldownMinutes">No new alert of this rule on a deployment within this much data time after one (default 60).</param>
/// <param name="Severity">info, warning (default) or critical.</param>
/// <param name="Enabled">Whether the rule is evaluated (default true).</param>
public sealed record AlertRuleSpec(
    string? Model = null,
    string? Deployment = null,
    string? Name = null,
    string? Description = null,
    AlertKind? Kind = null,
    string? Feature = null,
    string? Metric = null,
    string? Source = null,
    string? Operator = null,
    double? Threshold = null,
    int? Consecutive = null,
    int? CooldownMinutes = null,
    AlertSeverity? Severity = null,
    bool? Enabled = null);

/// <summary>A stored alert rule.</summary>
/// <param name="Id">The rule's id.</param>
/// <param name="Model">The model's full name.</param>
/// <param name="Deployment">The one deployment watched, or null for every deployment serving the model.</param>
/// <param name="Name">Its short name.</param>
/// <param name="Description">What it is for.</param>
/// <param name="Kind">drift, psi or metric.</param>
/// <param name="Feature">The feature (drift, psi), or null.</param>
/// <param name="Metric">The metric (metric rules).</param>
/// <param name="Source">computed, reported or null (metric rules).</param>
/// <param name="Operator">The comparison (metric rules).</param>
/// <param name="Threshold">The threshold (psi, metric rules).</param>
/// <param name="Consecutive">K consecutive windows or buckets.</param>
/// <param name="CooldownMinutes">The cool-down, in minutes of data time.</param>
/// <param name="Severity">Its alerts' severity.</param>
/// <param name="Enabled">Whether it is evaluated.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="UpdatedBy">Who last changed it.</param>
public sealed record AlertRule(
    string Id,
    string Model,
    string? Deployment,
    string Name,
    string? Description,
    AlertKind Kind,
    string? Feature,
    string? Metric,
    string? Source,
    string? Operator,
    double? Threshold,
    int Consecutive,
    int CooldownMinutes,
    AlertSeverity Severity,
    bool Enabled,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset UpdatedAt,
    string UpdatedBy);

/// <summary>Which rules to list; every part optional.</summary>
public sealed record AlertRuleQuery(string? Model = null, string? Deployment = null, int? MaxResults = null, string? PageToken = null);

/// <summary>A page of rules, newest first.</summary>
public sealed record AlertRulePage(IReadOnlyList<AlertRule> Rules, string? NextPageToken);

/// <summary>The deployment an alert is about: its id, and its environment and name when the deployment is known.</summary>
public sealed record AlertDeployment(string Id, string? Environment = null, string? Name = null);

/// <summary>One feature's drift figures in one window, as an alert cites them.</summary>
/// <param name="Feature">The feature.</param>
/// <param name="Method">The test (ks, chisquare, z, wasserstein, jensenshannon, psi).</param>
/// <param name="Score">What was compared with the threshold (a p-value or a distance).</param>
/// <param name="Threshold">The method's threshold.</param>
/// <param name="Drifted">The feature's verdict.</param>
/// <param name="Psi">Its PSI.</param>
public sealed record AlertFeature(string Feature, string Method, double? Score, double Threshold, bool Drifted, double? Psi);

/// <summary>One window an alert cites: its id, its time range, where the API serves it, its verdict and breaching features.</summary>
/// <param name="Id">The window's id.</param>
/// <param name="StartsAt">Start of the data it covers.</param>
/// <param name="EndsAt">End of the data it covers.</param>
/// <param name="Url">The window's path on Cairn's API (relative to the server's base URL).</param>
/// <param name="Drifted">The dataset-level verdict (null when the version had no reference).</param>
/// <param name="DriftShare">The share of drifted features.</param>
/// <param name="Features">The features that breached the rule in this window.</param>
public sealed record AlertWindow(
    string Id, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string Url, bool? Drifted, double? DriftShare, IReadOnlyList<AlertFeature> Features);

/// <summary>One performance figure an alert cites.</summary>
public sealed record AlertMetricValue(string Metric, DateTimeOffset StartsAt, DateTimeOffset EndsAt, double Value, long? Count, string Source);

/// <summary>
/// Why an alert was raised, complete enough for a retraining job to start from it: the rule as it was, the model,
/// version and deployment, the features that breached with their figures in the newest window, the K windows (ids,
/// time ranges, API paths) or the K metric values.
/// </summary>
public sealed record AlertEvidence(
    AlertRule Rule,
    string Model,
    int Version,
    AlertDeployment Deployment,
    IReadOnlyList<AlertFeature> Features,
    IReadOnlyList<AlertWindow> Windows,
    IReadOnlyList<AlertMetricValue> Metrics);

/// <summary>Who acknowledged or resolved an alert, when, and what they said.</summary>
public sealed record AlertAction(DateTimeOffset At, string By, string? Comment);

/// <summary>An alert a rule raised: its state, its summary and its evidence (the payload of its events).</summary>
/// <param name="Id">The alert's id.</param>
/// <param name="RuleId">The rule that raised it.</param>
/// <param name="Model">The model's full name.</param>
/// <param name="Version">The version the windows were reported for.</param>
/// <param name="Deployment">The deployment (id, environment, name).</param>
/// <param name="Kind">The rule's kind.</param>
/// <param name="Severity">The rule's severity.</param>
/// <param name="Status">open, acknowledged or resolved.</param>
/// <param name="Summary">One line for people.</param>
/// <param name="RaisedAt">When it was raised.</param>
/// <param name="DataFrom">Start of the oldest window (bucket) in the evidence.</param>
/// <param name="DataTo">End of the newest.</param>
/// <param name="Features">The features that breached (names), for filtering receivers.</param>
/// <param name="Evidence">The evidence.</param>
/// <param name="Acknowledged">Who acknowledged it, or null.</param>
/// <param name="Resolved">Who resolved it, or null.</param>
public sealed record Alert(
    string Id,
    string RuleId,
    string Model,
    int Version,
    AlertDeployment Deployment,
    AlertKind Kind,
    AlertSeverity Severity,
    AlertStatus Status,
    string Summary,
    DateTimeOffset RaisedAt,
    DateTimeOffset DataFrom,
    DateTimeOffset DataTo,
    IReadOnlyList<string> Features,
    AlertEvidence Evidence,
    AlertAction? Acknowledged,
    AlertAction? Resolved);

/// <summary>Which alerts to list; every part optional.</summary>
/// <param name="Model">Only this model's (full name).</param>
/// <param name="Deployment">Only this deployment's.</param>
/// <param name="Status">Only in this status.</param>
/// <param name="From">Raised at or after.</param>
/// <param name="To">Raised before.</param>
/// <param name="MaxResults">Page size (default 100, at most 1000).</param>
/// <param name="PageToken">The previous page's token.</param>
public sealed record AlertQuery(
    string? Model = null, string? Deployment = null, string? Status = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int? MaxResults = null, string? PageToken = null);

/// <summary>A page of alerts, newest first.</summary>
public sealed record AlertPage(IReadOnlyList<Alert> Alerts, string? NextPageToken);

/// <summary>A deployment's open (or acknowledged) alerts in a count, for the monitoring overview.</summary>
public sealed record DeploymentAlertCount(string Deployment, string Model, long Open, long Acknowledged, AlertSeverity Highest, DateTimeOffset LastRaisedAt);
