using System.Text.Json.Nodes;
using static Cairn.IntegrationTests.Webhooks.WebhookServers;

namespace Cairn.IntegrationTests.Webhooks;

/// <summary>
/// Issue 16's "done when": a webhook managed, its delivery log read and a past event redelivered through the
/// <c>cairn</c> CLI against a real server, with deliveries checked by the Node.js receiver.
/// </summary>
public sealed class WebhookCliTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cairn-webhook-cli-").FullName;
    private NodeReceiver _receiver = null!;
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        _receiver = await NodeReceiver.StartAsync(Secret);
        _server = await StartAsync(_dataDir);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private async Task<JsonNode> CliJsonAsync(params string[] args)
    {
        var result = await Cli.RunAsync([.. args, "--json", "--server", _server.Url]);
        Assert.True(result.ExitCode == 0, $"cairn {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        return JsonNode.Parse(result.Stdout)!;
    }

    [Fact]
    public async Task A_webhook_is_created_its_deliveries_listed_and_a_past_event_redelivered_through_the_cli()
    {
        using var api = Client(_server);
        var created = await CliJsonAsync("webhook", "create", "--name", "cli-hook", "--url", _receiver.Url(), "--event", "model_version.*", "--secret", Secret);
        var id = (string)created["id"]!;
        Assert.False(created.ToJsonString().Contains(Secret, StringComparison.Ordinal), "the secret was shown");

        (await api.PostAsync("/api/v1/models", System.Net.Http.Json.JsonContent.Create(new { @namespace = "/cli", model_name = "hooked" }))).EnsureSuccessStatusCode();
        (await api.PostAsync("/api/v1/models/cli.hooked/versions", System.Net.Http.Json.JsonContent.Create(new { description = "v1" }))).EnsureSuccessStatusCode();
        await WaitForLogAsync(api, id, log => log.Count == 1 && (string?)log[0]["state"] == "SUCCEEDED", TimeSpan.FromSeconds(20), "the version's delivery");

        var listed = await CliJsonAsync("webhook", "deliveries", id);
        var delivery = Assert.Single(listed["deliveries"]!.AsArray())!;
        Assert.Equal("model_version.created", (string?)delivery["event_type"]);
        var seq = (long)delivery["event_seq"]!;

        var attempts = await CliJsonAsync("webhook", "deliveries", id, "--delivery", (string)delivery["id"]!);
        Assert.Equal(200, (int)attempts["attempt_log"]![0]!["status"]!);

        var requeued = await CliJsonAsync("webhook", "redeliver", id, "--event-seq", seq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(seq, (long)requeued["event_seq"]!);
        await WaitForLogAsync(api, id, log => log.Count == 2 && log.All(d => (string?)d["state"] == "SUCCEEDED"), TimeSpan.FromSeconds(20), "the redelivery");
        var received = await _receiver.WaitForAsync(d => d.Count(x => x.Json["entity"]?.ToString() == "model_version") >= 2, TimeSpan.FromSeconds(20), "both deliveries of the version");
        Assert.All(received, d => Assert.True(d.StandardVerified && d.MlflowVerified, "a delivery failed verification"));

        var disabled = await CliJsonAsync("webhook", "update", id, "--status", "DISABLED");
        Assert.Equal("DISABLED", (string?)disabled["status"]);
        Assert.Contains(id, (await CliJsonAsync("webhook", "list"))["webhooks"]!.AsArray().Select(w => (string?)w!["id"]));
        var deleted = await Cli.RunAsync("webhook", "delete", id, "--server", _server.Url);
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        Assert.Equal(404, (int)(await api.GetAsync($"/api/v1/webhooks/{id}")).StatusCode);
    }
}
