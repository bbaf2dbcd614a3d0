using Cairn.Lineage;
using Cairn.Lineage.Marquez;
using Cairn.Storage;
using Cairn.Tests.Api;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Lineage;

/// <summary>
/// Migration 0028 (SQLite) rebuilds <c>lineage_nodes</c> with an integer key and moves every edge to <c>lineage_links</c>,
/// keyed by those integers, behind a view named <c>lineage_edges</c>. It runs with foreign keys off, since dropping the
/// old node table would otherwise delete every row that references it: a store upgraded through it must keep every
/// node, edge and dependent row, and come out with foreign keys on again.
/// </summary>
public sealed class LineageLinksMigrationTests() : UpgradeStore("0028")
{
    private const string Dataset = "dataset:s3://lake:claims/raw";
    private const string Run = "run:0193a1b2-0000-7000-8000-000000000001";
    private const string Job = "job:airflow:etl.load";
    private const string Output = "dataset:s3://lake:claims/clean";

    [Fact]
    public async Task A_store_from_before_0028_keeps_every_node_edge_and_dependent_row()
    {
        using var database = CairnDatabase.Open(Setting);
        if (database.Dialect is not SqliteDialect)
        {
            // PostgreSQL keeps edges by node id; 0028 is SQLite's alone.
            return;
        }
        await MigrateThroughAsync(database, 27);
        await using (var connection = await database.OpenAsync(default))
        {
            await connection.ExecuteAsync($"""
                INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at) VALUES
                    ('{Dataset}', 'dataset', 's3://lake', 'claims/raw', 1, 1), ('{Run}', 'run', NULL, '0193a1b2', 2, 2),
                    ('{Job}', 'job', 'airflow', 'etl.load', 3, 3), ('{Output}', 'dataset', 's3://lake', 'claims/clean', 4, 4);
                DELETE FROM lineage_nodes WHERE id = '{Job}';
                INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at) VALUES ('{Job}', 'job', 'airflow', 'etl.load', 5, 5);
                INSERT INTO datasets (id, namespace, name, created_at, created_by, updated_at, updated_by) VALUES ('{Dataset}', 's3://lake', 'claims/raw', 1, 'setup', 1, 'setup');
                INSERT INTO executions (id, run_id, type, job_namespace, job_name, state, created_at, created_by, updated_at, updated_by)
                    VALUES ('{Run}', '0193a1b2', 'run', 'airflow', 'etl.load', 'COMPLETE', 2, 'setup', 2, 'setup');
                INSERT INTO lineage_edges (source, target, kind, created_at) VALUES
                    ('{Dataset}', '{Run}', 'input', 10), ('{Run}', '{Output}', 'output', 11), ('{Job}', '{Run}', 'runs', 12);
                """);
        }
        var rowids = await NodesAsync(database, "SELECT id, rowid FROM lineage_nodes");

        var applied = await Migrator.MigrateAsync(database, TimeProvider.System, default);

        Assert.Equal([28], applied);
        await using var check = await database.OpenAsync(default);
        // Each node keeps its rowid as its key, gaps included (the job was recorded again: 5, not 3).
        Assert.Equal(rowids, await NodesAsync(database, "SELECT id, key FROM lineage_nodes"));
        Assert.Equal(
            [(Dataset, Run, "input", 10L), (Job, Run, "runs", 12L), (Run, Output, "output", 11L)],
            (await check.QueryAsync<(string, string, string, long)>("SELECT source, target, kind, created_at FROM lineage_edges ORDER BY source, target")).ToList());
        Assert.Equal(3, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM lineage_links"));
        Assert.Equal(1, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM datasets"));
        Assert.Equal(1, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM executions"));
        Assert.Empty(await check.QueryAsync("PRAGMA foreign_key_check"));
        // Foreign keys are on again for the writes after the migration: an edge to a node never recorded fails.
        var edge = new LineageEdge(Dataset, "run:never-recorded", "input");
        await Assert.ThrowsAsync<SqliteException>(() => database.WriteAsync(async (_, transaction) =>
        {
            await LineageGraph.LinkExistingAsync(transaction, [edge], TimeProvider.System, default);
            return 0;
        }, default));
        Assert.Equal(1L, await database.WriteAsync((connection, transaction) => connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys", transaction: transaction), default));
    }

    [Fact]
    public async Task Edges_written_through_the_view_or_set_based_read_back_by_node_id_and_go_with_their_nodes()
    {
        using var database = CairnDatabase.Open(Setting);
        if (database.Dialect is not SqliteDialect)
        {
            return;
        }
        await Migrator.MigrateAsync(database, TimeProvider.System, default);
        await using var connection = await database.OpenAsync(default);
        await connection.ExecuteAsync($"""
            INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at) VALUES
                ('{Dataset}', 'dataset', 's3://lake', 'claims/raw', 1, 1), ('{Run}', 'run', NULL, '0193a1b2', 2, 2), ('{Output}', 'dataset', 's3://lake', 'claims/clean', 4, 4);
            INSERT INTO lineage_edges (source, target, kind, created_at) VALUES ('{Dataset}', '{Run}', 'input', 10);
            """);
        await database.WriteAsync(async (_, transaction) =>
        {
            await LineageGraph.LinkExistingAsync(transaction, [new LineageEdge(Run, Output, "output"), new LineageEdge(Dataset, Run, "input")], TimeProvider.System, default);
            return 0;
        }, default);

        Assert.Equal([(Dataset, Run, "input"), (Run, Output, "output")],
            (await connection.QueryAsync<(string, string, string)>("SELECT source, target, kind FROM lineage_edges ORDER BY source")).ToList());
        await Assert.ThrowsAsync<SqliteException>(() => connection.ExecuteAsync($"INSERT INTO lineage_edges (source, target, kind, created_at) VALUES ('{Dataset}', 'run:none', 'input', 1)"));

        await connection.ExecuteAsync($"DELETE FROM lineage_edges WHERE target = '{Output}'");
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM lineage_links"));
        await connection.ExecuteAsync($"DELETE FROM lineage_nodes WHERE id = '{Run}'");
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM lineage_links"));
    }

    [Theory]
    [InlineData("walk downstream")]
    [InlineData("walk upstream")]
    [InlineData("metadata events")]
    [InlineData("Marquez walk step")]
    public async Task Reads_of_the_graph_find_edges_by_index_and_never_read_every_edge(string query)
    {
        using var database = CairnDatabase.Open(Setting);
        if (database.Dialect is not SqliteDialect)
        {
            return;
        }
        await Migrator.MigrateAsync(database, TimeProvider.System, default);
        var sql = query switch
        {
            "walk downstream" => LineageGraph.WalkSql(database.Dialect, "source", "target"),
            "walk upstream" => LineageGraph.WalkSql(database.Dialect, "target", "source"),
            "Marquez walk step" => MarquezLineageView.CandidatesSql(database.Dialect, LineageGraph.IdSet(database.Dialect, [Dataset]).Sql),
            _ => MlmdStore.EventsSql,
        };
        await using var connection = await database.OpenAsync(default);

        var plan = (await connection.QueryAsync<(long Id, long Parent, long NotUsed, string Detail)>(
            "EXPLAIN QUERY PLAN " + sql, new { start = Dataset, node = Dataset, depth = 3, rows = 10, first = "input", second = "runs", ids = $"[\"{Dataset}\"]" }))
            .Select(r => r.Detail).ToList();

        // A view that is a join is materialised whole where it cannot be flattened (the right side of a LEFT JOIN), and an
        // OR across its two sides scans it: either reads every edge of the store for one node's answer.
        Assert.DoesNotContain(plan, d => d.StartsWith("MATERIALIZE", StringComparison.Ordinal));
        // What may be scanned: the walk's own rows, a constant, the ids sent (json_each) and a union's rows.
        Assert.DoesNotContain(plan, d => d.StartsWith("SCAN", StringComparison.Ordinal) && d is not ("SCAN w" or "SCAN walk" or "SCAN CONSTANT ROW")
            && !d.StartsWith("SCAN json_each", StringComparison.Ordinal) && !d.StartsWith("SCAN (subquery", StringComparison.Ordinal));
    }

    private static async Task<Dictionary<string, long>> NodesAsync(CairnDatabase database, string sql)
    {
        await using var connection = await database.OpenAsync(default);
        return (await connection.QueryAsync<(string Id, long Key)>(sql)).ToDictionary(n => n.Id, n => n.Key);
    }

    /// <summary>The store as a Cairn that knew migrations up to <paramref name="version"/> left it.</summary>
    private static Task<int> MigrateThroughAsync(CairnDatabase database, int version) => database.WriteAsync(async (connection, transaction) =>
    {
        await connection.ExecuteAsync("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", transaction: transaction);
        foreach (var migration in Migrator.Available(database.Dialect).Where(m => m.Version <= version))
        {
            await connection.ExecuteAsync(migration.Sql, transaction: transaction);
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, 1)", new { migration.Version, migration.Name }, transaction);
        }
        return 0;
    }, default);
}
