using System.Text.Json.Nodes;

namespace Cairn.Client;

/// <summary>Roles in increasing power; each includes the ones below it, on its namespace and every namespace below.</summary>
public enum Role
{
    /// <summary>May read models and versions.</summary>
    Reader = 1,

    /// <summary>May also create and change them, except moving versions to Production.</summary>
    Writer = 2,

    /// <summary>May also move versions to Production.</summary>
    Approver = 3,

    /// <summary>May do anything, including managing tokens and reading the audit log (on <c>/</c>).</summary>
    Admin = 4,
}

/// <summary>A role on a namespace.</summary>
/// <param name="Namespace">The namespace, such as <c>/abc_corp</c>; <c>/</c> covers everything.</param>
/// <param name="Role">The role granted there.</param>
public sealed record RoleGrant(string Namespace, Role Role);

/// <summary>An API token as listed: never its secret.</summary>
/// <param name="Name">The token's unique name.</param>
/// <param name="Grants">What it may do.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="RevokedAt">When it was revoked, or null while it is valid.</param>
public sealed record ApiToken(string Name, IReadOnlyList<RoleGrant> Grants, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt);

/// <summary>A freshly created token with its secret, which the server shows only this once.</summary>
/// <param name="Token">The token's description.</param>
/// <param name="Secret">The bearer secret (<c>cairn_…</c>) to send in <c>Authorization: Bearer</c>.</param>
public sealed record CreatedApiToken(ApiToken Token, string Secret);

/// <summary>One audit log entry: who did what to which resource, with the state before and after.</summary>
/// <param name="Seq">Its position in the chain, from 1.</param>
/// <param name="At">When it happened.</param>
/// <param name="Actor">Who did it.</param>
/// <param name="Action">What was done, such as <c>version.stage</c>.</param>
/// <param name="Resource">What it was done to, such as <c>models/abc.m/versions/3</c>.</param>
/// <param name="Before">The resource before the change; null for creations.</param>
/// <param name="After">The resource after the change; null for deletions.</param>
/// <param name="PrevHash">The hash of the previous entry.</param>
/// <param name="Hash">This entry's hash, covering its content and <paramref name="PrevHash"/>.</param>
public sealed record AuditEntry(
    long Seq, DateTimeOffset At, string Actor, string Action, string Resource,
    JsonNode? Before, JsonNode? After, string PrevHash, string Hash);

/// <summary>Which audit entries to list; every criterion left null matches everything.</summary>
/// <param name="Actor">Only entries by this actor.</param>
/// <param name="Action">Only entries with this action, such as <c>alias.set</c>.</param>
/// <param name="Resource">Only entries on this resource or below it, such as <c>models/abc.m</c>.</param>
/// <param name="Since">Only entries at or after this time.</param>
/// <param name="Until">Only entries before this time.</param>
public sealed record AuditQuery(string? Actor = null, string? Action = null, string? Resource = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null);

/// <summary>One page of the audit log, newest first.</summary>
/// <param name="Entries">The entries on this page.</param>
/// <param name="NextPageToken">Pass it back to get older entries; null on the last page.</param>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, string? NextPageToken);

/// <summary>The result of walking the audit chain.</summary>
/// <param name="Valid">True when no entry was edited, removed or reordered.</param>
/// <param name="Checked">How many entries were verified intact.</param>
/// <param name="BrokenAt">The first entry that breaks the chain, when it is broken.</param>
/// <param name="Reason">Why that entry breaks it.</param>
/// <param name="HeadHash">When valid, the hash of the newest entry (the chain's head), worth noting down elsewhere.</param>
public sealed record AuditVerification(bool Valid, long Checked, long? BrokenAt, string? Reason, string? HeadHash = null);

/// <summary>The server's liveness answer.</summary>
/// <param name="Status"><c>ok</c> when the process is up.</param>
public sealed record HealthStatus(string Status);

/// <summary>Who a role binding is for.</summary>
public enum PrincipalKind
{
    /// <summary>An API token, by its unique name.</summary>
    Token = 1,

    /// <summary>A user of the OpenID provider, by the value of the server's user claim.</summary>
    User = 2,

    /// <summary>A group of the OpenID provider, by a value of the server's groups claim.</summary>
    Group = 3,
}

/// <summary>A role given to a principal on a namespace, inherited by every namespace below it.</summary>
/// <param name="PrincipalKind">Token, user or group.</param>
/// <param name="Principal">The token's name, the user's id or the group's name.</param>
/// <param name="Namespace">Where the role applies.</param>
/// <param name="Role">The role.</param>
/// <param name="CreatedAt">When it was given (or last changed).</param>
/// <param name="CreatedBy">Who gave it.</param>
public sealed record RoleBinding(PrincipalKind PrincipalKind, string Principal, string Namespace, Role Role, DateTimeOffset CreatedAt, string CreatedBy);
