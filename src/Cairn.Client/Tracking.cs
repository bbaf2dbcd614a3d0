using System.Text.Json.Serialization;

namespace Cairn.Client;

/// <summary>A tag or param of an experiment or run: MLflow's key/value pair.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
public sealed record TrackingTag(string Key, string Value);

/// <summary>An MLflow experiment, as Cairn's MLflow API returns it.</summary>
/// <param name="ExperimentId">Its id (MLflow's are numbers written as strings; <c>0</c> is Default).</param>
/// <param name="Name">Its unique name.</param>
/// <param name="ArtifactLocation">Where its runs' artifacts go.</param>
/// <param name="LifecycleStage"><c>active</c> or <c>deleted</c>.</param>
/// <param name="CreationTime">When it was created, in milliseconds since the Unix epoch.</param>
/// <param name="LastUpdateTime">When it last changed, in milliseconds since the Unix epoch.</param>
/// <param name="Tags">Its tags; null when it has none (MLflow leaves empty lists out).</param>
public sealed record Experiment(
    string ExperimentId, string Name, string? ArtifactLocation, string? LifecycleStage, long? CreationTime, long? LastUpdateTime,
    IReadOnlyList<TrackingTag>? Tags);

/// <summary>One page of an experiment search.</summary>
/// <param name="Experiments">The experiments on this page; null when none.</param>
/// <param name="NextPageToken">Pass it back for the next page; null on the last page.</param>
public sealed record ExperimentPage(IReadOnlyList<Experiment>? Experiments, string? NextPageToken);

/// <summary>A run's identity and state.</summary>
/// <param name="RunId">Its id.</param>
/// <param name="RunName">Its name.</param>
/// <param name="ExperimentId">The experiment it belongs to.</param>
/// <param name="UserId">Who started it.</param>
/// <param name="Status"><c>RUNNING</c>, <c>SCHEDULED</c>, <c>FINISHED</c>, <c>FAILED</c> or <c>KILLED</c>.</param>
/// <param name="StartTime">When it started, in milliseconds since the Unix epoch.</param>
/// <param name="EndTime">When it ended, in milliseconds since the Unix epoch; null while it runs.</param>
/// <param name="ArtifactUri">Where its artifacts are.</param>
/// <param name="LifecycleStage"><c>active</c> or <c>deleted</c>.</param>
public sealed record RunInfo(
    string RunId, string? RunName, string ExperimentId, string? UserId, string? Status, long? StartTime, long? EndTime, string? ArtifactUri,
    string? LifecycleStage);

/// <summary>A run's latest value of one metric.</summary>
/// <param name="Key">The metric's name.</param>
/// <param name="Value">Its value; NaN and ±∞ as MLflow allows.</param>
/// <param name="Timestamp">When it was logged, in milliseconds since the Unix epoch.</param>
/// <param name="Step">The step it was logged at.</param>
public sealed record RunMetric(
    string Key, [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] double Value, long? Timestamp, long? Step);

/// <summary>What a run logged.</summary>
/// <param name="Metrics">The latest value of each metric; null when none.</param>
/// <param name="Params">Its params; null when none.</param>
/// <param name="Tags">Its tags; null when none.</param>
public sealed record RunData(IReadOnlyList<RunMetric>? Metrics, IReadOnlyList<TrackingTag>? Params, IReadOnlyList<TrackingTag>? Tags);

/// <summary>An MLflow run.</summary>
/// <param name="Info">Its identity and state.</param>
/// <param name="Data">Its metrics, params and tags.</param>
public sealed record Run(RunInfo Info, RunData? Data);

/// <summary>One page of a run search.</summary>
/// <param name="Runs">The runs on this page; null when none.</param>
/// <param name="NextPageToken">Pass it back for the next page; null on the last page.</param>
public sealed record RunPage(IReadOnlyList<Run>? Runs, string? NextPageToken);

/// <summary>Which experiments or runs a search returns, by lifecycle stage (MLflow's ViewType).</summary>
public enum ViewType
{
    /// <summary>Only active ones (the default).</summary>
    ActiveOnly,

    /// <summary>Only deleted ones.</summary>
    DeletedOnly,

    /// <summary>Both.</summary>
    All,
}
