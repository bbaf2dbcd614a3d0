using System.Security.Cryptography;
using Cairn.Artifacts;

namespace Cairn.Tests.Artifacts;

/// <summary>
/// What every artifact store must do, run against each: the filesystem always, S3 (s3rver) when scripts/test has
/// started it (<c>CAIRN_TEST_S3_ENDPOINT</c>). Elsewhere the object-store runs are reported as skipped, with why.
/// </summary>
[Trait("Store", "none")]
public abstract class ArtifactStoreContractTests : IDisposable
{
    protected string Scratch { get; } = Directory.CreateTempSubdirectory("cairn-store-").FullName;

    /// <summary>A fresh, empty store (a new directory, or a new prefix in the test bucket).</summary>
    protected abstract IArtifactStore CreateStore();

    /// <summary>Skips (saying why) when the store's server is not available here.</summary>
    protected virtual void RequireStore()
    {
    }

    /// <summary>
    /// Whether, of two uploads of one key staged at once, the later commit replaces the earlier (else it is refused
    /// with 409 and the earlier stands).
    /// </summary>
    protected virtual bool LastCommitWins => true;

    /// <summary>Whether the server under test lists a folder that holds only folders (every real store does).</summary>
    protected virtual bool ListsFoldersOfFolders => true;

    public void Dispose()
    {
        Directory.Delete(Scratch, recursive: true);
        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public async Task Staged_bytes_are_invisible_until_committed_and_hashed_on_the_way_in()
    {
        RequireStore();
        var store = CreateStore();
        var data = RandomNumberGenerator.GetBytes(3_000_000);

        await using (var staged = await store.StageAsync("m/1/a.bin", new MemoryStream(data), long.MaxValue, withMd5: true, default))
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), staged.Sha256);
            Assert.Equal(Convert.ToBase64String(MD5.HashData(data)), staged.Md5Base64);
            Assert.Equal(data.Length, staged.Size);
            Assert.False(await store.ExistsAsync("m/1/a.bin", default));
            await using (var read = staged.OpenRead())
            {
                var head = new byte[16];
                await read.ReadExactlyAsync(head);
                Assert.Equal(data[..16], head);
            }
            await store.CommitAsync(staged, "m/1/a.bin", default);
        }

        Assert.True(await store.ExistsAsync("m/1/a.bin", default));
        Assert.Equal(["m/1/a.bin"], await store.ListAsync("", default).Select(o => o.Key).ToListAsync());
        await using var all = await store.OpenReadAsync("m/1/a.bin", 0, null, default);
        Assert.Equal(data, await ReadAllAsync(all));
    }

    [SkippableFact]
    public async Task A_staged_upload_that_is_not_committed_leaves_nothing()
    {
        RequireStore();
        var store = CreateStore();

        await using (await store.StageAsync("m/1/gone.bin", new MemoryStream([1, 2, 3]), long.MaxValue, withMd5: false, default))
        {
        }

        Assert.False(await store.ExistsAsync("m/1/gone.bin", default));
        Assert.Empty(await store.ListAsync("", default).ToListAsync());
    }

    [SkippableFact]
    public async Task An_upload_over_the_limit_is_refused_and_leaves_nothing()
    {
        RequireStore();
        var store = CreateStore();

        await Assert.ThrowsAsync<PayloadTooLargeException>(() => store.StageAsync("big.bin", new MemoryStream(new byte[2000]), 1000, withMd5: false, default));

        Assert.Empty(await store.ListAsync("", default).ToListAsync());
    }

    [SkippableFact]
    public async Task A_ranged_read_returns_exactly_the_window_and_the_stream_seeks()
    {
        RequireStore();
        var store = CreateStore();
        var data = RandomNumberGenerator.GetBytes(100_000);
        await using (var staged = await store.StageAsync("r.bin", new MemoryStream(data), long.MaxValue, withMd5: false, default))
        {
            await store.CommitAsync(staged, "r.bin", default);
        }

        await using var window = await store.OpenReadAsync("r.bin", 100, 50, default);
        Assert.Equal(data[100..150], await ReadAllAsync(window));
        await using var whole = await store.OpenReadAsync("r.bin", 0, null, default);
        whole.Seek(90_000, SeekOrigin.Begin);
        Assert.Equal(data[90_000..], await ReadAllAsync(whole));
    }

    [SkippableFact]
    public async Task An_empty_file_is_stored_and_deleting_removes_it()
    {
        RequireStore();
        var store = CreateStore();
        await using (var staged = await store.StageAsync("e/empty.bin", new MemoryStream([]), long.MaxValue, withMd5: false, default))
        {
            await store.CommitAsync(staged, "e/empty.bin", default);
        }
        await using (var empty = await store.OpenReadAsync("e/empty.bin", 0, null, default))
        {
            Assert.Empty(await ReadAllAsync(empty));
        }

        await store.DeleteAsync("e/empty.bin", default);

        Assert.False(await store.ExistsAsync("e/empty.bin", default));
        await Assert.ThrowsAsync<NotFoundException>(() => store.OpenReadAsync("e/empty.bin", 0, null, default));
    }

    [SkippableFact]
    public async Task Two_uploads_of_one_key_staged_at_once_leave_one_whole_file()
    {
        RequireStore();
        var store = CreateStore();
        var (first, second) = (RandomNumberGenerator.GetBytes(100_000), RandomNumberGenerator.GetBytes(50_000));

        await using (var one = await store.StageAsync("same/key.bin", new MemoryStream(first), long.MaxValue, withMd5: false, default))
        await using (var two = await store.StageAsync("same/key.bin", new MemoryStream(second), long.MaxValue, withMd5: false, default))
        {
            await store.CommitAsync(one, "same/key.bin", default);
            if (LastCommitWins)
            {
                await store.CommitAsync(two, "same/key.bin", default);
            }
            else
            {
                var refused = await Assert.ThrowsAsync<InvalidStateException>(() => store.CommitAsync(two, "same/key.bin", default));
                Assert.Contains("Send it again", refused.Message, StringComparison.Ordinal);
            }
        }

        await using var read = await store.OpenReadAsync("same/key.bin", 0, null, default);
        Assert.Equal(LastCommitWins ? second : first, await ReadAllAsync(read));
    }

    [SkippableFact]
    public async Task Listings_give_every_object_under_a_prefix_or_one_folder_level_with_sizes()
    {
        RequireStore();
        var store = CreateStore();
        var before = DateTimeOffset.UtcNow.AddMinutes(-5);
        string[] nested = ListsFoldersOfFolders ? ["deep/only/folders/x.bin"] : [];
        foreach (var (key, size) in new[] { ("runs/1/artifacts/model/MLmodel", 10), ("runs/1/artifacts/model/data/w.bin", 2000), ("runs/1/artifacts/metrics.json", 5), ("runs/10/artifacts/x", 1), ("runs/README", 2), ("top.txt", 3) }
            .Concat(nested.Select(k => (k, 1))))
        {
            await using var staged = await store.StageAsync(key, new MemoryStream(new byte[size]), long.MaxValue, withMd5: false, default);
            await store.CommitAsync(staged, key, default);
        }

        var under = await store.ListAsync("runs/1/", default).ToListAsync();
        Assert.Equal(["runs/1/artifacts/metrics.json", "runs/1/artifacts/model/MLmodel", "runs/1/artifacts/model/data/w.bin"], under.Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.Equal(2000, under.Single(o => o.Key.EndsWith("w.bin", StringComparison.Ordinal)).Size);
        Assert.All(under, o => Assert.InRange(o.LastModified, before, DateTimeOffset.UtcNow.AddMinutes(5)));
        // A prefix is a prefix, not a folder: "runs/1" also matches runs/10.
        Assert.Equal(4, await store.ListAsync("runs/1", default).CountAsync());

        Assert.Equal(
            [new StoredEntry("runs/1/artifacts/metrics.json", false, 5), new StoredEntry("runs/1/artifacts/model", true, null)],
            (await store.ListDirectoryAsync("runs/1/artifacts", default).ToListAsync()).OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal(
            nested.Select(_ => new StoredEntry("deep", true, null)).Concat([new StoredEntry("runs", true, null), new StoredEntry("top.txt", false, 3)]),
            (await store.ListDirectoryAsync("", default).ToListAsync()).OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Empty(await store.ListDirectoryAsync("runs/2", default).ToListAsync());
        Assert.Empty(await store.ListDirectoryAsync("top.txt", default).ToListAsync());
    }

    [SkippableFact]
    public async Task A_store_that_can_be_used_passes_its_readiness_probe_before_and_after_files_are_stored()
    {
        RequireStore();
        var store = CreateStore();
        await store.ProbeAsync(default);
        foreach (var key in new[] { "m/1/a.bin", "m/2/b.bin", "top.bin" })
        {
            await using var staged = await store.StageAsync(key, new MemoryStream(new byte[1000]), long.MaxValue, withMd5: false, default);
            await store.CommitAsync(staged, key, default);
        }

        await store.ProbeAsync(default);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}

[Trait("Store", "none")]
public sealed class FileSystemArtifactStoreTests : ArtifactStoreContractTests
{
    protected override IArtifactStore CreateStore() => new FileSystemArtifactStore(Path.Combine(Scratch, "store"));

    [Fact]
    public async Task The_probe_fails_when_a_file_stands_where_the_stores_folder_should_be()
    {
        // As an unmounted or replaced volume can leave it: no upload could be staged there.
        await File.WriteAllTextAsync(Path.Combine(Scratch, "store"), "not a folder");

        await Assert.ThrowsAnyAsync<IOException>(() => CreateStore().ProbeAsync(default));
    }

    [Fact]
    public async Task Staging_abandoned_by_a_killed_process_is_removed_at_start_and_an_upload_in_flight_is_not()
    {
        var root = Path.Combine(Scratch, "store");
        var staging = Path.Combine(root, ".staging");
        Directory.CreateDirectory(staging);
        await File.WriteAllBytesAsync(Path.Combine(staging, "half-written"), [1, 2]);
        File.SetLastWriteTimeUtc(Path.Combine(staging, "half-written"), DateTime.UtcNow - LocalStaging.AbandonedAfter - TimeSpan.FromMinutes(1));
        // Another replica on the same volume, still writing its upload.
        await File.WriteAllBytesAsync(Path.Combine(staging, "in-flight"), [3]);

        var removed = await new FileSystemArtifactStore(root).RemoveAbandonedStagingAsync(default);

        Assert.Equal(1, removed);
        Assert.Equal(["in-flight"], Directory.GetFiles(staging).Select(Path.GetFileName));
    }
}

[Trait("Store", "none")]
public sealed class S3ArtifactStoreTests : ArtifactStoreContractTests
{
    /// <summary>An S3-compatible server with the bucket <c>cairn-test</c> (scripts/test starts s3rver), or null.</summary>
    public static string? Endpoint { get; } = Environment.GetEnvironmentVariable("CAIRN_TEST_S3_ENDPOINT") is { Length: > 0 } value ? value : null;

    public static S3Settings Settings => new(Endpoint, "us-east-1", "S3RVER", "S3RVER");

    protected override void RequireStore() =>
        Skip.If(Endpoint is null, "needs an S3 server: run scripts/test, or set CAIRN_TEST_S3_ENDPOINT to one with a bucket 'cairn-test'");

    /// <summary>
    /// s3rver 3.7.1 answers a delimited listing with a common prefix only for a folder that holds an object itself (its
    /// directory walk stops one level below the prefix); S3, MinIO and Ceph name every one. The store asks with a
    /// delimiter all the same, as MLflow's S3 repository does: on a real bucket, listing one folder must not read the tree.
    /// </summary>
    protected override bool ListsFoldersOfFolders => false;

    protected override IArtifactStore CreateStore() =>
        ArtifactStores.Open($"s3://cairn-test/{Guid.NewGuid():N}", Path.Combine(Scratch, "staging"), Settings);

    [SkippableFact]
    public async Task The_probe_fails_when_the_bucket_is_gone()
    {
        RequireStore();
        var store = ArtifactStores.Open($"s3://cairn-missing-{Guid.NewGuid():N}/models", Path.Combine(Scratch, "staging"), Settings);

        await Assert.ThrowsAsync<Amazon.S3.Model.NoSuchBucketException>(() => store.ProbeAsync(default));
    }

    [SkippableFact]
    public async Task A_killed_upload_leaves_no_object_and_its_local_staging_is_removed_at_start()
    {
        RequireStore();
        var store = CreateStore();
        using var cancel = new CancellationTokenSource();
        var dying = new FailingStream(5_000_000, failAfter: 3_000_000);

        await Assert.ThrowsAsync<IOException>(() => store.StageAsync("k/dead.bin", dying, long.MaxValue, withMd5: false, cancel.Token));

        Assert.Empty(await store.ListAsync("", default).ToListAsync());
        Assert.Empty(Directory.Exists(Path.Combine(Scratch, "staging")) ? Directory.GetFiles(Path.Combine(Scratch, "staging")) : []);
    }

    /// <summary>A body that breaks part-way, as a dropped connection does.</summary>
    private sealed class FailingStream(int length, int failAfter) : MemoryStream(new byte[length])
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position >= failAfter ? throw new IOException("connection reset") : base.ReadAsync(buffer[..Math.Min(buffer.Length, 65_536)], cancellationToken);
    }
}

[Trait("Store", "none")]
public sealed class AzureBlobArtifactStoreTests : ArtifactStoreContractTests
{
    /// <summary>A connection string to an Azure Blob service (scripts/test starts Azurite), or null.</summary>
    public static string? ConnectionString { get; } = Environment.GetEnvironmentVariable("CAIRN_TEST_AZURE_CONNECTION_STRING") is { Length: > 0 } value ? value : null;

    protected override void RequireStore() =>
        Skip.If(ConnectionString is null, "needs an Azure Blob service: run scripts/test, or set CAIRN_TEST_AZURE_CONNECTION_STRING (Azurite's works)");

    /// <summary>Committing a blob's block list discards the blocks other uploads staged for it (as Azure documents Put Block List).</summary>
    protected override bool LastCommitWins => false;

    protected override IArtifactStore CreateStore() =>
        ArtifactStores.Open($"azure://cairn-test/{Guid.NewGuid():N}", Path.Combine(Scratch, "staging"), azureConnectionString: ConnectionString);

    [SkippableFact]
    public async Task The_probe_fails_when_the_account_key_is_refused()
    {
        RequireStore();
        // The emulator's account with another key, as after a rotation the server was not told of.
        var wrongKey = string.Join(';', ConnectionString!.Split(';').Select(p =>
            p.StartsWith("AccountKey=", StringComparison.Ordinal) ? "AccountKey=" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)) : p));
        var store = ArtifactStores.Open($"azure://cairn-test/{Guid.NewGuid():N}", Path.Combine(Scratch, "staging"), azureConnectionString: wrongKey);

        var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => store.ProbeAsync(default));
        Assert.Equal(403, refused.Status);
    }

    [SkippableFact]
    public async Task Blocks_staged_for_a_blob_stay_invisible_until_committed()
    {
        RequireStore();
        var store = CreateStore();

        await using (var staged = await store.StageAsync("v/1/big.bin", new MemoryStream(new byte[20_000_000]), long.MaxValue, withMd5: false, default))
        {
            Assert.False(await store.ExistsAsync("v/1/big.bin", default));
            await store.CommitAsync(staged, "v/1/big.bin", default);
        }

        await using var read = await store.OpenReadAsync("v/1/big.bin", 19_999_990, null, default);
        var tail = new MemoryStream();
        await read.CopyToAsync(tail);
        Assert.Equal(10, tail.Length);
    }
}
