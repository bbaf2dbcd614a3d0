using System.Net;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests;

/// <summary>
/// OpenLineage's endpoints on a real <c>cairn serve</c> (Kestrel, not the in-process test host): the ingest limit of
/// 64 MiB is the one that answers, with 413, and Kestrel's own 30 MB default neither refuses smaller bodies nor turns a
/// larger one into a 400.
/// </summary>
public sealed class OpenLineageBodyLimitTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("cairn-openlineage-limit-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task A_plain_body_beyond_the_ingest_limit_is_refused_with_413_and_one_within_it_is_read()
    {
        await using var server = await ServerProcess.StartAsync(["--data-dir", Path.Combine(_work, "data")]);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromMinutes(2) };

        // 40 MB of whitespace around an empty array: past Kestrel's default, within Cairn's limit, so Cairn reads it
        // and answers as it answers an empty batch.
        var within = await PostAsync(http, 40L << 20);
        var beyond = await PostAsync(http, 65L << 20);

        Assert.Equal(HttpStatusCode.BadRequest, within.Status);
        Assert.Contains("1 to 1000 events", within.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, beyond.Status);
        Assert.Equal("REQUEST_LIMIT_EXCEEDED", (string?)JsonNode.Parse(beyond.Body)!["error_code"]);
    }

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient http, long size)
    {
        var body = new byte[size];
        Array.Fill(body, (byte)' ');
        body[0] = (byte)'[';
        body[^1] = (byte)']';
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(new Uri("/api/v1/lineage/batch", UriKind.Relative), content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
