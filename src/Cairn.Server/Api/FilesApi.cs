using Cairn.Artifacts;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Cairn.Server.Api;

public sealed record FileList(IReadOnlyList<VersionFile> Files);

/// <summary>Files of a version: <c>/api/v1/models/{full_name}/versions/{n}/files/{path}</c>, streamed both ways.</summary>
public static class FilesApi
{
    public static RouteGroupBuilder MapFilesApi(this RouteGroupBuilder api)
    {
        var files = api.MapGroup("/models/{fullName}/versions/{version}/files").WithTags("Files");
        files.MapGet("/", ListAsync).WithSummary("List a version's files with size, sha256 and detected format");
        files.MapPut("/{**path}", PutAsync).WithSummary("Upload a file (streamed; Content-MD5 / X-Checksum-Sha256 verified); the version must be PENDING_REGISTRATION")
            .Accepts<Stream>("application/octet-stream");
        files.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Head], GetAsync)
            .WithSummary("Download a file (streamed; ETag is its SHA-256; Range and If-Range supported; HEAD for its headers only)");
        files.MapDelete("/{**path}", DeleteAsync).WithSummary("Delete a file of a PENDING_REGISTRATION version");
        return api;
    }

    public static async Task<Ok<FileList>> ListAsync(string fullName, string version, HttpContext http, VersionFiles files, CancellationToken cancellationToken) =>
        TypedResults.Ok(new FileList(await files.ListAsync(http.Caller(), fullName, VersionsApi.Number(version), cancellationToken)));

    public static async Task<Created<VersionFile>> PutAsync(string fullName, string version, string path, HttpContext http, VersionFiles files, CancellationToken cancellationToken)
    {
        // The server's own limit (Cairn:MaxFileBytes) applies while streaming; Kestrel's 30 MB default must not.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
        var declared = new DeclaredChecksums(
            Header(http, HeaderNames.ContentMD5), Header(http, "X-Checksum-Sha256"));
        var stored = await files.PutAsync(http.Caller(), fullName, VersionsApi.Number(version), TagValue.Key(path), http.Request.Body, declared, cancellationToken);
        return TypedResults.Created($"{ApiPaths.Of("api/v1/models", fullName, "versions", version, "files")}/{ApiPaths.EscapePath(stored.Path)}", stored);
    }

    public static async Task<IResult> GetAsync(string fullName, string version, string path, HttpContext http, VersionFiles files, CancellationToken cancellationToken)
    {
        var (file, content) = await files.OpenAsync(http.Caller(), fullName, VersionsApi.Number(version), TagValue.Key(path), cancellationToken);
        return FileDownloads.Send(http, content, "application/octet-stream", downloadName: null, file.CreatedAt, file.Sha256);
    }

    public static async Task<NoContent> DeleteAsync(string fullName, string version, string path, HttpContext http, VersionFiles files, CancellationToken cancellationToken)
    {
        await files.DeleteAsync(http.Caller(), fullName, VersionsApi.Number(version), TagValue.Key(path), cancellationToken);
        return TypedResults.NoContent();
    }

    private static string? Header(HttpContext http, string name) =>
        http.Request.Headers.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.ToString().Trim() : null;
}
