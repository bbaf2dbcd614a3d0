using System.Net;
using System.Text.RegularExpressions;
using Cairn.Governance;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Ui;

/// <summary>
/// Issue 15 item 3: with <c>--auth token</c> a signed-in reader is offered no write action, cannot open the admin-only
/// pages, and a write posted anyway (with a valid anti-forgery token of the reader's own session) is refused.
/// </summary>
public sealed partial class ReaderSafetyTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    private async Task<HttpClient> ReaderAsync()
    {
        var browser = app.Browser();
        (await browser.SignInAsync(await app.TokenAsync($"ui-reader-{Guid.NewGuid():N}", "reader"))).Dispose();
        return browser;
    }

    [GeneratedRegex("<form[^>]*method=\"post\"[^>]*>")]
    private static partial Regex PostForm();

    [Theory]
    [InlineData("/")]
    [InlineData("/models")]
    public async Task A_reader_is_offered_no_write_action_and_no_admin_or_audit_entry(string page)
    {
        var html = await (await ReaderAsync()).PageAsync(page);
        // The only form that posts is signing out.
        Assert.Equal(["<form method=\"post\" action=\"/signout\" class=\"inline\">"], PostForm().Matches(html).Select(m => m.Value));
        Assert.DoesNotContain("href=\"/admin/tokens\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/audit\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/admin/tokens")]
    [InlineData("/audit")]
    [InlineData("/audit/verify")]
    [InlineData("/audit?from=not-a-time")]
    public async Task A_reader_gets_a_403_state_on_the_admin_only_pages_with_no_form_and_no_data(string page)
    {
        var admin = app.ClientWithToken(await app.TokenAsync($"ui-seed-{Guid.NewGuid():N}", "admin"));
        (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/safety", model_name = $"m{Guid.NewGuid():N}" })).EnsureSuccessStatusCode();

        using var response = await (await ReaderAsync()).GetAsync(page);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("needs the admin role", html, StringComparison.Ordinal);
        Assert.Single(PostForm().Matches(html));
        Assert.DoesNotContain("<table", html, StringComparison.Ordinal);
        Assert.DoesNotContain("ui-seed-", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_readers_write_posted_anyway_is_refused_and_changes_nothing()
    {
        var reader = await ReaderAsync();
        var victim = $"ui-victim-{Guid.NewGuid():N}";
        await app.TokenAsync(victim, "writer");
        var created = $"ui-forged-{Guid.NewGuid():N}";

        // The reader's own anti-forgery token (from a page the reader may see), with the admin forms' fields.
        using var create = await reader.PostFormAsync("/", "/admin/tokens",
        [
            KeyValuePair.Create("_handler", "token-create"),
            KeyValuePair.Create("Create.Name", created),
            KeyValuePair.Create("Create.Role", "admin"),
            KeyValuePair.Create("Create.Namespace", "/"),
        ]);
        using var revoke = await reader.PostFormAsync("/", "/admin/tokens",
            [KeyValuePair.Create("_handler", "token-revoke-" + victim), KeyValuePair.Create("RevokeName", victim)]);

        // No form is offered to a reader, so no handler runs; the page answers with its 403 state.
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, revoke.StatusCode);
        var tokens = await app.Services.GetRequiredService<ApiTokens>().ListAsync(Caller.Admin("test"), CancellationToken.None);
        Assert.DoesNotContain(tokens, t => t.Name == created);
        Assert.Null(Assert.Single(tokens, t => t.Name == victim).RevokedAt);
    }
}
