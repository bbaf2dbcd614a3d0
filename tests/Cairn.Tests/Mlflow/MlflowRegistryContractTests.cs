using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>MLflow's registry contract per endpoint: response shapes, MLflow's error messages, limits and prefixes.</summary>
public sealed class MlflowRegistryContractTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow _mlflow = new(app.CreateClient());

    private static string Unique(string stem) => $"{stem}_{Guid.NewGuid():N}"[..24];

    private async Task<string> ModelAsync()
    {
        var name = "contract.reg." + Unique("m");
        await _mlflow.OkAsync("registered-models/create", new { name });
        return name;
    }

    private async Task<JsonObject> VersionAsync(string name, string source = "s3://bucket/model") =>
        (JsonObject)(await _mlflow.OkAsync("model-versions/create", new { name, source }))["model_version"]!;

    private static void AssertKind(JsonNode? node, JsonValueKind kind, string field) =>
        Assert.True(node?.GetValueKind() == kind, $"'{field}' should be {kind}, was {node?.GetValueKind().ToString() ?? "absent"}");

    [Fact]
    public async Task Registered_models_and_versions_have_mlflows_json_shape()
    {
        var name = await ModelAsync();
        var version = (JsonObject)(await _mlflow.OkAsync("model-versions/create", new
        {
            name,
            source = "s3://bucket/shape",
            description = "d",
            tags = new[] { new { key = "k", value = "v" } },
            run_link = "http://tracking/runs/1",
        }))["model_version"]!;
        await _mlflow.OkAsync("registered-models/alias", new { name, alias = "best", version = 1 });
        var model = (JsonObject)(await _mlflow.GetOkAsync($"registered-models/get?name={name}"))["registered_model"]!;

        AssertKind(model["name"], JsonValueKind.String, "name");
        AssertKind(model["creation_timestamp"], JsonValueKind.Number, "creation_timestamp");
        AssertKind(model["last_updated_timestamp"], JsonValueKind.Number, "last_updated_timestamp");
        AssertKind(model["latest_versions"], JsonValueKind.Array, "latest_versions");
        AssertKind(model["tags"], JsonValueKind.Array, "tags");
        Assert.Equal("best", (string?)model["aliases"]![0]!["alias"]);
        Assert.Equal("1", (string?)model["aliases"]![0]!["version"]);

        Assert.Equal(name, (string?)version["name"]);
        AssertKind(version["version"], JsonValueKind.String, "version");
        AssertKind(version["creation_timestamp"], JsonValueKind.Number, "creation_timestamp");
        AssertKind(version["last_updated_timestamp"], JsonValueKind.Number, "last_updated_timestamp");
        AssertKind(version["user_id"], JsonValueKind.String, "user_id");
        Assert.Equal("None", (string?)version["current_stage"]);
        Assert.Equal("d", (string?)version["description"]);
        Assert.Equal("s3://bucket/shape", (string?)version["source"]);
        Assert.Equal("READY", (string?)version["status"]);
        Assert.Equal("k", (string?)version["tags"]![0]!["key"]);
        AssertKind(version["aliases"], JsonValueKind.Array, "aliases");
        Assert.Equal("http://tracking/runs/1", (string?)version["run_link"]);
        Assert.Equal("http://tracking/runs/1", (string?)(await _mlflow.GetOkAsync($"model-versions/get?name={name}&version=1"))["model_version"]!["run_link"]);
        var latest = (JsonObject)model["latest_versions"]![0]!;
        Assert.Equal(["best"], latest["aliases"]!.AsArray().Select(a => (string)a!));
    }

    [Fact]
    public async Task Missing_models_and_versions_are_reported_in_mlflows_words()
    {
        var name = await ModelAsync();
        await VersionAsync(name);
        const string gone = "no.such.model";
        var modelMissing = $"Registered Model with name={gone} not found";

        await (await _mlflow.GetAsync($"registered-models/get?name={gone}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", modelMissing);
        await (await _mlflow.PatchAsync("registered-models/update", new { name = gone, description = "x" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", modelMissing);
        await (await _mlflow.PostAsync("registered-models/rename", new { name = gone, new_name = "a.b" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", modelMissing);
        await (await _mlflow.DeleteAsync("registered-models/delete", new { name = gone })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", modelMissing);
        await (await _mlflow.PostAsync("registered-models/set-tag", new { name = gone, key = "k", value = "v" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", modelMissing);
        await (await _mlflow.DeleteAsync("registered-models/delete-tag", new { name = gone, key = "k" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", modelMissing);
        await (await _mlflow.PostAsync("registered-models/get-latest-versions", new { name = gone })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", modelMissing);

        var versionMissing = $"Model Version (name={name}, version=7) not found";
        await (await _mlflow.GetAsync($"model-versions/get?name={name}&version=7")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", versionMissing);
        await (await _mlflow.PatchAsync("model-versions/update", new { name, version = "7", description = "x" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", versionMissing);
        await (await _mlflow.DeleteAsync("model-versions/delete", new { name, version = "7" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", versionMissing);
        await (await _mlflow.PostAsync("model-versions/set-tag", new { name, version = "7", key = "k", value = "v" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", versionMissing);
        await (await _mlflow.PostAsync("model-versions/transition-stage", new { name, version = "7", stage = "Staging" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", versionMissing);
        await (await _mlflow.GetAsync($"model-versions/get-download-uri?name={name}&version=7")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", versionMissing);
        await (await _mlflow.PostAsync("model-versions/create", new { name = gone, source = "s3://x/model" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Required_parameters_are_checked_as_mlflow_does()
    {
        var name = await ModelAsync();
        const string missing = "Missing value for required parameter";

        await (await _mlflow.PostAsync("registered-models/rename", new { name })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"{missing} 'new_name'");
        await (await _mlflow.GetAsync("registered-models/get")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"{missing} 'name'");
        await (await _mlflow.PostAsync("registered-models/set-tag", new { name, value = "v" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"{missing} 'key'");
        await (await _mlflow.PostAsync("model-versions/create", new { name })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"{missing} 'source'");
        await (await _mlflow.GetAsync($"model-versions/get?name={name}")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"{missing} 'version'");
        await (await _mlflow.PostAsync("model-versions/transition-stage", new { name, version = "1" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"{missing} 'stage'");
        await (await _mlflow.PostAsync("registered-models/alias", new { name, version = "1" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"{missing} 'alias'");
    }

    [Fact]
    public async Task Renaming_onto_an_existing_model_is_refused_and_keeps_both()
    {
        var first = await ModelAsync();
        var second = await ModelAsync();

        await (await _mlflow.PostAsync("registered-models/rename", new { name = first, new_name = second })).MlflowErrorAsync(400, "RESOURCE_ALREADY_EXISTS");

        await _mlflow.GetOkAsync($"registered-models/get?name={first}");
        await _mlflow.GetOkAsync($"registered-models/get?name={second}");
    }

    [Fact]
    public async Task Deleting_a_tag_that_is_not_set_is_no_error()
    {
        var name = await ModelAsync();
        await VersionAsync(name);

        await (await _mlflow.DeleteAsync("registered-models/delete-tag", new { name, key = "never" })).OkAsync();
        await (await _mlflow.DeleteAsync("model-versions/delete-tag", new { name, version = "1", key = "never" })).OkAsync();
        await (await _mlflow.DeleteAsync("model-versions/delete-tag", new { name, version = "2", key = "never" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Aliases_follow_mlflows_errors()
    {
        var name = await ModelAsync();
        await VersionAsync(name);

        await (await _mlflow.PostAsync("registered-models/alias", new { name, alias = "best", version = "4" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"Model Version (name={name}, version=4) not found");
        await (await _mlflow.PostAsync("registered-models/alias", new { name, alias = "latest", version = "1" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _mlflow.PostAsync("registered-models/alias", new { name, alias = "v2", version = "1" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _mlflow.GetAsync($"registered-models/alias?name={name}&alias=best")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Registered model alias best not found.");
        await (await _mlflow.DeleteAsync("registered-models/alias", new { name, alias = "best" })).OkAsync();
        await (await _mlflow.DeleteAsync("registered-models/alias", new { name = "no.such.model", alias = "best" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=no.such.model not found");

        await _mlflow.OkAsync("registered-models/alias", new { name, alias = "best", version = 1 });
        var byAlias = (await _mlflow.GetOkAsync($"registered-models/alias?name={name}&alias=best"))["model_version"]!;
        Assert.Equal("1", (string?)byAlias["version"]);
    }

    [Fact]
    public async Task Max_results_follows_mlflows_limits()
    {
        var name = await ModelAsync();
        await VersionAsync(name);

        await _mlflow.GetOkAsync("registered-models/search?max_results=1000");
        await (await _mlflow.GetAsync("registered-models/search?max_results=1001")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "It must be at most 1000, but got value 1001");
        await (await _mlflow.GetAsync("registered-models/search?max_results=0")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        var big = await _mlflow.GetOkAsync($"model-versions/search?max_results=200000&filter={Uri.EscapeDataString($"name = '{name}'")}");
        Assert.Single(big["model_versions"]!.AsArray());
        await (await _mlflow.GetAsync("model-versions/search?max_results=200001")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "It must be at most 200000, but got value 200001");
    }

    [Fact]
    public async Task Version_searches_page_and_filter_on_tags_and_like()
    {
        var name = await ModelAsync();
        foreach (var i in Enumerable.Range(0, 3))
        {
            await _mlflow.OkAsync("model-versions/create", new { name, source = $"s3://pages/{i}", tags = new[] { new { key = "parity", value = i % 2 == 0 ? "even" : "odd" } } });
        }
        var byName = Uri.EscapeDataString($"name = '{name}'");

        var versions = new List<string>();
        string? token = null;
        do
        {
            var page = await _mlflow.GetOkAsync($"model-versions/search?filter={byName}&max_results=2" + (token is null ? "" : $"&page_token={Uri.EscapeDataString(token)}"));
            versions.AddRange(page["model_versions"]!.AsArray().Select(v => (string)v!["version"]!));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        Assert.Equal(["1", "2", "3"], versions.Order(StringComparer.Ordinal));

        var even = await _mlflow.OkAsync("model-versions/search", new { filter = $"name = '{name}' AND tags.parity = 'even' AND source_path LIKE 's3://pages/%'" });
        Assert.Equal(["1", "3"], even["model_versions"]!.AsArray().Select(v => (string)v!["version"]!).Order(StringComparer.Ordinal));
        var ilike = await _mlflow.GetOkAsync($"model-versions/search?filter={Uri.EscapeDataString($"name ILIKE '{name.ToUpperInvariant()}' AND tag.parity = 'odd'")}");
        Assert.Equal(["2"], ilike["model_versions"]!.AsArray().Select(v => (string)v!["version"]!));
    }

    [Fact]
    public async Task Model_searches_order_by_mlflows_keys()
    {
        var stem = "order.reg." + Unique("o");
        foreach (var i in Enumerable.Range(0, 3))
        {
            await _mlflow.OkAsync("registered-models/create", new { name = $"{stem}{i}" });
        }
        await (await _mlflow.PatchAsync("registered-models/update", new { name = $"{stem}0", description = "touched" })).OkAsync();
        var filter = Uri.EscapeDataString($"name LIKE '{stem}%'");

        foreach (var key in new[] { "last_updated_timestamp", "creation_timestamp", "timestamp" })
        {
            var page = await _mlflow.GetOkAsync($"registered-models/search?filter={filter}&order_by={Uri.EscapeDataString(key + " DESC")}");
            var field = key == "creation_timestamp" ? "creation_timestamp" : "last_updated_timestamp";
            var stamps = page["registered_models"]!.AsArray().Select(m => (long)m![field]!).ToList();
            Assert.Equal(3, stamps.Count);
            Assert.Equal(stamps.OrderDescending(), stamps);
        }
        var byName = await _mlflow.OkAsync("registered-models/search", new { filter = $"name LIKE '{stem}%'", order_by = new[] { "name ASC" } });
        Assert.Equal([$"{stem}0", $"{stem}1", $"{stem}2"], byName["registered_models"]!.AsArray().Select(m => (string)m!["name"]!));
        await (await _mlflow.GetAsync($"registered-models/search?order_by={Uri.EscapeDataString("flavour DESC")}")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _mlflow.GetAsync($"registered-models/search?filter={Uri.EscapeDataString("flavour = 'x'")}")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Latest_versions_are_read_by_get_with_repeated_stages()
    {
        var name = await ModelAsync();
        await VersionAsync(name);
        await VersionAsync(name);
        await VersionAsync(name);
        await _mlflow.OkAsync("model-versions/transition-stage", new { name, version = "1", stage = "Staging" });
        await _mlflow.OkAsync("model-versions/transition-stage", new { name, version = "2", stage = "Production" });

        var two = await _mlflow.GetOkAsync($"registered-models/get-latest-versions?name={name}&stages=Staging&stages=production");
        var all = await _mlflow.GetOkAsync($"registered-models/get-latest-versions?name={name}");

        Assert.Equal([("1", "Staging"), ("2", "Production")], two["model_versions"]!.AsArray().Select(v => ((string)v!["version"]!, (string)v["current_stage"]!)));
        Assert.Equal(["1", "2", "3"], all["model_versions"]!.AsArray().Select(v => (string)v!["version"]!));
    }

    [Fact]
    public async Task A_version_from_a_plain_uri_downloads_from_that_uri()
    {
        var name = await ModelAsync();
        await VersionAsync(name, "s3://bucket/plain/model");

        var uri = await _mlflow.GetOkAsync($"model-versions/get-download-uri?name={name}&version=1");

        Assert.Equal("s3://bucket/plain/model", (string?)uri["artifact_uri"]);
    }

    [Fact]
    public async Task The_ajax_api_prefix_serves_the_same_registry()
    {
        var ajax = new Mlflow(app.CreateClient(), "/ajax-api/2.0/mlflow");
        var name = "ajax.reg." + Unique("m");

        await ajax.OkAsync("registered-models/create", new { name });
        await ajax.OkAsync("model-versions/create", new { name, source = "s3://ajax/model" });

        var viaApi = (await _mlflow.GetOkAsync($"model-versions/get?name={name}&version=1"))["model_version"]!;
        Assert.Equal("s3://ajax/model", (string?)viaApi["source"]);
        var viaAjax = await ajax.GetOkAsync($"registered-models/search?filter={Uri.EscapeDataString($"name = '{name}'")}");
        Assert.Equal([name], viaAjax["registered_models"]!.AsArray().Select(m => (string)m!["name"]!));
        await (await ajax.GetAsync("registered-models/get?name=ajax.none.here")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }
}

/// <summary>The MLflow registry under <c>--auth token</c>: the native API's tokens and roles.</summary>
public sealed class MlflowRegistryAuthTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_writer_token_registers_models_as_bearer_and_as_basic_password()
    {
        var token = await app.TokenAsync("reg-writer", "writer");
        using var basic = app.CreateClient();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"mlflow-user:{token}")));
        var bearer = new Mlflow(app.ClientWithToken(token));
        var name = $"auth.reg.m{Guid.NewGuid():N}";

        await bearer.OkAsync("registered-models/create", new { name });
        var version = (await new Mlflow(basic).OkAsync("model-versions/create", new { name, source = "s3://auth/model" }))["model_version"]!;

        Assert.Equal("reg-writer", (string?)version["user_id"]);
        await (await app.CreateClient().GetAsync(new Uri($"/api/2.0/mlflow/registered-models/get?name={name}", UriKind.Relative))).MlflowErrorAsync(401, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task A_reader_token_reads_the_registry_but_may_not_change_it()
    {
        var writer = new Mlflow(app.ClientWithToken(await app.TokenAsync("reg-w2", "writer")));
        var reader = new Mlflow(app.ClientWithToken(await app.TokenAsync("reg-reader", "reader")));
        var name = $"auth.reg.r{Guid.NewGuid():N}";
        await writer.OkAsync("registered-models/create", new { name });
        await writer.OkAsync("model-versions/create", new { name, source = "s3://auth/model" });

        await reader.GetOkAsync($"registered-models/get?name={name}");
        await reader.GetOkAsync($"model-versions/get?name={name}&version=1");
        await reader.OkAsync("registered-models/search", new { filter = $"name = '{name}'" });

        await (await reader.PostAsync("registered-models/create", new { name = name + "x" })).MlflowErrorAsync(403, "PERMISSION_DENIED");
        await (await reader.PostAsync("model-versions/create", new { name, source = "s3://nope" })).MlflowErrorAsync(403, "PERMISSION_DENIED");
        await (await reader.PostAsync("model-versions/transition-stage", new { name, version = "1", stage = "Production" })).MlflowErrorAsync(403, "PERMISSION_DENIED");
        await (await reader.PostAsync("registered-models/alias", new { name, alias = "a", version = "1" })).MlflowErrorAsync(403, "PERMISSION_DENIED");
        await (await reader.PostAsync("registered-models/rename", new { name, new_name = name + "y" })).MlflowErrorAsync(403, "PERMISSION_DENIED");
        await (await reader.DeleteAsync("registered-models/delete", new { name })).MlflowErrorAsync(403, "PERMISSION_DENIED");
    }
}
