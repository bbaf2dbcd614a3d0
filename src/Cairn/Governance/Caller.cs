using Cairn.Catalog;

namespace Cairn.Governance;

/// <summary>Roles in increasing power; each includes the ones below it.</summary>
public enum Role
{
    Reader = 1,
    Writer = 2,
    Approver = 3,
    Admin = 4,
}

/// <summary>A role on a namespace; it covers that namespace and every namespace below it.</summary>
public sealed record RoleGrant(string Namespace, Role Role);

/// <summary>Who is making a request and what they may do. Every service call takes one.</summary>
public sealed record Caller(string Name, IReadOnlyList<RoleGrant> Grants)
{
    /// <summary>The caller when authentication is off: admin of everything.</summary>
    public static Caller Admin(string name) => new(name, [new RoleGrant(NamespacePath.Root, Role.Admin)]);

    /// <summary>
    /// Which kind of principal the caller is: an API token, or a user of the identity provider (with its
    /// <see cref="Groups"/>); null for the local admin of a store without authentication. Kept with what the caller
    /// creates when its grants must be read again later (a webhook's deliveries).
    /// </summary>
    public PrincipalKind? Kind { get; init; }

    /// <summary>The user's groups, as the identity provider's token named them; empty for an API token.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    public bool Has(Role role, string @namespace) =>
        Grants.Any(g => g.Role >= role && NamespacePath.Covers(g.Namespace, @namespace));

    public void Require(Role role, string @namespace)
    {
        if (!Has(role, @namespace))
        {
            throw new PermissionDeniedException(
                $"'{Name}' needs the {role.ToString().ToLowerInvariant()} role on namespace '{@namespace}' (or a namespace above it).");
        }
    }

    /// <summary>
    /// The namespaces whose models the caller may read, for filtering searches; null when that is all of them.
    /// </summary>
    public IReadOnlyList<string>? ReadableNamespaces() =>
        Has(Role.Reader, NamespacePath.Root) ? null : Grants.Select(g => g.Namespace).Distinct().ToList();

    public static Role ParseRole(string? value) =>
        Enum.TryParse<Role>(value, ignoreCase: true, out var role) && Enum.IsDefined(role)
            ? role
            : throw new InvalidParameterException($"'role' must be one of reader, writer, approver, admin; got '{value}'.");
}
