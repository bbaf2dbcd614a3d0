namespace Cairn.Monitoring;

/// <summary>
/// Where a version's reference profile comes from, as JSON: a <see cref="DatasetProfile"/> as it is (<see cref="Profile"/>),
/// a dataset's column statistics (<c>dataset</c>, its node id <c>dataset:&lt;namespace&gt;:&lt;name&gt;</c>, at
/// <c>dataset_version</c> or its current version), or, with neither, the one dataset the version's training run read
/// (through lineage). An uploaded sample (CSV or Parquet) is sent as the body itself instead.
/// </summary>
public sealed record ReferenceRequest(DatasetProfile? Profile = null, string? Dataset = null, string? DatasetVersion = null);

/// <summary>
/// A version's reference profile: what its serving data is compared with. <see cref="Source"/> is <c>profile</c> (sent as
/// JSON), <c>sample</c> (profiled from uploaded rows) or <c>dataset</c> (a dataset's statistics; <see cref="DatasetId"/> and
/// <c>dataset_version</c> say which).
/// </summary>
public sealed record ReferenceProfile(
    string Model, int Version, string Source, string? DatasetId, string? DatasetVersion, long Rows, DatasetProfile Profile,
    DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A model's drift settings; <see cref="UpdatedAt"/> null while they are the defaults (Evidently's).</summary>
public sealed record ModelMonitoringSettings(string Model, DriftSettings Settings, DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <summary>
/// A window of serving data reported as JSON: the version that served it, its time range and its profile (per feature:
/// counts, exact points, a histogram or quantiles for numbers, category counts).
/// </summary>
public sealed record WindowRequest(int? Version, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, DatasetProfile? Profile);

/// <summary>
/// A window as stored: its profile (as reported, or as Cairn computed it from rows: <see cref="Source"/> <c>profile</c>,
/// <c>csv</c> or <c>parquet</c>) and its drift against the version's reference (null when the version had none then).
/// Listings leave <see cref="Profile"/> out.
/// </summary>
public sealed record MonitoringWindow(
    string Id, string DeploymentId, string Model, int Version, DateTimeOffset StartsAt, DateTimeOffset EndsAt, long Rows, string Source,
    DatasetProfile? Profile, DatasetDrift? Drift, bool? Drifted, double? DriftShare, DateTimeOffset ReportedAt, string ReportedBy);

/// <summary>One feature's drift in one window, with the window's deployment, version and time range.</summary>
public sealed record WindowFeatureDrift(
    string WindowId, string DeploymentId, string Model, int Version, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
    string Feature, FeatureKind Kind, string Method, double? Score, double? Statistic, double Threshold, bool Drifted, double? Psi, string? PsiBand);

/// <summary>A page of per-window, per-feature drift rows, oldest window first.</summary>
public sealed record WindowDriftPage(IReadOnlyList<WindowFeatureDrift> Rows, string? NextPageToken);

/// <summary>
/// What <c>GET /api/v1/monitoring/drift</c> asks: a deployment or a model (one of them), optionally one version and one
/// feature, windows starting in [<see cref="From"/>, <see cref="To"/>); oldest window first, or newest first with
/// <see cref="NewestFirst"/> (a page of the most recent rows when the range holds more than a page).
/// </summary>
public sealed record WindowDriftQuery(
    string? Deployment = null, string? Model = null, int? Version = null, string? Feature = null, DateTimeOffset? From = null, DateTimeOffset? To = null,
    int? MaxResults = null, string? PageToken = null, bool NewestFirst = false);

/// <summary>
/// A deployment's most recent dataset-level drift verdict: its newest window (by start) that was compared with a
/// reference, whether the dataset drifted, and the share and number of drifted features among those compared.
/// </summary>
public sealed record DeploymentDriftVerdict(
    string DeploymentId, string Environment, string Name, string Model, int Version, string WindowId, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
    bool Drifted, double DriftShare, int DriftedFeatures, int Features);

/// <summary>
/// What <c>GET /api/v1/monitoring/drift/report</c> asks: the windows of one deployment and version starting in
/// [<see cref="From"/>, <see cref="To"/>), merged and compared with the reference now; <see cref="Method"/> and
/// <see cref="Threshold"/>, when given, replace the model's settings for every feature of this report.
/// </summary>
public sealed record DriftReportQuery(
    string? Deployment, int? Version = null, DateTimeOffset? From = null, DateTimeOffset? To = null, string? Method = null, double? Threshold = null);

/// <summary>The drift of the merged windows of a range against the reference, as settings say today.</summary>
public sealed record DriftReport(
    string DeploymentId, string Model, int Version, DateTimeOffset? From, DateTimeOffset? To, int Windows, long Rows, DriftSettings Settings, DatasetDrift Drift);
