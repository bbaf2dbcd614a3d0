using System.Text.Json;
using System.Text.Json.Serialization;
using Cairn.Lineage;
using Cairn.Server.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cairn.Server.OpenLineage;

/// <summary>
/// Marquez's column-lineage endpoint: <c>GET /api/v1/column-lineage?nodeId=&amp;depth=&amp;withDownstream=</c> answers
/// with dataset fields and the edges between them, in Marquez's shape (camelCase, nulls left out).
/// </summary>
public static class ColumnLineageApi
{
    private static readonly JsonSerializerOptions MarquezJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static RouteGroupBuilder MapColumnLineageApi(this RouteGroupBuilder api)
    {
        // Marquez's shape, and Marquez's rule: unknown query parameters are ignored (docs/decisions/0031-cli.md).
        api.MapGet("/column-lineage", ColumnLineageAsync).WithTags("OpenLineage").AllowUnknownQueryParameters()
            .WithSummary("Column lineage around a dataset field (datasetField:<ns>:<name>:<field>), a dataset or a job, in Marquez's shape");
        return api;
    }

    public static async Task<JsonHttpResult<ColumnLineageGraph>> ColumnLineageAsync(
        HttpContext http, ColumnLineage lineage, CancellationToken cancellationToken, string? nodeId = null, int? depth = null, bool? withDownstream = null) =>
        TypedResults.Json(await lineage.LineageAsync(http.Caller(), nodeId, depth, withDownstream ?? false, cancellationToken), MarquezJson);
}
