using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;
using Cairn.Tests.Mlflow;

namespace Cairn.Tests.Lineage;

/// <summary>The lineage graph through the native API and from MLflow's records, on SQLite and PostgreSQL.</summary>
public sealed class LineageApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task EdgeAsync(string source, string target, string kind = "feeds") =>
        await (await _client.PostAsJsonAsync(new Uri("/api/v1/lineage/edges", UriKind.Relative), new { source, target, kind })).ExpectAsync(201);

    private async Task<JsonObject> GraphAsync(string node, string direction, int depth) =>
        await (await _client.GetAsync(new Uri($"/api/v1/lineage/graph?node={Uri.EscapeDataString(node)}&direction={direction}&depth={depth}", UriKind.Relative))).ExpectAsync(200);

    private static Dictionary<string, int> Depths(JsonObject graph) =>
        graph["graph"]!.AsArray().ToDictionary(n => (string)n!["id"]!, n => (int)n!["depth"]!);

    [Fact]
    public async Task A_pipeline_is_walked_downstream_from_raw_data_to_the_model_and_back()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        var raw = $"dataset:s3://lake-{p}:claims/raw";
        var features = $"dataset:s3://lake-{p}:claims/features";
        var model = $"model:risk.fraud_{p}:1";
        await EdgeAsync(raw, $"run:ingest-{p}", "input");
        await EdgeAsync($"run:ingest-{p}", features, "output");
        await EdgeAsync(features, $"run:train-{p}", "input");
        await EdgeAsync($"run:train-{p}", model, "output");

        var down = await GraphAsync(raw, "downstream", 10);
        var up = await GraphAsync(model, "upstream", 10);

        Assert.Equal(new Dictionary<string, int> { [raw] = 0, [$"run:ingest-{p}"] = 1, [features] = 2, [$"run:train-{p}"] = 3, [model] = 4 }, Depths(down));
        Assert.Equal(4, Depths(up)[raw]);
        var featureNode = down["graph"]!.AsArray().Single(n => (string)n!["id"]! == features)!;
        Assert.Equal("dataset", (string?)featureNode["kind"]);
        Assert.Equal($"s3://lake-{p}", (string?)featureNode["namespace"]);
        Assert.Equal("claims/features", (string?)featureNode["name"]);
        Assert.Equal($"run:ingest-{p}", (string?)featureNode["in_edges"]![0]!["source"]);
        Assert.Equal($"run:train-{p}", (string?)featureNode["out_edges"]![0]!["target"]);
        Assert.False((bool)down["truncated"]!);
    }

    [Fact]
    public async Task The_path_from_raw_data_to_a_model_is_the_shortest_chain_and_none_leads_back()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        await EdgeAsync($"dataset:d:{p}-raw", $"run:{p}-a");
        await EdgeAsync($"run:{p}-a", $"dataset:d:{p}-mid");
        await EdgeAsync($"dataset:d:{p}-mid", $"run:{p}-b");
        await EdgeAsync($"run:{p}-b", $"model:m{p}:1");
        await EdgeAsync($"dataset:d:{p}-raw", $"run:{p}-b");

        var path = await (await _client.GetAsync(new Uri($"/api/v1/lineage/path?from={Uri.EscapeDataString($"dataset:d:{p}-raw")}&to={Uri.EscapeDataString($"model:m{p}:1")}", UriKind.Relative))).ExpectAsync(200);

        Assert.Equal([$"dataset:d:{p}-raw", $"run:{p}-b", $"model:m{p}:1"], path["nodes"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(2, path["edges"]!.AsArray().Count);
        await (await _client.GetAsync(new Uri($"/api/v1/lineage/path?from={Uri.EscapeDataString($"model:m{p}:1")}&to={Uri.EscapeDataString($"dataset:d:{p}-raw")}", UriKind.Relative)))
            .ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Depth_bounds_the_walk_and_both_directions_meet_at_the_node()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        await EdgeAsync($"dataset:d:{p}-a", $"run:{p}-1");
        await EdgeAsync($"run:{p}-1", $"dataset:d:{p}-b");
        await EdgeAsync($"dataset:d:{p}-b", $"run:{p}-2");

        var near = await GraphAsync($"run:{p}-1", "both", 1);

        Assert.Equal(new Dictionary<string, int> { [$"run:{p}-1"] = 0, [$"dataset:d:{p}-a"] = 1, [$"dataset:d:{p}-b"] = 1 }, Depths(near));
    }

    [Fact]
    public async Task A_cycle_ends_and_reports_each_node_once_at_its_least_depth()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        await EdgeAsync($"job:j:{p}-a", $"job:j:{p}-b");
        await EdgeAsync($"job:j:{p}-b", $"job:j:{p}-c");
        await EdgeAsync($"job:j:{p}-c", $"job:j:{p}-a");

        var graph = await GraphAsync($"job:j:{p}-a", "downstream", 20);

        Assert.Equal(new Dictionary<string, int> { [$"job:j:{p}-a"] = 0, [$"job:j:{p}-b"] = 1, [$"job:j:{p}-c"] = 2 }, Depths(graph));
    }

    [Fact]
    public async Task Bad_node_ids_depths_and_unknown_nodes_are_clear_errors()
    {
        await (await _client.PostAsJsonAsync(new Uri("/api/v1/lineage/edges", UriKind.Relative), new { source = "table:x", target = "run:1" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostAsJsonAsync(new Uri("/api/v1/lineage/edges", UriKind.Relative), new { source = "run:1", target = "run:1" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.GetAsync(new Uri("/api/v1/lineage/graph?node=run:nowhere", UriKind.Relative))).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync(new Uri("/api/v1/lineage/graph?node=run:x&depth=99", UriKind.Relative))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.GetAsync(new Uri("/api/v1/lineage/graph?node=run:x&direction=sideways", UriKind.Relative))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_hub_with_more_neighbours_than_the_node_cap_answers_the_cap_and_says_it_was_cut()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        var hub = $"dataset:cap:hub-{p}";
        await EdgeAsync(hub, $"run:cap-{p}-0", "input");
        // 2,500 runs read the hub: more than the 2,000 nodes an answer may hold.
        await app.ExecuteSqlAsync($"""
            INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
            SELECT 'run:cap-{p}-' || i, 'run', NULL, 'cap-{p}-' || i, 0, 0 FROM n;
            INSERT INTO lineage_edges (source, target, kind, created_at)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
            SELECT '{hub}', 'run:cap-{p}-' || i, 'input', 0 FROM n;
            """);

        var near = await GraphAsync(hub, "downstream", 1);
        var far = await GraphAsync(hub, "downstream", 10);

        Assert.True((bool)near["truncated"]!);
        Assert.Equal(2000, near["graph"]!.AsArray().Count);
        Assert.Equal(0, Depths(near)[hub]);
        Assert.All(Depths(near).Values, d => Assert.InRange(d, 0, 1));
        Assert.True((bool)far["truncated"]!);
        Assert.Equal(2000, far["graph"]!.AsArray().Count);
    }

    [Fact]
    public async Task Mlflow_dataset_inputs_and_versions_registered_from_runs_join_the_graph()
    {
        var mlflow = new Mlflow.Mlflow(_client);
        var experiment = (string)(await mlflow.OkAsync("experiments/create", new { name = $"lineage-{Guid.NewGuid():N}" }))["experiment_id"]!;
        var runId = (string)(await mlflow.OkAsync("runs/create", new { experiment_id = experiment }))["run"]!["info"]!["run_id"]!;
        var dataset = $"claims_{Guid.NewGuid():N}";
        await mlflow.OkAsync("runs/log-inputs", new
        {
            run_id = runId,
            datasets = new[]
            {
                new
                {
                    dataset = new
                    {
                        name = dataset, digest = "d1", source_type = "s3", source = "{\"uri\":\"s3://lake/claims\"}",
                        schema = "{\"mlflow_colspec\": [{\"type\": \"double\", \"name\": \"amount\"}, {\"type\": \"string\", \"name\": \"region\"}]}",
                    },
                },
            },
        });
        var model = $"lineage.m_{Guid.NewGuid():N}"[..30];
        await mlflow.OkAsync("registered-models/create", new { name = model });
        await mlflow.OkAsync("model-versions/create", new { name = model, source = $"runs:/{runId}/model" });

        var graph = await GraphAsync($"dataset:s3:{dataset}", "downstream", 5);

        Assert.Equal(new Dictionary<string, int> { [$"dataset:s3:{dataset}"] = 0, [$"run:{runId}"] = 1, [$"model:{model}:1"] = 2 }, Depths(graph));
        var metadata = await (await _client.GetAsync(new Uri($"/api/v1/datasets/get?namespace=s3&name={dataset}", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal("d1", (string?)metadata["version"]);
        Assert.Equal("s3://lake/claims", (string?)metadata["location"]);
        Assert.Equal(["amount", "region"], metadata["schema"]!.AsArray().Select(f => (string)f!["name"]!));
    }
}

public sealed class LineageAuthTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_reader_walks_the_graph_but_may_not_add_edges()
    {
        using var writer = app.ClientWithToken(await app.TokenAsync("lineage-writer", "writer"));
        using var reader = app.ClientWithToken(await app.TokenAsync("lineage-reader", "reader"));
        await (await writer.PostAsJsonAsync(new Uri("/api/v1/lineage/edges", UriKind.Relative), new { source = "dataset:a:x", target = "run:r1" })).ExpectAsync(201);

        await (await reader.GetAsync(new Uri("/api/v1/lineage/graph?node=run:r1", UriKind.Relative))).ExpectAsync(200);
        await (await reader.PostAsJsonAsync(new Uri("/api/v1/lineage/edges", UriKind.Relative), new { source = "dataset:a:y", target = "run:r1" })).ExpectAsync(403, "PERMISSION_DENIED");
    }
}
