using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// Tag filters of search_registered_models and search_model_versions as MLflow 3.5's SQL store reads them
/// (tests/store/model_registry/test_sqlalchemy_store.py), each on a fresh store: a tag comparison, != included, needs the
/// tag, except on <c>mlflow.prompt.is_prompt</c>, which decides whether prompts or models are searched.
/// </summary>
public sealed class MlflowRegistrySearchFilterTests
{
    private static object[] Tags(params (string Key, string Value)[] tags) => [.. tags.Select(t => new { key = t.Key, value = t.Value })];

    private static async Task<string> ModelsAsync(Mlflow mlflow, string? filter) =>
        string.Join(",", (await mlflow.OkAsync("registered-models/search", new { filter, max_results = 10 }))["registered_models"]?.AsArray()
            .Select(m => (string)m!["name"]!) ?? []);

    private static async Task<string> VersionsAsync(Mlflow mlflow, string? filter, Func<System.Text.Json.Nodes.JsonNode, string>? show = null) =>
        string.Join(",", (await mlflow.OkAsync("model-versions/search", new { filter, max_results = 10 }))["model_versions"]?.AsArray()
            .Select(v => show?.Invoke(v!) ?? (string)v!["version"]!) ?? []);

    // ports test_search_model_versions_by_tag
    [Fact]
    public async Task Version_tag_filters_need_the_tag_and_compare_keys_and_like_case_sensitively()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "test_for_search_MV_by_tag";
        await mlflow.OkAsync("registered-models/create", new { name });
        await mlflow.OkAsync("model-versions/create", new { name, source = "s3://b/A/B", run_id = Guid.NewGuid().ToString("N"), tags = Tags(("t1", "abc"), ("t2", "xyz")) });
        await mlflow.OkAsync("model-versions/create", new { name, source = "s3://b/A/C", run_id = Guid.NewGuid().ToString("N"), tags = Tags(("t1", "abc"), ("t2", "x123")) });

