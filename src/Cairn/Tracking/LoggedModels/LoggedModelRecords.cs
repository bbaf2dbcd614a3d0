namespace Cairn.Tracking.LoggedModels;

/// <summary>Where a logged model's files stand: being uploaded, complete, or failed to upload.</summary>
public static class LoggedModelStatus
{
    public const string Pending = "PENDING";
    public const string Ready = "READY";
    public const string Failed = "FAILED";
}

/// <summary>A metric point linked to a logged model: which run logged it, on which dataset.</summary>
public sealed record LoggedModelMetric(
    string Key, double Value, long Timestamp, long Step, string RunId, string? DatasetName, string? DatasetDigest);

/// <summary>A registered model version made from a logged model.</summary>
public sealed record LoggedModelRegistration(string Model, int Version);

/// <summary>
/// A model an experiment produced (MLflow 3's logged model): its files live at <see cref="ArtifactLocation"/>, under
/// the experiment's location; <see cref="Status"/> is one of <see cref="LoggedModelStatus"/>.
/// </summary>
public sealed record LoggedModel(
    string ModelId,
    string ExperimentId,
    string Name,
    string ArtifactLocation,
    string Status,
    string? StatusMessage,
    string? ModelType,
    string? SourceRunId,
    string LifecycleStage,
    long CreatedAt,
    long UpdatedAt,
    string CreatedBy,
    IReadOnlyList<KeyValue> Params,
    IReadOnlyList<KeyValue> Tags,
    IReadOnlyList<LoggedModelMetric> Metrics,
    IReadOnlyList<LoggedModelRegistration> Registrations);

public sealed record CreateLoggedModelRequest(
    string? ExperimentId,
    string? Name = null,
    string? ModelType = null,
    string? SourceRunId = null,
    IReadOnlyList<KeyValue>? Params = null,
    IReadOnlyList<KeyValue>? Tags = null);

/// <summary>A dataset whose metrics a search considers: by name, and by digest too when given.</summary>
public sealed record LoggedModelDatasetFilter(string? DatasetName, string? DatasetDigest = null);

/// <summary>One ordering term: an attribute or <c>metrics.&lt;key&gt;</c> (optionally on one dataset).</summary>
public sealed record LoggedModelOrder(string? FieldName, bool Ascending = true, string? DatasetName = null, string? DatasetDigest = null);

public sealed record LoggedModelQuery(
    IReadOnlyList<string> ExperimentIds,
    string? Filter = null,
    IReadOnlyList<LoggedModelDatasetFilter>? Datasets = null,
    int? MaxResults = null,
    IReadOnlyList<LoggedModelOrder>? OrderBy = null,
    string? PageToken = null);

public sealed record LoggedModelPage(IReadOnlyList<LoggedModel> Models, string? NextPageToken);

/// <summary>A model a run read (an input) or produced at a step (an output).</summary>
public sealed record RunModelLink(string ModelId, long? Step = null);
