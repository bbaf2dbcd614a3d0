namespace Cairn.Client;

/// <summary>A param or tag of a logged model.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Value">Its value.</param>
public sealed record LoggedModelPair(string Key, string Value);

/// <summary>A metric point linked to a logged model.</summary>
/// <param name="Key">The metric's key.</param>
/// <param name="Value">Its value (NaN and infinities included).</param>
/// <param name="Timestamp">When it was measured, in Unix epoch milliseconds.</param>
/// <param name="Step">The step it was measured at.</param>
/// <param name="RunId">The run that logged it.</param>
/// <param name="DatasetName">The dataset it was measured on, if given.</param>
/// <param name="DatasetDigest">That dataset's digest, if given.</param>
public sealed record LoggedModelMetric(string Key, double Value, long Timestamp, long Step, string RunId, string? DatasetName, string? DatasetDigest);

/// <summary>A registered version made from a logged model.</summary>
/// <param name="Model">The registered model's full name.</param>
/// <param name="Version">The version number.</param>
public sealed record LoggedModelRegistration(string Model, int Version);

/// <summary>A model a run produced (MLflow 3's logged model), as the server records it.</summary>
/// <param name="ModelId">Its id, <c>m-</c> and 32 hex digits.</param>
/// <param name="ExperimentId">The experiment it belongs to.</param>
/// <param name="Name">Its name within the experiment.</param>
/// <param name="ArtifactLocation">Where its files are.</param>
/// <param name="Status">PENDING while its files upload, then READY or FAILED.</param>
/// <param name="StatusMessage">Details of the status, if any.</param>
/// <param name="ModelType">Its type (such as Classifier or LLM), if given.</param>
/// <param name="SourceRunId">The run that produced it, if given.</param>
/// <param name="LifecycleStage">active (deleted models are not served).</param>
/// <param name="CreatedAt">Creation time, in Unix epoch milliseconds.</param>
/// <param name="UpdatedAt">Last change, in Unix epoch milliseconds.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="Params">Its params.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="Metrics">The metric points linked to it.</param>
/// <param name="Registrations">The registered versions made from it.</param>
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
    IReadOnlyList<LoggedModelPair> Params,
    IReadOnlyList<LoggedModelPair> Tags,
    IReadOnlyList<LoggedModelMetric> Metrics,
    IReadOnlyList<LoggedModelRegistration> Registrations);

/// <summary>One page of logged models.</summary>
/// <param name="Models">The models, newest first.</param>
/// <param name="NextPageToken">The token for the next page, or null on the last.</param>
public sealed record LoggedModelPage(IReadOnlyList<LoggedModel> Models, string? NextPageToken);
