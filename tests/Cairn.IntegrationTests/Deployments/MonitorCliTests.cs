using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests.Deployments;

/// <summary><c>cairn monitor</c> against a real <c>cairn serve</c>, its deployment named as <c>environment/name</c> as <c>cairn deploy</c> takes it.</summary>
public sealed class MonitorCliTests() : CliAgainstServer("monitor-cli")
{
    private string Csv(string name, int rows, double shift)
    {
        var random = new Random(rows);
        var csv = new StringBuilder("amount\n");
        for (var i = 0; i < rows; i++)
        {
            csv.Append((100 + shift + Math.Round(random.NextDouble() * 40, 2)).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        var path = Path.Combine(DataDir, name);
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    [Fact]
    public async Task Monitor_commands_take_a_deployment_as_environment_slash_name()
    {
        Succeeds(await RunAsync("model", "create", "risk.churn"));
        Succeeds(await RunAsync("version", "create", "risk.churn"));
        Succeeds(await RunAsync("env", "set", "prod"));
        Succeeds(await RunAsync("deploy", "record", "risk.churn", "1", "--env", "prod", "--name", "churn-api", "--status", "succeeded"));
        Succeeds(await RunAsync("monitor", "reference", "set", "risk.churn", "1", "--sample", Csv("reference.csv", 300, 0)));

        var window = await RunAsync("monitor", "window", "prod/churn-api", Csv("window.csv", 200, 30), "--version", "1",
            "--from", "2026-12-01T10:00Z", "--to", "2026-12-01T11:00Z", "--json");
        Succeeds(window);
        var reported = JsonNode.Parse(window.Stdout)!;
        Assert.True((bool)reported["drifted"]!);
        var id = (string)reported["deployment_id"]!;
        Assert.StartsWith("dep-", id, StringComparison.Ordinal);

        var drift = await RunAsync("monitor", "drift", "prod/churn-api", "--json");
        Succeeds(drift);
        Assert.Equal("amount", (string)Assert.Single(JsonNode.Parse(drift.Stdout)!["rows"]!.AsArray())!["feature"]!);
        var report = await RunAsync("monitor", "drift", "prod/churn-api", "--report");
        Succeeds(report);
        Assert.Contains($"1 windows (200 rows) of risk.churn version 1 on {id}", report.Stdout, StringComparison.Ordinal);
        var performance = await RunAsync("monitor", "performance", "prod/churn-api");
        Succeeds(performance);
        Assert.Contains($"No performance figures for deployment {id}", performance.Stdout, StringComparison.Ordinal);

        var unknown = await RunAsync("monitor", "drift", "prod/nope");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("Environment 'prod' has no live deployment named 'nope'", unknown.Stderr, StringComparison.Ordinal);
    }
}
