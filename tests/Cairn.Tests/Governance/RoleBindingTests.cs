using Cairn.Governance;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Governance;

/// <summary>
/// Role bindings (docs/auth.md): a token, user or group gets a role on a namespace, inherited below; a caller's
/// effective role is the highest of its bindings. No identity provider here: users and groups are resolved through the
/// library as the OIDC paths resolve them (tests/Cairn.IntegrationTests/Oidc run those against a real provider).
/// </summary>
public sealed class RoleBindingTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private async Task<HttpClient> AdminAsync() => app.ClientWithToken(await app.TokenAsync(Unique("admin"), "admin"));

    private RoleBindings Bindings => app.Services.GetRequiredService<RoleBindings>();

    [Fact]
    public async Task Creating_a_token_writes_its_binding_which_the_list_shows()
    {
        var admin = await AdminAsync();
        var name = Unique("ci");
        await (await admin.PostJsonAsync("/api/v1/tokens", new { name, role = "writer", @namespace = "/acme" })).ExpectAsync(201);

        var list = await (await admin.GetAsync($"/api/v1/role-bindings?principal_kind=token&principal={name}")).ExpectAsync(200);
        var binding = Assert.Single(list["role_bindings"]!.AsArray())!;
        // Enums are written as the rest of the API writes them (Role as in a token's grants); requests take any case.
        Assert.Equal("Token", (string?)binding["principal_kind"]);
        Assert.Equal(name, (string?)binding["principal"]);
        Assert.Equal("/acme", (string?)binding["namespace"]);
        Assert.Equal("Writer", (string?)binding["role"]);
    }

    [Fact]
    public async Task A_binding_given_to_a_token_adds_a_role_and_revoking_it_takes_the_role_away()
    {
        var admin = await AdminAsync();
        var name = Unique("reader");
        var reader = app.ClientWithToken(await app.TokenAsync(name, "reader", "/"));
        var ns = "/" + Unique("team").Replace('-', '_');
        await (await reader.PostJsonAsync("/api/v1/models", new { @namespace = ns, model_name = "m1" })).ExpectAsync(403, "PERMISSION_DENIED");

        await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "token", principal = name, @namespace = ns, role = "writer" })).ExpectAsync(200);
        // Inherited below the binding's namespace.
        await (await reader.PostJsonAsync("/api/v1/models", new { @namespace = ns + "/sub", model_name = "m1" })).ExpectAsync(201);
        // The token's list shows both its roles.
        var token = (await (await admin.GetAsync("/api/v1/tokens")).ExpectAsync(200))["tokens"]!.AsArray().Single(t => (string?)t!["name"] == name)!;
        Assert.Equal(2, token["grants"]!.AsArray().Count);

        await (await admin.DeleteAsync($"/api/v1/role-bindings?principal_kind=token&principal={name}&namespace={ns}")).ExpectAsync(200);
        await (await reader.PostJsonAsync("/api/v1/models", new { @namespace = ns + "/sub", model_name = "m2" })).ExpectAsync(403, "PERMISSION_DENIED");
        await (await admin.DeleteAsync($"/api/v1/role-bindings?principal_kind=token&principal={name}&namespace={ns}")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Bad_input_is_a_400_naming_the_field()
    {
        var admin = await AdminAsync();
        var kind = await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "robot", principal = "x", role = "reader" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'principal_kind'", (string?)kind["detail"], StringComparison.Ordinal);
        var role = await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "user", principal = "x", role = "owner" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'role'", (string?)role["detail"], StringComparison.Ordinal);
        var principal = await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "group", principal = " ", role = "reader" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'principal'", (string?)principal["detail"], StringComparison.Ordinal);
        var token = await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "token", principal = Unique("nobody"), role = "reader" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'principal'", (string?)token["detail"], StringComparison.Ordinal);
        var ns = await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "user", principal = "x", role = "reader", @namespace = "no-slash" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("namespace", (string?)ns["detail"], StringComparison.Ordinal);
        await (await admin.GetAsync("/api/v1/role-bindings?principal_kind=robot")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Only_an_admin_of_the_namespace_gives_or_sees_bindings_there()
    {
        var teamAdmin = app.ClientWithToken(await app.TokenAsync(Unique("team-admin"), "admin", "/team_a"));
        await (await teamAdmin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "group", principal = "team-a", @namespace = "/team_a/x", role = "writer" })).ExpectAsync(200);
        await (await teamAdmin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "group", principal = "team-a", @namespace = "/team_b", role = "writer" })).ExpectAsync(403, "PERMISSION_DENIED");
        var writer = app.ClientWithToken(await app.TokenAsync(Unique("writer"), "writer"));
        await (await writer.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "user", principal = "me", role = "admin" })).ExpectAsync(403, "PERMISSION_DENIED");

        var admin = await AdminAsync();
        await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "group", principal = "team-a", @namespace = "/elsewhere", role = "reader" })).ExpectAsync(200);
        var seen = (await (await teamAdmin.GetAsync("/api/v1/role-bindings?principal_kind=group&principal=team-a")).ExpectAsync(200))["role_bindings"]!.AsArray();
        Assert.Equal(["/team_a/x"], seen.Select(b => (string?)b!["namespace"]));
    }

    [Fact]
    public async Task Granting_and_revoking_are_audited_and_granting_again_changes_the_role_in_place()
    {
        var admin = await AdminAsync();
        var user = Unique("user");
        await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "user", principal = user, @namespace = "/audited", role = "reader" })).ExpectAsync(200);
        var changed = await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "user", principal = user, @namespace = "/audited", role = "approver" })).ExpectAsync(200);
        Assert.Equal("Approver", (string?)changed["role"]);
        Assert.Single((await (await admin.GetAsync($"/api/v1/role-bindings?principal={user}")).ExpectAsync(200))["role_bindings"]!.AsArray());
        await (await admin.DeleteAsync($"/api/v1/role-bindings?principal_kind=user&principal={user}&namespace=/audited")).ExpectAsync(200);

        var resource = $"role-bindings/user/{user}/audited";
        var entries = (await (await admin.GetAsync($"/api/v1/audit?resource={Uri.EscapeDataString(resource)}")).ExpectAsync(200))["entries"]!.AsArray();
        Assert.Equal(["role.revoke", "role.grant", "role.grant"], entries.Select(e => (string?)e!["action"]));
    }

    [Fact]
    public async Task A_users_effective_role_is_the_highest_of_its_own_and_its_groups_bindings_on_the_namespace_or_above()
    {
        var admin = await AdminAsync();
        var user = Unique("alice");
        var group = Unique("ml-team");
        var other = Unique("other-group");
        await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "user", principal = user, @namespace = "/ml", role = "reader" })).ExpectAsync(200);
        await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "group", principal = group, @namespace = "/ml/fraud", role = "approver" })).ExpectAsync(200);
        await (await admin.PostJsonAsync("/api/v1/role-bindings", new { principal_kind = "group", principal = other, @namespace = "/", role = "admin" })).ExpectAsync(200);

        var caller = await Bindings.UserCallerAsync(user, [group, "unbound-group"], CancellationToken.None);
        Assert.Equal(user, caller.Name);
        Assert.True(caller.Has(Role.Reader, "/ml/churn"));
        Assert.False(caller.Has(Role.Writer, "/ml/churn"));
        Assert.True(caller.Has(Role.Approver, "/ml/fraud/cards"));
        Assert.False(caller.Has(Role.Admin, "/ml/fraud"));
        Assert.False(caller.Has(Role.Reader, "/finance"));

        // A user with no groups has only its own bindings; a name bound as a group is not a user.
        var alone = await Bindings.UserCallerAsync(group, [], CancellationToken.None);
        Assert.Empty(alone.Grants);
    }
}
