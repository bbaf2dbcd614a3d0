using Cairn.Tests.Api;
using Cairn.Tests.Governance;

namespace Cairn.Tests.Monitoring.Alerts;

/// <summary>Alert rules over the API: create, read, list, replace, delete; roles; validation naming the field; audit and events.</summary>
public sealed class AlertRuleApiTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    private const string Rules = "/api/v1/monitoring/alert-rules";

    [Fact]
    public async Task A_writer_creates_reads_replaces_and_deletes_a_rule_and_every_change_is_audited_with_its_event()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        var deployment = await DeployAsync(team);
        var created = await (await team.Writer.PostJsonAsync(Rules, new
        {
            model = team.Model,
            deployment,
            name = "inputs drift",
            kind = "drift",
            consecutive = 3,
            description = "retrain when the inputs move",
        })).ExpectAsync(201);
        var id = (string)created["id"]!;
        Assert.Equal(team.Model, (string?)created["model"]);
        Assert.Equal(deployment, (string?)created["deployment"]);
        Assert.Equal(3, (int)created["consecutive"]!);
        Assert.Equal(60, (int)created["cooldown_minutes"]!);
        Assert.Equal("Warning", (string?)created["severity"]);
        Assert.True((bool)created["enabled"]!);
        Assert.Equal(team.Name("writer"), (string?)created["created_by"]);

        var reader = app.ClientWithToken(await app.TokenAsync(team.Name("reader"), "reader", team.Namespace));
        var read = await (await reader.GetAsync($"{Rules}/{id}")).ExpectAsync(200);
        Assert.Equal("inputs drift", (string?)read["name"]);
        var listed = await (await reader.GetAsync($"{Rules}?model={team.Model}")).ExpectAsync(200);
        Assert.Equal(id, (string?)listed["rules"]![0]!["id"]);

        var replaced = await (await team.Writer.PutJsonAsync($"{Rules}/{id}", new
        {
            name = "accuracy falls",
            kind = "metric",
            metric = "accuracy",
            @operator = "<",
            threshold = 0.9,
            severity = "critical",
            enabled = false,
        })).ExpectAsync(200);
        Assert.Equal("Metric", (string?)replaced["kind"]);
        Assert.Null(replaced["deployment"]);
        Assert.Equal(0.9, (double)replaced["threshold"]!);
        Assert.False((bool)replaced["enabled"]!);

        await (await team.Writer.DeleteAsync($"{Rules}/{id}")).ExpectAsync(204);
        await (await reader.GetAsync($"{Rules}/{id}")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");

        var resource = $"models/{team.Model}/alert-rules/{id}";
        Assert.Single(await team.AuditAsync("alert.rule.create", resource));
        Assert.Single(await team.AuditAsync("alert.rule.update", resource));
        Assert.Single(await team.AuditAsync("alert.rule.delete", resource));
        var events = await app.ScalarAsync<long>(
            $"SELECT COUNT(*) FROM events WHERE type IN ('monitoring.alert_rule_created', 'monitoring.alert_rule_updated', 'monitoring.alert_rule_deleted') AND namespace = '{team.Namespace}'");
        Assert.Equal(3, events);
    }

    /// <summary>Records a deployment of the team's model (version 1, all traffic) in a new environment; returns its id.</summary>
    private static async Task<string> DeployAsync(GovernedTeam team)
    {
        var env = "prod-" + team.Suffix;
        await (await team.Admin.PutJsonAsync($"/api/v1/environments/{env}", new { description = "production" })).ExpectAsync(200);
        var created = await (await team.Admin.PostJsonAsync("/api/v1/deployments", new
        {
            name = "fraud-api",
            environment = env,
            model = team.Model,
            traffic = new[] { new { version = 1, share = 100 } },
        })).ExpectAsync(201);
        return (string)created["id"]!;
    }

    [Fact]
    public async Task A_rules_deployment_must_exist_and_deploy_the_rules_model()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        var other = await GovernedTeam.CreateAsync(app, versions: 1);
        var theirs = await DeployAsync(other);
        var problem = await (await team.Admin.PostJsonAsync(Rules, new { model = team.Model, deployment = theirs, name = "x", kind = "drift" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains($"'deployment' '{theirs}' deploys model '{other.Model}'", (string?)problem["detail"], StringComparison.Ordinal);
        await (await team.Admin.PostJsonAsync(Rules, new { model = team.Model, deployment = "dep-nope", name = "x", kind = "drift" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Changing_rules_needs_writer_on_the_models_namespace_and_reading_needs_reader()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        var reader = app.ClientWithToken(await app.TokenAsync(team.Name("reader"), "reader", team.Namespace));
        var refused = await (await reader.PostJsonAsync(Rules, new { model = team.Model, name = "x", kind = "drift" })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains("writer role", (string?)refused["detail"], StringComparison.Ordinal);
        var id = (string)(await (await team.Writer.PostJsonAsync(Rules, new { model = team.Model, name = "x", kind = "psi" })).ExpectAsync(201))["id"]!;
        await (await reader.PutJsonAsync($"{Rules}/{id}", new { name = "y", kind = "psi" })).ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.DeleteAsync($"{Rules}/{id}")).ExpectAsync(403, "PERMISSION_DENIED");
        var outsider = app.ClientWithToken(await app.TokenAsync(team.Name("outsider"), "admin", "/elsewhere"));
        await (await outsider.GetAsync($"{Rules}/{id}")).ExpectAsync(403, "PERMISSION_DENIED");
        // A list shows only what the caller may read.
        var theirs = await (await outsider.GetAsync(Rules)).ExpectAsync(200);
        Assert.DoesNotContain(theirs["rules"]!.AsArray(), r => (string?)r!["id"] == id);
    }

    [Fact]
    public async Task A_rule_on_a_model_that_does_not_exist_is_404_and_its_model_cannot_change()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 0);
        await (await team.Admin.PostJsonAsync(Rules, new { model = team.Model + "_nope", name = "x", kind = "drift" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        var id = (string)(await (await team.Writer.PostJsonAsync(Rules, new { model = team.Model, name = "x", kind = "drift" })).ExpectAsync(201))["id"]!;
        var problem = await (await team.Writer.PutJsonAsync($"{Rules}/{id}", new { model = "other.model", name = "x", kind = "drift" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'model' cannot change", (string?)problem["detail"], StringComparison.Ordinal);
        await (await team.Writer.GetAsync($"{Rules}/nope")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Theory]
    [InlineData("""{"name":"x","kind":"drift"}""", "'model' is required")]
    [InlineData("""{"model":"M","kind":"drift"}""", "'name' is required")]
    [InlineData("""{"model":"M","name":"x"}""", "'kind' is required")]
    [InlineData("""{"model":"M","name":"x","kind":"vibes"}""", "kind")]
    [InlineData("""{"model":"M","name":"x","kind":"drift","consecutive":0}""", "'consecutive' must be between 1 and 100")]
    [InlineData("""{"model":"M","name":"x","kind":"drift","consecutive":101}""", "'consecutive' must be between 1 and 100")]
    [InlineData("""{"model":"M","name":"x","kind":"drift","cooldown_minutes":-1}""", "'cooldown_minutes' must be between 0")]
    [InlineData("""{"model":"M","name":"x","kind":"drift","threshold":0.2}""", "'threshold' does not apply to a drift rule")]
    [InlineData("""{"model":"M","name":"x","kind":"drift","metric":"accuracy"}""", "'metric' does not apply to a drift rule")]
    [InlineData("""{"model":"M","name":"x","kind":"psi","threshold":0}""", "'threshold' of a psi rule must be above 0")]
    [InlineData("""{"model":"M","name":"x","kind":"metric","operator":"<","threshold":0.9}""", "'metric' is required for a metric rule")]
    [InlineData("""{"model":"M","name":"x","kind":"metric","metric":"f1","threshold":0.9}""", "'operator' is required for a metric rule")]
    [InlineData("""{"model":"M","name":"x","kind":"metric","metric":"f1","operator":"=<","threshold":0.9}""", "'operator' is required for a metric rule and must be one of")]
    [InlineData("""{"model":"M","name":"x","kind":"metric","metric":"f1","operator":"<"}""", "'threshold' is required for a metric rule")]
    [InlineData("""{"model":"M","name":"x","kind":"metric","metric":"f1","operator":"<","threshold":0.9,"source":"guessed"}""", "'source' must be computed or reported")]
    [InlineData("""{"model":"M","name":"x","kind":"metric","metric":"f1","operator":"<","threshold":0.9,"feature":"age"}""", "'feature' does not apply to a metric rule")]
    [InlineData("""{"model":"M","name":"x","kind":"drift","severity":"meh"}""", "severity")]
    [InlineData("""{"model":"M","name":"x","kind":"drift","deployment":""}""", "'deployment' must be a deployment id")]
    [InlineData("""{"model":"M","name":"x","kind":"drift","consecutiv":2}""", "consecutiv")]
    public async Task An_invalid_rule_is_refused_naming_the_field(string body, string expected)
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 0);
        var problem = await (await team.Writer.SendRawAsync(HttpMethod.Post, Rules, body.Replace("\"M\"", $"\"{team.Model}\"", StringComparison.Ordinal)))
            .ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains(expected, (string?)problem["detail"], StringComparison.Ordinal);
        var listed = await (await team.Writer.GetAsync($"{Rules}?model={team.Model}")).ExpectAsync(200);
        Assert.Empty(listed["rules"]!.AsArray());
    }
}
