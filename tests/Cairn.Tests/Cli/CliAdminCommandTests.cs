using Cairn.Tests.Api;

namespace Cairn.Tests.Cli;

/// <summary>
/// Admin commands against a server with <c>--auth token</c>, in-process: <c>cairn role</c> names a token principal with
/// <c>--token-name</c> (the global <c>--token</c> stays the API token the command sends), and <c>cairn keys</c>.
/// </summary>
public sealed class CliAdminCommandTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    private readonly HttpMessageHandler _server = app.Server.CreateHandler();

    private Task<CliRun.Result> AsAsync(string token, params string[] args) =>
        CliRun.RunAsync(_server, [.. args, "--server", "http://localhost", "--token", token]);

    [Fact]
    public async Task Role_grant_names_a_token_with_token_name_and_authenticates_with_the_global_token()
    {
        var admin = await app.TokenAsync("cli-role-admin", "admin");
        await app.TokenAsync("cli-role-ci", "reader", "/cli_role");

        var granted = await AsAsync(admin, "role", "grant", "--token-name", "cli-role-ci", "--role", "writer", "--namespace", "/cli_role", "--json");
        Assert.True(granted.ExitCode == 0, granted.ToString());
        Assert.Equal("cli-role-ci", (string?)granted.Json["principal"]);
        Assert.Equal("Writer", (string?)granted.Json["role"]);

        var listed = await AsAsync(admin, "role", "list", "--token-name", "cli-role-ci", "--json");
        Assert.Equal("Writer", (string?)Assert.Single(listed.Json["role_bindings"]!.AsArray())!["role"]);

        // The global --token is the caller: a reader's token is refused, whoever the principal is.
        var reader = await app.TokenAsync("cli-role-reader", "reader");
        var refused = await AsAsync(reader, "role", "revoke", "--token-name", "cli-role-ci", "--namespace", "/cli_role", "--json");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("PERMISSION_DENIED", refused.Stderr, StringComparison.Ordinal);

        var revoked = await AsAsync(admin, "role", "revoke", "--token-name", "cli-role-ci", "--namespace", "/cli_role");
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        Assert.Contains("Revoked: token 'cli-role-ci'", revoked.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_rotate_makes_a_new_key_which_keys_list_shows_and_only_a_root_admin_may_rotate()
    {
        var admin = await app.TokenAsync("cli-keys-admin", "admin");

        var rotated = await AsAsync(admin, "keys", "rotate", "--json");
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        var id = (string)rotated.Json["id"]!;
        var later = await AsAsync(admin, "keys", "rotate", "--activate-in-hours", "48");
        Assert.True(later.ExitCode == 0, later.ToString());
        Assert.StartsWith("New key ", later.Stdout, StringComparison.Ordinal);

        var listed = await AsAsync(admin, "keys", "list", "--json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var keys = listed.Json["keys"]!.AsArray();
        Assert.Contains(keys, k => (string?)k!["id"] == id);
        Assert.Contains(id, (await AsAsync(admin, "keys", "list")).Stdout, StringComparison.Ordinal);

        var reader = await app.TokenAsync("cli-keys-reader", "reader");
        var refused = await AsAsync(reader, "keys", "rotate", "--json");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("PERMISSION_DENIED", refused.Stderr, StringComparison.Ordinal);
    }
}
