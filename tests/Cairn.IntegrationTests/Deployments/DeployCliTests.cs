using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests.Deployments;

/// <summary>
/// <c>cairn env</c> and <c>cairn deploy</c> against a real <c>cairn serve</c>: record, shift to a canary, report, promote,
/// roll back, with tables for people and <c>--json</c> for scripts.
/// </summary>
public sealed class DeployCliTests() : CliAgainstServer("deploy-cli")
{
    private static JsonNode Json(Cli.Result result)
    {
        Succeeds(result);
        return JsonNode.Parse(result.Stdout)!;
    }

    [Fact]
    public async Task A_deployment_is_recorded_shifted_promoted_and_rolled_back_through_the_cli()
    {
        Succeeds(await RunAsync("model", "create", "risk.fraud"));
        Succeeds(await RunAsync("version", "create", "risk.fraud"));
        Succeeds(await RunAsync("version", "create", "risk.fraud"));
        Succeeds(await RunAsync("alias", "set", "risk.fraud", "champion", "1"));

        var env = await RunAsync("env", "set", "prod", "--description", "production");
        Succeeds(env);
        Assert.Contains("Environment prod is set (not protected).", env.Stdout, StringComparison.Ordinal);
        Assert.Contains("production", (await RunAsync("env", "list")).Stdout, StringComparison.Ordinal);
        var protect = await RunAsync("env", "set", "locked", "--protected");
        Assert.Equal(1, protect.ExitCode);
        Assert.Contains("'target' is required", protect.Stderr, StringComparison.Ordinal);

        var recorded = Json(await RunAsync("deploy", "record", "risk.fraud", "@champion", "--env", "prod", "--name", "fraud-api",
            "--endpoint", "https://fraud.example.com", "--method", "KServe", "--strategy", "canary", "--var", "DB_PASSWORD=hunter2", "--var", "LOG_LEVEL=info",
            "--status", "succeeded", "--json"));
        var id = (string)recorded["id"]!;
        Assert.Equal(("****", 1), ((string?)recorded["environment_variables"]!["DB_PASSWORD"], (int)recorded["traffic"]![0]!["version"]!));

        var canary = await RunAsync("deploy", "traffic", "prod/fraud-api", "--traffic", "1=90", "--traffic", "2=10", "-m", "canary");
        Succeeds(canary);
        Assert.Contains("is at revision 2: v1 90%, v2 10%, in_progress.", canary.Stdout, StringComparison.Ordinal);
        var bad = await RunAsync("deploy", "traffic", id, "--traffic", "1=90", "--traffic", "2=5");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("'traffic' shares of the serving (non-shadow) versions must sum to 100", bad.Stderr, StringComparison.Ordinal);

        Succeeds(await RunAsync("deploy", "status", id, "succeeded", "-m", "canary healthy"));
        Succeeds(await RunAsync("deploy", "traffic", id, "--traffic", "2=100", "--status", "succeeded"));
        var rollback = await RunAsync("deploy", "rollback", "prod/fraud-api", "-m", "latency");
        Succeeds(rollback);
        Assert.Contains("to the traffic of revision 2: now revision 4, v1 90%, v2 10%.", rollback.Stdout, StringComparison.Ordinal);

        var history = await RunAsync("deploy", "status", id);
        Succeeds(history);
        Assert.Contains("is rolled_back at revision 4.", history.Stdout, StringComparison.Ordinal);
        Assert.Contains("canary healthy", history.Stdout, StringComparison.Ordinal);
        var statuses = Json(await RunAsync("deploy", "status", id, "--json"))["history"]!.AsArray().Select(h => (string)h!["status"]!).ToArray();
        Assert.Equal(["succeeded", "in_progress", "succeeded", "succeeded", "rolled_back"], statuses);

        var list = await RunAsync("deploy", "list", "--env", "prod");
        Succeeds(list);
        Assert.Contains("fraud-api", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("v1 90%, v2 10%", list.Stdout, StringComparison.Ordinal);
        Assert.Single(Json(await RunAsync("deploy", "list", "--model", "risk.fraud", "--version", "2", "--json"))["deployments"]!.AsArray());
        var shown = await RunAsync("deploy", "show", id);
        Succeeds(shown);
        Assert.Contains("rollback to revision 2: latency", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("****", shown.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", shown.Stdout, StringComparison.Ordinal);

        var refused = await RunAsync("stage", "set", "risk.fraud", "1", "archived");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("serves traffic", refused.Stderr, StringComparison.Ordinal);
        Succeeds(await RunAsync("deploy", "delete", id));
        Assert.Contains("No deployments.", (await RunAsync("deploy", "list", "--env", "prod")).Stdout, StringComparison.Ordinal);
    }
}
