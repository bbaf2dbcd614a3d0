using Cairn.Lineage;
using Cairn.Lineage.OpenLineage;
using Cairn.Storage;
using Cairn.Tests.Api;
using Dapper;

namespace Cairn.Tests.Lineage;

/// <summary>
/// Every OpenLineage group commit first resolves the dataset names its events hold (<see cref="DatasetNames"/>). That read
/// runs under the store's write lock for every group, so it must look names up by key, not read every dataset.
/// </summary>
public sealed class DatasetNamesTests() : UpgradeStore("names")
{
    [Fact]
    public async Task A_group_resolves_its_names_to_datasets_and_to_the_datasets_their_other_names_belong_to()
    {
        using var database = CairnDatabase.Open(Setting);
        await Migrator.MigrateAsync(database, TimeProvider.System, default);
        var hive = NodeIdsOf("hive://metastore:9083", "db.orders");
        var hdfs = NodeIdsOf("hdfs://namenode:8020", "/warehouse/db.db/orders");
        await using (var connection = await database.OpenAsync(default))
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at) VALUES
                    (@hive, 'dataset', 'hive://metastore:9083', 'db.orders', 1, 1),
                    ('job:airflow:etl', 'job', 'airflow', 'etl', 1, 1);
                INSERT INTO dataset_aliases (id, namespace, name, type, dataset_id, created_at) VALUES
                    (@hdfs, 'hdfs://namenode:8020', '/warehouse/db.db/orders', 'LOCATION', @hive, 1);
                """, new { hive, hdfs });
        }

        var names = await database.WriteAsync((_, transaction) => DatasetNames.LoadAsync(transaction, database.Dialect,
            [("hive://metastore:9083", "db.orders"), ("hdfs://namenode:8020", "/warehouse/db.db/orders"), ("s3://lake", "new"), ("airflow", "etl")], default), default);

        Assert.Equal(hive, names.Known("hive://metastore:9083", "db.orders").Id);
        Assert.Equal(hive, names.Known("hdfs://namenode:8020", "/warehouse/db.db/orders").Id);
        Assert.Equal(NodeIdsOf("s3://lake", "new"), names.Known("s3://lake", "new").Id);
    }

    [Fact]
    public async Task Resolving_a_groups_names_looks_each_up_by_its_id_and_never_walks_the_dataset_nodes()
    {
        using var database = CairnDatabase.Open(Setting);
        if (database.Dialect is not SqliteDialect)
        {
            // PostgreSQL's planner chooses by the table's statistics; SQLite's by the query's shape alone, which is what
            // went wrong: with the node's kind in the query it took the (kind, namespace, name) index and read every dataset.
            return;
        }
        await Migrator.MigrateAsync(database, TimeProvider.System, default);
        await using var connection = await database.OpenAsync(default);

        var plan = (await connection.QueryAsync<(long Id, long Parent, long NotUsed, string Detail)>(
            "EXPLAIN QUERY PLAN " + DatasetNames.LoadSql(database.Dialect), new { ids = database.Dialect.ValueSetParameter(new[] { "dataset:s3://lake:a" }) }))
            .Select(r => r.Detail).ToList();

        Assert.All(plan.Where(d => d.StartsWith("SCAN", StringComparison.Ordinal)), d => Assert.Contains("json_each", d, StringComparison.Ordinal));
        Assert.DoesNotContain(plan, d => d.Contains("ix_lineage_nodes_kind_name", StringComparison.Ordinal));
        // Both branches (a name's dataset through its alias, a dataset's own name) find the node by its primary key.
        Assert.Equal(2, plan.Count(d => d.Contains("USING INDEX sqlite_autoindex_lineage_nodes_1 (id=?)", StringComparison.Ordinal)));
    }

    private static string NodeIdsOf(string @namespace, string name) => NodeIds.Dataset(@namespace, name);
}
