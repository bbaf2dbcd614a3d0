using System.Net;
using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// Issue 15's journeys "sign in with a token as a reader and see that write actions are absent and refused" and an
/// admin managing tokens, in Chromium against <c>cairn serve --auth token</c>.
/// </summary>
[Collection(UiBrowser.Collection)]
public sealed class UiSignInJourneys(UiBrowser browser, UiTokenServerFixture fixture) : IClassFixture<UiTokenServerFixture>
{
    [Fact]
    public async Task A_reader_signs_in_with_a_token_sees_no_write_action_and_a_forged_write_is_refused()
    {
        var server = fixture.Server;
        await server.SeedAsync("/api/v1/models", new { @namespace = "/journey_reader", model_name = "churn" });
        var reader = await server.CreateTokenAsync("journey-reader", "reader");
        await using var ui = await browser.OpenAsync(server.Url);
        var page = ui.Page;

        await UiBrowser.SignInAsync(page, reader);
        await page.GetByRole(AriaRole.Link, new() { Name = "churn" }).WaitForAsync();
        await browser.Screenshot(page, "reader-models");

        // Absent: no admin or audit entry, no form that writes except signing out.
        Assert.Equal(0, await page.Locator("nav.mainnav a[href='/admin/tokens']").CountAsync());
        Assert.Equal(0, await page.Locator("nav.mainnav a[href='/audit']").CountAsync());
        Assert.Equal(["/signout"], await page.Locator("form[method='post']").EvaluateAllAsync<string[]>("forms => forms.map(f => f.getAttribute('action'))"));
        Assert.Contains("journey-reader", await page.Locator(".who").InnerTextAsync(), StringComparison.Ordinal);

        // The admin page by its address: a 403 state, no form.
        var forbidden = await page.GotoAsync("/admin/tokens");
        Assert.Equal((int)HttpStatusCode.Forbidden, forbidden!.Status);
        await page.GetByText("needs the admin role").WaitForAsync();
        Assert.Equal(0, await page.Locator("form[method='post'] button.primary").CountAsync());
        await browser.Screenshot(page, "reader-admin-tokens-forbidden");

        // Refused: the admin's create form posted from the reader's session, with the session's own anti-forgery token.
        await page.GotoAsync("/");
        var status = await page.EvaluateAsync<int>("""
            async () => {
              const form = new FormData();
              form.set('__RequestVerificationToken', document.querySelector('input[name=__RequestVerificationToken]').value);
              form.set('_handler', 'token-create');
              form.set('Create.Name', 'journey-forged');
              form.set('Create.Role', 'admin');
              form.set('Create.Namespace', '/');
              const response = await fetch('/admin/tokens', { method: 'POST', body: new URLSearchParams(form) });
              return response.status;
            }
            """);
        Assert.True(status is 400 or 403, $"The reader's forged create answered {status}.");
        var tokens = await server.Api.GetStringAsync("/api/v1/tokens");
        Assert.DoesNotContain("journey-forged", tokens, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_creates_a_token_sees_its_secret_once_and_revokes_it()
    {
        var server = fixture.Server;
        await using var ui = await browser.OpenAsync(server.Url);
        var page = ui.Page;
        await UiBrowser.SignInAsync(page, server.AdminToken!);

        await page.GetByRole(AriaRole.Link, new() { Name = "Admin", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/admin/tokens");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("journey-ci");
        await page.Locator("select[name='Create.Role']").SelectOptionAsync("writer");
        await page.GetByLabel("Namespace").FillAsync("/journey");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();

        var secretField = page.Locator("input.secret");
        await secretField.WaitForAsync();
        var secret = await secretField.InputValueAsync();
        Assert.StartsWith("cairn_", secret, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, page.Url, StringComparison.Ordinal);
        await browser.Screenshot(page, "admin-token-created");

        // Never again: the list shows the token, not its secret.
        await page.GotoAsync("/admin/tokens");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        var row = page.Locator("tr", new() { Has = page.GetByText("journey-ci", new() { Exact = true }) });
        Assert.Contains("/journey", await row.InnerTextAsync(), StringComparison.Ordinal);

        // Revoke, confirming the browser's dialog that cairn.js opens for data-confirm.
        string? asked = null;
        page.Dialog += async (_, dialog) =>
        {
            asked = dialog.Message;
            await dialog.AcceptAsync();
        };
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await page.GetByText("was revoked").WaitForAsync();
        Assert.Contains("journey-ci", asked, StringComparison.Ordinal);
        await browser.Screenshot(page, "admin-tokens");
        ui.AssertNoConsoleErrors();

        // The revoked token no longer signs in.
        await using var other = await browser.OpenAsync(server.Url);
        await other.Page.GotoAsync("/signin");
        await other.Page.GetByLabel("API token").FillAsync(secret);
        await other.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await other.Page.GetByText("not accepted").WaitForAsync();
    }
}

/// <summary>Issue 15's journey "verify the audit chain", in Chromium against <c>cairn serve --auth none</c>.</summary>
[Collection(UiBrowser.Collection)]
public sealed class UiAuditJourneys(UiBrowser browser, UiServerFixture fixture) : IClassFixture<UiServerFixture>
{
    [Fact]
    public async Task The_audit_log_is_filtered_and_its_chain_verified()
    {
        var server = fixture.Server;
        await server.SeedAsync("/api/v1/models", new { @namespace = "/journey_audit", model_name = "fraud", description = "Scores card payments" });
        await server.SeedAsync("/api/v1/models/journey_audit.fraud/versions", new { });
        await server.SeedAsync("/api/v1/models/journey_audit.fraud/versions/1/stage", new { stage = "Staging" });
        await using var ui = await browser.OpenAsync(server.Url);
        var page = ui.Page;

        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/audit");
        await page.GetByText("version.stage").First.WaitForAsync();
        await page.Locator("details.audit-change summary").First.ClickAsync();
        await browser.Screenshot(page, "audit");

        await page.GetByLabel("Action", new() { Exact = true }).FillAsync("version.stage");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await page.WaitForURLAsync("**/audit?**action=version.stage**");
        Assert.Equal(1, await page.Locator("table.audit tbody tr").CountAsync());
        await page.GetByRole(AriaRole.Link, new() { Name = "models/journey_audit.fraud/versions/1" }).WaitForAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Verify chain" }).ClickAsync();
        await page.WaitForURLAsync("**/audit/verify");
        await page.GetByText("The audit chain is intact").WaitForAsync();
        Assert.Matches("^[0-9a-f]{64}$", await page.Locator("code.hash").InnerTextAsync());
        await browser.Screenshot(page, "audit-verify");
        ui.AssertNoConsoleErrors();
    }
}
