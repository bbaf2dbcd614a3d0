using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Registry;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Ui;

/// <summary>
/// The library reads the model pages added (issue 15): a model's stage, every alias change and every stage transition
/// of a model in one query each, on both backends.
/// </summary>
public sealed class ModelReadsTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static readonly Caller Admin = Caller.Admin("tester");

    private async Task<string> ModelAsync(string name, int versions)
    {
        await app.Services.GetRequiredService<ModelCatalog>().CreateAsync(Admin, new CreateModelRequest("/reads", name), CancellationToken.None);
        var registry = app.Services.GetRequiredService<ModelRegistry>();
        for (var i = 0; i < versions; i++)
        {
            await registry.CreateAsync(Admin, $"reads.{name}", new CreateVersionRequest(), CancellationToken.None);
        }
        return $"reads.{name}";
    }

    [Fact]
    public async Task A_models_stage_is_its_most_advanced_versions_and_archived_only_when_all_are()
    {
        var catalog = app.Services.GetRequiredService<ModelCatalog>();
        var registry = app.Services.GetRequiredService<ModelRegistry>();
        var model = await ModelAsync("stage", 2);
        Assert.Equal(Stage.None, (await catalog.GetAsync(Admin, model, CancellationToken.None)).Stage);
        Assert.Null((await catalog.GetAsync(Admin, await ModelAsync("noversions", 0), CancellationToken.None)).Stage);

        await registry.TransitionAsync(Admin, model, 1, new StageChange("Archived"), CancellationToken.None);
        Assert.Equal(Stage.None, (await catalog.GetAsync(Admin, model, CancellationToken.None)).Stage);
        await registry.TransitionAsync(Admin, model, 2, new StageChange("Archived"), CancellationToken.None);
        Assert.Equal(Stage.Archived, (await catalog.GetAsync(Admin, model, CancellationToken.None)).Stage);
        await registry.TransitionAsync(Admin, model, 1, new StageChange("Staging"), CancellationToken.None);
        await registry.TransitionAsync(Admin, model, 2, new StageChange("Production"), CancellationToken.None);
        Assert.Equal(Stage.Production, (await catalog.GetAsync(Admin, model, CancellationToken.None)).Stage);

        var history = await registry.ModelStageHistoryAsync(Admin, model, 3, CancellationToken.None);
        Assert.Equal([(2, Stage.Archived, Stage.Production), (1, Stage.Archived, Stage.Staging), (2, Stage.None, Stage.Archived)],
            history.Select(t => (t.Version, t.FromStage, t.ToStage)));
        Assert.Empty(await registry.ModelStageHistoryAsync(Admin, "reads.nobody", 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_models_alias_history_lists_every_aliases_changes_newest_first()
    {
        var aliases = app.Services.GetRequiredService<ModelAliases>();
        var model = await ModelAsync("aliases", 3);
        await aliases.SetAsync(Admin, model, "champion", 1, CancellationToken.None);
        await aliases.SetAsync(Admin, model, "challenger", 2, CancellationToken.None);
        await aliases.SetAsync(Admin, model, "champion", 3, CancellationToken.None);
        await aliases.DeleteAsync(Admin, model, "challenger", CancellationToken.None);

        var history = await aliases.ModelHistoryAsync(Admin, model, 10, CancellationToken.None);

        Assert.Equal([("challenger", null, 2), ("champion", 3, 1), ("challenger", 2, null), ("champion", 1, null)],
            history.Select(h => (h.Alias, h.Version, h.PreviousVersion)));
        Assert.Equal(2, (await aliases.ModelHistoryAsync(Admin, model, 2, CancellationToken.None)).Count);
        await Assert.ThrowsAsync<PermissionDeniedException>(() => aliases.ModelHistoryAsync(
            new Caller("outsider", [new RoleGrant("/elsewhere", Role.Reader)]), model, 10, CancellationToken.None));
    }
}
