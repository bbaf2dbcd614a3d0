using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;
using Microsoft.AspNetCore.Hosting;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// The server of MLflow's artifacts fixture: <c>--default-artifact-root http://host/api/2.0/mlflow-artifacts/artifacts</c>
/// (this server's own proxy, named by URL) and an artifacts destination directory.
/// </summary>
public sealed class HttpArtifactRootApp : CairnApp
{
    public const string Root = "http://localhost/api/2.0/mlflow-artifacts/artifacts";

    public string Destination => Path.Combine(DataDir, "mlartifacts");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Cairn:DefaultArtifactRoot", Root);
        builder.UseSetting("Cairn:ArtifactsDestination", Destination);
    }
}

/// <summary>
/// MLflow 2.10.2's tests/tracking/test_mlflow_artifacts.py, ported: what its Python client does (PUT to the run's
/// http artifact URI, GET of the proxy's listing) is done here with the same requests.
/// </summary>
public sealed class MlflowArtifactsServerPortTests(HttpArtifactRootApp app) : IClassFixture<HttpArtifactRootApp>
{
    private readonly HttpClient _client = app.CreateClient();
    private readonly Mlflow _mlflow = new(app.CreateClient());

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static ByteArrayContent Text(string text) => new(Encoding.UTF8.GetBytes(text)) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    private async Task UploadAsync(string url, string text) => (await _client.PutAsync(new Uri(url), Text(text))).EnsureSuccessStatusCode();

