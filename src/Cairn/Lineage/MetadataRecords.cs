using System.Text.Json;

namespace Cairn.Lineage;

/// <summary>A column of a dataset's schema.</summary>
public sealed record DatasetField(string Name, string? Type = null, string? Description = null);

/// <summary>A histogram: <see cref="Counts"/>[i] values fell in [<see cref="Edges"/>[i], <see cref="Edges"/>[i+1]).</summary>
public sealed record Histogram(IReadOnlyList<double> Edges, IReadOnlyList<long> Counts);

/// <summary>
/// What is known of one column (or one feature): counts, range, moments, and its distribution as a histogram or as
/// quantiles keyed by their probability ("0.5" is the median). Min and max keep their JSON type (numbers, dates as strings).
/// </summary>
public sealed record ColumnStatistics(
    long? Count = null,
    long? Nulls = null,
    long? Distinct = null,
    JsonElement? Min = null,
    JsonElement? Max = null,
    double? Mean = null,
    double? Stddev = null,
    Histogram? Histogram = null,
    IReadOnlyDictionary<string, double>? Quantiles = null);

/// <summary>
/// A dataset. <see cref="Facets"/> holds the OpenLineage dataset facets its events carried, as a JSON object of facet
/// name → facet as last sent (later events replace a facet whole, and add to the others); <see cref="ColumnLineage"/>
/// what each of its fields was computed from, as the <c>columnLineage</c> facets of the runs that wrote it said.
/// </summary>
public sealed record Dataset(
    string Id,
    string Namespace,
    string Name,
    string? Version,
    string? Location,
    string? Description,
    IReadOnlyList<DatasetField> Schema,
    IReadOnlyDictionary<string, ColumnStatistics> Statistics,
    JsonElement Properties,
    IReadOnlyDictionary<string, string> Tags,
    long CreatedAt,
    string CreatedBy,
    long UpdatedAt,
    string UpdatedBy,
    JsonElement Facets)
{
    /// <summary>Per output field (<c>""</c> for inputs that affect the whole dataset), the fields it was computed from.</summary>
    public IReadOnlyList<ColumnLineageField> ColumnLineage { get; init; } = [];
}

/// <summary>
/// Creates a dataset or updates the one with this namespace and name: what is given replaces what was there, what is
/// left out stays, tags are merged. A new <see cref="Version"/> is also kept in the dataset's version history.
/// </summary>
public sealed record PutDatasetRequest(
    string? Namespace,
    string? Name,
    string? Version = null,
    string? Location = null,
    string? Description = null,
    IReadOnlyList<DatasetField>? Schema = null,
    IReadOnlyDictionary<string, ColumnStatistics>? Statistics = null,
    JsonElement? Properties = null,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>One version a dataset was written at, with its facets as they were then.</summary>
public sealed record DatasetVersion(
    string Version,
    string? Location,
    IReadOnlyList<DatasetField> Schema,
    IReadOnlyDictionary<string, ColumnStatistics> Statistics,
    string? RunId,
    long CreatedAt,
    string CreatedBy,
    JsonElement Facets);

public sealed record Feature(
    string Id,
    string Namespace,
    string Name,
    string ValueType,
    string? Description,
    string? Dataset,
    ColumnStatistics? Statistics,
    JsonElement Properties,
    IReadOnlyDictionary<string, string> Tags,
    long CreatedAt,
    string CreatedBy,
    long UpdatedAt,
    string UpdatedBy);

/// <summary>Creates or updates a feature; <see cref="Dataset"/> is the node id of the dataset it is computed from.</summary>
public sealed record PutFeatureRequest(
    string? Namespace,
    string? Name,
    string? ValueType = null,
    string? Description = null,
    string? Dataset = null,
    ColumnStatistics? Statistics = null,
    JsonElement? Properties = null,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>States of an execution, OpenLineage's run states in MLMD's words.</summary>
public static class ExecutionState
{
    public const string New = "NEW";
    public const string Running = "RUNNING";
    public const string Complete = "COMPLETE";
    public const string Failed = "FAILED";
    public const string Aborted = "ABORTED";

    public static readonly IReadOnlyList<string> All = [New, Running, Complete, Failed, Aborted];

    public static bool IsTerminal(string state) => state is Complete or Failed or Aborted;
}

/// <summary>
/// A run of a job: one training, evaluation, ingestion or transformation step (or a declared execution type), with
/// what it read and wrote. <see cref="Facets"/> holds the OpenLineage run and job facets its events carried
/// (<c>{"run": {…}, "job": {…}}</c>, later events adding to earlier ones); <see cref="DatasetFacets"/> the input and
/// output facets of what it read and wrote (<c>{"inputs": {"dataset:…": {…}}, "outputs": {…}}</c>). Its node is <c>run:&lt;run_id&gt;</c>, hanging from <c>job:&lt;namespace&gt;:&lt;name&gt;</c>.
/// </summary>
public sealed record Execution(
    string Id,
    string RunId,
    string Type,
    string JobNamespace,
    string JobName,
    string State,
    JsonElement Properties,
    JsonElement Facets,
    string? ParentRunId,
    long? StartedAt,
    long? EndedAt,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, string> Tags,
    long CreatedAt,
    string CreatedBy,
    long UpdatedAt,
    string UpdatedBy,
    JsonElement DatasetFacets);

/// <summary>
/// Creates or updates an execution. Without <see cref="RunId"/> a new one is made. <see cref="Inputs"/> and
/// <see cref="Outputs"/> are node ids of existing nodes, added to what the execution already read and wrote.
/// </summary>
public sealed record PutExecutionRequest(
    string? RunId = null,
    string? Type = null,
    string? JobNamespace = null,
    string? JobName = null,
    string? State = null,
    JsonElement? Properties = null,
    string? ParentRunId = null,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? EndedAt = null,
    IReadOnlyList<string>? Inputs = null,
    IReadOnlyList<string>? Outputs = null,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>A search over datasets, features or executions: filter language, free text, order and paging.</summary>
public sealed record MetadataQuery(string? Filter = null, string? Q = null, string? OrderBy = null, int? MaxResults = null, string? PageToken = null);

public sealed record DatasetPage(IReadOnlyList<Dataset> Datasets, string? NextPageToken);

public sealed record DatasetVersionPage(IReadOnlyList<DatasetVersion> Versions, string? NextPageToken);

public sealed record FeaturePage(IReadOnlyList<Feature> Features, string? NextPageToken);

public sealed record ExecutionPage(IReadOnlyList<Execution> Executions, string? NextPageToken);

/// <summary>
/// One dataset write of many made together: who makes it, what it says, the run that wrote the dataset (kept with a new
/// version), and OpenLineage dataset facets (a JSON object of name → facet), each put over the one stored.
/// </summary>
internal sealed record DatasetWrite(string Actor, PutDatasetRequest Request, string? RunId, string? Facets = null);

/// <summary>
/// One execution write of many made together; <see cref="Facets"/> are OpenLineage's run and job facets by place, as
/// a JSON object (<c>{"run":{…},"job":{…}}</c>).
/// </summary>
internal sealed record ExecutionWrite(string Actor, PutExecutionRequest Request, string? Facets);

/// <summary>The input or output facets (a JSON object) of one run's read or write of one dataset; ids are node ids.</summary>
internal sealed record RunDatasetFacets(string RunId, string DatasetId, string Direction, string Facets);
