using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Cairn.Artifacts.Encryption;
using Cairn.Tests.Api;
using Microsoft.AspNetCore.Hosting;

namespace Cairn.Tests.Encryption;

/// <summary>A server with <c>Cairn:EncryptFiles</c> on.</summary>
public sealed class EncryptingApp : CairnApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Cairn:EncryptFiles", "true");
    }
}

/// <summary>
/// Issue 19 item 7 through the API: with <c>Cairn:EncryptFiles</c>, an uploaded version file is encrypted on disk, and
/// downloads (whole, and Range across chunk boundaries) are the file with its plaintext's size and SHA-256; a file the
/// key ring cannot read is a problem-details 500 that says so.
/// </summary>
public sealed class FileEncryptionApiTests(EncryptingApp app) : IClassFixture<EncryptingApp>
{
    private const int Chunk = EncryptedFileFormat.ChunkSize;
    private readonly HttpClient _client = app.CreateClient();

    private async Task<string> VersionAsync(string name)
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/sealed", model_name = name })).ExpectAsync(201);
        await (await _client.PostJsonAsync($"/api/v1/models/sealed.{name}/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);
        return $"/api/v1/models/sealed.{name}/versions/1";
    }

    private static byte[] Text(int size)
    {
        var line = Encoding.ASCII.GetBytes("classifier weights for claims triage, row 0042\n");
        return Enumerable.Range(0, size).Select(i => line[i % line.Length]).ToArray();
    }

    private static ByteArrayContent Bytes(byte[] data) => new(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    private string OnDisk(string name, string path) => Path.Combine(app.DataDir, "artifacts", "sealed", name, "1", path);

    [Theory]
    [InlineData("empty", 0)]
    [InlineData("one-chunk", Chunk)]
    [InlineData("several", (3 * Chunk) + 123)]
    public async Task An_uploaded_file_is_encrypted_on_disk_and_downloads_as_it_was(string name, int size)
    {
        var version = await VersionAsync(name);
        var data = Text(size);
        var sha = Convert.ToHexStringLower(SHA256.HashData(data));

        var stored = await (await _client.PutAsync($"{version}/files/model.bin", Bytes(data))).ExpectAsync(201);
        Assert.Equal((sha, (long)size), ((string?)stored["sha256"], (long)stored["size"]!));

        var disk = await File.ReadAllBytesAsync(OnDisk(name, "model.bin"));
        Assert.True(EncryptedFileFormat.HasMagic(disk));
        Assert.DoesNotContain("claims triage", Encoding.ASCII.GetString(disk), StringComparison.Ordinal);

        var response = await _client.GetAsync($"{version}/files/model.bin");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(size, response.Content.Headers.ContentLength);
        Assert.Equal(data, await response.Content.ReadAsByteArrayAsync());
        var listed = (await (await _client.GetAsync($"{version}/files")).ExpectAsync(200))["files"]!.AsArray().Single()!;
        Assert.Equal((sha, (long)size), ((string?)listed["sha256"], (long)listed["size"]!));
    }

    [Fact]
    public async Task Range_downloads_across_chunk_boundaries_are_the_files_bytes()
    {
        var version = await VersionAsync("ranges");
        var data = RandomNumberGenerator.GetBytes((4 * Chunk) + 77);
        await (await _client.PutAsync($"{version}/files/w.bin", Bytes(data))).ExpectAsync(201);

        foreach (var (from, to) in new (long, long)[] { (0, 0), (Chunk - 3, Chunk + 3), (Chunk, (2 * Chunk) - 1), ((4 * Chunk) + 70, (4 * Chunk) + 76), (5, (4 * Chunk) + 76) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{version}/files/w.bin");
            request.Headers.Range = new RangeHeaderValue(from, to);
            var response = await _client.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(data[(int)from..(int)(to + 1)], await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(data.Length, response.Content.Headers.ContentRange!.Length);
        }
        using var suffix = new HttpRequestMessage(HttpMethod.Get, $"{version}/files/w.bin");
        suffix.Headers.Range = new RangeHeaderValue(null, 100);
        Assert.Equal(data[^100..], await (await _client.SendAsync(suffix)).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_file_whose_key_the_key_ring_cannot_unwrap_is_a_500_that_says_so()
    {
        var version = await VersionAsync("lostkey");
        await (await _client.PutAsync($"{version}/files/model.bin", Bytes(Text(1000)))).ExpectAsync(201);
        // The wrapped data key damaged where it is kept: the key ring refuses it, as it refuses a key it never had.
        await using (var file = new FileStream(OnDisk("lostkey", "model.bin"), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 60;
            var b = file.ReadByte();
            file.Position = 60;
            file.WriteByte((byte)(b ^ 0xff));
        }

        var problem = await (await _client.GetAsync($"{version}/files/model.bin")).ExpectAsync(500, "ENCRYPTED_FILE_UNREADABLE");
        Assert.Contains("key ring cannot unwrap", (string?)problem["detail"], StringComparison.Ordinal);
    }
}
