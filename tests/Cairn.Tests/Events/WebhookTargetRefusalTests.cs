using Cairn.Tests.Api;

namespace Cairn.Tests.Events;

/// <summary>Issue 16 item 6: a webhook whose URL names an internal address literally is refused when it is saved.</summary>
public sealed class WebhookTargetRefusalTests(CairnApp app) : IClassFixture<CairnApp>
{
    [Theory]
    [InlineData("https://10.0.0.5/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://[::ffff:127.0.0.1]/hook")]
    public async Task A_literal_internal_address_is_refused_on_create_and_on_update_and_nothing_is_saved(string url)
    {
        var client = app.CreateClient();
        var name = $"internal-{Guid.NewGuid():N}"[..20];

        var refused = await (await client.PostJsonAsync("/api/v1/webhooks", new { name, url, events = new[] { "*" } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("WebhookAllowedNetworks", (string?)refused["detail"], StringComparison.Ordinal);
        var listed = await (await client.GetAsync("/api/v1/webhooks?max_results=1000")).ExpectAsync(200);
        Assert.DoesNotContain(listed["webhooks"]!.AsArray(), w => (string?)w!["name"] == name);

        var created = await (await client.PostJsonAsync("/api/v1/webhooks", new { name, url = "https://hooks.example.com/in", events = new[] { "*" } })).ExpectAsync(201);
        await (await client.PatchJsonAsync($"/api/v1/webhooks/{(string?)created["id"]}", new { url })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        var kept = await (await client.GetAsync($"/api/v1/webhooks/{(string?)created["id"]}")).ExpectAsync(200);
        Assert.Equal("https://hooks.example.com/in", (string?)kept["url"]);
    }
}
