using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Deployments;

/// <summary>
/// The "done when" for deployments, through the native API: recorded, shifted 90/10 to a canary, promoted,
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
}
