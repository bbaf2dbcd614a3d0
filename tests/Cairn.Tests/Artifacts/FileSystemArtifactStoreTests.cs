using System.Security.Cryptography;
using Cairn.Artifacts;

namespace Cairn.Tests.Artifacts;

public sealed class FileSystemArtifactStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cairn-store-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Staged_bytes_are_invisible_until_committed_and_hashed_on_the_way_in()
    {
        var store = new FileSystemArtifactStore(_root);
        var data = RandomNumberGenerator.GetBytes(100_000);

        await using (var staged = await store.StageAsync(new MemoryStream(data), long.MaxValue, withMd5: false, default))
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), staged.Sha256);
            Assert.Equal(data.Length, staged.Size);
            Assert.False(await store.ExistsAsync("m/1/a.bin", default));
            await store.CommitAsync(staged, "m/1/a.bin", default);
        }

        Assert.True(await store.ExistsAsync("m/1/a.bin", default));
        Assert.Equal(["m/1/a.bin"], await store.ListAsync("", default).ToListAsync());
    }

    [Fact]
    public async Task A_staged_upload_that_is_not_committed_leaves_nothing()
    {
        var store = new FileSystemArtifactStore(_root);
        await using (await store.StageAsync(new MemoryStream([1, 2, 3]), long.MaxValue, withMd5: false, default))
        {
        }
        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task An_upload_over_the_limit_is_refused_and_leaves_nothing()
    {
        var store = new FileSystemArtifactStore(_root);
        await Assert.ThrowsAsync<PayloadTooLargeException>(() => store.StageAsync(new MemoryStream(new byte[2000]), 1000, withMd5: false, default));
        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Staging_abandoned_by_a_killed_process_is_removed_at_start()
    {
        Directory.CreateDirectory(Path.Combine(_root, ".staging"));
        await File.WriteAllBytesAsync(Path.Combine(_root, ".staging", "half-written"), [1, 2]);

        var removed = await new FileSystemArtifactStore(_root).RemoveAbandonedStagingAsync(default);

        Assert.Equal(1, removed);
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, ".staging")));
    }

    [Fact]
    public async Task A_ranged_read_returns_exactly_the_window()
    {
        var store = new FileSystemArtifactStore(_root);
        var data = RandomNumberGenerator.GetBytes(10_000);
        await using (var staged = await store.StageAsync(new MemoryStream(data), long.MaxValue, withMd5: false, default))
        {
            await store.CommitAsync(staged, "r.bin", default);
        }

        await using var window = await store.OpenReadAsync("r.bin", 100, 50, default);
        var buffer = new MemoryStream();
        await window.CopyToAsync(buffer);
        Assert.Equal(data[100..150], buffer.ToArray());
    }
}
