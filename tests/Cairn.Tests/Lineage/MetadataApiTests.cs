using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Lineage;

/// <summary>Datasets, features and executions through the native API, on SQLite and PostgreSQL.</summary>
public sealed class MetadataApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private static string Q(string value) => Uri.EscapeDataString(value);

    private async Task<JsonObject> GetAsync(string url, int status = 200, string? code = null) =>
        await (await _client.GetAsync(url)).ExpectAsync(status, code);

    [Fact]
    public async Task A_dataset_is_created_then_updated_keeping_what_is_not_resent_and_its_versions()
    {
        var ns = $"s3://lake-{Guid.NewGuid():N}";
        var created = await (await _client.PostJsonAsync("/api/v1/datasets", new
        {
            @namespace = ns,
            name = "claims/raw",
            version = "v1",
            location = $"{ns}/claims/raw/2026-11-01",
            description = "Raw claims as delivered",
            schema = new[] { new { name = "claim_id", type = "string" }, new { name = "amount", type = "double" } },
            statistics = new
            {
                amount = new
                {
                    count = 1000,
                    nulls = 3,
                    min = 0.5,
                    max = 9200.0,
                    mean = 412.7,
                    stddev = 88.1,
                    histogram = new { edges = new[] { 0.0, 100.0, 1000.0, 10000.0 }, counts = new[] { 200, 700, 97 } },
                    quantiles = new Dictionary<string, double> { ["0.5"] = 350.0, ["0.99"] = 4000.0 },
                },
            },
            properties = new { owner_team = "claims", pii = true },
            tags = new { domain = "insurance" },
        })).ExpectAsync(201);

        Assert.Equal($"dataset:{ns}:claims/raw", (string?)created["id"]);
        Assert.Equal(1000, (int)created["statistics"]!["amount"]!["count"]!);
        Assert.Equal(350.0, (double)created["statistics"]!["amount"]!["quantiles"]!["0.5"]!);

        var updated = await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "claims/raw", version = "v2", tags = new { tier = "bronze" } })).ExpectAsync(200);

        Assert.Equal("v2", (string?)updated["version"]);
        Assert.Equal("Raw claims as delivered", (string?)updated["description"]);
        Assert.Equal(2, updated["schema"]!.AsArray().Count);
        Assert.True((bool)updated["properties"]!["pii"]!);
        Assert.Equal("insurance", (string?)updated["tags"]!["domain"]);
        Assert.Equal("bronze", (string?)updated["tags"]!["tier"]);
        var fetched = await GetAsync($"/api/v1/datasets/get?namespace={Q(ns)}&name={Q("claims/raw")}");
        Assert.Equal("v2", (string?)fetched["version"]);
        var versions = await GetAsync($"/api/v1/datasets/versions?namespace={Q(ns)}&name={Q("claims/raw")}");
        Assert.Equal(["v2", "v1"], versions["versions"]!.AsArray().Select(v => (string)v!["version"]!).Order().Reverse());
        Assert.Equal(1, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM lineage_nodes WHERE id = 'dataset:{ns}:claims/raw'"));
    }

    [Theory]
    [InlineData("""{"namespace":"n","name":"d","statistics":{"amount":{"count":10,"nulls":11}}}""", "statistics.amount.nulls")]
    [InlineData("""{"namespace":"n","name":"d","statistics":{"amount":{"histogram":{"edges":[0,1],"counts":[1,2]}}}}""", "statistics.amount.histogram")]
    [InlineData("""{"namespace":"n","name":"d","statistics":{"amount":{"histogram":{"edges":[1,0,2],"counts":[1,2]}}}}""", "edges' must be strictly ascending")]
    [InlineData("""{"namespace":"n","name":"d","statistics":{"amount":{"quantiles":{"1.5":3}}}}""", "quantiles")]
    [InlineData("""{"namespace":"n","name":"d","schema":[{"name":"a"},{"name":"a"}]}""", "schema[1].name")]
    [InlineData("""{"namespace":"n","name":"d","properties":[1]}""", "'properties' must be a JSON object")]
    [InlineData("""{"name":"d"}""", "'namespace' is required")]
    public async Task A_bad_dataset_is_refused_with_where_and_nothing_is_written(string body, string where)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var before = await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");

        var problem = await (await _client.PostAsync(new Uri("/api/v1/datasets", UriKind.Relative), content)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Contains(where, (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal(before, await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log"));
    }

    [Fact]
    public async Task A_feature_names_its_source_dataset_and_becomes_its_downstream_node()
    {
        var ns = $"fs-{Guid.NewGuid():N}";
        await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "claims_features" })).ExpectAsync(201);

        var feature = await (await _client.PostJsonAsync("/api/v1/features", new
        {
            @namespace = ns,
            name = "claim_amount_zscore",
            value_type = "float64",
            description = "Claim amount standardised per region",
            dataset = $"dataset:{ns}:claims_features",
            statistics = new { count = 1000, mean = 0.0, stddev = 1.0 },
        })).ExpectAsync(201);

        Assert.Equal($"dataset:{ns}:claims_features", (string?)feature["dataset"]);
        var graph = await GetAsync($"/api/v1/lineage/graph?node={Q($"dataset:{ns}:claims_features")}&direction=downstream&depth=1");
        Assert.Contains(graph["graph"]!.AsArray(), n => (string?)n!["id"] == $"feature:{ns}:claim_amount_zscore");
        await (await _client.PostJsonAsync("/api/v1/features", new { @namespace = ns, name = "orphan", value_type = "int64", dataset = $"dataset:{ns}:missing" }))
            .ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PostJsonAsync("/api/v1/features", new { @namespace = ns, name = "untyped" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        var again = await (await _client.PostJsonAsync("/api/v1/features", new { @namespace = ns, name = "claim_amount_zscore", description = "new words" })).ExpectAsync(200);
        Assert.Equal("float64", (string?)again["value_type"]);
    }

    [Fact]
    public async Task An_execution_records_its_job_inputs_and_outputs_as_edges_and_keeps_its_final_state()
    {
        var ns = $"airflow-{Guid.NewGuid():N}";
        await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "in" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "out" })).ExpectAsync(201);
        var runId = Guid.NewGuid().ToString();

        var started = await (await _client.PostJsonAsync("/api/v1/executions", new
        {
            run_id = runId,
            type = "training",
            job_namespace = ns,
            job_name = "train_fraud",
            state = "RUNNING",
            started_at = "2026-11-23T04:00:00Z",
            inputs = new[] { $"dataset:{ns}:in" },
            properties = new { epochs = 10 },
        })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/executions", new { run_id = runId, state = "COMPLETE", ended_at = "2026-11-23T04:10:00Z", outputs = new[] { $"dataset:{ns}:out" } })).ExpectAsync(200);
        var late = await (await _client.PostJsonAsync("/api/v1/executions", new { run_id = runId, state = "RUNNING" })).ExpectAsync(200);

        Assert.Equal($"run:{runId}", (string?)started["id"]);
        Assert.Equal("COMPLETE", (string?)late["state"]);
        Assert.Equal([$"dataset:{ns}:in"], late["inputs"]!.AsArray().Select(n => (string)n!));
        Assert.Equal([$"dataset:{ns}:out"], late["outputs"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(600_000, (long)late["ended_at"]! - (long)late["started_at"]!);
        var path = await GetAsync($"/api/v1/lineage/path?from={Q($"dataset:{ns}:in")}&to={Q($"dataset:{ns}:out")}");
        Assert.Equal([$"dataset:{ns}:in", $"run:{runId}", $"dataset:{ns}:out"], path["nodes"]!.AsArray().Select(n => (string)n!));
        var up = await GetAsync($"/api/v1/lineage/graph?node={Q($"run:{runId}")}&direction=upstream&depth=1");
        Assert.Contains(up["graph"]!.AsArray(), n => (string?)n!["id"] == $"job:{ns}:train_fraud");
        await (await _client.PostJsonAsync("/api/v1/executions", new { run_id = runId, job_namespace = ns, job_name = "other" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/v1/executions", new { job_namespace = ns, job_name = "j", inputs = new[] { $"dataset:{ns}:nope" } })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PostJsonAsync("/api/v1/executions", new { job_namespace = ns, job_name = "j", state = "DONE" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await GetAsync($"/api/v1/executions/{Guid.NewGuid()}", 404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Writes_in_a_namespace_with_a_metadata_schema_must_meet_it_and_failures_name_the_paths()
    {
        var ns = $"governed-{Guid.NewGuid():N}";
        var schema = new
        {
            type = "object",
            required = new[] { "owner" },
            properties = new { owner = new { type = "string" }, rows = new { type = "integer", minimum = 0 } },
        };
        foreach (var kind in new[] { "dataset", "feature", "execution" })
        {
            await (await _client.PostJsonAsync("/api/v1/metadata/schemas", new { @namespace = ns, kind, schema })).ExpectAsync(201);
        }

        var missing = await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "d" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        var wrong = await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "d", properties = new { owner = 7, rows = -1 } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "d", properties = new { owner = "claims", rows = 10 } })).ExpectAsync(201);
        var update = await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "d", description = "no properties: they stay" })).ExpectAsync(200);
        var feature = await (await _client.PostJsonAsync("/api/v1/features", new { @namespace = ns, name = "f", value_type = "int64" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        var execution = await (await _client.PostJsonAsync("/api/v1/executions", new { job_namespace = ns, job_name = "j", properties = new { owner = "ml", rows = "many" } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        using var olEvent = new StringContent($$"""
            {"eventType":"COMPLETE","eventTime":"2026-11-23T00:00:00Z","producer":"https://example.com/p","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
             "run":{"runId":"{{Guid.NewGuid()}}"},"job":{"namespace":"elsewhere","name":"j"},"outputs":[{"namespace":"{{ns}}","name":"from-openlineage"}]}
            """, System.Text.Encoding.UTF8, "application/json");
        var ol = await (await _client.PostAsync(new Uri("/api/v1/lineage", UriKind.Relative), olEvent)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Contains(missing["errors"]!.AsArray(), e => (string?)e!["path"] == "/owner" && (string?)e["message"] == "required property is missing");
        var paths = wrong["errors"]!.AsArray().Select(e => (string)e!["path"]!).ToList();
        Assert.Contains("/owner", paths);
        Assert.Contains("/rows", paths);
        Assert.Equal("claims", (string?)update["properties"]!["owner"]);
        Assert.NotEmpty(feature["errors"]!.AsArray());
        Assert.Contains(execution["errors"]!.AsArray(), e => (string?)e!["path"] == "/rows");
        Assert.Contains(ns, (string?)ol["detail"], StringComparison.Ordinal);
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM datasets WHERE namespace = '{ns}' AND name = 'from-openlineage'"));
    }

    [Fact]
    public async Task Datasets_features_and_executions_are_searched_with_the_filter_language_and_free_text()
    {
        var p = Guid.NewGuid().ToString("N")[..10];
        foreach (var (name, team) in new[] { ("orders", "risk"), ("orders_daily", "ops"), ("customers", "risk") })
        {
            await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = $"pg-{p}", name, description = $"{name} of shop {p}", tags = new { team } })).ExpectAsync(201);
        }
        await (await _client.PostJsonAsync("/api/v1/features", new { @namespace = $"pg-{p}", name = "basket_size", value_type = "int64", description = "Items per order" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/executions", new { job_namespace = $"pg-{p}", job_name = "nightly_orders", type = "ingestion", state = "COMPLETE" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/executions", new { job_namespace = $"pg-{p}", job_name = "train", type = "training", state = "FAILED" })).ExpectAsync(201);

        var risk = await GetAsync($"/api/v1/datasets?filter={Q($"namespace = 'pg-{p}' AND (tags.team = 'risk' OR name LIKE '%daily')")}&order_by=name");
        var text = await GetAsync($"/api/v1/datasets?q={Q($"ORDERS_DAILY OF SHOP {p}")}");
        var features = await GetAsync($"/api/v1/features?filter={Q($"namespace = 'pg-{p}' AND value_type = 'int64'")}&q=items");
        var failed = await GetAsync($"/api/v1/executions?filter={Q($"job_namespace = 'pg-{p}' AND state != 'COMPLETE'")}");
        var paged = await GetAsync($"/api/v1/datasets?filter={Q($"namespace = 'pg-{p}'")}&max_results=2");
        var rest = await GetAsync($"/api/v1/datasets?filter={Q($"namespace = 'pg-{p}'")}&max_results=2&page_token={Q((string)paged["next_page_token"]!)}");

        Assert.Equal(["customers", "orders", "orders_daily"], risk["datasets"]!.AsArray().Select(d => (string)d!["name"]!));
        Assert.Equal(["orders_daily"], text["datasets"]!.AsArray().Select(d => (string)d!["name"]!));
        Assert.Equal(["basket_size"], features["features"]!.AsArray().Select(f => (string)f!["name"]!));
        Assert.Equal(["train"], failed["executions"]!.AsArray().Select(e => (string)e!["job_name"]!));
        Assert.Equal(2, paged["datasets"]!.AsArray().Count);
        Assert.Single(rest["datasets"]!.AsArray());
        var bad = await GetAsync($"/api/v1/datasets?filter={Q("colour = 'red'")}", 400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("colour", (string?)bad["detail"], StringComparison.Ordinal);
    }
}

public sealed class MetadataAuthTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_reader_reads_metadata_but_may_not_write_it()
    {
        using var reader = app.ClientWithToken(await app.TokenAsync($"meta-reader-{Guid.NewGuid():N}", "reader"));

        await (await reader.GetAsync(new Uri("/api/v1/datasets", UriKind.Relative))).ExpectAsync(200);
        await (await reader.PostJsonAsync("/api/v1/datasets", new { @namespace = "n", name = "d" })).ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.PostJsonAsync("/api/v1/executions", new { job_namespace = "n", job_name = "j" })).ExpectAsync(403, "PERMISSION_DENIED");
    }
}
