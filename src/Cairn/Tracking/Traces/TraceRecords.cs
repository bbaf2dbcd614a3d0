namespace Cairn.Tracking.Traces;

/// <summary>The state a trace was in when it was recorded.</summary>
public static class TraceState
{
    public const string Unspecified = "STATE_UNSPECIFIED";
    public const string Ok = "OK";
    public const string Error = "ERROR";
    public const string InProgress = "IN_PROGRESS";

    public static readonly IReadOnlyList<string> All = [Unspecified, Ok, Error, InProgress];

    /// <summary>A state by name (case-insensitive), as the proto enums are written; null for an unknown one.</summary>
    public static string? Parse(string? value) => All.FirstOrDefault(s => string.Equals(s, value, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Well-known keys of trace tags and metadata that the store itself reads or writes.</summary>
public static class TraceKeys
{
    /// <summary>Tag: where the trace's span data file (<see cref="DataFileName"/>) lives, set by the store on creation.</summary>
    public const string ArtifactLocation = "mlflow.artifactLocation";

    /// <summary>Tag: the trace's name, searched as the attribute <c>name</c>.</summary>
    public const string TraceName = "mlflow.traceName";

    /// <summary>Metadata: the run the trace was produced under, searched as the attribute <c>run_id</c>.</summary>
    public const string SourceRun = "mlflow.sourceRun";

    /// <summary>The file under the artifact location that clients upload a trace's spans to.</summary>
    public const string DataFileName = "traces.json";
}

/// <summary>
/// One trace: when it started (<see cref="RequestTime"/>, epoch ms), how long it ran, its state, the previews of its
/// root span's input and output, its immutable metadata and its mutable tags.
/// </summary>
public sealed record TraceInfo(
    string TraceId,
    string ExperimentId,
    long RequestTime,
    long? ExecutionDuration,
    string State,
    string? ClientRequestId,
    string? RequestPreview,
    string? ResponsePreview,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>
/// One span of a trace. The columns are what searches filter on; <see cref="Content"/> is the whole span as JSON in
/// the shape MLflow's trace data files hold (ids in base64, attributes JSON-encoded), kept as it was received.
/// </summary>
public sealed record TraceSpan(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string? SpanType,
    string Status,
    long StartTimeUnixNano,
    long? EndTimeUnixNano,
    string Content);

/// <summary>A search over the traces of some experiments: MLflow's trace filter grammar and order_by terms.</summary>
public sealed record TraceQuery(
    IReadOnlyList<string> ExperimentIds,
    string? Filter,
    int? MaxResults,
    IReadOnlyList<string>? OrderBy,
    string? PageToken);

public sealed record TracePage(IReadOnlyList<TraceInfo> Traces, string? NextPageToken);

/// <summary>Which traces of one experiment to delete: those up to a time (oldest first, at most some), or those named.</summary>
public sealed record TraceDeletion(string? ExperimentId, long? MaxTimestampMillis, int? MaxTraces, IReadOnlyList<string>? TraceIds);
