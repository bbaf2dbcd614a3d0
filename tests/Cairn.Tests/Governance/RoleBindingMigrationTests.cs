using Cairn.Storage;
using Cairn.Tests.Api;
using Dapper;

namespace Cairn.Tests.Governance;

/// <summary>
/// Migration 0023 moves every token's roles from <c>role_grants</c> into role bindings and drops the old table: a store
/// upgraded from before it must keep every token's roles, on both backends.
/// </summary>
public sealed class RoleBindingMigrationTests() : UpgradeStore("0023")
{
    [Fact]
    public async Task Tokens_of_a_store_from_before_role_bindings_keep_every_role_they_had()
    {
        using var database = CairnDatabase.Open(Setting);
        await Migrator.MigrateAsync(database, TimeProvider.System, default);
        var bigint = database.Dialect is SqliteDialect ? "INTEGER" : "BIGINT";
        // The store as migration 0022 left it: tokens with their grants in role_grants, no role_bindings yet.
        await using (var connection = await database.OpenAsync(default))
        {
            await connection.ExecuteAsync($"""
                DROP TABLE role_bindings;
                CREATE TABLE role_grants (
                    token_id  {bigint} NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
                    namespace TEXT NOT NULL,
                    role      TEXT NOT NULL,
                    PRIMARY KEY (token_id, namespace));
                INSERT INTO api_tokens (id, name, token_hash, created_at, created_by, revoked_at) VALUES
                    (1, 'ops', 'hash-1', 1700000000000, 'setup', NULL),
                    (2, 'ci', 'hash-2', 1700000001000, 'ops', NULL),
                    (3, 'old', 'hash-3', 1700000002000, 'ops', 1700000003000);
                INSERT INTO role_grants (token_id, namespace, role) VALUES
                    (1, '/', 'admin'), (2, '/abc_corp', 'writer'), (2, '/abc_corp/claim', 'approver'), (3, '/x', 'reader');
                DELETE FROM schema_migrations WHERE version = 23;
                """);
        }

        var applied = await Migrator.MigrateAsync(database, TimeProvider.System, default);

        Assert.Equal([23], applied);
        await using var check = await database.OpenAsync(default);
        var bindings = (await check.QueryAsync<(string Kind, string Principal, string Namespace, string Role, long CreatedAt, string CreatedBy)>(
            "SELECT principal_kind, principal, namespace, role, created_at, created_by FROM role_bindings ORDER BY principal, namespace")).ToList();
        Assert.Equal(
        [
            ("token", "ci", "/abc_corp", "writer", 1700000001000, "ops"),
            ("token", "ci", "/abc_corp/claim", "approver", 1700000001000, "ops"),
            ("token", "old", "/x", "reader", 1700000002000, "ops"),
            ("token", "ops", "/", "admin", 1700000000000, "setup"),
        ], bindings);
        var grantsLeft = await check.ExecuteScalarAsync<long>(database.Dialect is SqliteDialect
            ? "SELECT COUNT(*) FROM sqlite_master WHERE name = 'role_grants'"
            : "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'role_grants'");
        Assert.Equal(0, grantsLeft);
    }
}
