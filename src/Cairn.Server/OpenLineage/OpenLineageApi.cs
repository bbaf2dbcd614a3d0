using System.Text.Json;
using Cairn.Lineage;
using Cairn.Lineage.Marquez;
using Cairn.Lineage.OpenLineage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cairn.Server.OpenLineage;

/// <summary>
/// OpenLineage's HTTP endpoint: <c>POST /api/v1/lineage</c> takes one run, job or dataset event as OpenLineage clients'
/// HTTP transport sends it (the path is theirs and Marquez's), <c>POST /api/v1/lineage/batch</c> a JSON array of them;
/// <c>GET /api/v1/lineage?nodeId=</c> answers with the graph around a node in Marquez's shape, for tools built on it.
/// </summary>
public static class OpenLineageApi
{
    // Marquez's field names (inEdges, origin) are camelCase, unlike Cairn's own.
    private static readonly JsonSerializerOptions MarquezJson = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapOpenLineageApi(this RouteGroupBuilder api)
    {
        var lineage = api.MapGroup("/lineage").WithTags("OpenLineage");
        lineage.MapPost("/", IngestAsync).WithSummary("Record an OpenLineage event (validated against the OpenLineage 2-0-2 schema)");
        lineage.MapPost("/batch", IngestBatchAsync).WithSummary($"Record a JSON array of up to {OpenLineageIngest.MaxBatch} OpenLineage events, all or none");
        lineage.MapGet("/", MarquezLineageAsync).WithSummary("Marquez's lineage around a job or dataset: runs folded into jobs, jobs linked by their current version's datasets");
        return api;
    }

    public static async Task<Created<IngestResult>> IngestAsync(HttpContext http, OpenLineageIngest ingest, CancellationToken cancellationToken) =>
        TypedResults.Created((string?)null, await ingest.IngestAsync(http.Caller(), await BodyAsync(http, cancellationToken), batch: false, cancellationToken));

    public static async Task<Created<IngestResult>> IngestBatchAsync(HttpContext http, OpenLineageIngest ingest, CancellationToken cancellationToken) =>
        TypedResults.Created((string?)null, await ingest.IngestAsync(http.Caller(), await BodyAsync(http, cancellationToken), batch: true, cancellationToken));

    public static async Task<JsonHttpResult<MarquezLineage>> MarquezLineageAsync(
        HttpContext http, MarquezLineageView marquez, CancellationToken cancellationToken, string? nodeId = null, int? depth = null) =>
        TypedResults.Json(await marquez.LineageAsync(http.Caller(), nodeId, depth, cancellationToken), MarquezJson);

    private static async Task<string> BodyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(http.Request.Body);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
