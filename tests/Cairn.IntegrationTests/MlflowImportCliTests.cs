using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cairn.Tests.Fixtures;

namespace Cairn.IntegrationTests;

/// <summary><c>cairn import mlflow</c> on a database as MLflow writes it, then <c>cairn serve</c> on the result.</summary>
public sealed class MlflowImportCliTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("cairn-import-cli-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>An MLflow database and one proxied artifact file of its run A; returns the import command for them into <c>data</c>.</summary>
    private async Task<string[]> MlflowInstallationAsync(byte[] artifact, string data)
    {
        MlflowDatabase.Create(Path.Combine(_work, "mlflow.db"));
        var model = Directory.CreateDirectory(Path.Combine(_work, "mlartifacts", "3", MlflowDatabase.RunA, "artifacts", "model")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(model, "model.bin"), artifact);
        return ["import", "mlflow", "--from", $"sqlite:///{Path.Combine(_work, "mlflow.db")}", "--artifacts", Path.Combine(_work, "mlartifacts"), "--data-dir", data];
    }

    [Fact]
    public async Task The_import_summarises_counts_a_rerun_imports_nothing_and_the_server_serves_the_result()
    {
        var data = Path.Combine(_work, "cairn");
        var import = await MlflowInstallationAsync([1, 2, 3], data);

        var first = await Cli.RunAsync([.. import, "--json"], null);
        var second = await Cli.RunAsync([.. import, "--json"], null);
        var table = await Cli.RunAsync(import);

        Assert.True(first.ExitCode == 0, first.Stderr);
        var counts = JsonNode.Parse(first.Stdout)!["counts"]!.AsArray().ToDictionary(c => (string)c!["kind"]!, c => (long)c!["imported"]!);
        Assert.Equal(2, counts["runs"]);
        Assert.Equal(1, counts["artifact files"]);
        Assert.All(JsonNode.Parse(second.Stdout)!["counts"]!.AsArray(), c => Assert.Equal(0, (long)c!["imported"]!));
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("IMPORTED NOW", table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Churn Model", table.Stderr, StringComparison.Ordinal);

        await using var server = await ServerProcess.StartAsync(["--data-dir", data]);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var run = await http.GetFromJsonAsync<JsonObject>($"/api/2.0/mlflow/runs/get?run_id={MlflowDatabase.RunA}");
        Assert.Equal("clever-fox-12", (string?)run!["run"]!["info"]!["run_name"]);
        Assert.Equal([1, 2, 3], await http.GetByteArrayAsync($"/api/2.0/mlflow-artifacts/artifacts/3/{MlflowDatabase.RunA}/artifacts/model/model.bin"));
    }

    [S3Fact]
    public async Task Artifacts_can_be_imported_into_a_bucket_that_the_server_then_proxies()
    {
        var data = Path.Combine(_work, "cairn");
        var (bucket, s3) = S3.Location();
        string[] import = [.. await MlflowInstallationAsync([4, 5, 6], data), "--artifacts-destination", $"{bucket}/mlartifacts", "--json"];

        var first = await Cli.RunAsync(import, s3);
        var again = await Cli.RunAsync(import, s3);

        Assert.True(first.ExitCode == 0, first.Stderr);
        long Copied(Cli.Result result) => (long)JsonNode.Parse(result.Stdout)!["counts"]!.AsArray().Single(c => (string)c!["kind"]! == "artifact files")!["imported"]!;
        Assert.Equal(1, Copied(first));
        Assert.Equal(0, Copied(again));
        await using var server = await ServerProcess.StartAsync(["--data-dir", data, "--artifacts-destination", $"{bucket}/mlartifacts"], s3);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        Assert.Equal([4, 5, 6], await http.GetByteArrayAsync($"/api/2.0/mlflow-artifacts/artifacts/3/{MlflowDatabase.RunA}/artifacts/model/model.bin"));
    }

    [Fact]
    public async Task A_missing_database_is_a_clear_error()
    {
        var result = await Cli.RunAsync("import", "mlflow", "--from", "sqlite:///nowhere/mlflow.db", "--data-dir", Path.Combine(_work, "cairn"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("There is no MLflow database", result.Stderr, StringComparison.Ordinal);
    }
}
