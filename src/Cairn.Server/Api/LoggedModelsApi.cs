using Cairn.Tracking.LoggedModels;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

/// <summary>
/// Logged models (what runs produced as models, MLflow 3's LoggedModel), read-only on the native API:
/// <c>/api/v1/logged-models/{id}</c> and listings by experiment or by run. They are written through the MLflow API.
/// </summary>
public static class LoggedModelsApi
{
    public static RouteGroupBuilder MapLoggedModelsApi(this RouteGroupBuilder api)
    {
        var models = api.MapGroup("/logged-models").WithTags("Logged models");
        models.MapGet("/", ListAsync).WithSummary("Logged models of an experiment (experiment_id, with filter, order and paging) or of a run (run_id)");
        models.MapGet("/{modelId}", GetAsync).WithSummary("One logged model, with its params, tags, linked metrics and the versions registered from it");
        return api;
    }

    public static async Task<Ok<LoggedModel>> GetAsync(string modelId, HttpContext http, LoggedModelStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetAsync(http.Caller(), modelId, cancellationToken));

    public static async Task<Ok<LoggedModelPage>> ListAsync(
        HttpContext http, LoggedModelStore store, CancellationToken cancellationToken,
        [FromQuery(Name = "experiment_id")] string? experimentId = null, [FromQuery(Name = "run_id")] string? runId = null, string? filter = null,
        [FromQuery(Name = "max_results")] int? maxResults = null, [FromQuery(Name = "page_token")] string? pageToken = null)
    {
        if (!string.IsNullOrEmpty(runId))
        {
            return TypedResults.Ok(new LoggedModelPage(await store.ListByRunAsync(http.Caller(), runId, cancellationToken), null));
        }
        if (string.IsNullOrEmpty(experimentId))
        {
            throw new InvalidParameterException("Give 'experiment_id' or 'run_id' to list logged models.");
        }
        return TypedResults.Ok(await store.SearchAsync(http.Caller(), new LoggedModelQuery([experimentId], filter, MaxResults: maxResults, PageToken: pageToken), cancellationToken));
    }
}
