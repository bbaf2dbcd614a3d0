using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// MLflow 2.10.2's tests/tracking/test_model_registry.py, ported: each test runs on a fresh store, as each of MLflow's
/// runs on a fresh server, with MLflow's own model names (spaces included).
/// </summary>
public sealed class MlflowModelRegistrySuiteTests
{
    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static void AssertBetween(long start, long end, JsonNode? actual)
    {
        var value = (long)actual!;
        Assert.InRange(value, start, end);
    }

    private static Dictionary<string, string> Tags(JsonNode? tags) =>
        tags?.AsArray().ToDictionary(t => (string)t!["key"]!, t => (string)t!["value"]!) ?? [];

    private static async Task<JsonObject> ModelAsync(Mlflow mlflow, string name) =>
        (JsonObject)(await mlflow.GetOkAsync($"registered-models/get?name={Uri.EscapeDataString(name)}"))["registered_model"]!;

    private static async Task<JsonObject> VersionAsync(Mlflow mlflow, string name, object version) =>
        (JsonObject)(await mlflow.GetOkAsync($"model-versions/get?name={Uri.EscapeDataString(name)}&version={version}"))["model_version"]!;

    private static async Task<JsonObject> CreateVersionAsync(Mlflow mlflow, string name, string source, string runId, object? tags = null, string? description = null) =>
        (JsonObject)(await mlflow.OkAsync("model-versions/create", new { name, source, run_id = runId, tags, description }))["model_version"]!;

    private static async Task<List<JsonObject>> SearchModelsAsync(Mlflow mlflow, string? filter = null, int? maxResults = null)
    {
        var found = new List<JsonObject>();
        string? token = null;
        do
        {
            var query = new List<string>();
            if (filter is not null)
            {
                query.Add($"filter={Uri.EscapeDataString(filter)}");
            }
            if (maxResults is not null)
            {
                query.Add($"max_results={maxResults}");
            }
            if (token is not null)
            {
                query.Add($"page_token={Uri.EscapeDataString(token)}");
            }
            var page = await mlflow.GetOkAsync("registered-models/search?" + string.Join('&', query));
            found.AddRange((page["registered_models"]?.AsArray() ?? []).Select(m => (JsonObject)m!));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        return found;
    }

    private static async Task<List<JsonObject>> SearchVersionsAsync(Mlflow mlflow, string? filter = null, int? maxResults = null, string[]? orderBy = null)
    {
        var found = new List<JsonObject>();
        string? token = null;
        do
        {
            var page = await mlflow.OkAsync("model-versions/search", new { filter, max_results = maxResults, order_by = orderBy, page_token = token });
            found.AddRange((page["model_versions"]?.AsArray() ?? []).Select(m => (JsonObject)m!));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        return found;
    }

    private static string Names(IEnumerable<JsonObject> items) => string.Join(",", items.Select(i => (string)i["name"]!));

    private static string NamesAndVersions(IEnumerable<JsonObject> items) => string.Join(",", items.Select(i => $"{(string)i["name"]!}/{(string)i["version"]!}"));

    // ports test_create_and_query_registered_model_flow
    [Fact]
    public async Task A_registered_model_is_created_read_and_found_with_its_tags_and_timestamps()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "CreateRMTest";
        var start = Now();
        var created = (JsonObject)(await mlflow.OkAsync("registered-models/create", new
        {
            name,
            tags = new[] { new { key = "key", value = "value" }, new { key = "another key", value = "some other value" }, new { key = "numeric value", value = "12345" } },
        }))["registered_model"]!;
        var end = Now();
        var expectedTags = new Dictionary<string, string> { ["key"] = "value", ["another key"] = "some other value", ["numeric value"] = "12345" };

        Assert.Equal(name, (string?)created["name"]);
        Assert.Equal(expectedTags, Tags(created["tags"]));
        var detailed = await ModelAsync(mlflow, name);
        Assert.Equal(name, (string?)detailed["name"]);
        Assert.Equal(expectedTags, Tags(detailed["tags"]));
        Assert.Equal("", (string?)detailed["description"] ?? "");
        Assert.Empty(detailed["latest_versions"]?.AsArray() ?? []);
        AssertBetween(start, end, detailed["creation_timestamp"]);
        AssertBetween(start, end, detailed["last_updated_timestamp"]);
        Assert.Equal(name, Names(await SearchModelsAsync(mlflow)));
        Assert.Equal(name, Names(await SearchModelsAsync(mlflow, "")));
        Assert.Equal(name, Names(await SearchModelsAsync(mlflow, "name = 'CreateRMTest'")));
    }

    // ports test_search_registered_model_flow_paginated (every filter with every page size)
    [Fact]
    public async Task Registered_model_searches_page_through_mlflows_filters_at_any_page_size()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        var names = Enumerable.Range(0, 29).Select(i => $"CreateRMsearch{i:000}").ToList();
        foreach (var name in names)
        {
            await mlflow.OkAsync("registered-models/create", new { name });
        }
        (string? Filter, Func<string, bool> Keep)[] cases =
        [
            (null, _ => true),
            ("", _ => true),
            ("name LIKE '%7'", n => n.EndsWith('7')),
            ("name ILIKE '%rm%00%'", n => n.Contains("00", StringComparison.Ordinal)),
            ("name LIKE '%rm%00%'", _ => false),
            ("name = 'badname'", _ => false),
            ("name = 'CreateRMsearch023'", n => n == "CreateRMsearch023"),
        ];
        foreach (var maxResults in new[] { 1, 8, 100 })
        {
            foreach (var (filter, keep) in cases)
            {
                Assert.Equal(string.Join(",", names.Where(keep)), Names(await SearchModelsAsync(mlflow, filter, maxResults)));
            }
        }
    }

