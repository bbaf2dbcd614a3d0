using Cairn.Governance;
using Cairn.Registry;
using Cairn.Tests.Api;
using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Artifacts;

/// <summary>The embedded library: the seed's save/load/find/statistics usage, on the server's own store.</summary>
public sealed class CairnRegistryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cairn-lib-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string ModelFile(string name, byte fill)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, Enumerable.Repeat(fill, 1000).ToArray());
        return path;
    }

    [Fact]
    public async Task Saved_models_load_by_latest_version_number_and_alias()
    {
        var dataDir = Path.Combine(_dir, "data");
        using var registry = CairnRegistry.Open("local", dataDir, "alice");

        var first = registry.SaveModel("team.classifier", ModelFile("model.bin", 1), "first", new Dictionary<string, string> { ["type"] = "classifier" });
        var second = registry.SaveModel("team.classifier", ModelFile("model.bin", 2), "second");
        await registry.Aliases.SetAsync(Caller(registry), "team.classifier", "champion", first.Version, default);

        Assert.Equal((1, 2), (first.Version, second.Version));
        Assert.Equal(VersionStatus.Ready, second.Status);
        Assert.Equal("alice", second.CreatedBy);
        using (var latest = registry.LoadModel("team.classifier"))
        {
            Assert.Equal(2, latest.Version.Version);
            Assert.Equal(2, latest.Content!.ReadByte());
        }
        using (var champion = registry.LoadModel("team.classifier", "@champion"))
        {
            Assert.Equal(1, champion.Content!.ReadByte());
            Assert.Equal("model.bin", champion.Files.Single().Path);
        }
        using var byNumber = registry.LoadModel("team.classifier", "1");
        Assert.Equal("first", byNumber.Version.Description);
    }

    [Fact]
    public async Task Aliases_and_stages_are_set_through_the_registry_itself_and_audited()
    {
        using var registry = CairnRegistry.Open("local", Path.Combine(_dir, "data"), "alice");
        var first = registry.SaveModel("team.ranker", ModelFile("model.bin", 1));
        var second = registry.SaveModel("team.ranker", ModelFile("model.bin", 2));

        registry.SetAlias("team.ranker", "champion", first.Version);
        registry.SetStage("team.ranker", first.Version, Stage.Production, comment: "beats baseline");
        var promoted = registry.SetStage("team.ranker", second.Version, Stage.Production, archiveExisting: true);
        registry.SetAlias("team.ranker", "champion", second.Version);

        Assert.Equal(Stage.Production, promoted.Stage);
        Assert.Equal(Stage.Archived, (await registry.Versions.GetAsync(Caller(registry), "team.ranker", first.Version, default)).Stage);
        using (var champion = registry.LoadModel("team.ranker", "champion"))
        {
            Assert.Equal(2, champion.Version.Version);
        }
        Assert.Equal([2, 1], (await registry.Aliases.HistoryAsync(Caller(registry), "team.ranker", "champion", default)).Select(c => c.Version));

        registry.DeleteAlias("team.ranker", "champion");

        Assert.Throws<NotFoundException>(() => registry.LoadModel("team.ranker", "champion"));
        var actions = (await registry.Audit.ListAsync(Caller(registry), new AuditQuery("alice", null, null, null, null, null, null), default)).Entries.Select(e => e.Action).ToList();
        Assert.Contains("alias.set", actions);
        Assert.Contains("alias.delete", actions);
    }

    [Fact]
    public void Models_are_found_by_tag_and_counted()
    {
        using var registry = CairnRegistry.Open("database", Path.Combine(_dir, "meta.db"));
        registry.SaveModel("a.one", ModelFile("one.bin", 1), tags: new Dictionary<string, string> { ["type"] = "classifier" });
        registry.SaveModel("a.two", ModelFile("two.bin", 1), tags: new Dictionary<string, string> { ["type"] = "regressor" });
        registry.SaveModel("b.three", ModelFile("three.bin", 1), tags: new Dictionary<string, string> { ["type"] = "it's \\ odd" });

        Assert.Equal(["a.one"], registry.FindModelsByTag("type", "classifier").Select(m => m.FullName));
        Assert.Empty(registry.FindModelsByTag("type", "classifier' OR '1'='1"));
        Assert.Empty(registry.FindModelsByTag("type", "CLASSIFIER"));

        var stats = registry.GetStatistics();
        Assert.Equal(3, stats.Models);
        Assert.Equal(3, stats.Versions);
        Assert.Equal(3000, stats.BytesStored);
        Assert.Equal(3, stats.VersionsPerStage["None"]);
        Assert.Equal(0, stats.VersionsPerStage["Production"]);
    }

    [Fact]
    public async Task A_data_dir_written_by_the_library_is_served_unchanged_with_one_audit_chain()
    {
        var dataDir = Path.Combine(_dir, "shared");
        using (var registry = CairnRegistry.Open("local", dataDir, "notebook"))
        {
            registry.SaveModel("lib.model", ModelFile("weights.bin", 9), "from a notebook");
        }

        using var app = new SharedDirApp(dataDir);
        var client = app.CreateClient();
        var version = await (await client.GetAsync("/api/v1/models/lib.model/versions/1")).ExpectAsync(200);
        Assert.Equal("notebook", (string?)version["created_by"]);
        var bytes = await client.GetByteArrayAsync("/api/v1/models/lib.model/versions/1/files/weights.bin");
        Assert.Equal(1000, bytes.Length);
        var verify = await (await client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);
        Assert.True((bool)verify["valid"]!);
        Assert.Equal(4, (int)verify["checked"]!);
    }

    private static Cairn.Governance.Caller Caller(CairnRegistry registry) => Cairn.Governance.Caller.Admin(registry.User);

    private sealed class SharedDirApp(string dataDir) : CairnApp
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Cairn:DataDir", dataDir);
            // The library's local data dir is a SQLite file; the server must read that one on every backend run.
            builder.UseSetting("Cairn:Database", "");
        }
    }
}
