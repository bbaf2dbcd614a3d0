using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Client;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// Registered model names as MLflow accepts them (any non-empty string), model version sources as MLflow checks
/// them (handlers.py _validate_source, MLflow 3.5's stricter form), and MLflow 3's prompt rule in searches.
/// </summary>
public sealed class MlflowRegistryNamesAndSourcesTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly Mlflow _mlflow = new(app.CreateClient());
    private readonly HttpClient _native = app.CreateClient();

    private static string Escape(string name) => Uri.EscapeDataString(name);

    public static TheoryData<string> NamesMlflowAccepts() => new()
    {
        "UpdateRMTest 2",
        "team/project/model",
        "with / slash and space",
        "ünïcødé 模型 🚀",
        ".leading",
        "trailing.",
        "a..b",
        "dotted.but has space",
        "100% sure",
        "query?chars#and&more=1",
        "plus+sign",
        new string('x', 200),
    };

    // The MLflow tests' names (test_update_registered_model_flow) and others that MLflow stores as they are.
    [Theory]
    [MemberData(nameof(NamesMlflowAccepts))]
    public async Task Any_name_mlflow_accepts_round_trips_byte_for_byte_through_both_apis_and_the_client(string name)
    {
        var created = (await _mlflow.OkAsync("registered-models/create", new { name, tags = new[] { new { key = "k", value = "v" } } }))["registered_model"]!;
        Assert.Equal(name, (string?)created["name"]);
        Assert.Equal(name, (string?)(await _mlflow.GetOkAsync($"registered-models/get?name={Escape(name)}"))["registered_model"]!["name"]);

        var version = (await _mlflow.OkAsync("model-versions/create", new { name, source = "s3://bucket/model", run_id = "no-such-run" }))["model_version"]!;
        Assert.Equal(name, (string?)version["name"]);
        Assert.Equal(name, (string?)(await _mlflow.GetOkAsync($"model-versions/get?name={Escape(name)}&version=1"))["model_version"]!["name"]);
        await _mlflow.OkAsync("registered-models/alias", new { name, alias = "champion", version = "1" });
        Assert.Equal("1", (string?)(await _mlflow.GetOkAsync($"registered-models/alias?name={Escape(name)}&alias=champion"))["model_version"]!["version"]);
        await _mlflow.OkAsync("registered-models/set-tag", new { name, key = "team", value = "risk" });
        await _mlflow.OkAsync("model-versions/set-tag", new { name, version = "1", key = "stage", value = "candidate" });
        var latest = await _mlflow.GetOkAsync($"registered-models/get-latest-versions?name={Escape(name)}");
        Assert.Equal(name, (string?)latest["model_versions"]![0]!["name"]);

        if (!name.Contains('\'', StringComparison.Ordinal))
        {
            var byName = await _mlflow.GetOkAsync($"registered-models/search?filter={Escape($"name = '{name}'")}");
            Assert.Equal([name], byName["registered_models"]!.AsArray().Select(m => (string)m!["name"]!));
            Assert.Equal("1", (string?)byName["registered_models"]![0]!["latest_versions"]![0]!["version"]);
            var versions = await _mlflow.GetOkAsync($"model-versions/search?filter={Escape($"name = '{name}'")}");
            Assert.Equal([name], versions["model_versions"]!.AsArray().Select(m => (string)m!["name"]!));
        }

        var native = await (await _native.GetAsync(new Uri($"/api/v1/models/{Escape(name)}", UriKind.Relative))).ExpectAsync(200);
        Assert.Equal(name, (string?)native["full_name"]);
        Assert.Equal("/", (string?)native["namespace"]);
        Assert.Equal(name, (string?)native["model_name"]);
        Assert.Equal(name, (string?)(await (await _native.GetAsync(new Uri($"/api/v1/models/{Escape(name)}/versions/1", UriKind.Relative))).ExpectAsync(200))["model"]);
        await (await _native.GetAsync(new Uri($"/api/v1/models/{Escape(name)}/aliases/champion", UriKind.Relative))).ExpectAsync(200);
        using (var client = new CairnClient(app.CreateClient()))
        {
            Assert.Equal(name, (await client.GetModelAsync(name)).FullName);
            Assert.Equal(1, (await client.GetAliasAsync(name, "champion")).Version);
            Assert.Equal("candidate", (await client.GetVersionAsync(name, 1)).Tags["stage"]);
        }

        var renamed = name + " renamed";
        Assert.Equal(renamed, (string?)(await _mlflow.OkAsync("registered-models/rename", new { name, new_name = renamed }))["registered_model"]!["name"]);
        Assert.Equal(renamed, (string?)(await _mlflow.GetOkAsync($"model-versions/get?name={Escape(renamed)}&version=1"))["model_version"]!["name"]);
        await (await _mlflow.DeleteAsync("registered-models/delete-tag", new { name = renamed, key = "team" })).OkAsync();
        await (await _mlflow.DeleteAsync("registered-models/alias", new { name = renamed, alias = "champion" })).OkAsync();
        await (await _mlflow.DeleteAsync("registered-models/delete", new { name = renamed })).OkAsync();
        await (await _mlflow.GetAsync($"registered-models/get?name={Escape(renamed)}"))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"Registered Model with name={renamed} not found");
    }

    [Fact]
    public async Task Dotted_names_of_valid_segments_keep_their_namespaces_and_other_names_live_in_the_root()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var dotted = $"team{suffix}.project.model";
        var loose = $"team{suffix}.project.my model";
        await _mlflow.OkAsync("registered-models/create", new { name = dotted });
        await _mlflow.OkAsync("registered-models/create", new { name = loose });

        var first = await (await _native.GetAsync(new Uri($"/api/v1/models/{Escape(dotted)}", UriKind.Relative))).ExpectAsync(200);
        var second = await (await _native.GetAsync(new Uri($"/api/v1/models/{Escape(loose)}", UriKind.Relative))).ExpectAsync(200);

        Assert.Equal(($"/team{suffix}/project", "model"), ((string)first["namespace"]!, (string)first["model_name"]!));
        Assert.Equal(("/", loose), ((string)second["namespace"]!, (string)second["model_name"]!));
    }

    [Fact]
    public async Task The_native_api_takes_free_names_in_the_root_only_and_never_a_root_name_that_reads_as_a_namespace()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var created = await (await _native.PostJsonAsync("/api/v1/models", new { @namespace = "/", model_name = $"my model {suffix}" })).ExpectAsync(201);
        Assert.Equal($"my model {suffix}", (string?)created["full_name"]);
        await (await _native.PostJsonAsync("/api/v1/models", new { @namespace = "/team", model_name = "my model" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _native.PostJsonAsync("/api/v1/models", new { @namespace = "/", model_name = "team.model" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _mlflow.PostAsync("registered-models/create", new { name = "" })).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'");
    }

    [Fact]
    public async Task A_free_form_name_longer_than_mlflows_column_is_refused_naming_the_limit_and_nothing_is_stored()
    {
        var tooLong = new string('y', NamespacePath.MaxNameLength + 1);
        var kept = Guid.NewGuid().ToString("N");
        await (await _mlflow.PostAsync("registered-models/create", new { name = tooLong }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"at most {NamespacePath.MaxNameLength}");
        await _mlflow.OkAsync("registered-models/create", new { name = kept + " x" });
        await (await _mlflow.PostAsync("registered-models/rename", new { name = kept + " x", new_name = tooLong }))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"at most {NamespacePath.MaxNameLength}");
        await _mlflow.GetOkAsync($"registered-models/get?name={Escape(kept + " x")}");
        await (await _mlflow.GetAsync($"registered-models/get?name={tooLong}")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Renaming_onto_a_taken_name_is_refused_in_mlflows_words()
    {
        var (a, b) = ($"taken a {Guid.NewGuid():N}", $"taken b {Guid.NewGuid():N}");
        await _mlflow.OkAsync("registered-models/create", new { name = a });
        await _mlflow.OkAsync("registered-models/create", new { name = b });

        await (await _mlflow.PostAsync("registered-models/rename", new { name = a, new_name = b }))
            .MlflowErrorAsync(400, "RESOURCE_ALREADY_EXISTS", $"Registered Model (name={b}) already exists.");
        await (await _mlflow.PostAsync("registered-models/create", new { name = a, tags = new[] { new { key = "mlflow.prompt.is_prompt", value = "true" } } }))
            .MlflowErrorAsync(400, "RESOURCE_ALREADY_EXISTS", $"Tried to create a prompt with name '{a}', but the name is already taken by a registered model.");
    }

    private async Task<(string Name, JsonObject Run)> ModelAndLocalRunAsync()
    {
        var name = $"sources {Guid.NewGuid():N}";
        await _mlflow.OkAsync("registered-models/create", new { name });
        var location = new Uri(Path.Combine(app.DataDir, "local-artifacts", Guid.NewGuid().ToString("N"))).AbsoluteUri;
        var experiment = (string)(await _mlflow.OkAsync("experiments/create", new { name = name, artifact_location = location }))["experiment_id"]!;
        var run = (JsonObject)(await _mlflow.OkAsync("runs/create", new { experiment_id = experiment }))["run"]!["info"]!;
        Assert.StartsWith("file://", (string)run["artifact_uri"]!, StringComparison.Ordinal);
        return (name, run);
    }

    private Task<HttpResponseMessage> CreateAsync(string name, string source, string? runId = null) =>
        _mlflow.PostAsync("model-versions/create", new { name, source, run_id = runId });

    // ports test_rest_tracking.py::test_create_model_version_with_path_source
    [Fact]
    public async Task A_local_path_source_must_lie_in_the_artifact_directory_of_the_run_named()
    {
        var (name, run) = await ModelAndLocalRunAsync();
        var runId = (string)run["run_id"]!;
        var path = ((string)run["artifact_uri"]!)["file://".Length..];

        await (await CreateAsync(name, path, runId)).OkAsync();
        await (await CreateAsync(name, path)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "To use a local path as a model version");
        await (await CreateAsync(name, "/tmp", runId)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "To use a local path as a model version");
        await (await CreateAsync(name, "relative/path")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Invalid model version source: 'relative/path'.");
        await (await CreateAsync(name, path, "no-such-run")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Run with id=no-such-run not found");
    }

    // ports test_rest_tracking.py::test_create_model_version_with_file_uri
    [Fact]
    public async Task A_file_uri_source_must_lie_in_the_artifact_directory_of_the_run_named()
    {
        var (name, run) = await ModelAndLocalRunAsync();
        var runId = (string)run["run_id"]!;
        var uri = (string)run["artifact_uri"]!;

        foreach (var inside in new[] { uri, $"{uri}/model", $"{uri}/.", $"{uri}/model/.." })
        {
            await (await CreateAsync(name, inside, runId)).OkAsync();
        }
        await (await CreateAsync(name, uri)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "To use a local path as a model version");
        await (await CreateAsync(name, "file:///tmp")).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "To use a local path as a model version");
        // MLflow answers this one with a 500; a caller's bad URI is a 400 here.
        await (await CreateAsync(name, "file://123.456.789.123/path/to/source", runId)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "is not a valid remote uri");
    }

    // ports test_rest_tracking.py::test_create_model_version_with_non_local_source (MLflow 3.5)
    [Fact]
    public async Task A_remote_source_is_accepted_with_an_absolute_path_and_refused_with_relative_references()
    {
        var (name, run) = await ModelAndLocalRunAsync();
        var runId = (string)run["run_id"]!;
        string[] accepted =
        [
            "mlflow-artifacts:/models",
            "mlflow-artifacts:/models/",
            "mlflow-artifacts:/models///",
            "mlflow-artifacts:/models/foo///bar",
            "mlflow-artifacts://host:9000/models",
            "mlflow-artifacts://host:9000/models/artifact/..../",
            "s3://bucket/path/model",
            "runs:/0123456789abcdef/model",
        ];
        foreach (var source in accepted)
        {
            await (await CreateAsync(name, source, runId)).OkAsync();
        }
        string[] refused =
        [
            "mlflow-artifacts://host:9000/models/../../../",
            "http://host:9000/models/../../../",
            "https://host/api/2.0/mlflow-artifacts/artifacts/../../../",
            "s3a://my_bucket/api/2.0/mlflow-artifacts/artifacts/../../../",
            "ftp://host:8888/api/2.0/mlflow-artifacts/artifacts/../../../",
            "mlflow-artifacts://host:9000/models/..%2f..%2fartifacts",
            "mlflow-artifacts://host:9000/models/artifact%00",
            $"dbfs:/{runId}/artifacts/a%3f/../../../../../../../../../../",
            "s3://bucket/a/./b",
        ];
        foreach (var source in refused)
        {
            await (await CreateAsync(name, source, runId)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", $"Invalid model version source: '{source}'.");
        }
        var message = await (await CreateAsync(name, refused[0], runId)).MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("If supplying a source as an http, https,", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_of_a_run_that_exists_is_linked_to_it_and_downloads_from_its_artifacts()
    {
        var (name, run) = await ModelAndLocalRunAsync();
        var runId = (string)run["run_id"]!;

        var version = (await _mlflow.OkAsync("model-versions/create", new { name, source = $"runs:/{runId}/model" }))["model_version"]!;
        var uri = await _mlflow.GetOkAsync($"model-versions/get-download-uri?name={Escape(name)}&version={(string)version["version"]!}");

        Assert.Equal(runId, (string?)version["run_id"]);
        Assert.Equal($"{(string)run["artifact_uri"]!}/model", (string?)uri["artifact_uri"]);
    }

    // MLflow 3.5 sqlalchemy_store: _update_query_to_exclude_prompts and _is_querying_prompt
    [Fact]
    public async Task Searches_leave_prompts_out_unless_asked_and_not_equal_on_the_prompt_tag_matches_models_without_it()
    {
        using var own = new CairnApp();
        var mlflow = new Mlflow(own.CreateClient());
        var prompt = new[] { new { key = "mlflow.prompt.is_prompt", value = "true" } };
        await mlflow.OkAsync("registered-models/create", new { name = "plain" });
        await mlflow.OkAsync("registered-models/create", new { name = "not a prompt", tags = new[] { new { key = "mlflow.prompt.is_prompt", value = "false" } } });
        await mlflow.OkAsync("registered-models/create", new { name = "a prompt", tags = prompt });
        foreach (var name in new[] { "plain", "not a prompt", "a prompt" })
        {
            await mlflow.OkAsync("model-versions/create", new { name, source = "s3://b/m", tags = name == "a prompt" ? prompt : null });
        }

        async Task<string> ModelsAsync(string? filter) =>
            string.Join(",", (await mlflow.OkAsync("registered-models/search", new { filter }))["registered_models"]?.AsArray().Select(m => (string)m!["name"]!) ?? []);
        async Task<string> VersionsAsync(string? filter) =>
            string.Join(",", ((await mlflow.OkAsync("model-versions/search", new { filter }))["model_versions"]?.AsArray().Select(m => (string)m!["name"]!) ?? []).Order(StringComparer.Ordinal));

        Assert.Equal("not a prompt,plain", await ModelsAsync(null));
        Assert.Equal("not a prompt,plain", await ModelsAsync("tags.`mlflow.prompt.is_prompt` != 'true'"));
        Assert.Equal("not a prompt,plain", await ModelsAsync("tags.`mlflow.prompt.is_prompt` = 'false'"));
        Assert.Equal("plain", await ModelsAsync("tags.`mlflow.prompt.is_prompt` != 'true' AND name = 'plain'"));
        Assert.Equal("a prompt", await ModelsAsync("tags.`mlflow.prompt.is_prompt` = 'true'"));
        Assert.Equal("a prompt", await ModelsAsync("tags.`mlflow.prompt.is_prompt` != 'false'"));
        // Any other tag keeps SQL's reading: a comparison needs the tag, != included.
        Assert.Equal("", await ModelsAsync("tags.team != 'risk'"));

        Assert.Equal("not a prompt,plain", await VersionsAsync(null));
        Assert.Equal("not a prompt,plain", await VersionsAsync("tags.`mlflow.prompt.is_prompt` != 'true'"));
        Assert.Equal("a prompt", await VersionsAsync("tags.`mlflow.prompt.is_prompt` = 'true'"));
        Assert.Equal("", await VersionsAsync("tags.team != 'risk'"));
    }
}
