using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cairn.Tracking;
using Cairn.Tracking.Traces;

namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow's trace endpoints (service.proto) over <see cref="TraceStore"/>: the 3.x ones (<c>/api/3.0/mlflow/traces</c>:
/// start, get, search) and the 2.x ones that 3.x clients still call for deletes, tags and run links, and that 2.x/3.1
/// clients call for everything (<c>/api/2.0/mlflow/traces</c>). Trace infos are written in the shape of each version's
/// proto: TraceInfoV3 with protobuf's JSON for times (<c>"2025-01-01T00:00:00.123Z"</c>) and durations (<c>"1.500s"</c>)
/// and maps for metadata and tags, TraceInfo (v2) with epoch milliseconds and key/value lists.
/// </summary>
internal static class MlflowTracesApi
{
    /// <summary>The routes MLflow registers under <c>/api/3.0/mlflow</c> (those whose rpc is "since 3.0").</summary>
    public static RouteGroupBuilder MapMlflowTracesV3(this RouteGroupBuilder group)
    {
        var traces = group.MapGroup("/traces");
        traces.MapPost("/", StartAsync);
        traces.MapPost("/search", SearchAsync);
        traces.MapGet("/{traceId}", GetAsync);
        traces.MapPost("/delete-traces", DeleteAsync);
        traces.MapMethods("/{traceId}/tags", [HttpMethods.Patch], SetTagAsync);
        traces.MapDelete("/{traceId}/tags", DeleteTagAsync);
        traces.MapPost("/calculate-filter-correlation", CorrelateAsync);
        return group;
    }

    /// <summary>The routes under <c>/api/2.0/mlflow</c>: MLflow 2.x's trace API, and the 3.x client's deletes, tags and links.</summary>
    public static RouteGroupBuilder MapMlflowTracesV2(this RouteGroupBuilder group)
    {
        var traces = group.MapGroup("/traces");
        traces.MapPost("/", BeginV2Async);
        traces.MapMethods("/{requestId}", [HttpMethods.Patch], EndV2Async);
        traces.MapGet("/{requestId}/info", GetV2Async);
        traces.MapGet("/", SearchV2Async);
        traces.MapPost("/delete-traces", DeleteAsync);
        traces.MapMethods("/{traceId}/tags", [HttpMethods.Patch], SetTagAsync);
        traces.MapDelete("/{traceId}/tags", DeleteTagAsync);
        traces.MapPost("/link-to-run", LinkAsync);
        return group;
    }

    /// <summary>
    /// The web UI's read of a trace's span data (<c>/ajax-api/2.0/mlflow/get-trace-artifact?request_id=…</c>): the data
    /// file as an attachment named traces.json.
    /// </summary>
    public static RouteGroupBuilder MapMlflowTraceArtifact(this RouteGroupBuilder group)
    {
        group.MapGet("/get-trace-artifact", TraceArtifactAsync);
        return group;
    }

    private static async Task<IResult> TraceArtifactAsync(HttpContext context, TraceDataFiles data)
    {
        var requestId = context.Request.Query["request_id"].ToString();
        if (string.IsNullOrEmpty(requestId))
        {
            throw MlflowErrors.Error(MlflowErrors.BadRequest, "Request must include the \"request_id\" query parameter.");
        }
        var content = await data.OpenAsync(context.Caller(), requestId, context.RequestAborted);
        context.Response.Headers.ContentDisposition = $"attachment; filename={TraceKeys.DataFileName}";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Stream(content, "application/octet-stream");
    }

    private static async Task<IResult> StartAsync(HttpContext context, TraceStore store)
    {
        var message = await MlflowJson.ReadAsync<StartMessage>(context);
        var info = message.Trace?.TraceInfo ?? throw Required("trace");
        var experimentId = info.TraceLocation?.MlflowExperiment?.ExperimentId;
        var trace = new TraceInfo(
            info.TraceId ?? "",
            string.IsNullOrEmpty(experimentId) ? throw Required("trace.trace_info.trace_location.mlflow_experiment.experiment_id") : experimentId,
            ProtoTime.ParseTimestamp(info.RequestTime, "request_time"),
            info.ExecutionDuration is null ? null : ProtoTime.ParseDuration(info.ExecutionDuration, "execution_duration"),
            State(info.State),
            info.ClientRequestId,
            info.RequestPreview ?? info.Request,
            info.ResponsePreview ?? info.Response,
            info.TraceMetadata ?? [],
            info.Tags ?? []);
        var stored = await store.StartTraceAsync(context.Caller(), trace, context.RequestAborted);
        return MlflowJson.Ok(new { trace = new { trace_info = V3(stored) } });
    }

