using Cairn.Lineage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cairn.Server.Api;

/// <summary>The lineage graph: <c>/api/v1/lineage/edges</c> to record what fed what, <c>/api/v1/lineage/graph</c> to walk it.</summary>
public static class LineageApi
{
    public static RouteGroupBuilder MapLineageApi(this RouteGroupBuilder api)
    {
        var lineage = api.MapGroup("/lineage").WithTags("Lineage");
        lineage.MapPost("/edges", AddEdgeAsync).WithSummary("Record that one node fed another (nodes are created as needed)");
        lineage.MapGet("/graph", GraphAsync).WithSummary("The nodes and edges within depth steps of a node: upstream, downstream or both");
        lineage.MapGet("/path", PathAsync).WithSummary("A shortest chain of edges from one node to another");
        return api;
    }

    public static async Task<Created<LineageEdge>> AddEdgeAsync(CreateEdgeRequest body, HttpContext http, LineageGraph lineage, CancellationToken cancellationToken)
    {
        var edge = await lineage.AddEdgeAsync(http.Caller(), body, cancellationToken);
        return TypedResults.Created($"/api/v1/lineage/graph?node={Uri.EscapeDataString(edge.Source)}", edge);
    }

    public static async Task<Ok<LineageGraphResult>> GraphAsync(
        HttpContext http, LineageGraph lineage, CancellationToken cancellationToken, string? node = null, string? direction = null, int? depth = null) =>
        TypedResults.Ok(await lineage.GraphAsync(http.Caller(), node, direction, depth, cancellationToken));

    public static async Task<Ok<LineagePath>> PathAsync(HttpContext http, LineageGraph lineage, CancellationToken cancellationToken, string? from = null, string? to = null) =>
        TypedResults.Ok(await lineage.PathAsync(http.Caller(), from, to, cancellationToken));
}
