using System.Net;

namespace Cairn.Tests.Api;

public sealed class VersionsApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<string> ModelAsync(string name)
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/reg", model_name = name })).ExpectAsync(201);
        return $"reg.{name}";
    }

    [Fact]
    public async Task Creating_versions_concurrently_numbers_them_without_gaps_or_duplicates()
    {
        var model = await ModelAsync("parallel");

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { description = $"request {i}" })));

        var numbers = new List<int>();
        foreach (var response in responses)
        {
            numbers.Add((int)(await response.ExpectAsync(201))["version"]!);
        }
        Assert.Equal(Enumerable.Range(1, 50), numbers.Order());
        var latest = await (await _client.GetAsync($"/api/v1/models/{model}")).ExpectAsync(200);
        Assert.Equal(50, (int)latest["latest_version"]!);
    }

    [Fact]
    public async Task A_version_records_its_metadata_and_its_creator()
    {
        var model = await ModelAsync("meta");
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { })).ExpectAsync(201);
        // The run a version names must be recorded here (issue 14, item 9): an execution will do.
        await (await _client.PostJsonAsync("/api/v1/executions", new { run_id = "run-42", type = "training", job_namespace = "jobs", job_name = "meta" })).ExpectAsync(201);

        var created = await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new
        {
            description = "improves recall",
            source = "s3://bucket/model",
            run_id = "run-42",
            framework = "onnx",
            semver = "1.2.0-rc.1",
            parent_version = 1,
            metrics = new Dictionary<string, double> { ["auc"] = 0.92, ["loss"] = 0.1 },
            @params = new Dictionary<string, string> { ["lr"] = "0.001" },
            tags = new Dictionary<string, string> { ["data"] = "2024q1" },
        })).ExpectAsync(201);

        Assert.Equal(2, (int)created["version"]!);
        Assert.Equal("tester", (string?)created["created_by"]);
        Assert.Equal("READY", (string?)created["status"]);
        Assert.Equal("None", (string?)created["stage"]);
        Assert.Equal(1, (int)created["parent_version"]!);
        Assert.Equal(0.92, (double)created["metrics"]!["auc"]!);
        Assert.Equal("0.001", (string?)created["params"]!["lr"]);

        var fetched = await (await _client.GetAsync($"/api/v1/models/{model}/versions/2")).ExpectAsync(200);
        Assert.Equal("1.2.0-rc.1", (string?)fetched["semver"]);
        Assert.Equal("run-42", (string?)fetched["run_id"]);
    }

    [Fact]
    public async Task A_failed_registration_leaves_no_trace_and_consumes_no_number()
    {
        var model = await ModelAsync("atomic");
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { semver = "1.0.0" })).ExpectAsync(201);
        var auditBefore = await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");

        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { semver = "1.0.0" })).ExpectAsync(409, "RESOURCE_ALREADY_EXISTS");
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { parent_version = 9 })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Equal(auditBefore, await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log"));
        var next = await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { })).ExpectAsync(201);
        Assert.Equal(2, (int)next["version"]!);
    }

    [Fact]
    public async Task A_deleted_version_number_is_never_reused()
    {
        var model = await ModelAsync("reuse");
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { })).ExpectAsync(201);
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { })).ExpectAsync(201);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/v1/models/{model}/versions/2")).StatusCode);
        await (await _client.GetAsync($"/api/v1/models/{model}/versions/2")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");

        var next = await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { })).ExpectAsync(201);
        Assert.Equal(3, (int)next["version"]!);
    }

    [Theory]
    [InlineData("""{"semver":"1.2"}""", "semantic version")]
    [InlineData("""{"status":"DONE"}""", "'status' must be one of")]
    [InlineData("""{"metrics":{"auc":"high"}}""", "not valid JSON")]
    [InlineData("""{"parent_version":"1"}""", "not valid JSON")]
    public async Task Invalid_versions_are_rejected_with_what_is_wrong(string body, string expected)
    {
        var model = await ModelAsync($"invalid{Math.Abs(body.GetHashCode(StringComparison.Ordinal))}");
        var problem = await (await _client.SendRawAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions", body)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains(expected, (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_paths_that_are_not_numbers_are_a_400_and_unknown_numbers_a_404()
    {
        var model = await ModelAsync("paths");
        await (await _client.GetAsync($"/api/v1/models/{model}/versions/abc")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.GetAsync($"/api/v1/models/{model}/versions/0")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.GetAsync($"/api/v1/models/{model}/versions/7")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PatchJsonAsync($"/api/v1/models/{model}/versions/7", new { description = "x" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.DeleteAsync($"/api/v1/models/{model}/versions/7")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/7/tags/a", new { value = "b" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions/7/stage", new { stage = "Staging" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Patching_a_version_changes_only_the_given_fields_and_keeps_semver_unique()
    {
        var model = await ModelAsync("patch");
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { description = "one", semver = "1.0.0" })).ExpectAsync(201);
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { description = "two", framework = "onnx" })).ExpectAsync(201);

        var patched = await (await _client.PatchJsonAsync($"/api/v1/models/{model}/versions/2", new { description = "second" })).ExpectAsync(200);
        Assert.Equal("second", (string?)patched["description"]);
        Assert.Equal("onnx", (string?)patched["framework"]);

        await (await _client.PatchJsonAsync($"/api/v1/models/{model}/versions/2", new { semver = "1.0.0" })).ExpectAsync(409, "RESOURCE_ALREADY_EXISTS");
        await (await _client.PatchJsonAsync($"/api/v1/models/{model}/versions/1", new { semver = "1.0.0" })).ExpectAsync(200);
    }

    [Fact]
    public async Task Version_tags_are_set_and_deleted()
    {
        var model = await ModelAsync("vtags");
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { })).ExpectAsync(201);

        var tagged = await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/1/tags/validated", new { value = "yes" })).ExpectAsync(200);
        Assert.Equal("yes", (string?)tagged["tags"]!["validated"]);
        var untagged = await (await _client.DeleteAsync($"/api/v1/models/{model}/versions/1/tags/validated")).ExpectAsync(200);
        Assert.Empty(untagged["tags"]!.AsObject());
        await (await _client.DeleteAsync($"/api/v1/models/{model}/versions/1/tags/validated")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }
}