    private static async Task<IResult> GetAsync(string traceId, HttpContext context, TraceStore store) =>
        MlflowJson.Ok(new { trace = new { trace_info = V3(await store.GetTraceAsync(context.Caller(), traceId, context.RequestAborted)) } });

    private static async Task<IResult> SearchAsync(HttpContext context, TraceStore store)
    {
        var message = await MlflowJson.ReadAsync<SearchMessage>(context);
        if (message.Locations is not { Count: > 0 })
        {
            throw Required("locations");
        }
        var experiments = message.Locations.Select(l => l.MlflowExperiment?.ExperimentId).OfType<string>().ToList();
        var page = await store.SearchTracesAsync(context.Caller(), Query(message, experiments), context.RequestAborted);
        return MlflowJson.Ok(new { traces = Repeated(page.Traces.Select(V3)), next_page_token = page.NextPageToken });
    }

    private static async Task<IResult> CorrelateAsync(HttpContext context, TraceStore store)
    {
        var message = await MlflowJson.ReadAsync<CorrelationMessage>(context);
        var correlation = await store.CorrelateAsync(context.Caller(),
            message.ExperimentIds is { Count: > 0 } experiments ? experiments : throw MlflowValidation.Missing("experiment_ids"),
            message.FilterString1 ?? throw MlflowValidation.Missing("filter_string1"),
            message.FilterString2 ?? throw MlflowValidation.Missing("filter_string2"),
            message.BaseFilter, context.RequestAborted);
        return MlflowJson.Ok(new
        {
            npmi = ProtoDouble(correlation.Npmi),
            npmi_smoothed = ProtoDouble(correlation.NpmiSmoothed),
            filter1_count = correlation.Filter1Count,
            filter2_count = correlation.Filter2Count,
            joint_count = correlation.JointCount,
            total_count = correlation.TotalCount,
        });
    }

    /// <summary>A double as protobuf's JSON writes it: NaN and the infinities as strings.</summary>
    private static object ProtoDouble(double value) => double.IsFinite(value) ? value : value.ToString(CultureInfo.InvariantCulture);

    private static async Task<IResult> DeleteAsync(HttpContext context, TraceStore store)
    {
        var message = await MlflowJson.ReadAsync<DeleteMessage>(context);
        if (string.IsNullOrEmpty(message.ExperimentId))
        {
            throw Required("experiment_id");
        }
        var deleted = await store.DeleteTracesAsync(context.Caller(),
            new TraceDeletion(message.ExperimentId, message.MaxTimestampMillis, message.MaxTraces, message.RequestIds ?? message.TraceIds), context.RequestAborted);
        return MlflowJson.Ok(new { traces_deleted = deleted });
    }

    private static async Task<IResult> SetTagAsync(string traceId, HttpContext context, TraceStore store)
    {
        var message = await MlflowJson.ReadAsync<TagMessage>(context);
        if (string.IsNullOrEmpty(message.Key))
        {
            throw Required("key");
        }
        await store.SetTagAsync(context.Caller(), traceId, message.Key, message.Value, context.RequestAborted);
        return MlflowJson.Empty;
    }

    private static async Task<IResult> DeleteTagAsync(string traceId, HttpContext context, TraceStore store)
    {
        var message = await MlflowJson.ReadAsync<TagMessage>(context);
        if (string.IsNullOrEmpty(message.Key))
        {
            throw Required("key");
        }
        await store.DeleteTagAsync(context.Caller(), traceId, message.Key, context.RequestAborted);
        return MlflowJson.Empty;
    }

    private static async Task<IResult> LinkAsync(HttpContext context, TraceStore store)
    {
        var message = await MlflowJson.ReadAsync<LinkMessage>(context);
        if (string.IsNullOrEmpty(message.RunId))
        {
            throw Required("run_id");
        }
        await store.LinkToRunAsync(context.Caller(), message.TraceIds, message.RunId, context.RequestAborted);
        return MlflowJson.Empty;
    }

