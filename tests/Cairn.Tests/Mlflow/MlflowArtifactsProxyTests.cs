using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cairn.Artifacts;
using Cairn.Governance;
using Cairn.Storage;
using Cairn.Tests.Api;
using Cairn.Tests.Artifacts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// MLflow's artifact proxy (mlflow_artifacts.proto) over its destination store, under both prefixes: the same behaviour
/// whether the destination is a directory (<see cref="MlflowArtifactsProxyTests"/>), an S3 bucket or an Azure container.
/// </summary>
public abstract class MlflowArtifactsProxyContract<TApp>(TApp app) : IClassFixture<TApp>
    where TApp : CairnApp
{
    private readonly HttpClient _client = app.CreateClient();

    protected TApp App => app;

    internal static ByteArrayContent Bytes(byte[] data) => new(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    /// <summary>Where the destination should be, opened independently of the server.</summary>
    protected abstract IArtifactStore ExpectedDestination();

    /// <summary>Where uploads in flight are staged on this machine.</summary>
    protected abstract string Staging { get; }

    /// <summary>Skips (saying why) when the store's server is not available here.</summary>
    protected virtual void RequireStore()
    {
    }

    private static Uri Proxy(string path, string prefix = "/api/2.0/mlflow-artifacts") => new($"{prefix}/artifacts/{path}", UriKind.Relative);

    private static Uri Listing(string? path, string prefix = "/api/2.0/mlflow-artifacts") =>
        new(path is null ? $"{prefix}/artifacts" : $"{prefix}/artifacts?path={path}", UriKind.Relative);

    private IEnumerable<string> StagedFiles() => Directory.Exists(Staging) ? Directory.EnumerateFiles(Staging) : [];

    private async Task<byte[]?> StoredAsync(string key)
    {
        var store = ExpectedDestination();
        if (!await store.ExistsAsync(key, default))
        {
            return null;
        }
        await using var read = await store.OpenReadAsync(key, 0, null, default);
        using var bytes = new MemoryStream();
        await read.CopyToAsync(bytes);
        return bytes.ToArray();
    }

    [SkippableFact]
    public async Task A_file_goes_up_lands_at_its_path_and_comes_back_whole_and_in_ranges()
    {
        RequireStore();
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();

        var put = await (await _client.PutAsync(Proxy("1/run1/artifacts/model/model.bin"), Bytes(data))).OkAsync();

        Assert.Empty(put);
        Assert.Equal(data, await StoredAsync("1/run1/artifacts/model/model.bin"));
        using var whole = await _client.GetAsync(Proxy("1/run1/artifacts/model/model.bin"));
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(10_000, whole.Content.Headers.ContentLength);
        Assert.Equal("application/octet-stream", whole.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", whole.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("model.bin", whole.Content.Headers.ContentDisposition.FileName);
        Assert.Equal("nosniff", whole.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(data, await whole.Content.ReadAsByteArrayAsync());

        using var ranged = new HttpRequestMessage(HttpMethod.Get, Proxy("1/run1/artifacts/model/model.bin")) { Headers = { Range = new RangeHeaderValue(100, 199) } };
        using var partial = await _client.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(100, partial.Content.Headers.ContentLength);
        Assert.Equal("bytes 100-199/10000", partial.Content.Headers.ContentRange!.ToString());
        Assert.Equal(data[100..200], await partial.Content.ReadAsByteArrayAsync());
        using var tail = new HttpRequestMessage(HttpMethod.Get, Proxy("1/run1/artifacts/model/model.bin")) { Headers = { Range = new RangeHeaderValue(null, 10) } };
        Assert.Equal(data[^10..], await (await _client.SendAsync(tail)).Content.ReadAsByteArrayAsync());
        using var beyond = new HttpRequestMessage(HttpMethod.Get, Proxy("1/run1/artifacts/model/model.bin")) { Headers = { Range = new RangeHeaderValue(20_000, null) } };
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await _client.SendAsync(beyond)).StatusCode);
        Assert.Empty(StagedFiles());
    }

    [SkippableFact]
    public async Task An_upload_replaces_the_file_at_its_path()
    {
        RequireStore();
        await (await _client.PutAsync(Proxy("replace/f.bin"), Bytes([1, 2, 3]))).OkAsync();
        await (await _client.PutAsync(Proxy("replace/f.bin"), Bytes([4]))).OkAsync();

        Assert.Equal([4], await _client.GetByteArrayAsync(Proxy("replace/f.bin")));
    }

    [SkippableTheory]
    [InlineData("MLmodel", "text/plain")]
    [InlineData("conda.yaml", "text/plain")]
    [InlineData("metrics.json", "text/plain")]
    [InlineData("plot.png", "image/png")]
    [InlineData("page.html", "text/html")]
    [InlineData("weights.pkl", "application/octet-stream")]
    [InlineData("noext", "application/octet-stream")]
    public async Task Downloads_are_typed_as_mlflow_types_them(string name, string contentType)
    {
        RequireStore();
        await (await _client.PutAsync(Proxy($"types/{name}"), Bytes([1]))).OkAsync();

        using var response = await _client.GetAsync(Proxy($"types/{name}"));

        Assert.Equal(contentType, response.Content.Headers.ContentType!.MediaType);
    }

    [SkippableFact]
    public async Task Listing_names_entries_of_one_directory_by_base_name_with_sizes()
    {
        RequireStore();
        await (await _client.PutAsync(Proxy("list/a.txt"), Bytes([1, 2, 3]))).OkAsync();
        await (await _client.PutAsync(Proxy("list/sub/b.txt"), Bytes([1]))).OkAsync();
        await (await _client.PutAsync(Proxy("list/sub/deeper/c.bin"), Bytes([1, 2]))).OkAsync();

        var top = (await (await _client.GetAsync(Listing("list"))).OkAsync())["files"]!.AsArray();
        var sub = (await (await _client.GetAsync(Listing("list/sub/"))).OkAsync())["files"]!.AsArray();

        Assert.Equal(["a.txt", "sub"], top.Select(f => (string)f!["path"]!));
        Assert.Equal(3, (long)top[0]!["file_size"]!);
        Assert.False((bool)top[0]!["is_dir"]!);
        Assert.True((bool)top[1]!["is_dir"]!);
        Assert.Null(top[1]!["file_size"]);
        Assert.Equal(["b.txt", "deeper"], sub.Select(f => (string)f!["path"]!));
        Assert.Equal([false, true], sub.Select(f => (bool)f!["is_dir"]!));
    }

    [SkippableFact]
    public async Task The_root_listing_leaves_out_uploads_in_progress()
    {
        RequireStore();
        await (await _client.PutAsync(Proxy("rootlisted/x.bin"), Bytes([1]))).OkAsync();

        var names = (await (await _client.GetAsync(Listing(null))).OkAsync())["files"]!.AsArray().Select(f => (string)f!["path"]!).ToList();

        Assert.Contains("rootlisted", names);
        Assert.DoesNotContain(".staging", names);
        await (await _client.GetAsync(Proxy(".staging/x"))).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [SkippableFact]
    public async Task Nothing_to_list_is_an_empty_object_as_protobuf_writes_it()
    {
        RequireStore();
        await (await _client.PutAsync(Proxy("emptylist/file.bin"), Bytes([1]))).OkAsync();

        Assert.Equal("{}", await (await _client.GetAsync(Listing("no/such/dir"))).Content.ReadAsStringAsync());
        Assert.Equal("{}", await (await _client.GetAsync(Listing("emptylist/file.bin"))).Content.ReadAsStringAsync());
    }

    [SkippableFact]
    public async Task Deleting_removes_a_file_or_a_directory_and_a_missing_path_is_no_error_as_in_mlflow()
    {
        RequireStore();
        await (await _client.PutAsync(Proxy("del/x.bin"), Bytes([9]))).OkAsync();
        await (await _client.PutAsync(Proxy("deldir/a/1.bin"), Bytes([1]))).OkAsync();
        await (await _client.PutAsync(Proxy("deldir/a/2.bin"), Bytes([2]))).OkAsync();

        Assert.Empty(await (await _client.DeleteAsync(Proxy("del/x.bin"))).OkAsync());
        await (await _client.DeleteAsync(Proxy("deldir/a"))).OkAsync();

        await (await _client.GetAsync(Proxy("del/x.bin"))).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
        Assert.Null(await StoredAsync("deldir/a/1.bin"));
        Assert.Null(await StoredAsync("deldir/a/2.bin"));
        Assert.Empty(await (await _client.DeleteAsync(Proxy("del/x.bin"))).OkAsync());
    }

    [SkippableFact]
    public async Task Each_write_is_one_audit_entry()
    {
        RequireStore();
        await (await _client.PutAsync(Proxy("audited/f.bin"), Bytes([1, 2]))).OkAsync();
        await (await _client.DeleteAsync(Proxy("audited/f.bin"))).OkAsync();
        await (await _client.DeleteAsync(Proxy("audited/f.bin"))).OkAsync();

        Assert.Equal(1, await App.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'artifact.put' AND resource = 'mlflow-artifacts/audited/f.bin'"));
        Assert.Equal(1, await App.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'artifact.delete' AND resource = 'mlflow-artifacts/audited/f.bin'"));
    }

    [SkippableTheory]
    [InlineData("a/%252E%252E/%252E%252E/escape.bin")]
    [InlineData("a%5Cb.bin")]
    [InlineData("a/b%23c.bin")]
    public async Task Unsafe_upload_paths_are_refused_as_invalid(string path)
    {
        RequireStore();
        using var response = await _client.PutAsync(new Uri($"/api/2.0/mlflow-artifacts/artifacts/{path}", UriKind.Relative), Bytes([1]));

        await response.MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.False(File.Exists(Path.Combine(app.DataDir, "escape.bin")));
    }

    [SkippableTheory]
    [InlineData("..")]
    [InlineData("a/../..")]
    [InlineData("/etc")]
    [InlineData("%2Fetc")]
    [InlineData("a%00b")]
    [InlineData("a%5C..%5C..")]
    [InlineData("%252E%252E")]
    public async Task Unsafe_listing_paths_are_refused_as_invalid(string path)
    {
        RequireStore();
        await (await _client.GetAsync(Listing(path))).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [SkippableFact]
    public async Task Paths_that_the_client_normalises_away_never_reach_outside_the_destination()
    {
        RequireStore();
        // HttpClient and Kestrel remove dot segments before routing: whatever arrives, nothing lands outside.
        using var response = await _client.PutAsync(new Uri("/api/2.0/mlflow-artifacts/artifacts/a/../../../escape.bin", UriKind.Relative), Bytes([1]));

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.False(File.Exists(Path.Combine(app.DataDir, "escape.bin")));
    }

    [SkippableFact]
    public async Task A_file_cannot_replace_a_directory_nor_sit_under_a_file()
    {
        RequireStore();
        await (await _client.PutAsync(Proxy("clash/dir/f.bin"), Bytes([1]))).OkAsync();
        await (await _client.PutAsync(Proxy("clash/file.bin"), Bytes([1]))).OkAsync();

        await (await _client.PutAsync(Proxy("clash/dir"), Bytes([2]))).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "is a directory");
        await (await _client.PutAsync(Proxy("clash/file.bin/inner"), Bytes([2]))).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "which is a file");
    }

    [SkippableFact]
    public async Task A_dropped_upload_leaves_nothing_behind()
    {
        RequireStore();
        using var content = new StreamContent(new FailingStream(200_000));

        await Assert.ThrowsAnyAsync<Exception>(() => _client.PutAsync(Proxy("dropped/big.bin"), content));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (StagedFiles().Any() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Empty(StagedFiles());
        Assert.Null(await StoredAsync("dropped/big.bin"));
    }

    [SkippableFact]
    public async Task Multipart_create_is_declined_as_mlflow_declines_it_for_a_local_store()
    {
        RequireStore();
        var body = new StringContent("{\"path\":\"model.bin\",\"num_parts\":2}", Encoding.UTF8, "application/json");

        using var response = await _client.PostAsync(new Uri("/api/2.0/mlflow-artifacts/mpu/create/big/model.bin", UriKind.Relative), body);

        await response.MlflowErrorAsync(501, "NOT_IMPLEMENTED", "Multipart upload is not supported for the current artifact repository");
    }

    [SkippableTheory]
    [InlineData("complete", "{\"path\":\"m.bin\",\"upload_id\":\"u\",\"parts\":[{\"part_number\":1,\"etag\":\"e\"}]}")]
    [InlineData("abort", "{\"path\":\"m.bin\",\"upload_id\":\"u\"}")]
    public async Task Multipart_complete_and_abort_are_declined_too(string action, string json)
    {
        RequireStore();
        using var response = await _client.PostAsync(new Uri($"/ajax-api/2.0/mlflow-artifacts/mpu/{action}/big/m.bin", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

        await response.MlflowErrorAsync(501, "NOT_IMPLEMENTED");
    }

    [SkippableTheory]
    [InlineData("create", "{\"num_parts\":2}", "'path'")]
    [InlineData("complete", "{\"path\":\"m.bin\",\"upload_id\":\"u\"}", "'parts'")]
    [InlineData("abort", "{}", "'path'")]
    public async Task Multipart_requests_are_validated_first_as_mlflow_validates_them(string action, string json, string missing)
    {
        RequireStore();
        using var response = await _client.PostAsync(new Uri($"/api/2.0/mlflow-artifacts/mpu/{action}/big/m.bin", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

        await response.MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"Missing value for required parameter {missing}");
        await (await _client.PostAsync(new Uri($"/api/2.0/mlflow-artifacts/mpu/{action}/a/%252E%252E/m.bin", UriKind.Relative), new StringContent("{\"path\":\"m.bin\",\"parts\":[]}", Encoding.UTF8, "application/json")))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [SkippableFact]
    public async Task The_ajax_api_prefix_serves_the_same_files()
    {
        RequireStore();
        const string Ajax = "/ajax-api/2.0/mlflow-artifacts";
        await (await _client.PutAsync(Proxy("ajax/f.txt", Ajax), Bytes([5, 6]))).OkAsync();

        Assert.Equal([5, 6], await _client.GetByteArrayAsync(Proxy("ajax/f.txt")));
        Assert.Equal([5, 6], await _client.GetByteArrayAsync(Proxy("ajax/f.txt", Ajax)));
        Assert.Equal(["f.txt"], (await (await _client.GetAsync(Listing("ajax", Ajax))).OkAsync())["files"]!.AsArray().Select(f => (string)f!["path"]!));
        await (await _client.DeleteAsync(Proxy("ajax/f.txt", Ajax))).OkAsync();
        await (await _client.GetAsync(Proxy("ajax/f.txt", Ajax))).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [SkippableFact]
    public async Task The_start_up_clean_up_takes_only_old_unrecorded_version_files_never_the_proxys_nor_recorded_ones()
    {
        RequireStore();
        var model = "janitor" + Guid.NewGuid().ToString("N")[..8];
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/clean", model_name = model })).ExpectAsync(201);
        await (await _client.PostJsonAsync($"/api/v1/models/clean.{model}/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);
        await (await _client.PutAsync(new Uri($"/api/v1/models/clean.{model}/versions/1/files/model.bin", UriKind.Relative), Bytes([1, 2, 3]))).ExpectAsync(201);
        await (await _client.PutAsync(Proxy("janitor/run/artifacts/model.bin"), Bytes([4, 5]))).OkAsync();
        // What a replica killed between storing a file and committing its row leaves behind.
        var versions = App.Services.GetRequiredService<IArtifactStore>();
        await using (var staged = await versions.StageAsync($"clean/{model}/9/lost.bin", new MemoryStream([6]), long.MaxValue, withMd5: false, default))
        {
            await versions.CommitAsync(staged, $"clean/{model}/9/lost.bin", default);
        }
        var files = App.Services.GetRequiredService<VersionFiles>();
        VersionFiles Later(TimeSpan ahead) => new(App.Services.GetRequiredService<CairnDatabase>(), versions, App.Services.GetRequiredService<AuditChain>(),
            new LaterClock(ahead), App.Services.GetRequiredService<ArtifactLimits>());

        // Young: it may be another replica's upload whose row is about to commit.
        await files.RemoveOrphansAsync(default);
        Assert.True(await versions.ExistsAsync($"clean/{model}/9/lost.bin", default));

        await Later(VersionFiles.OrphanGracePeriod + TimeSpan.FromMinutes(1)).RemoveOrphansAsync(default);

        Assert.False(await versions.ExistsAsync($"clean/{model}/9/lost.bin", default));
        Assert.Equal([1, 2, 3], await _client.GetByteArrayAsync(new Uri($"/api/v1/models/clean.{model}/versions/1/files/model.bin", UriKind.Relative)));
        Assert.Equal([4, 5], await _client.GetByteArrayAsync(Proxy("janitor/run/artifacts/model.bin")));
    }

    private sealed class LaterClock(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + ahead;
    }

    /// <summary>Sends some bytes, then fails as a dropped connection does.</summary>
    private sealed class FailingStream(int before) : Stream
    {
        private int _sent;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _sent; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_sent >= before)
            {
                throw new IOException("connection dropped");
            }
            var n = Math.Min(count, before - _sent);
            Array.Fill(buffer, (byte)1, offset, n);
            _sent += n;
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

/// <summary>The proxy with its default destination, <c>{data dir}/mlartifacts</c>.</summary>
public sealed class MlflowArtifactsProxyTests(CairnApp app) : MlflowArtifactsProxyContract<CairnApp>(app)
{

    protected override string Staging => Path.Combine(App.DataDir, "mlartifacts", ".staging");

    protected override IArtifactStore ExpectedDestination() => new FileSystemArtifactStore(Path.Combine(App.DataDir, "mlartifacts"));
}

/// <summary>
/// The proxy on S3 (s3rver) with version files in <c>s3://cairn-test/&lt;run&gt;</c> and no destination set: MLflow's
/// files go to that location's <c>.mlartifacts</c> folder, which every replica shares.
/// </summary>
public sealed class MlflowArtifactsProxyOnS3Tests(MlflowArtifactsProxyOnS3Tests.S3App app) : MlflowArtifactsProxyContract<MlflowArtifactsProxyOnS3Tests.S3App>(app)
{
    protected override string Staging => Path.Combine(App.DataDir, ".staging", "mlflow-artifacts");

    protected override void RequireStore() =>
        Skip.If(S3ArtifactStoreTests.Endpoint is null, "needs an S3 server: run scripts/test, or set CAIRN_TEST_S3_ENDPOINT to one with a bucket 'cairn-test'");

    protected override IArtifactStore ExpectedDestination() =>
        ArtifactStores.Open($"{App.Location}/.mlartifacts", Path.Combine(App.DataDir, "check"), S3ArtifactStoreTests.Settings);

    public sealed class S3App : CairnApp
    {
        public string Location { get; } = $"s3://cairn-test/{Guid.NewGuid():N}";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Cairn:Artifacts", Location);
            builder.UseSetting("Cairn:S3:Endpoint", S3ArtifactStoreTests.Endpoint ?? "http://127.0.0.1:9");
            builder.UseSetting("Cairn:S3:Region", S3ArtifactStoreTests.Settings.Region);
            builder.UseSetting("Cairn:S3:AccessKeyId", S3ArtifactStoreTests.Settings.AccessKeyId);
            builder.UseSetting("Cairn:S3:SecretAccessKey", S3ArtifactStoreTests.Settings.SecretAccessKey);
        }
    }
}

/// <summary>The proxy on Azure Blob Storage (Azurite), its destination set explicitly to a container of its own.</summary>
public sealed class MlflowArtifactsProxyOnAzureTests(MlflowArtifactsProxyOnAzureTests.AzureApp app) : MlflowArtifactsProxyContract<MlflowArtifactsProxyOnAzureTests.AzureApp>(app)
{
    protected override string Staging => Path.Combine(App.DataDir, ".staging", "mlflow-artifacts");

    protected override void RequireStore() =>
        Skip.If(AzureBlobArtifactStoreTests.ConnectionString is null, "needs an Azure Blob service: run scripts/test, or set CAIRN_TEST_AZURE_CONNECTION_STRING (Azurite's works)");

    protected override IArtifactStore ExpectedDestination() =>
        ArtifactStores.Open(App.Destination, Path.Combine(App.DataDir, "check"), azureConnectionString: AzureBlobArtifactStoreTests.ConnectionString);

    public sealed class AzureApp : CairnApp
    {
        public string Destination { get; } = $"azure://mlartifacts/{Guid.NewGuid():N}";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Cairn:Artifacts", $"azure://cairn-test/{Guid.NewGuid():N}");
            builder.UseSetting("Cairn:ArtifactsDestination", Destination);
            builder.UseSetting("Cairn:AzureConnectionString", AzureBlobArtifactStoreTests.ConnectionString ?? "UseDevelopmentStorage=true");
        }
    }
}

/// <summary>The proxy's size limit is the server's Cairn:MaxFileBytes.</summary>
public sealed class MlflowArtifactsSizeLimitTests(MlflowArtifactsSizeLimitTests.SmallFilesApp app) : IClassFixture<MlflowArtifactsSizeLimitTests.SmallFilesApp>
{
    public sealed class SmallFilesApp : CairnApp
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Cairn:MaxFileBytes", "1000");
        }
    }

    [Fact]
    public async Task A_file_over_the_limit_is_refused_with_413_and_nothing_is_kept()
    {
        using var client = app.CreateClient();
        var uri = new Uri("/api/2.0/mlflow-artifacts/artifacts/limit/big.bin", UriKind.Relative);

        await (await client.PutAsync(uri, MlflowArtifactsProxyTests.Bytes(new byte[1000]))).OkAsync();
        await (await client.PutAsync(uri, MlflowArtifactsProxyTests.Bytes(new byte[1001]))).MlflowErrorAsync(413, "REQUEST_LIMIT_EXCEEDED", "1000 bytes");
        // Without a Content-Length the limit applies while the body streams.
        using var chunked = new StreamContent(new MemoryStream(new byte[5000]));
        chunked.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Put, uri) { Content = chunked, Headers = { TransferEncodingChunked = true } };
        await (await client.SendAsync(request)).MlflowErrorAsync(413, "REQUEST_LIMIT_EXCEEDED");

        Assert.Equal(1000, new FileInfo(Path.Combine(app.DataDir, "mlartifacts", "limit", "big.bin")).Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(app.DataDir, "mlartifacts", ".staging")));
    }
}

public sealed class MlflowArtifactsAuthTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_reader_may_download_and_list_but_not_upload_delete_or_start_a_multipart_upload()
    {
        using var writer = app.ClientWithToken(await app.TokenAsync("art-writer", "writer"));
        using var reader = app.ClientWithToken(await app.TokenAsync("art-reader", "reader"));
        using var anonymous = app.CreateClient();
        var uri = new Uri("/api/2.0/mlflow-artifacts/artifacts/auth/file.bin", UriKind.Relative);
        await (await writer.PutAsync(uri, new ByteArrayContent([1, 2, 3]))).OkAsync();

        Assert.Equal([1, 2, 3], await reader.GetByteArrayAsync(uri));
        await (await reader.GetAsync(new Uri("/api/2.0/mlflow-artifacts/artifacts?path=auth", UriKind.Relative))).OkAsync();
        await (await reader.PutAsync(uri, new ByteArrayContent([4]))).MlflowErrorAsync(403, "PERMISSION_DENIED");
        await (await reader.DeleteAsync(uri)).MlflowErrorAsync(403, "PERMISSION_DENIED");
        await (await reader.PostAsync(new Uri("/api/2.0/mlflow-artifacts/mpu/create/auth/file.bin", UriKind.Relative), new StringContent("{\"path\":\"file.bin\"}")))
            .MlflowErrorAsync(403, "PERMISSION_DENIED");
        await (await anonymous.GetAsync(uri)).MlflowErrorAsync(401, "UNAUTHENTICATED");
        Assert.Equal([1, 2, 3], await reader.GetByteArrayAsync(uri));
    }
}
