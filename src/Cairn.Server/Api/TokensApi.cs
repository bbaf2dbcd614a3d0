using Cairn.Governance;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cairn.Server.Api;

public sealed record CreateTokenRequest(string? Name, string? Role, string? Namespace);

public sealed record TokenList(IReadOnlyList<ApiToken> Tokens);

/// <summary>API tokens: <c>/api/v1/tokens</c> (admin only).</summary>
public static class TokensApi
{
    public static RouteGroupBuilder MapTokensApi(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Tokens");
        tokens.MapPost("/", CreateAsync).WithSummary("Create an API token; its secret is returned once (admin)");
        tokens.MapGet("/", ListAsync).WithSummary("List API tokens, never their secrets (admin)");
        tokens.MapDelete("/{name}", RevokeAsync).WithSummary("Revoke an API token (admin)");
        return api;
    }

    public static async Task<Created<CreatedApiToken>> CreateAsync(CreateTokenRequest request, HttpContext http, ApiTokens tokens, CancellationToken cancellationToken)
    {
        var created = await tokens.CreateAsync(http.Caller(), request.Name, request.Role, request.Namespace, cancellationToken);
        return TypedResults.Created(ApiPaths.Of("api/v1/tokens", created.Token.Name), created);
    }

    public static async Task<Ok<TokenList>> ListAsync(HttpContext http, ApiTokens tokens, CancellationToken cancellationToken) =>
        TypedResults.Ok(new TokenList(await tokens.ListAsync(http.Caller(), cancellationToken)));

    public static async Task<Ok<ApiToken>> RevokeAsync(string name, HttpContext http, ApiTokens tokens, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tokens.RevokeAsync(http.Caller(), name, cancellationToken));
}
