using System.Net;
using Cairn.Governance;
using Cairn.Monitoring.Alerts;
using Cairn.Tests.Api;
using Cairn.Tests.Monitoring.Alerts;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Ui;

/// <summary>The monitoring pages (issue 18, item 6): the overview and a deployment's page with its alerts and their actions.</summary>
public sealed class MonitoringPagesTests : IDisposable
{
    private readonly TokenAuthApp _app = new();

    public void Dispose() => _app.Dispose();

    private async Task<HttpClient> SignedInAsync(string name, string role, string ns = "/")
    {
        var browser = _app.Browser();
        (await browser.SignInAsync(await _app.TokenAsync(name, role, ns))).Dispose();
        return browser;
    }

    /// <summary>A model deployed once, a drift rule, and a drifting window that raised one alert.</summary>
    private async Task<(AlertSeries Series, string Deployment, Alert Alert)> SeedAsync()
    {
        var admin = _app.ClientWithToken(await _app.TokenAsync("root-" + Guid.NewGuid().ToString("N")[..6], "admin"));
        var series = await AlertSeries.CreateAsync(_app, admin);
        var deployment = await series.DeployAsync("churn-api", admin);
        await (await admin.PostJsonAsync("/api/v1/monitoring/alert-rules", new
        {
            model = series.Model,
            name = "<b>inputs</b> drift",
            kind = "drift",
            severity = "critical",
        })).ExpectAsync(201);
        var alert = Assert.Single(await series.WindowAsync(deployment, 0, true, new AlertSeries.Feature("age", true, 0.4)));
        return (series, deployment, alert);
    }

