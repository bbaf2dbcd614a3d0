using Microsoft.Playwright;

namespace Cairn.IntegrationTests.Ui;

/// <summary>
/// Issue 17's model card journey in Chromium against <c>cairn serve --auth token</c>: a writer opens a version's card
/// from the version page, writes it and submits it; an approver (another person) approves it; the card then reads as
/// approved, with its downloads.
/// </summary>
[Collection(UiBrowser.Collection)]
public sealed class ModelCardJourneyTests(UiBrowser browser, UiTokenServerFixture fixture) : IClassFixture<UiTokenServerFixture>
{
    [Fact]
    public async Task A_writer_writes_and_submits_a_card_and_another_person_approves_it()
    {
        var server = fixture.Server;
        await server.SeedAsync("/api/v1/models", new { @namespace = "/journey_cards", model_name = "fraud", owner = "fraud-team" });
        await server.SeedAsync("/api/v1/models/journey_cards.fraud/versions", new { framework = "sklearn", metrics = new { auc = 0.91 } });
        var writer = await server.CreateTokenAsync("journey-card-writer", "writer");
        var approver = await server.CreateTokenAsync("journey-card-approver", "approver");

        await using (var ui = await browser.OpenAsync(server.Url))
        {
            var page = ui.Page;
            await UiBrowser.SignInAsync(page, writer);
            await page.GotoAsync("/models/journey_cards.fraud/versions/1");
            await page.GetByRole(AriaRole.Link, new() { Name = "Model card" }).ClickAsync();
            await page.WaitForURLAsync("**/versions/1/card");
            await page.Locator("select[name='Edit.RiskRating']").SelectOptionAsync("High");
            await page.Locator("input[name='Edit.Overview']").FillAsync("Flags likely fraudulent claims.");
            await page.Locator("textarea[name='Edit.PrimaryUses']").FillAsync("Prioritise claims for review");
            await page.Locator("textarea[name='Edit.Limitations']").FillAsync("Claims above 100k are rare in training");
            await page.Locator("#card-save").ClickAsync();
            await page.GetByText("Prioritise claims for review").First.WaitForAsync();
            await browser.Screenshot(page, "model-card-written");
            // The writer may submit but not approve.
            Assert.Equal(0, await page.Locator("#card-approve").CountAsync());
            await page.Locator("#card-submit").ClickAsync();
            await page.GetByText("PendingReview").First.WaitForAsync();
            Assert.Equal(0, await page.Locator("#card-approve").CountAsync());
        }

        await using (var ui = await browser.OpenAsync(server.Url))
        {
            var page = ui.Page;
            await UiBrowser.SignInAsync(page, approver);
            await page.GotoAsync("/models/journey_cards.fraud/versions/1/card");
            await browser.Screenshot(page, "model-card-review");
            await page.Locator("#card-approve").ClickAsync();
            await page.Locator(".page-head .badge.ok", new() { HasText = "Approved" }).WaitForAsync();
            await browser.Screenshot(page, "model-card-approved");
            Assert.Contains("risk: High", await page.Locator(".page-head").InnerTextAsync(), StringComparison.Ordinal);
            var pdf = await page.APIRequest.GetAsync("/models/journey_cards.fraud/versions/1/card/download/pdf");
            Assert.Equal(200, pdf.Status);
            Assert.Equal("application/pdf", pdf.Headers["content-type"]);
        }

        var card = await server.Api.GetStringAsync("/api/v1/models/journey_cards.fraud/versions/1/card");
        Assert.Contains("\"approved_by\":\"journey-card-approver\"", card, StringComparison.Ordinal);
    }
}
