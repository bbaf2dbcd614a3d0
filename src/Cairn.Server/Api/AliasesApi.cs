using Cairn.Registry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cairn.Server.Api;

/// <summary>The body of PUT …/aliases/{alias}.</summary>
public sealed record AliasAssignment(int? Version);

public sealed record AliasHistory(IReadOnlyList<AliasChange> Changes);

/// <summary>Aliases: <c>/api/v1/models/{full_name}/aliases/{alias}</c>.</summary>
public static class AliasesApi
{
    public static RouteGroupBuilder MapAliasesApi(this RouteGroupBuilder api)
    {
        var aliases = api.MapGroup("/models/{fullName}/aliases/{alias}").WithTags("Aliases");
        aliases.MapPut("/", SetAsync).WithSummary("Point an alias at a version");
        aliases.MapGet("/", GetAsync).WithSummary("Resolve an alias");
        aliases.MapDelete("/", DeleteAsync).WithSummary("Remove an alias");
        aliases.MapGet("/history", HistoryAsync).WithSummary("An alias's changes, newest first");
        aliases.MapPost("/rollback", RollbackAsync).WithSummary("Point an alias back at its previous version");
        return api;
    }

    public static async Task<Ok<AliasTarget>> SetAsync(string fullName, string alias, AliasAssignment body, HttpContext http, ModelAliases aliases, CancellationToken cancellationToken) =>
        TypedResults.Ok(await aliases.SetAsync(http.Caller(), fullName, alias, body.Version, cancellationToken));

    public static async Task<Ok<AliasTarget>> GetAsync(string fullName, string alias, HttpContext http, ModelAliases aliases, CancellationToken cancellationToken) =>
        TypedResults.Ok(await aliases.GetAsync(http.Caller(), fullName, alias, cancellationToken));

    public static async Task<NoContent> DeleteAsync(string fullName, string alias, HttpContext http, ModelAliases aliases, CancellationToken cancellationToken)
    {
        await aliases.DeleteAsync(http.Caller(), fullName, alias, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<AliasHistory>> HistoryAsync(string fullName, string alias, HttpContext http, ModelAliases aliases, CancellationToken cancellationToken) =>
        TypedResults.Ok(new AliasHistory(await aliases.HistoryAsync(http.Caller(), fullName, alias, cancellationToken)));

    public static async Task<Ok<AliasTarget>> RollbackAsync(string fullName, string alias, HttpContext http, ModelAliases aliases, CancellationToken cancellationToken) =>
        TypedResults.Ok(await aliases.RollbackAsync(http.Caller(), fullName, alias, cancellationToken));
}
