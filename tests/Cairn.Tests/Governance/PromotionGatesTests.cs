using System.Text.Json.Nodes;
using Cairn.Governance;
using Cairn.Tests.Api;

namespace Cairn.Tests.Governance;

/// <summary>
/// Promotions whose policy has gates, end to end through the native API, each person with their own token (the
/// version's creator, the requester, the approvers, the admin who sets the policy): gates that fail when the promotion
/// is requested reject it with their evidence; gates that passed then but fail when the last approval would apply it
/// reject it then and move nothing; relative thresholds compare with the version holding the target when the gates are
/// evaluated, the current champion or the version in Production.
/// </summary>
public sealed class PromotionGatesTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    /// <summary>A team whose model has one version per AUC given (registered by the creator, tagged validated=yes), its namespace protected by <paramref name="rule"/>.</summary>
    private async Task<GovernedTeam> TeamAsync(object rule, params double[] auc)
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 0);
        foreach (var value in auc)
        {
            await (await team.Creator.PostJsonAsync($"/api/v1/models/{team.Model}/versions",
                new { metrics = new Dictionary<string, double> { ["auc"] = value }, tags = new Dictionary<string, string> { ["validated"] = "yes" } })).ExpectAsync(201);
        }
        await team.ProtectAsync(rule);
        return team;
    }

    private static async Task<JsonObject> ApproveAsync(HttpClient who, string id) => await (await GovernedTeam.ApproveAsync(who, id)).ExpectAsync(200);

    private static JsonObject Gate(JsonObject request, int index = 0) => request["gates"]![index]!.AsObject();

    private static async Task<int?> AliasAsync(GovernedTeam team, string alias)
    {
        var response = await team.Admin.GetAsync($"/api/v1/models/{team.Model}/aliases/{alias}");
        return response.StatusCode == System.Net.HttpStatusCode.NotFound ? null : (int)(await response.ExpectAsync(200))["version"]!;
    }

    [Fact]
    public async Task A_request_whose_gates_fail_is_recorded_rejected_with_their_evidence()
    {
        var team = await TeamAsync(new
        {
            stage = "Production",
            approvals = 1,
            gates = new object[]
            {
                new { type = "metric_threshold", metric = "auc", threshold = 0.9 },
                new { type = "required_fields", fields = new[] { "owner" } },
            },
        }, 0.8);

        var request = await team.RequestAsync(1, "Production", "ship it");

        Assert.Equal("Rejected", (string?)request["status"]);
        Assert.Equal(PromotionRequests.GatesDecider, (string?)request["decided_by"]);
        Assert.False((bool)Gate(request)["passed"]!);
        Assert.Equal("auc = 0.8 fails the threshold 0.9 (higher is better).", (string?)Gate(request)["reason"]);
        Assert.Equal(0.8, (double)Gate(request)["evidence"]!["candidate"]!["value"]!);
        Assert.Equal("failed", (string?)Gate(request)["evidence"]!["checks"]!["threshold"]);
        Assert.Equal("Version 1 lacks an owner (its model names none).", (string?)Gate(request, 1)["reason"]);
        Assert.Contains("auc >= 0.9 (higher is better): auc = 0.8 fails the threshold 0.9", (string?)request["decision"], StringComparison.Ordinal);
        Assert.Equal("None", (string?)(await team.VersionAsync(1))["stage"]);
        // The request reads back, to anyone who may read the model, with the same evidence.
        var stored = await (await team.Writer.GetAsync($"/api/v1/promotions/{request["id"]}")).ExpectAsync(200);
        Assert.Equal(0.9, (double)Gate(stored)["evidence"]!["threshold"]!);
        Assert.Single(await team.AuditAsync("promotion.reject"));
        Assert.Empty(await team.AuditAsync("promotion.apply"));
    }

    [Fact]
    public async Task A_tag_removed_between_request_and_last_approval_rejects_the_promotion_at_apply_time_and_moves_nothing()
    {
        var team = await TeamAsync(new
        {
            alias = "champion",
            approvals = 2,
            gates = new object[] { new { type = "required_tags", tags = new Dictionary<string, string?> { ["validated"] = "yes" } } },
        }, 0.8);

        var request = await team.RequestAsync(1, "champion");
        var id = (string)request["id"]!;
        Assert.Equal("Pending", (string?)request["status"]);
        Assert.True((bool)Gate(request)["passed"]!, (string?)Gate(request)["reason"]);
        Assert.Equal("Pending", (string?)(await ApproveAsync(team.Approvers[0], id))["status"]);
        await (await team.Writer.DeleteAsync($"{team.VersionPath(1)}/tags/validated")).ExpectAsync(200);
        var decided = await ApproveAsync(team.Approvers[1], id);

        Assert.Equal("Rejected", (string?)decided["status"]);
        Assert.Equal(PromotionRequests.GatesDecider, (string?)decided["decided_by"]);
        Assert.Equal("Tag 'validated' is set on neither version 1 nor its model.", (string?)Gate(decided)["reason"]);
        Assert.False((bool)Gate(decided)["evidence"]!["tags"]!["validated"]!["passed"]!);
        Assert.Equal(2, decided["reviews"]!.AsArray().Count);
        Assert.Null(await AliasAsync(team, "champion"));
        Assert.Empty(await team.AuditAsync("promotion.apply"));
    }

    [Fact]
    public async Task A_card_sent_back_to_draft_before_the_last_approval_rejects_the_promotion_at_apply_time()
    {
        var team = await TeamAsync(new
        {
            stage = "Production",
            approvals = 1,
            gates = new object[] { new { type = "model_card", sections = new[] { "model_details", "risk_rating" } } },
        }, 0.8);
        var card = $"{team.VersionPath(1)}/card";
        await (await team.Creator.PutJsonAsync(card, new { sections = new { model_details = new { overview = "Scores claims for fraud" } }, risk_rating = "Low" })).ExpectAsync(200);
        await (await team.Creator.PostJsonAsync($"{card}/submit", new { })).ExpectAsync(200);
        await (await team.Approvers[2].PostJsonAsync($"{card}/approve", new { comment = "reviewed" })).ExpectAsync(200);

        var request = await team.RequestAsync(1, "Production");
        // An edit of an approved card sends it back to Draft.
        await (await team.Creator.PutJsonAsync(card, new { sections = new { model_details = new { overview = "Scores claims for fraud, v2" } }, risk_rating = "Low" })).ExpectAsync(200);
        var decided = await ApproveAsync(team.Approvers[0], (string)request["id"]!);

        Assert.True((bool)Gate(request)["passed"]!, (string?)Gate(request)["reason"]);
        Assert.Equal("Approved", (string?)Gate(request)["evidence"]!["status"]);
        Assert.Equal("Rejected", (string?)decided["status"]);
        Assert.Equal("The model card of version 1 is Draft, not Approved.", (string?)Gate(decided)["reason"]);
        Assert.Equal("Draft", (string?)Gate(decided)["evidence"]!["status"]);
        Assert.Equal("None", (string?)(await team.VersionAsync(1))["stage"]);
    }

    [Fact]
    public async Task A_relative_threshold_is_measured_against_the_current_champion()
    {
        var team = await TeamAsync(new
        {
            alias = "champion",
            approvals = 1,
            gates = new object[] { new { type = "metric_threshold", metric = "auc", min_relative_change = 0.1 } },
        }, 0.80, 0.90, 0.95, 0.97);

        // The first champion has nothing to beat.
        var first = await ApproveAsync(team.Approvers[0], (string)(await team.RequestAsync(1, "champion"))["id"]!);
        // Version 4 asks while version 1 holds the alias (21% better) and waits for its approval.
        var waiting = await team.RequestAsync(4, "champion");
        var second = await ApproveAsync(team.Approvers[0], (string)(await team.RequestAsync(2, "champion"))["id"]!);
        var third = await team.RequestAsync(3, "champion");
        var late = await ApproveAsync(team.Approvers[1], (string)waiting["id"]!);

        Assert.Equal("Applied", (string?)first["status"]);
        Assert.Equal("no version holds @champion", (string?)Gate(first)["evidence"]!["baseline_note"]);
        Assert.Equal("Applied", (string?)second["status"]);
        Assert.Equal(1, (int)second["previous_version"]!);
        Assert.Equal(1, (int)Gate(second)["evidence"]!["baseline"]!["version"]!);
        Assert.Equal((0.9 - 0.8) / 0.8, (double)Gate(second)["evidence"]!["relative_change"]!);
        // 0.95 over 0.90 is 5.6%, short of 10%: rejected when requested.
        Assert.Equal("Rejected", (string?)third["status"]);
        Assert.Contains("relative to version 2 holding @champion (auc = 0.9), less than 0.1", (string?)Gate(third)["reason"], StringComparison.Ordinal);
        // Version 4's gates passed against version 1 when requested; when applied, version 2 holds the alias and 0.97 is not 10% over 0.90.
        Assert.True((bool)Gate(waiting)["passed"]!);
        Assert.Equal(1, (int)Gate(waiting)["evidence"]!["baseline"]!["version"]!);
        Assert.Equal("Rejected", (string?)late["status"]);
        Assert.Equal(2, (int)Gate(late)["evidence"]!["baseline"]!["version"]!);
        Assert.Equal(2, await AliasAsync(team, "champion"));
    }

    [Fact]
    public async Task A_relative_threshold_on_production_compares_with_the_version_in_production()
    {
        var team = await TeamAsync(new
        {
            stage = "Production",
            approvals = 1,
            archive_existing = true,
            gates = new object[] { new { type = "metric_threshold", metric = "auc", threshold = 0.7, min_relative_change = 0.05 } },
        }, 0.80, 0.85, 0.82);
        await ApproveAsync(team.Approvers[0], (string)(await team.RequestAsync(1, "Production"))["id"]!);

        var enough = await ApproveAsync(team.Approvers[1], (string)(await team.RequestAsync(2, "Production"))["id"]!);
        var shortOf = await team.RequestAsync(3, "Production");

        Assert.Equal("Applied", (string?)enough["status"]);
        Assert.Equal(1, (int)Gate(enough)["evidence"]!["baseline"]!["version"]!);
        Assert.Equal("Production", (string?)(await team.VersionAsync(2))["stage"]);
        Assert.Equal("Archived", (string?)(await team.VersionAsync(1))["stage"]);
        Assert.Equal("Rejected", (string?)shortOf["status"]);
        Assert.Equal(2, (int)Gate(shortOf)["evidence"]!["baseline"]!["version"]!);
        Assert.Equal("passed", (string?)Gate(shortOf)["evidence"]!["checks"]!["threshold"]);
        Assert.Equal("failed", (string?)Gate(shortOf)["evidence"]!["checks"]!["min_relative_change"]);
        Assert.Equal("None", (string?)(await team.VersionAsync(3))["stage"]);
    }
}
