using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>MLflow's model registry endpoints over Cairn's registry: one set of models for both APIs.</summary>
public sealed class MlflowRegistryApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow _mlflow = new(app.CreateClient());
    private readonly HttpClient _native = app.CreateClient();

    private static string Unique(string stem) => $"{stem}_{Guid.NewGuid():N}"[..24];

    private async Task<string> ModelAsync(string? name = null)
    {
        name ??= "risk.fraud." + Unique("m");
        await _mlflow.OkAsync("registered-models/create", new { name });
        return name;
    }

    private async Task<JsonObject> VersionAsync(string name, string source = "s3://bucket/model") =>
        (JsonObject)(await _mlflow.OkAsync("model-versions/create", new { name, source }))["model_version"]!;

    [Fact]
    public async Task A_model_registered_through_mlflow_is_a_cairn_model_in_its_namespace()
    {
        var name = "risk.fraud." + Unique("scorer");
        var created = (await _mlflow.OkAsync("registered-models/create", new { name, description = "scores claims", tags = new[] { new { key = "team", value = "risk" } } }))["registered_model"]!;

        Assert.Equal(name, (string?)created["name"]);
        Assert.Equal("scores claims", (string?)created["description"]);
        Assert.True((long)created["creation_timestamp"]! > 0);
        var native = await (await _native.GetAsync(new Uri($"/api/v1/models/{name}", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal("/risk/fraud", (string?)native["namespace"]);
        Assert.Equal("risk", (string?)native["tags"]!["team"]);
    }

    [Fact]
    public async Task A_model_made_on_the_native_api_is_served_by_mlflow_and_a_dotless_name_is_in_the_root()
    {
        var short_ = Unique("plain");
        await (await _native.PostAsJsonAsync(new Uri("/api/v1/models", UriKind.Relative), new { @namespace = "/", model_name = short_ })).ExpectAsync(201);

        var model = (await _mlflow.GetOkAsync($"registered-models/get?name={short_}"))["registered_model"]!;

        Assert.Equal(short_, (string?)model["name"]);
    }

    [Fact]
    public async Task Registered_model_errors_use_mlflow_codes()
    {
        var name = await ModelAsync();

        await (await _mlflow.PostAsync("registered-models/create", new { name })).MlflowErrorAsync(400, "RESOURCE_ALREADY_EXISTS");
        await (await _mlflow.PostAsync("registered-models/create", new { })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'");
        await (await _mlflow.GetAsync("registered-models/get?name=no.such.model")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _mlflow.GetAsync($"model-versions/get?name={name}&version=x")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "must be an integer");
        await (await _mlflow.GetAsync($"model-versions/get?name={name}&version=9")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
        // MLflow does not look the run of a runs:/ source up (test_model_registry.py registers runs:/run_id/model).
        await (await _mlflow.PostAsync("model-versions/create", new { name, source = "runs:/0123456789abcdef/model" })).OkAsync();
        await (await _mlflow.PostAsync("model-versions/create", new { name, source = "runs:/0123456789abcdef/../model" }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid model version source");
    }

    [Fact]
    public async Task Models_are_renamed_updated_tagged_and_deleted()
    {
        var name = await ModelAsync();
        await VersionAsync(name);
        var renamed = "ops.batch." + Unique("renamed");

        var moved = (await _mlflow.OkAsync("registered-models/rename", new { name, new_name = renamed }))["registered_model"]!;
        var updated = (await (await _mlflow.PatchAsync("registered-models/update", new { name = renamed, description = "now in ops" })).OkAsync())["registered_model"]!;
        await _mlflow.OkAsync("registered-models/set-tag", new { name = renamed, key = "tier", value = "gold" });

        Assert.Equal(renamed, (string?)moved["name"]);
        Assert.Equal("now in ops", (string?)updated["description"]);
        Assert.Equal("1", (string?)moved["latest_versions"]![0]!["version"]);
        var native = await (await _native.GetAsync(new Uri($"/api/v1/models/{renamed}", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal("/ops/batch", (string?)native["namespace"]);
        Assert.Equal("gold", (string?)native["tags"]!["tier"]);
        await (await _mlflow.GetAsync($"registered-models/get?name={name}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");

        await (await _mlflow.DeleteAsync("registered-models/delete-tag", new { name = renamed, key = "tier" })).OkAsync();
        await (await _mlflow.DeleteAsync("registered-models/delete", new { name = renamed })).OkAsync();
        await (await _mlflow.GetAsync($"registered-models/get?name={renamed}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Versions_are_numbered_tagged_updated_and_deleted()
    {
        var name = await ModelAsync();
        var first = await VersionAsync(name);
        var second = (JsonObject)(await _mlflow.OkAsync("model-versions/create", new { name, source = "s3://b/m2", description = "second", tags = new[] { new { key = "k", value = "v" } } }))["model_version"]!;

        Assert.Equal("1", (string?)first["version"]);
        Assert.Equal("2", (string?)second["version"]);
        Assert.Equal("None", (string?)second["current_stage"]);
        Assert.Equal("READY", (string?)second["status"]);
        Assert.Equal("v", (string?)second["tags"]![0]!["value"]);

        await _mlflow.OkAsync("model-versions/set-tag", new { name, version = 2, key = "reviewed", value = "yes" });
        var updated = (await (await _mlflow.PatchAsync("model-versions/update", new { name, version = "2", description = "checked" })).OkAsync())["model_version"]!;
        Assert.Equal("checked", (string?)updated["description"]);
        await (await _mlflow.DeleteAsync("model-versions/delete-tag", new { name, version = "2", key = "reviewed" })).OkAsync();
        await (await _mlflow.DeleteAsync("model-versions/delete", new { name, version = "1" })).OkAsync();

        await (await _mlflow.GetAsync($"model-versions/get?name={name}&version=1")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
        var kept = (await _mlflow.GetOkAsync($"model-versions/get?name={name}&version=2"))["model_version"]!;
        Assert.DoesNotContain(kept["tags"]!.AsArray(), t => (string?)t!["key"] == "reviewed");
    }

    [Fact]
    public async Task Stage_transitions_archive_existing_versions_and_latest_versions_follow()
    {
        var name = await ModelAsync();
        await VersionAsync(name);
        await VersionAsync(name);
        await VersionAsync(name);

        await _mlflow.OkAsync("model-versions/transition-stage", new { name, version = "1", stage = "Production", archive_existing_versions = false });
        var moved = (await _mlflow.OkAsync("model-versions/transition-stage", new { name, version = "2", stage = "production", archive_existing_versions = true }))["model_version"]!;

        Assert.Equal("Production", (string?)moved["current_stage"]);
        Assert.Equal("Archived", (string?)(await _mlflow.GetOkAsync($"model-versions/get?name={name}&version=1"))["model_version"]!["current_stage"]);
        var latest = (await _mlflow.OkAsync("registered-models/get-latest-versions", new { name, stages = new[] { "Production", "None" } }))["model_versions"]!.AsArray();
        Assert.Equal(["2", "3"], latest.Select(v => (string)v!["version"]!));
        var history = await (await _native.GetAsync(new Uri($"/api/v1/models/{name}/versions/1/stage", UriKind.Relative))).ExpectAsync(200);
        Assert.NotNull(history);
        await (await _mlflow.PostAsync("model-versions/transition-stage", new { name, version = "3", stage = "Shipped" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Aliases_set_on_mlflow_are_the_native_aliases_and_back()
    {
        var name = await ModelAsync();
        await VersionAsync(name);
        await VersionAsync(name);

        await _mlflow.OkAsync("registered-models/alias", new { name, alias = "champion", version = "2" });
        var native = await (await _native.GetAsync(new Uri($"/api/v1/models/{name}/aliases/champion", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal(2, (int)native["version"]!);

        await (await _native.PutAsJsonAsync(new Uri($"/api/v1/models/{name}/aliases/challenger", UriKind.Relative), new { version = 1 })).ExpectAsync(200);
        var byAlias = (await _mlflow.GetOkAsync($"registered-models/alias?name={name}&alias=challenger"))["model_version"]!;
        Assert.Equal("1", (string?)byAlias["version"]);
        Assert.Equal(["challenger"], byAlias["aliases"]!.AsArray().Select(a => (string)a!));
        var model = (await _mlflow.GetOkAsync($"registered-models/get?name={name}"))["registered_model"]!;
        Assert.Equal(["challenger", "champion"], model["aliases"]!.AsArray().Select(a => (string)a!["alias"]!));

        await (await _mlflow.DeleteAsync("registered-models/alias", new { name, alias = "champion" })).OkAsync();
        await (await _mlflow.GetAsync($"registered-models/alias?name={name}&alias=champion")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Registry_searches_take_mlflows_filters_and_page()
    {
        var stem = "search.grp." + Unique("s");
        foreach (var i in Enumerable.Range(0, 3))
        {
            await _mlflow.OkAsync("registered-models/create", new { name = $"{stem}{i}", tags = new[] { new { key = "rank", value = i == 1 ? "top" : "low" } } });
            await VersionAsync($"{stem}{i}", source: $"s3://bucket/{i}");
        }

        var like = await _mlflow.GetOkAsync($"registered-models/search?filter={Uri.EscapeDataString($"name LIKE '{stem}%'")}&order_by=name+DESC");
        Assert.Equal([$"{stem}2", $"{stem}1", $"{stem}0"], like["registered_models"]!.AsArray().Select(m => (string)m!["name"]!));
        var tagged = await _mlflow.GetOkAsync($"registered-models/search?filter={Uri.EscapeDataString($"name ILIKE '{stem.ToUpperInvariant()}%' and tags.rank = 'top'")}");
        Assert.Equal([$"{stem}1"], tagged["registered_models"]!.AsArray().Select(m => (string)m!["name"]!));

        var names = new List<string>();
        string? token = null;
        do
        {
            var page = await _mlflow.GetOkAsync($"registered-models/search?filter={Uri.EscapeDataString($"name LIKE '{stem}%'")}&max_results=2" + (token is null ? "" : $"&page_token={token}"));
            names.AddRange(page["registered_models"]!.AsArray().Select(m => (string)m!["name"]!));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        Assert.Equal(3, names.Count);

        var versions = await _mlflow.GetOkAsync($"model-versions/search?filter={Uri.EscapeDataString($"name = '{stem}2' and source_path = 's3://bucket/2'")}");
        Assert.Equal(["1"], versions["model_versions"]!.AsArray().Select(v => (string)v!["version"]!));
        await (await _mlflow.GetAsync($"model-versions/search?filter={Uri.EscapeDataString("name = 'a' or name = 'b'")}")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_version_from_a_run_records_the_run_and_downloads_from_its_artifacts()
    {
        var experiment = (string)(await _mlflow.OkAsync("experiments/create", new { name = Unique("exp") }))["experiment_id"]!;
        var run = (await _mlflow.OkAsync("runs/create", new { experiment_id = experiment }))["run"]!["info"]!;
        var runId = (string)run["run_id"]!;
        var name = await ModelAsync();

        var version = (await _mlflow.OkAsync("model-versions/create", new { name, source = $"runs:/{runId}/model" }))["model_version"]!;
        var uri = await _mlflow.GetOkAsync($"model-versions/get-download-uri?name={name}&version=1");
        var bySearch = await _mlflow.GetOkAsync($"model-versions/search?filter={Uri.EscapeDataString($"run_id = '{runId}'")}");

        Assert.Equal(runId, (string?)version["run_id"]);
        Assert.Equal($"{(string)run["artifact_uri"]!}/model", (string?)uri["artifact_uri"]);
        Assert.Equal([name], bySearch["model_versions"]!.AsArray().Select(v => (string)v!["name"]!));
        var native = await (await _native.GetAsync(new Uri($"/api/v1/models/{name}/versions/1", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal(runId, (string?)native["run_id"]);
    }
}
