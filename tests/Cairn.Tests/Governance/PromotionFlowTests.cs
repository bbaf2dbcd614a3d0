using System.Text.Json.Nodes;
using Cairn.Governance;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Governance;

/// <summary>Promotion requests end to end, each person with their own token.</summary>
public sealed class PromotionFlowTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task Two_of_three_approvals_apply_the_stage_move_atomically_with_its_history_audit_and_events()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        // Version 1 reaches Production before the policy exists; version 2 must then go through a request.
        await (await team.Admin.PostJsonAsync($"{team.VersionPath(1)}/stage", new { stage = "Production" })).ExpectAsync(200);
        await team.ProtectAsync(new { stage = "Production", approvals = 2, archive_existing = true });

        var request = await team.RequestAsync(2, "Production", "recall +4 points");
        var id = (string)request["id"]!;
        Assert.Equal(("Pending", "Stage", "Production", team.Name("requester")), ((string)request["status"]!, (string)request["target_kind"]!, (string)request["target"]!, (string)request["requested_by"]!));
        Assert.Equal($"namespace {team.Namespace}", (string?)request["policy_source"]);
        Assert.Equal(2, (int)request["rule"]!["approvals"]!);

        var first = await (await GovernedTeam.ApproveAsync(team.Approvers[0], id, "looks fine")).ExpectAsync(200);
        Assert.Equal("Pending", (string?)first["status"]);
        Assert.Equal("None", (string?)(await team.VersionAsync(2))["stage"]);

        var second = await (await GovernedTeam.ApproveAsync(team.Approvers[1], id)).ExpectAsync(200);
        Assert.Equal("Applied", (string?)second["status"]);
        Assert.Equal(1, (int)second["previous_version"]!);
        Assert.Equal(team.Name("approver2"), (string?)second["decided_by"]);
        Assert.Equal(2, second["reviews"]!.AsArray().Count);
        Assert.Equal("Production", (string?)(await team.VersionAsync(2))["stage"]);
        Assert.Equal("Archived", (string?)(await team.VersionAsync(1))["stage"]);

        var transitions = (await (await team.Admin.GetAsync($"{team.VersionPath(2)}/stage")).ExpectAsync(200))["transitions"]!.AsArray();
        var last = transitions[^1]!;
        Assert.Equal("Production", (string?)last["to_stage"]);
        Assert.Contains(id, (string?)last["comment"], StringComparison.Ordinal);
        Assert.Contains($"approved by {team.Name("approver1")}, {team.Name("approver2")}", (string?)last["comment"], StringComparison.Ordinal);

        // A third approval finds the request decided.
        await (await GovernedTeam.ApproveAsync(team.Approvers[2], id)).ExpectAsync(409, "INVALID_STATE");

        Assert.Single(await team.AuditAsync("promotion.request"));
        Assert.Equal(2, (await team.AuditAsync("promotion.approve")).Count);
        Assert.Single(await team.AuditAsync("promotion.apply"));
        Assert.Equal(team.Name("approver2"), (string?)Assert.Single(await team.AuditAsync("version.stage", $"models/{team.Model}/versions/2"))!["actor"]);
        var types = await app.ScalarAsync<long>(
            $"SELECT COUNT(DISTINCT type) FROM events WHERE namespace = '{team.Namespace}' AND type IN ('promotion.requested', 'promotion.approved', 'promotion.applied', 'model_version.stage_transitioned')");
        Assert.Equal(4, types);
    }

    [Fact]
    public async Task Four_eyes_refuses_the_requester_and_the_versions_creator()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await team.ProtectAsync(new { stage = "Production", approvals = 1 });
        // The requester is also an approver here: four-eyes, not the role, refuses them.
        var requesterApprover = app.ClientWithToken(await app.TokenAsync(team.Name("self"), "approver", team.Namespace));
        var id = (string)(await (await requesterApprover.PostJsonAsync($"{team.VersionPath(1)}/promotions", new { target = "Production" })).ExpectAsync(201))["id"]!;

        var self = await (await GovernedTeam.ApproveAsync(requesterApprover, id)).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains($"'{team.Name("self")}' requested promotion '{id}' and may not approve it", (string?)self["detail"], StringComparison.Ordinal);
        var creator = await (await GovernedTeam.ApproveAsync(team.Creator, id)).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains($"'{team.Name("creator")}' created version 1", (string?)creator["detail"], StringComparison.Ordinal);
        Assert.Contains("four eyes", (string?)creator["detail"], StringComparison.Ordinal);

        Assert.Equal("Applied", (string?)(await (await GovernedTeam.ApproveAsync(team.Approvers[0], id)).ExpectAsync(200))["status"]);
    }

    [Fact]
    public async Task Without_four_eyes_the_versions_creator_may_approve()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await team.ProtectAsync(new { stage = "Staging", approvals = 1, four_eyes = false });
        var id = (string)(await team.RequestAsync(1, "Staging"))["id"]!;
        Assert.Equal("Applied", (string?)(await (await GovernedTeam.ApproveAsync(team.Creator, id)).ExpectAsync(200))["status"]);
    }

    [Fact]
    public async Task An_approver_without_the_rules_role_is_refused_and_a_reviewer_reviews_once()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await team.ProtectAsync(new { stage = "Production", approvals = 2, approver_role = "admin" });
        var id = (string)(await team.RequestAsync(1, "Production"))["id"]!;

        var refused = await (await GovernedTeam.ApproveAsync(team.Approvers[0], id)).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains("needs the admin role", (string?)refused["detail"], StringComparison.Ordinal);
        await (await GovernedTeam.ApproveAsync(team.Writer, id)).ExpectAsync(403, "PERMISSION_DENIED");

        var nsAdmin = app.ClientWithToken(await app.TokenAsync(team.Name("nsadmin"), "admin", team.Namespace));
        await (await GovernedTeam.ApproveAsync(nsAdmin, id)).ExpectAsync(200);
        var twice = await (await GovernedTeam.ApproveAsync(nsAdmin, id)).ExpectAsync(409, "RESOURCE_ALREADY_EXISTS");
        Assert.Contains("already reviewed", (string?)twice["detail"], StringComparison.Ordinal);
        await (await team.Admin.PostJsonAsync($"/api/v1/promotions/{id}/reject", new { })).ExpectAsync(200);
    }

    [Fact]
    public async Task A_reviewer_rejects_and_the_request_is_closed()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await team.ProtectAsync(new { stage = "Production", approvals = 2 });
        var id = (string)(await team.RequestAsync(1, "Production"))["id"]!;
        await (await GovernedTeam.ApproveAsync(team.Approvers[0], id)).ExpectAsync(200);

        await (await team.Writer.PostJsonAsync($"/api/v1/promotions/{id}/reject", new { comment = "no" })).ExpectAsync(403, "PERMISSION_DENIED");
        var rejected = await (await team.Approvers[1].PostJsonAsync($"/api/v1/promotions/{id}/reject", new { comment = "drift on segment B" })).ExpectAsync(200);
        Assert.Equal(("Rejected", team.Name("approver2")), ((string)rejected["status"]!, (string)rejected["decided_by"]!));
        Assert.Contains("drift on segment B", (string?)rejected["decision"], StringComparison.Ordinal);
        Assert.Equal("REJECT", (string?)rejected["reviews"]![1]!["verdict"]);

        await (await GovernedTeam.ApproveAsync(team.Approvers[2], id)).ExpectAsync(409, "INVALID_STATE");
        Assert.Equal("None", (string?)(await team.VersionAsync(1))["stage"]);
        Assert.Single(await team.AuditAsync("promotion.reject"));
        // The version may be asked for again.
        await team.RequestAsync(1, "Production");
    }

    [Fact]
    public async Task The_requester_or_an_admin_cancels_and_nobody_else()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        await team.ProtectAsync(new { stage = "Production", approvals = 1 }, new { alias = "champion", approvals = 1 });
        var first = (string)(await team.RequestAsync(1, "Production"))["id"]!;
        var second = (string)(await team.RequestAsync(2, "champion"))["id"]!;

        var refused = await (await team.Writer.PostAsync($"/api/v1/promotions/{first}/cancel", null)).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains($"only its requester ('{team.Name("requester")}')", (string?)refused["detail"], StringComparison.Ordinal);
        await (await team.Approvers[0].PostAsync($"/api/v1/promotions/{first}/cancel", null)).ExpectAsync(403, "PERMISSION_DENIED");

        var cancelled = await (await team.Requester.PostJsonAsync($"/api/v1/promotions/{first}/cancel", new { comment = "wrong version" })).ExpectAsync(200);
        Assert.Equal("Cancelled", (string?)cancelled["status"]);
        // Also under the version's path.
        Assert.Equal("Cancelled", (string?)(await (await team.Admin.PostAsync($"{team.VersionPath(2)}/promotions/{second}/cancel", null)).ExpectAsync(200))["status"]);
        await (await team.Admin.PostAsync($"{team.VersionPath(1)}/promotions/{second}/cancel", null)).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await GovernedTeam.ApproveAsync(team.Approvers[0], first)).ExpectAsync(409, "INVALID_STATE");
        Assert.Equal(2, (await team.AuditAsync("promotion.cancel")).Count);
    }

    [Fact]
    public async Task A_request_past_its_time_reads_as_expired_refuses_approval_and_the_sweeper_records_it()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await team.ProtectAsync(new { stage = "Production", approvals = 1, expires_after_hours = 1 });
        var request = await team.RequestAsync(1, "Production");
        var id = (string)request["id"]!;
        var expires = DateTimeOffset.Parse((string)request["expires_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        var requested = DateTimeOffset.Parse((string)request["requested_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromHours(1), expires - requested);

        await app.ExecuteSqlAsync($"UPDATE promotion_requests SET expires_at = 1000 WHERE id = '{id}'");
        var refused = await (await GovernedTeam.ApproveAsync(team.Approvers[0], id)).ExpectAsync(409, "INVALID_STATE");
        Assert.Contains("expired", (string?)refused["detail"], StringComparison.Ordinal);
        Assert.Equal("Expired", (string?)(await (await team.Requester.GetAsync($"/api/v1/promotions/{id}")).ExpectAsync(200))["status"]);
        Assert.Contains(id, (await (await team.Admin.GetAsync($"/api/v1/promotions?status=expired&model={team.Model}")).ExpectAsync(200))["requests"]!.AsArray().Select(r => (string?)r!["id"]));

        var swept = await app.Services.GetRequiredService<PromotionRequests>().ExpireDueAsync(default);
        Assert.True(swept >= 1);
        Assert.Equal("EXPIRED", await app.ScalarAsync<string>($"SELECT status FROM promotion_requests WHERE id = '{id}'"));
        var audit = await team.AuditAsync("promotion.expire");
        Assert.Equal(PromotionRequests.SystemActor, (string?)Assert.Single(audit)!["actor"]);
        Assert.Equal(0, await app.Services.GetRequiredService<PromotionRequests>().ExpireDueAsync(default));
        // An expired request no longer blocks a new one.
        await team.RequestAsync(1, "Production");
    }

    [Fact]
    public async Task One_pending_request_per_version_and_target_and_only_for_protected_targets()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        await team.ProtectAsync(new { stage = "Production", approvals = 1 });
        var id = (string)(await team.RequestAsync(1, "Production"))["id"]!;

        var again = await (await team.Writer.PostJsonAsync($"{team.VersionPath(1)}/promotions", new { target = "production" })).ExpectAsync(409, "RESOURCE_ALREADY_EXISTS");
        Assert.Contains(id, (string?)again["detail"], StringComparison.Ordinal);
        // Another version may ask for the same target.
        await team.RequestAsync(2, "Production");

        var unprotected = await (await team.Requester.PostJsonAsync($"{team.VersionPath(1)}/promotions", new { target = "Staging" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("not protected by any policy: change it directly", (string?)unprotected["detail"], StringComparison.Ordinal);
        await (await team.Requester.PostJsonAsync($"{team.VersionPath(1)}/promotions", new { target = "" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await team.Requester.PostJsonAsync($"{team.VersionPath(1)}/promotions", new { target = "@bad alias" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await team.Requester.PostJsonAsync($"{team.VersionPath(9)}/promotions", new { target = "Production" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        var reader = app.ClientWithToken(await app.TokenAsync(team.Name("reader"), "reader", team.Namespace));
        await (await reader.PostJsonAsync($"{team.VersionPath(1)}/promotions", new { target = "Production" })).ExpectAsync(403, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task The_rule_in_force_when_approvals_arrive_governs_a_stricter_policy_included()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await team.ProtectAsync(new { stage = "Production", approvals = 1 });
        var id = (string)(await team.RequestAsync(1, "Production"))["id"]!;
        await team.ProtectAsync(new { stage = "Production", approvals = 2 });

        var first = await (await GovernedTeam.ApproveAsync(team.Approvers[0], id)).ExpectAsync(200);
        Assert.Equal("Pending", (string?)first["status"]);
        var second = await (await GovernedTeam.ApproveAsync(team.Approvers[1], id)).ExpectAsync(200);
        Assert.Equal("Applied", (string?)second["status"]);
        Assert.Equal(2, (int)second["rule"]!["approvals"]!);
    }

    [Fact]
    public async Task Without_archive_existing_the_previous_holder_stays_in_the_stage()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        await (await team.Admin.PostJsonAsync($"{team.VersionPath(1)}/stage", new { stage = "Production" })).ExpectAsync(200);
        await team.ProtectAsync(new { stage = "Production", approvals = 1, archive_existing = false });
        var id = (string)(await team.RequestAsync(2, "Production"))["id"]!;
        var applied = await (await GovernedTeam.ApproveAsync(team.Approvers[0], id)).ExpectAsync(200);
        Assert.Equal(1, (int)applied["previous_version"]!);
        Assert.Equal("Production", (string?)(await team.VersionAsync(1))["stage"]);
        Assert.Equal("Production", (string?)(await team.VersionAsync(2))["stage"]);
    }

    [Fact]
    public async Task An_alias_matching_a_protected_pattern_moves_through_a_request_with_its_history()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        await (await team.Admin.PutJsonAsync($"/api/v1/models/{team.Model}/aliases/prod-eu", new { version = 1 })).ExpectAsync(200);
        await team.ProtectAsync(new { alias = "prod-*", approvals = 1 });

        var request = await team.RequestAsync(2, "prod-eu", "roll out in the EU");
        Assert.Equal(("Alias", "prod-eu"), ((string)request["target_kind"]!, (string)request["target"]!));
        var applied = await (await GovernedTeam.ApproveAsync(team.Approvers[0], (string)request["id"]!)).ExpectAsync(200);
        Assert.Equal(("Applied", 1), ((string)applied["status"]!, (int)applied["previous_version"]!));

        Assert.Equal(2, (int)(await (await team.Admin.GetAsync($"/api/v1/models/{team.Model}/aliases/prod-eu")).ExpectAsync(200))["version"]!);
        var history = (await (await team.Admin.GetAsync($"/api/v1/models/{team.Model}/aliases/prod-eu/history")).ExpectAsync(200))["changes"]!.AsArray();
        Assert.Equal((2, 1, team.Name("approver1")), ((int)history[0]!["version"]!, (int)history[0]!["previous_version"]!, (string)history[0]!["changed_by"]!));
        Assert.Single(await team.AuditAsync("alias.set", $"models/{team.Model}/aliases/prod-eu"), e => (string?)e!["actor"] == team.Name("approver1"));
        // An alias spelled like a stage is asked for with '@'.
        await (await team.Requester.PostJsonAsync($"{team.VersionPath(2)}/promotions", new { target = "@prod-us" })).ExpectAsync(201);
    }

    [Fact]
    public async Task Leaving_a_protected_stage_is_requested_and_approved_like_entering_it()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await (await team.Admin.PostJsonAsync($"{team.VersionPath(1)}/stage", new { stage = "Production" })).ExpectAsync(200);
        await team.ProtectAsync(new { stage = "Production", approvals = 1 });
        var request = await team.RequestAsync(1, "Archived", "retired");
        Assert.Equal(1, (int)request["rule"]!["approvals"]!);
        await (await GovernedTeam.ApproveAsync(team.Approvers[0], (string)request["id"]!)).ExpectAsync(200);
        Assert.Equal("Archived", (string?)(await team.VersionAsync(1))["stage"]);
        await (await team.Requester.PostJsonAsync($"{team.VersionPath(1)}/promotions", new { target = "Archived" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Deleting_a_version_cancels_its_pending_requests()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        await team.ProtectAsync(new { stage = "Production", approvals = 1 });
        var id = (string)(await team.RequestAsync(2, "Production"))["id"]!;
        await (await team.Admin.DeleteAsync(team.VersionPath(2))).ExpectAsync(204);

        var request = await (await team.Admin.GetAsync($"/api/v1/promotions/{id}")).ExpectAsync(200);
        Assert.Equal("Cancelled", (string?)request["status"]);
        Assert.Contains("version 2 was deleted", (string?)request["decision"], StringComparison.Ordinal);
        Assert.Single(await team.AuditAsync("promotion.cancel"));
    }

    [Fact]
    public async Task The_inbox_lists_what_the_caller_may_approve_now()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        await team.ProtectAsync(new { stage = "Production", approvals = 2 }, new { alias = "champion", approvals = 1, approver_role = "admin" });
        var production = (string)(await team.RequestAsync(1, "Production"))["id"]!;
        var champion = (string)(await team.RequestAsync(2, "champion"))["id"]!;

        async Task<List<string?>> InboxAsync(HttpClient who) =>
            (await (await who.GetAsync($"/api/v1/promotions?actionable=true&namespace={team.Namespace}")).ExpectAsync(200))["requests"]!.AsArray().Select(r => (string?)r!["id"]).ToList();

        Assert.Equal([production], await InboxAsync(team.Approvers[0]));
        Assert.Empty(await InboxAsync(team.Requester));
        Assert.Empty(await InboxAsync(team.Creator));
        Assert.Equal([champion, production], await InboxAsync(team.Admin));
        await (await GovernedTeam.ApproveAsync(team.Approvers[0], production)).ExpectAsync(200);
        Assert.Empty(await InboxAsync(team.Approvers[0]));
        Assert.Equal([production], await InboxAsync(team.Approvers[1]));

        var perModel = (await (await team.Requester.GetAsync($"/api/v1/models/{team.Model}/promotions")).ExpectAsync(200))["requests"]!.AsArray();
        Assert.Equal([champion, production], perModel.Select(r => (string?)r!["id"]));
        var perVersion = (await (await team.Requester.GetAsync($"{team.VersionPath(1)}/promotions")).ExpectAsync(200))["requests"]!.AsArray();
        Assert.Equal([production], perVersion.Select(r => (string?)r!["id"]));
        var paged = await (await team.Requester.GetAsync($"/api/v1/models/{team.Model}/promotions?max_results=1")).ExpectAsync(200);
        Assert.Single(paged["requests"]!.AsArray());
        var next = (string)paged["next_page_token"]!;
        var page2 = await (await team.Requester.GetAsync($"/api/v1/models/{team.Model}/promotions?max_results=1&page_token={next}")).ExpectAsync(200);
        Assert.Equal(production, (string?)page2["requests"]![0]!["id"]);
        await (await team.Requester.GetAsync("/api/v1/promotions?status=SHIPPED")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        // Other namespaces' requests are not shown to those who cannot read them.
        var outsider = app.ClientWithToken(await app.TokenAsync(team.Name("outsider"), "admin", "/elsewhere"));
        Assert.Empty((await (await outsider.GetAsync("/api/v1/promotions")).ExpectAsync(200))["requests"]!.AsArray());
        await (await outsider.GetAsync($"/api/v1/promotions/{production}")).ExpectAsync(403, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task Many_concurrent_approvals_reaching_the_count_apply_exactly_once()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2, approvers: 8);
        await (await team.Admin.PostJsonAsync($"{team.VersionPath(1)}/stage", new { stage = "Production" })).ExpectAsync(200);
        await team.ProtectAsync(new { stage = "Production", approvals = 3 });
        var id = (string)(await team.RequestAsync(2, "Production"))["id"]!;

        var answers = await Task.WhenAll(team.Approvers.Select(a => GovernedTeam.ApproveAsync(a, id)));
        var statuses = answers.Select(a => (int)a.StatusCode).ToList();
        Assert.Equal(3, statuses.Count(s => s == 200));
        Assert.All(statuses.Where(s => s != 200), s => Assert.Equal(409, s));

        var request = await (await team.Admin.GetAsync($"/api/v1/promotions/{id}")).ExpectAsync(200);
        Assert.Equal(("Applied", 3), ((string)request["status"]!, request["reviews"]!.AsArray().Count));
        Assert.Single(await team.AuditAsync("promotion.apply"));
        var transitions = (await (await team.Admin.GetAsync($"{team.VersionPath(2)}/stage")).ExpectAsync(200))["transitions"]!.AsArray();
        Assert.Single(transitions, t => (string?)t!["to_stage"] == "Production");
        Assert.Single((await (await team.Admin.GetAsync($"{team.VersionPath(1)}/stage")).ExpectAsync(200))["transitions"]!.AsArray(), t => (string?)t!["to_stage"] == "Archived");
    }

    [Fact]
    public async Task A_request_body_must_name_a_target_and_unknown_fields_are_refused()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await team.ProtectAsync(new { stage = "Production", approvals = 1 });
        var missing = await (await team.Requester.PostJsonAsync($"{team.VersionPath(1)}/promotions", new { comment = "x" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'target' is required", (string?)missing["detail"], StringComparison.Ordinal);
        await (await team.Requester.SendRawAsync(HttpMethod.Post, $"{team.VersionPath(1)}/promotions", """{"target":"Production","stagee":1}""")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await team.Admin.GetAsync("/api/v1/promotions/nope")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await team.Admin.PostAsync("/api/v1/promotions/nope/approve", null)).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Every_request_and_decision_is_an_event_readers_of_the_namespace_see()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await team.ProtectAsync(new { stage = "Production", approvals = 1 });
        var id = (string)(await team.RequestAsync(1, "Production"))["id"]!;
        await (await team.Requester.PostAsync($"/api/v1/promotions/{id}/cancel", null)).ExpectAsync(200);
        var types = new List<string>();
        var rows = await app.ScalarAsync<string>(
            $"SELECT {(app.PostgresDatabase is null ? "group_concat(type, ',')" : "string_agg(type, ',')")} FROM (SELECT type FROM events WHERE resource = 'models/{team.Model}/versions/1/promotions/{id}' ORDER BY seq) e");
        types.AddRange(rows.Split(','));
        Assert.Equal(["promotion.requested", "promotion.cancelled"], types);
        var payload = JsonNode.Parse(await app.ScalarAsync<string>($"SELECT payload FROM events WHERE type = 'promotion.cancelled' AND resource LIKE '%{id}'"))!;
        Assert.Equal("Cancelled", (string?)payload["status"]);
    }
}