        Assert.Equal("1", await VersionsAsync(mlflow, $"name = '{name}' and tag.t2 = 'xyz'"));
        Assert.Equal("", await VersionsAsync(mlflow, "name = 'wrong_name' and tag.t2 = 'xyz'"));
        Assert.Equal("1", await VersionsAsync(mlflow, "tag.`t2` = 'xyz'"));
        Assert.Equal("", await VersionsAsync(mlflow, "tag.t3 = 'xyz'"));
        Assert.Equal("2,1", await VersionsAsync(mlflow, "tag.t2 != 'xy'"));
        Assert.Equal("", await VersionsAsync(mlflow, "tag.t3 != 'xy'"));
        Assert.Equal("1", await VersionsAsync(mlflow, "tag.t2 LIKE 'xy%'"));
        Assert.Equal("", await VersionsAsync(mlflow, "tag.t2 LIKE 'xY%'"));
        Assert.Equal("1", await VersionsAsync(mlflow, "tag.t2 ILIKE 'xY%'"));
        Assert.Equal("2,1", await VersionsAsync(mlflow, "tag.t2 LIKE 'x%'"));
        Assert.Equal("", await VersionsAsync(mlflow, "tag.T2 = 'xyz'"));
        Assert.Equal("1", await VersionsAsync(mlflow, "tag.t1 = 'abc' and tag.t2 = 'xyz'"));
        Assert.Equal("2,1", await VersionsAsync(mlflow, "tag.t1 = 'abc' and tag.t2 LIKE 'x%'"));
        Assert.Equal("", await VersionsAsync(mlflow, "tag.t1 = 'abc' and tag.t2 LIKE 'y%'"));
        Assert.Equal("2", await VersionsAsync(mlflow, "tag.t2 like 'x%' and tag.t2 != 'xyz'"));
    }

    // ports test_search_registered_models_by_tag
    [Fact]
    public async Task Model_tag_filters_need_the_tag_and_compare_keys_and_like_case_sensitively()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name1 = "test_for_search_RM_by_tag1";
        const string name2 = "test_for_search_RM_by_tag2";
        await mlflow.OkAsync("registered-models/create", new { name = name1, tags = Tags(("t1", "abc"), ("t2", "xyz")) });
        await mlflow.OkAsync("registered-models/create", new { name = name2, tags = Tags(("t1", "abcd"), ("t2", "xyz123"), ("t3", "XYZ")) });

        Assert.Equal(name2, await ModelsAsync(mlflow, "tag.t3 = 'XYZ'"));
        Assert.Equal(name1, await ModelsAsync(mlflow, $"name = '{name1}' and tag.t1 = 'abc'"));
        Assert.Equal($"{name1},{name2}", await ModelsAsync(mlflow, "tag.t1 LIKE 'ab%'"));
        Assert.Equal($"{name1},{name2}", await ModelsAsync(mlflow, "tag.t1 ILIKE 'aB%'"));
        Assert.Equal($"{name1},{name2}", await ModelsAsync(mlflow, "tag.t1 LIKE 'ab%' AND tag.t2 LIKE 'xy%'"));
        Assert.Equal("", await ModelsAsync(mlflow, "tag.t3 = 'XYz'"));
        Assert.Equal("", await ModelsAsync(mlflow, "tag.T3 = 'XYZ'"));
        Assert.Equal(name2, await ModelsAsync(mlflow, "tag.t1 != 'abc'"));
        // name1 has no t3: MLflow's SQL store needs the tag for != too.
        Assert.Equal("", await ModelsAsync(mlflow, "tag.t3 != 'XYZ'"));
        Assert.Equal(name1, await ModelsAsync(mlflow, "tag.t1 != 'abcd' and tag.t1 LIKE 'ab%'"));
    }

    // ports test_search_prompts
    [Fact]
    public async Task Model_searches_return_models_by_default_and_prompts_when_the_prompt_tag_asks_for_them()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        await mlflow.OkAsync("registered-models/create", new { name = "model", tags = Tags(("fruit", "apple")) });
        await mlflow.OkAsync("registered-models/create", new { name = "prompt_1", tags = Tags(("mlflow.prompt.is_prompt", "true")) });
        await mlflow.OkAsync("registered-models/create", new { name = "prompt_2", tags = Tags(("mlflow.prompt.is_prompt", "true"), ("fruit", "apple")) });

        Assert.Equal("model", await ModelsAsync(mlflow, null));
        Assert.Equal("model", await ModelsAsync(mlflow, "tags.fruit = 'apple'"));
        Assert.Equal("", await ModelsAsync(mlflow, "name = 'prompt_1'"));
        Assert.Equal("model", await ModelsAsync(mlflow, "tags.`mlflow.prompt.is_prompt` = 'false'"));
        Assert.Equal("model", await ModelsAsync(mlflow, "tags.`mlflow.prompt.is_prompt` != 'true'"));
        Assert.Equal("prompt_1,prompt_2", await ModelsAsync(mlflow, "tags.`mlflow.prompt.is_prompt` = 'true'"));
        Assert.Equal("prompt_1", await ModelsAsync(mlflow, "name = 'prompt_1' and tags.`mlflow.prompt.is_prompt` = 'true'"));
        Assert.Equal("prompt_2", await ModelsAsync(mlflow, "tags.`mlflow.prompt.is_prompt` = 'true' and tags.fruit = 'apple'"));
    }

    // ports test_search_prompts_versions
    [Fact]
    public async Task Version_searches_leave_out_every_version_of_a_prompt_unless_asked()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        await mlflow.OkAsync("registered-models/create", new { name = "model" });
        await mlflow.OkAsync("model-versions/create", new { name = "model", source = "s3://b/dummy_source", tags = Tags(("fruit", "apple")) });
        await mlflow.OkAsync("registered-models/create", new { name = "prompt_1", tags = Tags(("mlflow.prompt.is_prompt", "true")) });
        await mlflow.OkAsync("model-versions/create", new { name = "prompt_1", source = "s3://b/dummy_source", tags = Tags(("mlflow.prompt.is_prompt", "true")) });
        await mlflow.OkAsync("registered-models/create", new { name = "prompt_2", tags = Tags(("mlflow.prompt.is_prompt", "true")) });
        await mlflow.OkAsync("model-versions/create", new { name = "prompt_2", source = "s3://b/dummy_source", tags = Tags(("mlflow.prompt.is_prompt", "true"), ("fruit", "apple")) });
        await mlflow.OkAsync("model-versions/create", new { name = "prompt_2", source = "s3://b/dummy_source", tags = Tags(("mlflow.prompt.is_prompt", "true"), ("fruit", "orange")) });
        static string Name(System.Text.Json.Nodes.JsonNode v) => (string)v["name"]!;

        Assert.Equal("model", await VersionsAsync(mlflow, null, Name));
        Assert.Equal("model", await VersionsAsync(mlflow, "tags.fruit = 'apple'", Name));
        Assert.Equal("model", await VersionsAsync(mlflow, "tags.`mlflow.prompt.is_prompt` = 'false'", Name));
        Assert.Equal("model", await VersionsAsync(mlflow, "tags.`mlflow.prompt.is_prompt` != 'true'", Name));
        Assert.Equal(3, (await VersionsAsync(mlflow, "tags.`mlflow.prompt.is_prompt` = 'true'", Name)).Split(',').Length);
        Assert.Equal("prompt_2,prompt_2", await VersionsAsync(mlflow, "tags.`mlflow.prompt.is_prompt` = 'true' and name = 'prompt_2'", Name));
        Assert.Equal("prompt_2", await VersionsAsync(mlflow, "tags.`mlflow.prompt.is_prompt` = 'true' and tags.fruit = 'apple'", Name));
    }
}
