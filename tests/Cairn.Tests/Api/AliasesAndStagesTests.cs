using System.Net;

namespace Cairn.Tests.Api;

public sealed class AliasesAndStagesTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<string> ModelWithVersionsAsync(string name, int versions)
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/life", model_name = name })).ExpectAsync(201);
        for (var i = 0; i < versions; i++)
        {
            await (await _client.PostJsonAsync($"/api/v1/models/life.{name}/versions", new { })).ExpectAsync(201);
        }
        return $"life.{name}";
    }

    [Fact]
    public async Task An_alias_resolves_to_its_version_and_shows_on_model_and_version()
    {
        var model = await ModelWithVersionsAsync("resolve", 2);

        var set = await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 2 })).ExpectAsync(200);
        Assert.Equal(2, (int)set["version"]!);

        var resolved = await (await _client.GetAsync($"/api/v1/models/{model}/aliases/champion")).ExpectAsync(200);
        Assert.Equal("champion", (string?)resolved["alias"]);
        Assert.Equal(2, (int)resolved["version"]!);
        Assert.Equal(2, (int)(await (await _client.GetAsync($"/api/v1/models/{model}")).ExpectAsync(200))["aliases"]!["champion"]!);
        Assert.Equal("champion", (string?)(await (await _client.GetAsync($"/api/v1/models/{model}/versions/2")).ExpectAsync(200))["aliases"]![0]);
    }

    [Fact]
    public async Task Rolling_back_an_alias_returns_it_to_its_previous_version_and_history_keeps_every_change()
    {
        var model = await ModelWithVersionsAsync("rollback", 3);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 1 })).ExpectAsync(200);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 3 })).ExpectAsync(200);

        var rolledBack = await (await _client.PostAsync($"/api/v1/models/{model}/aliases/champion/rollback", null)).ExpectAsync(200);
        Assert.Equal(1, (int)rolledBack["version"]!);

        var history = (await (await _client.GetAsync($"/api/v1/models/{model}/aliases/champion/history")).ExpectAsync(200))["changes"]!.AsArray();
        Assert.Equal([1, 3, 1], history.Select(h => (int)h!["version"]!));
        Assert.Equal(3, (int)history[0]!["previous_version"]!);
        Assert.Null(history[2]!["previous_version"]);
    }

    [Fact]
    public async Task An_alias_with_no_previous_target_cannot_be_rolled_back()
    {
        var model = await ModelWithVersionsAsync("norollback", 1);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 1 })).ExpectAsync(200);
        await (await _client.PostAsync($"/api/v1/models/{model}/aliases/champion/rollback", null)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostAsync($"/api/v1/models/{model}/aliases/nobody/rollback", null)).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Alias_errors_say_what_is_wrong()
    {
        var model = await ModelWithVersionsAsync("aliaserrors", 1);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { version = 5 })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/latest", new { version = 1 })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/9lives", new { version = 1 })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/champion", new { })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.GetAsync($"/api/v1/models/{model}/aliases/champion")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.DeleteAsync($"/api/v1/models/{model}/aliases/champion")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Deleting_an_alias_or_its_version_removes_it_and_records_the_removal()
    {
        var model = await ModelWithVersionsAsync("aliasdelete", 2);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/a", new { version = 1 })).ExpectAsync(200);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/b", new { version = 2 })).ExpectAsync(200);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/v1/models/{model}/aliases/a")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/v1/models/{model}/versions/2")).StatusCode);

        await (await _client.GetAsync($"/api/v1/models/{model}/aliases/a")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync($"/api/v1/models/{model}/aliases/b")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        var history = (await (await _client.GetAsync($"/api/v1/models/{model}/aliases/b/history")).ExpectAsync(200))["changes"]!.AsArray();
        Assert.Null(history[0]!["version"]);
        Assert.Equal(2, (int)history[0]!["previous_version"]!);
    }

    [Fact]
    public async Task Promoting_with_archive_existing_archives_the_version_that_held_the_stage()
    {
        var model = await ModelWithVersionsAsync("promote", 2);
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions/1/stage", new { stage = "Production" })).ExpectAsync(200);

        var promoted = await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions/2/stage",
            new { stage = "production", archive_existing = true, comment = "better auc" })).ExpectAsync(200);

        Assert.Equal("Production", (string?)promoted["stage"]);
        Assert.Equal("Archived", (string?)(await (await _client.GetAsync($"/api/v1/models/{model}/versions/1")).ExpectAsync(200))["stage"]);
        var history = (await (await _client.GetAsync($"/api/v1/models/{model}/versions/1/stage")).ExpectAsync(200))["transitions"]!.AsArray();
        Assert.Equal(["Production", "Archived"], history.Select(t => (string?)t!["to_stage"]));
        var promotedHistory = (await (await _client.GetAsync($"/api/v1/models/{model}/versions/2/stage")).ExpectAsync(200))["transitions"]!.AsArray();
        Assert.Equal("better auc", (string?)promotedHistory.Single()!["comment"]);
        Assert.Equal("None", (string?)promotedHistory.Single()!["from_stage"]);
    }

    [Fact]
    public async Task Promoting_without_archive_existing_leaves_other_versions_in_the_stage()
    {
        var model = await ModelWithVersionsAsync("keep", 2);
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions/1/stage", new { stage = "Staging" })).ExpectAsync(200);
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions/2/stage", new { stage = "Staging" })).ExpectAsync(200);
        Assert.Equal("Staging", (string?)(await (await _client.GetAsync($"/api/v1/models/{model}/versions/1")).ExpectAsync(200))["stage"]);
    }

    [Fact]
    public async Task An_unknown_stage_is_rejected()
    {
        var model = await ModelWithVersionsAsync("badstage", 1);
        var problem = await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions/1/stage", new { stage = "Prod" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("None, Staging, Production, Archived", (string?)problem["detail"], StringComparison.Ordinal);
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions/1/stage", new { stage = "2" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }
}
