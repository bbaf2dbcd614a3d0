using System.Data.Common;
using System.Text.Json;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Events;

/// <summary>
/// Who created a webhook, as kept with it: the principal's kind (<c>token</c>, <c>user</c>, or <c>local</c> for the admin
/// of a store without authentication; null for webhooks older than this record, read as tokens), its name, and for a
/// user the groups its token named at creation (JSON text).
/// </summary>
internal readonly record struct WebhookCreator(string? Kind, string Name, string? Groups);

/// <summary>
/// What a webhook's creator may read now: its role bindings read again at each fan-out and redelivery, so a binding
/// taken away (or a token revoked) stops deliveries at once. A user creator's bindings are those of the user and of the
/// groups it had when it created the webhook (Cairn cannot ask the provider later); taking the group's binding away, or
/// deleting the webhook, stops what came through the group.
/// </summary>
internal static class WebhookCreators
{
    private const string TokenKind = "token";
    private const string UserKind = "user";
    private const string LocalKind = "local";

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record GrantRow
    {
        public string Kind { get; init; } = "";
        public string Name { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string Role { get; init; } = "";
    }

    private sealed record CreatorRow
    {
        public string? Kind { get; init; }
        public string Name { get; init; } = "";
        public string? Groups { get; init; }
    }

    /// <summary>The kind stored for <paramref name="caller"/>.</summary>
    public static string KindText(Caller caller) => caller.Kind switch
    {
        PrincipalKind.Token => TokenKind,
        PrincipalKind.User => UserKind,
        _ => LocalKind,
    };

    /// <summary>The groups stored for <paramref name="caller"/>: a JSON array, or null when it has none.</summary>
    public static string? GroupsText(Caller caller) =>
        caller.Kind == PrincipalKind.User && caller.Groups.Count > 0 ? JsonSerializer.Serialize(caller.Groups) : null;

    /// <summary>
    /// What each creator may read now, in two queries whatever the number of creators. Without authentication every
    /// creator reads everything; with it, a token creator reads what its token's bindings give (nothing once revoked), a
    /// user what its and its groups' bindings give, and the local admin of a store that had no authentication nothing
    /// (absent from the result).
    /// </summary>
    public static async Task<Dictionary<WebhookCreator, Caller>> ResolveAsync(
        DbTransaction transaction, WebhookOptions options, IReadOnlyCollection<WebhookCreator> creators, CancellationToken cancellationToken)
    {
        if (!options.CreatorsAreTokens)
        {
            return creators.Distinct().ToDictionary(c => c, c => Caller.Admin(c.Name));
        }
        var connection = transaction.Connection!;
        var dialect = SqlDialects.Of(transaction);
        var tokens = creators.Where(c => c.Kind is null or TokenKind).Select(c => c.Name).Distinct(StringComparer.Ordinal).ToArray();
        var users = creators.Where(c => c.Kind == UserKind).ToList();
        var grants = new List<GrantRow>();
        if (tokens.Length > 0)
        {
            grants.AddRange(await connection.QueryAsync<GrantRow>(new CommandDefinition(
                $"""
                SELECT 'token' AS kind, t.name, g.namespace, g.role FROM api_tokens t
                JOIN role_bindings g ON g.principal_kind = 'token' AND g.principal = t.name
                WHERE t.revoked_at IS NULL AND {dialect.InList("t.name", "@tokens")}
                """,
                new { tokens }, transaction, cancellationToken: cancellationToken)));
        }
        var groupsOf = users.Distinct().ToDictionary(u => u, u => u.Groups is null ? [] : JsonSerializer.Deserialize<string[]>(u.Groups) ?? []);
        if (users.Count > 0)
        {
            var names = users.Select(u => u.Name).Distinct(StringComparer.Ordinal).ToArray();
            var groups = groupsOf.Values.SelectMany(g => g).Distinct(StringComparer.Ordinal).ToArray();
            grants.AddRange(await connection.QueryAsync<GrantRow>(new CommandDefinition(
                $"""
                SELECT principal_kind AS kind, principal AS name, namespace, role FROM role_bindings
                WHERE (principal_kind = 'user' AND {dialect.InList("principal", "@names")})
                   OR (principal_kind = 'group' AND {dialect.InList("principal", "@groups")})
                """,
                new { names, groups }, transaction, cancellationToken: cancellationToken)));
        }
        var byPrincipal = grants.ToLookup(g => (g.Kind, g.Name), g => new RoleGrant(g.Namespace, RoleBindings.ParseStoredRole(g.Role)));
        var result = new Dictionary<WebhookCreator, Caller>();
        foreach (var creator in creators.Distinct())
        {
            if (creator.Kind is null or TokenKind)
            {
                if (byPrincipal.Contains((TokenKind, creator.Name)))
                {
                    result[creator] = new Caller(creator.Name, byPrincipal[(TokenKind, creator.Name)].ToList()) { Kind = PrincipalKind.Token };
                }
            }
            else if (creator.Kind == UserKind)
            {
                var groups = groupsOf[creator];
                var userGrants = byPrincipal[(UserKind, creator.Name)].Concat(groups.SelectMany(g => byPrincipal[("group", g)])).ToList();
                result[creator] = new Caller(creator.Name, userGrants) { Kind = PrincipalKind.User, Groups = groups };
            }
        }
        return result;
    }

    /// <summary>The creator of webhook <paramref name="webhookId"/> and what it may read now (null: nothing).</summary>
    public static async Task<Caller?> OfWebhookAsync(DbTransaction transaction, WebhookOptions options, string webhookId, CancellationToken cancellationToken)
    {
        var row = await transaction.Connection!.QuerySingleAsync<CreatorRow>(new CommandDefinition(
            "SELECT creator_kind AS kind, created_by AS name, creator_groups AS groups FROM webhooks WHERE id = @webhookId",
            new { webhookId }, transaction, cancellationToken: cancellationToken));
        var creator = new WebhookCreator(row.Kind, row.Name, row.Groups);
        return (await ResolveAsync(transaction, options, [creator], cancellationToken)).GetValueOrDefault(creator);
    }
}
