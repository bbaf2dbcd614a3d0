using System.Text.Json.Nodes;

namespace Cairn.Tests.Api;

public sealed class SearchApiTests : IAsyncLifetime, IDisposable
{
    private readonly CairnApp _app = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = _app.CreateClient();
        var models = new[]
        {
            ("/fraud", "fraud_detector", "risk", "Detects card fraud"),
            ("/fraud", "fraud_scorer", "ops", "Scores transactions"),
            ("/fraud", "Fraud_legacy", "risk", "Old model"),
            ("/claims", "doc_classification", "ml", "Classifies claim documents"),
        };
        foreach (var (ns, name, team, description) in models)
        {
            await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = ns, model_name = name, description, tags = new Dictionary<string, string> { ["team"] = team } })).ExpectAsync(201);
            for (var v = 1; v <= 3; v++)
            {
                await (await _client.PostJsonAsync($"/api/v1/models/{ns[1..]}.{name}/versions",
                    new { metrics = new Dictionary<string, double> { ["auc"] = 0.7 + (v / 10.0) } })).ExpectAsync(201);
            }
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _app.Dispose();

    private async Task<List<string>> ModelNamesAsync(string query)
    {
        var page = await (await _client.GetAsync("/api/v1/models?" + query)).ExpectAsync(200);
        return page["models"]!.AsArray().Select(m => (string)m!["full_name"]!).ToList();
    }

    [Fact]
    public async Task The_architecture_example_filter_selects_models_by_name_pattern_and_tags()
    {
        var names = await ModelNamesAsync("filter=" + Uri.EscapeDataString("name LIKE 'fraud%' AND (tags.team = 'risk' OR tags.team = 'ops')"));
        Assert.Equal(["fraud.fraud_detector", "fraud.fraud_scorer"], names);
    }

    [Fact]
    public async Task Stage_values_in_filters_match_in_any_case_as_the_cli_writes_them()
    {
        await (await _client.PostJsonAsync("/api/v1/models/fraud.fraud_scorer/versions/2/stage", new { stage = "Production" })).ExpectAsync(200);

        var versions = await (await _client.GetAsync("/api/v1/versions?filter=" + Uri.EscapeDataString("stage = 'production'"))).ExpectAsync(200);
        Assert.Equal(["fraud.fraud_scorer/2"], versions["versions"]!.AsArray().Select(v => $"{v!["model"]}/{v["version"]}"));
        var notIn = await (await _client.GetAsync("/api/v1/models/fraud.fraud_scorer/versions?filter=" + Uri.EscapeDataString("stage NOT IN ('PRODUCTION', 'archived')"))).ExpectAsync(200);
        Assert.Equal([3, 1], notIn["versions"]!.AsArray().Select(v => (int)v!["version"]!));
        Assert.Equal(["fraud.fraud_scorer"], await ModelNamesAsync("filter=" + Uri.EscapeDataString("stage = 'PRODUCTION'")));
        // A LIKE pattern is compared as written.
        Assert.Empty(await ModelNamesAsync("filter=" + Uri.EscapeDataString("stage LIKE 'prod%'")));
    }

    [Fact]
    public async Task Ilike_ignores_case_where_like_does_not()
    {
        Assert.Equal(3, (await ModelNamesAsync("filter=" + Uri.EscapeDataString("name ILIKE 'fraud%'"))).Count);
        Assert.Equal(2, (await ModelNamesAsync("filter=" + Uri.EscapeDataString("name LIKE 'fraud%'"))).Count);
    }

    [Fact]
    public async Task Free_text_matches_names_and_descriptions_case_insensitively()
    {
        Assert.Equal(["claims.doc_classification"], await ModelNamesAsync("q=claim%20DOCUMENTS"));
        Assert.Equal(["fraud.fraud_scorer"], await ModelNamesAsync("q=transactions"));
    }

    [Fact]
    public async Task Free_text_wildcards_match_themselves()
    {
        // '_' and '%' are LIKE wildcards: unescaped, "d_t" would match "detector" and "%" every model.
        Assert.Empty(await ModelNamesAsync("q=d_t"));
        Assert.Empty(await ModelNamesAsync("q=%25"));
        Assert.Equal(["claims.doc_classification"], await ModelNamesAsync("q=doc_class"));
    }

    [Fact]
    public async Task Versions_are_searched_across_models_by_metric_and_version()
    {
        var page = await (await _client.GetAsync("/api/v1/versions?filter=" + Uri.EscapeDataString("metrics.auc > 0.95 AND name = 'claims.doc_classification'"))).ExpectAsync(200);
        var versions = page["versions"]!.AsArray();
        Assert.Equal(3, (int)versions.Single()!["version"]!);

        var modelPage = await (await _client.GetAsync("/api/v1/models/fraud.fraud_detector/versions?filter=" + Uri.EscapeDataString("version >= 2"))).ExpectAsync(200);
        Assert.Equal([3, 2], modelPage["versions"]!.AsArray().Select(v => (int)v!["version"]!));
    }

    [Fact]
    public async Task Order_by_and_page_tokens_walk_every_result_once()
    {
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await (await _client.GetAsync("/api/v1/versions?order_by=" + Uri.EscapeDataString("name DESC, version ASC") + "&max_results=5"
                + (token is null ? "" : "&page_token=" + Uri.EscapeDataString(token)))).ExpectAsync(200);
            seen.AddRange(page["versions"]!.AsArray().Select(v => $"{v!["model"]}/{v["version"]}"));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);

        Assert.Equal(12, seen.Count);
        Assert.Equal(12, seen.Distinct().Count());
        Assert.Equal("fraud.fraud_scorer/1", seen[0]);
    }

    [Theory]
    [InlineData("filter=name%20LIKE", "character 10")]
    [InlineData("filter=nmae%20%3D%20'x'", "character 1")]
    [InlineData("filter=name%20%3D%20'x'%20AND", "character 15")]
    [InlineData("order_by=colour%20ASC", "colour")]
    [InlineData("page_token=garbage", "page_token")]
    [InlineData("max_results=0", "max_results")]
    public async Task Bad_search_parameters_are_400_with_where_and_why(string query, string expected)
    {
        var problem = await (await _client.GetAsync("/api/v1/models?" + query)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains(expected, (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_token_cannot_be_replayed_against_another_filter()
    {
        var first = await (await _client.GetAsync("/api/v1/models?max_results=1")).ExpectAsync(200);
        var token = (string)first["next_page_token"]!;
        await (await _client.GetAsync("/api/v1/models?max_results=1&filter=" + Uri.EscapeDataString("name = 'x'") + "&page_token=" + token))
            .ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Injection_attempts_in_filter_values_match_literally_and_harm_nothing()
    {
        var names = await ModelNamesAsync("filter=" + Uri.EscapeDataString("name = 'x'' OR ''1''=''1' OR description = '; DROP TABLE models; --'"));
        Assert.Empty(names);
        Assert.Equal(4, (await ModelNamesAsync("")).Count);
        await (await _client.GetAsync("/api/v1/models?filter=" + Uri.EscapeDataString("name = 'a'; DROP TABLE models"))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Equal(4, (await ModelNamesAsync("")).Count);
    }

    [Fact]
    public async Task Model_results_carry_tags_aliases_and_latest_version()
    {
        var page = await (await _client.GetAsync("/api/v1/models?filter=" + Uri.EscapeDataString("tags.team = 'ml'"))).ExpectAsync(200);
        var model = page["models"]!.AsArray().Single()!.AsObject();
        Assert.Equal(3, (int)model["latest_version"]!);
        Assert.Equal("ml", (string?)model["tags"]!["team"]);
        Assert.IsType<JsonObject>(model["aliases"]);
    }
}
