using Cairn.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

/// <summary>A tag's value, as sent to PUT …/tags/{key}.</summary>
public sealed record TagValue(string? Value)
{
    /// <summary>
    /// A tag key from the path. Routing decodes every escape but %2F (so that it cannot split segments);
    /// keys such as <c>mlflow.source/git</c> arrive with it still encoded.
    /// </summary>
    public static string Key(string routeValue) => routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The catalog: <c>/api/v1/models</c>.</summary>
public static class ModelsApi
{
    /// <summary>
    /// A model's full name from the path may hold any character (MLflow's names do, '/' too): routing decodes every
    /// escape but %2F, so the <c>fullName</c> route value of every endpoint is completed here, once, before binding.
    /// </summary>
    public static IApplicationBuilder UseFullNameRouteValues(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.Request.RouteValues.TryGetValue("fullName", out var value) && value is string name
                && name.Contains("%2F", StringComparison.OrdinalIgnoreCase))
            {
                context.Request.RouteValues["fullName"] = TagValue.Key(name);
            }
            return next(context);
        });

    public static RouteGroupBuilder MapModelsApi(this RouteGroupBuilder api)
    {
        var models = api.MapGroup("/models").WithTags("Models");
        models.MapPost("/", CreateAsync).WithSummary("Create a catalog entry");
        models.MapGet("/", SearchAsync).WithSummary("Search models (filter, free text q, order_by, paging)");
        models.MapGet("/{fullName}", GetAsync).WithSummary("Get a model by full name");
        models.MapPatch("/{fullName}", UpdateAsync).WithSummary("Update a model (fields given are changed)");
        models.MapDelete("/{fullName}", DeleteAsync).WithSummary("Delete a model and its versions (admin)");
        models.MapPut("/{fullName}/tags/{key}", SetTagAsync).WithSummary("Set a model tag");
        models.MapDelete("/{fullName}/tags/{key}", DeleteTagAsync).WithSummary("Delete a model tag");
        return api;
    }

    public static async Task<Created<Model>> CreateAsync(CreateModelRequest request, HttpContext http, ModelCatalog catalog, CancellationToken cancellationToken)
    {
        var model = await catalog.CreateAsync(http.Caller(), request, cancellationToken);
        return TypedResults.Created(ApiPaths.Of("api/v1/models", model.FullName), model);
    }

    public static async Task<Ok<ModelPage>> SearchAsync(
        HttpContext http, ModelCatalog catalog, CancellationToken cancellationToken,
        string? filter = null, string? q = null,
        [FromQuery(Name = "order_by")] string? orderBy = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await catalog.SearchAsync(http.Caller(), new ModelQuery(filter, q, orderBy, maxResults, pageToken), cancellationToken));

    public static async Task<Ok<Model>> GetAsync(string fullName, HttpContext http, ModelCatalog catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(await catalog.GetAsync(http.Caller(), fullName, cancellationToken));

    public static async Task<Ok<Model>> UpdateAsync(string fullName, UpdateModelRequest request, HttpContext http, ModelCatalog catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(await catalog.UpdateAsync(http.Caller(), fullName, request, cancellationToken));

    public static async Task<NoContent> DeleteAsync(string fullName, HttpContext http, ModelCatalog catalog, CancellationToken cancellationToken)
    {
        await catalog.DeleteAsync(http.Caller(), fullName, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<Model>> SetTagAsync(string fullName, string key, TagValue body, HttpContext http, ModelCatalog catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(await catalog.SetTagAsync(http.Caller(), fullName, TagValue.Key(key), body.Value, cancellationToken));

    public static async Task<Ok<Model>> DeleteTagAsync(string fullName, string key, HttpContext http, ModelCatalog catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(await catalog.DeleteTagAsync(http.Caller(), fullName, TagValue.Key(key), cancellationToken));
}
