using System.Net;
using Cairn.Artifacts;
using Cairn.Tests.Api;
using Cairn.Tests.Mlflow;

namespace Cairn.Tests.Artifacts;

/// <summary>
/// A symbolic link planted in a store's tree (by anyone who can write to the volume) leads nowhere: reads, writes,
/// listings and deletes through it are refused, and the directory it points to is left as it was.
/// </summary>
public sealed class StoreLinkTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("cairn-links-").FullName;

    private string Root => Path.Combine(_scratch, "store");

    private string Outside => Path.Combine(_scratch, "outside");

    public StoreLinkTests()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "secret.txt"), "outside");
        Directory.CreateSymbolicLink(Path.Combine(Root, "evil"), Outside);
        File.CreateSymbolicLink(Path.Combine(Root, "secret-link.txt"), Path.Combine(Outside, "secret.txt"));
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task Reads_writes_deletes_and_listings_through_a_planted_link_are_refused()
    {
        var store = new FileSystemArtifactStore(Root);

        await Assert.ThrowsAsync<InvalidParameterException>(() => store.OpenReadAsync("evil/secret.txt", 0, null, default));
        await Assert.ThrowsAsync<InvalidParameterException>(() => store.OpenReadAsync("secret-link.txt", 0, null, default));
        await Assert.ThrowsAsync<InvalidParameterException>(() => store.ExistsAsync("evil/secret.txt", default));
        await Assert.ThrowsAsync<InvalidParameterException>(() => store.DeleteAsync("evil/secret.txt", default));
        await using (var staged = await store.StageAsync("evil/new.bin", new MemoryStream([1, 2, 3]), 100, false, default))
        {
            await Assert.ThrowsAsync<InvalidParameterException>(() => store.CommitAsync(staged, "evil/new.bin", default));
        }
        await Assert.ThrowsAsync<InvalidParameterException>(async () => await store.ListAsync("evil/", default).ToListAsync());
        await Assert.ThrowsAsync<InvalidParameterException>(async () => await store.ListDirectoryAsync("evil", default).ToListAsync());

        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Listings_of_the_root_leave_links_out()
    {
        var store = new FileSystemArtifactStore(Root);
        await using (var staged = await store.StageAsync("real/file.bin", new MemoryStream([1]), 100, false, default))
        {
            await store.CommitAsync(staged, "real/file.bin", default);
        }

        Assert.Equal(["real/file.bin"], await store.ListAsync("", default).Select(o => o.Key).ToListAsync());
        Assert.Equal(["real"], await store.ListDirectoryAsync("", default).Select(e => e.Key).ToListAsync());
    }

    [Fact]
    public async Task A_linked_staging_folder_is_neither_written_to_nor_cleaned()
    {
        Directory.CreateSymbolicLink(Path.Combine(Root, ".staging"), Outside);
        File.SetLastWriteTimeUtc(Path.Combine(Outside, "secret.txt"), DateTime.UtcNow - LocalStaging.AbandonedAfter - TimeSpan.FromHours(1));
        var store = new FileSystemArtifactStore(Root);

        await Assert.ThrowsAsync<InvalidParameterException>(() => store.StageAsync("a.bin", new MemoryStream([1]), 100, false, default));
        Assert.Equal(0, await store.RemoveAbandonedStagingAsync(default));

        AssertOutsideUntouched();
    }

    [Fact]
    public async Task A_store_whose_root_is_itself_a_link_works()
    {
        var linkedRoot = Path.Combine(_scratch, "linked-root");
        Directory.CreateSymbolicLink(linkedRoot, Root);
        var store = new FileSystemArtifactStore(linkedRoot);

        await using (var staged = await store.StageAsync("m/1/w.bin", new MemoryStream([9]), 100, false, default))
        {
            await store.CommitAsync(staged, "m/1/w.bin", default);
        }

        await using var read = await store.OpenReadAsync("m/1/w.bin", 0, null, default);
        Assert.Equal(9, read.ReadByte());
    }

    private void AssertOutsideUntouched()
    {
        Assert.Equal(["secret.txt"], Directory.GetFileSystemEntries(Outside).Select(Path.GetFileName));
        Assert.Equal("outside", File.ReadAllText(Path.Combine(Outside, "secret.txt")));
    }
}

/// <summary>The same through the API: the MLflow artifact proxy's destination and the version files' root.</summary>
public sealed class StoreLinkApiTests : IClassFixture<CairnApp>, IDisposable
{
    private readonly CairnApp _app;
    private readonly HttpClient _client;
    private readonly string _outside = Directory.CreateTempSubdirectory("cairn-outside-").FullName;

    public StoreLinkApiTests(CairnApp app)
    {
        _app = app;
        _client = app.CreateClient();
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "outside");
    }

    public void Dispose() => Directory.Delete(_outside, recursive: true);

    [Fact]
    public async Task The_mlflow_artifact_proxy_does_not_follow_a_link_planted_in_its_destination()
    {
        await (await _client.PutAsync("/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/real.bin", new ByteArrayContent([1]))).OkAsync();
        Directory.CreateSymbolicLink(Path.Combine(_app.DataDir, "mlartifacts", "evil"), _outside);

        await AssertRefusedAsync(await _client.GetAsync("/api/2.0/mlflow-artifacts/artifacts/evil/secret.txt"));
        await AssertRefusedAsync(await _client.PutAsync("/api/2.0/mlflow-artifacts/artifacts/evil/new.bin", new ByteArrayContent([1])));
        await AssertRefusedAsync(await _client.DeleteAsync("/api/2.0/mlflow-artifacts/artifacts/evil/secret.txt"));
        await AssertRefusedAsync(await _client.DeleteAsync("/api/2.0/mlflow-artifacts/artifacts/evil"));
        await AssertRefusedAsync(await _client.GetAsync("/api/2.0/mlflow-artifacts/artifacts?path=evil"));
        var root = await (await _client.GetAsync("/api/2.0/mlflow-artifacts/artifacts")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("evil", root, StringComparison.Ordinal);

        Assert.Equal(["secret.txt"], Directory.GetFileSystemEntries(_outside).Select(Path.GetFileName));
        Assert.Equal("outside", await File.ReadAllTextAsync(Path.Combine(_outside, "secret.txt")));
    }

    [Fact]
    public async Task Version_files_are_not_written_through_a_link_planted_in_the_files_root()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/linked", model_name = "m" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/models/linked.m/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);
        Directory.CreateDirectory(Path.Combine(_app.DataDir, "artifacts"));
        Directory.CreateSymbolicLink(Path.Combine(_app.DataDir, "artifacts", "linked"), _outside);

        await AssertRefusedAsync(await _client.PutAsync("/api/v1/models/linked.m/versions/1/files/w.bin", new ByteArrayContent([1, 2])));

        Assert.Equal(["secret.txt"], Directory.GetFileSystemEntries(_outside).Select(Path.GetFileName));
        Assert.Empty((await (await _client.GetAsync("/api/v1/models/linked.m/versions/1/files")).ExpectAsync(200))["files"]!.AsArray());
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"Expected a 4xx, got {(int)response.StatusCode}: {body}");
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }
}
