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

    [Fact]
    public async Task An_absolute_sqlite_uri_file_uri_destination_and_large_proxied_upload_work_on_the_real_server()
    {
        var database = Path.Combine(_work, "abs", "mlflow.db");
        var destination = Path.Combine(_work, "dest");
        Directory.CreateDirectory(Path.GetDirectoryName(database)!);
        await using var server = await ServerProcess.StartAsync(
            ["--data-dir", Path.Combine(_work, "data"), "--backend-store-uri", "sqlite:///" + database, "--artifacts-destination", new Uri(destination).AbsoluteUri],
            workingDirectory: _work);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromMinutes(2) };

        var created = await (await http.PostAsJsonAsync("/api/2.0/mlflow/experiments/create", new { name = "proxied" })).Content.ReadFromJsonAsync<JsonObject>();
        var id = (string)created!["experiment_id"]!;
        var experiment = await http.GetFromJsonAsync<JsonObject>($"/api/2.0/mlflow/experiments/get?experiment_id={id}");
        // Larger than Kestrel's 30 MB default body limit: the proxy streams it under the server's own limit.
        var size = 40L << 20;
        using (var upload = new StreamContent(new PatternStream(size)))
        {
            upload.Headers.ContentLength = size;
            var put = await http.PutAsync($"/api/2.0/mlflow-artifacts/artifacts/{id}/r1/artifacts/model.bin", upload);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        Assert.Equal($"mlflow-artifacts:/{id}", (string?)experiment!["experiment"]!["artifact_location"]);
        Assert.True(File.Exists(database), server.Log);
        Assert.Equal(size, new FileInfo(Path.Combine(destination, id, "r1", "artifacts", "model.bin")).Length);
        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/api/2.0/mlflow-artifacts/artifacts/{id}/r1/artifacts/model.bin");
        ranged.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(size - 4, null);
        using var tail = await http.SendAsync(ranged);
        Assert.Equal(System.Net.HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(Enumerable.Range((int)(size - 4), 4).Select(i => (byte)(i % 251)), await tail.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Mlflows_artifacts_fixture_command_line_serves_a_runs_files_through_the_http_artifact_root()
    {
        // The command line of MLflow's test_mlflow_artifacts.py fixture: --host/--port, a sqlite:/// backend store, an
        // http default artifact root naming this server's proxy, and a destination directory.
        var port = ServerProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var root = $"{url}/api/2.0/mlflow-artifacts/artifacts";
        var destination = Path.Combine(_work, "mlartifacts");
        await using var server = await ServerProcess.StartAsync(
            [
                "--data-dir", Path.Combine(_work, "data"), "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--backend-store-uri", "sqlite:///" + Path.Combine(_work, "mlruns.db"), "--default-artifact-root", root, "--artifacts-destination", destination,
            ],
            workingDirectory: _work, url: url);
        using var http = new HttpClient { BaseAddress = new Uri(url) };

        var run = (await (await http.PostAsJsonAsync("/api/2.0/mlflow/runs/create", new { experiment_id = "0" })).Content.ReadFromJsonAsync<JsonObject>())!["run"]!["info"]!;
        var (runId, artifactUri) = ((string)run["run_id"]!, (string)run["artifact_uri"]!);
        // What MLflow's client does with an http artifact URI: PUT each file under it, list through the proxy.
        (await http.PutAsync(new Uri($"{artifactUri}/a.txt"), new StringContent("0"))).EnsureSuccessStatusCode();
        (await http.PutAsync(new Uri($"{artifactUri}/dir/b.txt"), new StringContent("1"))).EnsureSuccessStatusCode();
        var proxyListing = await http.GetFromJsonAsync<JsonObject>($"/api/2.0/mlflow-artifacts/artifacts?path=0/{runId}/artifacts");
        var runListing = await http.GetFromJsonAsync<JsonObject>($"/api/2.0/mlflow/artifacts/list?run_id={runId}&path=dir");
        using var download = await http.GetAsync(new Uri($"{artifactUri}/a.txt"));
        using var getArtifact = await http.GetAsync($"/get-artifact?run_id={runId}&path=dir/b.txt");

        Assert.Equal($"{root}/0/{runId}/artifacts", artifactUri);
        Assert.Equal("0", await File.ReadAllTextAsync(Path.Combine(destination, "0", runId, "artifacts", "a.txt")));
        Assert.True(File.Exists(Path.Combine(_work, "mlruns.db")), server.Log);
        Assert.Equal(["a.txt", "dir"], proxyListing!["files"]!.AsArray().Select(f => (string)f!["path"]!));
        Assert.Equal(["dir/b.txt"], runListing!["files"]!.AsArray().Select(f => (string)f!["path"]!));
        Assert.Equal(artifactUri, (string?)runListing["root_uri"]);
        Assert.Equal("0", await download.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal("1", await getArtifact.Content.ReadAsStringAsync());
        Assert.Equal("nosniff", getArtifact.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Theory]
    [InlineData("--artifacts-destination", "gs://bucket/mlartifacts", "Cairn:ArtifactsDestination 'gs://bucket/mlartifacts' is not supported (gs:)")]
    [InlineData("--default-artifact-root", "gs://bucket/mlruns", "Cairn:DefaultArtifactRoot 'gs://bucket/mlruns' is not supported yet")]
    [InlineData("--default-artifact-root", "http://example.com/files", "is an http(s) URL without the artifact proxy's route /api/2.0/mlflow-artifacts/artifacts")]
    public async Task An_unsupported_artifact_location_stops_the_server_with_a_clear_message(string option, string value, string message)
    {
        var result = await Cli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--data-dir", Path.Combine(_work, "data"), option, value]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("s3://models/cairn", "s3://models/cairn/mlruns", "the destination lies inside the version files' location")]
    [InlineData("azure://models/cairn", "azure://models", "the version files' location lies inside the destination")]
    [InlineData("s3://models/cairn", "S3://models/cairn/", "are the same place")]
    public async Task A_destination_that_would_mix_mlflows_files_with_version_files_stops_the_server(string artifacts, string destination, string reason)
    {
        var result = await Cli.RunAsync(
            ["serve", "--urls", "http://127.0.0.1:0", "--data-dir", Path.Combine(_work, "data"), "--artifacts", artifacts, "--artifacts-destination", destination],
            new Dictionary<string, string> { ["CAIRN_AZURE_CONNECTION_STRING"] = "UseDevelopmentStorage=true" });

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(reason, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("a folder whose name starts with '.'", result.Stderr, StringComparison.Ordinal);
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

    /// <summary>A readable stream of <c>i % 251</c> bytes, so that a large body needs no memory.</summary>
    private sealed class PatternStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = (byte)((_position + i) % 251);
            }
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