    private static async Task<IResult> BeginV2Async(HttpContext context, TraceStore store)
    {
        var message = await MlflowJson.ReadAsync<V2Message>(context);
        var info = await store.BeginTraceAsync(context.Caller(), message.ExperimentId, message.TimestampMs ?? 0,
            Pairs(message.RequestMetadata), Pairs(message.Tags), context.RequestAborted);
        return MlflowJson.Ok(new { trace_info = V2(info) });
    }

    private static async Task<IResult> EndV2Async(string requestId, HttpContext context, TraceStore store)
    {
        var message = await MlflowJson.ReadAsync<V2Message>(context);
        var info = await store.EndTraceAsync(context.Caller(), requestId, message.TimestampMs ?? 0, StateOfStatus(message.Status),
            Pairs(message.RequestMetadata), Pairs(message.Tags), context.RequestAborted);
        return MlflowJson.Ok(new { trace_info = V2(info) });
    }

    private static async Task<IResult> GetV2Async(string requestId, HttpContext context, TraceStore store) =>
        MlflowJson.Ok(new { trace_info = V2(await store.GetTraceAsync(context.Caller(), requestId, context.RequestAborted)) });

    private static async Task<IResult> SearchV2Async(HttpContext context, TraceStore store)
    {
        var message = await MlflowJson.ReadAsync<SearchMessage>(context);
        if (message.ExperimentIds is not { Count: > 0 })
        {
            throw Required("experiment_ids");
        }
        var page = await store.SearchTracesAsync(context.Caller(), Query(message, message.ExperimentIds), context.RequestAborted);
        return MlflowJson.Ok(new { traces = Repeated(page.Traces.Select(V2)), next_page_token = page.NextPageToken });
    }

    /// <summary>A repeated field as protobuf's JSON writes it: left out when empty.</summary>
    private static List<object>? Repeated(IEnumerable<object> items) => items.ToList() is { Count: > 0 } list ? list : null;

    private static TraceQuery Query(SearchMessage message, List<string> experiments)
    {
        if (message.MaxResults > TraceStore.MaxPage)
        {
            throw new InvalidParameterException(
                $"Invalid value {message.MaxResults} for parameter 'max_results' supplied. See the API docs for more information about request parameters.");
        }
        if (experiments.Count == 0)
        {
            throw Required("locations");
        }
        // An empty token is no token, as MLflow's handlers read it.
        return new TraceQuery(experiments, message.Filter, message.MaxResults, message.OrderBy,
            string.IsNullOrEmpty(message.PageToken) ? null : message.PageToken);
    }

    /// <summary>TraceInfoV3 as protobuf's JSON writes it: empty maps and absent fields left out.</summary>
    internal static object V3(TraceInfo info) => new V3Info(
        info.TraceId,
        info.ClientRequestId,
        new Location("MLFLOW_EXPERIMENT", new ExperimentLocation(info.ExperimentId)),
        info.RequestPreview,
        info.ResponsePreview,
        ProtoTime.FormatTimestamp(info.RequestTime),
        info.ExecutionDuration is { } duration ? ProtoTime.FormatDuration(duration) : null,
        info.State,
        info.Metadata.Count > 0 ? info.Metadata : null,
        info.Tags.Count > 0 ? info.Tags : null);

    /// <summary>TraceInfo (v2): the state as a TraceStatus, metadata and tags as key/value lists.</summary>
    internal static object V2(TraceInfo info) => new V2Info(
        info.TraceId,
        info.ExperimentId,
        info.RequestTime,
        info.ExecutionDuration,
        info.State == TraceState.Unspecified ? "TRACE_STATUS_UNSPECIFIED" : info.State,
        info.Metadata.Select(p => new KeyValue(p.Key, p.Value)).ToList(),
        info.Tags.Select(p => new KeyValue(p.Key, p.Value)).ToList());

