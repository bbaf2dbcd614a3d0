using System.Net;
using Cairn.Deployments;
using Cairn.Governance;
using Cairn.Server.Ui.Graphics;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Ui;

/// <summary>The deployments page, a deployment's page and the version page's link to them (issue 18, item 6).</summary>
public sealed class DeploymentPagesTests : IDisposable
{
    private readonly TokenAuthApp _app = new();

    public void Dispose() => _app.Dispose();

    private async Task<HttpClient> SignedInAsync(string name, string role, string ns = "/")
    {
        var browser = _app.Browser();
        (await browser.SignInAsync(await _app.TokenAsync(name, role, ns))).Dispose();
        return browser;
    }

    /// <summary>risk.fraud with two versions, deployed in prod as fraud-api: v1 100 %, then v1 90 % and v2 10 % (revision 2).</summary>
    private async Task<Deployment> SeedAsync()
    {
        var root = Caller.Admin("root");
        var admin = _app.ClientWithToken(await _app.TokenAsync("root", "admin"));
        await (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/risk", model_name = "fraud" })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/risk.fraud/versions", new { })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/risk.fraud/versions", new { })).ExpectAsync(201);
        await _app.Services.GetRequiredService<DeploymentEnvironments>().SetAsync(root, "prod", new SetEnvironmentRequest(Description: "<b>production</b>"), default);
        var deployments = _app.Services.GetRequiredService<DeploymentRegistry>();
        var recorded = await deployments.RecordAsync(root, new RecordDeploymentRequest(
            "fraud-api", "prod", "risk.fraud", [new TrafficEntry(1, 100)], Strategy: "canary", Status: "succeeded",
            EnvironmentVariables: new Dictionary<string, string> { ["DB_PASSWORD"] = "hunter2" }), default);
        return await deployments.ShiftTrafficAsync(root, recorded.Id, new ShiftTrafficRequest([new TrafficEntry(1, 90), new TrafficEntry(2, 10)], Message: "<i>canary</i>"), default);
    }

