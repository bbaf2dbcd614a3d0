using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Cairn.Tests.Api;

public sealed class FilesApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<string> PendingVersionAsync(string name)
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/files", model_name = name })).ExpectAsync(201);
        await (await _client.PostJsonAsync($"/api/v1/models/files.{name}/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);
        return $"/api/v1/models/files.{name}/versions/1";
    }

    private static ByteArrayContent Bytes(byte[] data) => new(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    private static byte[] Data(int size, int seed = 1)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task A_file_round_trips_with_its_sha256_as_etag_and_in_the_listing()
    {
        var version = await PendingVersionAsync("roundtrip");
        var data = Data(300_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(data));

        var stored = await (await _client.PutAsync($"{version}/files/weights/model.bin", Bytes(data))).ExpectAsync(201);
        Assert.Equal(sha, (string?)stored["sha256"]);
        Assert.Equal(data.Length, (long)stored["size"]!);

        var response = await _client.GetAsync($"{version}/files/weights/model.bin");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"\"{sha}\"", response.Headers.ETag?.Tag);
        Assert.Equal(data.Length, response.Content.Headers.ContentLength);
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.Equal(data, await response.Content.ReadAsByteArrayAsync());

        var listing = (await (await _client.GetAsync($"{version}/files")).ExpectAsync(200))["files"]!.AsArray();
        Assert.Equal("weights/model.bin", (string?)listing.Single()!["path"]);
        Assert.Equal(sha, (string?)listing.Single()!["sha256"]);
        Assert.True(File.Exists(Path.Combine(app.DataDir, "artifacts", "files", "roundtrip", "1", "weights", "model.bin")));
    }

    [Fact]
    public async Task A_landed_model_file_fills_the_versions_format_and_a_corrupt_one_records_why()
    {
        var version = await PendingVersionAsync("introspect");
        var header = System.Text.Encoding.UTF8.GetBytes("""{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}""");
        var file = new byte[8 + header.Length + 16];
        BitConverter.TryWriteBytes(file.AsSpan(0, 8), (long)header.Length);
        header.CopyTo(file, 8);

        var stored = await (await _client.PutAsync($"{version}/files/model.safetensors", Bytes(file))).ExpectAsync(201);
        Assert.Equal("safetensors", (string?)stored["format"]);
        var described = await (await _client.GetAsync(version)).ExpectAsync(200);
        Assert.Equal("safetensors", (string?)described["format"]);
        Assert.Equal("safetensors", (string?)described["framework"]);
        Assert.Equal("4", (string?)described["format_properties"]!["parameter_count"]);
        Assert.Null(described["introspection_error"]);

        await (await _client.PutAsync($"{version}/files/broken.gguf", Bytes([1, 2, 3, 4, 5]))).ExpectAsync(201);
        var broken = await (await _client.GetAsync(version)).ExpectAsync(200);
        Assert.Equal("gguf", (string?)broken["format"]);
        Assert.False(string.IsNullOrEmpty((string?)broken["introspection_error"]));

        await (await _client.PutAsync($"{version}/files/README.md", Bytes("notes"u8.ToArray()))).ExpectAsync(201);
        Assert.Equal("gguf", (string?)(await (await _client.GetAsync(version)).ExpectAsync(200))["format"]);
    }

    [Fact]
    public async Task A_saved_model_directory_uploaded_into_a_version_fills_its_signature()
    {
        var version = await PendingVersionAsync("savedmodel");
        await (await _client.PutAsync($"{version}/files/export/variables/variables.index", Bytes([1]))).ExpectAsync(201);
        await (await _client.PutAsync($"{version}/files/export/saved_model.pb", Bytes(Formats.SavedModelFormatTests.SavedModel()))).ExpectAsync(201);

        var described = await (await _client.GetAsync(version)).ExpectAsync(200);

        Assert.Equal("savedmodel", (string?)described["format"]);
        Assert.Equal("tensorflow", (string?)described["framework"]);
        Assert.Equal("images", (string?)described["signature"]!["inputs"]![0]!["name"]);
        Assert.Equal("true", (string?)described["format_properties"]!["has_variables"]);
    }

    [Fact]
    public async Task Variables_uploaded_after_saved_model_pb_are_counted()
    {
        var version = await PendingVersionAsync("savedmodel-late-variables");
        await (await _client.PutAsync($"{version}/files/saved_model.pb", Bytes(Formats.SavedModelFormatTests.SavedModel()))).ExpectAsync(201);
        Assert.Equal("false", (string?)(await (await _client.GetAsync(version)).ExpectAsync(200))["format_properties"]!["has_variables"]);

        await (await _client.PutAsync($"{version}/files/variables/variables.index", Bytes([1]))).ExpectAsync(201);

        var described = await (await _client.GetAsync(version)).ExpectAsync(200);
        Assert.Equal("savedmodel", (string?)described["format"]);
        Assert.Equal("true", (string?)described["format_properties"]!["has_variables"]);
        Assert.Equal("images", (string?)described["signature"]!["inputs"]![0]!["name"]);
    }

    [Fact]
    public async Task A_range_request_returns_206_with_exactly_those_bytes()
    {
        var version = await PendingVersionAsync("range");
        var data = Data(10_000, 7);
        await (await _client.PutAsync($"{version}/files/m.bin", Bytes(data))).ExpectAsync(201);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{version}/files/m.bin");
        request.Headers.Range = new RangeHeaderValue(1000, 1999);
        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(1000, response.Content.Headers.ContentLength);
        Assert.Equal("bytes 1000-1999/10000", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(data[1000..2000], await response.Content.ReadAsByteArrayAsync());

        using var beyond = new HttpRequestMessage(HttpMethod.Get, $"{version}/files/m.bin");
        beyond.Headers.Range = new RangeHeaderValue(20_000, 30_000);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await _client.SendAsync(beyond)).StatusCode);
    }

    [Fact]
    public async Task Declared_checksums_are_verified_and_a_mismatch_keeps_nothing()
    {
        var version = await PendingVersionAsync("checksums");
        var data = Data(5000, 3);

        using var goodMd5 = Bytes(data);
        goodMd5.Headers.ContentMD5 = MD5.HashData(data);
        await (await _client.PutAsync($"{version}/files/ok.bin", goodMd5)).ExpectAsync(201);

        using var badSha = Bytes(data);
        badSha.Headers.Add("X-Checksum-Sha256", new string('0', 64));
        var problem = await (await _client.PutAsync($"{version}/files/bad.bin", badSha)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("Nothing was stored", (string?)problem["detail"], StringComparison.Ordinal);

        using var badMd5 = Bytes(data);
        badMd5.Headers.ContentMD5 = MD5.HashData([1, 2, 3]);
        await (await _client.PutAsync($"{version}/files/bad.bin", badMd5)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        await (await _client.GetAsync($"{version}/files/bad.bin")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        Assert.Single((await (await _client.GetAsync($"{version}/files")).ExpectAsync(200))["files"]!.AsArray());
        Assert.Empty(Directory.GetFiles(Path.Combine(app.DataDir, "artifacts", ".staging")));
    }

    [Theory]
    [InlineData("..%2Fescape.bin")]
    [InlineData("a/..%2F..%2Fescape.bin")]
    [InlineData("a%5Cb.bin")]
    [InlineData("%2Fetc%2Fpasswd")]
    [InlineData("a//b.bin")]
    public async Task Paths_that_could_escape_or_are_ambiguous_are_rejected(string path)
    {
        var version = await PendingVersionAsync($"traversal{Math.Abs(path.GetHashCode(StringComparison.Ordinal))}");
        await (await _client.PutAsync($"{version}/files/{path}", Bytes([1, 2, 3]))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.False(File.Exists(Path.Combine(app.DataDir, "artifacts", "escape.bin")));
        Assert.False(File.Exists(Path.Combine(app.DataDir, "escape.bin")));
    }

    [Fact]
    public async Task A_ready_version_is_frozen()
    {
        var version = await PendingVersionAsync("frozen");
        await (await _client.PutAsync($"{version}/files/a.bin", Bytes([1]))).ExpectAsync(201);
        await (await _client.PatchJsonAsync(version, new { status = "READY" })).ExpectAsync(200);

        var problem = await (await _client.PutAsync($"{version}/files/b.bin", Bytes([2]))).ExpectAsync(409, "INVALID_STATE");
        Assert.Contains("frozen", (string?)problem["detail"], StringComparison.Ordinal);
        await (await _client.DeleteAsync($"{version}/files/a.bin")).ExpectAsync(409, "INVALID_STATE");
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"{version}/files/a.bin")).StatusCode);
    }

    [Fact]
    public async Task The_size_limit_refuses_a_larger_file_and_keeps_nothing()
    {
        using var limited = new LimitedApp();
        var client = limited.CreateClient();
        await (await client.PostJsonAsync("/api/v1/models", new { model_name = "big" })).ExpectAsync(201);
        await (await client.PostJsonAsync("/api/v1/models/big/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);

        await (await client.PutAsync("/api/v1/models/big/versions/1/files/a.bin", Bytes(Data(2048)))).ExpectAsync(413, "REQUEST_LIMIT_EXCEEDED");
        await (await client.PutAsync("/api/v1/models/big/versions/1/files/b.bin", Bytes(Data(1024)))).ExpectAsync(201);

        Assert.Single((await (await client.GetAsync("/api/v1/models/big/versions/1/files")).ExpectAsync(200))["files"]!.AsArray());
        Assert.Empty(Directory.GetFiles(Path.Combine(limited.DataDir, "artifacts", ".staging")));
    }

    [Fact]
    public async Task Deleting_a_file_a_version_or_a_model_removes_the_stored_bytes()
    {
        var version = await PendingVersionAsync("cleanup");
        await (await _client.PutAsync($"{version}/files/a.bin", Bytes([1]))).ExpectAsync(201);
        await (await _client.PutAsync($"{version}/files/b.bin", Bytes([2]))).ExpectAsync(201);
        var folder = Path.Combine(app.DataDir, "artifacts", "files", "cleanup", "1");

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"{version}/files/a.bin")).StatusCode);
        Assert.False(File.Exists(Path.Combine(folder, "a.bin")));
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync("/api/v1/models/files.cleanup")).StatusCode);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task Uploads_and_deletes_are_audited_and_a_file_is_replaced_only_by_delete_then_put()
    {
        var version = await PendingVersionAsync("audited");
        await (await _client.PutAsync($"{version}/files/a.bin", Bytes([1]))).ExpectAsync(201);
        await (await _client.PutAsync($"{version}/files/a.bin", Bytes([2]))).ExpectAsync(409, "RESOURCE_ALREADY_EXISTS");
        await (await _client.DeleteAsync($"{version}/files/a.bin")).ExpectAsync(204);
        await (await _client.PutAsync($"{version}/files/a.bin", Bytes([2]))).ExpectAsync(201);

        var entries = (await (await _client.GetAsync("/api/v1/audit?resource=models/files.audited/versions/1/files/a.bin")).ExpectAsync(200))["entries"]!.AsArray();
        Assert.Equal(["version.file.put", "version.file.delete", "version.file.put"], entries.Select(e => (string?)e!["action"]));
        Assert.Equal([2], await _client.GetByteArrayAsync($"{version}/files/a.bin"));
    }

    private sealed class LimitedApp : CairnApp
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Cairn:MaxFileBytes", "1024");
        }
    }
}
