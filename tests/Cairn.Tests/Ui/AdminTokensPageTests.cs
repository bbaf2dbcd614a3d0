using System.Net;
using System.Text.RegularExpressions;
using Cairn.Governance;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15: the admin page of API tokens at <c>/admin/tokens</c> (with <c>--auth token</c>).</summary>
public sealed partial class AdminTokensPageTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    private async Task<HttpClient> SignedInAsync(string role)
    {
        var browser = app.Browser();
        (await browser.SignInAsync(await app.TokenAsync($"ui-{role}-{Guid.NewGuid():N}", role))).Dispose();
        return browser;
    }

    private static Task<HttpResponseMessage> CreateAsync(HttpClient browser, string name, string role = "reader", string ns = "/") =>
        browser.PostFormAsync("/admin/tokens", "/admin/tokens",
        [
            KeyValuePair.Create("_handler", "token-create"),
            KeyValuePair.Create("Create.Name", name),
            KeyValuePair.Create("Create.Role", role),
            KeyValuePair.Create("Create.Namespace", ns),
        ]);

    private static Task<HttpResponseMessage> RevokeAsync(HttpClient browser, string name) =>
        browser.PostFormAsync("/admin/tokens", "/admin/tokens",
            [KeyValuePair.Create("_handler", "token-revoke-" + name), KeyValuePair.Create("RevokeName", name)]);

    private async Task<IReadOnlyList<ApiToken>> ListAsync() =>
        await app.Services.GetRequiredService<ApiTokens>().ListAsync(Caller.Admin("test"), CancellationToken.None);

    [GeneratedRegex("value=\"(?<secret>cairn_[A-Za-z0-9_-]+)\"")]
    private static partial Regex SecretField();

    [Fact]
    public async Task Creating_a_token_shows_its_secret_once_in_the_response_and_never_again()
    {
        var admin = await SignedInAsync("admin");
        var name = $"ui-new-{Guid.NewGuid():N}";

        using var created = await CreateAsync(admin, name, "writer", "/team");
        var html = await created.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        // Rendered in the POST's own response, not redirected to a URL that could carry it.
        Assert.Null(created.Headers.Location);
        Assert.True(created.Headers.CacheControl?.NoStore, "The response with the secret is never stored.");
        var secret = SecretField().Match(html).Groups["secret"].Value;
        Assert.NotEmpty(secret);
        Assert.Contains("it is shown once", html, StringComparison.Ordinal);
        Assert.Contains(name, html, StringComparison.Ordinal);

        var listed = Assert.Single(await ListAsync(), t => t.Name == name);
        Assert.Equal([new RoleGrant("/team", Role.Writer)], listed.Grants);
        Assert.StartsWith("ui-admin-", listed.CreatedBy, StringComparison.Ordinal);

        var again = await admin.PageAsync("/admin/tokens");
        Assert.Contains(name, again, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, again, StringComparison.Ordinal);
        Assert.DoesNotMatch(SecretField(), again);
        Assert.Contains("writer<span class=\"chip-value\">/team</span>", again, StringComparison.Ordinal);

        // The secret works: it signs in.
        using var signIn = await app.Browser().SignInAsync(secret);
        Assert.Equal("/", signIn.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task The_list_shows_name_roles_creator_and_revocation_and_offers_revoke_with_a_confirmation()
    {
        var admin = await SignedInAsync("admin");
        var name = $"ui-listed-{Guid.NewGuid():N}";
        await app.TokenAsync(name, "approver", "/vision");

        var html = await admin.PageAsync("/admin/tokens");
        Assert.Contains("<title>API tokens · Cairn</title>", html, StringComparison.Ordinal);
        Assert.Contains("approver<span class=\"chip-value\">/vision</span>", html, StringComparison.Ordinal);
        Assert.Contains("by setup", html, StringComparison.Ordinal);
        Assert.Contains($"data-confirm=\"Revoke the token &#x27;{name}&#x27;?", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/admin/tokens\"", html, StringComparison.Ordinal);
        // The admin's own token is marked, and revoking it says that it ends this session.
        Assert.Contains("<span class=\"badge\">you</span>", html, StringComparison.Ordinal);
        Assert.Contains("you will be signed out", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_a_token_marks_it_revoked_and_it_can_no_longer_sign_in()
    {
        var admin = await SignedInAsync("admin");
        var name = $"ui-gone-{Guid.NewGuid():N}";
        var secret = await app.TokenAsync(name, "reader");

        using var revoked = await RevokeAsync(admin, name);
        Assert.Equal(HttpStatusCode.Redirect, revoked.StatusCode);
        Assert.Equal($"/admin/tokens?revoked={name}", revoked.Headers.Location?.PathAndQuery);

        var html = await admin.PageAsync(revoked.Headers.Location!.PathAndQuery);
        Assert.Contains("was revoked", html, StringComparison.Ordinal);
        Assert.NotNull(Assert.Single(await ListAsync(), t => t.Name == name).RevokedAt);
        Assert.DoesNotContain($"token-revoke-{name}", html, StringComparison.Ordinal);

        using var signIn = await app.Browser().SignInAsync(secret);
        Assert.StartsWith("/signin?error=invalid", signIn.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_services_refusals_are_shown_at_the_form()
    {
        var admin = await SignedInAsync("admin");
        var name = $"ui-twice-{Guid.NewGuid():N}";
        (await CreateAsync(admin, name)).Dispose();

        using var duplicate = await CreateAsync(admin, name);
        var html = await duplicate.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Contains($"A token named &#x27;{name}&#x27; already exists", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(SecretField(), html);

        using var badRole = await CreateAsync(admin, $"ui-role-{Guid.NewGuid():N}", "owner");
        var badRoleHtml = await badRole.Content.ReadAsStringAsync();
        Assert.Contains("&#x27;role&#x27; must be one of reader, writer, approver, admin", badRoleHtml, StringComparison.Ordinal);
        // What was typed stays in the form.
        Assert.Contains("value=\"/\"", badRoleHtml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_post_without_the_anti_forgery_token_is_refused()
    {
        var admin = await SignedInAsync("admin");
        var name = $"ui-csrf-{Guid.NewGuid():N}";
        using var response = await admin.PostAsync("/admin/tokens", new FormUrlEncodedContent(
        [
            KeyValuePair.Create("_handler", "token-create"),
            KeyValuePair.Create("Create.Name", name),
            KeyValuePair.Create("Create.Role", "admin"),
        ]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(await ListAsync(), t => t.Name == name);
    }
}

/// <summary>The tokens page with <c>--auth none</c>: the local admin manages tokens (to hand out before turning auth on).</summary>
public sealed class AdminTokensPageWithoutAuthTests(CairnApp app) : IClassFixture<CairnApp>
{
    [Fact]
    public async Task The_local_admin_creates_a_token_and_sees_it_listed_without_its_secret()
    {
        var browser = app.Browser();
        var name = $"ui-open-{Guid.NewGuid():N}";
        using var created = await browser.PostFormAsync("/admin/tokens", "/admin/tokens",
        [
            KeyValuePair.Create("_handler", "token-create"),
            KeyValuePair.Create("Create.Name", name),
            KeyValuePair.Create("Create.Role", "reader"),
            KeyValuePair.Create("Create.Namespace", "/"),
        ]);
        var html = await created.Content.ReadAsStringAsync();
        var secret = System.Text.RegularExpressions.Regex.Match(html, "value=\"(?<secret>cairn_[A-Za-z0-9_-]+)\"").Groups["secret"].Value;
        Assert.NotEmpty(secret);

        var list = await browser.PageAsync("/admin/tokens");
        Assert.Contains(name, list, StringComparison.Ordinal);
        Assert.Contains("by tester", list, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);
        Assert.DoesNotContain("<span class=\"badge\">you</span>", list, StringComparison.Ordinal);
    }
}
