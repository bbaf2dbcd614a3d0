using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Cairn.Tests.Mlflow;

namespace Cairn.Tests.Api;

/// <summary>
/// Downloads answer as HTTP says, on the native files API and MLflow's artifact proxy alike (one implementation): HEAD
/// gives the headers only, the proxy sends an ETag and honours If-Range, and a Range in a unit other than bytes is ignored.
/// </summary>
public sealed class FileDownloadTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static readonly byte[] Data = [10, 11, 12, 13, 14, 15, 16, 17];

    private readonly HttpClient _client = app.CreateClient();

    private static ByteArrayContent Bytes(byte[] data) => new(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    private async Task<string> NativeFileAsync(string model)
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/dl", model_name = model })).ExpectAsync(201);
        await (await _client.PostJsonAsync($"/api/v1/models/dl.{model}/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);
        var url = $"/api/v1/models/dl.{model}/versions/1/files/w.bin";
        await (await _client.PutAsync(url, Bytes(Data))).ExpectAsync(201);
        return url;
    }

    private async Task<string> ProxyFileAsync(string name, byte[] data)
    {
        var url = $"/api/2.0/mlflow-artifacts/artifacts/9/run/artifacts/{name}";
        await (await _client.PutAsync(url, Bytes(data))).OkAsync();
        return url;
    }

    [Fact]
    public async Task Head_on_a_native_file_gives_its_headers_and_no_body()
    {
        var url = await NativeFileAsync("head");

        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Data.Length, response.Content.Headers.ContentLength);
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(Data))}\"", response.Headers.ETag?.Tag);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_on_a_proxied_artifact_gives_its_headers_and_no_body()
    {
        var url = await ProxyFileAsync("head.bin", Data);

        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Data.Length, response.Content.Headers.ContentLength);
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.NotNull(response.Headers.ETag);
        Assert.False(response.Headers.ETag.IsWeak);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task The_proxy_sends_an_etag_that_changes_with_the_bytes()
    {
        var url = await ProxyFileAsync("etag.bin", Data);
        var first = (await _client.GetAsync(url)).Headers.ETag;

        await ProxyFileAsync("etag.bin", [.. Data.Reverse()]);
        var second = (await _client.GetAsync(url)).Headers.ETag;

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.NotEqual(first, second);
        Assert.Equal(second, (await _client.GetAsync(url)).Headers.ETag);
    }

    [Fact]
    public async Task The_proxy_serves_a_range_under_if_range_only_for_the_version_the_caller_has()
    {
        var url = await ProxyFileAsync("resume.bin", Data);
        var etag = (await _client.GetAsync(url)).Headers.ETag!;

        using var matching = await _client.SendAsync(Ranged(url, etag));
        Assert.Equal(HttpStatusCode.PartialContent, matching.StatusCode);
        Assert.Equal(Data[2..5], await matching.Content.ReadAsByteArrayAsync());

        // Replaced by other bytes of the same length: resuming with the old tag must not splice the two.
        byte[] replaced = [.. Data.Reverse()];
        await ProxyFileAsync("resume.bin", replaced);
        using var stale = await _client.SendAsync(Ranged(url, etag));
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal(replaced, await stale.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("native")]
    [InlineData("proxy")]
    public async Task A_range_in_a_unit_other_than_bytes_is_ignored(string api)
    {
        var url = api == "native" ? await NativeFileAsync("units") : await ProxyFileAsync("units.bin", Data);
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Range", "items=0-1");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Data, await response.Content.ReadAsByteArrayAsync());
    }

    private static HttpRequestMessage Ranged(string url, EntityTagHeaderValue ifRange) => new(HttpMethod.Get, url)
    {
        Headers = { Range = new RangeHeaderValue(2, 4), IfRange = new RangeConditionHeaderValue(ifRange) },
    };
}
