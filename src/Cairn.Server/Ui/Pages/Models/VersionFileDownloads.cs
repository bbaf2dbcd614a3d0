using Cairn.Artifacts;
using Cairn.Server.Api;

namespace Cairn.Server.Ui.Pages.Models;

/// <summary>
/// A version's file downloaded from the UI, with the signed-in session's caller: the API's download route reads only
/// the Authorization header, which a browser link cannot send. Same streaming, ETag (the SHA-256) and ranges.
/// </summary>
internal static class VersionFileDownloads
{
    public static void MapVersionFileDownloads(this WebApplication app) =>
        app.MapMethods("/models/{fullName}/versions/{version:int}/files/{**path}", [HttpMethods.Get, HttpMethods.Head], DownloadAsync)
            .WithMetadata(new UiEndpointAttribute()).ExcludeFromDescription();

    private static async Task<IResult> DownloadAsync(string fullName, int version, string path, HttpContext http, VersionFiles files)
    {
        var (file, content) = await files.OpenAsync(http.UiCaller(), fullName, version, TagValue.Key(path), http.RequestAborted);
        return FileDownloads.Send(http, content, "application/octet-stream", file.Path.Split('/')[^1], file.CreatedAt, file.Sha256);
    }
}
