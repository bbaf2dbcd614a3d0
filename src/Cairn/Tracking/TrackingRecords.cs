namespace Cairn.Tracking;

/// <summary>MLflow's lifecycle stages of experiments and runs.</summary>
public static class LifecycleStage
{
    public const string Active = "active";
    public const string Deleted = "deleted";
}

/// <summary>Which lifecycle stages a search returns (MLflow's ViewType).</summary>
public enum ViewType
{
    ActiveOnly,
    DeletedOnly,
    All,
}

/// <summary>MLflow's run statuses.</summary>
public static class RunStatus
{
    public const string Running = "RUNNING";
    public const string Scheduled = "SCHEDULED";
    public const string Finished = "FINISHED";
    public const string Failed = "FAILED";
    public const string Killed = "KILLED";

    public static readonly IReadOnlyList<string> All = [Running, Scheduled, Finished, Failed, Killed];
}

/// <summary>A tag or param: MLflow's key/value pair.</summary>
public sealed record KeyValue(string Key, string Value);

/// <summary>
/// One metric point. <see cref="Value"/> may be NaN or ±∞, as MLflow allows. A point may also be linked to a logged model
/// (<see cref="ModelId"/>) and to the dataset it was measured on; the link is kept with the model, not the run.
/// </summary>
public sealed record Metric(string Key, double Value, long Timestamp, long Step, string? ModelId = null, string? DatasetName = null, string? DatasetDigest = null);

public sealed record Experiment(
    string ExperimentId,
    string Name,
    string ArtifactLocation,
    string LifecycleStage,
    long CreationTime,
    long LastUpdateTime,
    IReadOnlyList<KeyValue> Tags);

public sealed record RunInfo(
    string RunId,
    string RunUuid,
    string RunName,
    string ExperimentId,
    string? UserId,
    string Status,
    long? StartTime,
    long? EndTime,
    string ArtifactUri,
    string LifecycleStage);

public sealed record RunData(IReadOnlyList<Metric> Metrics, IReadOnlyList<KeyValue> Params, IReadOnlyList<KeyValue> Tags);

/// <summary>A dataset as MLflow's log-inputs describes it: identified by name and digest within an experiment.</summary>
public sealed record Dataset(string Name, string Digest, string SourceType, string Source, string? Schema = null, string? Profile = null);

public sealed record DatasetInput(IReadOnlyList<KeyValue> Tags, Dataset Dataset);

/// <summary>What a run read: datasets, and logged models (<see cref="ModelInputs"/>, null when none).</summary>
public sealed record RunInputs(IReadOnlyList<DatasetInput> DatasetInputs, IReadOnlyList<LoggedModels.RunModelLink>? ModelInputs = null);

/// <summary>What a run produced: logged models, each at a step.</summary>
public sealed record RunOutputs(IReadOnlyList<LoggedModels.RunModelLink> ModelOutputs);

public sealed record Run(RunInfo Info, RunData Data, RunInputs Inputs, RunOutputs? Outputs = null);

public sealed record ExperimentQuery(string? Filter, string? OrderBy, int? MaxResults, string? PageToken, ViewType ViewType = ViewType.ActiveOnly);

public sealed record ExperimentPage(IReadOnlyList<Experiment> Experiments, string? NextPageToken);

public sealed record RunQuery(
    IReadOnlyList<string> ExperimentIds,
    string? Filter,
    IReadOnlyList<string>? OrderBy,
    int? MaxResults,
    string? PageToken,
    ViewType ViewType = ViewType.ActiveOnly);

public sealed record RunPage(IReadOnlyList<Run> Runs, string? NextPageToken);

public sealed record MetricHistoryPage(IReadOnlyList<Metric> Metrics, string? NextPageToken);

public sealed record CreateRunRequest(string ExperimentId, string? UserId, long? StartTime, string? RunName, IReadOnlyList<KeyValue>? Tags);

public sealed record UpdateRunRequest(string? Status, long? EndTime, string? RunName);

/// <summary>A metric point of one run, for reads across runs.</summary>
public sealed record RunMetric(string RunId, Metric Metric);

/// <summary>A dataset used by an experiment's runs, with the context (training, evaluation, …) its input was tagged with.</summary>
public sealed record DatasetSummary(string ExperimentId, string Name, string Digest, string? Context);
