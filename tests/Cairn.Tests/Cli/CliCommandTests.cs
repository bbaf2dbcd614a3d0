using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Cli;

/// <summary>Issue 19 item 6: the commands MLflow users expect, run in-process against the real server in-process.</summary>
public sealed class CliCommandTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpMessageHandler _server = app.Server.CreateHandler();

    private Task<CliRun.Result> Cairn(params string[] args) => CliRun.RunAsync(_server, args);

    private async Task<CliRun.Result> Ok(params string[] args)
    {
        var result = await Cairn(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    [Fact]
    public async Task Experiments_are_created_listed_and_shown_by_id_or_name()
    {
        var id = (string)(await Ok("experiments", "create", "cli-exp", "--json")).Json["experiment_id"]!;

        var listed = (await Ok("experiments", "list", "--filter", "name = 'cli-exp'", "--json")).Json["experiments"]!.AsArray();
        Assert.Equal(id, (string?)Assert.Single(listed)!["experiment_id"]);
        Assert.Equal("cli-exp", (string?)(await Ok("experiments", "show", id, "--json")).Json["name"]);
        Assert.Equal(id, (string?)(await Ok("experiments", "show", "cli-exp", "--json")).Json["experiment_id"]);
        Assert.Contains("cli-exp", (await Ok("experiments", "list")).Stdout, StringComparison.Ordinal);

        var missing = await Cairn("experiments", "show", "no-such-experiment");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("RESOURCE_DOES_NOT_EXIST", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_are_searched_with_mlflows_filter_and_order_and_compared_side_by_side()
    {
        using var http = app.CreateClient();
        var experiment = (string)(await Ok("experiments", "create", "cli-runs", "--json")).Json["experiment_id"]!;
        var runs = new List<string>();
        foreach (var (alpha, rmse) in new[] { ("0.5", 0.8), ("0.5", 0.3), ("0.1", 0.2), ("0.5", 1.5) })
        {
            var run = await (await http.PostJsonAsync("/api/2.0/mlflow/runs/create", new { experiment_id = experiment, run_name = $"r{runs.Count}" })).ExpectAsync(200);
            var runId = (string)run["run"]!["info"]!["run_id"]!;
            await (await http.PostJsonAsync("/api/2.0/mlflow/runs/log-parameter", new { run_id = runId, key = "alpha", value = alpha })).ExpectAsync(200);
            await (await http.PostJsonAsync("/api/2.0/mlflow/runs/log-metric", new { run_id = runId, key = "rmse", value = rmse, timestamp = 1, step = 0 })).ExpectAsync(200);
            runs.Add(runId);
        }

        var found = (await Ok("runs", "list", "--experiment", "cli-runs", "--filter", "metrics.rmse < 1 and params.alpha = '0.5'", "--order-by", "metrics.rmse ASC", "--json"))
            .Json["runs"]!.AsArray().Select(r => (string)r!["info"]!["run_id"]!);
        Assert.Equal([runs[1], runs[0]], found);
        var descending = (await Ok("runs", "list", "--experiment-id", experiment, "--order-by", "metrics.rmse DESC", "--max", "2", "--json"))
            .Json["runs"]!.AsArray().Select(r => (string)r!["info"]!["run_id"]!);
        Assert.Equal([runs[3], runs[0]], descending);

        var shown = (await Ok("runs", "show", runs[2], "--json")).Json;
        Assert.Equal("0.1", (string?)shown["data"]!["params"]![0]!["value"]);
        Assert.Contains("rmse", (await Ok("runs", "show", runs[2])).Stdout, StringComparison.Ordinal);

        var compared = (await Ok("runs", "compare", runs[0], runs[1], runs[2], "--json")).Json;
        var rows = compared["rows"]!.AsArray().ToDictionary(r => (string)r!["key"]!, r => r!);
        Assert.True((bool)rows["params.alpha"]["differs"]!);
        Assert.Equal(["0.5", "0.5", "0.1"], rows["params.alpha"]["values"]!.AsArray().Select(v => (string?)v));
        var identical = (await Ok("runs", "compare", runs[0], runs[3], "--diff-only", "--json")).Json["rows"]!.AsArray().Select(r => (string)r!["key"]!);
        Assert.Equal(["metrics.rmse"], identical);
        Assert.Contains("params.alpha", (await Ok("runs", "compare", runs[0], runs[2])).Stdout, StringComparison.Ordinal);

        var badFilter = await Cairn("runs", "list", "--experiment", experiment, "--filter", "metrics.rmse <");
        Assert.Equal(1, badFilter.ExitCode);
        Assert.Contains("INVALID_PARAMETER_VALUE", badFilter.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Versions_are_updated_deleted_and_listed_by_file_with_latest_as_a_version()
    {
        await Ok("model", "create", "cli.versions");
        foreach (var accuracy in new[] { "0.7", "0.9", "0.8" })
        {
            await Ok("version", "create", "cli.versions", "--metric", $"accuracy={accuracy}");
        }

        Assert.Equal(3, (int)(await Ok("version", "show", "cli.versions", "latest", "--json")).Json["version"]!);
        var updated = (await Ok("version", "update", "cli.versions", "latest", "--description", "third", "--semver", "1.0.3", "--json")).Json;
        Assert.Equal(("third", "1.0.3", 3), ((string?)updated["description"], (string?)updated["semver"], (int)updated["version"]!));
        Assert.Equal(2, (await Cairn("version", "update", "cli.versions", "1")).ExitCode);

        var ranked = (await Ok("version", "list", "cli.versions", "--order-by", "metrics.accuracy DESC", "--json")).Json["versions"]!.AsArray().Select(v => (int)v!["version"]!);
        Assert.Equal([2, 3, 1], ranked);

        Assert.Empty((await Ok("version", "files", "cli.versions", "1", "--json")).Json["files"]!.AsArray());
        Assert.Contains("has no files", (await Ok("version", "files", "cli.versions", "1")).Stdout, StringComparison.Ordinal);

        Assert.Contains("Deleted cli.versions version 3", (await Ok("version", "delete", "cli.versions", "latest")).Stdout, StringComparison.Ordinal);
        Assert.Equal(2, (int)(await Ok("version", "show", "cli.versions", "latest", "--json")).Json["version"]!);

        await Ok("model", "create", "cli.empty");
        var none = await Cairn("version", "show", "cli.empty", "latest");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("has no versions", none.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_json_errors_are_problem_details_on_stderr_and_stdout_stays_empty()
    {
        var missing = await Cairn("model", "show", "cli.nowhere", "--json");

        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("", missing.Stdout);
        var problem = JsonNode.Parse(missing.Stderr)!;
        Assert.Equal(("RESOURCE_DOES_NOT_EXIST", 404), ((string?)problem["error_code"], (int?)problem["status"]));
        Assert.Contains("cli.nowhere", (string)problem["detail"]!, StringComparison.Ordinal);
        Assert.NotNull(problem["title"]);

        var usage = await Cairn("version", "show", "cli.nowhere", "seven", "--json");
        Assert.Equal(2, usage.ExitCode);
        var usageProblem = JsonNode.Parse(usage.Stderr)!;
        Assert.Equal("INVALID_USAGE", (string?)usageProblem["error_code"]);
        Assert.Contains("'seven' is not a version", (string)usageProblem["detail"]!, StringComparison.Ordinal);

        var plain = await Cairn("model", "show", "cli.nowhere");
        Assert.StartsWith("error: ", plain.Stderr, StringComparison.Ordinal);
    }
}