    /// <summary>Downloads as MLflow's test does, checking the headers it checks.</summary>
    private async Task<HttpResponseMessage> DownloadAsync(string url, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url.StartsWith('/') ? new Uri(url, UriKind.Relative) : new Uri(url));
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }
        var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.NotNull(response.Content.Headers.ContentType);
        Assert.NotNull(response.Content.Headers.ContentDisposition);
        return response;
    }

    /// <summary>A run in a new experiment; its artifact URI is under the http root.</summary>
    private async Task<(string RunId, string ArtifactUri, string ExperimentId)> RunAsync()
    {
        var experiment = (string)(await _mlflow.OkAsync("experiments/create", new { name = Unique("art") }))["experiment_id"]!;
        var info = (await _mlflow.OkAsync("runs/create", new { experiment_id = experiment }))["run"]!["info"]!;
        return ((string)info["run_id"]!, (string)info["artifact_uri"]!, experiment);
    }

    [Fact]
    public async Task Experiments_and_runs_get_artifact_locations_under_the_http_root()
    {
        var (runId, uri, experiment) = await RunAsync();

        Assert.Equal($"{HttpArtifactRootApp.Root}/{experiment}",
            (string?)(await _mlflow.GetOkAsync($"experiments/get?experiment_id={experiment}"))["experiment"]!["artifact_location"]);
        Assert.Equal($"{HttpArtifactRootApp.Root}/{experiment}/{runId}/artifacts", uri);
    }

    [Fact]
    public async Task Files_go_up_to_the_destination_come_back_and_are_listed_by_base_name()
    {
        // ports test_mlflow_artifacts_rest_apis (under a folder of its own: the destination is shared by this class)
        var folder = Unique("rest");
        var root = $"{HttpArtifactRootApp.Root}/{folder}";
        await UploadAsync($"{root}/a.txt", "0");
        await UploadAsync($"{root}/dir/b.txt", "1");

        Assert.Equal("0", await File.ReadAllTextAsync(Path.Combine(app.Destination, folder, "a.txt")));
        Assert.Equal("1", await File.ReadAllTextAsync(Path.Combine(app.Destination, folder, "dir", "b.txt")));
        Assert.Equal("0", await (await DownloadAsync($"{root}/a.txt")).Content.ReadAsStringAsync());
        Assert.Equal("1", await (await DownloadAsync($"{root}/dir/b.txt")).Content.ReadAsStringAsync());
        var listing = await (await _client.GetAsync(new Uri($"{HttpArtifactRootApp.Root}?path={folder}"))).OkAsync();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"files": [{"path": "a.txt", "is_dir": false, "file_size": 1}, {"path": "dir", "is_dir": true}]}"""), listing), listing.ToJsonString());
        var nested = await (await _client.GetAsync(new Uri($"{HttpArtifactRootApp.Root}?path={folder}/dir"))).OkAsync();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"files": [{"path": "b.txt", "is_dir": false, "file_size": 1}]}"""), nested), nested.ToJsonString());
    }

    [Fact]
    public async Task A_runs_logged_file_lands_under_experiment_run_and_artifacts_in_the_destination()
    {
        // ports test_log_artifact (the client PUTs to the run's artifact URI, with and without an artifact_path)
        var (runId, uri, experiment) = await RunAsync();
        await UploadAsync($"{uri}/a.txt", "0");
        await UploadAsync($"{uri}/artifact_path/a.txt", "0");

        Assert.Equal("0", await File.ReadAllTextAsync(Path.Combine(app.Destination, experiment, runId, "artifacts", "a.txt")));
        Assert.Equal("0", await File.ReadAllTextAsync(Path.Combine(app.Destination, experiment, runId, "artifacts", "artifact_path", "a.txt")));
    }

    [Fact]
    public async Task The_tracking_listing_of_a_proxied_run_answers_run_relative_paths_and_its_root_uri()
    {
        // ports test_rest_tracking_api_list_artifacts_with_proxied_artifacts, test_list_artifacts and test_log_artifacts
        var (runId, uri, _) = await RunAsync();
        Assert.Null((await _mlflow.GetOkAsync($"artifacts/list?run_id={runId}"))["files"]);
        await UploadAsync($"{uri}/a.txt", "0");
        await UploadAsync($"{uri}/dir/b.txt", "1");

        var root = await _mlflow.GetOkAsync($"artifacts/list?run_id={runId}");
        var nested = await _mlflow.GetOkAsync($"artifacts/list?run_id={runId}&path=dir");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"path": "a.txt", "is_dir": false, "file_size": 1}, {"path": "dir", "is_dir": true}]"""), root["files"]), root.ToJsonString());
        Assert.Equal(uri, (string?)root["root_uri"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"path": "dir/b.txt", "is_dir": false, "file_size": 1}]"""), nested["files"]), nested.ToJsonString());
        Assert.Equal(uri, (string?)nested["root_uri"]);
    }

    [Fact]
    public async Task Get_artifact_serves_a_proxied_runs_file()
    {
        // ports test_rest_get_artifact_api_proxied_with_artifacts and test_download_artifacts
        var (runId, uri, _) = await RunAsync();
        await UploadAsync($"{uri}/a.txt", "abcdefg");
        await UploadAsync($"{uri}/dir/b.txt", "1");

        Assert.Equal("abcdefg", await (await DownloadAsync($"/get-artifact?run_id={runId}&path=a.txt")).Content.ReadAsStringAsync());
        Assert.Equal("1", await (await DownloadAsync($"/get-artifact?run_id={runId}&path=dir/b.txt")).Content.ReadAsStringAsync());
        await (await _client.GetAsync(new Uri($"/get-artifact?run_id={runId}&path=missing.txt", UriKind.Relative))).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_model_versions_file_under_a_proxied_source_is_served()
    {
        // ports test_rest_get_model_version_artifact_api_proxied_artifact_root
        var folder = Unique("mv");
        Directory.CreateDirectory(Path.Combine(app.Destination, folder));
        await File.WriteAllTextAsync(Path.Combine(app.Destination, folder, "a.txt"), "abcdefg");
        var name = Unique("GetModelVersionTest");
        await _mlflow.OkAsync("registered-models/create", new { name });
        await _mlflow.OkAsync("model-versions/create", new { name, source = $"mlflow-artifacts:/{folder}" });

        Assert.Equal("abcdefg", await (await DownloadAsync($"/model-versions/get-artifact?name={name}&version=1&path=a.txt")).Content.ReadAsStringAsync());
    }

    [Theory]
    // ports test_mime_type_for_download_artifacts_api
    [InlineData("a.txt", "text/plain")]
    [InlineData("b.pkl", "application/octet-stream")]
    [InlineData("c.png", "image/png")]
    [InlineData("d.pdf", "application/pdf")]
    [InlineData("MLmodel", "text/plain")]
    [InlineData("mlproject", "text/plain")]
    public async Task Downloads_are_typed_as_mlflow_types_them_through_the_proxy_and_get_artifact(string fileName, string contentType)
    {
        var (runId, uri, _) = await RunAsync();
        var folder = Unique("mime");
        await UploadAsync($"{HttpArtifactRootApp.Root}/{folder}/dir/{fileName}", "");
        await UploadAsync($"{uri}/{fileName}", "");

        foreach (var url in new[] { $"{HttpArtifactRootApp.Root}/{folder}/dir/{fileName}", $"/get-artifact?run_id={runId}&path={fileName}" })
        {
            using var response = await DownloadAsync(url);
            Assert.Equal(fileName, response.Content.Headers.ContentDisposition!.FileName);
            Assert.Equal("attachment", response.Content.Headers.ContentDisposition.DispositionType);
            Assert.Equal(contentType, response.Content.Headers.ContentType!.MediaType);
        }
    }

    [Theory]
    // ports test_server_overrides_requested_mime_type
    [InlineData("b.pkl", "application/octet-stream")]
    [InlineData("c.png", "image/png")]
    [InlineData("d.pdf", "application/pdf")]
    public async Task The_server_types_a_download_whatever_type_the_client_asks_for(string fileName, string contentType)
    {
        var url = $"{HttpArtifactRootApp.Root}/{Unique("accept")}/dir/{fileName}";
        await UploadAsync(url, "");

        using var response = await DownloadAsync(url, accept: "text/html");

        Assert.Equal(fileName, response.Content.Headers.ContentDisposition!.FileName);
        Assert.Equal(contentType, response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Doubled_slashes_in_a_proxy_path_are_merged_as_mlflows_server_merges_them()
    {
        var folder = Unique("slashes");
        await UploadAsync($"{HttpArtifactRootApp.Root}/{folder}//merged.bin", "x");

        Assert.Equal("x", await File.ReadAllTextAsync(Path.Combine(app.Destination, folder, "merged.bin")));
        Assert.Equal("x", await (await DownloadAsync($"/api/2.0/mlflow-artifacts//artifacts/{folder}/merged.bin")).Content.ReadAsStringAsync());
    }
}
