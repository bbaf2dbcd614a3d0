using Cairn.Tests.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Encryption;

/// <summary>
/// A test server with extra settings; over the store (data directory and database) of <paramref name="store"/> when
/// given, as another replica or a restart of it would be.
/// </summary>
internal sealed class SettingsApp(IReadOnlyDictionary<string, string> settings, CairnApp? store = null, string auth = "none") : CairnApp(auth)
{
    public string StoreDataDir => store?.DataDir ?? DataDir;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (store is not null)
        {
            builder.UseSetting("Cairn:DataDir", store.DataDir);
            if (store.PostgresDatabase is not null)
            {
                builder.UseSetting("Cairn:Database", store.PostgresDatabase);
            }
        }
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
    }
}
