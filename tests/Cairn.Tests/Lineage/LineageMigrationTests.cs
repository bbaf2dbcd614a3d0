using System.Text;
using System.Text.Json;
using Cairn.Governance;
using Cairn.Lineage;
using Cairn.Lineage.Marquez;
using Cairn.Lineage.OpenLineage;
using Cairn.Storage;
using Cairn.Tests.Api;
using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Lineage;

/// <summary>
/// Migration 0012 rebuilds two lineage tables SQLite writes per OpenLineage event (lineage_edges WITHOUT ROWID, no
/// second index on executions.run_id) and drops PostgreSQL's duplicate run_id index: a store written before it answers the same after
/// it, and takes further events, on SQLite and PostgreSQL.
/// </summary>
public sealed class LineageMigrationTests : IAsyncLifetime
{
    private const string Producer = "https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/spark";
    private readonly string _dir = Directory.CreateTempSubdirectory("cairn-migration-").FullName;
    private readonly string? _postgres = TestBackend.CreatePostgresDatabase();
    private readonly Caller _admin = Caller.Admin("tester");
    private readonly string _runId = Guid.CreateVersion7().ToString();
    private readonly string _parentRunId = Guid.CreateVersion7().ToString();

    private string Database => _postgres ?? Path.Combine(_dir, "cairn.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (_postgres is not null)
        {
            TestBackend.DropPostgresDatabase(_postgres);
        }
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A Spark job's run (START, then COMPLETE) reading a Hive table known by its HDFS path too and writing a table with column lineage; a job event besides.</summary>
    private const string Template = """
        [{"eventType":"EVENT_TYPE","eventTime":"EVENT_TIME","producer":"PRODUCER",
          "schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
          "run":{"runId":"RUN_ID","facets":{"parent":{"_producer":"PRODUCER","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet",
            "run":{"runId":"PARENT_RUN_ID"},"job":{"namespace":"spark","name":"nightly"}}}},
          "job":{"namespace":"spark","name":"nightly.load_orders","facets":{"jobType":{"_producer":"PRODUCER","_schemaURL":"https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
            "processingType":"BATCH","integration":"SPARK","jobType":"JOB"}}},
          "inputs":[{"namespace":"hive://metastore:9083","name":"raw.orders",
            "facets":{"symlinks":{"_producer":"PRODUCER","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet",
                        "identifiers":[{"namespace":"hdfs://namenode:8020","name":"/warehouse/raw.db/orders","type":"TABLE"}]},
                      "schema":{"_producer":"PRODUCER","_schemaURL":"https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                        "fields":[{"name":"id","type":"long"},{"name":"amount","type":"double"}]}},
            "inputFacets":{"dataQualityMetrics":{"_producer":"PRODUCER","_schemaURL":"https://openlineage.io/spec/facets/1-0-2/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet",
              "rowCount":10,"columnMetrics":{"amount":{"nullCount":1,"count":10,"sum":55.5}}}}}],
          "outputs":[{"namespace":"s3://lake","name":"clean/orders",
            "facets":{"schema":{"_producer":"PRODUCER","_schemaURL":"https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                        "fields":[{"name":"id","type":"long"},{"name":"total","type":"double"}]},
                      "version":{"_producer":"PRODUCER","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
                        "datasetVersion":"VERSION"},
                      "dataSource":{"_producer":"PRODUCER","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet",
                        "name":"lake","uri":"s3://lake"},
                      "columnLineage":{"_producer":"PRODUCER","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
                        "fields":{"total":{"inputFields":[{"namespace":"hive://metastore:9083","name":"raw.orders","field":"amount"}],
                          "transformationDescription":"sum","transformationType":"AGGREGATION"}}}},
            "outputFacets":{"outputStatistics":{"_producer":"PRODUCER","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet",
              "rowCount":3}}}]},
         {"eventTime":"2026-12-06T07:00:00Z","producer":"PRODUCER","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
          "job":{"namespace":"spark","name":"report"},
          "inputs":[{"namespace":"s3://lake","name":"clean/orders"}],"outputs":[{"namespace":"s3://lake","name":"reports/daily"}]}]
        """;

    private string Events(string eventType, string version) => Template
        .Replace("EVENT_TYPE", eventType, StringComparison.Ordinal)
        .Replace("EVENT_TIME", eventType == "START" ? "2026-12-06T08:00:00Z" : "2026-12-06T08:05:00Z", StringComparison.Ordinal)
        .Replace("PARENT_RUN_ID", _parentRunId, StringComparison.Ordinal)
        .Replace("RUN_ID", _runId, StringComparison.Ordinal)
        .Replace("PRODUCER", Producer, StringComparison.Ordinal)
        .Replace("VERSION", version, StringComparison.Ordinal);

    /// <summary>What the store answers about the events' run, datasets and lineage, as JSON text to compare.</summary>
    private async Task<List<string>> AnswersAsync(CairnDatabase database)
    {
        var audit = new AuditChain(database, TimeProvider.System);
        var store = new MetadataStore(database, audit, TimeProvider.System);
        var graph = new LineageGraph(database, audit, TimeProvider.System);
        var answers = new List<object>
        {
            await store.GetExecutionAsync(_admin, _runId, default),
            await store.GetDatasetAsync(_admin, "s3://lake", "clean/orders", default),
            await store.GetDatasetAsync(_admin, "hive://metastore:9083", "raw.orders", default),
            await store.DatasetVersionsAsync(_admin, "s3://lake", "clean/orders", default),
            await graph.GraphAsync(_admin, "dataset:s3://lake:clean/orders", "both", 5, default),
            await graph.GraphAsync(_admin, "job:spark:report", "both", 5, default),
            await graph.GraphAsync(_admin, $"run:{_parentRunId}", "downstream", 5, default),
            await new MarquezLineageView(database).LineageAsync(_admin, "dataset:s3://lake:clean/orders", null, default),
            await new ColumnLineage(database).LineageAsync(_admin, "dataset:s3://lake:clean/orders", null, withDownstream: true, default),
        };
        return [.. answers.Select(a => JsonSerializer.Serialize(a, a.GetType()))];
    }

    [Fact]
    public async Task Lineage_written_before_migration_0012_answers_the_same_after_it_and_takes_new_events()
    {
        var database = CairnDatabase.Open(Database);
        await Migrator.MigrateAsync(database, TimeProvider.System, upTo: 11, default);
        var audit = new AuditChain(database, TimeProvider.System);
        var ingest = new OpenLineageIngest(database, audit, new MetadataStore(database, audit, TimeProvider.System), TimeProvider.System);
        await ingest.IngestAsync(_admin, Encoding.UTF8.GetBytes(Events("START", "v1")), batch: true, default);
        await ingest.IngestAsync(_admin, Encoding.UTF8.GetBytes(Events("COMPLETE", "v2")), batch: true, default);
        var before = await AnswersAsync(database);

        var applied = await Migrator.MigrateAsync(database, TimeProvider.System, default);

        Assert.Contains(12, applied);
        Assert.Equal(before, await AnswersAsync(database));
        Assert.Empty(await Migrator.PendingAsync(database, default));
        // The rebuilt tables take the next events: a new version of the output, written by the same run.
        await ingest.IngestAsync(_admin, Encoding.UTF8.GetBytes(Events("COMPLETE", "v3")), batch: true, default);
        var versions = await new MetadataStore(database, audit, TimeProvider.System).DatasetVersionsAsync(_admin, "s3://lake", "clean/orders", default);
        Assert.Equal(["v1", "v2", "v3"], versions.Select(v => v.Version).Order(StringComparer.Ordinal));
        var run = await new MetadataStore(database, audit, TimeProvider.System).GetExecutionAsync(_admin, _runId, default);
        Assert.Equal(ExecutionState.Complete, run.State);
    }
}
