using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Deployments;

/// <summary>
/// The issue's "done when" for deployments, through the native API: recorded, shifted 90/10 to a canary, promoted,
/// rolled back, each state in the status history and the revisions.
/// </summary>
public sealed class DeploymentFlowTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    /// <summary>A new model with <paramref name="versions"/> versions and a new environment; returns (model, environment).</summary>
    internal static async Task<(string Model, string Environment)> ModelAndEnvironmentAsync(HttpClient client, int versions = 2, object? environment = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var model = $"dep_{suffix}.fraud";
        await (await client.PostJsonAsync("/api/v1/models", new { @namespace = $"/dep_{suffix}", model_name = "fraud" })).ExpectAsync(201);
        for (var i = 0; i < versions; i++)
        {
            await (await client.PostJsonAsync($"/api/v1/models/{model}/versions", new { })).ExpectAsync(201);
        }
        var env = $"prod-{suffix}";
        await (await client.PutJsonAsync($"/api/v1/environments/{env}", environment ?? new { description = "production" })).ExpectAsync(200);
        return (model, env);
    }

    private static object Share(int version, decimal share, bool shadow = false) => new { version, share, shadow };

    [Fact]
    public async Task A_deployment_is_recorded_shifted_to_a_canary_promoted_and_rolled_back_with_each_state_in_its_history()
    {
        var (model, env) = await ModelAndEnvironmentAsync(_client);
        var created = await (await _client.PostJsonAsync("/api/v1/deployments", new
        {
            name = "fraud-api",
            environment = env,
            model,
            endpoint = "https://fraud.example.com/predict",
            method = "KServe",
            strategy = "canary",
            traffic = new[] { Share(1, 100) },
            status = "succeeded",
            message = "first rollout",
        })).ExpectAsync(201);
        var id = (string)created["id"]!;
        Assert.StartsWith("dep-", id, StringComparison.Ordinal);
        Assert.Equal((1, "succeeded", "canary", $"deployment:{env}:fraud-api"), ((int)created["revision"]!, (string?)created["status"], (string?)created["strategy"], (string?)created["lineage_node"]));
        Assert.Equal(100m, (decimal)created["traffic"]![0]!["share"]!);

        var canary = await (await _client.PutJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { Share(1, 90), Share(2, 10) }, message = "canary 10%" })).ExpectAsync(200);
        Assert.Equal((2, "in_progress"), ((int)canary["revision"]!, (string?)canary["status"]));
        Assert.Equal([(1, 90m), (2, 10m)], canary["traffic"]!.AsArray().Select(t => ((int)t!["version"]!, (decimal)t["share"]!)).ToArray());
        await (await _client.PostJsonAsync($"/api/v1/deployments/{id}/status", new { status = "succeeded", message = "canary healthy" })).ExpectAsync(200);

        var promoted = await (await _client.PutJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { Share(2, 100) }, status = "succeeded" })).ExpectAsync(200);
        Assert.Equal(3, (int)promoted["revision"]!);
        Assert.Equal(2, (int)Assert.Single(promoted["traffic"]!.AsArray())!["version"]!);

        var rolledBack = await (await _client.PostJsonAsync($"/api/v1/deployments/{id}/rollback", new { message = "p99 latency doubled" })).ExpectAsync(200);
        Assert.Equal((4, "rolled_back"), ((int)rolledBack["revision"]!, (string?)rolledBack["status"]));
        Assert.Equal([(1, 90m), (2, 10m)], rolledBack["traffic"]!.AsArray().Select(t => ((int)t!["version"]!, (decimal)t["share"]!)).ToArray());

        var history = await (await _client.GetAsync($"/api/v1/deployments/{id}/status")).ExpectAsync(200);
        Assert.Equal(
            [("succeeded", 1), ("in_progress", 2), ("succeeded", 2), ("succeeded", 3), ("rolled_back", 4)],
            history["history"]!.AsArray().Select(h => ((string)h!["status"]!, (int)h["revision"]!)).ToArray());
        Assert.Equal("p99 latency doubled", (string?)history["history"]![4]!["message"]);
        Assert.Equal("tester", (string?)history["history"]![4]!["by"]);

        var revisions = (await (await _client.GetAsync($"/api/v1/deployments/{id}/revisions")).ExpectAsync(200))["revisions"]!.AsArray();
        Assert.Equal([4, 3, 2, 1], revisions.Select(r => (int)r!["revision"]!).ToArray());
        Assert.Equal(2, (int)revisions[0]!["restored_from"]!);
        Assert.Null(revisions[1]!["restored_from"]);
        Assert.Equal(100m, (decimal)revisions[3]!["traffic"]![0]!["share"]!);
    }

    [Theory]
    [InlineData("[{\"version\":1,\"share\":90},{\"version\":2,\"share\":5}]", "'traffic' shares of the serving (non-shadow) versions must sum to 100; they sum to 95%")]
    [InlineData("[{\"version\":1,\"share\":100},{\"version\":2,\"share\":10}]", "they sum to 110%")]
    [InlineData("[{\"version\":1,\"share\":100,\"shadow\":true}]", "every entry is a shadow")]
    [InlineData("[{\"version\":1,\"share\":120}]", "'traffic[0].share' must be between 0 and 100")]
    [InlineData("[{\"version\":1,\"share\":-1},{\"version\":2,\"share\":101}]", "'traffic[0].share'")]
    [InlineData("[{\"version\":1,\"share\":99.995},{\"version\":2,\"share\":0.005}]", "'traffic[0].share' has more than two decimals")]
    [InlineData("[{\"version\":1,\"share\":50},{\"share\":50}]", "'traffic[1].version' is required")]
    [InlineData("[{\"version\":1}]", "'traffic[0].share' is required")]
    [InlineData("[{\"version\":1,\"share\":50},{\"version\":1,\"share\":50}]", "'traffic' names version 1 twice")]
    [InlineData("[{\"version\":9,\"share\":100}]", "names version 9 of model")]
    [InlineData("[]", "'traffic' is required")]
    public async Task A_bad_allocation_is_a_400_naming_the_field(string traffic, string expected)
    {
        var (model, env) = await ModelAndEnvironmentAsync(_client);
        var body = $$"""{"name":"api","environment":"{{env}}","model":"{{model}}","traffic":{{traffic}}}""";
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var problem = await (await _client.PostAsync("/api/v1/deployments", content)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains(expected, (string?)problem["detail"], StringComparison.Ordinal);
        // The same check guards a shift.
        var id = (string)(await (await _client.PostJsonAsync("/api/v1/deployments", new { name = "ok", environment = env, model, traffic = new[] { Share(1, 100) } })).ExpectAsync(201))["id"]!;
        using var shift = new StringContent($$"""{"traffic":{{traffic}}}""", System.Text.Encoding.UTF8, "application/json");
        Assert.Contains(expected, (string?)(await (await _client.PutAsync($"/api/v1/deployments/{id}/traffic", shift)).ExpectAsync(400, "INVALID_PARAMETER_VALUE"))["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shares_with_decimals_and_a_shadow_are_kept_as_given()
    {
        var (model, env) = await ModelAndEnvironmentAsync(_client, versions: 3);
        var created = await (await _client.PostJsonAsync("/api/v1/deployments", new
        {
            name = "api",
            environment = env,
            model,
            strategy = "shadow",
            traffic = new[] { Share(1, 66.67m), Share(2, 33.33m), Share(3, 50, shadow: true) },
        })).ExpectAsync(201);
        var traffic = created["traffic"]!.AsArray();
        Assert.Equal([(1, 66.67m, false), (2, 33.33m, false), (3, 50m, true)], traffic.Select(t => ((int)t!["version"]!, (decimal)t["share"]!, (bool)t["shadow"]!)).ToArray());
        Assert.Null(traffic[0]!["version_id"]);
    }

    [Theory]
    [InlineData("environment", "nowhere", "'environment' 'nowhere' does not exist")]
    [InlineData("strategy", "big-bang", "'strategy' must be one of blue-green, canary, rolling, shadow")]
    [InlineData("status", "done", "'status' must be one of pending, in_progress, succeeded, failed, rolled_back")]
    [InlineData("name", "has space", "'name' must be a deployment name")]
    public async Task A_bad_field_is_a_400_naming_it(string field, string value, string expected)
    {
        var (model, env) = await ModelAndEnvironmentAsync(_client);
        var body = new Dictionary<string, object?> { ["name"] = "api", ["environment"] = env, ["model"] = model, ["traffic"] = new[] { Share(1, 100) }, [field] = value };
        Assert.Contains(expected, (string?)(await (await _client.PostJsonAsync("/api/v1/deployments", body)).ExpectAsync(400, "INVALID_PARAMETER_VALUE"))["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_are_unique_per_environment_and_free_again_once_deleted()
    {
        var (model, env) = await ModelAndEnvironmentAsync(_client);
        var body = new { name = "api", environment = env, model, traffic = new[] { Share(1, 100) } };
        var first = (string)(await (await _client.PostJsonAsync("/api/v1/deployments", body)).ExpectAsync(201))["id"]!;
        Assert.Contains(first, (string?)(await (await _client.PostJsonAsync("/api/v1/deployments", body)).ExpectAsync(409, "RESOURCE_ALREADY_EXISTS"))["detail"], StringComparison.Ordinal);
        await (await _client.PutJsonAsync($"/api/v1/environments/{env}-b", new { })).ExpectAsync(200);
        await (await _client.PostJsonAsync("/api/v1/deployments", body with { environment = env + "-b" })).ExpectAsync(201);
        // An environment with live deployments stays.
        await (await _client.DeleteAsync($"/api/v1/environments/{env}")).ExpectAsync(409, "INVALID_STATE");

        await (await _client.DeleteAsync($"/api/v1/deployments/{first}")).ExpectAsync(204);
        await (await _client.PutJsonAsync($"/api/v1/deployments/{first}/traffic", new { traffic = new[] { Share(2, 100) } })).ExpectAsync(409, "INVALID_STATE");
        var second = (string)(await (await _client.PostJsonAsync("/api/v1/deployments", body)).ExpectAsync(201))["id"]!;
        Assert.NotEqual(first, second);
        var live = (await (await _client.GetAsync($"/api/v1/deployments?environment={env}")).ExpectAsync(200))["deployments"]!.AsArray();
        Assert.Equal(second, (string?)Assert.Single(live)!["id"]);
        var all = (await (await _client.GetAsync($"/api/v1/deployments?environment={env}&deleted=true")).ExpectAsync(200))["deployments"]!.AsArray();
        Assert.Equal(2, all.Count);
        Assert.NotEmpty((await (await _client.GetAsync($"/api/v1/deployments/{first}/status")).ExpectAsync(200))["history"]!.AsArray());
    }

    [Fact]
    public async Task Lists_filter_by_environment_model_version_and_status_and_page()
    {
        var (model, env) = await ModelAndEnvironmentAsync(_client, versions: 2);
        foreach (var (name, version) in new[] { ("a", 1), ("b", 2), ("c", 2) })
        {
            await (await _client.PostJsonAsync("/api/v1/deployments", new { name, environment = env, model, traffic = new[] { Share(version, 100) } })).ExpectAsync(201);
        }
        var c = (await (await _client.GetAsync($"/api/v1/deployments?environment={env}")).ExpectAsync(200))["deployments"]![2]!;
        await (await _client.PostJsonAsync($"/api/v1/deployments/{c["id"]}/status", new { status = "failed", message = "OOMKilled" })).ExpectAsync(200);

        static string[] Names(System.Text.Json.Nodes.JsonObject page) => page["deployments"]!.AsArray().Select(d => (string)d!["name"]!).ToArray();
        Assert.Equal(["b", "c"], Names(await (await _client.GetAsync($"/api/v1/deployments?model={model}&version=2")).ExpectAsync(200)));
        Assert.Equal(["b", "c"], Names(await (await _client.GetAsync($"/api/v1/models/{model}/versions/2/deployments")).ExpectAsync(200)));
        Assert.Equal(["c"], Names(await (await _client.GetAsync($"/api/v1/deployments?environment={env}&status=FAILED")).ExpectAsync(200)));
        Assert.Equal("OOMKilled", (string?)(await (await _client.GetAsync($"/api/v1/deployments/{c["id"]}")).ExpectAsync(200))["status_message"]);
        await (await _client.GetAsync("/api/v1/deployments?version=2")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        var first = await (await _client.GetAsync($"/api/v1/deployments?environment={env}&max_results=2")).ExpectAsync(200);
        Assert.Equal(["a", "b"], Names(first));
        var next = (string)first["next_page_token"]!;
        var second = await (await _client.GetAsync($"/api/v1/deployments?environment={env}&max_results=2&page_token={next}")).ExpectAsync(200);
        Assert.Equal(["c"], Names(second));
        Assert.Null(second["next_page_token"]);
    }

    [Fact]
    public async Task Secret_looking_environment_variables_are_masked_and_kept_when_the_mask_comes_back()
    {
        var (model, env) = await ModelAndEnvironmentAsync(_client);
        var variables = new Dictionary<string, string>
        {
            ["DB_PASSWORD"] = "hunter2",
            ["API_TOKEN"] = "tok-123",
            ["AWS_SECRET_ACCESS_KEY"] = "abc/def",
            ["FEATURE_STORE_URL"] = "postgres://svc:s3cret@db.internal:5432/features",
            ["LOG_LEVEL"] = "info",
        };
        var created = await (await _client.PostJsonAsync("/api/v1/deployments", new { name = "api", environment = env, model, environment_variables = variables, traffic = new[] { Share(1, 100) } })).ExpectAsync(201);
        var id = (string)created["id"]!;
        var shown = created["environment_variables"]!;
        Assert.Equal(("****", "****", "****"), ((string?)shown["DB_PASSWORD"], (string?)shown["API_TOKEN"], (string?)shown["AWS_SECRET_ACCESS_KEY"]));
        Assert.Equal("postgres://svc:****@db.internal:5432/features", (string?)shown["FEATURE_STORE_URL"]);
        Assert.Equal("info", (string?)shown["LOG_LEVEL"]);

        // A read-modify-write sends the masks back: the stored secrets stay; a new value replaces one.
        var echoed = shown.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!);
        echoed["LOG_LEVEL"] = "debug";
        echoed["API_TOKEN"] = "tok-456";
        var updated = await (await _client.PatchJsonAsync($"/api/v1/deployments/{id}", new { environment_variables = echoed, method = "EKS" })).ExpectAsync(200);
        Assert.Equal(("****", "debug", "EKS"), ((string?)updated["environment_variables"]!["DB_PASSWORD"], (string?)updated["environment_variables"]!["LOG_LEVEL"], (string?)updated["method"]));
        // Stored encrypted since issue 19 (docs/encryption.md): the row holds secrets only under the key ring's seal.
        var stored = await app.ScalarAsync<string>($"SELECT environment_variables FROM deployments WHERE id = '{id}'");
        Assert.DoesNotContain("hunter2", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", stored, StringComparison.Ordinal);
        var revealed = await Encryption.StoredForms.RevealedVariablesAsync(app, id);
        Assert.Equal("hunter2", revealed["DB_PASSWORD"]);
        Assert.Equal("postgres://svc:s3cret@db.internal:5432/features", revealed["FEATURE_STORE_URL"]);
        Assert.Equal("tok-456", revealed["API_TOKEN"]);
        // Neither the audit log nor the events hold a secret.
        Assert.Equal(0, await app.ScalarAsync<long>(
            $"SELECT COUNT(*) FROM audit_log WHERE resource LIKE '%{id}' AND (after LIKE '%hunter2%' OR after LIKE '%s3cret%' OR after LIKE '%tok-456%')"));
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM events WHERE resource LIKE '%{id}' AND (payload LIKE '%hunter2%' OR payload LIKE '%tok-456%')"));
    }

    [Fact]
    public async Task A_deployment_is_a_lineage_node_downstream_of_every_version_it_was_given()
    {
        var (model, env) = await ModelAndEnvironmentAsync(_client);
        var id = (string)(await (await _client.PostJsonAsync("/api/v1/deployments", new { name = "fraud-api", environment = env, model, traffic = new[] { Share(1, 100) } })).ExpectAsync(201))["id"]!;
        await (await _client.PutJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { Share(1, 90), Share(2, 10) } })).ExpectAsync(200);
        var graph = await (await _client.GetAsync($"/api/v1/lineage/graph?node=deployment:{env}:fraud-api&direction=upstream")).ExpectAsync(200);
        var nodes = graph["graph"]!.AsArray();
        var deployment = nodes.Single(n => (string?)n!["id"] == $"deployment:{env}:fraud-api")!;
        Assert.Equal(("deployment", env, "fraud-api"), ((string?)deployment["kind"], (string?)deployment["namespace"], (string?)deployment["name"]));
        Assert.Equal([$"model:{model}:1", $"model:{model}:2"], deployment["in_edges"]!.AsArray().Select(e => (string)e!["source"]!).ToArray());
        Assert.All(deployment["in_edges"]!.AsArray(), e => Assert.Equal("deployed", (string?)e!["kind"]));
        Assert.Contains(nodes, n => (string?)n!["id"] == $"model:{model}:2" && (string?)n["kind"] == "model");
    }

    [Fact]
    public async Task Every_change_writes_its_audit_entry_and_event_in_the_models_namespace()
    {
        var (model, env) = await ModelAndEnvironmentAsync(_client);
        var id = (string)(await (await _client.PostJsonAsync("/api/v1/deployments", new { name = "api", environment = env, model, traffic = new[] { Share(1, 100) } })).ExpectAsync(201))["id"]!;
        await (await _client.PatchJsonAsync($"/api/v1/deployments/{id}", new { endpoint = "https://x" })).ExpectAsync(200);
        await (await _client.PutJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { Share(1, 90), Share(2, 10) } })).ExpectAsync(200);
        await (await _client.PostJsonAsync($"/api/v1/deployments/{id}/status", new { status = "succeeded" })).ExpectAsync(200);
        await (await _client.PostJsonAsync($"/api/v1/deployments/{id}/rollback", new { })).ExpectAsync(200);
        await (await _client.DeleteAsync($"/api/v1/deployments/{id}")).ExpectAsync(204);

        var events = await (await _client.GetAsync($"/api/v1/events?types=deployment.*&max_results=100")).ExpectAsync(200);
        var mine = events["events"]!.AsArray().Where(e => ((string?)e!["resource"])!.EndsWith(id, StringComparison.Ordinal)).ToList();
        Assert.Equal(
            ["deployment.recorded", "deployment.updated", "deployment.traffic_shifted", "deployment.status_changed", "deployment.rolled_back", "deployment.deleted"],
            mine.Select(e => (string)e!["type"]!).ToArray());
        Assert.All(mine, e => Assert.Equal(model.Split('.')[0].Insert(0, "/"), (string?)e!["namespace"]));
        var shifted = mine[2]!["payload"]!;
        Assert.Equal((model, env, 2), ((string?)shifted["model"], (string?)shifted["environment"], (int)shifted["revision"]!));
        Assert.Equal([(1, 90m), (2, 10m)], shifted["traffic"]!.AsArray().Select(t => ((int)t!["version"]!, (decimal)t["share"]!)).ToArray());
        Assert.Equal("rolled_back", (string?)mine[4]!["payload"]!["status"]);
        Assert.Equal(3, (int)mine[4]!["payload"]!["revision"]!);
        Assert.Equal(6, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM audit_log WHERE resource = 'models/{model}/deployments/{id}'"));
        var environment = await (await _client.GetAsync($"/api/v1/events?types=environment.*")).ExpectAsync(200);
        Assert.Contains(environment["events"]!.AsArray(), e => (string?)e!["resource"] == $"environments/{env}" && (string?)e["type"] == "environment.updated");
    }
}
