using Microsoft.Data.Sqlite;

namespace Cairn.IntegrationTests.Deployments;

/// <summary>A real <c>cairn serve</c> on a data dir of its own for a class of CLI tests, and the CLI pointed at it.</summary>
public abstract class CliAgainstServer(string name) : IAsyncLifetime
{
    /// <summary>The server's data dir, where a test may also put the files it passes to the CLI.</summary>
    protected string DataDir { get; } = Directory.CreateTempSubdirectory($"cairn-{name}-").FullName;
    private ServerProcess? _server;

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(["--data-dir", DataDir]);

    public async Task DisposeAsync()
    {
        await _server!.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(DataDir, recursive: true);
    }

    protected Task<Cli.Result> RunAsync(params string[] args) => Cli.RunAsync([.. args, "--server", _server!.Url], null);

    protected static void Succeeds(Cli.Result result) => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");
}
