using System.Net;
using System.Net.Sockets;

namespace Cairn.IntegrationTests;

/// <summary>
/// A setting that cannot work stops <c>cairn serve</c> with one line naming the setting, the value and the reason, exit
/// code 2, and — when it is where to listen — before anything is written to disk.
/// </summary>
public sealed class StartupFailureTests : IDisposable
{
    // Not created: the tests check that a failed start leaves it so.
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "cairn-start-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    private static void AssertOneLine(Cli.Result result, string expected)
    {
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("foo")]
    [InlineData("ftp://127.0.0.1:5000")]
    [InlineData("http://127.0.0.1:notaport")]
    [InlineData("http://127.0.0.1:99999")]
    public async Task A_malformed_url_is_named_and_nothing_is_created(string url)
    {
        var result = await Cli.RunAsync(["serve", "--urls", url, "--data-dir", _dataDir], null);

        AssertOneLine(result, $"'{url}' (--urls or CAIRN_URLS) is not a URL to listen on");
        Assert.False(Directory.Exists(_dataDir), "a server that could not listen created its data directory");
    }

    [Fact]
    public async Task A_port_in_use_is_named_and_nothing_is_created()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var result = await Cli.RunAsync(["serve", "--urls", url, "--data-dir", _dataDir], null);

        AssertOneLine(result, $"cannot listen on {url} (--urls or CAIRN_URLS): the port is in use by another process.");
        Assert.False(Directory.Exists(_dataDir), "a server that could not listen created its data directory");
    }

    [Fact]
    public async Task An_unwritable_data_directory_is_named_with_the_reason()
    {
        // /proc refuses new entries even to root, so the test holds whoever runs it.
        var result = await Cli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--data-dir", "/proc/cairn-data"], null);

        AssertOneLine(result, "the data directory '/proc/cairn-data' (--data-dir or CAIRN_DATA_DIR) cannot be written:");
    }

    [Fact]
    public async Task An_unwritable_artifacts_directory_stops_the_server_at_start_not_at_the_first_upload()
    {
        var result = await Cli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--data-dir", _dataDir, "--artifacts", "/proc/cairn-artifacts"], null);

        AssertOneLine(result, "the artifacts directory '/proc/cairn-artifacts' (--artifacts or CAIRN_ARTIFACTS) cannot be written:");
        Assert.Empty(Directory.EnumerateFiles(_dataDir, ".cairn-probe-*"));
    }

    [Fact]
    public async Task A_database_that_cannot_be_opened_is_named()
    {
        Directory.CreateDirectory(_dataDir);
        var notADatabase = Path.Combine(_dataDir, "cairn.db");
        await File.WriteAllTextAsync(notADatabase, "this is not a SQLite database, and it is long enough to have a header");

        var result = await Cli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--data-dir", _dataDir], null);

        AssertOneLine(result, "error: cannot use the metadata database (--database or CAIRN_DATABASE): SQLite Error 26");
    }
}