    // ports test_update_registered_model_flow
    [Fact]
    public async Task A_registered_model_is_renamed_to_names_with_spaces_and_its_description_updated()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "UpdateRMTest";
        var start1 = Now();
        await mlflow.OkAsync("registered-models/create", new { name });
        var end1 = Now();
        var detailed1 = await ModelAsync(mlflow, name);
        Assert.Equal(name, (string?)detailed1["name"]);
        AssertBetween(start1, end1, detailed1["creation_timestamp"]);
        AssertBetween(start1, end1, detailed1["last_updated_timestamp"]);

        const string newName = "UpdateRMTest 2";
        var start2 = Now();
        await mlflow.OkAsync("registered-models/rename", new { name, new_name = newName });
        var end2 = Now();
        await (await mlflow.GetAsync($"registered-models/get?name={name}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=UpdateRMTest not found");
        var detailed2 = await ModelAsync(mlflow, newName);
        Assert.Equal(newName, (string?)detailed2["name"]);
        Assert.Equal("", (string?)detailed2["description"] ?? "");
        AssertBetween(start1, end1, detailed2["creation_timestamp"]);
        AssertBetween(start2, end2, detailed2["last_updated_timestamp"]);

        var start3 = Now();
        await (await mlflow.PatchAsync("registered-models/update", new { name = newName, description = "This is a test" })).OkAsync();
        var end3 = Now();
        var detailed3 = await ModelAsync(mlflow, newName);
        Assert.Equal("This is a test", (string?)detailed3["description"]);
        AssertBetween(start1, end1, detailed3["creation_timestamp"]);
        AssertBetween(start3, end3, detailed3["last_updated_timestamp"]);

        const string fourth = "UpdateRMTest 4";
        var start4 = Now();
        await (await mlflow.PatchAsync("registered-models/update", new { name = newName, description = "4th update" })).OkAsync();
        await mlflow.OkAsync("registered-models/rename", new { name = newName, new_name = fourth });
        var end4 = Now();
        var detailed4 = await ModelAsync(mlflow, fourth);
        Assert.Equal(fourth, (string?)detailed4["name"]);
        Assert.Equal("4th update", (string?)detailed4["description"]);
        AssertBetween(start1, end1, detailed4["creation_timestamp"]);
        AssertBetween(start4, end4, detailed4["last_updated_timestamp"]);

        const string fifth = "UpdateRMTest 5";
        var start5 = Now();
        await mlflow.OkAsync("registered-models/rename", new { name = fourth, new_name = fifth });
        var end5 = Now();
        var detailed5 = await ModelAsync(mlflow, fifth);
        Assert.Equal(fifth, (string?)detailed5["name"]);
        Assert.Equal("4th update", (string?)detailed5["description"]);
        AssertBetween(start1, end1, detailed5["creation_timestamp"]);
        AssertBetween(start5, end5, detailed5["last_updated_timestamp"]);

        foreach (var old in new[] { fourth, name, newName })
        {
            await (await mlflow.GetAsync($"registered-models/get?name={Uri.EscapeDataString(old)}"))
                .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", $"Registered Model with name={old} not found");
        }
    }

