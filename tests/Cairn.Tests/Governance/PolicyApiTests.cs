using Cairn.Tests.Api;

namespace Cairn.Tests.Governance;

/// <summary>Policies per namespace and per model: reading, changing, validation, and which rule is in effect.</summary>
public sealed class PolicyApiTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task An_admin_sets_reads_and_deletes_a_namespace_policy_and_every_change_is_audited()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        var set = await (await team.Admin.PutJsonAsync(team.PolicyPath, new
        {
            protected_targets = new object[]
            {
                new { stage = "Production", approvals = 2, four_eyes = true },
                new { alias = "prod-*", approvals = 1, approver_role = "admin", expires_after_hours = 24 },
            },
        })).ExpectAsync(200);
        Assert.Equal($"namespace {team.Namespace}", (string?)set["source"]);
        Assert.Equal(team.Name("admin"), (string?)set["updated_by"]);

        // A reader reads it; the defaults the document left out are filled.
        var read = await (await team.Requester.GetAsync(team.PolicyPath)).ExpectAsync(200);
        var rules = read["policy"]!["protected_targets"]!.AsArray();
        Assert.Equal(2, (int)rules[0]!["approvals"]!);
        Assert.Equal("approver", (string?)rules[0]!["approver_role"]);
        Assert.True((bool)rules[1]!["archive_existing"]!);
        Assert.Equal(24, (double)rules[1]!["expires_after_hours"]!);

        await (await team.Admin.DeleteAsync(team.PolicyPath)).ExpectAsync(204);
        await (await team.Admin.GetAsync(team.PolicyPath)).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await team.Admin.DeleteAsync(team.PolicyPath)).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");

        var audited = await team.AuditAsync("policy.set", "policies/" + team.Namespace[1..]);
        Assert.Single(audited);
        Assert.Single(await team.AuditAsync("policy.delete", "policies/" + team.Namespace[1..]));
        var events = await app.ScalarAsync<long>($"SELECT COUNT(*) FROM events WHERE type IN ('policy.updated', 'policy.deleted') AND namespace = '{team.Namespace}'");
        Assert.Equal(2, events);
    }

    [Fact]
    public async Task Changing_a_policy_needs_admin_on_the_namespace_and_reading_needs_reader()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        var refused = await (await team.Approvers[0].PutJsonAsync(team.PolicyPath, new { protected_targets = Array.Empty<object>() })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains("admin role", (string?)refused["detail"], StringComparison.Ordinal);
        await (await team.Requester.PutJsonAsync($"/api/v1/models/{team.Model}/policy", new { protected_targets = Array.Empty<object>() })).ExpectAsync(403, "PERMISSION_DENIED");
        var outsider = app.ClientWithToken(await app.TokenAsync(team.Name("outsider"), "reader", "/elsewhere"));
        await (await outsider.GetAsync(team.PolicyPath)).ExpectAsync(403, "PERMISSION_DENIED");
        // An admin of the namespace (not of the root) may set it.
        var nsAdmin = app.ClientWithToken(await app.TokenAsync(team.Name("nsadmin"), "admin", team.Namespace));
        await (await nsAdmin.PutJsonAsync(team.PolicyPath, new { protected_targets = new[] { new { stage = "Production" } } })).ExpectAsync(200);
        await (await nsAdmin.PutJsonAsync("/api/v1/policies/-", new { protected_targets = Array.Empty<object>() })).ExpectAsync(403, "PERMISSION_DENIED");
    }

    [Theory]
    [InlineData("""{"protected_targets":[{"stage":"Production","approvals":99}]}""", "'protected_targets[0].approvals' must be between 0 and 20")]
    [InlineData("""{"protected_targets":[{"stage":"Shipped"}]}""", "'stage' must be one of None, Staging, Production, Archived")]
    [InlineData("""{"protected_targets":[{"stage":"Production","alias":"champion"}]}""", "'protected_targets[0]' must name exactly one of 'stage' and 'alias'")]
    [InlineData("""{"protected_targets":[{"alias":"champ ion"}]}""", "'protected_targets[0].alias' must be an alias name or a pattern")]
    [InlineData("""{"protected_targets":[{"stage":"Production","approver_role":"reader"}]}""", "'protected_targets[0].approver_role' must be writer, approver or admin")]
    [InlineData("""{"protected_targets":[{"stage":"Production"},{"stage":"Production"}]}""", "'protected_targets[1]' names stage:Production a second time")]
    [InlineData("""{"protected_targets":[{"stage":"Production","gates":[{"type":"vibes"}]}]}""", "'protected_targets[0].gates[0].type' must be one of")]
    [InlineData("""{"protected_targets":[{"stage":"Production","expires_after_hours":0}]}""", "'protected_targets[0].expires_after_hours' must be more than 0")]
    [InlineData("""{"protected_targets":[{"stage":"Production","aprovals":2}]}""", "aprovals")]
    [InlineData("""{}""", "'protected_targets' is required")]
    public async Task An_invalid_policy_is_refused_naming_the_field(string body, string expected)
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 0);
        var problem = await (await team.Admin.SendRawAsync(HttpMethod.Put, team.PolicyPath, body)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains(expected, (string?)problem["detail"], StringComparison.Ordinal);
        await (await team.Admin.GetAsync(team.PolicyPath)).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task The_nearest_rule_wins_per_target_and_a_rule_asking_nothing_unprotects()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 2);
        var parent = team.Namespace;
        var child = $"{parent}/desk";
        var model = $"{parent[1..]}.desk.scorer";
        await (await team.Admin.PostJsonAsync("/api/v1/models", new { @namespace = child, model_name = "scorer" })).ExpectAsync(201);
        await (await team.Admin.PostJsonAsync($"/api/v1/models/{model}/versions", new { })).ExpectAsync(201);
        await (await team.Admin.PutJsonAsync($"/api/v1/policies/{parent[1..]}", new
        {
            protected_targets = new object[]
            {
                new { stage = "Production", approvals = 2 },
                new { stage = "Staging", approvals = 1 },
                new { alias = "prod-*", approvals = 1 },
            },
        })).ExpectAsync(200);
        await (await team.Admin.PutJsonAsync($"/api/v1/policies/{child[1..]}", new
        {
            protected_targets = new object[] { new { stage = "Production", approvals = 3 }, new { stage = "Staging", approvals = 0 } },
        })).ExpectAsync(200);
        await (await team.Admin.PutJsonAsync($"/api/v1/models/{model}/policy", new
        {
            protected_targets = new object[] { new { alias = "prod-sandbox", approvals = 0 } },
        })).ExpectAsync(200);

        var effective = (await (await team.Requester.GetAsync($"/api/v1/models/{model}/policy/effective")).ExpectAsync(200))["rules"]!.AsArray()
            .ToDictionary(r => (string)r!["target"]!, r => r!);
        Assert.Equal(($"namespace {child}", 3, true), ((string)effective["Production"]["policy_source"]!, (int)effective["Production"]["rule"]!["approvals"]!, (bool)effective["Production"]["protected"]!));
        Assert.False((bool)effective["Staging"]["protected"]!);
        Assert.Equal($"namespace {parent}", (string?)effective["@prod-*"]["policy_source"]);
        Assert.Equal(($"model {model}", false), ((string)effective["@prod-sandbox"]["policy_source"]!, (bool)effective["@prod-sandbox"]["protected"]!));

        // What the effective rules say is what a direct change meets.
        var production = await (await team.Admin.PostJsonAsync($"/api/v1/models/{model}/versions/1/stage", new { stage = "Production" })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains($"protected by the policy of namespace '{child}' (3 approvals)", (string?)production["detail"], StringComparison.Ordinal);
        await (await team.Admin.PostJsonAsync($"/api/v1/models/{model}/versions/1/stage", new { stage = "Staging" })).ExpectAsync(200);
        await (await team.Admin.PutJsonAsync($"/api/v1/models/{model}/aliases/prod-sandbox", new { version = 1 })).ExpectAsync(200);
        var alias = await (await team.Admin.PutJsonAsync($"/api/v1/models/{model}/aliases/prod-eu", new { version = 1 })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains($"Alias 'prod-eu' of model '{model}' is protected by the policy of namespace '{parent}'", (string?)alias["detail"], StringComparison.Ordinal);
        // In the parent, Staging stays protected.
        await (await team.Admin.PostJsonAsync($"{team.VersionPath(1)}/stage", new { stage = "Staging" })).ExpectAsync(403, "PERMISSION_DENIED");

        // The model's own policy reads back; deleting it hands prod-sandbox back to the namespace's pattern.
        Assert.Equal($"model {model}", (string?)(await (await team.Requester.GetAsync($"/api/v1/models/{model}/policy")).ExpectAsync(200))["source"]);
        await (await team.Admin.DeleteAsync($"/api/v1/models/{model}/policy")).ExpectAsync(204);
        await (await team.Admin.PutJsonAsync($"/api/v1/models/{model}/aliases/prod-sandbox", new { version = 1 })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Single(await team.AuditAsync("policy.delete", $"models/{model}/policy"));
    }

    [Fact]
    public async Task Within_one_policy_an_exact_alias_beats_a_pattern()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 1);
        await team.ProtectAsync(new { alias = "prod-*", approvals = 1 }, new { alias = "prod-canary", approvals = 0 });
        await (await team.Admin.PutJsonAsync($"/api/v1/models/{team.Model}/aliases/prod-canary", new { version = 1 })).ExpectAsync(200);
        await (await team.Admin.PutJsonAsync($"/api/v1/models/{team.Model}/aliases/prod-main", new { version = 1 })).ExpectAsync(403, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task The_root_policy_is_addressed_by_a_dash_or_by_nothing()
    {
        var team = await GovernedTeam.CreateAsync(app, versions: 0);
        try
        {
            await (await team.Admin.PutJsonAsync("/api/v1/policies/-", new { protected_targets = new[] { new { alias = $"root-{team.Suffix}", approvals = 1 } } })).ExpectAsync(200);
            var read = await (await team.Admin.GetAsync("/api/v1/policies/")).ExpectAsync(200);
            Assert.Equal("namespace /", (string?)read["source"]);
        }
        finally
        {
            await (await team.Admin.DeleteAsync("/api/v1/policies/-")).ExpectAsync(204);
        }
    }
}
