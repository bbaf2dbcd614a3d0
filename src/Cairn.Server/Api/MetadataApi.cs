using Cairn.Lineage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

/// <summary>
/// ML metadata: <c>/api/v1/datasets</c>, <c>/api/v1/features</c>, <c>/api/v1/executions</c>. Datasets and features are
/// named by namespace and name, which hold slashes and colons (<c>s3://bucket</c>), so they travel in the query string.
/// A POST creates (201) or updates (200) what it names.
/// </summary>
public static class MetadataApi
{
    public static RouteGroupBuilder MapMetadataApi(this RouteGroupBuilder api)
    {
        var datasets = api.MapGroup("/datasets").WithTags("Datasets");
        datasets.MapPost("/", PutDatasetAsync).WithSummary("Create or update a dataset (namespace + name), with its schema, column statistics and tags");
        datasets.MapGet("/", SearchDatasetsAsync).WithSummary("Search datasets (filter, free text q, order_by, paging)");
        datasets.MapGet("/get", GetDatasetAsync).WithSummary("Get a dataset by namespace and name");
        datasets.MapGet("/versions", DatasetVersionsAsync).WithSummary("The versions a dataset was written at, newest first");

        var features = api.MapGroup("/features").WithTags("Features");
        features.MapPost("/", PutFeatureAsync).WithSummary("Create or update a feature (namespace + name)");
        features.MapGet("/", SearchFeaturesAsync).WithSummary("Search features (filter, free text q, order_by, paging)");
        features.MapGet("/get", GetFeatureAsync).WithSummary("Get a feature by namespace and name");

        var executions = api.MapGroup("/executions").WithTags("Executions");
        executions.MapPost("/", PutExecutionAsync).WithSummary("Create or update an execution (a run of a job) with what it read and wrote");
        executions.MapGet("/", SearchExecutionsAsync).WithSummary("Search executions (filter, free text q, order_by, paging)");
        executions.MapGet("/{runId}", GetExecutionAsync).WithSummary("Get an execution by run id");
        return api;
    }

    public static async Task<Results<Created<Dataset>, Ok<Dataset>>> PutDatasetAsync(PutDatasetRequest request, HttpContext http, MetadataStore store, CancellationToken cancellationToken) =>
        Answer(await store.PutDatasetAsync(http.Caller(), request, cancellationToken), d => $"/api/v1/datasets/get?namespace={Uri.EscapeDataString(d.Namespace)}&name={Uri.EscapeDataString(d.Name)}");

    public static async Task<Ok<DatasetPage>> SearchDatasetsAsync(
        HttpContext http, MetadataStore store, CancellationToken cancellationToken, string? filter = null, string? q = null,
        [FromQuery(Name = "order_by")] string? orderBy = null, [FromQuery(Name = "max_results")] int? maxResults = null, [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await store.SearchDatasetsAsync(http.Caller(), new MetadataQuery(filter, q, orderBy, maxResults, pageToken), cancellationToken));

    public static async Task<Ok<Dataset>> GetDatasetAsync(HttpContext http, MetadataStore store, CancellationToken cancellationToken, [FromQuery(Name = "namespace")] string? ns = null, string? name = null) =>
        TypedResults.Ok(await store.GetDatasetAsync(http.Caller(), ns, name, cancellationToken));

    public static async Task<Ok<DatasetVersionList>> DatasetVersionsAsync(HttpContext http, MetadataStore store, CancellationToken cancellationToken, [FromQuery(Name = "namespace")] string? ns = null, string? name = null) =>
        TypedResults.Ok(new DatasetVersionList(await store.DatasetVersionsAsync(http.Caller(), ns, name, cancellationToken)));

    public static async Task<Results<Created<Feature>, Ok<Feature>>> PutFeatureAsync(PutFeatureRequest request, HttpContext http, MetadataStore store, CancellationToken cancellationToken) =>
        Answer(await store.PutFeatureAsync(http.Caller(), request, cancellationToken), f => $"/api/v1/features/get?namespace={Uri.EscapeDataString(f.Namespace)}&name={Uri.EscapeDataString(f.Name)}");

    public static async Task<Ok<FeaturePage>> SearchFeaturesAsync(
        HttpContext http, MetadataStore store, CancellationToken cancellationToken, string? filter = null, string? q = null,
        [FromQuery(Name = "order_by")] string? orderBy = null, [FromQuery(Name = "max_results")] int? maxResults = null, [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await store.SearchFeaturesAsync(http.Caller(), new MetadataQuery(filter, q, orderBy, maxResults, pageToken), cancellationToken));

    public static async Task<Ok<Feature>> GetFeatureAsync(HttpContext http, MetadataStore store, CancellationToken cancellationToken, [FromQuery(Name = "namespace")] string? ns = null, string? name = null) =>
        TypedResults.Ok(await store.GetFeatureAsync(http.Caller(), ns, name, cancellationToken));

    public static async Task<Results<Created<Execution>, Ok<Execution>>> PutExecutionAsync(PutExecutionRequest request, HttpContext http, MetadataStore store, CancellationToken cancellationToken) =>
        Answer(await store.PutExecutionAsync(http.Caller(), request, cancellationToken), e => $"/api/v1/executions/{Uri.EscapeDataString(e.RunId)}");

    public static async Task<Ok<ExecutionPage>> SearchExecutionsAsync(
        HttpContext http, MetadataStore store, CancellationToken cancellationToken, string? filter = null, string? q = null,
        [FromQuery(Name = "order_by")] string? orderBy = null, [FromQuery(Name = "max_results")] int? maxResults = null, [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await store.SearchExecutionsAsync(http.Caller(), new MetadataQuery(filter, q, orderBy, maxResults, pageToken), cancellationToken));

    public static async Task<Ok<Execution>> GetExecutionAsync(string runId, HttpContext http, MetadataStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetExecutionAsync(http.Caller(), runId, cancellationToken));

    /// <summary>A create-or-update's answer: 201 with where to find it when new, 200 otherwise.</summary>
    internal static Results<Created<T>, Ok<T>> Answer<T>((T Entity, bool Created) result, Func<T, string> location) =>
        result.Created ? TypedResults.Created(location(result.Entity), result.Entity) : TypedResults.Ok(result.Entity);
}

public sealed record DatasetVersionList(IReadOnlyList<DatasetVersion> Versions);
