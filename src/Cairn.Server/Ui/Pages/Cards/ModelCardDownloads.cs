using Cairn.Governance.Cards;
using Cairn.Server.Api;

namespace Cairn.Server.Ui.Pages.Cards;

/// <summary>
/// A card's renderings downloaded from the UI with the signed-in session's caller (the API reads only the
/// Authorization header, which a link cannot send): the same answer as <c>GET /api/v1/…/card?format=</c>.
/// </summary>
internal static class ModelCardDownloads
{
    public static void MapModelCardDownloads(this WebApplication app) =>
        app.MapGet("/models/{fullName}/versions/{version:int}/card/download/{format}", (string fullName, int version, string format, HttpContext http, ModelCards cards, TimeProvider clock) =>
                ModelCardsApi.RespondAsync(http, http.UiCaller(), cards, clock, fullName, version, format, http.RequestAborted))
            .WithMetadata(new UiEndpointAttribute()).ExcludeFromDescription();
}