    private static string State(string? state) => state is null
        ? TraceState.Unspecified
        : TraceState.Parse(state) ?? (int.TryParse(state, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < TraceState.All.Count
            ? TraceState.All[n]
            : throw new InvalidParameterException($"Invalid value '{state}' for parameter 'state': expected one of {string.Join(", ", TraceState.All)}."));

    /// <summary>TraceStatus (v2) as a state: the same names, and TRACE_STATUS_UNSPECIFIED for an unset one; proto enums also come as numbers.</summary>
    private static string StateOfStatus(string? status) => status?.ToUpperInvariant() switch
    {
        null or "" or "TRACE_STATUS_UNSPECIFIED" or "0" => TraceState.Unspecified,
        "1" => TraceState.Ok,
        "2" => TraceState.Error,
        "3" => TraceState.InProgress,
        var name => TraceState.Parse(name) is { } s && s != TraceState.Unspecified
            ? s
            : throw new InvalidParameterException($"Invalid value '{status}' for parameter 'status': expected OK, ERROR, IN_PROGRESS or TRACE_STATUS_UNSPECIFIED."),
    };

    private static Dictionary<string, string> Pairs(List<KeyValueMessage>? pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            result[pair.Key ?? throw Required("key")] = pair.Value ?? "";
        }
        return result;
    }

    private static InvalidParameterException Required(string parameter) => MlflowValidation.Missing(parameter);

    private sealed record V3Info(
        string TraceId,
        string? ClientRequestId,
        Location TraceLocation,
        string? RequestPreview,
        string? ResponsePreview,
        string RequestTime,
        string? ExecutionDuration,
        string State,
        IReadOnlyDictionary<string, string>? TraceMetadata,
        IReadOnlyDictionary<string, string>? Tags);

    private sealed record Location(string Type, ExperimentLocation MlflowExperiment);

    private sealed record ExperimentLocation(string ExperimentId);

    private sealed record V2Info(
        string RequestId,
        string ExperimentId,
        long TimestampMs,
        long? ExecutionTimeMs,
        string Status,
        IReadOnlyList<KeyValue> RequestMetadata,
        IReadOnlyList<KeyValue> Tags);

    internal sealed class StartMessage
    {
        public TraceMessage? Trace { get; set; }
    }

    internal sealed class TraceMessage
    {
        public TraceInfoMessage? TraceInfo { get; set; }
    }

    internal sealed class TraceInfoMessage
    {
        public string? TraceId { get; set; }
        public string? ClientRequestId { get; set; }
        public LocationMessage? TraceLocation { get; set; }
        public string? Request { get; set; }
        public string? Response { get; set; }
        public string? RequestPreview { get; set; }
        public string? ResponsePreview { get; set; }
        public string? RequestTime { get; set; }
        public string? ExecutionDuration { get; set; }

        [JsonConverter(typeof(MlflowJson.NumberOrStringConverter))]
        public string? State { get; set; }

        public Dictionary<string, string>? TraceMetadata { get; set; }
        public Dictionary<string, string>? Tags { get; set; }
    }

    internal sealed class LocationMessage
    {
        public JsonElement? Type { get; set; }
        public ExperimentMessage? MlflowExperiment { get; set; }
    }

    internal sealed class ExperimentMessage
    {
        public string? ExperimentId { get; set; }
    }

    internal sealed class SearchMessage
    {
        public List<LocationMessage>? Locations { get; set; }
        public List<string>? ExperimentIds { get; set; }
        public string? Filter { get; set; }
        public int? MaxResults { get; set; }
        public List<string>? OrderBy { get; set; }
        public string? PageToken { get; set; }
    }

    internal sealed class CorrelationMessage
    {
        public List<string>? ExperimentIds { get; set; }
        public string? FilterString1 { get; set; }
        public string? FilterString2 { get; set; }
        public string? BaseFilter { get; set; }
    }

    internal sealed class DeleteMessage
    {
        public string? ExperimentId { get; set; }
        public long? MaxTimestampMillis { get; set; }
        public int? MaxTraces { get; set; }
        public List<string>? RequestIds { get; set; }
        public List<string>? TraceIds { get; set; }
    }

    internal sealed class TagMessage
    {
        public string? Key { get; set; }
        public string? Value { get; set; }
    }

    internal sealed class LinkMessage
    {
        public List<string>? TraceIds { get; set; }
        public string? RunId { get; set; }
    }

    internal sealed class KeyValueMessage
    {
        public string? Key { get; set; }
        public string? Value { get; set; }
    }

    internal sealed class V2Message
    {
        public string? ExperimentId { get; set; }
        public long? TimestampMs { get; set; }

        [JsonConverter(typeof(MlflowJson.NumberOrStringConverter))]
        public string? Status { get; set; }

        public List<KeyValueMessage>? RequestMetadata { get; set; }
        public List<KeyValueMessage>? Tags { get; set; }
    }
}
