using System.Text.Json;

namespace Cairn.Monitoring.Performance;

/// <summary>
/// One prediction a deployment made: the caller's id (ground truth arrives later with it), the version that answered,
/// when, what it predicted (a label or a number) and, for a classifier, its class probabilities.
/// </summary>
public sealed record PredictionInput(string? Id, int? Version, DateTimeOffset? At, JsonElement? Prediction, IReadOnlyDictionary<string, double>? Probabilities = null);

/// <summary>The true outcome of a prediction, by the prediction's id; <see cref="At"/> defaults to when it is recorded.</summary>
public sealed record GroundTruthInput(string? Id, JsonElement? Actual, DateTimeOffset? At = null);

/// <summary>A figure the serving side computed itself over [<see cref="StartsAt"/>, <see cref="EndsAt"/>).</summary>
public sealed record ReportedMetricInput(int? Version, string? Metric, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, double? Value, long? Count = null);

/// <summary>What a batch stored: how many rows (each new or replacing the row with its id) and the figures it recomputed.</summary>
public sealed record IngestResult(string DeploymentId, int Stored, IReadOnlyList<PerformancePoint> Recomputed);

/// <summary>
/// One performance figure: a metric of one version on one deployment over [<see cref="StartsAt"/>, <see cref="EndsAt"/>),
/// over <see cref="Count"/> predictions with ground truth (null when the serving side did not say), computed by Cairn
/// (<c>computed</c>) or reported by the serving side (<c>reported</c>).
/// </summary>
public sealed record PerformancePoint(
    string DeploymentId, string Model, int Version, string Metric, DateTimeOffset StartsAt, DateTimeOffset EndsAt, double Value, long? Count, string Source);

/// <summary>Performance figures in order of version, bucket start, metric and source.</summary>
public sealed record PerformanceSeries(string DeploymentId, string Model, string Bucket, string? Task, IReadOnlyList<PerformancePoint> Points);

/// <summary>
/// What <c>GET /api/v1/monitoring/performance</c> asks: one deployment, optionally one version and one metric, a time range
/// (predictions' times), the bucket (<c>hour</c>, <c>day</c>, or <c>range</c> for one bucket over the whole range), the
/// task (classification or regression; inferred per bucket when null) and the positive label of a binary classifier.
/// </summary>
public sealed record PerformanceQuery(
    string? Deployment, int? Version = null, string? Metric = null, DateTimeOffset? From = null, DateTimeOffset? To = null,
    string? Bucket = null, string? Task = null, string? PositiveLabel = null);
