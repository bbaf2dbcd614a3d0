using Cairn.Artifacts;

namespace Cairn.Tests.Artifacts;

/// <summary>
/// A listing that meets a file deleted by another request between reading the directory and reading the file's size
/// leaves the file out (the route fuzz found it as a 500 on MLflow's artifact listing under concurrent deletes).
/// </summary>
[Trait("Store", "none")]
public sealed class ConcurrentListingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cairn-listing-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_file_deleted_while_its_directory_is_listed_is_left_out_of_the_listing()
    {
        Directory.CreateDirectory(Path.Combine(_root, "run"));
        foreach (var name in new[] { "a.txt", "b.txt", "c.txt" })
        {
            await File.WriteAllTextAsync(Path.Combine(_root, "run", name), name);
        }
        var store = new FileSystemArtifactStore(_root);

        // The directory is read at the first step; the sizes of the entries after it are read as the listing goes on.
        await using var directory = store.ListDirectoryAsync("run", default).GetAsyncEnumerator();
        Assert.True(await directory.MoveNextAsync());
        await using var files = store.ListAsync("run/", default).GetAsyncEnumerator();
        Assert.True(await files.MoveNextAsync());
        foreach (var file in Directory.GetFiles(Path.Combine(_root, "run")))
        {
            File.Delete(file);
        }

        Assert.False(await directory.MoveNextAsync());
        Assert.False(await files.MoveNextAsync());
    }
}
