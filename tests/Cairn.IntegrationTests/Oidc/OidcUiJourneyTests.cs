using System.Text.RegularExpressions;
using Cairn.IntegrationTests.Ui;
using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Oidc;

/// <summary>
/// The web UI signs in through a real OpenID provider in Chromium (authorization code + PKCE), shows the user, and
/// signs out at Cairn and at the provider (RP-initiated logout).
/// </summary>
[Collection(UiBrowser.Collection)]
public sealed partial class OidcUiJourneyTests(UiBrowser browser, OidcFixture fixture) : IClassFixture<OidcFixture>
{
    [GeneratedRegex("/interaction/")]
    private static partial Regex ProviderLogin();

    [Fact]
    public async Task A_user_signs_in_with_the_provider_sees_what_the_groups_bindings_allow_and_signs_out()
    {
        await fixture.GrantAsync("group", "ml-team", "reader");
        await using var ui = await browser.OpenAsync(fixture.Cairn.Url);
        // The provider lives on another origin, which the fixture's pages refuse by default.
        await ui.Page.Context.UnrouteAllAsync();
        var page = ui.Page;

        await page.GotoAsync("/");
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Test IdP" }).ClickAsync();

        await page.WaitForURLAsync(ProviderLogin());
        await page.Locator("input[name=login]").FillAsync("alice");
        await page.Locator("input[name=password]").FillAsync("any");
        await browser.Screenshot(page, "oidc-provider-login", fullPage: false);
        await page.Locator("button[type=submit]").ClickAsync();

        // The way back is the slowest step of the suite's heaviest minutes (the code exchanged with the provider, the first
        // signed-in page rendered): once it took longer than Playwright's 30 s default while the PostgreSQL tests ran beside.
        await page.WaitForURLAsync(new Regex("^" + Regex.Escape(fixture.Cairn.Url) + "/(models)?$"), new() { Timeout = 90_000 });
        await Assertions.Expect(page.Locator(".who")).ToHaveTextAsync("alice");
        await browser.Screenshot(page, "oidc-signed-in", fullPage: false);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        // The provider asks to confirm ending its own session, then sends the browser back to Cairn.
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, sign me out" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin\\?signedout=1$"));
        await Assertions.Expect(page.GetByText("You have signed out.")).ToBeVisibleAsync();

        // The session is gone: the UI sends the browser to the sign-in page again.
        await page.GotoAsync("/");
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
    }
}
