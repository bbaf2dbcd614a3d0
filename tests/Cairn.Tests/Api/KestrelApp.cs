using Cairn.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cairn.Tests.Api;

/// <summary>
/// The real server on real Kestrel, in-process on a free port of 127.0.0.1, over a fresh data dir (and a fresh PostgreSQL
/// database when <c>CAIRN_TEST_POSTGRES</c> is set). For what the test server does not reproduce: Kestrel's own
/// normalisation of the request target and its validation of response headers.
/// </summary>
public sealed class KestrelApp : IAsyncLifetime
{
    private WebApplication? _app;

    public string DataDir { get; } = Directory.CreateTempSubdirectory("cairn-kestrel-").FullName;

    public string? PostgresDatabase { get; } = TestBackend.CreateMigratedPostgresDatabase();

    /// <summary>The server's address, as <c>http://127.0.0.1:port</c>.</summary>
    public Uri Address { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Cairn:DataDir"] = DataDir,
            ["Cairn:Auth"] = "none",
            ["Cairn:LocalUser"] = "tester",
        };
        if (PostgresDatabase is not null)
        {
            settings["Cairn:Database"] = PostgresDatabase;
        }
        else
        {
            TestBackend.CopyMigratedSqliteStore(Path.Combine(DataDir, "cairn.db"));
        }
        _app = CairnServer.Build([], settings, services => services.TryAddSingleton<Cairn.Events.ISecretProtector>(Events.TestSecretProtector.Instance));
        await _app.StartAsync();
        Address = new Uri(_app.Urls.Single());
    }

    /// <summary>A client that sends each request target exactly as written (see <see cref="Raw"/>).</summary>
    public HttpClient CreateClient() => new() { BaseAddress = Address };

    /// <summary>
    /// An absolute URI whose path and query go on the wire as written: <see cref="Uri"/> would otherwise remove dot
    /// segments and decode what it considers unreserved before HttpClient sends it.
    /// </summary>
    public Uri Raw(string pathAndQuery) =>
        new(Address.GetLeftPart(UriPartial.Authority) + pathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (PostgresDatabase is not null)
        {
            TestBackend.DropPostgresDatabase(PostgresDatabase);
        }
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open must not fail the test run; the OS cleans temp.
        }
    }
}
