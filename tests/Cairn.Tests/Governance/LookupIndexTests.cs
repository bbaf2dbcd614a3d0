using Cairn.Governance;
using Cairn.Storage;
using Cairn.Tests.Api;
using Dapper;

namespace Cairn.Tests.Governance;

/// <summary>
/// Migration 0027's lookups: a resource's audit trail and the versions registered from a run are index reads, not walks
/// of the whole audit log or of every version (the version page and the run page on PostgreSQL at the scale).
/// </summary>
public sealed class LookupIndexTests() : UpgradeStore("lookups")
{
    [Fact]
    public async Task A_resource_trail_is_an_index_range_under_a_linguistic_collation_also_as_a_statement_prepared_and_run_repeatedly()
    {
        using var database = CairnDatabase.Open(Setting);
        await Migrator.MigrateAsync(database, TimeProvider.System, default);
        var (sql, parameters) = AuditChain.ListQuery(database.Dialect, new AuditQuery(null, null, "models/m/versions/3", null, null, null, null), null, 51);
        await using var connection = await database.OpenAsync(default);
        if (database.Dialect is SqliteDialect)
        {
            var steps = string.Join('\n', (await connection.QueryAsync<(long, long, long, string Detail)>("EXPLAIN QUERY PLAN " + sql, parameters)).Select(r => r.Detail));
            Assert.Contains("ix_audit_log_resource (resource=?", steps, StringComparison.Ordinal);
            Assert.Contains("ix_audit_log_resource (resource>? AND resource<?", steps, StringComparison.Ordinal);
            return;
        }

        // 20,000 entries over 20,000 resources. The resource column is given a linguistic collation where the server
        // has ICU (as a database made with en_US.UTF-8 would have): neither a LIKE prefix nor a range can use an index
        // in it, only one in "C". The statement is prepared, as Npgsql's automatic preparation (when a connection string
        // enables it) would, and run six times, after which PostgreSQL weighs a generic plan against the custom ones (in
        // a generic plan a LIKE whose pattern is a parameter can use no index at all); the trail must stay an index read.
        await connection.ExecuteAsync("""
            INSERT INTO audit_log (seq, at, actor, action, resource, before, after, prev_hash, hash)
            SELECT g, g, 'seed', 'version.create', 'models/m' || (g / 5) || '/versions/' || (g % 5), NULL, NULL, '', ''
            FROM generate_series(1, 20000) g
            """);
        if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_collation WHERE collname = 'en-x-icu'") > 0)
        {
            await connection.ExecuteAsync("ALTER TABLE audit_log ALTER COLUMN resource TYPE TEXT COLLATE \"en-x-icu\"");
        }
        await connection.ExecuteAsync("ANALYZE audit_log");
        var positional = sql.Replace("@resourceFrom", "$2", StringComparison.Ordinal).Replace("@resourceTo", "$3", StringComparison.Ordinal)
            .Replace("@resource", "$1", StringComparison.Ordinal).Replace("@limit", "$4", StringComparison.Ordinal);
        await connection.ExecuteAsync($"PREPARE trail (TEXT, TEXT, TEXT, BIGINT) AS {positional}");
        for (var i = 0; i < 6; i++)
        {
            Assert.Single(await connection.QueryAsync($"EXECUTE trail('models/m{i}/versions/1', 'models/m{i}/versions/1/', 'models/m{i}/versions/10', 51)"));
        }

        var plan = string.Join('\n', await connection.QueryAsync<string>(
            "EXPLAIN EXECUTE trail('models/m3/versions/1', 'models/m3/versions/1/', 'models/m3/versions/10', 51)"));

        Assert.Contains("ix_audit_log_resource", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_versions_of_a_run_are_found_by_an_index_on_run_id()
    {
        using var database = CairnDatabase.Open(Setting);
        await Migrator.MigrateAsync(database, TimeProvider.System, default);
        await using var connection = await database.OpenAsync(default);
        if (database.Dialect is not SqliteDialect)
        {
            // PostgreSQL's planner chooses by the table's statistics; that the index exists is what the migration owes.
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'model_versions' AND indexname = 'ix_model_versions_run' AND indexdef LIKE '%(run_id)'"));
            return;
        }

        // The shape of the run page's search (filter run_id = '…', the registry's default order).
        var plan = string.Join('\n', (await connection.QueryAsync<(long, long, long, string Detail)>(
            "EXPLAIN QUERY PLAN SELECT v.id FROM model_versions v JOIN models m ON m.id = v.model_id WHERE v.run_id = @run ORDER BY m.full_name ASC, v.version DESC LIMIT 51",
            new { run = "4f3c" })).Select(r => r.Detail));

        Assert.Contains("ix_model_versions_run (run_id=?)", plan, StringComparison.Ordinal);
    }
}
