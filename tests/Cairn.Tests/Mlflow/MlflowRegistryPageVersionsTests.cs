using System.Globalization;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// A page's versions are read in one statement and their tags, params, metrics and aliases in another for the whole page,
/// then put together: every version must get its own collections and no other version's, across many models.
/// </summary>
public sealed class MlflowRegistryPageVersionsTests : IAsyncLifetime, IDisposable
{
    private const int Models = 12;
    private readonly CairnApp _app = new();
    private HttpClient _client = null!;

    // Model i: version 1 in Staging, 2 in Production, 3 in None; every version's tags name it, version 2 also carries
    // an alias of its own and, on even models, version 3 carries "newest". Odd models' version 3 has no tags at all.
    public async Task InitializeAsync()
    {
        _client = _app.CreateClient();
        for (var i = 0; i < Models; i++)
        {
            await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/page", model_name = Model(i) })).ExpectAsync(201);
            for (var v = 1; v <= 3; v++)
            {
                var tagged = v != 3 || i % 2 == 0;
                await (await _client.PostJsonAsync($"/api/v1/models/page.{Model(i)}/versions", new
                {
                    tags = tagged ? new Dictionary<string, string> { ["owner"] = Owner(i, v), ["n"] = v.ToString(CultureInfo.InvariantCulture) } : null,
                    @params = new Dictionary<string, string> { ["p"] = Owner(i, v) },
                    metrics = new Dictionary<string, double> { ["m"] = (i * 10) + v },
                })).ExpectAsync(201);
            }
            await (await _client.PostJsonAsync($"/api/v1/models/page.{Model(i)}/versions/1/stage", new { stage = "Staging" })).ExpectAsync(200);
            await (await _client.PostJsonAsync($"/api/v1/models/page.{Model(i)}/versions/2/stage", new { stage = "Production" })).ExpectAsync(200);
            await (await _client.PutJsonAsync($"/api/v1/models/page.{Model(i)}/aliases/champion-{i}", new { version = 2 })).ExpectAsync(200);
            if (i % 2 == 0)
            {
                await (await _client.PutJsonAsync($"/api/v1/models/page.{Model(i)}/aliases/newest", new { version = 3 })).ExpectAsync(200);
            }
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _app.Dispose();

    private static string Model(int i) => $"m{i:D2}";

    private static string Owner(int i, int v) => $"page.{Model(i)}/{v}";

    // "page.m07" (MLflow's name, the native API's model) is model 7.
    private static int Index(JsonNode version) => int.Parse(((string?)(version["name"] ?? version["model"]))![6..], CultureInfo.InvariantCulture);

    private static string ExpectedTags(int i, int v) => v != 3 || i % 2 == 0 ? $"n={v},owner={Owner(i, v)}" : "";

    private static string ExpectedAliases(int i, int v) => v switch
    {
        2 => $"champion-{i}",
        3 when i % 2 == 0 => "newest",
        _ => "",
    };

    private static string MlflowTags(JsonNode version) =>
        string.Join(",", (version["tags"]?.AsArray() ?? []).Select(t => $"{(string)t!["key"]!}={(string)t["value"]!}"));

    private static string Aliases(JsonNode version) => string.Join(",", (version["aliases"]?.AsArray() ?? []).Select(a => (string)a!));

    [Fact]
    public async Task Every_latest_version_on_a_model_search_page_carries_its_own_tags_and_aliases()
    {
        var mlflow = new Mlflow(_client);
        var page = await mlflow.GetOkAsync("registered-models/search?max_results=100&filter=" + Uri.EscapeDataString("name LIKE 'page.m%'"));

        var models = page["registered_models"]!.AsArray();
        Assert.Equal(Models, models.Count);
        foreach (var model in models)
        {
            var i = Index(model!);
            var latest = model!["latest_versions"]!.AsArray();
            Assert.Equal(["1:Staging", "2:Production", "3:None"], latest.Select(v => $"{(string)v!["version"]!}:{(string)v["current_stage"]!}"));
            foreach (var version in latest)
            {
                Assert.Equal(Model(i), ((string)version!["name"]!)[5..]);
                var v = int.Parse((string)version["version"]!, CultureInfo.InvariantCulture);
                Assert.Equal(ExpectedTags(i, v), MlflowTags(version));
                Assert.Equal(ExpectedAliases(i, v), Aliases(version));
            }
        }
    }

    [Fact]
    public async Task Every_version_of_a_version_search_carries_its_own_tags_and_aliases()
    {
        var mlflow = new Mlflow(_client);
        var page = await mlflow.GetOkAsync("model-versions/search?max_results=1000&filter=" + Uri.EscapeDataString("name LIKE 'page.m%'"));

        var versions = page["model_versions"]!.AsArray();
        Assert.Equal(Models * 3, versions.Count);
        foreach (var version in versions)
        {
            var (i, v) = (Index(version!), int.Parse((string)version!["version"]!, CultureInfo.InvariantCulture));
            Assert.Equal(ExpectedTags(i, v), MlflowTags(version));
            Assert.Equal(ExpectedAliases(i, v), Aliases(version));
        }

        var fromOne = await mlflow.GetOkAsync("registered-models/get-latest-versions?name=page.m04");
        Assert.Equal(["", "champion-4", "newest"], fromOne["model_versions"]!.AsArray().Select(v => Aliases(v!)));
    }

    [Fact]
    public async Task Every_version_of_a_native_search_carries_its_own_tags_params_metrics_and_aliases()
    {
        var page = await (await _client.GetAsync("/api/v1/versions?max_results=1000&filter=" + Uri.EscapeDataString("name LIKE 'page.m%'"))).ExpectAsync(200);

        var versions = page["versions"]!.AsArray();
        Assert.Equal(Models * 3, versions.Count);
        foreach (var version in versions)
        {
            var (i, v) = (Index(version!), (int)version!["version"]!);
            var tags = version["tags"]!.AsObject().Select(t => $"{t.Key}={(string)t.Value!}");
            Assert.Equal(ExpectedTags(i, v), string.Join(",", tags));
            Assert.Equal(Owner(i, v), (string?)version["params"]!["p"]);
            Assert.Equal((i * 10) + v, (double)version["metrics"]!["m"]!);
            Assert.Equal(ExpectedAliases(i, v), Aliases(version));
        }
    }
}
