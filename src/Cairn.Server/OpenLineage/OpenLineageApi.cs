using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Unicode;
using Cairn;
using Cairn.Artifacts;
using Cairn.Lineage;
using Cairn.Lineage.Marquez;
using Cairn.Lineage.OpenLineage;
using Cairn.Server.Api;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cairn.Server.OpenLineage;

/// <summary>
/// OpenLineage's HTTP endpoint: <c>POST /api/v1/lineage</c> takes one run, job or dataset event as OpenLineage clients'
/// HTTP transport sends it (the path is theirs and Marquez's), <c>POST /api/v1/lineage/batch</c> a JSON array of them;
/// <c>GET /api/v1/lineage?nodeId=</c> answers with the graph around a node in Marquez's shape, for tools built on it.
/// </summary>
public static class OpenLineageApi
{
    // Marquez's field names (inEdges, origin) are camelCase, unlike Cairn's own.
    private static readonly JsonSerializerOptions MarquezJson = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapOpenLineageApi(this RouteGroupBuilder api)
    {
        // OpenLineage's HTTP transport appends its configured url_params (a function key, say) and Marquez ignores what it
        // does not know: these routes keep that rule (docs/decisions/0031-cli.md).
        var lineage = api.MapGroup("/lineage").WithTags("OpenLineage").AllowUnknownQueryParameters();
        lineage.MapPost("/", IngestAsync).WithSummary("Record an OpenLineage event, validated against the schema version it declares (1-0-0 to 2-0-2); plain or Content-Encoding: gzip");
        lineage.MapPost("/batch", IngestBatchAsync).WithSummary($"Record a JSON array of up to {OpenLineageIngest.MaxBatch} OpenLineage events, all or none");
        lineage.MapGet("/", MarquezLineageAsync).WithSummary("Marquez's lineage around a job or dataset: runs folded into jobs, jobs linked by their current version's datasets");
        return api;
    }

    public static async Task<Created<IngestResult>> IngestAsync(HttpContext http, OpenLineageIngest ingest, CancellationToken cancellationToken) =>
        TypedResults.Created((string?)null, await ingest.IngestAsync(http.Caller(), await BodyAsync(http, cancellationToken), batch: false, cancellationToken));

    public static async Task<Created<IngestResult>> IngestBatchAsync(HttpContext http, OpenLineageIngest ingest, CancellationToken cancellationToken) =>
        TypedResults.Created((string?)null, await ingest.IngestAsync(http.Caller(), await BodyAsync(http, cancellationToken), batch: true, cancellationToken));

    public static async Task<JsonHttpResult<MarquezLineage>> MarquezLineageAsync(
        HttpContext http, MarquezLineageView marquez, CancellationToken cancellationToken, string? nodeId = null, int? depth = null) =>
        TypedResults.Json(await marquez.LineageAsync(http.Caller(), nodeId, depth, cancellationToken), MarquezJson);

    /// <summary>
    /// The request body as UTF-8 bytes, decompressed when OpenLineage's clients send it gzipped (<c>compression: gzip</c> in
    /// the Python and Java HTTP transports sets <c>Content-Encoding: gzip</c>). Decompression streams and stops at
    /// <see cref="OpenLineageIngest.MaxBodyBytes"/>, so a small body that inflates without end is refused with 413, not
    /// held in memory.
    /// </summary>
    private static async Task<ReadOnlyMemory<byte>> BodyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        // The ingest limit (MaxBodyBytes, counted below) applies to plain bodies as to decompressed ones; Kestrel's 30 MB
        // default must not refuse a body the limit allows.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
        var encodings = http.Request.Headers.ContentEncoding.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(e => !e.Equals("identity", StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (encodings.Count > 1 || encodings is [var encoding] && !encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
        {
            throw new UnsupportedEncodingException(
                $"Content-Encoding '{string.Join(", ", encodings)}' is not supported: send the body as it is or gzip-compressed (Content-Encoding: gzip).");
        }
        await using var body = encodings.Count == 1 ? new GZipStream(http.Request.Body, CompressionMode.Decompress, leaveOpen: true) : http.Request.Body;
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > OpenLineageIngest.MaxBodyBytes)
                {
                    throw new PayloadTooLargeException(
                        $"The {(encodings.Count == 1 ? "decompressed " : "")}body exceeds {OpenLineageIngest.MaxBodyBytes / (1024 * 1024)} MiB; send fewer events per batch.");
                }
                buffer.Write(chunk, 0, read);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidParameterException($"The body is not valid gzip: {ex.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        return Utf8.IsValid(bytes.Span) ? bytes : throw new InvalidParameterException("The body is not UTF-8 text.");
    }
}

/// <summary>A request body in an encoding Cairn does not read (415).</summary>
public sealed class UnsupportedEncodingException(string message) : CairnException("UNSUPPORTED_MEDIA_TYPE", 415, message);
