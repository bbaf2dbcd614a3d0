using Cairn.Artifacts;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Tracking;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.StaticFiles;

namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow's artifact proxy (mlflow_artifacts.proto): clients turn <c>mlflow-artifacts:/path</c> into
/// <c>/api/2.0/mlflow-artifacts/artifacts/path</c> and stream files through the server, which keeps them under the
/// artifacts destination at those same paths. Also the run-scoped <c>artifacts/list</c> of the tracking API.
/// </summary>
internal static class MlflowArtifactsApi
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>
    /// What MLflow's server sends as text/plain (mlflow/utils/mime_type_utils.py), by extension or, for a name without
    /// one, the whole name, compared as MLflow compares it: case-sensitively, so "MLmodel" and "mlproject" (the file
    /// names as MLflow spells them in that list) are text and "MLproject" is not.
    /// </summary>
    private static readonly HashSet<string> TextExtensions =
    [
        "txt", "log", "err", "cfg", "conf", "cnf", "cf", "ini", "properties", "prop", "hocon", "toml", "yaml", "yml",
        "xml", "json", "js", "py", "py3", "csv", "tsv", "md", "rst", "MLmodel", "mlproject",
    ];

    /// <summary>The artifact proxy under <c>/api/2.0/mlflow-artifacts</c> (and the ajax-api prefix).</summary>
    public static RouteGroupBuilder MapMlflowArtifacts(this RouteGroupBuilder group)
    {
        group.MapPut("/artifacts/{**path}", UploadAsync);
        // HEAD with every GET, as Flask maps it for MLflow's routes.
        group.MapMethods("/artifacts/{**path}", [HttpMethods.Get, HttpMethods.Head], DownloadAsync);
        group.MapGet("/artifacts", ListAsync);
        group.MapDelete("/artifacts/{**path}", DeleteAsync);
        group.MapPost("/mpu/create/{**path}", (string path, HttpContext context) => MultipartAsync(path, context, "path"));
        group.MapPost("/mpu/complete/{**path}", (string path, HttpContext context) => MultipartAsync(path, context, "path", "parts"));
        group.MapPost("/mpu/abort/{**path}", (string path, HttpContext context) => MultipartAsync(path, context, "path"));
        return group;
    }

    /// <summary><c>artifacts/list</c> for runs, under the tracking prefixes.</summary>
    public static RouteGroupBuilder MapMlflowRunArtifacts(this RouteGroupBuilder group)
    {
        group.MapGet("/artifacts/list", ListRunAsync);
        return group;
    }

    /// <summary><c>upload-artifact</c>, which MLflow maps only under the ajax prefix: its web UI's upload of one small file into a run.</summary>
    public static RouteGroupBuilder MapMlflowArtifactsAjax(this RouteGroupBuilder group)
    {
        group.MapPost("/upload-artifact", UploadRunArtifactAsync);
        return group;
    }

    /// <summary>The downloads MLflow's server maps at its root: a run's file, and a model version's file.</summary>
    public static RouteGroupBuilder MapMlflowRootArtifacts(this RouteGroupBuilder group)
    {
        group.MapMethods("/get-artifact", [HttpMethods.Get, HttpMethods.Head], GetRunArtifactAsync);
        group.MapMethods("/model-versions/get-artifact", [HttpMethods.Get, HttpMethods.Head], GetModelVersionArtifactAsync);
        return group;
    }

    /// <summary>MLflow's limit on upload-artifact's body (10 MB).</summary>
    private const long MaxUploadArtifactBytes = 10 * 1024 * 1024;

    private static async Task<IResult> UploadRunArtifactAsync(HttpContext context, TrackingStore tracking, RunArtifacts artifacts)
    {
        var query = context.Request.Query;
        var runId = query["run_uuid"].FirstOrDefault();
        if (string.IsNullOrEmpty(runId))
        {
            throw new InvalidParameterException("Request must specify run_uuid.");
        }
        var path = query["path"].FirstOrDefault();
        if (string.IsNullOrEmpty(path))
        {
            throw new InvalidParameterException("Request must specify path.");
        }
        TrackingArtifacts.CheckPath(path);
        if (context.Request.ContentLength > MaxUploadArtifactBytes)
        {
            throw new InvalidParameterException("Artifact size is too large. Max size is 10MB.");
        }
        // MLflow reads the whole (small) body before anything else; so does this, bounded by the limit.
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        if (body.Length > MaxUploadArtifactBytes)
        {
            throw new InvalidParameterException("Artifact size is too large. Max size is 10MB.");
        }
        if (body.Length == 0)
        {
            throw new InvalidParameterException("Request must specify data.");
        }
        var run = await tracking.GetRunInfoAsync(context.Caller(), runId, context.RequestAborted);
        body.Position = 0;
        await artifacts.PutRunFileAsync(context.Caller(), run.ArtifactUri, path, body, context.RequestAborted);
        return Results.Empty;
    }

    /// <summary><c>/get-artifact?run_id=&amp;path=</c>: one file of a run, typed and sent as an attachment as MLflow sends it.</summary>
    private static async Task<IResult> GetRunArtifactAsync(HttpContext context, TrackingStore tracking, RunArtifacts artifacts)
    {
        var query = context.Request.Query;
        var runId = query["run_id"].FirstOrDefault() is { Length: > 0 } id ? id : query["run_uuid"].FirstOrDefault();
        var path = RequiredPath(query);
        var run = await tracking.GetRunInfoAsync(context.Caller(), runId, context.RequestAborted);
        return Attachment(context, await artifacts.OpenRunFileAsync(context.Caller(), run.ArtifactUri, path, context.RequestAborted));
    }

    /// <summary><c>/model-versions/get-artifact?name=&amp;version=&amp;path=</c>: one file under a model version's download URI.</summary>
    private static async Task<IResult> GetModelVersionArtifactAsync(HttpContext context, [AsParameters] MlflowRegistryApi.Services services, RunArtifacts artifacts)
    {
        var query = context.Request.Query;
        var path = RequiredPath(query);
        var name = query["name"].FirstOrDefault() is { Length: > 0 } given ? given : throw TrackingLimits.Missing("name");
        var version = await MlflowRegistryApi.GetVersionAsync(context, services, name, MlflowRegistryApi.Version(query["version"].FirstOrDefault()));
        var uri = await MlflowRegistryApi.DownloadUriAsync(context, services, version)
            ?? throw new NotFoundException($"Model version {name} {version.Version} has no source to read files from.");
        return Attachment(context, await artifacts.OpenRunFileAsync(context.Caller(), uri, path, context.RequestAborted));
    }

    /// <summary>The <c>path</c> query parameter, checked as MLflow's <c>validate_path_is_safe</c> checks it.</summary>
    private static string RequiredPath(IQueryCollection query) =>
        TrackingArtifacts.CheckPath(query["path"].FirstOrDefault() is { } path ? path : throw TrackingLimits.Missing("path"));

    /// <summary>A file as MLflow sends downloads: its type by MLflow's rules, as an attachment, never sniffed (against XSS).</summary>
    private static IResult Attachment(HttpContext context, ArtifactContent file)
    {
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return FileDownloads.Send(context, file.Content, ContentTypeOf(file.FileName), file.FileName, file.Version?.LastModified, file.Version?.Tag);
    }

    /// <summary>PUT: the body streams into the destination's staging (hashed on the way) and appears when complete.</summary>
    private static async Task<IResult> UploadAsync(string path, HttpContext context, RunArtifacts artifacts)
    {
        // The server's own limit (Cairn:MaxFileBytes) applies while streaming; Kestrel's 30 MB default must not.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
        try
        {
            await artifacts.PutAsync(context.Caller(), path, context.Request.Body, context.Request.ContentLength, context.RequestAborted);
        }
        catch (PayloadTooLargeException e)
        {
            // 413, not the 429 MLflow gives REQUEST_LIMIT_EXCEEDED: MLflow's client retries a 429, and a file too large stays too large.
            return Results.Json(new { error_code = MlflowErrors.RequestLimitExceeded, message = e.Message }, MlflowJson.Options, statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        return MlflowJson.Empty;
    }

    /// <summary>GET of a file: streamed, with ranges, typed as MLflow types it and sent as an attachment (as MLflow does, against XSS).</summary>
    private static async Task<IResult> DownloadAsync(string path, HttpContext context, RunArtifacts artifacts)
    {
        return Attachment(context, await artifacts.OpenAsync(context.Caller(), path, context.RequestAborted));
    }

    private static async Task<IResult> ListAsync(HttpContext context, RunArtifacts artifacts)
    {
        var files = await artifacts.ListProxyAsync(context.Caller(), context.Request.Query["path"].LastOrDefault(), context.RequestAborted);
        // Protobuf's JSON leaves an empty repeated field out: nothing listed is {}.
        return MlflowJson.Ok(new { files = files.Count == 0 ? null : files });
    }

    private static async Task<IResult> DeleteAsync(string path, HttpContext context, RunArtifacts artifacts)
    {
        await artifacts.DeleteAsync(context.Caller(), path, context.RequestAborted);
        return MlflowJson.Empty;
    }

    /// <summary>
    /// Multipart uploads: MLflow offers them only for object stores (S3, GCS, Azure), and for a local destination
    /// answers NOT_IMPLEMENTED once the path and the request are valid, which tells its client to send one PUT instead.
    /// </summary>
    private static async Task<IResult> MultipartAsync(string path, HttpContext context, params string[] required)
    {
        context.Caller().Require(Role.Writer, NamespacePath.Root);
        TrackingArtifacts.CheckPath(path);
        var request = await MlflowJson.ReadAsync<MultipartRequest>(context);
        foreach (var field in required)
        {
            if (field == "path" ? string.IsNullOrEmpty(request.Path) : request.Parts is null)
            {
                throw TrackingLimits.Missing(field);
            }
        }
        throw MlflowErrors.Error(MlflowErrors.NotImplemented, "Multipart upload is not supported for the current artifact repository");
    }

    private static async Task<IResult> ListRunAsync(HttpContext context, TrackingStore tracking, RunArtifacts artifacts)
    {
        var query = context.Request.Query;
        var runId = query["run_id"].LastOrDefault() is { Length: > 0 } id ? id : query["run_uuid"].LastOrDefault();
        if (string.IsNullOrEmpty(runId))
        {
            throw TrackingLimits.Missing("run_id");
        }
        var path = query["path"].LastOrDefault();
        if (!string.IsNullOrEmpty(path))
        {
            TrackingArtifacts.CheckPath(path.TrimEnd('/'));
        }
        var run = await tracking.GetRunInfoAsync(context.Caller(), runId, context.RequestAborted);
        var files = await artifacts.ListRunAsync(context.Caller(), run.ArtifactUri, path, context.RequestAborted);
        return MlflowJson.Ok(new { root_uri = run.ArtifactUri, files = files.Count == 0 ? null : files });
    }

    /// <summary>MLflow's choice: text/plain for its text formats, else the extension's type, else application/octet-stream.</summary>
    internal static string ContentTypeOf(string fileName)
    {
        var extension = Path.GetExtension(fileName).TrimStart('.');
        return TextExtensions.Contains(extension.Length == 0 ? fileName : extension) ? "text/plain"
            : ContentTypes.TryGetContentType(fileName, out var type) ? type
            : "application/octet-stream";
    }

    /// <summary>The fields of CreateMultipartUpload, CompleteMultipartUpload and AbortMultipartUpload that are checked.</summary>
    private sealed class MultipartRequest
    {
        public string? Path { get; set; }

        public long? NumParts { get; set; }

        public string? UploadId { get; set; }

        public System.Text.Json.Nodes.JsonArray? Parts { get; set; }
    }
}
