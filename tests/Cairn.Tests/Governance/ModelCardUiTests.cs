using System.Net;
using Cairn.Tests.Api;
using Cairn.Tests.Ui;

namespace Cairn.Tests.Cards;

/// <summary>The web UI's model card page: viewer, editor and review buttons by role, downloads with the session.</summary>
public sealed class ModelCardUiTests(CardPeople people) : IClassFixture<CardPeople>
{
    private async Task<HttpClient> SignedInAsync(string name, string role, string ns = "/")
    {
        var browser = people.App.Browser();
        var signedIn = await browser.SignInAsync(await people.App.TokenAsync(name + "-" + Guid.NewGuid().ToString("N")[..6], role, ns));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return browser;
    }

    private static KeyValuePair<string, string> F(string key, string value) => KeyValuePair.Create(key, value);

    [Fact]
    public async Task A_writer_edits_and_submits_and_another_approver_approves_in_the_browser()
    {
        var model = await people.ModelWithLineageAsync();
        var page = $"/models/{model}/versions/1/card";
        var writer = await SignedInAsync("ui-writer", "writer");

        var version = await writer.PageAsync($"/models/{model}/versions/1");
        Assert.Contains($"href=\"{page}\"", version, StringComparison.Ordinal);
        var empty = await writer.PageAsync(page);
        Assert.Contains("Draft", empty, StringComparison.Ordinal);
        Assert.Contains("card-save", empty, StringComparison.Ordinal);
        Assert.DoesNotContain("card-submit", empty, StringComparison.Ordinal);
        Assert.DoesNotContain("card-approve", empty, StringComparison.Ordinal);

        var saved = await writer.PostFormAsync(page, page,
        [
            F("_handler", "card-edit"), F("Edit.RiskRating", "Medium"), F("Edit.Overview", "Scores <b>claims</b>"),
            F("Edit.PrimaryUses", "Triage\nAudit sampling"), F("Edit.Limitations", "Not for claims above 100k"),
            F("Edit.Ethical", "Regional bias — quarterly review"),
        ]);
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var written = await writer.PageAsync(page);
        Assert.Contains("Scores &lt;b&gt;claims&lt;/b&gt;", written, StringComparison.Ordinal);
        Assert.Contains("Audit sampling", written, StringComparison.Ordinal);
        Assert.Contains("risk: Medium", written, StringComparison.Ordinal);
        Assert.Contains("card-submit", written, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Redirect, (await writer.PostFormAsync(page, page, [F("_handler", "card-submit"), F("Submit.Comment", "")])).StatusCode);
        var pending = await writer.PageAsync(page);
        Assert.Contains("PendingReview", pending, StringComparison.Ordinal);
        Assert.DoesNotContain("card-approve", pending, StringComparison.Ordinal);

        var approver = await SignedInAsync("ui-approver", "approver");
        var review = await approver.PageAsync(page);
        Assert.Contains("card-approve", review, StringComparison.Ordinal);
        Assert.Contains("card-return", review, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await approver.PostFormAsync(page, page, [F("_handler", "card-approve"), F("Approve.Comment", "")])).StatusCode);
        Assert.Contains("Approved", await approver.PageAsync(page), StringComparison.Ordinal);

        var pdf = await writer.GetAsync($"{page}/download/pdf");
        Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
        var md = await (await writer.GetAsync($"{page}/download/md")).Content.ReadAsStringAsync();
        Assert.Contains("Card: **Approved**", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_sees_the_card_without_the_editor_and_cannot_post_it()
    {
        var model = await people.ModelWithLineageAsync();
        var page = $"/models/{model}/versions/1/card";
        var reader = await SignedInAsync("ui-reader", "reader", "/risk");

        var html = await reader.PageAsync(page);
        Assert.Contains("Model card", html, StringComparison.Ordinal);
        Assert.DoesNotContain("card-save", html, StringComparison.Ordinal);
        Assert.Contains($"{page}/download/html", html, StringComparison.Ordinal);

        // With a valid anti-forgery token (the sign-out form's), a post of the editor the reader was never shown is refused
        // (no such form on the reader's page), and nothing is written.
        var refused = await reader.PostFormAsync(page, page, [F("_handler", "card-edit"), F("Edit.Overview", "x")]);
        Assert.False(refused.IsSuccessStatusCode || refused.StatusCode == HttpStatusCode.Redirect);
        var card = await (await people.Writer.GetAsync($"/api/v1/models/{model}/versions/1/card")).ExpectAsync(200);
        Assert.Null(card["review"]!["updated_by"]);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused()
    {
        var model = await people.ModelWithLineageAsync();
        var writer = await SignedInAsync("ui-writer-2", "writer");

        var response = await writer.PostAsync($"/models/{model}/versions/1/card",
            new FormUrlEncodedContent([F("_handler", "card-edit"), F("Edit.Overview", "x")]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var card = await (await people.Writer.GetAsync($"/api/v1/models/{model}/versions/1/card")).ExpectAsync(200);
        Assert.Null(card["review"]!["updated_by"]);
    }

    [Fact]
    public async Task A_card_of_a_missing_version_is_a_404_page()
    {
        var model = await people.ModelWithLineageAsync();
        var writer = await SignedInAsync("ui-writer-3", "writer");

        var response = await writer.GetAsync($"/models/{model}/versions/7/card");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
