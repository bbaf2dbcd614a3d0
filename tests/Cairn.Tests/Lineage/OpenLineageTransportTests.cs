using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Lineage;

/// <summary>
/// The HTTP transport as OpenLineage's clients use it: <c>compression: gzip</c> in the Python and Java clients sends the
/// body gzipped with <c>Content-Encoding: gzip</c>, to the single-event endpoint and to the batch one.
/// </summary>
public sealed class OpenLineageTransportTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private static JsonObject Event(string? runId = null) => new()
    {
        ["eventType"] = "COMPLETE",
        ["eventTime"] = "2026-10-03T08:00:00Z",
        ["producer"] = "https://github.com/OpenLineage/OpenLineage/tree/1.26.0/client/python",
        ["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        ["run"] = new JsonObject { ["runId"] = runId ?? Guid.NewGuid().ToString() },
        ["job"] = new JsonObject { ["namespace"] = "transport", ["name"] = $"job_{Guid.NewGuid():N}" },
        ["inputs"] = new JsonArray(new JsonObject { ["namespace"] = "transport", ["name"] = $"in_{Guid.NewGuid():N}" }),
        ["outputs"] = new JsonArray(),
    };

    private static byte[] Gzip(byte[] body)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(body);
        }
        return buffer.ToArray();
    }

    private async Task<HttpResponseMessage> PostAsync(string path, byte[] body, string? encoding)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (encoding is not null)
        {
            foreach (var one in encoding.Split(',', StringSplitOptions.TrimEntries))
            {
                content.Headers.ContentEncoding.Add(one);
            }
        }
        return await _client.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    [Fact]
    public async Task A_gzipped_event_is_accepted_as_the_python_and_java_clients_send_it()
    {
        var @event = Event();

        await (await PostAsync("/api/v1/lineage", Gzip(Encoding.UTF8.GetBytes(@event.ToJsonString())), "gzip")).ExpectAsync(201);

        await (await _client.GetAsync(new Uri($"/api/v1/executions/{@event["run"]!["runId"]}", UriKind.Relative))).ExpectAsync(200);
    }

    [Fact]
    public async Task A_gzipped_batch_is_accepted()
    {
        var batch = new JsonArray(Event(), Event(), Event());

        var result = await (await PostAsync("/api/v1/lineage/batch", Gzip(Encoding.UTF8.GetBytes(batch.ToJsonString())), "gzip")).ExpectAsync(201);

        Assert.Equal(3, (int)result["events"]!);
    }

    [Fact]
    public async Task A_decompression_bomb_is_refused_with_413_and_nothing_written()
    {
        // 80 MiB of spaces inflate from about 80 KB: more than the 64 MiB Cairn reads.
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize))
        {
            gzip.Write("["u8);
            var spaces = new byte[1024 * 1024];
            Array.Fill(spaces, (byte)' ');
            for (var i = 0; i < 80; i++)
            {
                gzip.Write(spaces);
            }
            gzip.Write("]"u8);
        }
        var audit = await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");

        var problem = await (await PostAsync("/api/v1/lineage/batch", buffer.ToArray(), "gzip")).ExpectAsync(413, "REQUEST_LIMIT_EXCEEDED");

        Assert.Contains("64 MiB", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal(audit, await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log"));
    }

    [Theory]
    [InlineData("br")]
    [InlineData("deflate")]
    [InlineData("gzip, br")]
    public async Task An_unknown_content_encoding_is_refused_with_415(string encoding)
    {
        var problem = await (await PostAsync("/api/v1/lineage", Encoding.UTF8.GetBytes(Event().ToJsonString()), encoding)).ExpectAsync(415, "UNSUPPORTED_MEDIA_TYPE");

        Assert.Contains("Content-Encoding", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_claims_gzip_but_is_not_is_refused_with_400()
    {
        await (await PostAsync("/api/v1/lineage", Encoding.UTF8.GetBytes(Event().ToJsonString()), "gzip")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_refused_batch_names_the_index_of_the_failing_event()
    {
        var batch = new JsonArray(Event(), Event(), Event(), Event("not-a-uuid"), Event());
        batch[1]!["eventTime"] = "2021-02-30T10:00:00Z";

        var problem = await (await PostAsync("/api/v1/lineage/batch", Encoding.UTF8.GetBytes(batch.ToJsonString()), null)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Contains("[1].eventTime", (string?)problem["detail"], StringComparison.Ordinal);
        var errors = problem["errors"]!.AsArray();
        Assert.Contains(errors, e => (int?)e!["index"] == 3 && (string?)e["path"] == "[3].run.runId" && (string?)e["message"] == "must be a UUID");
        Assert.Contains(errors, e => (int?)e!["index"] == 1 && (string?)e["path"] == "[1].eventTime");
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM executions WHERE run_id = '{batch[0]!["run"]!["runId"]}'"));
    }
}
