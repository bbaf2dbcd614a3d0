using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;

namespace Cairn.Tests.Api;

/// <summary>Issue 14, item 6: documented, configurable limits on what one caller can make everyone read (decision 0016).</summary>
public sealed class LimitsTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private static string NewName() => $"lim{Guid.NewGuid():N}"[..20];

    private async Task<string> ModelAsync()
    {
        var name = NewName();
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/limits", model_name = name })).ExpectAsync(201);
        return $"limits.{name}";
    }

    [Fact]
    public async Task A_10_MB_description_is_refused_naming_the_field_and_the_limit()
    {
        var huge = new string('d', 10_000_000);

        var problem = await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/limits", model_name = NewName(), description = huge })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'description'", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Contains("65536", (string?)problem["detail"], StringComparison.Ordinal);

        var model = await ModelAsync();
        await (await _client.PatchJsonAsync($"/api/v1/models/{model}", new { description = huge })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { description = huge })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = "limits", name = NewName(), description = huge })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync("/api/v1/features", new { @namespace = "limits", name = NewName(), value_type = "int64", description = huge })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        // Nothing was stored: the listing stays small.
        var listing = await _client.GetStringAsync("/api/v1/models?max_results=1000");
        Assert.True(listing.Length < 1_000_000, $"the model listing is {listing.Length} characters");
        // At the limit is fine.
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/limits", model_name = NewName(), description = new string('d', 65_536) })).ExpectAsync(201);
    }

    [Fact]
    public async Task Tag_keys_and_values_over_the_limit_are_refused_naming_the_tag()
    {
        var model = await ModelAsync();

        var value = await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { tags = new Dictionary<string, string> { ["note"] = new string('v', 5001) } }))
            .ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'tags.note'", (string?)value["detail"], StringComparison.Ordinal);
        var key = await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { @params = new Dictionary<string, string> { [new string('k', 251)] = "1" } }))
            .ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'params'", (string?)key["detail"], StringComparison.Ordinal);
        await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = "limits", name = NewName(), tags = new Dictionary<string, string> { ["t"] = new string('v', 5001) } }))
            .ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_node_id_over_the_limit_is_refused_naming_its_place_in_the_list()
    {
        var problem = await (await _client.PostJsonAsync("/api/v1/executions", new { job_namespace = "limits", job_name = "j", inputs = new[] { "dataset:limits:" + new string('n', 2000) } }))
            .ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'inputs[0]'", (string?)problem["detail"], StringComparison.Ordinal);
    }
}

/// <summary>The limits as an operator sets them: <c>Cairn:Limits:*</c>.</summary>
public sealed class ConfiguredLimitsTests(ConfiguredLimitsTests.SmallLimitsApp app) : IClassFixture<ConfiguredLimitsTests.SmallLimitsApp>
{
    public sealed class SmallLimitsApp : CairnApp
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Cairn:Limits:MaxDescriptionLength", "10");
            builder.UseSetting("Cairn:Limits:MaxMapEntries", "5");
            builder.UseSetting("Cairn:Limits:MaxListLength", "2");
            builder.UseSetting("Cairn:Limits:MaxRequestBodyBytes", "20000");
        }
    }

    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task Configured_limits_replace_the_defaults()
    {
        var name = $"cfg{Guid.NewGuid():N}"[..20];
        var problem = await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/limits", model_name = name, description = "eleven char" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("MaxDescriptionLength", (string?)problem["detail"], StringComparison.Ordinal);
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/limits", model_name = name, description = "ten chars." })).ExpectAsync(201);

        var metrics = Enumerable.Range(0, 6).ToDictionary(i => $"m{i}", i => (double)i);
        var tooMany = await (await _client.PostJsonAsync($"/api/v1/models/limits.{name}/versions", new { metrics })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'metrics' has 6 entries; the limit is 5", (string?)tooMany["detail"], StringComparison.Ordinal);

        var lists = await (await _client.PostJsonAsync("/api/v1/executions", new { job_namespace = "limits", job_name = "j", outputs = new[] { "a", "b", "c" } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'outputs' has 3 elements", (string?)lists["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_body_over_the_limit_is_413_but_a_file_upload_streams_past_it()
    {
        var name = $"big{Guid.NewGuid():N}"[..20];
        var body = new JsonObject { ["namespace"] = "/limits", ["model_name"] = name, ["tags"] = new JsonObject { ["pad"] = new string('p', 30_000) } };
        var problem = await (await _client.SendRawAsync(HttpMethod.Post, "/api/v1/models", body.ToJsonString())).ExpectAsync(413, "REQUEST_LIMIT_EXCEEDED");
        Assert.Contains("MaxRequestBodyBytes", (string?)problem["detail"], StringComparison.Ordinal);

        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/limits", model_name = name })).ExpectAsync(201);
        await (await _client.PostJsonAsync($"/api/v1/models/limits.{name}/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);
        var file = new ByteArrayContent(new byte[200_000]);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        await (await _client.PutAsync($"/api/v1/models/limits.{name}/versions/1/files/model.bin", file)).ExpectAsync(201);
    }
}
