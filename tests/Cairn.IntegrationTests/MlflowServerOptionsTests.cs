using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests;

/// <summary><c>cairn serve</c> with MLflow's own server options, as a team moving from <c>mlflow server</c> would start it.</summary>
public sealed class MlflowServerOptionsTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("cairn-mlflow-options-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Backend_store_uri_default_artifact_root_and_artifacts_destination_keep_mlflows_meanings()
    {
        var destination = Path.Combine(_work, "proxied");
        await using var server = await ServerProcess.StartAsync(
            ["--data-dir", Path.Combine(_work, "data"), "--backend-store-uri", "sqlite:///store/mlflow.db", "--default-artifact-root", "./mlruns", "--artifacts-destination", destination],
            workingDirectory: _work);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        var created = await (await http.PostAsJsonAsync("/api/2.0/mlflow/experiments/create", new { name = "local-root" })).Content.ReadFromJsonAsync<JsonObject>();
        var id = (string)created!["experiment_id"]!;
        var experiment = await http.GetFromJsonAsync<JsonObject>($"/api/2.0/mlflow/experiments/get?experiment_id={id}");
        (await http.PutAsync("/api/2.0/mlflow-artifacts/artifacts/0/abc/artifacts/model.bin", new ByteArrayContent([1, 2, 3]))).EnsureSuccessStatusCode();

        // A relative root is relative to the server's working directory, as in MLflow.
        Assert.Equal(Path.Combine(_work, "mlruns", id), (string?)experiment!["experiment"]!["artifact_location"]);
        Assert.True(File.Exists(Path.Combine(_work, "store", "mlflow.db")), server.Log);
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(Path.Combine(destination, "0", "abc", "artifacts", "model.bin")));
    }

    [Theory]
    [InlineData("mysql://ml:s3cret@db.internal/mlflow", "is neither a sqlite:///path nor a postgresql://")]
    [InlineData("mlflow.db", "is neither a sqlite:///path nor a postgresql://")]
    public async Task An_unsupported_backend_store_uri_stops_the_server_with_a_clear_message(string uri, string message)
    {
        var result = await Cli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--data-dir", Path.Combine(_work, "data"), "--backend-store-uri", uri]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", result.Stderr, StringComparison.Ordinal);
    }
}
