using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Cairn.IntegrationTests;

/// <summary>Large and interrupted uploads against the real `cairn serve` process.</summary>
public sealed class FileTransferTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cairn-files-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDir, recursive: true);
    }

    private static async Task<string> PendingVersionAsync(HttpClient http, string name)
    {
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/models", Json($$"""{"model_name":"{{name}}"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsync($"/api/v1/models/{name}/versions", Json("""{"status":"PENDING_REGISTRATION"}"""))).StatusCode);
        return $"/api/v1/models/{name}/versions/1";
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task Uploading_2_GiB_streams_through_without_growing_server_memory_and_round_trips_its_checksum()
    {
        await using var server = await ServerProcess.StartAsync(["--data-dir", _dataDir]);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromMinutes(10) };
        var version = await PendingVersionAsync(http, "big");
        await http.GetAsync("/api/v1/models/big");
        var idle = server.ResidentBytes();

        long peak = idle;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, server.ResidentBytes());
                await Task.Delay(50);
            }
        });
        using var source = new GeneratedStream(2L << 30);
        using var content = new StreamContent(source, 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = source.Length;
        var response = await http.PutAsync($"{version}/files/weights.bin", content);
        await sampling.CancelAsync();
        await sampler;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var growth = peak - idle;
        Assert.True(growth < 64L << 20, $"server memory grew by {growth >> 20} MiB during a 2 GiB upload (idle {idle >> 20} MiB)");
        var stored = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(source.Sha256(), (string?)stored["sha256"]);

        using var download = await http.GetAsync($"{version}/files/weights.bin", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(2L << 30, download.Content.Headers.ContentLength);
        await using var body = await download.Content.ReadAsStreamAsync();
        Assert.Equal(source.Sha256(), Convert.ToHexStringLower(await SHA256.HashDataAsync(body)));
    }

    [Fact]
    public async Task A_server_killed_mid_upload_leaves_no_partial_file_and_its_staging_goes_at_a_start_an_hour_later()
    {
        string version;
        await using (var server = await ServerProcess.StartAsync(["--data-dir", _dataDir]))
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
            version = await PendingVersionAsync(http, "killed");
            var source = new GeneratedStream(1L << 30);
            using var content = new StreamContent(source, 1 << 16);
            content.Headers.ContentLength = source.Length;
            var upload = http.PutAsync($"{version}/files/partial.bin", content);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (source.Position < 64 << 20 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
            Assert.True(source.Position >= 64 << 20, "the upload never got going");
            await server.KillAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => upload);
        }
        var staging = Path.Combine(_dataDir, "artifacts", ".staging");
        Assert.NotEmpty(Directory.GetFiles(staging));
        Assert.False(File.Exists(Path.Combine(_dataDir, "artifacts", "killed", "1", "partial.bin")));

        var abandoned = Directory.GetFiles(staging).Single();

        // A start right after leaves it: on a shared volume it could be another replica's upload, still being written.
        await using (var restarted = await ServerProcess.StartAsync(["--data-dir", _dataDir]))
        {
            using var client = new HttpClient { BaseAddress = new Uri(restarted.Url) };
            Assert.True(File.Exists(abandoned));
            var listing = await client.GetStringAsync($"{version}/files");
            Assert.DoesNotContain("partial.bin", listing, StringComparison.Ordinal);
        }
        // A start once nothing has written to it for an hour removes it.
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddHours(-2));
        await using (await ServerProcess.StartAsync(["--data-dir", _dataDir]))
        {
            Assert.Empty(Directory.GetFiles(staging));
        }
    }

    /// <summary>Deterministic pseudo-random bytes generated as they are read: gigabytes without holding them.</summary>
    private sealed class GeneratedStream(long length) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _position;
        private string? _sha;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => Interlocked.Read(ref _position);
            set => throw new NotSupportedException();
        }

        /// <summary>The SHA-256 of all the bytes, known once the last one has been read (the stream may be disposed by then).</summary>
        public string Sha256() => _sha ?? throw new InvalidOperationException("Not read to the end.");

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                var p = _position + i;
                buffer[offset + i] = (byte)((p * 2654435761L) >> 13);
            }
            _hash.AppendData(buffer, offset, n);
            if (Interlocked.Add(ref _position, n) == length && _sha is null)
            {
                _sha = Convert.ToHexStringLower(_hash.GetHashAndReset());
            }
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
