using Cairn.Catalog;
using Cairn.Storage;
using Dapper;

namespace Cairn.Governance;

/// <summary>Who a role binding is for.</summary>
public enum PrincipalKind
{
    /// <summary>An API token, by its unique name.</summary>
    Token = 1,

    /// <summary>A user of the OpenID provider, by the value of the configured user claim.</summary>
    User = 2,

    /// <summary>A group of the OpenID provider, by a value of the configured groups claim.</summary>
    Group = 3,
}

/// <summary>A role given to a principal on a namespace; it covers that namespace and every namespace below it.</summary>
/// <param name="PrincipalKind">Token, user or group.</param>
/// <param name="Principal">The token's name, the user's id or the group's name.</param>
/// <param name="Namespace">Where the role applies.</param>
/// <param name="Role">The role.</param>
/// <param name="CreatedAt">When it was given (or last changed).</param>
/// <param name="CreatedBy">Who gave it.</param>
public sealed record RoleBinding(PrincipalKind PrincipalKind, string Principal, string Namespace, Role Role, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>Which bindings to list; every field optional.</summary>
/// <param name="PrincipalKind">Only this kind of principal.</param>
/// <param name="Principal">Only this principal.</param>
/// <param name="Namespace">Only bindings on this namespace.</param>
public sealed record RoleBindingQuery(PrincipalKind? PrincipalKind = null, string? Principal = null, string? Namespace = null);

/// <summary>
/// Role bindings: a principal (an API token, an OpenID user or group) gets a role on a namespace, inherited below it.
/// A caller's effective role on a namespace is the highest among the bindings of its token, or of its user and any of
/// its groups, on that namespace or an ancestor (<see cref="Caller.Has"/> over the grants <see cref="UserCallerAsync"/> and <see cref="ApiTokens.AuthenticateAsync"/> read).
/// Giving and taking bindings needs the admin role on the binding's namespace, as creating a token there does.
/// </summary>
public sealed class RoleBindings(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record BindingRow
    {
        public string PrincipalKind { get; init; } = "";
        public string Principal { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string Role { get; init; } = "";
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    private const string Columns = "principal_kind, principal, namespace, role, created_at, created_by";

    /// <summary>Gives <paramref name="principal"/> <paramref name="role"/> on <paramref name="namespace"/>, replacing the role it had there.</summary>
    /// <param name="caller">Needs admin on the namespace.</param>
    /// <param name="kind">token, user or group.</param>
    /// <param name="principal">The token's name, the user's id or the group's name.</param>
    /// <param name="namespace">Where the role applies; null for the root.</param>
    /// <param name="role">reader, writer, approver or admin.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The binding as stored.</returns>
    public async Task<RoleBinding> GrantAsync(Caller caller, string? kind, string? principal, string? @namespace, string? role, CancellationToken cancellationToken)
    {
        var principalKind = ParseKind(kind);
        var name = CheckPrincipal(principal);
        var ns = NamespacePath.Normalize(@namespace);
        var grantedRole = Caller.ParseRole(role);
        caller.Require(Role.Admin, ns);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds());
        var binding = new RoleBinding(principalKind, name, ns, grantedRole, now, caller.Name);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            if (principalKind == PrincipalKind.Token && await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM api_tokens WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken)) == 0)
            {
                throw new InvalidParameterException($"'principal': no API token is named '{name}'.");
            }
            var before = await FindAsync(connection, transaction, principalKind, name, ns, cancellationToken);
            if (before is not null && before.Role == grantedRole)
            {
                return before;
            }
            await connection.ExecuteAsync(new CommandDefinition(
                before is null
                    ? $"INSERT INTO role_bindings ({Columns}) VALUES (@kind, @name, @ns, @role, @at, @by)"
                    : "UPDATE role_bindings SET role = @role, created_at = @at, created_by = @by WHERE principal_kind = @kind AND principal = @name AND namespace = @ns",
                new { kind = KindText(principalKind), name, ns, role = RoleText(grantedRole), at = now.ToUnixTimeMilliseconds(), by = caller.Name },
                transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "role.grant", Resource(binding), before, binding, cancellationToken);
            return binding;
        }, cancellationToken);
    }

    /// <summary>Takes a binding away.</summary>
    /// <param name="caller">Needs admin on the namespace.</param>
    /// <param name="kind">token, user or group.</param>
    /// <param name="principal">The token's name, the user's id or the group's name.</param>
    /// <param name="namespace">The binding's namespace; null for the root.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The binding as it was.</returns>
    /// <exception cref="NotFoundException">There is no such binding.</exception>
    public async Task<RoleBinding> RevokeAsync(Caller caller, string? kind, string? principal, string? @namespace, CancellationToken cancellationToken)
    {
        var principalKind = ParseKind(kind);
        var name = CheckPrincipal(principal);
        var ns = NamespacePath.Normalize(@namespace);
        caller.Require(Role.Admin, ns);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await FindAsync(connection, transaction, principalKind, name, ns, cancellationToken)
                ?? throw new NotFoundException($"{KindText(principalKind)} '{name}' has no role binding on namespace '{ns}'.");
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM role_bindings WHERE principal_kind = @kind AND principal = @name AND namespace = @ns",
                new { kind = KindText(principalKind), name, ns }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "role.revoke", Resource(before), before, null, cancellationToken);
            return before;
        }, cancellationToken);
    }

    /// <summary>The bindings matching <paramref name="query"/> on namespaces the caller administers, by principal and namespace.</summary>
    /// <param name="caller">Sees the bindings on the namespaces where it is admin.</param>
    /// <param name="query">Which bindings.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The bindings.</returns>
    public async Task<IReadOnlyList<RoleBinding>> ListAsync(Caller caller, RoleBindingQuery query, CancellationToken cancellationToken)
    {
        if (!caller.Grants.Any(g => g.Role == Role.Admin))
        {
            throw new PermissionDeniedException($"'{caller.Name}' needs the admin role on some namespace to list role bindings.");
        }
        var ns = query.Namespace is null ? null : NamespacePath.Normalize(query.Namespace);
        var kind = query.PrincipalKind is { } k ? KindText(k) : null;
        var rows = await database.ReadAsync(async connection => await connection.QueryAsync<BindingRow>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM role_bindings
            WHERE (@kind IS NULL OR principal_kind = @kind) AND (@principal IS NULL OR principal = @principal) AND (@ns IS NULL OR namespace = @ns)
            ORDER BY principal_kind, principal, namespace
            """,
            new { kind, principal = query.Principal, ns }, cancellationToken: cancellationToken)), cancellationToken);
        // The admin check is per namespace, after one read: bindings are few (people and teams, not rows of data).
        return rows.Select(ToBinding).Where(b => caller.Has(Role.Admin, b.Namespace)).ToList();
    }

    /// <summary>
    /// Everything a signed-in user may do: the bindings of the user and of each of its groups, read in one query.
    /// </summary>
    /// <param name="user">The user's id (the user claim's value).</param>
    /// <param name="groups">The user's groups (the groups claim's values).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The caller, named after the user.</returns>
    public async Task<Caller> UserCallerAsync(string user, IReadOnlyCollection<string> groups, CancellationToken cancellationToken)
    {
        var groupList = groups.Distinct(StringComparer.Ordinal).ToArray();
        var rows = await database.ReadAsync(async connection => await connection.QueryAsync<BindingRow>(new CommandDefinition(
            groupList.Length == 0
                ? $"SELECT {Columns} FROM role_bindings WHERE principal = @user AND principal_kind = 'user'"
                : $"""
                   SELECT {Columns} FROM role_bindings
                   WHERE (principal = @user AND principal_kind = 'user') OR ({database.Dialect.InList("principal", "@groups")} AND principal_kind = 'group')
                   """,
            new { user, groups = groupList }, cancellationToken: cancellationToken)), cancellationToken);
        return new Caller(user, rows.Select(r => new RoleGrant(r.Namespace, ParseStoredRole(r.Role))).ToList())
        {
            Kind = PrincipalKind.User,
            Groups = groupList,
        };
    }

    /// <summary>Writes a token's first binding, inside the transaction that creates the token (<see cref="ApiTokens"/>).</summary>
    internal static Task WriteTokenBindingAsync(System.Data.Common.DbTransaction transaction, string token, RoleGrant grant, DateTimeOffset at, string by, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO role_bindings ({Columns}) VALUES ('token', @token, @ns, @role, @at, @by)",
            new { token, ns = grant.Namespace, role = RoleText(grant.Role), at = at.ToUnixTimeMilliseconds(), by }, transaction, cancellationToken: cancellationToken));

    internal static Role ParseStoredRole(string role) => Enum.Parse<Role>(role, ignoreCase: true);

    private static async Task<RoleBinding?> FindAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, PrincipalKind kind, string name, string ns, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<BindingRow>(new CommandDefinition(
            $"SELECT {Columns} FROM role_bindings WHERE principal_kind = @kind AND principal = @name AND namespace = @ns",
            new { kind = KindText(kind), name, ns }, transaction, cancellationToken: cancellationToken));
        return row is null ? null : ToBinding(row);
    }

    /// <summary>Reads <c>token</c>, <c>user</c> or <c>group</c>, naming the field when it is anything else.</summary>
    /// <param name="value">The text.</param>
    /// <returns>The kind.</returns>
    public static PrincipalKind ParseKind(string? value) =>
        Enum.TryParse<PrincipalKind>(value, ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !int.TryParse(value, out _)
            ? kind
            : throw new InvalidParameterException($"'principal_kind' must be one of token, user, group; got '{value}'.");

    private static string CheckPrincipal(string? principal) =>
        string.IsNullOrWhiteSpace(principal) || principal.Length > 400 || principal.Any(char.IsControl)
            ? throw new InvalidParameterException("'principal' is required: the token's name, the user's id or the group's name (at most 400 characters, no control characters).")
            : principal;

    private static string KindText(PrincipalKind kind) => kind.ToString().ToLowerInvariant();

    private static string RoleText(Role role) => role.ToString().ToLowerInvariant();

    private static string Resource(RoleBinding b) => $"role-bindings/{KindText(b.PrincipalKind)}/{b.Principal}{b.Namespace}";

    private static RoleBinding ToBinding(BindingRow r) => new(
        ParseKind(r.PrincipalKind), r.Principal, r.Namespace, ParseStoredRole(r.Role), DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.CreatedBy);
}
