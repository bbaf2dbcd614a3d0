using Cairn.Tracking;
using Microsoft.AspNetCore.StaticFiles;

namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow's artifact proxy (mlflow_artifacts.proto): clients turn <c>mlflow-artifacts:/path</c> into
/// <c>/api/2.0/mlflow-artifacts/artifacts/path</c> and stream files through the server, which keeps them under the
/// artifacts destination at those same paths. Also the run-scoped <c>artifacts/list</c> of the tracking API.
/// </summary>
internal static class MlflowArtifactsApi
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>The artifact proxy under <c>/api/2.0/mlflow-artifacts</c>.</summary>
    public static RouteGroupBuilder MapMlflowArtifacts(this RouteGroupBuilder group)
    {
        group.MapPut("/artifacts/{**path}", async (string path, HttpContext context, RunArtifacts artifacts) =>
        {
            await artifacts.PutAsync(context.Caller(), path, context.Request.Body, context.RequestAborted);
            return MlflowJson.Empty;
        });
        group.MapGet("/artifacts/{**path}", (string path, HttpContext context, RunArtifacts artifacts) =>
        {
            var file = artifacts.Find(context.Caller(), path);
            var contentType = ContentTypes.TryGetContentType(file.Name, out var type) ? type : "application/octet-stream";
            return Results.File(file.FullName, contentType, enableRangeProcessing: true);
        });
        group.MapGet("/artifacts", (HttpContext context, RunArtifacts artifacts) =>
            MlflowJson.Ok(new { files = artifacts.ListProxy(context.Caller(), context.Request.Query["path"].LastOrDefault()) }));
        group.MapDelete("/artifacts/{**path}", async (string path, HttpContext context, RunArtifacts artifacts) =>
        {
            await artifacts.DeleteAsync(context.Caller(), path, context.RequestAborted);
            return MlflowJson.Empty;
        });
        // A local destination has no multipart uploads; MLflow's answer tells its client to fall back to one PUT.
        group.MapPost("/mpu/{action:regex(^(create|complete|abort)$)}/{**path}", IResult (string action) => throw MlflowErrors.Error(
            MlflowErrors.NotImplemented, "Multipart upload is not supported for the current artifact repository"));
        return group;
    }

    /// <summary><c>artifacts/list</c> for runs, under the tracking prefix.</summary>
    public static RouteGroupBuilder MapMlflowRunArtifacts(this RouteGroupBuilder group)
    {
        group.MapGet("/artifacts/list", async (HttpContext context, TrackingStore tracking, RunArtifacts artifacts) =>
        {
            var query = context.Request.Query;
            var runId = query["run_id"].LastOrDefault() is { Length: > 0 } id ? id : query["run_uuid"].LastOrDefault();
            var run = await tracking.GetRunInfoAsync(context.Caller(), runId, context.RequestAborted);
            return MlflowJson.Ok(new { root_uri = run.ArtifactUri, files = artifacts.ListRun(context.Caller(), run.ArtifactUri, query["path"].LastOrDefault()) });
        });
        return group;
    }
}
