using Cairn.Artifacts;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Registry;
using Cairn.Storage;
using Cairn.Tests.Api;

namespace Cairn.Tests.Catalog;

/// <summary>
/// Get-by-name is served from a cache; a write anywhere must be visible on the next read. On SQLite "anywhere" is
/// another process on the same file; on PostgreSQL (when the tests run there) another replica on the same database.
/// </summary>
public sealed class GetByNameCacheTests() : UpgradeStore("cache")
{
    private readonly Caller _admin = Caller.Admin("tester");

    public override async Task InitializeAsync() => await Migrator.MigrateAsync(CairnDatabase.Open(Setting), TimeProvider.System, default);

    private (ModelCatalog Catalog, ModelRegistry Registry, ModelAliases Aliases) Process()
    {
        // A separate set of services over the same database stands for another process (or replica).
        var database = CairnDatabase.Open(Setting);
        var audit = new AuditChain(database, TimeProvider.System);
        var store = new FileSystemArtifactStore(Path.Combine(Dir, "artifacts"));
        return (new ModelCatalog(database, audit, TimeProvider.System, store), new ModelRegistry(database, audit, TimeProvider.System, store), new ModelAliases(database, audit, TimeProvider.System));
    }

    [Fact]
    public async Task A_write_by_another_process_is_seen_by_the_next_read()
    {
        var reader = Process();
        var writer = Process();
        await writer.Catalog.CreateAsync(_admin, new CreateModelRequest("/c", "m", Description: "first"), default);
        Assert.Equal("first", (await reader.Catalog.GetAsync(_admin, "c.m", default)).Description);
        Assert.Equal("first", (await reader.Catalog.GetAsync(_admin, "c.m", default)).Description);

        await writer.Catalog.UpdateAsync(_admin, "c.m", new UpdateModelRequest(Description: "second"), default);
        Assert.Equal("second", (await reader.Catalog.GetAsync(_admin, "c.m", default)).Description);

        await writer.Registry.CreateAsync(_admin, "c.m", new CreateVersionRequest(), default);
        await writer.Aliases.SetAsync(_admin, "c.m", "champion", 1, default);
        var model = await reader.Catalog.GetAsync(_admin, "c.m", default);
        Assert.Equal(1, model.LatestVersion);
        Assert.Equal(1, model.Aliases["champion"]);

        await writer.Catalog.DeleteAsync(_admin, "c.m", default);
        await Assert.ThrowsAsync<NotFoundException>(() => reader.Catalog.GetAsync(_admin, "c.m", default));
    }

    [Fact]
    public async Task The_cache_never_bypasses_the_permission_check()
    {
        var process = Process();
        await process.Catalog.CreateAsync(_admin, new CreateModelRequest("/secret", "m"), default);
        await process.Catalog.GetAsync(_admin, "secret.m", default);

        var outsider = new Caller("outsider", [new RoleGrant("/public", Role.Reader)]);
        await Assert.ThrowsAsync<PermissionDeniedException>(() => process.Catalog.GetAsync(outsider, "secret.m", default));
    }
}
