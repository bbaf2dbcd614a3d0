using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Cairn.IntegrationTests;

/// <summary>`cairn version create --file/--dir` and `cairn version download` against the real server.</summary>
public sealed class CliFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cairn-cli-files-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Files_uploaded_with_the_version_download_byte_for_byte_with_verified_checksums()
    {
        await using var server = await ServerProcess.StartAsync(["--data-dir", Path.Combine(_root, "data")]);
        var model = Path.Combine(_root, "model.bin");
        await File.WriteAllBytesAsync(model, Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 7)).ToArray());
        var extra = Directory.CreateDirectory(Path.Combine(_root, "extra", "tokenizer")).FullName;
        await File.WriteAllTextAsync(Path.Combine(extra, "vocab.txt"), "hello\nworld\n");
        string[] connect = ["--server", server.Url];

        Assert.Equal(0, (await Cli.RunAsync(["model", "create", "team.files", .. connect], null)).ExitCode);
        var created = await Cli.RunAsync(["version", "create", "team.files", "--file", model, "--dir", Path.Combine(_root, "extra"), "--json", .. connect], null);
        Assert.True(created.ExitCode == 0, created.Stdout + created.Stderr);
        var version = JsonNode.Parse(created.Stdout)!;
        Assert.Equal("READY", (string?)version["status"]);

        var output = Path.Combine(_root, "out");
        var downloaded = await Cli.RunAsync(["version", "download", "team.files", "1", "--out", output, .. connect], null);
        Assert.True(downloaded.ExitCode == 0, downloaded.Stdout + downloaded.Stderr);
        Assert.Equal(await File.ReadAllBytesAsync(model), await File.ReadAllBytesAsync(Path.Combine(output, "model.bin")));
        Assert.Equal("hello\nworld\n", await File.ReadAllTextAsync(Path.Combine(output, "tokenizer", "vocab.txt")));
        Assert.Contains("checksums verified", downloaded.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_reported_before_anything_is_registered()
    {
        await using var server = await ServerProcess.StartAsync(["--data-dir", Path.Combine(_root, "data")]);
        Assert.Equal(0, (await Cli.RunAsync("model", "create", "team.missing", "--server", server.Url)).ExitCode);

        var result = await Cli.RunAsync("version", "create", "team.missing", "--file", Path.Combine(_root, "nope.bin"), "--server", server.Url);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No such file", result.Stderr, StringComparison.Ordinal);
        var versions = JsonNode.Parse((await Cli.RunAsync("version", "list", "team.missing", "--server", server.Url, "--json")).Stdout)!;
        Assert.Empty(versions["versions"]!.AsArray());
    }
}
