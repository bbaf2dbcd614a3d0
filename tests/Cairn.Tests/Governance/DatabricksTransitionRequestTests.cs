using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Governance;

/// <summary>
/// Databricks' transition-request calls (the shapes of the Databricks SDKs' ModelRegistry API: create answers
/// <c>{"request": …}</c>, list <c>{"requests": [Activity]}</c>, approve/reject/delete <c>{"activity": Activity}</c>)
/// answered by Cairn's promotion requests under the same policy, four-eyes and approvals.
/// </summary>
public sealed class DatabricksTransitionRequestTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    private const string Api = "/api/2.0/mlflow/transition-requests";

    private static async Task<JsonObject> MlflowAsync(HttpResponseMessage response, int status, string? errorCode = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        var json = JsonNode.Parse(body)!.AsObject();
        if (errorCode is not null)
        {
            Assert.Equal(errorCode, (string?)json["error_code"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)json["message"]));
        }
        return json;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient who, string path, object body) => who.PostAsJsonAsync(Api + path, body);

    private async Task<GovernedTeam> ProductionNeedsApprovalsAsync(int approvals = 1)
    {
        var team = await GovernedTeam.CreateAsync(app);
        await team.ProtectAsync(new { stage = "Production", approvals });
        return team;
    }

    [Fact]
    public async Task A_request_made_the_databricks_way_is_listed_approved_and_applies_the_transition()
    {
        var team = await ProductionNeedsApprovalsAsync();

        var created = await MlflowAsync(await PostAsync(team.Requester, "/create", new { name = team.Model, version = "2", stage = "Production", comment = "ready" }), 200);
        var request = created["request"]!.AsObject();
        Assert.Equal("Production", (string?)request["to_stage"]);
        Assert.Equal(team.Name("requester"), (string?)request["user_id"]);
        Assert.Equal("ready", (string?)request["comment"]);
        Assert.True((long)request["creation_timestamp"]! > 0);
        Assert.Equal(["CANCEL_TRANSITION_REQUEST"], request["available_actions"]!.AsArray().Select(a => (string)a!));

        var listed = await MlflowAsync(await team.Approvers[0].GetAsync($"{Api}/list?name={team.Model}&version=2"), 200);
        var open = Assert.Single(listed["requests"]!.AsArray())!.AsObject();
        Assert.Equal("REQUESTED_TRANSITION", (string?)open["activity_type"]);
        Assert.Equal("Production", (string?)open["to_stage"]);
        Assert.Equal(team.Name("requester"), (string?)open["user_id"]);
        Assert.False(string.IsNullOrEmpty((string?)open["id"]));

        var approved = await MlflowAsync(await PostAsync(team.Approvers[0], "/approve",
            new { name = team.Model, version = "2", stage = "Production", archive_existing_versions = true, comment = "lgtm" }), 200);
        var activity = approved["activity"]!.AsObject();
        Assert.Equal("APPROVED_REQUEST", (string?)activity["activity_type"]);
        Assert.Equal(team.Name("approver1"), (string?)activity["user_id"]);
        Assert.Equal("lgtm", (string?)activity["comment"]);
        Assert.Contains("applied", (string?)activity["system_comment"], StringComparison.Ordinal);

        var version = await MlflowAsync(await team.Admin.GetAsync($"/api/2.0/mlflow/model-versions/get?name={team.Model}&version=2"), 200);
        Assert.Equal("Production", (string?)version["model_version"]!["current_stage"]);
        Assert.Empty((await MlflowAsync(await team.Admin.GetAsync($"{Api}/list?name={team.Model}&version=2"), 200))["requests"]?.AsArray() ?? []);
        var native = await (await team.Admin.GetAsync($"/api/v1/promotions/{(string)open["id"]!}")).ExpectAsync(200);
        Assert.Equal("Applied", (string?)native["status"]);
    }

    [Fact]
    public async Task Two_approvals_are_needed_when_the_policy_says_so_and_the_creator_cannot_approve_their_own_version()
    {
        var team = await ProductionNeedsApprovalsAsync(approvals: 2);
        await MlflowAsync(await PostAsync(team.Requester, "/create", new { name = team.Model, version = "1", stage = "Production" }), 200);

        // The version's creator holds the approver role, but four-eyes keeps them off their own version.
        var own = await MlflowAsync(await PostAsync(team.Creator, "/approve", new { name = team.Model, version = "1", stage = "Production", archive_existing_versions = true }), 403, "PERMISSION_DENIED");
        Assert.Contains("created version 1", (string)own["message"]!, StringComparison.Ordinal);

        var first = await MlflowAsync(await PostAsync(team.Approvers[0], "/approve", new { name = team.Model, version = "1", stage = "Production", archive_existing_versions = true }), 200);
        Assert.Contains("1 of 2 approvals", (string?)first["activity"]!["system_comment"], StringComparison.Ordinal);
        Assert.Equal("None", (string?)(await team.VersionAsync(1))["stage"]);

        await MlflowAsync(await PostAsync(team.Approvers[1], "/approve", new { name = team.Model, version = "1", stage = "Production", archive_existing_versions = true }), 200);
        Assert.Equal("Production", (string?)(await team.VersionAsync(1))["stage"]);
    }

    [Fact]
    public async Task A_rejected_request_moves_nothing_and_a_deleted_one_is_withdrawn_by_its_creator()
    {
        var team = await ProductionNeedsApprovalsAsync();
        await MlflowAsync(await PostAsync(team.Requester, "/create", new { name = team.Model, version = "1", stage = "Production" }), 200);
        var rejected = await MlflowAsync(await PostAsync(team.Approvers[0], "/reject", new { name = team.Model, version = "1", stage = "Production", comment = "metrics regressed" }), 200);
        Assert.Equal("REJECTED_REQUEST", (string?)rejected["activity"]!["activity_type"]);
        Assert.Equal("None", (string?)(await team.VersionAsync(1))["stage"]);

        await MlflowAsync(await PostAsync(team.Requester, "/create", new { name = team.Model, version = "2", stage = "Production" }), 200);
        // Databricks names the request by its creator; someone else's name finds nothing.
        await MlflowAsync(await team.Requester.DeleteAsync($"{Api}/delete?name={team.Model}&version=2&stage=Production&creator=someone-else"), 404, "RESOURCE_DOES_NOT_EXIST");
        var deleted = await MlflowAsync(await team.Requester.DeleteAsync($"{Api}/delete?name={team.Model}&version=2&stage=Production&creator={team.Name("requester")}&comment=not+yet"), 200);
        Assert.Equal("CANCELLED_REQUEST", (string?)deleted["activity"]!["activity_type"]);
        Assert.Empty((await MlflowAsync(await team.Admin.GetAsync($"{Api}/list?name={team.Model}&version=2"), 200))["requests"]?.AsArray() ?? []);
        // Approving what is no longer open is a clear 404, not a transition.
        await MlflowAsync(await PostAsync(team.Approvers[0], "/approve", new { name = team.Model, version = "2", stage = "Production", archive_existing_versions = false }), 404, "RESOURCE_DOES_NOT_EXIST");
        Assert.Equal("None", (string?)(await team.VersionAsync(2))["stage"]);
    }

    [Fact]
    public async Task The_direct_mlflow_transition_of_a_protected_stage_is_refused_and_names_the_request_to_open()
    {
        var team = await ProductionNeedsApprovalsAsync();

        var direct = await team.Approvers[0].PostAsJsonAsync("/api/2.0/mlflow/model-versions/transition-stage",
            new { name = team.Model, version = "1", stage = "Production", archive_existing_versions = false });
        var problem = await MlflowAsync(direct, 403, "PERMISSION_DENIED");
        Assert.Contains("promotion request", (string)problem["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_for_an_unprotected_stage_or_a_bad_message_are_refused_with_mlflow_errors()
    {
        var team = await ProductionNeedsApprovalsAsync();

        var unprotected = await MlflowAsync(await PostAsync(team.Requester, "/create", new { name = team.Model, version = "1", stage = "Staging" }), 400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("not protected", (string)unprotected["message"]!, StringComparison.Ordinal);
        await MlflowAsync(await PostAsync(team.Requester, "/create", new { name = team.Model, version = "1", stage = "Prod" }), 400, "INVALID_PARAMETER_VALUE");
        await MlflowAsync(await PostAsync(team.Requester, "/create", new { name = team.Model, stage = "Production" }), 400, "INVALID_PARAMETER_VALUE");
        await MlflowAsync(await PostAsync(team.Requester, "/create", new { name = team.Model, version = "9", stage = "Production" }), 404, "RESOURCE_DOES_NOT_EXIST");
        await MlflowAsync(await team.Requester.DeleteAsync($"{Api}/delete?name={team.Model}&version=1&stage=Production"), 400, "INVALID_PARAMETER_VALUE");
    }
}
