using System.Net;
using System.Net.Http.Headers;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>MLflow's artifact proxy and run artifact listing over the artifacts destination.</summary>
public sealed class ArtifactProxyTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private static Uri Proxy(string path) => new($"/api/2.0/mlflow-artifacts/artifacts/{path}", UriKind.Relative);

    private static ByteArrayContent Bytes(byte[] data) => new(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    private string Destination => Path.Combine(app.DataDir, "mlartifacts");

    [Fact]
    public async Task A_file_goes_up_lands_at_its_path_and_comes_back_whole_and_in_ranges()
    {
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();

        await (await _client.PutAsync(Proxy("1/run1/artifacts/model/model.bin"), Bytes(data))).OkAsync();

        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(Destination, "1", "run1", "artifacts", "model", "model.bin")));
        Assert.Equal(data, await _client.GetByteArrayAsync(Proxy("1/run1/artifacts/model/model.bin")));
        using var ranged = new HttpRequestMessage(HttpMethod.Get, Proxy("1/run1/artifacts/model/model.bin")) { Headers = { Range = new RangeHeaderValue(100, 199) } };
        using var partial = await _client.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(data[100..200], await partial.Content.ReadAsByteArrayAsync());
        Assert.Empty(Directory.GetFiles(Path.Combine(Destination, ".cairn-staging")));
    }

    [Fact]
    public async Task Listing_names_entries_of_one_directory_with_sizes()
    {
        await (await _client.PutAsync(Proxy("list/a.txt"), Bytes([1, 2, 3]))).OkAsync();
        await (await _client.PutAsync(Proxy("list/sub/b.txt"), Bytes([1]))).OkAsync();

        var listed = await (await _client.GetAsync(new Uri("/api/2.0/mlflow-artifacts/artifacts?path=list", UriKind.Relative))).OkAsync();

        var files = listed["files"]!.AsArray();
        Assert.Equal(["a.txt", "sub"], files.Select(f => (string)f!["path"]!));
        Assert.Equal(3, (long)files[0]!["file_size"]!);
        Assert.True((bool)files[1]!["is_dir"]!);
        Assert.Null(files[1]!["file_size"]);
    }

    [Fact]
    public async Task Deleting_removes_the_file_and_a_missing_one_is_404()
    {
        await (await _client.PutAsync(Proxy("del/x.bin"), Bytes([9]))).OkAsync();

        await (await _client.DeleteAsync(Proxy("del/x.bin"))).OkAsync();

        await (await _client.GetAsync(Proxy("del/x.bin"))).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.DeleteAsync(Proxy("del/x.bin"))).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Theory]
    [InlineData("a/../../escape.bin")]
    [InlineData("a/%2E%2E/%2E%2E/escape.bin")]
    [InlineData("a%5Cb.bin")]
    public async Task Paths_that_could_leave_the_destination_are_refused(string path)
    {
        using var response = await _client.PutAsync(new Uri($"/api/2.0/mlflow-artifacts/artifacts/{path}", UriKind.Relative), Bytes([1]));

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{(int)response.StatusCode}");
        Assert.False(File.Exists(Path.Combine(app.DataDir, "escape.bin")));
    }

    [Fact]
    public async Task Multipart_uploads_are_declined_as_mlflow_does_for_a_local_store()
    {
        using var response = await _client.PostAsync(new Uri("/api/2.0/mlflow-artifacts/mpu/create/big/model.bin", UriKind.Relative), new StringContent("{\"path\":\"model.bin\",\"num_parts\":2}"));

        await response.MlflowErrorAsync(501, "NOT_IMPLEMENTED", "Multipart upload is not supported");
    }

    [Fact]
    public async Task A_runs_artifacts_are_listed_relative_to_its_artifact_root()
    {
        var mlflow = new Mlflow(_client);
        var experiment = (string)(await mlflow.OkAsync("experiments/create", new { name = $"art-{Guid.NewGuid():N}" }))["experiment_id"]!;
        var runId = (string)(await mlflow.OkAsync("runs/create", new { experiment_id = experiment }))["run"]!["info"]!["run_id"]!;
        await (await _client.PutAsync(Proxy($"{experiment}/{runId}/artifacts/model/MLmodel"), Bytes([1, 2]))).OkAsync();
        await (await _client.PutAsync(Proxy($"{experiment}/{runId}/artifacts/notes.txt"), Bytes([1]))).OkAsync();

        var root = await mlflow.GetOkAsync($"artifacts/list?run_id={runId}");
        var model = await mlflow.GetOkAsync($"artifacts/list?run_uuid={runId}&path=model");

        Assert.Equal($"mlflow-artifacts:/{experiment}/{runId}/artifacts", (string?)root["root_uri"]);
        Assert.Equal(["model", "notes.txt"], root["files"]!.AsArray().Select(f => (string)f!["path"]!));
        Assert.Equal(["model/MLmodel"], model["files"]!.AsArray().Select(f => (string)f!["path"]!));
        await (await mlflow.GetAsync("artifacts/list?run_id=nope")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await mlflow.GetAsync($"artifacts/list?run_id={runId}&path=../..")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }
}

public sealed class ArtifactProxyAuthTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_reader_may_download_but_not_upload()
    {
        using var writer = app.ClientWithToken(await app.TokenAsync("art-writer", "writer"));
        using var reader = app.ClientWithToken(await app.TokenAsync("art-reader", "reader"));
        var uri = new Uri("/api/2.0/mlflow-artifacts/artifacts/auth/file.bin", UriKind.Relative);
        await (await writer.PutAsync(uri, new ByteArrayContent([1, 2, 3]))).OkAsync();

        Assert.Equal([1, 2, 3], await reader.GetByteArrayAsync(uri));
        await (await reader.PutAsync(uri, new ByteArrayContent([4]))).MlflowErrorAsync(403, "PERMISSION_DENIED");
    }
}
