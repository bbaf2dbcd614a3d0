using Cairn.Tests.Api;

namespace Cairn.Tests.Ui;

/// <summary>Issue 15 item 3: with <c>--auth token</c> the UI takes an API token at a sign-in page and keeps a cookie session.</summary>
public sealed class SignInTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_visitor_without_a_session_is_sent_to_sign_in_with_the_page_to_return_to()
    {
        using var response = await app.Browser().GetAsync("/models?ns=%2Fa");
        Assert.Equal(302, (int)response.StatusCode);
        Assert.Equal("/signin?return=%2Fmodels%3Fns%3D%252Fa", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Signing_in_with_a_token_starts_an_http_only_lax_session_with_that_tokens_roles()
    {
        var browser = app.Browser();
        var reader = await app.TokenAsync($"ui-reader-{Guid.NewGuid():N}", "reader");

        using var signedIn = await browser.SignInAsync(reader, "/models");
        Assert.Equal(302, (int)signedIn.StatusCode);
        Assert.Equal("/models", signedIn.Headers.Location?.OriginalString);
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("cairn_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);

        var html = await browser.PageAsync("/");
        Assert.Contains("ui-reader-", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Authentication is off", html, StringComparison.Ordinal);
        // A reader is not offered the admin pages.
        Assert.DoesNotContain("href=\"/admin/tokens\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_without_echoing_it()
    {
        var browser = app.Browser();
        using var refused = await browser.SignInAsync("cairn_wrong-secret");
        Assert.Equal(302, (int)refused.StatusCode);
        var location = refused.Headers.Location!.OriginalString;
        Assert.StartsWith("/signin?error=invalid", location, StringComparison.Ordinal);
        var html = await browser.PageAsync(location);
        Assert.Contains("not accepted", html, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_the_token_ends_the_session_at_the_next_page()
    {
        var name = $"ui-revoked-{Guid.NewGuid():N}";
        var browser = app.Browser();
        (await browser.SignInAsync(await app.TokenAsync(name, "reader"))).Dispose();
        await browser.PageAsync("/");

        var admin = app.ClientWithToken(await app.TokenAsync($"ui-admin-{Guid.NewGuid():N}", "admin"));
        (await admin.DeleteAsync($"/api/v1/tokens/{name}")).EnsureSuccessStatusCode();

        using var after = await browser.GetAsync("/");
        Assert.Equal(302, (int)after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        var browser = app.Browser();
        (await browser.SignInAsync(await app.TokenAsync($"ui-out-{Guid.NewGuid():N}", "reader"))).Dispose();
        using var signedOut = await browser.PostFormAsync("/", "/signout", []);
        Assert.Equal("/signin?signedout=1", signedOut.Headers.Location?.OriginalString);
        using var after = await browser.GetAsync("/");
        Assert.Equal(302, (int)after.StatusCode);
    }

    [Fact]
    public async Task A_sign_in_without_the_anti_forgery_token_is_refused()
    {
        var token = await app.TokenAsync($"ui-csrf-{Guid.NewGuid():N}", "reader");
        using var response = await app.Browser().PostAsync("/signin", new FormUrlEncodedContent([KeyValuePair.Create("token", token)]));
        Assert.Equal(400, (int)response.StatusCode);
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("https://evil.example/")]
    [InlineData("/\\evil.example")]
    public async Task The_return_address_after_sign_in_stays_on_this_server(string returnUrl)
    {
        using var response = await app.Browser().SignInAsync(await app.TokenAsync($"ui-ret-{Guid.NewGuid():N}", "reader"), returnUrl);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task The_api_does_not_accept_the_session_cookie()
    {
        var browser = app.Browser();
        (await browser.SignInAsync(await app.TokenAsync($"ui-api-{Guid.NewGuid():N}", "admin"))).Dispose();
        using var response = await browser.GetAsync("/api/v1/models");
        Assert.Equal(401, (int)response.StatusCode);
    }
}
