using Cairn.Storage;
using Cairn.Tests.Api;
using Dapper;

namespace Cairn.Tests.Catalog;

/// <summary>
/// Migration 0025 copies each run's experiment and start time onto its latest metrics and params and indexes the
/// models' text: a store upgraded from before it must have every existing row filled and every model searchable.
/// </summary>
public sealed class SearchIndexMigrationTests() : UpgradeStore("0025")
{
    [Fact]
    public async Task Runs_metrics_params_and_models_of_a_store_from_before_0025_are_backfilled()
    {
        using var database = CairnDatabase.Open(Setting);
        await Migrator.MigrateAsync(database, TimeProvider.System, default);
        var sqlite = database.Dialect is SqliteDialect;
        // The store as migration 0024 left it: no order columns or indexes, no text index.
        await using (var connection = await database.OpenAsync(default))
        {
            await connection.ExecuteAsync("""
                DROP INDEX ix_run_latest_metrics_order;
                DROP INDEX ix_run_params_order_asc;
                DROP INDEX ix_run_params_order_desc;
                ALTER TABLE run_latest_metrics DROP COLUMN experiment_id;
                ALTER TABLE run_latest_metrics DROP COLUMN start_time;
                ALTER TABLE run_params DROP COLUMN experiment_id;
                ALTER TABLE run_params DROP COLUMN start_time;
                DELETE FROM schema_migrations WHERE version = 25;
                """);
            await connection.ExecuteAsync(sqlite
                ? "DROP TRIGGER models_text_insert; DROP TRIGGER models_text_delete; DROP TRIGGER models_text_update; DROP TABLE models_text;"
                : "DROP INDEX IF EXISTS ix_models_full_name_trgm; DROP INDEX IF EXISTS ix_models_description_trgm;");
            await connection.ExecuteAsync("""
                INSERT INTO experiments (id, name, artifact_location, created_at, updated_at, created_by) VALUES
                    (7, 'old', 'mlflow-artifacts:/7', 1, 1, 'setup'), (8, 'older', 'mlflow-artifacts:/8', 1, 1, 'setup');
                INSERT INTO runs (id, run_uuid, experiment_id, status, start_time, artifact_uri) VALUES
                    (70, 'aaaa', 7, 'FINISHED', 1700000000070, 'x'), (71, 'bbbb', 7, 'FINISHED', NULL, 'x'), (80, 'cccc', 8, 'RUNNING', 1700000000080, 'x');
                INSERT INTO run_latest_metrics (run_id, key, step, timestamp, value, is_nan) VALUES
                    (70, 'acc', 0, 1, 0.5, 0), (71, 'acc', 0, 1, 0, 1), (80, 'loss', 3, 1, 2.5, 0);
                INSERT INTO run_params (run_id, key, value) VALUES (70, 'lr', '0.1'), (80, 'lr', '0.01'), (80, 'seed', '7');
                INSERT INTO models (id, namespace, name, full_name, description, created_at, created_by, updated_at, updated_by) VALUES
                    (900, '/cv', 'resnet-segmentation', '/cv/resnet-segmentation', 'Road scenes', 1, 'setup', 1, 'setup');
                """);
        }

        var applied = await Migrator.MigrateAsync(database, TimeProvider.System, default);

        Assert.Equal([25], applied);
        await using var check = await database.OpenAsync(default);
        Assert.Equal(
            [(70L, "acc", 7L, (long?)1700000000070), (71L, "acc", 7L, null), (80L, "loss", 8L, 1700000000080)],
            (await check.QueryAsync<(long, string, long, long?)>("SELECT run_id, key, experiment_id, start_time FROM run_latest_metrics ORDER BY run_id")).ToList());
        Assert.Equal(
            [(70L, "lr", 7L, (long?)1700000000070), (80L, "lr", 8L, 1700000000080), (80L, "seed", 8L, 1700000000080)],
            (await check.QueryAsync<(long, string, long, long?)>("SELECT run_id, key, experiment_id, start_time FROM run_params ORDER BY run_id, key")).ToList());
        if (sqlite)
        {
            Assert.Equal([900L], (await check.QueryAsync<long>("SELECT rowid FROM models_text WHERE models_text MATCH '\"SEGMENT\"'")).ToList());
            Assert.Equal([900L], (await check.QueryAsync<long>("SELECT rowid FROM models_text WHERE models_text MATCH '\"scenes\"'")).ToList());
        }
        else
        {
            Assert.Equal(2, await check.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM pg_indexes WHERE indexname IN ('ix_models_full_name_trgm', 'ix_models_description_trgm')"));
        }
    }
}