    [Fact]
    public async Task The_deployments_page_shows_each_environments_deployments_with_their_traffic_bar_status_and_history()
    {
        var deployment = await SeedAsync();
        var reader = await SignedInAsync("rita", "reader", "/risk");

        var html = await reader.PageAsync("/deployments");
        Assert.Contains("data-environment=\"prod\"", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;production&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.Contains($"data-deployment=\"{deployment.Id}\"", html, StringComparison.Ordinal);
        Assert.Contains("class=\"chart traffic-bar\"", html, StringComparison.Ordinal);
        Assert.Contains("data-version=\"1\" data-share=\"90\"", html, StringComparison.Ordinal);
        Assert.Contains("data-version=\"2\" data-share=\"10\"", html, StringComparison.Ordinal);
        Assert.Contains("in_progress (rev 2)", html, StringComparison.Ordinal);
        Assert.Contains("succeeded (rev 1)", html, StringComparison.Ordinal);
        Assert.Contains("&lt;i&gt;canary&lt;/i&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>canary</i>", html, StringComparison.Ordinal);
        // A reader gets no rollback button.
        Assert.DoesNotContain("Roll back</button>", html, StringComparison.Ordinal);
        Assert.Contains("Deployments</a>", await reader.PageAsync("/models/risk.fraud/versions/2"), StringComparison.Ordinal);
        Assert.Contains($"data-deployment=\"{deployment.Id}\"", await reader.PageAsync("/deployments?model=risk.fraud&version=2"), StringComparison.Ordinal);
        Assert.DoesNotContain("data-deployment=", await reader.PageAsync("/deployments?env=staging"), StringComparison.Ordinal);
        Assert.Contains($"data-deployment=\"{deployment.Id}\"", await reader.PageAsync("/deployments?model=risk.fraud&version=%22"), StringComparison.Ordinal);

        // Someone of another namespace sees no deployment of this one.
        var stranger = await SignedInAsync("sam", "reader", "/other");
        Assert.DoesNotContain("data-deployment=", await stranger.PageAsync("/deployments"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_writer_rolls_back_from_the_page_with_the_antiforgery_token_and_a_forged_post_is_refused()
    {
        var deployment = await SeedAsync();
        var writer = await SignedInAsync("wendy", "writer", "/risk");
        var html = await writer.PageAsync("/deployments");
        Assert.Contains("Roll back</button>", html, StringComparison.Ordinal);

        using var forged = await writer.PostAsync("/deployments", new FormUrlEncodedContent([
            KeyValuePair.Create("_handler", $"rollback-{deployment.Id}"), KeyValuePair.Create("DeploymentId", deployment.Id)]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        using var rolled = await writer.PostFormAsync("/deployments", "/deployments", [
            KeyValuePair.Create("_handler", $"rollback-{deployment.Id}"), KeyValuePair.Create("DeploymentId", deployment.Id)]);
        Assert.Equal(HttpStatusCode.Redirect, rolled.StatusCode);
        var after = await _app.Services.GetRequiredService<DeploymentRegistry>().GetAsync(Caller.Admin("t"), deployment.Id, default);
        Assert.Equal((3, "rolled_back", 1), (after.Revision, after.Status, after.Traffic.Single().Version));
        Assert.Contains("rolled_back (rev 3) by wendy", await writer.PageAsync("/deployments"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_readers_forged_rollback_is_refused_by_the_service()
    {
        var deployment = await SeedAsync();
        var reader = await SignedInAsync("rita", "reader", "/risk");
        var html = await reader.PageAsync($"/deployments/{deployment.Id}");
        Assert.DoesNotContain("Roll back to revision", html, StringComparison.Ordinal);
        using var refused = await reader.PostFormAsync("/deployments", "/deployments", [
            KeyValuePair.Create("_handler", $"rollback-{deployment.Id}"), KeyValuePair.Create("DeploymentId", deployment.Id)]);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("needs the writer role", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, (await _app.Services.GetRequiredService<DeploymentRegistry>().GetAsync(Caller.Admin("t"), deployment.Id, default)).Revision);
    }

    [Fact]
    public async Task The_deployment_page_shows_its_revisions_status_history_and_masked_variables_and_rolls_back()
    {
        var deployment = await SeedAsync();
        var writer = await SignedInAsync("wendy", "writer", "/risk");
        var html = await writer.PageAsync($"/deployments/{deployment.Id}");
        Assert.Contains("data-revision=\"2\"", html, StringComparison.Ordinal);
        Assert.Contains("data-revision=\"1\"", html, StringComparison.Ordinal);
        Assert.Contains("DB_PASSWORD", html, StringComparison.Ordinal);
        Assert.Contains("****", html, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", html, StringComparison.Ordinal);
        Assert.Contains("deployment:prod:fraud-api", html, StringComparison.Ordinal);

        using var rolled = await writer.PostFormAsync($"/deployments/{deployment.Id}", $"/deployments/{deployment.Id}", [
            KeyValuePair.Create("_handler", "rollback"), KeyValuePair.Create("Message", "p99 doubled")]);
        Assert.Equal(HttpStatusCode.Redirect, rolled.StatusCode);
        var after = await writer.PageAsync($"/deployments/{deployment.Id}");
        Assert.Contains("rollback to revision 1: p99 doubled", after, StringComparison.Ordinal);

        using var missing = await writer.GetAsync("/deployments/dep-nothing");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public void The_traffic_bar_gives_each_serving_version_its_share_of_the_width_and_shadows_a_row_of_their_own()
    {
        var bar = TrafficBar.For([new TrafficShare(1, 90, false), new TrafficShare(2, 10, false), new TrafficShare(3, 25, true)]);
        Assert.Equal([(0.0, 432.0), (432.0, 48.0)], bar.Segments.Where(s => !s.Shadow).Select(s => (s.X, s.Width)).ToArray());
        var shadow = Assert.Single(bar.Segments, s => s.Shadow);
        Assert.Equal((0.0, 120.0, TrafficBar.BarHeight + 4), (shadow.X, shadow.Width, shadow.Y));
        Assert.Equal(TrafficBar.BarHeight + 4 + TrafficBar.ShadowHeight, bar.Height);
        Assert.Equal("v2 10%", bar.Segments[1].Label);
        Assert.Equal(TrafficBar.BarHeight, TrafficBar.For([new TrafficShare(4, 33.33m, false), new TrafficShare(5, 66.67m, false)]).Height);
    }
}
