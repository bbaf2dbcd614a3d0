using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Client;

/// <summary>
/// A version's reference profile: what its serving windows are compared with. <see cref="Source"/> is <c>profile</c>,
/// <c>sample</c> or <c>dataset</c> (then <see cref="DatasetId"/> and <see cref="DatasetVersion"/> say which).
/// </summary>
/// <param name="Model">The model's full name.</param>
/// <param name="Version">The version number.</param>
/// <param name="Source">Where the profile came from.</param>
/// <param name="DatasetId">The dataset whose statistics made it, or null.</param>
/// <param name="DatasetVersion">That dataset's version, or null.</param>
/// <param name="Rows">Rows the profile describes.</param>
/// <param name="Profile">The profile: <c>{"rows":…,"features":[…]}</c>.</param>
/// <param name="CreatedAt">When it was set.</param>
/// <param name="CreatedBy">Who set it.</param>
public sealed record ReferenceProfile(
    string Model, int Version, string Source, string? DatasetId, string? DatasetVersion, long Rows, JsonObject Profile, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>How one feature is tested: an Evidently method name (ks, chisquare, z, wasserstein, jensenshannon, psi) and a threshold; null for the defaults.</summary>
/// <param name="Method">The method, or null for Evidently's default.</param>
/// <param name="Threshold">The threshold, or null for the method's default.</param>
public sealed record FeatureDriftSettings(string? Method = null, double? Threshold = null);

/// <summary>A model's drift settings.</summary>
/// <param name="Default">The method and threshold of every feature without its own.</param>
/// <param name="Features">Per-feature settings.</param>
/// <param name="DriftShare">The share of drifted features at which the dataset drifts.</param>
public sealed record DriftSettings(FeatureDriftSettings? Default = null, IReadOnlyDictionary<string, FeatureDriftSettings>? Features = null, double DriftShare = 0.5);

/// <summary>A model's drift settings as stored (no update time while they are the defaults).</summary>
/// <param name="Model">The model's full name.</param>
/// <param name="Settings">The settings.</param>
/// <param name="UpdatedAt">When they were last set.</param>
/// <param name="UpdatedBy">Who last set them.</param>
public sealed record ModelMonitoringSettings(string Model, DriftSettings Settings, DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <summary>One feature's drift between a reference and a window.</summary>
/// <param name="Feature">The feature.</param>
/// <param name="Kind">numerical or categorical.</param>
/// <param name="Method">The test or distance used.</param>
/// <param name="Score">The p-value or distance compared with the threshold.</param>
/// <param name="Statistic">The test's statistic, where it has one.</param>
/// <param name="Threshold">The threshold.</param>
/// <param name="Drifted">Whether the feature drifted.</param>
/// <param name="Psi">The population stability index.</param>
/// <param name="PsiBand">stable, moderate or significant.</param>
/// <param name="Approximate">True when a profile was a sketch or a histogram.</param>
/// <param name="Note">Why a feature was not compared, when it was not.</param>
public sealed record FeatureDrift(
    string Feature, string Kind, string Method, double Score, double? Statistic, double Threshold, bool Drifted, double? Psi, string? PsiBand, bool Approximate, string? Note = null);

/// <summary>Every feature's drift and the dataset's verdict.</summary>
/// <param name="Features">Per feature.</param>
/// <param name="DriftedFeatures">How many drifted.</param>
/// <param name="DriftedShare">Their share of the compared features.</param>
/// <param name="DriftShareThreshold">The share at which the dataset drifts.</param>
/// <param name="Drifted">Whether the dataset drifted.</param>
public sealed record DatasetDrift(IReadOnlyList<FeatureDrift> Features, int DriftedFeatures, double DriftedShare, double DriftShareThreshold, bool Drifted);

/// <summary>A window of serving data with its drift (null without a reference).</summary>
/// <param name="Id">The window's id.</param>
/// <param name="DeploymentId">The deployment that reported it.</param>
/// <param name="Model">The model's full name.</param>
/// <param name="Version">The version that served it.</param>
/// <param name="StartsAt">Its start.</param>
/// <param name="EndsAt">Its end.</param>
/// <param name="Rows">Rows it describes.</param>
/// <param name="Source">profile, csv or parquet.</param>
/// <param name="Profile">Its profile.</param>
/// <param name="Drift">Its drift against the reference.</param>
/// <param name="Drifted">The dataset-level verdict.</param>
/// <param name="DriftShare">The drifted share of features.</param>
/// <param name="ReportedAt">When it was reported.</param>
/// <param name="ReportedBy">Who reported it.</param>
public sealed record MonitoringWindow(
    string Id, string DeploymentId, string Model, int Version, DateTimeOffset StartsAt, DateTimeOffset EndsAt, long Rows, string Source,
    JsonObject? Profile, DatasetDrift? Drift, bool? Drifted, double? DriftShare, DateTimeOffset ReportedAt, string ReportedBy);

/// <summary>One feature's drift in one window.</summary>
/// <param name="WindowId">The window.</param>
/// <param name="DeploymentId">Its deployment.</param>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="StartsAt">The window's start.</param>
/// <param name="EndsAt">The window's end.</param>
/// <param name="Feature">The feature.</param>
/// <param name="Kind">numerical or categorical.</param>
/// <param name="Method">The method.</param>
/// <param name="Score">The p-value or distance.</param>
/// <param name="Statistic">The statistic.</param>
/// <param name="Threshold">The threshold.</param>
/// <param name="Drifted">Whether it drifted.</param>
/// <param name="Psi">The PSI.</param>
/// <param name="PsiBand">The PSI's band.</param>
public sealed record WindowFeatureDrift(
    string WindowId, string DeploymentId, string Model, int Version, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string Feature, string Kind,
    string Method, double? Score, double? Statistic, double Threshold, bool Drifted, double? Psi, string? PsiBand);

/// <summary>A page of drift rows.</summary>
/// <param name="Rows">The rows, oldest window first.</param>
/// <param name="NextPageToken">The next page's token, or null.</param>
public sealed record WindowDriftPage(IReadOnlyList<WindowFeatureDrift> Rows, string? NextPageToken);

/// <summary>The drift of the merged windows of a range against the reference now.</summary>
/// <param name="DeploymentId">The deployment.</param>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="From">The range's start, or null.</param>
/// <param name="To">The range's end, or null.</param>
/// <param name="Windows">How many windows were merged.</param>
/// <param name="Rows">Their rows.</param>
/// <param name="Settings">The settings compared with.</param>
/// <param name="Drift">The drift.</param>
public sealed record DriftReport(string DeploymentId, string Model, int Version, DateTimeOffset? From, DateTimeOffset? To, int Windows, long Rows, DriftSettings Settings, DatasetDrift Drift);

/// <summary>A prediction a deployment made.</summary>
/// <param name="Id">The caller's prediction id.</param>
/// <param name="Version">The version that answered.</param>
/// <param name="At">When.</param>
/// <param name="Prediction">A label (string, number, boolean) or a number.</param>
/// <param name="Probabilities">Class probabilities by label, for a classifier.</param>
public sealed record PredictionInput(string Id, int Version, DateTimeOffset At, JsonElement Prediction, IReadOnlyDictionary<string, double>? Probabilities = null);

/// <summary>The true outcome of a prediction.</summary>
/// <param name="Id">The prediction's id.</param>
/// <param name="Actual">The true label or number.</param>
/// <param name="At">When it was known; null for now.</param>
public sealed record GroundTruthInput(string Id, JsonElement Actual, DateTimeOffset? At = null);

/// <summary>A figure the serving side computed itself.</summary>
/// <param name="Version">The version.</param>
/// <param name="Metric">The metric's name.</param>
/// <param name="StartsAt">The period's start.</param>
/// <param name="EndsAt">The period's end.</param>
/// <param name="Value">The value.</param>
/// <param name="Count">Over how many predictions, if known.</param>
public sealed record ReportedMetricInput(int Version, string Metric, DateTimeOffset StartsAt, DateTimeOffset EndsAt, double Value, long? Count = null);

/// <summary>One performance figure of a version over a period.</summary>
/// <param name="DeploymentId">The deployment.</param>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="Metric">accuracy, precision, recall, f1, roc_auc, log_loss, mae, rmse, r2, or a reported name.</param>
/// <param name="StartsAt">The bucket's start.</param>
/// <param name="EndsAt">The bucket's end.</param>
/// <param name="Value">The value.</param>
/// <param name="Count">Predictions with ground truth it covers.</param>
/// <param name="Source">computed or reported.</param>
public sealed record PerformancePoint(string DeploymentId, string Model, int Version, string Metric, DateTimeOffset StartsAt, DateTimeOffset EndsAt, double Value, long? Count, string Source);

/// <summary>Performance figures of a deployment.</summary>
/// <param name="DeploymentId">The deployment.</param>
/// <param name="Model">The model.</param>
/// <param name="Bucket">hour, day or range.</param>
/// <param name="Task">The task asked for, or null when inferred.</param>
/// <param name="Points">The figures.</param>
public sealed record PerformanceSeries(string DeploymentId, string Model, string Bucket, string? Task, IReadOnlyList<PerformancePoint> Points);

/// <summary>What a batch stored and the daily figures it recomputed.</summary>
/// <param name="DeploymentId">The deployment.</param>
/// <param name="Stored">Rows stored (new or replacing).</param>
/// <param name="Recomputed">The figures recomputed.</param>
public sealed record IngestResult(string DeploymentId, int Stored, IReadOnlyList<PerformancePoint> Recomputed);
