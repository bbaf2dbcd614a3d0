using System.Net;
using Cairn.Client;
using Cairn.Tests.Api;

namespace Cairn.Tests.Governance;

/// <summary>The typed client's policy and promotion calls against the real server, each person with their own token.</summary>
public sealed class PromotionClientTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task The_client_sets_policies_requests_approves_and_lists_promotions()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        using var admin = new CairnClient(team.Admin);
        using var requester = new CairnClient(team.Requester);
        using var approver = new CairnClient(team.Approvers[0]);

        var set = await admin.SetNamespacePolicyAsync(team.Namespace, new Policy([new ProtectedTarget(Stage: "Production", Approvals: 1), new ProtectedTarget(Alias: "champion")]));
        Assert.Equal($"namespace {team.Namespace}", set.Source);
        Assert.Equal(1, (await requester.GetNamespacePolicyAsync(team.Namespace)).Policy.ProtectedTargets[1].Approvals);
        var effective = await requester.GetEffectivePolicyAsync(team.Model);
        Assert.Equal(["Production", "@champion"], effective.Rules.Select(r => r.Target));

        var refused = await Assert.ThrowsAsync<CairnApiException>(() => admin.TransitionStageAsync(team.Model, 1, Stage.Production));
        Assert.Equal((HttpStatusCode.Forbidden, "PERMISSION_DENIED"), (refused.StatusCode, refused.ErrorCode));
        Assert.Contains("open a promotion request", refused.Detail, StringComparison.Ordinal);

        var request = await requester.RequestPromotionAsync(team.Model, 1, "Production", "first release");
        Assert.Equal((PromotionStatus.Pending, PromotionTargetKind.Stage), (request.Status, request.TargetKind));
        Assert.Equal([request.Id], await approver.ListPromotionsAsync(new PromotionQuery(Actionable: true)).Select(r => r.Id).ToListAsync());
        var applied = await approver.ApprovePromotionAsync(request.Id, "ok");
        Assert.Equal(PromotionStatus.Applied, applied.Status);
        Assert.Equal("APPROVE", Assert.Single(applied.Reviews).Verdict);
        Assert.Equal(PromotionStatus.Applied, (await requester.GetPromotionAsync(request.Id)).Status);

        var alias = await requester.RequestPromotionAsync(team.Model, 2, "@champion");
        Assert.Equal(PromotionStatus.Cancelled, (await requester.CancelPromotionAsync(alias.Id, "later")).Status);
        var again = await requester.RequestPromotionAsync(team.Model, 2, "champion");
        Assert.Equal(PromotionStatus.Rejected, (await approver.RejectPromotionAsync(again.Id, "no")).Status);
        var byStatus = await requester.ListPromotionsAsync(new PromotionQuery(team.Model, Status: PromotionStatus.Rejected)).Select(r => r.Id).ToListAsync();
        Assert.Equal([again.Id], byStatus);
        Assert.Equal(2, (await requester.ListPromotionsPageAsync(new PromotionQuery(team.Model, 2))).Requests.Count);

        await admin.SetModelPolicyAsync(team.Model, """{"protected_targets":[{"alias":"champion","approvals":0}]}""");
        Assert.Equal($"model {team.Model}", (await requester.GetModelPolicyAsync(team.Model)).Source);
        await requester.SetAliasAsync(team.Model, "champion", 2);
        await admin.DeleteModelPolicyAsync(team.Model);
        await admin.DeleteNamespacePolicyAsync(team.Namespace);
        var gone = await Assert.ThrowsAsync<CairnApiException>(() => admin.GetNamespacePolicyAsync(team.Namespace));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}
