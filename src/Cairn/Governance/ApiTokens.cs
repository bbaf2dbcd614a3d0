using System.Security.Cryptography;
using System.Text;
using Cairn.Catalog;
using Cairn.Storage;
using Dapper;

namespace Cairn.Governance;

/// <summary>A token as listed: never its secret, which exists only in the creator's hands.</summary>
public sealed record ApiToken(string Name, IReadOnlyList<RoleGrant> Grants, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt);

/// <summary>One page of tokens by name, and the token of the next page (null on the last).</summary>
public sealed record TokenPage(IReadOnlyList<ApiToken> Tokens, string? NextPageToken);

/// <summary>A freshly created token with its secret, shown once.</summary>
public sealed record CreatedApiToken(ApiToken Token, string Secret);

/// <summary>
/// API tokens: 32 random bytes, stored as their SHA-256. A fast hash is enough here because the secret is
/// random and long (no dictionary to guess from), and lookup by hash keeps authentication one indexed read.
/// </summary>
public sealed class ApiTokens(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    private const string Prefix = "cairn_";

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record TokenRow
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long? RevokedAt { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record GrantRow
    {
        public string Principal { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string Role { get; init; } = "";
    }

    // A token with one of its bindings (none: Namespace null), as authentication reads them in one query.
    private sealed record AuthRow
    {
        public string Name { get; init; } = "";
        public long? RevokedAt { get; init; }
        public string? Namespace { get; init; }
        public string? Role { get; init; }
    }

    // A token's roles are its role bindings (Governance/RoleBindings.cs); the first is written with the token.
    private const string TokenGrants = "SELECT principal, namespace, role FROM role_bindings WHERE principal_kind = 'token'";

    public async Task<CreatedApiToken> CreateAsync(Caller caller, string? name, string? role, string? @namespace, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            throw new InvalidParameterException("'name' is required (at most 200 characters).");
        }
        NameRules.Check(name, "name");
        var grant = new RoleGrant(NamespacePath.Normalize(@namespace), Caller.ParseRole(role));
        caller.Require(Role.Admin, grant.Namespace);
        var secret = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        // Milliseconds, as stored: the token returned now must equal the one listed later.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds());
        var token = new ApiToken(name, [grant], now, caller.Name, null);
        await database.WriteAsync(async (connection, transaction) =>
        {
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO api_tokens (name, token_hash, created_at, created_by) VALUES (@name, @hash, @at, @by) RETURNING id
                """,
                new { name, hash = Hash(secret), at = now.ToUnixTimeMilliseconds(), by = caller.Name }, transaction, cancellationToken: cancellationToken));
            await RoleBindings.WriteTokenBindingAsync(transaction, name, grant, now, caller.Name, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "token.create", $"tokens/{name}", null, token, cancellationToken);
            return id;
        }, cancellationToken);
        return new CreatedApiToken(token, secret);
    }

    public async Task<IReadOnlyList<ApiToken>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, NamespacePath.Root);
        return await database.ReadAsync(async connection =>
        {
            var tokens = await connection.QueryAsync<TokenRow>(new CommandDefinition(
                "SELECT id, name, created_at, created_by, revoked_at FROM api_tokens ORDER BY name", cancellationToken: cancellationToken));
            var grants = (await connection.QueryAsync<GrantRow>(new CommandDefinition(
                TokenGrants + " ORDER BY namespace", cancellationToken: cancellationToken)))
                .ToLookup(g => g.Principal, StringComparer.Ordinal);
            return tokens.Select(t => ToToken(t, grants[t.Name])).ToList();
        }, cancellationToken);
    }

    /// <summary>
    /// One page of the tokens by name (the web UI's admin list), with the roles of the page's tokens only: two queries.
    /// </summary>
    /// <param name="caller">Who asks: needs admin on the root namespace.</param>
    /// <param name="maxResults">Tokens per page (default 100, at most 1000).</param>
    /// <param name="pageToken">The next-page token of the previous page, or null for the first.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="InvalidParameterException">A page token this listing did not issue.</exception>
    public async Task<TokenPage> ListPageAsync(Caller caller, int? maxResults, string? pageToken, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, NamespacePath.Root);
        var page = OffsetPage.Start(Paging.PageSize(maxResults, 100, 1000), pageToken, "tokens");
        var parameters = new Dictionary<string, object?>();
        page.AddTo(parameters);
        return await database.ReadAsync(async connection =>
        {
            var (tokens, next) = page.Cut(await connection.QueryAsync<TokenRow>(new CommandDefinition(
                "SELECT id, name, created_at, created_by, revoked_at FROM api_tokens ORDER BY name" + OffsetPage.Sql,
                new DynamicParameters(parameters), cancellationToken: cancellationToken)));
            var names = tokens.Select(t => t.Name).ToList();
            var grants = (await connection.QueryAsync<GrantRow>(new CommandDefinition(
                $"{TokenGrants} AND {database.Dialect.InList("principal", "@names")} ORDER BY namespace", new { names }, cancellationToken: cancellationToken)))
                .ToLookup(g => g.Principal, StringComparer.Ordinal);
            return new TokenPage(tokens.Select(t => ToToken(t, grants[t.Name])).ToList(), next);
        }, cancellationToken);
    }

    public async Task<ApiToken> RevokeAsync(Caller caller, string name, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, NamespacePath.Root);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(new CommandDefinition(
                "SELECT id, name, created_at, created_by, revoked_at FROM api_tokens WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken))
                ?? throw new NotFoundException($"Token '{name}' does not exist.");
            var grants = await connection.QueryAsync<GrantRow>(new CommandDefinition(
                TokenGrants + " AND principal = @name ORDER BY namespace", new { name }, transaction, cancellationToken: cancellationToken));
            var before = ToToken(row, grants);
            if (before.RevokedAt is not null)
            {
                return before;
            }
            var now = clock.GetUtcNow();
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE api_tokens SET revoked_at = @at WHERE id = @Id", new { at = now.ToUnixTimeMilliseconds(), row.Id }, transaction, cancellationToken: cancellationToken));
            var after = before with { RevokedAt = now };
            await audit.AppendAsync(transaction, caller.Name, "token.revoke", $"tokens/{name}", before, after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    /// <summary>The caller a secret stands for, or null when it is unknown or revoked.</summary>
    public async Task<Caller?> AuthenticateAsync(string secret, CancellationToken cancellationToken)
    {
        // One query: the token and its bindings.
        var rows = (await database.ReadAsync(async connection => await connection.QueryAsync<AuthRow>(new CommandDefinition(
            """
            SELECT t.name, t.revoked_at, b.namespace, b.role FROM api_tokens t
            LEFT JOIN role_bindings b ON b.principal_kind = 'token' AND b.principal = t.name
            WHERE t.token_hash = @hash
            """,
            new { hash = Hash(secret) }, cancellationToken: cancellationToken)), cancellationToken)).ToList();
        if (rows.Count == 0 || rows[0].RevokedAt is not null)
        {
            return null;
        }
        return new Caller(rows[0].Name, rows.Where(r => r.Namespace is not null).Select(r => new RoleGrant(r.Namespace!, RoleBindings.ParseStoredRole(r.Role!))).ToList())
        {
            Kind = PrincipalKind.Token,
        };
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static RoleGrant ToGrant(GrantRow g) => new(g.Namespace, RoleBindings.ParseStoredRole(g.Role));

    private static ApiToken ToToken(TokenRow t, IEnumerable<GrantRow> grants) => new(
        t.Name, grants.Select(ToGrant).ToList(), DateTimeOffset.FromUnixTimeMilliseconds(t.CreatedAt), t.CreatedBy,
        t.RevokedAt is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(t.RevokedAt.Value));
}
