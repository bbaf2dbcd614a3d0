namespace Cairn.Client;

/// <summary>Role bindings: who (an API token, a user or a group of the OpenID provider) has which role where.</summary>
public sealed partial class CairnClient
{
    /// <summary>Gives a principal a role on a namespace (and below), replacing the role it had there. Needs admin on the namespace.</summary>
    /// <param name="kind">Token, user or group.</param>
    /// <param name="principal">The token's name, the user's id or the group's name.</param>
    /// <param name="role">The role.</param>
    /// <param name="namespace">Where it applies; null for the root <c>/</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The binding as stored.</returns>
    public Task<RoleBinding> GrantRoleAsync(PrincipalKind kind, string principal, Role role, string? @namespace = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/role-bindings", Body(new GrantRoleRequest(kind, principal, @namespace, role), Json.GrantRoleRequest), Json.RoleBinding, cancellationToken);

    /// <summary>Takes a role binding away. Needs admin on its namespace.</summary>
    /// <param name="kind">Token, user or group.</param>
    /// <param name="principal">The token's name, the user's id or the group's name.</param>
    /// <param name="namespace">The binding's namespace; null for the root <c>/</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The binding as it was.</returns>
    public Task<RoleBinding> RevokeRoleAsync(PrincipalKind kind, string principal, string? @namespace = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, "api/v1/role-bindings" + Query(("principal_kind", KindText(kind)), ("principal", principal), ("namespace", @namespace)),
            null, Json.RoleBinding, cancellationToken);

    /// <summary>Lists the role bindings on namespaces the caller administers.</summary>
    /// <param name="kind">Only this kind of principal; null for all.</param>
    /// <param name="principal">Only this principal; null for all.</param>
    /// <param name="namespace">Only bindings on this namespace; null for all.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The bindings, by principal and namespace.</returns>
    public async Task<IReadOnlyList<RoleBinding>> ListRoleBindingsAsync(
        PrincipalKind? kind = null, string? principal = null, string? @namespace = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "api/v1/role-bindings" + Query(("principal_kind", kind is { } k ? KindText(k) : null), ("principal", principal), ("namespace", @namespace)),
            null, Json.RoleBindingList, cancellationToken)).RoleBindings;

    private static string KindText(PrincipalKind kind) => kind.ToString().ToLowerInvariant();
}
