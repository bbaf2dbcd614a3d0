using Cairn.Governance;
using Cairn.Registry;
using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Governance;

/// <summary>The embedded library refuses a direct change of a protected target as the server does, and promotes through requests.</summary>
[Trait("Store", "none")]
public sealed class EmbeddedPromotionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cairn-gov-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static Caller As(string name, Role role, string ns = "/") => new(name, [new RoleGrant(ns, role)]);

    private static Policy Protect(params ProtectedTarget[] rules) => new(rules);

    [Fact]
    public async Task The_embedded_library_refuses_a_direct_change_of_a_protected_target_and_applies_an_approved_request()
    {
        using var registry = CairnRegistry.Open("local", Path.Combine(_dir, "data"), "alice");
        var admin = Caller.Admin("alice");
        var path = Path.Combine(_dir, "m.bin");
        await File.WriteAllBytesAsync(path, [1, 2, 3]);
        registry.SaveModel("risk.fraud", path);
        registry.SaveModel("risk.fraud", path);
        await registry.Policies.SetNamespaceAsync(admin, "/risk",
            Protect(new ProtectedTarget(Stage: "Production", Approvals: 1), new ProtectedTarget(Alias: "champion", Approvals: 1)), default);

        var stage = await Assert.ThrowsAsync<PermissionDeniedException>(() =>
            registry.Versions.TransitionAsync(admin, "risk.fraud", 2, new StageChange("Production"), default));
        Assert.Contains("Stage 'Production' of model 'risk.fraud' is protected by the policy of namespace '/risk' (1 approval)", stage.Message, StringComparison.Ordinal);
        Assert.Contains("POST /api/v1/models/risk.fraud/versions/2/promotions {\"target\":\"Production\"}", stage.Message, StringComparison.Ordinal);
        Assert.Contains("`cairn promote request risk.fraud 2 Production`", stage.Message, StringComparison.Ordinal);
        var alias = await Assert.ThrowsAsync<PermissionDeniedException>(() => registry.Aliases.SetAsync(admin, "risk.fraud", "champion", 1, default));
        Assert.Contains("Alias 'champion'", alias.Message, StringComparison.Ordinal);
        // Unprotected targets move as before.
        await registry.Versions.TransitionAsync(admin, "risk.fraud", 1, new StageChange("Staging"), default);
        await registry.Aliases.SetAsync(admin, "risk.fraud", "challenger", 1, default);

        var request = await registry.Promotions.RequestAsync(As("bob", Role.Writer), "risk.fraud", 2, "Production", "better recall", default);
        Assert.Equal(PromotionStatus.Pending, request.Status);
        Assert.Equal("namespace /risk", request.PolicySource);
        var applied = await registry.Promotions.ApproveAsync(As("carol", Role.Approver), request.Id, "ok", default);

        Assert.Equal(PromotionStatus.Applied, applied.Status);
        Assert.Equal(Stage.Production, (await registry.Versions.GetAsync(admin, "risk.fraud", 2, default)).Stage);
        var history = await registry.Versions.StageHistoryAsync(admin, "risk.fraud", 2, default);
        Assert.Contains(request.Id, history[^1].Comment, StringComparison.Ordinal);
        Assert.Equal("carol", history[^1].ChangedBy);
    }
}
