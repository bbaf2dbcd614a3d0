using System.Text.Json;
using Cairn.Tracking.Traces;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

/// <summary>
/// Traces through Cairn's own API (<c>/api/v1/traces</c>): the objects the MLflow API and OTLP ingestion record, read
/// without MLflow's encodings. Filters use MLflow's trace grammar (<c>status = 'OK' AND tag.env = 'prod'</c>).
/// </summary>
public static class TracesApi
{
    public static RouteGroupBuilder MapTracesApi(this RouteGroupBuilder api)
    {
        var traces = api.MapGroup("/traces").WithTags("Traces");
        traces.MapGet("/", SearchAsync).WithSummary("Traces of one or more experiments, newest first unless ordered otherwise");
        traces.MapGet("/{traceId}", GetAsync).WithSummary("One trace with its spans");
        return api;
    }

    public static async Task<Ok<TracePage>> SearchAsync(
        HttpContext http, TraceStore store, CancellationToken cancellationToken,
        [FromQuery(Name = "experiment_id")] string[]? experimentIds = null,
        string? filter = null,
        [FromQuery(Name = "order_by")] string? orderBy = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null)
    {
        var order = orderBy?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return TypedResults.Ok(await store.SearchTracesAsync(http.Caller(),
            new TraceQuery(experimentIds ?? [], filter, maxResults, order, pageToken), cancellationToken));
    }

    public static async Task<Ok<TraceDetail>> GetAsync(string traceId, HttpContext http, TraceStore store, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var trace = await store.GetTraceAsync(caller, traceId, cancellationToken);
        var spans = await store.GetSpansAsync(caller, traceId, cancellationToken);
        return TypedResults.Ok(new TraceDetail(trace, spans.Select(s => new SpanDetail(
            s.SpanId, s.ParentSpanId, s.Name, s.SpanType, s.Status, s.StartTimeUnixNano, s.EndTimeUnixNano,
            JsonDocument.Parse(s.Content).RootElement.Clone())).ToList()));
    }
}

/// <summary>A trace and its spans, in start order.</summary>
public sealed record TraceDetail(TraceInfo Trace, IReadOnlyList<SpanDetail> Spans);

/// <summary>One span: the fields searches use and the span as its exporter sent it (<see cref="Content"/>).</summary>
public sealed record SpanDetail(
    string SpanId,
    string? ParentSpanId,
    string Name,
    string? SpanType,
    string Status,
    long StartTimeUnixNano,
    long? EndTimeUnixNano,
    JsonElement Content);
