using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;

namespace Cairn.IntegrationTests;

/// <summary><c>cairn serve --artifacts s3://…</c> and <c>azure://…</c> against real protocol servers (s3rver, Azurite).</summary>
public sealed class ObjectStoreServeTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("cairn-objectstore-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [S3Fact]
    public async Task Files_go_to_s3_and_come_back_whole_with_their_checksum()
    {
        var (location, env) = S3.Location();
        await RoundTripAsync(["--artifacts", location], env);
    }

    [AzureFact]
    public async Task Files_go_to_azure_blob_storage_and_come_back_whole_with_their_checksum()
    {
        await RoundTripAsync(["--artifacts", $"azure://cairn-test/{Guid.NewGuid():N}"],
            new Dictionary<string, string> { ["CAIRN_AZURE_CONNECTION_STRING"] = Azure.ConnectionString! });
    }

    private async Task RoundTripAsync(string[] args, Dictionary<string, string> env)
    {
        await using var server = await ServerProcess.StartAsync(["--data-dir", Path.Combine(_work, "data"), .. args], env);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var bytes = RandomNumberGenerator.GetBytes(40_000_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/v1/models", new { @namespace = "/", model_name = "remote" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/v1/models/remote/versions", new { status = "PENDING_REGISTRATION" })).StatusCode);

        using var put = new HttpRequestMessage(HttpMethod.Put, "/api/v1/models/remote/versions/1/files/model.bin") { Content = new ByteArrayContent(bytes) };
        put.Headers.Add("X-Checksum-Sha256", sha);
        using var stored = await http.SendAsync(put);
        Assert.True(stored.StatusCode == HttpStatusCode.Created, await stored.Content.ReadAsStringAsync() + server.Log);
        using var wrong = new HttpRequestMessage(HttpMethod.Put, "/api/v1/models/remote/versions/1/files/other.bin") { Content = new ByteArrayContent([1, 2, 3]) };
        wrong.Headers.Add("X-Checksum-Sha256", sha);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(wrong)).StatusCode);

        using var download = await http.GetAsync("/api/v1/models/remote/versions/1/files/model.bin");
        Assert.Equal($"\"{sha}\"", download.Headers.ETag?.Tag);
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(await download.Content.ReadAsByteArrayAsync())));
        var listed = await http.GetStringAsync("/api/v1/models/remote/versions/1/files");
        Assert.Contains("model.bin", listed, StringComparison.Ordinal);
        Assert.DoesNotContain("other.bin", listed, StringComparison.Ordinal);
    }
}
