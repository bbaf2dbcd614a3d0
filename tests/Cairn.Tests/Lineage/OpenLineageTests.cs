using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Lineage;

/// <summary>
/// OpenLineage ingestion on SQLite and PostgreSQL, driven by the event stream of a realistic pipeline
/// (tests/fixtures/openlineage/claims_pipeline.json: an Airflow DAG run whose tasks ingest claims from PostgreSQL
/// into the lake, build features with Spark, and train a fraud model).
/// </summary>
public sealed class OpenLineageTests(CairnApp app) : IClassFixture<CairnApp>
{
    public const string DagRun = "01934f7a-2b1c-7d3e-8a45-0c9e6f1b2a01";
    public const string IngestRun = "01934f7a-2b1c-7d3e-8a45-0c9e6f1b2a02";
    public const string FeatureRun = "01934f7a-2b1c-7d3e-8a45-0c9e6f1b2a03";
    public const string TrainRun = "01934f7a-2b1c-7d3e-8a45-0c9e6f1b2a04";
    public const string Source = "dataset:postgres://claims-db.internal:5432:claims.public.claims";
    public const string Raw = "dataset:s3://acme-lake:raw/claims";
    public const string Features = "dataset:s3://acme-lake:features/claims_features";

    private readonly HttpClient _client = app.CreateClient();

