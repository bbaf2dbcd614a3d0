using Cairn.Server.Mlflow;
using Cairn.Tracking;

namespace Cairn.Server.Ui.Pages.Runs;

/// <summary>
/// A run's artifact file for the web UI (downloads and the run page's image previews): the same file MLflow's
/// <c>/get-artifact</c> sends, typed and sent as an attachment as that route sends it, but authenticated by the UI's
/// session, which the API routes never read.
/// </summary>
public static class RunArtifactFiles
{
    /// <summary>Maps <c>/runs/{runId}/artifacts/file?path=</c>.</summary>
    public static void MapRunArtifactFiles(this IEndpointRouteBuilder app) =>
        app.MapMethods("/runs/{runId}/artifacts/file", [HttpMethods.Get, HttpMethods.Head], SendAsync)
            .WithMetadata(new UiEndpointAttribute()).ExcludeFromDescription();

    private static async Task<IResult> SendAsync(HttpContext context, string runId, string? path, TrackingStore tracking, RunArtifacts artifacts)
    {
        var caller = context.UiCaller();
        try
        {
            var safe = TrackingArtifacts.CheckPath(string.IsNullOrEmpty(path) ? throw new InvalidParameterException("Request must specify path.") : path);
            var run = await tracking.GetRunInfoAsync(caller, runId, context.RequestAborted);
            var file = await artifacts.OpenRunFileAsync(caller, run.ArtifactUri, safe, context.RequestAborted);
            // Never sniffed: a file a user logged must not become a page of this site.
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
            return FileDownloads.Send(context, file.Content, MlflowArtifactsApi.ContentTypeOf(file.FileName), file.FileName, file.Version?.LastModified, file.Version?.Tag);
        }
        catch (NotFoundException e)
        {
            return Results.Text(e.Message, statusCode: StatusCodes.Status404NotFound);
        }
        catch (InvalidParameterException e)
        {
            return Results.Text(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        catch (PermissionDeniedException e)
        {
            return Results.Text(e.Message, statusCode: StatusCodes.Status403Forbidden);
        }
    }
}
