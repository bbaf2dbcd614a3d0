using System.Security.Cryptography;
using Cairn.Artifacts;

namespace Cairn.Tests.Artifacts;

[Trait("Store", "none")]
public sealed class HashingCopyTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData((1 << 20) - 1)]
    [InlineData(1 << 20)]
    [InlineData((1 << 20) + 1)]
    [InlineData((19 << 20) + 12345)] // more chunks than the pipeline holds at once
    public async Task Copies_every_byte_in_order_with_its_sha256_and_md5(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        using var sink = new MemoryStream();

        var copy = await HashingCopy.CopyAsync(new TrickleStream(bytes), WriteAt(sink), long.MaxValue, withMd5: true, CancellationToken.None);

        Assert.Equal(length, copy.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), copy.Sha256);
        Assert.Equal(Convert.ToBase64String(MD5.HashData(bytes)), copy.Md5Base64);
        Assert.Equal(bytes, sink.ToArray());
    }

    [Fact]
    public async Task Md5_is_left_out_unless_asked_for()
    {
        var copy = await HashingCopy.CopyAsync(new MemoryStream([1, 2, 3]), (_, _, _) => ValueTask.CompletedTask, 10, withMd5: false, CancellationToken.None);

        Assert.Null(copy.Md5Base64);
    }

    [Fact]
    public async Task More_bytes_than_the_limit_is_payload_too_large()
    {
        await Assert.ThrowsAsync<PayloadTooLargeException>(() =>
            HashingCopy.CopyAsync(new MemoryStream(new byte[3 << 20]), (_, _, _) => ValueTask.CompletedTask, (2 << 20) + 1, withMd5: false, CancellationToken.None));
    }

    [Fact]
    public async Task A_failing_write_fails_the_copy_with_its_own_error()
    {
        var error = await Assert.ThrowsAsync<IOException>(() => HashingCopy.CopyAsync(
            new MemoryStream(new byte[20 << 20]),
            (_, offset, _) => offset >= 2 << 20 ? throw new IOException("disk full") : ValueTask.CompletedTask,
            long.MaxValue,
            withMd5: false,
            CancellationToken.None));

        Assert.Equal("disk full", error.Message);
    }

    [Fact]
    public async Task A_write_that_fails_while_every_buffer_is_in_flight_fails_the_copy_instead_of_hanging()
    {
        // The first write waits until the reader has filled every buffer, then fails: nothing will free them.
        var copy = HashingCopy.CopyAsync(new MemoryStream(new byte[64 << 20]), async (_, _, ct) =>
        {
            await Task.Delay(200, ct);
            throw new IOException("disk gone");
        }, long.MaxValue, withMd5: false, CancellationToken.None);

        var finished = await Task.WhenAny(copy, Task.Delay(TimeSpan.FromSeconds(30)));

        Assert.Same(copy, finished);
        var error = await Assert.ThrowsAsync<IOException>(() => copy);
        Assert.Equal("disk gone", error.Message);
    }

    [Fact]
    public async Task A_failing_source_fails_the_copy_with_its_own_error()
    {
        var error = await Assert.ThrowsAsync<IOException>(() => HashingCopy.CopyAsync(
            new TrickleStream(new byte[5 << 20], failAfter: 3 << 20), (_, _, _) => ValueTask.CompletedTask, long.MaxValue, withMd5: false, CancellationToken.None));

        Assert.Equal("connection reset", error.Message);
    }

    private static Func<ReadOnlyMemory<byte>, long, CancellationToken, ValueTask> WriteAt(MemoryStream sink) => (bytes, offset, _) =>
    {
        lock (sink)
        {
            sink.Position = offset;
            sink.Write(bytes.Span);
        }
        return ValueTask.CompletedTask;
    };

    /// <summary>Hands out odd-sized pieces, as a network stream does, and can fail part-way.</summary>
    private sealed class TrickleStream(byte[] bytes, long failAfter = long.MaxValue) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= failAfter)
            {
                throw new IOException("connection reset");
            }
            return base.ReadAsync(buffer[..Math.Min(buffer.Length, 65_521)], cancellationToken);
        }
    }
}
