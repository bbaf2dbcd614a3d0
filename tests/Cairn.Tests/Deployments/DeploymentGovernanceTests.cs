using Cairn.Tests.Api;
using Cairn.Tests.Governance;

namespace Cairn.Tests.Deployments;

/// <summary>
/// A protected environment serves only promoted versions, and a serving version cannot be deleted or archived; each
/// person with their own token (the governance fixture's team).
/// </summary>
public sealed class DeploymentGovernanceTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    private static object Share(int version, decimal share, bool shadow = false) => new { version, share, shadow };

    private static async Task<string> ProtectedEnvironmentAsync(GovernedTeam team, string target)
    {
        var env = $"prod-{team.Suffix}";
        var set = await (await team.Admin.PutJsonAsync($"/api/v1/environments/{env}", new { @protected = true, target })).ExpectAsync(200);
        Assert.True((bool)set["protected"]!);
        return env;
    }

    private static async Task PromoteAsync(GovernedTeam team, int version, string target)
    {
        var id = (string)(await team.RequestAsync(version, target))["id"]!;
        Assert.Equal("Applied", (string?)(await (await GovernedTeam.ApproveAsync(team.Approvers[0], id)).ExpectAsync(200))["status"]);
    }

    [Fact]
    public async Task A_protected_environment_refuses_an_unpromoted_version_and_serves_it_after_an_applied_promotion()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        await team.ProtectAsync(new { stage = "Production", approvals = 1 });
        var env = await ProtectedEnvironmentAsync(team, "production");
        Assert.Equal("Production", (string?)(await (await team.Writer.GetAsync($"/api/v1/environments/{env}")).ExpectAsync(200))["target"]);

        var refused = await (await team.Writer.PostJsonAsync("/api/v1/deployments", new { name = "fraud-api", environment = env, model = team.Model, traffic = new[] { Share(1, 100) } }))
            .ExpectAsync(403, "PERMISSION_DENIED");
        var detail = (string)refused["detail"]!;
        Assert.Contains("Version 1", detail, StringComparison.Ordinal);
        Assert.Contains($"'{env}'", detail, StringComparison.Ordinal);
        Assert.Contains("Production", detail, StringComparison.Ordinal);
        Assert.Contains("promotion request", detail, StringComparison.Ordinal);
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM deployments WHERE environment = '{env}'"));

        await PromoteAsync(team, 1, "Production");
        var id = (string)(await (await team.Writer.PostJsonAsync("/api/v1/deployments", new { name = "fraud-api", environment = env, model = team.Model, traffic = new[] { Share(1, 100) } }))
            .ExpectAsync(201))["id"]!;

        // The canary is not promoted yet: refused as a serving share, accepted as a shadow (it answers no user).
        var canary = await (await team.Writer.PutJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { Share(1, 90), Share(2, 10) } })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains("Version 2", (string?)canary["detail"], StringComparison.Ordinal);
        await (await team.Writer.PutJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { Share(1, 100), Share(2, 10, shadow: true) } })).ExpectAsync(200);

        // Promoting version 2 (the policy archives the stage's other versions) leaves version 1, which serves, in
        // Production; it keeps its applied promotion, so both may serve while the stage moves.
        await PromoteAsync(team, 2, "Production");
        Assert.Equal("Production", (string?)(await team.VersionAsync(1))["stage"]);
        var shifted = await (await team.Writer.PutJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { Share(1, 90), Share(2, 10) } })).ExpectAsync(200);
        Assert.Equal(3, (int)shifted["revision"]!);
        await (await team.Writer.PutJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { Share(2, 100) }, status = "succeeded" })).ExpectAsync(200);
        Assert.Equal("rolled_back", (string?)(await (await team.Writer.PostJsonAsync($"/api/v1/deployments/{id}/rollback", new { })).ExpectAsync(200))["status"]);
    }

    [Fact]
    public async Task An_alias_target_needs_an_applied_promotion_to_that_alias()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await team.ProtectAsync(new { alias = "prod", approvals = 1 });
        var env = await ProtectedEnvironmentAsync(team, "prod");
        var body = new { name = "scorer", environment = env, model = team.Model, traffic = new[] { Share(1, 100) } };
        Assert.Contains("@prod", (string?)(await (await team.Writer.PostJsonAsync("/api/v1/deployments", body)).ExpectAsync(403, "PERMISSION_DENIED"))["detail"], StringComparison.Ordinal);
        await PromoteAsync(team, 1, "prod");
        await (await team.Writer.PostJsonAsync("/api/v1/deployments", body)).ExpectAsync(201);
    }

    [Fact]
    public async Task Only_a_root_admin_sets_environments_and_a_protected_one_needs_a_target()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await (await team.Writer.PutJsonAsync($"/api/v1/environments/x-{team.Suffix}", new { })).ExpectAsync(403, "PERMISSION_DENIED");
        var missing = await (await team.Admin.PutJsonAsync($"/api/v1/environments/x-{team.Suffix}", new { @protected = true })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'target'", (string?)missing["detail"], StringComparison.Ordinal);
        await (await team.Admin.PutJsonAsync("/api/v1/environments/bad:name", new { })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await team.Writer.GetAsync($"/api/v1/environments/x-{team.Suffix}")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_serving_version_cannot_be_deleted_or_archived_until_its_traffic_moves()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        var env = $"dev-{team.Suffix}";
        await (await team.Admin.PutJsonAsync($"/api/v1/environments/{env}", new { })).ExpectAsync(200);
        await (await team.Creator.PostJsonAsync($"{team.VersionPath(1)}/stage", new { stage = "Production" })).ExpectAsync(200);
        var id = (string)(await (await team.Writer.PostJsonAsync("/api/v1/deployments", new { name = "fraud-api", environment = env, model = team.Model, traffic = new[] { Share(1, 100), Share(2, 5, shadow: true) } }))
            .ExpectAsync(201))["id"]!;

        var delete = await (await team.Admin.DeleteAsync(team.VersionPath(1))).ExpectAsync(409, "INVALID_STATE");
        Assert.Contains("Version 1", (string?)delete["detail"], StringComparison.Ordinal);
        Assert.Contains("100% of deployment 'fraud-api'", (string?)delete["detail"], StringComparison.Ordinal);
        Assert.Contains(id, (string?)delete["detail"], StringComparison.Ordinal);
        await (await team.Creator.PostJsonAsync($"{team.VersionPath(1)}/stage", new { stage = "Archived" })).ExpectAsync(409, "INVALID_STATE");
        // Another version's transition with archive_existing leaves the serving version in its stage.
        await (await team.Creator.PostJsonAsync($"{team.VersionPath(2)}/stage", new { stage = "Production", archive_existing = true })).ExpectAsync(200);
        Assert.Equal(("Production", "Production"), ((string?)(await team.VersionAsync(1))["stage"], (string?)(await team.VersionAsync(2))["stage"]));
        await (await team.Admin.DeleteAsync($"/api/v1/models/{team.Model}")).ExpectAsync(409, "INVALID_STATE");
        // A shadow does not serve: version 2 may go.
        await (await team.Creator.PostJsonAsync($"{team.VersionPath(2)}/stage", new { stage = "Archived" })).ExpectAsync(200);
        await (await team.Creator.PostJsonAsync($"{team.VersionPath(2)}/stage", new { stage = "Staging" })).ExpectAsync(200);

        // An archived version may not be given traffic.
        await (await team.Creator.PostJsonAsync($"/api/v1/models/{team.Model}/versions", new { })).ExpectAsync(201);
        await (await team.Creator.PostJsonAsync($"{team.VersionPath(3)}/stage", new { stage = "Archived" })).ExpectAsync(200);
        var archived = await (await team.Writer.PutJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { Share(3, 100) } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("Archived", (string?)archived["detail"], StringComparison.Ordinal);

        await (await team.Writer.PutJsonAsync($"/api/v1/deployments/{id}/traffic", new { traffic = new[] { Share(2, 100) } })).ExpectAsync(200);
        await (await team.Creator.PostJsonAsync($"{team.VersionPath(1)}/stage", new { stage = "Archived" })).ExpectAsync(200);
        await (await team.Admin.DeleteAsync(team.VersionPath(1))).ExpectAsync(204);

        // Rolling back to an allocation whose version was deleted since is refused, naming it.
        var rollback = await (await team.Writer.PostJsonAsync($"/api/v1/deployments/{id}/rollback", new { })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("version 1", (string?)rollback["detail"], StringComparison.Ordinal);

        // A writer may not delete a deployment; an admin may, and the model may then go.
        await (await team.Writer.DeleteAsync($"/api/v1/deployments/{id}")).ExpectAsync(403, "PERMISSION_DENIED");
        await (await team.Admin.DeleteAsync($"/api/v1/deployments/{id}")).ExpectAsync(204);
        await (await team.Admin.DeleteAsync($"/api/v1/models/{team.Model}")).ExpectAsync(204);
        // The deployment stays readable as evidence.
        var kept = await (await team.Admin.GetAsync($"/api/v1/deployments/{id}")).ExpectAsync(200);
        Assert.Equal(team.Name("admin"), (string?)kept["deleted_by"]);
        Assert.Equal(team.Model, (string?)kept["model"]);
    }

    [Fact]
    public async Task Readers_read_writers_record_and_other_namespaces_see_nothing()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        var env = $"dev-{team.Suffix}";
        await (await team.Admin.PutJsonAsync($"/api/v1/environments/{env}", new { })).ExpectAsync(200);
        var reader = app.ClientWithToken(await app.TokenAsync(team.Name("reader"), "reader", team.Namespace));
        var stranger = app.ClientWithToken(await app.TokenAsync(team.Name("stranger"), "writer", "/elsewhere_" + team.Suffix));
        var body = new { name = "fraud-api", environment = env, model = team.Model, traffic = new[] { Share(1, 100) } };
        await (await reader.PostJsonAsync("/api/v1/deployments", body)).ExpectAsync(403, "PERMISSION_DENIED");
        var id = (string)(await (await team.Writer.PostJsonAsync("/api/v1/deployments", body)).ExpectAsync(201))["id"]!;
        await (await reader.GetAsync($"/api/v1/deployments/{id}")).ExpectAsync(200);
        await (await reader.PostJsonAsync($"/api/v1/deployments/{id}/status", new { status = "failed" })).ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.PostJsonAsync($"/api/v1/deployments/{id}/rollback", new { })).ExpectAsync(403, "PERMISSION_DENIED");
        await (await stranger.GetAsync($"/api/v1/deployments/{id}")).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Empty((await (await stranger.GetAsync($"/api/v1/deployments?environment={env}")).ExpectAsync(200))["deployments"]!.AsArray());
        Assert.Single((await (await reader.GetAsync($"/api/v1/deployments?environment={env}")).ExpectAsync(200))["deployments"]!.AsArray());
    }
}
