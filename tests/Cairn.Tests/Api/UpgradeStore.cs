using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Api;

/// <summary>
/// An empty store of a test's own, a SQLite file in a temp dir or a fresh PostgreSQL database: migration tests migrate
/// it up to a point, write what an older Cairn wrote, then apply the rest; others migrate it whole as they start.
/// </summary>
public abstract class UpgradeStore(string name) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory($"cairn-{name}-").FullName;
    private readonly string? _postgres = TestBackend.CreatePostgresDatabase();

    /// <summary>The store's setting for <see cref="Cairn.Storage.CairnDatabase.Open(string, Microsoft.Extensions.Logging.ILogger?)"/>.</summary>
    protected string Setting => _postgres ?? Path.Combine(_dir, "cairn.db");

    /// <summary>The temp dir the store (on SQLite) and anything else of the test's own live in.</summary>
    protected string Dir => _dir;

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (_postgres is not null)
        {
            TestBackend.DropPostgresDatabase(_postgres);
        }
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}