    // ports test_delete_registered_model_flow
    [Fact]
    public async Task A_deleted_registered_model_is_gone_and_its_name_free_again()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "DeleteRMTest";
        var start1 = Now();
        await mlflow.OkAsync("registered-models/create", new { name });
        var end1 = Now();
        var detailed1 = await ModelAsync(mlflow, name);
        AssertBetween(start1, end1, detailed1["creation_timestamp"]);
        AssertBetween(start1, end1, detailed1["last_updated_timestamp"]);
        Assert.Equal(name, Names(await SearchModelsAsync(mlflow)));

        await (await mlflow.PostAsync("registered-models/create", new { name }))
            .MlflowErrorAsync(400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=DeleteRMTest) already exists.");
        await (await mlflow.DeleteAsync("registered-models/delete", new { name })).OkAsync();
        await (await mlflow.GetAsync($"registered-models/get?name={name}")).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=DeleteRMTest not found");
        await (await mlflow.PostAsync("registered-models/rename", new { name, new_name = "something else" }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=DeleteRMTest not found");
        Assert.Equal("", Names(await SearchModelsAsync(mlflow)));

        var start2 = Now();
        await mlflow.OkAsync("registered-models/create", new { name });
        var end2 = Now();
        var detailed2 = await ModelAsync(mlflow, name);
        AssertBetween(start2, end2, detailed2["creation_timestamp"]);
        AssertBetween(start2, end2, detailed2["last_updated_timestamp"]);
        Assert.Equal(name, Names(await SearchModelsAsync(mlflow)));
    }

    // ports test_set_delete_registered_model_tag_flow and test_set_registered_model_tag_with_empty_string_as_value
    [Fact]
    public async Task Registered_model_tags_are_set_deleted_and_may_be_empty()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "SetDeleteRMTagTest";
        await mlflow.OkAsync("registered-models/create", new { name });
        Assert.Empty(Tags((await ModelAsync(mlflow, name))["tags"]));
        await mlflow.OkAsync("registered-models/set-tag", new { name, key = "key", value = "value" });
        await mlflow.OkAsync("registered-models/set-tag", new { name, key = "numeric value", value = "12345" });
        Assert.Equal(new Dictionary<string, string> { ["key"] = "value", ["numeric value"] = "12345" }, Tags((await ModelAsync(mlflow, name))["tags"]));
        await (await mlflow.DeleteAsync("registered-models/delete-tag", new { name, key = "key" })).OkAsync();
        Assert.Equal(new Dictionary<string, string> { ["numeric value"] = "12345" }, Tags((await ModelAsync(mlflow, name))["tags"]));

        const string empty = "SetRMTagEmptyValueTest";
        await mlflow.OkAsync("registered-models/create", new { name = empty });
        await mlflow.OkAsync("registered-models/set-tag", new { name = empty, key = "tag_key", value = "" });
        Assert.Equal("", Tags((await ModelAsync(mlflow, empty))["tags"])["tag_key"]);
    }

    /// <summary>29 models, a version of each and a second version of the first ten, as MLflow's version search tests make them.</summary>
    private static async Task<List<JsonObject>> VersionsToSearchAsync(Mlflow mlflow)
    {
        var names = Enumerable.Range(0, 29).Select(i => $"CreateRMsearchForMV{i:000}").ToList();
        foreach (var name in names)
        {
            await mlflow.OkAsync("registered-models/create", new { name });
        }
        var versions = new List<JsonObject>();
        foreach (var name in names.Concat(names.Take(10)))
        {
            versions.Add(await CreateVersionAsync(mlflow, name, "runs:/run_id/model", "run_id"));
        }
        return versions;
    }

