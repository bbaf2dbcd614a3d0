namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow's REST API (the 2.x protocol) over Cairn's own store. MLflow clients call the same handlers under
/// <c>/api/2.0/mlflow</c> and, from its web UI, <c>/ajax-api/2.0/mlflow</c>; both prefixes map every route.
/// Errors on these paths use MLflow's <c>{"error_code", "message"}</c> shape (see <see cref="MlflowErrors"/>).
/// </summary>
public static class MlflowApi
{
    public static readonly string[] Prefixes = ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"];

    public static readonly string[] ArtifactPrefixes = ["/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"];

    public static IEndpointRouteBuilder MapMlflowApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in Prefixes)
        {
            var group = app.MapGroup(prefix).WithTags("MLflow").ExcludeFromDescription();
            group.MapMlflowTracking();
            group.MapMlflowRegistry();
            group.MapMlflowRunArtifacts();
            group.MapMlflowLoggedModels();
            group.Map("{**path}", IResult (HttpContext context) => throw MlflowErrors.Error(
                MlflowErrors.EndpointNotFound, $"No MLflow endpoint {context.Request.Method} {context.Request.Path}."));
        }
        foreach (var prefix in ArtifactPrefixes)
        {
            app.MapGroup(prefix).WithTags("MLflow").ExcludeFromDescription().MapMlflowArtifacts();
        }
        return app;
    }

    /// <summary>Whether a request is on the MLflow API, whose errors take MLflow's shape.</summary>
    public static bool IsMlflowPath(PathString path) =>
        Prefixes.Concat(ArtifactPrefixes).Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));
}
