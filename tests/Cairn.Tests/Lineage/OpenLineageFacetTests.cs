using System.Text;
using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Lineage;
using Cairn.Tests.Api;

namespace Cairn.Tests.Lineage;

/// <summary>
/// Everything an OpenLineage event carries is kept (issue 13, item 3), on SQLite and PostgreSQL, driven by
/// tests/fixtures/openlineage/spark_hive_warehouse.json: a Spark job that reads an S3 object whose key holds a timestamp
/// and overwrites a Hive table's HDFS location (with the facets the Spark integration documents it emits), then an
/// Airflow task that reads the table by its Hive name, fails, and names a PostgreSQL output with a password in its URIs.
/// </summary>
public sealed class OpenLineageFacetTests(CairnApp app) : IClassFixture<CairnApp>
{
    private const string SparkRun = "0193a0c4-5d6e-7f80-9a1b-2c3d4e5f6a01";
    private const string TrinoRun = "0193a0c4-5d6e-7f80-9a1b-2c3d4e5f6a02";
    private const string Hdfs = "dataset:hdfs://namenode:8020:/warehouse/sales.db/orders";
    private const string S3 = "dataset:s3://acme-raw:events/2026-12-06T10:00:00.json";

    private readonly HttpClient _client = app.CreateClient();

    private static JsonArray Events() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "openlineage", "spark_hive_warehouse.json")))!.AsArray();

    private async Task<HttpResponseMessage> PostAsync(string path, JsonNode json)
    {
        using var content = new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json");
        return await _client.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    private async Task<JsonObject> GetAsync(string url) => await (await _client.GetAsync(new Uri(url, UriKind.Relative))).ExpectAsync(200);

    private static string Q(string value) => Uri.EscapeDataString(value);

    private static void Same(JsonNode? expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected?.ToJsonString()}\n     got {actual?.ToJsonString()}");

    [Fact]
    public async Task Every_dataset_input_output_run_and_job_facet_is_kept_whole_and_returned()
    {
        var spark = Events()[0]!;
        await (await PostAsync("/api/v1/lineage", spark)).ExpectAsync(201);

        var orders = await GetAsync($"/api/v1/datasets/get?namespace={Q("hdfs://namenode:8020")}&name={Q("/warehouse/sales.db/orders")}");
        var sent = spark["outputs"]![0]!["facets"]!.AsObject();
        foreach (var name in new[] { "schema", "dataSource", "storage", "ownership", "lifecycleStateChange", "datasetType", "symlinks", "columnLineage", "spark_version", "version" })
        {
            Same(sent[name], orders["facets"]![name]);
        }
        var version = (await GetAsync($"/api/v1/datasets/versions?namespace={Q("hdfs://namenode:8020")}&name={Q("/warehouse/sales.db/orders")}"))["versions"]![0]!;
        Assert.Equal("snapshot-4711", (string?)version["version"]);
        Same(sent["storage"], version["facets"]!["storage"]);

        var run = await GetAsync($"/api/v1/executions/{SparkRun}");
        foreach (var name in new[] { "spark.logicalPlan", "processing_engine", "nominalTime", "spark_properties" })
        {
            Same(spark["run"]!["facets"]![name], run["facets"]!["run"]![name]);
        }
        foreach (var name in new[] { "jobType", "sql", "sourceCode", "ownership" })
        {
            Same(spark["job"]!["facets"]![name], run["facets"]!["job"]![name]);
        }
        Same(spark["inputs"]![0]!["inputFacets"], run["dataset_facets"]!["inputs"]![S3]);
        Same(spark["outputs"]![0]!["outputFacets"], run["dataset_facets"]!["outputs"]![Hdfs]);
    }

    [Fact]
    public async Task A_later_event_replaces_a_facet_whole_and_keeps_the_facets_it_does_not_name()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        JsonNode Event(JsonObject facets, JsonObject outputFacets)
        {
            var e = Events()[0]!.DeepClone();
            e["run"]!["runId"] = Guid.NewGuid().ToString();
            e["job"]!["name"] = $"facets_{p}";
            e["inputs"] = new JsonArray();
            e["outputs"]![0]!["namespace"] = $"hdfs://nn-{p}:8020";
            e["outputs"]![0]!["facets"] = facets;
            e["outputs"]![0]!["outputFacets"] = outputFacets;
            return e;
        }
        JsonObject Facet(string key, JsonNode value) => new()
        {
            ["_producer"] = "https://acme.example/lineage",
            ["_schemaURL"] = "https://acme.example/schemas/Facet.json",
            [key] = value,
        };
        var first = Event(
            new JsonObject { ["storage"] = Facet("storageLayer", "hive"), ["ownership"] = Facet("owners", new JsonArray(new JsonObject { ["name"] = "team:a" })) },
            new JsonObject { ["outputStatistics"] = Facet("rowCount", 10) });
        first["outputs"]![0]!["facets"]!["storage"]!["fileFormat"] = "orc";
        var second = Event(new JsonObject { ["storage"] = Facet("storageLayer", "iceberg") }, new JsonObject { ["outputStatistics"] = Facet("rowCount", 20) });
        second["run"]!["runId"] = (string)first["run"]!["runId"]!;

        await (await PostAsync("/api/v1/lineage", first)).ExpectAsync(201);
        await (await PostAsync("/api/v1/lineage", second)).ExpectAsync(201);

        var dataset = await GetAsync($"/api/v1/datasets/get?namespace={Q($"hdfs://nn-{p}:8020")}&name={Q("/warehouse/sales.db/orders")}");
        Same(second["outputs"]![0]!["facets"]!["storage"], dataset["facets"]!["storage"]);
        Same(first["outputs"]![0]!["facets"]!["ownership"], dataset["facets"]!["ownership"]);
        var run = await GetAsync($"/api/v1/executions/{(string)first["run"]!["runId"]!}");
        Assert.Equal(20, (int)run["dataset_facets"]!["outputs"]![$"dataset:hdfs://nn-{p}:8020:/warehouse/sales.db/orders"]!["outputStatistics"]!["rowCount"]!);
    }

    [Fact]
    public async Task A_Hive_table_and_its_HDFS_location_are_one_node_when_a_second_event_reads_the_table_by_its_Hive_name()
    {
        var events = Events();
        await (await PostAsync("/api/v1/lineage", events[0]!)).ExpectAsync(201);
        await (await PostAsync("/api/v1/lineage", events[1]!)).ExpectAsync(201);

        Assert.Equal(0, await app.ScalarAsync<long>("SELECT COUNT(*) FROM lineage_nodes WHERE id = 'dataset:hive://metastore:9083:sales.orders'"));
        var trino = await GetAsync($"/api/v1/executions/{TrinoRun}");
        Assert.Equal([Hdfs], trino["inputs"]!.AsArray().Select(n => (string)n!));
        var byHiveName = await GetAsync($"/api/v1/datasets/get?namespace={Q("hive://metastore:9083")}&name=sales.orders");
        Assert.Equal(Hdfs, (string?)byHiveName["id"]);
        var graph = await GetAsync($"/api/v1/lineage/graph?node={Q("dataset:hive://metastore:9083:sales.orders")}&direction=both&depth=1");
        Assert.Equal(Hdfs, (string?)graph["node"]);
        Assert.Contains($"run:{TrinoRun}", graph["graph"]!.AsArray().Select(n => (string)n!["id"]!));
        Assert.Contains($"run:{SparkRun}", graph["graph"]!.AsArray().Select(n => (string)n!["id"]!));
    }

    [Fact]
    public async Task A_location_first_seen_after_its_Hive_table_joins_the_table_node()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        var read = Events()[1]!.DeepClone();
        read["run"]!["runId"] = Guid.NewGuid().ToString();
        read["job"]!["name"] = $"reader_{p}";
        read["inputs"]![0]!["name"] = $"sales_{p}.orders";
        var write = Events()[0]!.DeepClone();
        write["run"]!["runId"] = Guid.NewGuid().ToString();
        write["job"]!["name"] = $"writer_{p}";
        write["outputs"]![0]!["name"] = $"/warehouse/sales_{p}.db/orders";
        write["outputs"]![0]!["facets"]!["symlinks"]!["identifiers"]![0]!["name"] = $"sales_{p}.orders";

        await (await PostAsync("/api/v1/lineage", read)).ExpectAsync(201);
        await (await PostAsync("/api/v1/lineage", write)).ExpectAsync(201);

        var hive = $"dataset:hive://metastore:9083:sales_{p}.orders";
        var writer = await GetAsync($"/api/v1/executions/{(string)write["run"]!["runId"]!}");
        Assert.Equal([hive], writer["outputs"]!.AsArray().Select(n => (string)n!));
        var byLocation = await GetAsync($"/api/v1/datasets/get?namespace={Q("hdfs://namenode:8020")}&name={Q($"/warehouse/sales_{p}.db/orders")}");
        Assert.Equal(hive, (string?)byLocation["id"]);
        Assert.Equal("parquet", (string?)byLocation["facets"]!["storage"]!["fileFormat"]);
    }

    [Fact]
    public async Task Names_with_colons_round_trip_an_S3_key_with_a_timestamp_and_a_job_named_spark_app_stage()
    {
        await (await PostAsync("/api/v1/lineage", Events()[0]!)).ExpectAsync(201);

        var s3 = await GetAsync($"/api/v1/datasets/get?namespace={Q("s3://acme-raw")}&name={Q("events/2026-12-06T10:00:00.json")}");
        Assert.Equal(S3, (string?)s3["id"]);
        Assert.Equal("s3://acme-raw", (string?)s3["namespace"]);
        Assert.Equal("events/2026-12-06T10:00:00.json", (string?)s3["name"]);
        var run = await GetAsync($"/api/v1/executions/{SparkRun}");
        Assert.Equal("spark-prod", (string?)run["job_namespace"]);
        Assert.Equal("orders_etl:insert_into:stage_2", (string?)run["job_name"]);
        var graph = await GetAsync($"/api/v1/lineage/graph?node={Q(S3)}&direction=downstream&depth=3");
        var job = graph["graph"]!.AsArray();
        var upstream = await GetAsync($"/api/v1/lineage/graph?node={Q($"run:{SparkRun}")}&direction=upstream&depth=1");
        var jobNode = upstream["graph"]!.AsArray().Single(n => (string?)n!["kind"] == "job")!;
        Assert.Equal("job:spark-prod:orders_etl:insert_into:stage_2", (string?)jobNode["id"]);
        Assert.Equal("spark-prod", (string?)jobNode["namespace"]);
        Assert.Equal("orders_etl:insert_into:stage_2", (string?)jobNode["name"]);
        var s3Node = job.Single(n => (string?)n!["id"] == S3)!;
        Assert.Equal("s3://acme-raw", (string?)s3Node["namespace"]);
        Assert.Equal("events/2026-12-06T10:00:00.json", (string?)s3Node["name"]);
    }

    [Fact]
    public async Task A_password_in_a_URI_is_masked_in_ids_facets_answers_and_the_audit_log_and_never_stored()
    {
        var events = Events();
        await (await PostAsync("/api/v1/lineage", events[0]!)).ExpectAsync(201);
        var answer = await (await PostAsync("/api/v1/lineage", events[1]!)).ExpectAsync(201);

        const string Masked = "dataset:postgres://reporter:****@warehouse-db:5432:reports.public.daily_orders";
        Assert.Contains(Masked, answer["datasets"]!.AsArray().Select(n => (string)n!));
        var dataset = await GetAsync($"/api/v1/datasets/get?namespace={Q("postgres://reporter:s3cr3t-pw@warehouse-db:5432")}&name=reports.public.daily_orders");
        Assert.Equal(Masked, (string?)dataset["id"]);
        Assert.Equal("postgres://reporter:****@warehouse-db:5432/reports?sslmode=require", (string?)dataset["location"]);
        Assert.Equal("postgres://reporter:****@warehouse-db:5432/reports?sslmode=require", (string?)dataset["facets"]!["dataSource"]!["uri"]);
        Assert.Equal("jdbc:postgresql://warehouse-db:5432/reports?user=reporter&password=****", (string?)dataset["facets"]!["acme_connection"]!["jdbc"]);
        var run = await GetAsync($"/api/v1/executions/{TrinoRun}");
        Assert.Equal([Masked], run["outputs"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("Query exceeded per-node memory limit", (string?)run["facets"]!["run"]!["errorMessage"]!["message"]);
        foreach (var (table, column) in new[] { ("audit_log", "after"), ("datasets", "facets"), ("datasets", "id"), ("datasets", "location"), ("lineage_nodes", "id"), ("lineage_edges", "target"), ("dataset_versions", "facets") })
        {
            Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM {table} WHERE {column} LIKE '%s3cr3t%'"));
        }
    }

    [Theory]
    [InlineData("postgres://user:password@host:5432/db", "postgres://user:****@host:5432/db")]
    [InlineData("jdbc:mysql://app:p%40ss@db.internal:3306/sales", "jdbc:mysql://app:****@db.internal:3306/sales")]
    [InlineData("jdbc:sqlserver://db:1433;user=sa;password=Secret1", "jdbc:sqlserver://db:1433;user=sa;password=****")]
    [InlineData("s3://bucket:logs/2026-12-06T10:00:00.json", "s3://bucket:logs/2026-12-06T10:00:00.json")]
    [InlineData("user:ana@acme.example", "user:ana@acme.example")]
    public void Credentials_in_URIs_are_masked_and_other_text_is_left_alone(string text, string shown) =>
        Assert.Equal(shown, Secrets.MaskUri(text));

    [Theory]
    [InlineData("dataset:s3://bucket:logs/2026-12-06T10:00:00.json", "s3://bucket", "logs/2026-12-06T10:00:00.json")]
    [InlineData("dataset:postgres://db:5432:public.orders", "postgres://db:5432", "public.orders")]
    [InlineData("job:spark-prod:orders_etl:insert_into:stage_2", "spark-prod", "orders_etl:insert_into:stage_2")]
    [InlineData("dataset:bigquery:project.dataset.table", "bigquery", "project.dataset.table")]
    [InlineData("dataset:s3://bucket:2026-12-06", "s3://bucket", "2026-12-06")]
    public void A_typed_id_splits_as_Marquez_splits_it(string id, string @namespace, string name)
    {
        var node = NodeIds.Parse(id);

        Assert.Equal((@namespace, name), (node.Namespace, node.Name));
        Assert.Equal(id, node.Id);
    }
}