    public static JsonArray Pipeline() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "openlineage", "claims_pipeline.json")))!.AsArray();

    private async Task<HttpResponseMessage> PostAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await _client.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    private async Task<JsonObject> GetAsync(string url) => await (await _client.GetAsync(new Uri(url, UriKind.Relative))).ExpectAsync(200);

    private static string Q(string value) => Uri.EscapeDataString(value);

    private static IEnumerable<string> Ids(JsonObject graph) => graph["graph"]!.AsArray().Select(n => (string)n!["id"]!);

    [Fact]
    public async Task A_pipelines_events_one_by_one_become_executions_datasets_and_a_graph_from_source_to_deployed_model()
    {
        foreach (var @event in Pipeline())
        {
            await (await PostAsync("/api/v1/lineage", @event!.ToJsonString())).ExpectAsync(201);
        }
        var model = $"ol.claims_fraud_{Guid.NewGuid():N}"[..30];
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/ol", model_name = model[3..] })).ExpectAsync(201);
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { run_id = TrainRun, source = "s3://acme-models/fraud/claims_fraud/2026-11-22" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/lineage/edges", new { source = $"model:{model}:1", target = "deployment:prod:claims-fraud-scoring", kind = "deployed" })).ExpectAsync(201);

        var down = await GetAsync($"/api/v1/lineage/graph?node={Q(Source)}&direction=downstream&depth=10");
        var up = await GetAsync($"/api/v1/lineage/graph?node={Q("deployment:prod:claims-fraud-scoring")}&direction=upstream&depth=10");
        var path = await GetAsync($"/api/v1/lineage/path?from={Q(Source)}&to={Q("deployment:prod:claims-fraud-scoring")}");

        Assert.Equal(
            [Source, $"run:{IngestRun}", Raw, $"run:{FeatureRun}", Features, $"run:{TrainRun}", $"model:{model}:1", "deployment:prod:claims-fraud-scoring"],
            path["nodes"]!.AsArray().Select(n => (string)n!));
        Assert.Contains("dataset:s3://acme-models:fraud/claims_fraud/2026-11-22", Ids(down));
        Assert.Contains(Source, Ids(up));
        Assert.Contains("job:airflow://prod-scheduler:claims_daily.train_fraud_model", Ids(up));

        var train = await GetAsync($"/api/v1/executions/{TrainRun}");
        Assert.Equal("training", (string?)train["type"]);
        Assert.Equal("COMPLETE", (string?)train["state"]);
        Assert.Equal(DagRun, (string?)train["parent_run_id"]);
        Assert.Equal(DateTimeOffset.Parse("2026-11-22T02:19:40.001Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), (long)train["started_at"]!);
        Assert.Equal("TRAINING", (string?)train["facets"]!["job"]!["jobType"]!["jobType"]);
        Assert.Equal([Features], train["inputs"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["dataset:s3://acme-models:fraud/claims_fraud/2026-11-22", $"model:{model}:1"], train["outputs"]!.AsArray().Select(n => (string)n!));
        var ingest = await GetAsync($"/api/v1/executions/{IngestRun}");
        Assert.Equal("transformation", (string?)ingest["type"]);
        var dag = await GetAsync($"/api/v1/lineage/graph?node={Q($"run:{DagRun}")}&direction=downstream&depth=1");
        Assert.Contains($"run:{IngestRun}", Ids(dag));

        var raw = await GetAsync($"/api/v1/datasets/get?namespace={Q("s3://acme-lake")}&name={Q("raw/claims")}");
        Assert.Equal("2026-11-22", (string?)raw["version"]);
        Assert.Equal("s3://acme-lake/raw/claims", (string?)raw["location"]);
        Assert.Equal(6, raw["schema"]!.AsArray().Count);
        Assert.Equal(12, (long)raw["statistics"]!["amount"]!["nulls"]!);
        Assert.Equal(310.0, (double)raw["statistics"]!["amount"]!["quantiles"]!["0.5"]!);
        Assert.Equal(77412093.5 / 184208, (double)raw["statistics"]!["amount"]!["mean"]!, 6);
        var source = await GetAsync($"/api/v1/datasets/get?namespace={Q("postgres://claims-db.internal:5432")}&name={Q("claims.public.claims")}");
        Assert.Equal("Insurance claims as filed, system of record", (string?)source["description"]);
    }

    [Fact]
    public async Task A_dataset_named_by_two_producers_is_one_node_and_a_replayed_batch_adds_nothing()
    {
        var batch = Pipeline().ToJsonString();

        var first = await (await PostAsync("/api/v1/lineage/batch", batch)).ExpectAsync(201);
        var audited = await app.ScalarAsync<string>("SELECT after FROM audit_log WHERE action = 'openlineage.batch' ORDER BY seq DESC LIMIT 1");
        var edges = await app.ScalarAsync<long>("SELECT COUNT(*) FROM lineage_edges");
        var nodes = await app.ScalarAsync<long>("SELECT COUNT(*) FROM lineage_nodes");
        await (await PostAsync("/api/v1/lineage/batch", batch)).ExpectAsync(201);

        Assert.Equal(9, (int)first["events"]!);
        Assert.Equal(9, JsonNode.Parse(audited)!["events"]!.AsArray().Count);
        Assert.Equal(1, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM lineage_nodes WHERE id = '{Raw}'"));
        var raw = await GetAsync($"/api/v1/lineage/graph?node={Q(Raw)}&direction=both&depth=1");
        // The job whose run read raw/claims is downstream of it too (decision 0014).
        Assert.Equal([Raw, "job:airflow://prod-scheduler:claims_daily.build_features", $"run:{IngestRun}", $"run:{FeatureRun}"], Ids(raw).Order(StringComparer.Ordinal));
        Assert.Equal(edges, await app.ScalarAsync<long>("SELECT COUNT(*) FROM lineage_edges"));
        Assert.Equal(nodes, await app.ScalarAsync<long>("SELECT COUNT(*) FROM lineage_nodes"));
    }

    [Theory]
    [InlineData("eventType", "\"FINISHED\"", "eventType", "must be one of")]
    [InlineData("eventTime", "\"yesterday\"", "eventTime", "date-time")]
    [InlineData("run", """{"runId":"not-a-uuid"}""", "run.runId", "UUID")]
    [InlineData("job", """{"namespace":"n"}""", "job.name", "is required")]
    [InlineData("producer", "null", "producer", "")]
    public async Task An_event_that_breaks_the_schema_is_refused_with_the_failing_path(string field, string value, string path, string message)
    {
        var @event = Pipeline()[2]!.AsObject();
        @event[field] = JsonNode.Parse(value);
        var audit = await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");

        var problem = await (await PostAsync("/api/v1/lineage", @event.ToJsonString())).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        var errors = problem["errors"]!.AsArray();
        Assert.Contains(errors, e => (string?)e!["path"] == path && ((string?)e["message"])!.Contains(message, StringComparison.Ordinal));
        Assert.Contains(path, (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal(audit, await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log"));
    }

    [Fact]
    public async Task A_standard_facet_of_the_wrong_shape_is_refused_and_a_bad_event_in_a_batch_writes_nothing()
    {
        var events = Pipeline();
        var complete = events[2]!.AsObject();
        complete["outputs"]![0]!["facets"]!["schema"]!["fields"]![1]!.AsObject().Remove("name");
        complete["inputs"]![0]!["facets"]!["dataSource"]!["uri"] = 42;
        var nodes = await app.ScalarAsync<long>("SELECT COUNT(*) FROM lineage_nodes");

        var problem = await (await PostAsync("/api/v1/lineage/batch", events.ToJsonString())).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        var paths = problem["errors"]!.AsArray().Select(e => (string)e!["path"]!).ToList();
        Assert.Contains("[2].outputs[0].facets.schema.fields[1].name", paths);
        Assert.Contains("[2].inputs[0].facets.dataSource.uri", paths);
        Assert.Equal(nodes, await app.ScalarAsync<long>("SELECT COUNT(*) FROM lineage_nodes"));
        await (await PostAsync("/api/v1/lineage", "{not json")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await PostAsync("/api/v1/lineage/batch", "[]")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await PostAsync("/api/v1/lineage/batch", "{}")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Concurrent_events_committed_together_fail_alone_when_one_is_bad()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        // Event 17 names a run that is already a run of another job: sound JSON, refused when written.
        var taken = Guid.NewGuid().ToString();
        string Event(int i, string runId)
        {
            var @event = Pipeline()[2]!.AsObject();
            @event["run"]!["runId"] = runId;
            @event["job"]!["name"] = $"burst_{p}_{i}";
            @event["outputs"]![0]!["name"] = $"burst/{p}/{i}";
            return @event.ToJsonString();
        }
        await (await PostAsync("/api/v1/lineage", Event(1000, taken))).ExpectAsync(201);

        var sends = Enumerable.Range(0, 40).Select(i => PostAsync("/api/v1/lineage", Event(i, i == 17 ? taken : Guid.NewGuid().ToString()))).ToList();
        var responses = await Task.WhenAll(sends);

        Assert.Equal(39, responses.Count(r => (int)r.StatusCode == 201));
        var bad = await responses[17].ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("cannot become a run of", (string?)bad["detail"], StringComparison.Ordinal);
        Assert.Equal(40, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM executions WHERE job_name LIKE 'burst_{p}_%'"));
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM executions WHERE job_name = 'burst_{p}_17'"));
    }

    [Fact]
    public async Task Job_and_dataset_events_record_design_time_lineage()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        var jobEvent = new JsonObject
        {
            ["eventTime"] = "2026-11-22T00:00:00Z",
            ["producer"] = "https://github.com/dbt-labs/dbt-core",
            ["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
            ["job"] = new JsonObject { ["namespace"] = $"dbt-{p}", ["name"] = "orders_model" },
            ["inputs"] = new JsonArray(new JsonObject { ["namespace"] = $"pg-{p}", ["name"] = "raw.orders" }),
            ["outputs"] = new JsonArray(new JsonObject { ["namespace"] = $"pg-{p}", ["name"] = "analytics.orders" }),
        };
        var datasetEvent = new JsonObject
        {
            ["eventTime"] = "2026-11-22T00:00:00Z",
            ["producer"] = "https://github.com/dbt-labs/dbt-core",
            ["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            ["dataset"] = new JsonObject { ["namespace"] = $"pg-{p}", ["name"] = "analytics.customers" },
        };

        await (await PostAsync("/api/v1/lineage", jobEvent.ToJsonString())).ExpectAsync(201);
        await (await PostAsync("/api/v1/lineage", datasetEvent.ToJsonString())).ExpectAsync(201);

        var path = await GetAsync($"/api/v1/lineage/path?from={Q($"dataset:pg-{p}:raw.orders")}&to={Q($"dataset:pg-{p}:analytics.orders")}");
        Assert.Equal(3, path["nodes"]!.AsArray().Count);
        await GetAsync($"/api/v1/datasets/get?namespace={Q($"pg-{p}")}&name=analytics.customers");
    }

    [Fact]
    public async Task The_graph_answers_in_Marquez_shape()
    {
        await (await PostAsync("/api/v1/lineage/batch", Pipeline().ToJsonString())).ExpectAsync(201);

        var marquez = await GetAsync($"/api/v1/lineage?nodeId={Q(Raw)}&depth=1");

        // Marquez folds runs into their jobs: raw/claims is written by the ingest job and read by the feature job.
        Assert.DoesNotContain(Ids(marquez), id => id.StartsWith("run:", StringComparison.Ordinal));
        var raw = marquez["graph"]!.AsArray().Single(n => (string?)n!["id"] == Raw)!;
        Assert.Equal("DATASET", (string?)raw["type"]);
        Assert.Equal("s3://acme-lake", (string?)raw["data"]!["namespace"]);
        Assert.Equal("raw/claims", (string?)raw["data"]!["name"]);
        Assert.Equal("job:airflow://prod-scheduler:claims_daily.ingest_claims", (string?)raw["inEdges"]![0]!["origin"]);
        Assert.Equal(Raw, (string?)raw["inEdges"]![0]!["destination"]);
        Assert.Equal("job:airflow://prod-scheduler:claims_daily.build_features", (string?)raw["outEdges"]![0]!["destination"]);
    }
}

public sealed class OpenLineageAuthTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_reader_may_not_send_lineage_events()
    {
        using var reader = app.ClientWithToken(await app.TokenAsync($"ol-reader-{Guid.NewGuid():N}", "reader"));
        using var content = new StringContent(OpenLineageTests.Pipeline()[0]!.ToJsonString(), Encoding.UTF8, "application/json");

        await (await reader.PostAsync(new Uri("/api/v1/lineage", UriKind.Relative), content)).ExpectAsync(403, "PERMISSION_DENIED");
    }
}
