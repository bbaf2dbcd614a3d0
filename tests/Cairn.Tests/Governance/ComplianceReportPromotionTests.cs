using Cairn.Governance;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Compliance;

/// <summary>
/// The report over real promotions: a writer asks, two approvers approve, the promotion service applies the change, and
/// the report names the request, its requester, its approvers and its decision on the holding it made — while the
/// holding made before the policy existed says it was changed directly.
/// </summary>
public sealed class ComplianceReportPromotionTests : IDisposable
{
    private readonly ClockedApp _app = new("token");

    public void Dispose() => _app.Dispose();

    private static Caller As(string name, Role role, string ns = "/risk") => new(name, [new RoleGrant(ns, role)]);

    [Fact]
    public async Task A_holding_applied_by_a_request_shows_its_requester_approvers_and_decision()
    {
        var admin = _app.ClientWithToken(await _app.TokenAsync("root", "admin"));
        var reader = _app.ClientWithToken(await _app.TokenAsync("auditor", "reader", "/risk"));
        await (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/risk", model_name = "fraud" })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/risk.fraud/versions", new { })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/risk.fraud/versions", new { })).ExpectAsync(201);
        _app.Clock.Set(ClockedApp.Day(1));
        await (await admin.PostJsonAsync("/api/v1/models/risk.fraud/versions/1/stage", new { stage = "Production" })).ExpectAsync(200);

        var policies = _app.Services.GetRequiredService<PromotionPolicies>();
        var promotions = _app.Services.GetRequiredService<PromotionRequests>();
        _app.Clock.Set(ClockedApp.Day(2));
        await policies.SetNamespaceAsync(Caller.Admin("root"), "/risk", new Policy([new ProtectedTarget(Stage: "Production", Approvals: 2)]), default);
        var rejected = await promotions.RequestAsync(As("wendy", Role.Writer), "risk.fraud", 2, "Production", "first try", default);
        await promotions.RejectAsync(As("anna", Role.Approver), rejected.Id, "no card yet", default);
        _app.Clock.Set(ClockedApp.Day(3));
        var request = await promotions.RequestAsync(As("wendy", Role.Writer), "risk.fraud", 2, "Production", "better recall", default);
        await promotions.ApproveAsync(As("anna", Role.Approver), request.Id, "metrics fine", default);
        _app.Clock.Set(ClockedApp.Day(4));
        var applied = await promotions.ApproveAsync(As("bob", Role.Approver), request.Id, "agreed", default);
        Assert.Equal(PromotionStatus.Applied, applied.Status);

        var report = await ComplianceReportHistoryTests.ReportAsync(reader, "risk.fraud", ClockedApp.Day(3.5));
        var production = ComplianceReportHistoryTests.Target(report, "risk.fraud", "Production");
        Assert.True((bool)production["protected"]!);
        Assert.Equal("namespace /risk", (string?)production["policy_source"]);
        Assert.Equal(new[] { 1 }, ComplianceReportHistoryTests.HeldAt(production));
        var holdings = production["holdings"]!.AsArray();
        Assert.Equal([1, 2], holdings.Select(h => (int)h!["version"]!));
        Assert.Equal("direct", (string?)holdings[0]!["how"]);
        Assert.Equal(ClockedApp.Day(4), DateTimeOffset.Parse((string)holdings[0]!["until"]!, System.Globalization.CultureInfo.InvariantCulture));
        var made = holdings[1]!;
        Assert.Equal("promotion_request", (string?)made["how"]);
        Assert.Equal(request.Id, (string?)made["request"]!["id"]);
        Assert.Equal("wendy", (string?)made["request"]!["requested_by"]);
        Assert.Equal(["anna", "bob"], made["request"]!["reviews"]!.AsArray().Select(r => (string?)r!["reviewer"]));
        Assert.All(made["request"]!["reviews"]!.AsArray(), r => Assert.Equal("APPROVE", (string?)r!["verdict"]));
        Assert.Equal(1, (int?)made["request"]!["previous_version"]);
        Assert.Contains("approved by anna, bob", (string?)made["request"]!["decision"], StringComparison.Ordinal);
        Assert.Empty(made["request"]!["gates"]!.AsArray());
        var other = report["models"]![0]!["requests"]!.AsArray().Single()!;
        Assert.Equal(rejected.Id, (string?)other["id"]);
        Assert.Equal("Rejected", (string?)other["status"]);
        Assert.Equal("no card yet", (string?)other["reviews"]![0]!["comment"]);
    }
}
