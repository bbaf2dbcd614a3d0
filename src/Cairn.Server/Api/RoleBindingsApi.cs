using Cairn.Governance;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

public sealed record GrantRoleRequest(string? PrincipalKind, string? Principal, string? Namespace, string? Role);

public sealed record RoleBindingList(IReadOnlyList<RoleBinding> RoleBindings);

/// <summary>Role bindings: <c>/api/v1/role-bindings</c> (admins of the bindings' namespaces; docs/auth.md).</summary>
public static class RoleBindingsApi
{
    public static RouteGroupBuilder MapRoleBindingsApi(this RouteGroupBuilder api)
    {
        var bindings = api.MapGroup("/role-bindings").WithTags("Role bindings");
        bindings.MapGet("/", ListAsync).WithSummary("List role bindings on the namespaces the caller administers, by principal_kind, principal and namespace (admin)");
        bindings.MapPost("/", GrantAsync).WithSummary("Give a token, user or group a role on a namespace, replacing the role it had there (admin of the namespace)");
        bindings.MapDelete("/", RevokeAsync).WithSummary("Take a role binding away, named by principal_kind, principal and namespace (admin of the namespace)");
        return api;
    }

    public static async Task<Ok<RoleBindingList>> ListAsync(
        HttpContext http, RoleBindings bindings, CancellationToken cancellationToken,
        [FromQuery(Name = "principal_kind")] string? principalKind = null, [FromQuery] string? principal = null, [FromQuery] string? @namespace = null)
    {
        var query = new RoleBindingQuery(principalKind is null ? null : RoleBindings.ParseKind(principalKind), principal, @namespace);
        return TypedResults.Ok(new RoleBindingList(await bindings.ListAsync(http.Caller(), query, cancellationToken)));
    }

    public static async Task<Ok<RoleBinding>> GrantAsync(GrantRoleRequest request, HttpContext http, RoleBindings bindings, CancellationToken cancellationToken) =>
        TypedResults.Ok(await bindings.GrantAsync(http.Caller(), request.PrincipalKind, request.Principal, request.Namespace, request.Role, cancellationToken));

    public static async Task<Ok<RoleBinding>> RevokeAsync(
        HttpContext http, RoleBindings bindings, CancellationToken cancellationToken,
        [FromQuery(Name = "principal_kind")] string? principalKind = null, [FromQuery] string? principal = null, [FromQuery] string? @namespace = null) =>
        TypedResults.Ok(await bindings.RevokeAsync(http.Caller(), principalKind, principal, @namespace, cancellationToken));
}
