using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Cairn.Tests.Api;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Catalog;

/// <summary>
/// Free text over models goes through migration 0025's trigram indexes (SQLite FTS5, PostgreSQL pg_trgm) and must find
/// exactly the models the plain scan found: the text anywhere in the full name or description, any case, wildcards
/// literal. The scan's own condition (<see cref="Paging.FreeText"/>) run straight on the store is the oracle.
/// </summary>
public sealed class ModelTextSearchTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static readonly Caller Admin = Caller.Admin("text-tests");

    private static readonly string[] Queries =
    [
        "segm", "SEGMENTATION", "seg", "eg", "g-m", "100%", "match_rate", "_", "%", "\"hi\"", "hi\" t", "ÉCLAIR", "éclair", "  roads  ",
        "lanes", "nothing-like-this", "x", "ResNe",
    ];

    private ModelCatalog Catalog => app.Services.GetRequiredService<ModelCatalog>();

    private async Task<List<string>> SearchAsync(string ns, string q)
    {
        var page = await Catalog.SearchAsync(Admin, new ModelQuery(Q: q, MaxResults: 100, Under: ns), default);
        return page.Models.Select(m => m.FullName).ToList();
    }

    private async Task<List<string>> ScanAsync(string ns, string q)
    {
        var database = app.Services.GetRequiredService<CairnDatabase>();
        var parameters = new Dictionary<string, object?> { ["ns"] = ns };
        var condition = Paging.FreeText(q, database.Dialect, parameters, "m.full_name", "m.description");
        return (await database.ReadAsync(c => c.QueryAsync<string>(new CommandDefinition(
            $"SELECT m.full_name FROM models m WHERE m.namespace = @ns AND {condition} ORDER BY m.full_name", new DynamicParameters(parameters))), default)).ToList();
    }

    private async Task AssertSameAsScanAsync(string ns)
    {
        foreach (var q in Queries)
        {
            Assert.Equal(await ScanAsync(ns, q), await SearchAsync(ns, q));
        }
    }

    [Fact]
    public async Task Free_text_finds_the_models_the_scan_found_for_partial_words_any_case_and_literal_wildcards()
    {
        var ns = $"/text{Guid.NewGuid():N}"[..14];
        (string Name, string? Description)[] models =
        [
            ("resnet-segmentation", "Detects objects"),
            ("seg-model", null),
            ("plain", "Semantic SEGMENTATION of roads"),
            ("pct", "A 100% match_rate"),
            ("quote", "says \"hi\" there"),
            ("eclair", "ÉCLAIR au chocolat"),
            ("other", "nothing to see"),
        ];
        foreach (var (name, description) in models)
        {
            await Catalog.CreateAsync(Admin, new CreateModelRequest(ns, name, description), default);
        }

        Assert.Equal([NamespacePath.FullName(ns, "plain"), NamespacePath.FullName(ns, "resnet-segmentation")], await SearchAsync(ns, "segMENT"));
        Assert.Equal([NamespacePath.FullName(ns, "pct")], await SearchAsync(ns, "100%"));
        Assert.Equal([NamespacePath.FullName(ns, "resnet-segmentation")], await SearchAsync(ns, "ResNe"));
        await AssertSameAsScanAsync(ns);
    }

    [Fact]
    public async Task Free_text_follows_a_changed_description_and_a_deleted_model()
    {
        var ns = $"/text{Guid.NewGuid():N}"[..14];
        await Catalog.CreateAsync(Admin, new CreateModelRequest(ns, "plain", "Semantic segmentation of roads"), default);
        await Catalog.CreateAsync(Admin, new CreateModelRequest(ns, "seg-model"), default);

        await Catalog.UpdateAsync(Admin, NamespacePath.FullName(ns, "plain"), new UpdateModelRequest(Description: "now about lanes"), default);
        await Catalog.DeleteAsync(Admin, NamespacePath.FullName(ns, "seg-model"), default);

        Assert.Empty(await SearchAsync(ns, "roads"));
        Assert.Equal([NamespacePath.FullName(ns, "plain")], await SearchAsync(ns, "LANES"));
        Assert.Empty(await SearchAsync(ns, "seg-m"));
        await AssertSameAsScanAsync(ns);
    }
}
