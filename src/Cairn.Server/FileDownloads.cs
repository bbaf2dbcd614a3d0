using Microsoft.Net.Http.Headers;

namespace Cairn.Server;

/// <summary>
/// How every file download is answered, on the native API and MLflow's alike: streamed by the framework's file result,
/// which serves HEAD, Range (206, 416), If-Range, If-None-Match and If-Match from the seekable stream and disposes it.
/// </summary>
internal static class FileDownloads
{
    /// <summary>
    /// The file, with <paramref name="lastModified"/> and <paramref name="entityTag"/> (unquoted) as its validators when
    /// known, as an attachment named <paramref name="downloadName"/> when one is given.
    /// </summary>
    public static IResult Send(HttpContext context, Stream content, string contentType, string? downloadName, DateTimeOffset? lastModified, string? entityTag)
    {
        var etag = entityTag is not null && EntityTagHeaderValue.TryParse($"\"{entityTag}\"", out var parsed) ? parsed : null;
        var headers = context.Request.Headers;
        if (headers.Range.Count > 0)
        {
            // A range in a unit other than bytes is not one this server knows: ignored, the whole file (RFC 9110 14.2).
            var otherUnit = !RangeHeaderValue.TryParse(headers.Range.ToString(), out var range)
                || !range.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase);
            // If-Range asks for the range only of the version the caller has; with no validator to compare, that cannot
            // be known, so the whole file it is (RFC 9110 13.1.5). The framework would serve the range regardless.
            var unverifiable = headers.IfRange.Count > 0 && etag is null && lastModified is null;
            if (otherUnit || unverifiable)
            {
                headers.Remove(HeaderNames.Range);
            }
        }
        return TypedResults.File(new Observability.CountedDownload(content), contentType, downloadName, lastModified, etag, enableRangeProcessing: true);
    }
}
