namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow's REST API (the 2.x protocol) over Cairn's own store. MLflow clients call the same handlers under
/// <c>/api/2.0/mlflow</c> and, from its web UI, <c>/ajax-api/2.0/mlflow</c>; both prefixes map every route.
/// Errors on these paths use MLflow's <c>{"error_code", "message"}</c> shape (see <see cref="MlflowErrors"/>).
/// </summary>
public static partial class MlflowApi
{
    /// <summary>What <c>GET /version</c> answers: the MLflow release whose REST protocol (through traces and OTLP span logging) Cairn serves.</summary>
    public const string CompatibleVersion = "3.5.0";

    public static readonly string[] Prefixes = ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"];

    /// <summary>MLflow 3's prefixes: the routes whose rpc is "since 3.0" (traces); anything else under them is ENDPOINT_NOT_FOUND.</summary>
    public static readonly string[] V3Prefixes = ["/api/3.0/mlflow", "/ajax-api/3.0/mlflow"];

    public static readonly string[] ArtifactPrefixes = ["/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"];

    public static IEndpointRouteBuilder MapMlflowApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in Prefixes)
        {
            var group = app.MapGroup(prefix).WithTags("MLflow").ExcludeFromDescription();
            group.MapMlflowTracking();
            group.MapMlflowRegistry();
            group.MapMlflowRunArtifacts();
            group.MapMlflowTracesV2();
            if (prefix.StartsWith("/ajax-api", StringComparison.Ordinal))
            {
                group.MapMlflowTraceArtifact();
                group.MapMlflowTrackingAjax();
                group.MapMlflowArtifactsAjax();
            }
            group.MapMlflowWebhooks();
            group.MapDatabricksTransitionRequests();
            group.MapMlflowLoggedModels();
            group.Map("{**path}", IResult (HttpContext context) => throw MlflowErrors.Error(
                MlflowErrors.EndpointNotFound, $"No MLflow endpoint {context.Request.Method} {context.Request.Path}."));
        }
        foreach (var prefix in V3Prefixes)
        {
            var group = app.MapGroup(prefix).WithTags("MLflow").ExcludeFromDescription();
            group.MapMlflowTracesV3();
            group.Map("{**path}", IResult (HttpContext context) => throw MlflowErrors.Error(
                MlflowErrors.EndpointNotFound, $"No MLflow endpoint {context.Request.Method} {context.Request.Path}."));
        }
        app.MapMlflowOtlp();
        // The MLflow version whose protocol Cairn serves; MLflow's clients read it to choose features (span logging needs 3.4+).
        app.MapGet("/version", () => Results.Text(CompatibleVersion)).ExcludeFromDescription();
        foreach (var prefix in ArtifactPrefixes)
        {
            app.MapGroup(prefix).WithTags("MLflow").ExcludeFromDescription().MapMlflowArtifacts();
        }
        app.MapMlflowUnavailableRoutes();
        app.MapGroup("").WithTags("MLflow").ExcludeFromDescription().MapMlflowRootArtifacts();
        return app;
    }

    /// <summary>
    /// Merges repeated slashes in a path that is an MLflow path once merged (<c>//model-versions/get-artifact</c>), as
    /// MLflow's server (Werkzeug's merge_slashes) does, so that such URLs reach the same handlers.
    /// </summary>
    public static IApplicationBuilder UseMlflowSlashMerging(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var path = context.Request.Path.Value;
        if (path is not null && path.Contains("//", StringComparison.Ordinal))
        {
            var merged = new PathString(RepeatedSlashes().Replace(path, "/"));
            if (IsMlflowPath(merged))
            {
                context.Request.Path = merged;
            }
        }
        await next(context);
    });

    [System.Text.RegularExpressions.GeneratedRegex("/{2,}")]
    private static partial System.Text.RegularExpressions.Regex RepeatedSlashes();

    /// <summary>Whether a request is on the MLflow API, whose errors take MLflow's shape.</summary>
    public static bool IsMlflowPath(PathString path) =>
        Prefixes.Concat(V3Prefixes).Concat(ArtifactPrefixes).Concat(RootArtifactPaths).Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>MLflow's downloads outside its API prefixes (mlflow/server/__init__.py), which its web UI links to.</summary>
    public static readonly string[] RootArtifactPaths = ["/get-artifact", "/model-versions/get-artifact"];
}
