using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// <c>artifacts/list</c> under the tracking prefixes: a run's artifact URI resolved to the proxy's destination or a local
/// directory. Runs are seeded with SQL straight into the <c>runs</c> table, independent of the tracking endpoints.
/// </summary>
public sealed class MlflowArtifactsRunListTests(CairnApp app) : IClassFixture<CairnApp>, IDisposable
{
    private readonly HttpClient _client = app.CreateClient();
    private readonly string _local = Directory.CreateTempSubdirectory("cairn-runroot-").FullName;

    public void Dispose() => Directory.Delete(_local, recursive: true);

    private Mlflow Tracking(string prefix = "/api/2.0/mlflow") => new(_client, prefix);

    /// <summary>Inserts an experiment and a run with the given artifact URI; returns the run's id.</summary>
    private async Task<string> SeedRunAsync(string artifactUri)
    {
        await (await _client.GetAsync(new Uri("/ready", UriKind.Relative))).Content.ReadAsStringAsync();
        var experiment = Random.Shared.Next(100_000, int.MaxValue);
        var run = Guid.NewGuid().ToString("N");
        var uri = artifactUri.Replace("'", "''", StringComparison.Ordinal);
        await app.ExecuteSqlAsync(
            $"INSERT INTO experiments (id, name, artifact_location, created_at, updated_at, created_by) VALUES ({experiment}, 'seed-{run}', 'mlflow-artifacts:/{experiment}', 0, 0, 'test')");
        await app.ExecuteSqlAsync(
            $"INSERT INTO runs (run_uuid, experiment_id, status, start_time, artifact_uri) VALUES ('{run}', {experiment}, 'RUNNING', 0, '{uri}')");
        return run;
    }

    private static string[] Paths(JsonObject listing) => listing["files"]!.AsArray().Select(f => (string)f!["path"]!).ToArray();

    [Fact]
    public async Task A_proxied_runs_files_are_listed_relative_to_its_root_at_any_depth()
    {
        var run = await SeedRunAsync("mlflow-artifacts:/7/seeded/artifacts");
        await (await _client.PutAsync(new Uri("/api/2.0/mlflow-artifacts/artifacts/7/seeded/artifacts/model/MLmodel", UriKind.Relative), MlflowArtifactsProxyTests.Bytes([1, 2]))).OkAsync();
        await (await _client.PutAsync(new Uri("/api/2.0/mlflow-artifacts/artifacts/7/seeded/artifacts/model/data/w.bin", UriKind.Relative), MlflowArtifactsProxyTests.Bytes([1, 2, 3]))).OkAsync();
        await (await _client.PutAsync(new Uri("/api/2.0/mlflow-artifacts/artifacts/7/seeded/artifacts/notes.txt", UriKind.Relative), MlflowArtifactsProxyTests.Bytes([1]))).OkAsync();

        var root = await Tracking().GetOkAsync($"artifacts/list?run_id={run}");
        var model = await Tracking().GetOkAsync($"artifacts/list?run_uuid={run}&path=model");
        var data = await Tracking("/ajax-api/2.0/mlflow").GetOkAsync($"artifacts/list?run_id={run}&path=model/data/");

        Assert.Equal("mlflow-artifacts:/7/seeded/artifacts", (string?)root["root_uri"]);
        Assert.Equal(["model", "notes.txt"], Paths(root));
        Assert.True((bool)root["files"]![0]!["is_dir"]!);
        Assert.Null(root["files"]![0]!["file_size"]);
        Assert.Equal(1, (long)root["files"]![1]!["file_size"]!);
        Assert.Equal(["model/MLmodel", "model/data"], Paths(model));
        Assert.Equal(["model/data/w.bin"], Paths(data));
        Assert.Equal(3, (long)data["files"]![0]!["file_size"]!);
    }

