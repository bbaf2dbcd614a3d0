using Cairn.Tests.Api;
using Cairn.Tests.Mlflow;

namespace Cairn.Tests.Governance;

/// <summary>
/// No path into the store moves a protected target around its policy: every direct stage or alias change, and every
/// deletion of what holds one, is refused with the policy and the request to open; unprotected targets move as before.
/// </summary>
public sealed class DirectChangeRefusalTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    /// <summary>Version 1 in Production and named by champion; version 2 in None; then the policy protects both targets.</summary>
    private async Task<GovernedTeam> HeldAsync()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        await (await team.Admin.PostJsonAsync($"{team.VersionPath(1)}/stage", new { stage = "Production" })).ExpectAsync(200);
        await (await team.Admin.PutJsonAsync($"/api/v1/models/{team.Model}/aliases/champion", new { version = 1 })).ExpectAsync(200);
        await (await team.Admin.PutJsonAsync($"/api/v1/models/{team.Model}/aliases/champion", new { version = 2 })).ExpectAsync(200);
        await (await team.Admin.PutJsonAsync($"/api/v1/models/{team.Model}/aliases/champion", new { version = 1 })).ExpectAsync(200);
        await team.ProtectAsync(new { stage = "Production", approvals = 2 }, new { alias = "champion", approvals = 1 });
        return team;
    }

    [Fact]
    public async Task A_native_stage_change_into_or_out_of_a_protected_stage_is_refused_naming_the_policy_and_the_request()
    {
        var team = await HeldAsync();
        var into = await (await team.Admin.PostJsonAsync($"{team.VersionPath(2)}/stage", new { stage = "Production", archive_existing = true })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Equal(
            $"Stage 'Production' of model '{team.Model}' is protected by the policy of namespace '{team.Namespace}' (2 approvals): open a promotion request: "
            + $"POST /api/v1/models/{team.Model}/versions/2/promotions {{\"target\":\"Production\"}} or `cairn promote request {team.Model} 2 Production`",
            (string?)into["detail"]);
        var outOf = await (await team.Admin.PostJsonAsync($"{team.VersionPath(1)}/stage", new { stage = "Archived" })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains("is in stage 'Production', which is protected", (string?)outOf["detail"], StringComparison.Ordinal);
        Assert.Contains("{\"target\":\"Archived\"}", (string?)outOf["detail"], StringComparison.Ordinal);

        // Nothing moved; unprotected stages move as before.
        Assert.Equal("Production", (string?)(await team.VersionAsync(1))["stage"]);
        await (await team.Writer.PostJsonAsync($"{team.VersionPath(2)}/stage", new { stage = "Staging" })).ExpectAsync(200);
        await (await team.Writer.PostJsonAsync($"{team.VersionPath(2)}/stage", new { stage = "Archived" })).ExpectAsync(200);
    }

    [Fact]
    public async Task Setting_removing_or_rolling_back_a_protected_alias_is_refused()
    {
        var team = await HeldAsync();
        var set = await (await team.Writer.PutJsonAsync($"/api/v1/models/{team.Model}/aliases/champion", new { version = 2 })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains($"Alias 'champion' of model '{team.Model}' is protected by the policy of namespace '{team.Namespace}' (1 approval)", (string?)set["detail"], StringComparison.Ordinal);
        Assert.Contains("{\"target\":\"@champion\"}", (string?)set["detail"], StringComparison.Ordinal);
        var removed = await (await team.Admin.DeleteAsync($"/api/v1/models/{team.Model}/aliases/champion")).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains("cannot be removed directly", (string?)removed["detail"], StringComparison.Ordinal);
        await (await team.Admin.PostAsync($"/api/v1/models/{team.Model}/aliases/champion/rollback", null)).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Equal(1, (int)(await (await team.Admin.GetAsync($"/api/v1/models/{team.Model}/aliases/champion")).ExpectAsync(200))["version"]!);

        // Other aliases are not protected.
        await (await team.Writer.PutJsonAsync($"/api/v1/models/{team.Model}/aliases/challenger", new { version = 2 })).ExpectAsync(200);
        await (await team.Writer.DeleteAsync($"/api/v1/models/{team.Model}/aliases/challenger")).ExpectAsync(204);
    }

    [Fact]
    public async Task A_version_or_model_holding_a_protected_target_cannot_be_deleted_and_the_refusal_says_which()
    {
        var team = await HeldAsync();
        var version = await (await team.Admin.DeleteAsync(team.VersionPath(1))).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains($"Version 1 of model '{team.Model}' holds stage 'Production'", (string?)version["detail"], StringComparison.Ordinal);
        var model = await (await team.Admin.DeleteAsync($"/api/v1/models/{team.Model}")).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains("holds stage 'Production'", (string?)model["detail"], StringComparison.Ordinal);

        // A version holding nothing protected goes as before.
        await (await team.Admin.DeleteAsync(team.VersionPath(2))).ExpectAsync(204);
        // Holding only the protected alias is enough to stay.
        await team.ProtectAsync(new { alias = "champion", approvals = 1 });
        var alias = await (await team.Admin.DeleteAsync(team.VersionPath(1))).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains("holds alias 'champion'", (string?)alias["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_mlflow_api_refuses_the_same_changes_in_mlflows_error_shape()
    {
        var team = await HeldAsync();
        var mlflow = new Mlflow.Mlflow(team.Admin);

        var stage = await (await mlflow.PostAsync("model-versions/transition-stage",
            new { name = team.Model, version = "2", stage = "Production", archive_existing_versions = true })).MlflowErrorAsync(403, "PERMISSION_DENIED", "promotion request");
        Assert.Contains($"cairn promote request {team.Model} 2 Production", stage, StringComparison.Ordinal);
        await (await mlflow.PostAsync("model-versions/transition-stage",
            new { name = team.Model, version = "1", stage = "Archived", archive_existing_versions = false })).MlflowErrorAsync(403, "PERMISSION_DENIED");
        await (await mlflow.PostAsync("registered-models/alias", new { name = team.Model, alias = "champion", version = "2" }))
            .MlflowErrorAsync(403, "PERMISSION_DENIED", "Alias 'champion'");
        await (await mlflow.DeleteAsync("registered-models/alias", new { name = team.Model, alias = "champion" })).MlflowErrorAsync(403, "PERMISSION_DENIED");
        await (await mlflow.DeleteAsync("model-versions/delete", new { name = team.Model, version = "1" })).MlflowErrorAsync(403, "PERMISSION_DENIED", "holds stage 'Production'");
        await (await mlflow.DeleteAsync("registered-models/delete", new { name = team.Model })).MlflowErrorAsync(403, "PERMISSION_DENIED");

        // Unprotected ones still work through MLflow, and so does a rename within the namespace.
        await (await mlflow.PostAsync("model-versions/transition-stage", new { name = team.Model, version = "2", stage = "Staging", archive_existing_versions = false })).OkAsync();
        await (await mlflow.PostAsync("registered-models/alias", new { name = team.Model, alias = "challenger", version = "2" })).OkAsync();
        var renamed = $"{team.Namespace[1..]}.fraud2";
        await (await mlflow.PostAsync("registered-models/rename", new { name = team.Model, new_name = renamed })).OkAsync();
        await (await mlflow.PostAsync("registered-models/alias", new { name = renamed, alias = "champion", version = "2" })).MlflowErrorAsync(403, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task Renaming_a_model_into_a_namespace_where_its_targets_are_unprotected_is_refused()
    {
        var team = await HeldAsync();
        // Cairn renames through the MLflow API (and the library).
        var mlflow = new Mlflow.Mlflow(team.Admin);
        await (await mlflow.PostAsync("registered-models/rename", new { name = team.Model, new_name = $"sandbox_{team.Suffix}.fraud" }))
            .MlflowErrorAsync(403, "PERMISSION_DENIED", "would not be protected there");
        // Where the same target is protected, the move is fine.
        await (await team.Admin.PutJsonAsync($"/api/v1/policies/safe_{team.Suffix}", new
        {
            protected_targets = new object[] { new { stage = "Production", approvals = 1 }, new { alias = "champion", approvals = 1 } },
        })).ExpectAsync(200);
        await (await mlflow.PostAsync("registered-models/rename", new { name = team.Model, new_name = $"safe_{team.Suffix}.fraud" })).OkAsync();
    }
}
