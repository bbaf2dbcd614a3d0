using Cairn.Artifacts;
using Cairn.Storage;

namespace Cairn.Server.Api;

/// <summary>Liveness, and the version of Cairn answering (so an operator sees which build a replica runs).</summary>
public sealed record HealthResponse(string Status, string Version);

public sealed record ReadyResponse(string Status, IReadOnlyList<int> PendingMigrations, string? Error);

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        // Liveness never touches the database: a slow disk must not get a healthy process restarted.
        routes.MapGet("/health", () => TypedResults.Ok(new HealthResponse("ok", CairnVersion.Current))).WithTags("Health");
        routes.MapGet("/ready", ReadyAsync).WithTags("Health");
        return routes;
    }

    /// <summary>
    /// Ready when the database answers with every migration applied and the artifact store answers too (a replica whose
    /// bucket is gone or whose volume is not mounted takes no traffic). A probe that fails is 503 with what failed.
    /// </summary>
    public static async Task<IResult> ReadyAsync(CairnDatabase database, IArtifactStore artifacts, CancellationToken cancellationToken)
    {
        IReadOnlyList<int> pending;
        try
        {
            pending = await Migrator.PendingAsync(database, cancellationToken);
        }
        catch (System.Data.Common.DbException ex)
        {
            return TypedResults.Json(new ReadyResponse("unavailable", [], ex.Message), statusCode: 503);
        }
        if (pending.Count > 0)
        {
            return TypedResults.Json(new ReadyResponse("migrating", pending, null), statusCode: 503);
        }
        try
        {
            await artifacts.ProbeAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever the store's client throws (an S3 or Azure error, an I/O error, a refused connection, a timeout).
            return TypedResults.Json(new ReadyResponse("unavailable", [], $"artifact store: {ex.Message}"), statusCode: 503);
        }
        return TypedResults.Ok(new ReadyResponse("ready", pending, null));
    }
}