    [Fact]
    public async Task The_overview_lists_deployments_with_unresolved_alerts_and_links_each_to_its_page()
    {
        var (series, deployment, alert) = await SeedAsync();
        var reader = await SignedInAsync("rita", "reader");
        var html = await reader.PageAsync("/monitoring");
        Assert.Contains($"data-deployment=\"{deployment}\"", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"/monitoring/{deployment}\"", html, StringComparison.Ordinal);
        Assert.Contains(series.Model, html, StringComparison.Ordinal);
        Assert.Contains($"data-alert=\"{alert.Id}\"", html, StringComparison.Ordinal);
        // Recent drift: the deployment's latest window drifted, one feature of one.
        Assert.Contains($"<tr data-deployment=\"{deployment}\" data-drifted=\"true\">", html, StringComparison.Ordinal);
        Assert.Contains("1 of 1 (100%)", html, StringComparison.Ordinal);
        // The rule's name is the caller's text: encoded.
        Assert.Contains("&lt;b&gt;inputs&lt;/b&gt; drift", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/monitoring\"", html, StringComparison.Ordinal);
        // Someone who may read nothing of that namespace sees nothing of it.
        var outsider = await SignedInAsync("otto", "reader", "/elsewhere");
        Assert.DoesNotContain(deployment, await outsider.PageAsync("/monitoring"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_writer_acknowledges_then_resolves_an_alert_on_the_deployment_page()
    {
        var (series, deployment, alert) = await SeedAsync();
        var writer = await SignedInAsync("wendy", "writer", "/" + series.Model.Split('.')[0]);
        var page = $"/monitoring/{deployment}";
        var html = await writer.PageAsync(page);
        Assert.Contains("churn-api", html, StringComparison.Ordinal);
        Assert.Contains($"data-alert=\"{alert.Id}\" data-status=\"open\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"acknowledge\"", html, StringComparison.Ordinal);

        // Without the anti-forgery token the post is refused.
        using var forged = await writer.PostAsync(page, new FormUrlEncodedContent([
            KeyValuePair.Create("_handler", $"alert-{alert.Id}"), KeyValuePair.Create("AlertId", alert.Id), KeyValuePair.Create("Move", "acknowledge")]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        using var acked = await writer.PostFormAsync(page, page, [
            KeyValuePair.Create("_handler", $"alert-{alert.Id}"), KeyValuePair.Create("AlertId", alert.Id),
            KeyValuePair.Create("Comment", "retraining started"), KeyValuePair.Create("Move", "acknowledge")]);
        Assert.Equal(HttpStatusCode.Redirect, acked.StatusCode);
        var store = _app.Services.GetRequiredService<Alerts>();
        Assert.Equal(AlertStatus.Acknowledged, (await store.GetAsync(Caller.Admin("t"), alert.Id, default)).Status);
        html = await writer.PageAsync(page);
        Assert.Contains("data-status=\"acknowledged\"", html, StringComparison.Ordinal);
        Assert.Contains("retraining started", html, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"acknowledge\"", html, StringComparison.Ordinal);

        using var resolved = await writer.PostFormAsync(page, page, [
            KeyValuePair.Create("_handler", $"alert-{alert.Id}"), KeyValuePair.Create("AlertId", alert.Id), KeyValuePair.Create("Move", "resolve")]);
        Assert.Equal(HttpStatusCode.Redirect, resolved.StatusCode);
        Assert.Equal(AlertStatus.Resolved, (await store.GetAsync(Caller.Admin("t"), alert.Id, default)).Status);
        html = await writer.PageAsync(page);
        Assert.Contains("data-status=\"resolved\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"resolve\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_sees_no_buttons_and_the_service_refuses_a_readers_post()
    {
        var (_, deployment, alert) = await SeedAsync();
        var reader = await SignedInAsync("rita", "reader");
        var page = $"/monitoring/{deployment}";
        var html = await reader.PageAsync(page);
        Assert.Contains($"data-alert=\"{alert.Id}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"acknowledge\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"resolve\"", html, StringComparison.Ordinal);

        // The form is not rendered for a reader, so a crafted post (with the page's anti-forgery token) changes nothing; the service refuses the reader too.
        using var refused = await reader.PostFormAsync(page, page, [
            KeyValuePair.Create("_handler", $"alert-{alert.Id}"), KeyValuePair.Create("AlertId", alert.Id), KeyValuePair.Create("Move", "acknowledge")]);
        Assert.NotEqual(HttpStatusCode.Redirect, refused.StatusCode);
        var store = _app.Services.GetRequiredService<Alerts>();
        Assert.Equal(AlertStatus.Open, (await store.GetAsync(Caller.Admin("t"), alert.Id, default)).Status);
        await Assert.ThrowsAsync<PermissionDeniedException>(() => store.AcknowledgeAsync(new Caller("rita", [new RoleGrant("/", Role.Reader)]), alert.Id, null, default));
    }

    [Fact]
    public async Task Windows_reported_through_the_api_show_as_drift_per_feature_with_the_chosen_features_distributions()
    {
        var admin = _app.ClientWithToken(await _app.TokenAsync("root-d", "admin"));
        var (model, deployment) = await Monitoring.MonitoredModel.DeployAsync(admin);
        await (await admin.PutJsonAsync($"/api/v1/models/{model}/versions/1/monitoring/reference",
            new { profile = Monitoring.MonitoringWindowsApiTests.ExactProfile(400, 1) })).ExpectAsync(200);
        await (await admin.PostJsonAsync("/api/v1/monitoring/alert-rules", new { model, name = "amount drifts", kind = "drift", feature = "amount" })).ExpectAsync(201);
        var now = DateTimeOffset.UtcNow;
        var calm = await (await admin.PostJsonAsync($"/api/v1/deployments/{deployment}/windows",
            new { version = 1, starts_at = now.AddHours(-2), ends_at = now.AddHours(-1), profile = Monitoring.MonitoringWindowsApiTests.ExactProfile(300, 1) })).ExpectAsync(201);
        var drifting = await (await admin.PostJsonAsync($"/api/v1/deployments/{deployment}/windows",
            new { version = 1, starts_at = now.AddHours(-1), ends_at = now, profile = Monitoring.MonitoringWindowsApiTests.ExactProfile(300, 2, shift: 25) })).ExpectAsync(201);

        var reader = await SignedInAsync("rita", "reader");
        var html = await reader.PageAsync($"/monitoring/{deployment}");
        // A cell per feature and window; the drifting window's amount is outlined.
        foreach (var feature in new[] { "amount", "region", "flag" })
        {
            Assert.Contains($"data-feature=\"{feature}\" data-window=\"{(string)calm["id"]!}\"", html, StringComparison.Ordinal);
        }
        Assert.Matches($"class=\"cell psi-[a-z]+ drifted\"[^>]*data-feature=\"amount\" data-window=\"{(string)drifting["id"]!}\"", html);
        Assert.Contains($"href=\"/monitoring/{deployment}?feature=region\"", html, StringComparison.Ordinal);
        // By default the newest window's most drifted feature is drawn: reference and current histograms side by side.
        Assert.Contains("data-feature=\"amount\"><h2>amount", html, StringComparison.Ordinal);
        Assert.Contains("Histogram of amount (reference)", html, StringComparison.Ordinal);
        Assert.Contains("Histogram of amount (current)", html, StringComparison.Ordinal);
        Assert.Contains("amount drifts: feature amount drifted", html, StringComparison.Ordinal);

        // A categorical feature chosen in the URL: its categories' shares.
        html = await reader.PageAsync($"/monitoring/{deployment}?feature=region");
        Assert.Contains("data-feature=\"region\"><h2>region", html, StringComparison.Ordinal);
        Assert.Contains("<td>north</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_deployment_is_a_404_page()
    {
        var reader = await SignedInAsync("rita", "reader");
        using var response = await reader.GetAsync("/monitoring/dep-nope");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("does not exist", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
