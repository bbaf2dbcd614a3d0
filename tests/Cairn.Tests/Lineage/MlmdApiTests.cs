using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Lineage;

/// <summary>ML Metadata's types, artifacts, contexts and events through the native API, on SQLite and PostgreSQL.</summary>
public sealed class MlmdApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<JsonObject> GetAsync(string url, int status = 200, string? code = null) =>
        await (await _client.GetAsync(new Uri(url, UriKind.Relative))).ExpectAsync(status, code);

    [Fact]
    public async Task A_type_only_gains_properties_and_its_artifacts_must_fit_it()
    {
        var type = $"ModelBlessing{Guid.NewGuid():N}"[..24];
        await (await _client.PostJsonAsync("/api/v1/metadata/types", new { kind = "artifact", name = type, properties = new { threshold = "double", blessed = "boolean" } })).ExpectAsync(201);
        var widened = await (await _client.PostJsonAsync("/api/v1/metadata/types", new { kind = "artifact", name = type, properties = new { threshold = "DOUBLE", blessed = "BOOLEAN", reviewer = "STRING" } })).ExpectAsync(200);
        var narrowed = await (await _client.PostJsonAsync("/api/v1/metadata/types", new { kind = "artifact", name = type, properties = new { threshold = "INT" } })).ExpectAsync(409, "INVALID_STATE");

        Assert.Equal("STRING", (string?)widened["properties"]!["reviewer"]);
        Assert.Contains("'threshold' is DOUBLE and cannot become INT", (string?)narrowed["detail"], StringComparison.Ordinal);
        Assert.Contains("'blessed' (BOOLEAN) cannot be removed", (string?)narrowed["detail"], StringComparison.Ordinal);

        var artifact = await (await _client.PostJsonAsync("/api/v1/metadata/artifacts", new
        {
            type,
            name = "fraud-v7",
            uri = "s3://acme-models/fraud/7/blessing",
            state = "live",
            properties = new { threshold = 0.92, blessed = true, notes = "custom" },
        })).ExpectAsync(201);
        var bad = await (await _client.PostJsonAsync("/api/v1/metadata/artifacts", new { type, name = "fraud-v8", properties = new { threshold = "high", blessed = 1 } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        var untyped = await (await _client.PostJsonAsync("/api/v1/metadata/artifacts", new { type = "Undeclared", name = "x" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        var updated = await (await _client.PostJsonAsync("/api/v1/metadata/artifacts", new { type, name = "fraud-v7", state = "MARKED_FOR_DELETION" })).ExpectAsync(200);

        Assert.Equal($"artifact:{type}:fraud-v7", (string?)artifact["id"]);
        Assert.Equal("LIVE", (string?)artifact["state"]);
        Assert.Equal(["/blessed", "/threshold"], bad["errors"]!.AsArray().Select(e => (string)e!["path"]!).Order());
        Assert.Contains("No artifact type 'Undeclared'", (string?)untyped["detail"], StringComparison.Ordinal);
        Assert.Equal("MARKED_FOR_DELETION", (string?)updated["state"]);
        Assert.Equal(0.92, (double)updated["properties"]!["threshold"]!);
        Assert.Equal(type, (string?)(await GetAsync($"/api/v1/metadata/artifacts/{type}/fraud-v7"))["type"]);
        Assert.Single((await GetAsync($"/api/v1/metadata/artifacts?type={type}"))["artifacts"]!.AsArray());
        await (await _client.PostJsonAsync("/api/v1/metadata/artifacts", new { type, name = "fraud-v9", properties = new { threshold = 0.5, blessed = false } })).ExpectAsync(201);
        var first = await GetAsync($"/api/v1/metadata/artifacts?type={type}&max_results=1");
        var second = await GetAsync($"/api/v1/metadata/artifacts?type={type}&max_results=1&page_token={Uri.EscapeDataString((string)first["next_page_token"]!)}");
        Assert.Equal(["fraud-v7", "fraud-v9"], new[] { first, second }.Select(p => (string)p["artifacts"]![0]!["name"]!));
        Assert.Null(second["next_page_token"]);
        Assert.Equal("DOUBLE", (string?)(await GetAsync($"/api/v1/metadata/types/artifact/{type}"))["properties"]!["threshold"]);
        // fraud-v7 holds the custom property notes as a string: it cannot now be declared an INT.
        var contradicted = await (await _client.PostJsonAsync("/api/v1/metadata/types", new
        {
            kind = "artifact",
            name = type,
            properties = new { threshold = "DOUBLE", blessed = "BOOLEAN", reviewer = "STRING", notes = "INT" },
        })).ExpectAsync(409, "INVALID_STATE");
        Assert.Contains($"artifact:{type}:fraud-v7 holds 'notes' as string, not INT", (string?)contradicted["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_link_executions_and_artifacts_in_the_graph_and_contexts_group_them()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        await (await _client.PostJsonAsync("/api/v1/metadata/types", new { kind = "artifact", name = $"Examples{p}" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/metadata/types", new { kind = "artifact", name = $"Model{p}" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/metadata/types", new { kind = "execution", name = $"Trainer{p}", properties = new { epochs = "INT" } })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/metadata/types", new { kind = "context", name = $"Pipeline{p}" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/metadata/artifacts", new { type = $"Examples{p}", name = "train" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/metadata/artifacts", new { type = $"Model{p}", name = "m1" })).ExpectAsync(201);
        var run = Guid.NewGuid().ToString();
        await (await _client.PostJsonAsync("/api/v1/executions", new { run_id = run, type = $"Trainer{p}", job_namespace = $"tfx-{p}", job_name = "Trainer", properties = new { epochs = 5 } })).ExpectAsync(201);
        var wrongType = await (await _client.PostJsonAsync("/api/v1/executions", new { type = $"Trainer{p}", job_namespace = $"tfx-{p}", job_name = "Trainer", properties = new { epochs = 2.5 } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/v1/executions", new { type = $"Pusher{p}", job_namespace = $"tfx-{p}", job_name = "Pusher" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");

        await (await _client.PostJsonAsync("/api/v1/metadata/events", new { execution = $"run:{run}", artifact = $"artifact:Examples{p}:train", type = "INPUT" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/metadata/events", new { execution = $"run:{run}", artifact = $"artifact:Model{p}:m1", type = "output" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/metadata/events", new { execution = $"run:{run}", artifact = $"artifact:Model{p}:nope", type = "OUTPUT" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PostJsonAsync("/api/v1/metadata/events", new { execution = $"artifact:Model{p}:m1", artifact = $"run:{run}", type = "INPUT" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/v1/metadata/contexts", new { type = $"Pipeline{p}", name = "nightly-2026-11-23" })).ExpectAsync(201);
        var associated = await (await _client.PostJsonAsync($"/api/v1/metadata/contexts/Pipeline{p}/nightly-2026-11-23/members", new { node = $"run:{run}" })).ExpectAsync(200);
        var attributed = await (await _client.PostJsonAsync($"/api/v1/metadata/contexts/Pipeline{p}/nightly-2026-11-23/members", new { node = $"artifact:Model{p}:m1" })).ExpectAsync(200);

        Assert.Contains(wrongType["errors"]!.AsArray(), e => (string?)e!["path"] == "/epochs");
        var events = await GetAsync($"/api/v1/metadata/events?execution={Uri.EscapeDataString($"run:{run}")}");
        Assert.Equal(["INPUT", "OUTPUT"], events["events"]!.AsArray().Select(e => (string)e!["type"]!).Order());
        var path = await GetAsync($"/api/v1/lineage/path?from={Uri.EscapeDataString($"artifact:Examples{p}:train")}&to={Uri.EscapeDataString($"artifact:Model{p}:m1")}");
        Assert.Equal([$"artifact:Examples{p}:train", $"run:{run}", $"artifact:Model{p}:m1"], path["nodes"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("association", (string?)associated["relation"]);
        Assert.Equal("attribution", (string?)attributed["relation"]);
        var members = await GetAsync($"/api/v1/metadata/contexts/Pipeline{p}/nightly-2026-11-23/members");
        Assert.Equal(2, members["members"]!.AsArray().Count);
        var contexts = await GetAsync($"/api/v1/metadata/contexts?node={Uri.EscapeDataString($"artifact:Model{p}:m1")}");
        Assert.Equal(["nightly-2026-11-23"], contexts["contexts"]!.AsArray().Select(c => (string)c!["name"]!));
        await (await _client.PostJsonAsync($"/api/v1/metadata/contexts/Pipeline{p}/nightly-2026-11-23/members", new { node = "run:never-seen" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await GetAsync($"/api/v1/metadata/contexts/Pipeline{p}/other", 404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Bad_types_are_refused_with_what_is_allowed()
    {
        var kind = await (await _client.PostJsonAsync("/api/v1/metadata/types", new { kind = "dataset", name = "X" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        var property = await (await _client.PostJsonAsync("/api/v1/metadata/types", new { kind = "artifact", name = "X", properties = new { a = "FLOAT" } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Contains("artifact, execution, context", (string?)kind["detail"], StringComparison.Ordinal);
        Assert.Contains("INT, DOUBLE, STRING, BOOLEAN, STRUCT", (string?)property["detail"], StringComparison.Ordinal);
    }
}

public sealed class MlmdAuthTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_reader_lists_types_but_may_not_declare_them()
    {
        using var reader = app.ClientWithToken(await app.TokenAsync($"mlmd-reader-{Guid.NewGuid():N}", "reader"));

        await (await reader.GetAsync(new Uri("/api/v1/metadata/types", UriKind.Relative))).ExpectAsync(200);
        await (await reader.PostJsonAsync("/api/v1/metadata/types", new { kind = "artifact", name = "Model" })).ExpectAsync(403, "PERMISSION_DENIED");
    }
}