    /// <summary>MLflow's default order of versions: newest change first, then name, then version descending.</summary>
    private static List<JsonObject> InDefaultOrder(IEnumerable<JsonObject> versions) => versions
        .OrderByDescending(v => (long)v["last_updated_timestamp"]!)
        .ThenBy(v => (string)v["name"]!, StringComparer.Ordinal)
        .ThenByDescending(v => int.Parse((string)v["version"]!, System.Globalization.CultureInfo.InvariantCulture))
        .ToList();

    // ports test_search_model_versions_filter_string
    [Fact]
    public async Task Model_version_searches_filter_as_mlflow_does_newest_change_first()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        var versions = await VersionsToSearchAsync(mlflow);
        (string? Filter, Func<string, bool> Keep)[] cases =
        [
            (null, _ => true),
            ("", _ => true),
            ("name LIKE '%2'", n => n.EndsWith('2')),
            ("name ILIKE '%rm%00%'", n => n.Contains("00", StringComparison.Ordinal)),
            ("name LIKE '%rm%00%'", _ => false),
            ("name = 'badname'", _ => false),
            ("name = 'CreateRMsearchForMV03'", n => n == "CreateRMsearchForMV03"),
        ];
        foreach (var (filter, keep) in cases)
        {
            Assert.Equal(NamesAndVersions(InDefaultOrder(versions.Where(v => keep((string)v["name"]!)))), NamesAndVersions(await SearchVersionsAsync(mlflow, filter)));
        }
    }

    // ports test_search_model_versions_max_results
    [Fact]
    public async Task Model_version_searches_page_at_any_page_size()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        var expected = NamesAndVersions(InDefaultOrder(await VersionsToSearchAsync(mlflow)));
        foreach (var maxResults in new[] { 1, 8, 100 })
        {
            Assert.Equal(expected, NamesAndVersions(await SearchVersionsAsync(mlflow, maxResults: maxResults)));
        }
    }

    // ports test_search_model_versions_order_by
    [Fact]
    public async Task Model_version_searches_order_by_name_or_version_with_mlflows_tie_breaks()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        var versions = await VersionsToSearchAsync(mlflow);
        static int Number(JsonObject v) => int.Parse((string)v["version"]!, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(NamesAndVersions(InDefaultOrder(versions)), NamesAndVersions(await SearchVersionsAsync(mlflow)));
        Assert.Equal(
            NamesAndVersions(versions.OrderByDescending(v => (string)v["name"]!, StringComparer.Ordinal).ThenByDescending(Number)),
            NamesAndVersions(await SearchVersionsAsync(mlflow, orderBy: ["name DESC"])));
        Assert.Equal(
            NamesAndVersions(versions.OrderByDescending(Number).ThenBy(v => (string)v["name"]!, StringComparer.Ordinal)),
            NamesAndVersions(await SearchVersionsAsync(mlflow, orderBy: ["version_number DESC"])));
    }

    // ports test_create_and_query_model_version_flow
    [Fact]
    public async Task Versions_are_numbered_found_by_source_and_run_and_download_from_their_source_without_a_run_to_check()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "CreateMVTest";
        await mlflow.OkAsync("registered-models/create", new { name });
        var tags = new[] { new { key = "key", value = "value" }, new { key = "another key", value = "some other value" }, new { key = "numeric value", value = "12345" } };
        var mv1 = await CreateVersionAsync(mlflow, name, "runs:/run_id/model", "run_id_1", tags);
        Assert.Equal("1", (string?)mv1["version"]);
        Assert.Equal(name, (string?)mv1["name"]);
        Assert.Equal("run_id_1", (string?)mv1["run_id"]);
        var expectedTags = new Dictionary<string, string> { ["key"] = "value", ["another key"] = "some other value", ["numeric value"] = "12345" };
        Assert.Equal(expectedTags, Tags(mv1["tags"]));
        var mvd1 = await VersionAsync(mlflow, name, 1);
        Assert.Equal(expectedTags, Tags(mvd1["tags"]));
        var found = (await SearchModelsAsync(mlflow)).Single(m => (string?)m["name"] == name);
        Assert.Equal(mvd1.ToJsonString(), found["latest_versions"]!.AsArray().Single()!.ToJsonString());

        var mv2 = await CreateVersionAsync(mlflow, name, "runs:/run_id/another_model", "run_id_1");
        Assert.Equal("2", (string?)mv2["version"]);
        var mvd2 = await VersionAsync(mlflow, name, 2);
        found = (await SearchModelsAsync(mlflow)).Single(m => (string?)m["name"] == name);
        Assert.Equal(mvd2.ToJsonString(), found["latest_versions"]!.AsArray().Single()!.ToJsonString());
        var byName = await SearchVersionsAsync(mlflow, $"name = '{name}'");
        Assert.Equal(["1", "2"], byName.Select(v => (string)v["version"]!).Order());

        var mv3 = await CreateVersionAsync(mlflow, name, "runs:/run_id/another_model", "run_id_2");
        Assert.Equal("3", (string?)mv3["version"]);
        Assert.Equal([mvd1.ToJsonString()], (await SearchVersionsAsync(mlflow, "source_path = 'runs:/run_id/model'")).Select(v => v.ToJsonString()));
        Assert.Equal([mvd2.ToJsonString(), mvd1.ToJsonString()], (await SearchVersionsAsync(mlflow, "run_id = 'run_id_1'")).Select(v => v.ToJsonString()));
        Assert.Equal("runs:/run_id/model", (string?)(await mlflow.GetOkAsync($"model-versions/get-download-uri?name={name}&version=1"))["artifact_uri"]);
    }

    // ports test_get_model_version (the message is MLflow 3's, which names the parameter)
    [Fact]
    public async Task A_version_is_read_by_number_and_a_version_that_is_no_number_is_refused()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "GetModelVersionTest";
        await mlflow.OkAsync("registered-models/create", new { name });
        await CreateVersionAsync(mlflow, name, "runs:/run_id/model", "run_id_1");
        var version = await VersionAsync(mlflow, name, 1);
        Assert.Equal(name, (string?)version["name"]);
        Assert.Equal("1", (string?)version["version"]);
        await (await mlflow.GetAsync($"model-versions/get?name={name}&version={Uri.EscapeDataString("something not correct")}"))
            .MlflowErrorAsync(400, "INVALID_PARAMETER_VALUE", "Parameter 'version' must be an integer, got 'something not correct'.");
    }

    // ports test_update_model_version_flow
    [Fact]
    public async Task Creating_versions_and_moving_stages_update_the_model_but_a_version_description_does_not()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "UpdateMVTest";
        var start0 = Now();
        await mlflow.OkAsync("registered-models/create", new { name });
        var end0 = Now();
        var rmd1 = await ModelAsync(mlflow, name);
        AssertBetween(start0, end0, rmd1["creation_timestamp"]);
        AssertBetween(start0, end0, rmd1["last_updated_timestamp"]);

        var start1 = Now();
        var mv1 = await CreateVersionAsync(mlflow, name, "runs:/run_id/model", "run_id_1");
        var end1 = Now();
        Assert.Equal("1", (string?)mv1["version"]);
        var mvd1 = await VersionAsync(mlflow, name, 1);
        Assert.Equal("", (string?)mvd1["description"] ?? "");
        AssertBetween(start1, end1, mvd1["creation_timestamp"]);
        AssertBetween(start1, end1, mvd1["last_updated_timestamp"]);
        var rmd2 = await ModelAsync(mlflow, name);
        AssertBetween(start0, end0, rmd2["creation_timestamp"]);
        AssertBetween(start1, end1, rmd2["last_updated_timestamp"]);
        Assert.Equal(mvd1.ToJsonString(), (await SearchModelsAsync(mlflow)).Single()["latest_versions"]!.AsArray().Single()!.ToJsonString());

        await CreateVersionAsync(mlflow, name, "runs:/run_id/another_model", "run_id_1");
        var mvd2 = await VersionAsync(mlflow, name, 2);
        Assert.Equal(mvd2.ToJsonString(), (await SearchModelsAsync(mlflow)).Single()["latest_versions"]!.AsArray().Single()!.ToJsonString());

        var start2 = Now();
        await mlflow.OkAsync("model-versions/transition-stage", new { name, version = "1", stage = "Staging", archive_existing_versions = false });
        var end2 = Now();
        var mvd1b = await VersionAsync(mlflow, name, 1);
        AssertBetween(start1, end1, mvd1b["creation_timestamp"]);
        AssertBetween(start2, end2, mvd1b["last_updated_timestamp"]);
        var rmd3 = await ModelAsync(mlflow, name);
        AssertBetween(start0, end0, rmd3["creation_timestamp"]);
        AssertBetween(start2, end2, rmd3["last_updated_timestamp"]);
        var latest = (await SearchModelsAsync(mlflow)).Single()["latest_versions"]!.AsArray();
        Assert.Equal(["1", "2"], latest.Select(v => (string)v!["version"]!).Order());
        Assert.All(latest, v => Assert.Equal(name, (string?)v!["name"]));

        var start3 = Now();
        await (await mlflow.PatchAsync("model-versions/update", new { name, version = "1", description = "This is a test model" })).OkAsync();
        var end3 = Now();
        var mvd1c = await VersionAsync(mlflow, name, 1);
        Assert.Equal("This is a test model", (string?)mvd1c["description"]);
        AssertBetween(start1, end1, mvd1c["creation_timestamp"]);
        AssertBetween(start3, end3, mvd1c["last_updated_timestamp"]);
        var rmd4 = await ModelAsync(mlflow, name);
        AssertBetween(start0, end0, rmd4["creation_timestamp"]);
        AssertBetween(start2, end2, rmd4["last_updated_timestamp"]);
    }

    // ports test_latest_models
    [Fact]
    public async Task The_latest_versions_are_the_newest_in_each_stage_asked_for()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "LatestVersionTest";
        await mlflow.OkAsync("registered-models/create", new { name });
        string[] stages = ["Archived", "Production", "Archived", "Production", "Staging", "Staging", "None"];
        for (var i = 0; i < stages.Length; i++)
        {
            var version = (string)(await CreateVersionAsync(mlflow, name, "runs:/run_id/model", "run_id"))["version"]!;
            Assert.Equal($"{i + 1}", version);
            if (stages[i] != "None")
            {
                await mlflow.OkAsync("model-versions/transition-stage", new { name, version, stage = stages[i], archive_existing_versions = false });
            }
            Assert.Equal(stages[i], (string?)(await VersionAsync(mlflow, name, version))["current_stage"]);
        }

        async Task<Dictionary<string, string>> LatestAsync(params string[] wanted)
        {
            var query = string.Concat(wanted.Select(stage => $"&stages={stage}"));
            var latest = await mlflow.GetOkAsync($"registered-models/get-latest-versions?name={name}{query}");
            return latest["model_versions"]!.AsArray().ToDictionary(v => (string)v!["current_stage"]!, v => (string)v!["version"]!);
        }
        Assert.Equal(new Dictionary<string, string> { ["None"] = "7" }, await LatestAsync("None"));
        Assert.Equal(new Dictionary<string, string> { ["Staging"] = "6" }, await LatestAsync("Staging"));
        Assert.Equal(new Dictionary<string, string> { ["None"] = "7", ["Staging"] = "6" }, await LatestAsync("None", "Staging"));
        var all = new Dictionary<string, string> { ["Production"] = "4", ["Staging"] = "6", ["Archived"] = "3", ["None"] = "7" };
        Assert.Equal(all, await LatestAsync());
        var posted = await mlflow.OkAsync("registered-models/get-latest-versions", new { name, stages = Array.Empty<string>() });
        Assert.Equal(all, posted["model_versions"]!.AsArray().ToDictionary(v => (string)v!["current_stage"]!, v => (string)v!["version"]!));
    }

    // ports test_delete_model_version_flow
    [Fact]
    public async Task Deleted_versions_are_gone_change_the_model_and_their_numbers_are_not_reused()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "DeleteMVTest";
        var start0 = Now();
        await mlflow.OkAsync("registered-models/create", new { name });
        var end0 = Now();
        var start1 = Now();
        await CreateVersionAsync(mlflow, name, "runs:/run_id/model", "run_id_1");
        var end1 = Now();
        var mvd1 = await VersionAsync(mlflow, name, 1);
        AssertBetween(start1, end1, mvd1["creation_timestamp"]);
        var rmd2 = await ModelAsync(mlflow, name);
        AssertBetween(start0, end0, rmd2["creation_timestamp"]);
        AssertBetween(start1, end1, rmd2["last_updated_timestamp"]);

        Assert.Equal("2", (string?)(await CreateVersionAsync(mlflow, name, "runs:/run_id/another_model", "run_id_1"))["version"]);
        Assert.Equal("3", (string?)(await CreateVersionAsync(mlflow, name, "runs:/run_id_2/a/b/c", "run_id_2"))["version"]);
        Assert.Equal("3", (string?)(await SearchModelsAsync(mlflow)).Single()["latest_versions"]![0]!["version"]);
        async Task<string> VersionNumbersAsync() =>
            string.Join(",", (await SearchVersionsAsync(mlflow, $"name = '{name}'")).Select(v => (string)v["version"]!).Order());
        Assert.Equal("1,2,3", await VersionNumbersAsync());

        var start2 = Now();
        await (await mlflow.DeleteAsync("model-versions/delete", new { name, version = "1" })).OkAsync();
        var end2 = Now();
        Assert.Equal("2,3", await VersionNumbersAsync());
        var rmd3 = await ModelAsync(mlflow, name);
        AssertBetween(start0, end0, rmd3["creation_timestamp"]);
        AssertBetween(start2, end2, rmd3["last_updated_timestamp"]);

        const string missing = "Model Version (name=DeleteMVTest, version=1) not found";
        await (await mlflow.DeleteAsync("model-versions/delete", new { name, version = "1" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", missing);
        await (await mlflow.PatchAsync("model-versions/update", new { name, version = "1", description = "Test model" })).MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", missing);
        await (await mlflow.PostAsync("model-versions/transition-stage", new { name, version = "1", stage = "Staging", archive_existing_versions = false }))
            .MlflowErrorAsync(404, "RESOURCE_DOES_NOT_EXIST", missing);

        await (await mlflow.DeleteAsync("model-versions/delete", new { name, version = 3 })).OkAsync();
        Assert.Equal("2", await VersionNumbersAsync());
        Assert.Equal("4", (string?)(await CreateVersionAsync(mlflow, name, "runs:/run_id_2/a/b/c", "run_id_2"))["version"]);
        Assert.Equal("2,4", await VersionNumbersAsync());
    }

    // ports test_set_delete_model_version_tag_flow and test_set_model_version_tag_with_empty_string_as_value
    [Fact]
    public async Task Version_tags_are_set_deleted_and_may_be_empty()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "SetDeleteMVTagTest";
        await mlflow.OkAsync("registered-models/create", new { name });
        await CreateVersionAsync(mlflow, name, "runs:/run_id/model", "run_id_1");
        Assert.Empty(Tags((await VersionAsync(mlflow, name, 1))["tags"]));
        await mlflow.OkAsync("model-versions/set-tag", new { name, version = "1", key = "key", value = "value" });
        await mlflow.OkAsync("model-versions/set-tag", new { name, version = "1", key = "numeric value", value = "12345" });
        Assert.Equal(new Dictionary<string, string> { ["key"] = "value", ["numeric value"] = "12345" }, Tags((await VersionAsync(mlflow, name, 1))["tags"]));
        await (await mlflow.DeleteAsync("model-versions/delete-tag", new { name, version = "1", key = "key" })).OkAsync();
        Assert.Equal(new Dictionary<string, string> { ["numeric value"] = "12345" }, Tags((await VersionAsync(mlflow, name, 1))["tags"]));

        const string empty = "SetMVTagEmptyValueTest";
        await mlflow.OkAsync("registered-models/create", new { name = empty });
        await CreateVersionAsync(mlflow, empty, "runs:/run_id/model", "run_id_1");
        await mlflow.OkAsync("model-versions/set-tag", new { name = empty, version = "1", key = "tag_key", value = "" });
        Assert.Equal("", Tags((await VersionAsync(mlflow, empty, 1))["tags"])["tag_key"]);
    }

    // ports test_set_delete_registered_model_alias_and_get_model_version_by_alias_flow
    [Fact]
    public async Task An_alias_is_set_resolved_to_the_same_version_and_deleted()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "SetDeleteGetRMAliasTest";
        await mlflow.OkAsync("registered-models/create", new { name });
        await CreateVersionAsync(mlflow, name, "runs:/run_id/model", "run_id_1");
        Assert.Empty((await ModelAsync(mlflow, name))["aliases"]!.AsArray());
        Assert.Empty((await VersionAsync(mlflow, name, 1))["aliases"]!.AsArray());

        await mlflow.OkAsync("registered-models/alias", new { name, alias = "test_alias", version = "1" });
        var aliases = (await ModelAsync(mlflow, name))["aliases"]!.AsArray();
        Assert.Equal([("test_alias", "1")], aliases.Select(a => ((string)a!["alias"]!, (string)a["version"]!)));
        var version = await VersionAsync(mlflow, name, 1);
        Assert.Equal(["test_alias"], version["aliases"]!.AsArray().Select(a => (string)a!));
        var byAlias = (await mlflow.GetOkAsync($"registered-models/alias?name={name}&alias=test_alias"))["model_version"]!;
        Assert.Equal(version.ToJsonString(), byAlias.ToJsonString());

        await (await mlflow.DeleteAsync("registered-models/alias", new { name, alias = "test_alias" })).OkAsync();
        Assert.Empty((await ModelAsync(mlflow, name))["aliases"]!.AsArray());
        Assert.Empty((await VersionAsync(mlflow, name, 1))["aliases"]!.AsArray());
    }

    // ports test_copy_model_version_flow (the requests MLflow's client makes for copy_model_version)
    [Fact]
    public async Task A_copied_version_keeps_its_origin_as_source_and_downloads_from_the_origins_files()
    {
        using var app = new CairnApp();
        var mlflow = new Mlflow(app.CreateClient());
        const string name = "CopyMVTest";
        await mlflow.OkAsync("registered-models/create", new { name });
        var source = await CreateVersionAsync(mlflow, name, "runs:/run_id/model", "run_id_1", new[] { new { key = "hello", value = "world" } }, "dummy");
        await mlflow.OkAsync("registered-models/alias", new { name, alias = "test_alias", version = "1" });

        var byAlias = (await mlflow.GetOkAsync($"registered-models/alias?name={name}&alias=test_alias"))["model_version"]!;
        await (await mlflow.PostAsync("registered-models/create", new { name })).MlflowErrorAsync(400, "RESOURCE_ALREADY_EXISTS");
        var copy = await CreateVersionAsync(mlflow, name, $"models:/{name}/{(string)byAlias["version"]!}", (string)byAlias["run_id"]!,
            new[] { new { key = "hello", value = "world" } }, (string?)byAlias["description"]);
        Assert.Equal("2", (string?)copy["version"]);
        Assert.Equal(name, (string?)copy["name"]);

        var read = await VersionAsync(mlflow, name, 2);
        Assert.Equal($"models:/{name}/1", (string?)read["source"]);
        Assert.Equal("dummy", (string?)read["description"]);
        Assert.Equal("run_id_1", (string?)read["run_id"]);
        Assert.Equal(new Dictionary<string, string> { ["hello"] = "world" }, Tags(read["tags"]));
        Assert.Equal((string?)source["source"], (string?)(await mlflow.GetOkAsync($"model-versions/get-download-uri?name={name}&version=2"))["artifact_uri"]);
    }
}