    [Fact]
    public async Task A_run_without_files_answers_its_root_uri_only()
    {
        var run = await SeedRunAsync("mlflow-artifacts:/7/empty/artifacts");

        var listing = await Tracking().GetOkAsync($"artifacts/list?run_id={run}");
        var fileListing = await Tracking().GetOkAsync($"artifacts/list?run_id={run}&path=nothing/here");

        Assert.Equal(["root_uri"], listing.Select(p => p.Key));
        Assert.Equal(["root_uri"], fileListing.Select(p => p.Key));
    }

    [Fact]
    public async Task A_local_directory_or_file_uri_root_is_listed_where_it_is()
    {
        Directory.CreateDirectory(Path.Combine(_local, "artifacts", "model"));
        await File.WriteAllBytesAsync(Path.Combine(_local, "artifacts", "model", "model.pkl"), new byte[42]);
        await File.WriteAllBytesAsync(Path.Combine(_local, "artifacts", "a b.txt"), new byte[3]);
        var plain = await SeedRunAsync(Path.Combine(_local, "artifacts"));
        var fileUri = await SeedRunAsync(new Uri(Path.Combine(_local, "artifacts")).AbsoluteUri);

        var byPath = await Tracking().GetOkAsync($"artifacts/list?run_id={plain}");
        var byUri = await Tracking().GetOkAsync($"artifacts/list?run_id={fileUri}&path=model");

        Assert.Equal(Path.Combine(_local, "artifacts"), (string?)byPath["root_uri"]);
        Assert.Equal(["a b.txt", "model"], Paths(byPath));
        Assert.StartsWith("file:///", (string?)byUri["root_uri"], StringComparison.Ordinal);
        Assert.Equal(["model/model.pkl"], Paths(byUri));
        Assert.Equal(42, (long)byUri["files"]![0]!["file_size"]!);
    }

    [Theory]
    [InlineData("s3://bucket/mlruns/1/abc/artifacts", "s3://")]
    [InlineData("wasbs://c@account.blob.core.windows.net/1/abc/artifacts", "wasbs://")]
    [InlineData("gs://bucket/1/abc/artifacts", "gs://")]
    public async Task An_object_store_root_is_refused_clearly_for_now(string uri, string scheme)
    {
        var run = await SeedRunAsync(uri);

        await (await Tracking().GetAsync($"artifacts/list?run_id={run}")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", scheme);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("model/../..")]
    [InlineData("/etc")]
    [InlineData("a%5Cb")]
    [InlineData("%252E%252E")]
    public async Task Unsafe_paths_are_refused(string path)
    {
        var run = await SeedRunAsync("mlflow-artifacts:/7/unsafe/artifacts");

        await (await Tracking().GetAsync($"artifacts/list?run_id={run}&path={path}")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task An_unknown_or_missing_run_is_refused_as_mlflow_refuses_it()
    {
        await (await Tracking().GetAsync("artifacts/list?run_id=0123456789abcdef0123456789abcdef")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "not found");
        await (await Tracking().GetAsync("artifacts/list")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'run_id'");
    }

    [Fact]
    public async Task A_run_created_through_the_tracking_api_lists_what_was_uploaded_through_the_proxy()
    {
        var mlflow = Tracking();
        var experiment = (string)(await mlflow.OkAsync("experiments/create", new { name = $"art-{Guid.NewGuid():N}" }))["experiment_id"]!;
        var runId = (string)(await mlflow.OkAsync("runs/create", new { experiment_id = experiment }))["run"]!["info"]!["run_id"]!;
        await (await _client.PutAsync(new Uri($"/api/2.0/mlflow-artifacts/artifacts/{experiment}/{runId}/artifacts/model/MLmodel", UriKind.Relative), MlflowArtifactsProxyTests.Bytes([1, 2]))).OkAsync();

        var root = await mlflow.GetOkAsync($"artifacts/list?run_id={runId}");

        Assert.Equal($"mlflow-artifacts:/{experiment}/{runId}/artifacts", (string?)root["root_uri"]);
        Assert.Equal(["model"], Paths(root));
    }
}
