using System.Net;
using System.Net.Sockets;
using Cairn.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;

namespace Cairn.Bench;

/// <summary>
/// A Cairn server in this process — the one <c>cairn serve</c> builds, through <see cref="CairnServer.Build"/> —
/// on a free loopback port with its data in the directory it is given (the bench deletes its temporary one after the run).
/// </summary>
internal sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessServer(WebApplication app, Uri address, string dataDir)
    {
        _app = app;
        Address = address;
        DataDir = dataDir;
    }

    public Uri Address { get; }

    public string DataDir { get; }

    /// <summary>The server's services, for workloads that seed large data sets straight into its store.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The server's database: the one given to <see cref="StartAsync"/>, else the SQLite file in its data directory.</summary>
    public string Database { get; private init; } = "";

    public static async Task<InProcessServer> StartAsync(
        string dataDir, CancellationToken cancellationToken, string? database = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var configuration = new Dictionary<string, string?>
        {
            ["Cairn:Database"] = database,
            ["urls"] = address.ToString().TrimEnd('/'),
            ["Cairn:DataDir"] = dataDir,
            ["Cairn:Auth"] = "none",
            ["Cairn:LocalUser"] = "bench",
            // Per-request logging would be measured too; warnings and errors still show, on stderr so that
            // --json output stays parseable.
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }
        var app = CairnServer.Build([], configuration);
        await app.StartAsync(cancellationToken);
        return new InProcessServer(app, address, dataDir)
        {
            Database = string.IsNullOrWhiteSpace(database) ? Path.GetFullPath(Path.Combine(dataDir, "cairn.db")) : database,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        // Pooled connections keep the database files open; release them before deleting the directory.
        SqliteConnection.ClearAllPools();
    }

    /// <summary>A port the OS says is free now; the server binds it right after (a tiny race, fine for a bench).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
