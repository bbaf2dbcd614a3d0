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

    public static async Task<IResult> ReadyAsync(CairnDatabase database, CancellationToken cancellationToken)
    {
        try
        {
            var pending = await Migrator.PendingAsync(database, cancellationToken);
            return pending.Count == 0
                ? TypedResults.Ok(new ReadyResponse("ready", pending, null))
                : TypedResults.Json(new ReadyResponse("migrating", pending, null), statusCode: 503);
        }
        catch (System.Data.Common.DbException ex)
        {
            return TypedResults.Json(new ReadyResponse("unavailable", [], ex.Message), statusCode: 503);
        }
    }
}
