using System.Globalization;
using System.Text;
using Cairn.Documents;
using Cairn.Governance.Cards;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cairn.Server.Api;

/// <summary>Model cards: <c>/api/v1/models/{full_name}/versions/{n}/card</c>.</summary>
public static class ModelCardsApi
{
    /// <summary>The formats <c>GET …/card?format=</c> answers in.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["json", "mct", "md", "html", "pdf"];

    public static RouteGroupBuilder MapModelCardsApi(this RouteGroupBuilder api)
    {
        var card = api.MapGroup("/models/{fullName}/versions/{version}/card").WithTags("Model cards");
        card.MapGet("/", GetAsync).WithSummary("A version's model card: json (Cairn's), mct (Model Card Toolkit v0.0.2 JSON), md, html or pdf");
        card.MapPut("/", PutAsync).WithSummary("Write the card's sections and risk rating (writer); a submitted or approved card goes back to Draft");
        card.MapPost("/submit", SubmitAsync).WithSummary("Send a Draft card for review (writer)");
        card.MapPost("/approve", ApproveAsync).WithSummary("Approve a card under review (approver; not its last editor or submitter)");
        card.MapPost("/return", ReturnAsync).WithSummary("Return a card under review to Draft with a comment (approver)");
        return api;
    }

    public static Task<IResult> GetAsync(string fullName, string version, HttpContext http, ModelCards cards, TimeProvider clock, CancellationToken cancellationToken, string? format = null) =>
        RespondAsync(http, http.Caller(), cards, clock, fullName, VersionsApi.Number(version), format, cancellationToken);

    /// <summary>The card in <paramref name="format"/> for <paramref name="caller"/>: the API's answer, and the web UI's downloads.</summary>
    internal static async Task<IResult> RespondAsync(
        HttpContext http, Governance.Caller caller, ModelCards cards, TimeProvider clock, string fullName, int n, string? format, CancellationToken cancellationToken)
    {
        var kind = (format ?? "json").Trim().ToLowerInvariant();
        if (!Formats.Contains(kind))
        {
            throw new InvalidParameterException($"'format' must be one of {string.Join(", ", Formats)}; got '{format}'.");
        }
        var card = await cards.GetAsync(caller, fullName, n, cancellationToken);
        var file = $"{fullName}-v{n.ToString(CultureInfo.InvariantCulture)}-model-card";
        return kind switch
        {
            "json" => TypedResults.Ok(card),
            "mct" => TypedResults.Text(ModelCardFormats.ToMct(card).ToJsonString(), "application/json", Encoding.UTF8),
            "md" => Download(http, Encoding.UTF8.GetBytes(MarkdownRenderer.Render(ModelCardFormats.ToDocument(card, clock.GetUtcNow()))), "text/markdown; charset=utf-8", file + ".md", inline: true),
            "html" => Download(http, Encoding.UTF8.GetBytes(HtmlRenderer.Render(ModelCardFormats.ToDocument(card, clock.GetUtcNow()))), "text/html; charset=utf-8", file + ".html", inline: true),
            _ => Download(http, PdfRenderer.Render(ModelCardFormats.ToDocument(card, clock.GetUtcNow())), "application/pdf", file + ".pdf", inline: false),
        };
    }

    // A rendered card is a file: named for saving, and never sniffed into something else.
    private static FileContentHttpResult Download(HttpContext http, byte[] bytes, string contentType, string name, bool inline)
    {
        http.Response.Headers.XContentTypeOptions = "nosniff";
        if (inline)
        {
            // Shown in the browser, but the HTML runs nothing: its own scripts would be the only ones, and it has none.
            http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
            http.Response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { Inline = true, FileName = name }.ToString();
            return TypedResults.File(bytes, contentType);
        }
        return TypedResults.File(bytes, contentType, name);
    }

    public static async Task<Ok<ModelCard>> PutAsync(string fullName, string version, PutModelCardRequest request, HttpContext http, ModelCards cards, CancellationToken cancellationToken) =>
        TypedResults.Ok(await cards.PutAsync(http.Caller(), fullName, VersionsApi.Number(version), request, cancellationToken));

    public static async Task<Ok<ModelCard>> SubmitAsync(string fullName, string version, HttpContext http, ModelCards cards, CancellationToken cancellationToken, CardStepRequest? request = null) =>
        TypedResults.Ok(await cards.SubmitAsync(http.Caller(), fullName, VersionsApi.Number(version), request ?? new CardStepRequest(), cancellationToken));

    public static async Task<Ok<ModelCard>> ApproveAsync(string fullName, string version, HttpContext http, ModelCards cards, CancellationToken cancellationToken, CardStepRequest? request = null) =>
        TypedResults.Ok(await cards.ApproveAsync(http.Caller(), fullName, VersionsApi.Number(version), request ?? new CardStepRequest(), cancellationToken));

    public static async Task<Ok<ModelCard>> ReturnAsync(string fullName, string version, HttpContext http, ModelCards cards, CancellationToken cancellationToken, CardStepRequest? request = null) =>
        TypedResults.Ok(await cards.ReturnAsync(http.Caller(), fullName, VersionsApi.Number(version), request ?? new CardStepRequest(), cancellationToken));
}
