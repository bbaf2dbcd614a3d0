using System.Net;
using Cairn.Governance;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Ui;

/// <summary>The approvals inbox, the promotion timeline on the model page and the compliance report page (issue 17, item 6).</summary>
public sealed class GovernancePagesTests : IDisposable
{
    private readonly TokenAuthApp _app = new();

    public void Dispose() => _app.Dispose();

    private static Caller As(string name, Role role) => new(name, [new RoleGrant("/risk", role)]);

    private async Task<HttpClient> SignedInAsync(string name, string role, string ns = "/")
    {
        var browser = _app.Browser();
        (await browser.SignInAsync(await _app.TokenAsync(name, role, ns))).Dispose();
        return browser;
    }

    /// <summary>risk.fraud v1 in Production (before the policy), v2 with a better auc requested for Production by wendy.</summary>
    private async Task<PromotionRequest> SeedAsync()
    {
        var admin = _app.ClientWithToken(await _app.TokenAsync("root", "admin"));
        await (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/risk", model_name = "fraud" })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/risk.fraud/versions", new { metrics = new { auc = 0.81 }, tags = new { note = "<b>old</b>" } })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/risk.fraud/versions", new { metrics = new { auc = 0.93 }, tags = new { note = "<b>old</b>" } })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/risk.fraud/versions/1/stage", new { stage = "Production" })).ExpectAsync(200);
        await _app.Services.GetRequiredService<PromotionPolicies>().SetNamespaceAsync(Caller.Admin("root"), "/risk",
            new Policy([new ProtectedTarget(Stage: "Production", Approvals: 1)]), default);
        return await _app.Services.GetRequiredService<PromotionRequests>().RequestAsync(As("wendy", Role.Writer), "risk.fraud", 2, "Production", "<i>better</i> auc", default);
    }

    [Fact]
    public async Task The_inbox_shows_an_approver_the_request_with_its_diff_and_approving_applies_it()
    {
        var request = await SeedAsync();
        var approver = await SignedInAsync("anna", "approver");

        var html = await approver.PageAsync("/approvals");
        Assert.Contains($"data-request=\"{request.Id}\"", html, StringComparison.Ordinal);
        Assert.Contains("by wendy", html, StringComparison.Ordinal);
        Assert.Contains("&lt;i&gt;better&lt;/i&gt; auc", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>better</i>", html, StringComparison.Ordinal);
        Assert.Contains("Now in Production: v1", html, StringComparison.Ordinal);
        Assert.Matches("metrics.auc</th><td class=\"changed\">0.93</td><td>0.81</td>", html);
        Assert.Matches("tags.note</th><td>&lt;b&gt;old&lt;/b&gt;</td>", html);

        // Without the anti-forgery token the post is refused.
        using var forged = await approver.PostAsync("/approvals", new FormUrlEncodedContent([
            KeyValuePair.Create("_handler", $"review-{request.Id}"), KeyValuePair.Create("RequestId", request.Id), KeyValuePair.Create("Verdict", "approve")]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        using var approved = await approver.PostFormAsync("/approvals", "/approvals", [
            KeyValuePair.Create("_handler", $"review-{request.Id}"), KeyValuePair.Create("RequestId", request.Id),
            KeyValuePair.Create("Comment", "fine"), KeyValuePair.Create("Verdict", "approve")]);
        Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
        var after = await _app.Services.GetRequiredService<PromotionRequests>().GetAsync(Caller.Admin("t"), request.Id, default);
        Assert.Equal(PromotionStatus.Applied, after.Status);
        Assert.DoesNotContain("data-request=", await approver.PageAsync("/approvals"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_sees_no_request_to_act_on_and_no_review_form()
    {
        await SeedAsync();
        var reader = await SignedInAsync("rita", "reader");

        var html = await reader.PageAsync("/approvals");
        Assert.Contains("Nothing waits for you", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Approve</button>", html, StringComparison.Ordinal);
        // The requester may not approve her own request either (four-eyes): nothing to act on.
        var requester = await SignedInAsync("wendy", "approver");
        Assert.Contains("Nothing waits for you", await requester.PageAsync("/approvals"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_model_page_draws_the_promotion_timeline_and_the_report_page_offers_downloads()
    {
        var request = await SeedAsync();
        await _app.Services.GetRequiredService<PromotionRequests>().ApproveAsync(As("anna", Role.Approver), request.Id, "ok", default);
        var reader = await SignedInAsync("rita", "reader", "/risk");

        var model = await reader.PageAsync("/models/risk.fraud");
        Assert.Contains("class=\"chart promotion-timeline\"", model, StringComparison.Ordinal);
        Assert.Contains("data-target=\"Production\"", model, StringComparison.Ordinal);
        Assert.Contains("class=\"lane protected\"", model, StringComparison.Ordinal);
        Assert.Contains("class=\"marker applied\"", model, StringComparison.Ordinal);
        Assert.Contains("/reports/compliance?scope=risk.fraud", model, StringComparison.Ordinal);

        var at = DateTimeOffset.UtcNow.AddMinutes(1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var report = await reader.PageAsync($"/reports/compliance?scope=/risk&at={at}");
        Assert.Contains($"request {request.Id} by wendy", report, StringComparison.Ordinal);
        Assert.Contains("changed directly (no request)", report, StringComparison.Ordinal);
        Assert.Contains("class=\"held-at\"", report, StringComparison.Ordinal);
        Assert.Contains("Annex IV", report, StringComparison.Ordinal);
        Assert.Contains("/reports/compliance/download?scope=%2Frisk&amp;at=", report, StringComparison.Ordinal);

        using var pdf = await reader.GetAsync("/reports/compliance/download?scope=/risk&format=pdf");
        Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
        Assert.Equal("%PDF", System.Text.Encoding.ASCII.GetString((await pdf.Content.ReadAsByteArrayAsync())[..4]));
        using var forbidden = await reader.GetAsync("/reports/compliance?scope=/");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using var badTime = await reader.GetAsync("/reports/compliance?scope=/risk&at=soon");
        Assert.Equal(HttpStatusCode.BadRequest, badTime.StatusCode);
    }
}
