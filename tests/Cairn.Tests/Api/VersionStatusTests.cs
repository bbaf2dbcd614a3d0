using System.Net.Http.Headers;
using System.Security.Cryptography;
using Cairn.Governance;
using Cairn.Registry;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Api;

/// <summary>
/// A version's status moves one way only: PENDING_REGISTRATION → READY or FAILED_REGISTRATION, and a version that has
/// left PENDING_REGISTRATION keeps its files as they are, whoever asks and through whichever API (issue 14, item 2).
/// </summary>
public sealed class VersionStatusTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private static ByteArrayContent Bytes(byte[] data) => new(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    private async Task<string> VersionAsync(string name, string status)
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/status", model_name = name })).ExpectAsync(201);
        await (await _client.PostJsonAsync($"/api/v1/models/status.{name}/versions", new { status })).ExpectAsync(201);
        return $"/api/v1/models/status.{name}/versions/1";
    }

    [Fact]
    public async Task Reopening_a_production_version_to_swap_its_weights_is_refused_at_the_first_step_and_its_files_stay()
    {
        var version = await VersionAsync("swap", "PENDING_REGISTRATION");
        byte[] weights = [1, 2, 3, 4];
        await (await _client.PutAsync($"{version}/files/model.bin", Bytes(weights))).ExpectAsync(201);
        await (await _client.PatchJsonAsync(version, new { status = "READY" })).ExpectAsync(200);
        await (await _client.PostJsonAsync($"{version}/stage", new { stage = "Production" })).ExpectAsync(200);

        // The attack: reopen, delete, upload other bytes, mark ready again. The first step already fails.
        var reopened = await (await _client.PatchJsonAsync(version, new { status = "PENDING_REGISTRATION" })).ExpectAsync(409, "INVALID_STATE");
        Assert.Contains("READY", (string?)reopened["detail"], StringComparison.Ordinal);
        await (await _client.DeleteAsync($"{version}/files/model.bin")).ExpectAsync(409, "INVALID_STATE");
        await (await _client.PutAsync($"{version}/files/model.bin", Bytes([9, 9, 9, 9]))).ExpectAsync(409, "INVALID_STATE");
        await (await _client.PutAsync($"{version}/files/other.bin", Bytes([9]))).ExpectAsync(409, "INVALID_STATE");
        await (await _client.PatchJsonAsync(version, new { status = "READY" })).ExpectAsync(200);

        var shown = await (await _client.GetAsync(version)).ExpectAsync(200);
        Assert.Equal("READY", (string?)shown["status"]);
        Assert.Equal("Production", (string?)shown["stage"]);
        Assert.Equal(weights, await _client.GetByteArrayAsync($"{version}/files/model.bin"));
        var files = (await (await _client.GetAsync($"{version}/files")).ExpectAsync(200))["files"]!.AsArray();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(weights)), (string?)files.Single()!["sha256"]);
    }

    [Theory]
    [InlineData("READY", "PENDING_REGISTRATION")]
    [InlineData("READY", "FAILED_REGISTRATION")]
    [InlineData("FAILED_REGISTRATION", "READY")]
    [InlineData("FAILED_REGISTRATION", "PENDING_REGISTRATION")]
    public async Task A_version_that_left_pending_registration_never_changes_status_again(string from, string to)
    {
        var version = await VersionAsync($"terminal_{from[..1]}{to[..1]}".ToLowerInvariant(), from);

        var problem = await (await _client.PatchJsonAsync(version, new { status = to })).ExpectAsync(409, "INVALID_STATE");

        Assert.Contains(from, (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal(from, (string?)(await (await _client.GetAsync(version)).ExpectAsync(200))["status"]);
        // Nothing was written: the refused change has no audit entry.
        var entries = (await (await _client.GetAsync($"/api/v1/audit?resource={version["/api/v1/".Length..]}")).ExpectAsync(200))["entries"]!.AsArray();
        Assert.Equal(["version.create"], entries.Select(e => (string?)e!["action"]));
    }

    [Theory]
    [InlineData("READY")]
    [InlineData("FAILED_REGISTRATION")]
    public async Task A_pending_version_may_be_finished_either_way_once(string to)
    {
        var version = await VersionAsync($"finish_{to[..1]}".ToLowerInvariant(), "PENDING_REGISTRATION");

        var finished = await (await _client.PatchJsonAsync(version, new { status = to })).ExpectAsync(200);

        Assert.Equal(to, (string?)finished["status"]);
        await (await _client.PutAsync($"{version}/files/late.bin", Bytes([1]))).ExpectAsync(409, "INVALID_STATE");
    }

    [Fact]
    public async Task Setting_the_status_a_version_already_has_is_a_no_op_so_a_retried_finish_succeeds()
    {
        var version = await VersionAsync("same", "PENDING_REGISTRATION");
        await (await _client.PatchJsonAsync(version, new { status = "PENDING_REGISTRATION" })).ExpectAsync(200);
        await (await _client.PatchJsonAsync(version, new { status = "READY" })).ExpectAsync(200);

        var again = await (await _client.PatchJsonAsync(version, new { status = "ready", description = "retried" })).ExpectAsync(200);

        Assert.Equal("READY", (string?)again["status"]);
        Assert.Equal("retried", (string?)again["description"]);
    }

    [Fact]
    public async Task A_ready_version_keeps_its_other_metadata_editable()
    {
        var version = await VersionAsync("metadata", "READY");

        var updated = await (await _client.PatchJsonAsync(version, new { description = "better words", semver = "1.0.0" })).ExpectAsync(200);

        Assert.Equal("better words", (string?)updated["description"]);
        Assert.Equal("READY", (string?)updated["status"]);
    }

    [Fact]
    public async Task The_library_refuses_reopening_a_ready_version_as_the_api_does()
    {
        await VersionAsync("library", "READY");
        var registry = app.Services.GetRequiredService<ModelRegistry>();

        var refused = await Assert.ThrowsAsync<InvalidStateException>(() => registry.UpdateAsync(
            Caller.Admin("library"), "status.library", 1, new UpdateVersionRequest(Status: VersionStatus.PendingRegistration), CancellationToken.None));

        Assert.Contains("READY", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mlflow_update_model_version_changes_the_description_only_and_a_ready_version_stays_frozen()
    {
        var version = await VersionAsync("mlflow", "PENDING_REGISTRATION");
        await (await _client.PutAsync($"{version}/files/model.bin", Bytes([1]))).ExpectAsync(201);
        await (await _client.PatchJsonAsync(version, new { status = "READY" })).ExpectAsync(200);

        // MLflow's UpdateModelVersion has no status; one sent anyway is not read.
        var updated = await _client.SendRawAsync(HttpMethod.Patch, "/api/2.0/mlflow/model-versions/update",
            """{"name":"status.mlflow","version":"1","description":"d","status":"PENDING_REGISTRATION"}""");
        Assert.Equal(System.Net.HttpStatusCode.OK, updated.StatusCode);

        var shown = await (await _client.GetAsync(version)).ExpectAsync(200);
        Assert.Equal("READY", (string?)shown["status"]);
        Assert.Equal("d", (string?)shown["description"]);
        await (await _client.PutAsync($"{version}/files/model.bin", Bytes([2]))).ExpectAsync(409, "INVALID_STATE");
    }

    [Fact]
    public async Task Concurrent_finishes_of_a_pending_version_settle_it_exactly_once()
    {
        var version = await VersionAsync("race", "PENDING_REGISTRATION");

        // Half finish it, half fail it: whichever commits first wins and every request asking for the other is refused.
        var targets = Enumerable.Range(0, 8).Select(i => i % 2 == 0 ? "READY" : "FAILED_REGISTRATION").ToList();
        var responses = await Task.WhenAll(targets.Select(to => _client.PatchJsonAsync(version, new { status = to })));

        var final = (string?)(await (await _client.GetAsync(version)).ExpectAsync(200))["status"];
        for (var i = 0; i < targets.Count; i++)
        {
            Assert.Equal(targets[i] == final ? System.Net.HttpStatusCode.OK : System.Net.HttpStatusCode.Conflict, responses[i].StatusCode);
        }
    }
}
