using Microsoft.AspNetCore.Http.Metadata;

namespace Cairn.Server;

/// <summary>
/// Refuses (413) a JSON body over <see cref="LimitsOptions.MaxRequestBodyBytes"/> by its declared length, before an
/// endpoint starts reading it. Kestrel holds every body to the same limit as it is read (a chunked one too); this makes
/// the refusal immediate and the same wherever the server runs. Endpoints that stream their body (file uploads, with
/// <c>Cairn:MaxFileBytes</c>; OpenLineage ingest, with its own limit) do not declare a JSON body and are left alone.
/// </summary>
internal sealed class RequestBodyLimit(RequestDelegate next, LimitsOptions limits)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength is { } length && length > limits.MaxRequestBodyBytes
            && context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { } accepts
            && accepts.ContentTypes.Any(type => type.Contains("json", StringComparison.OrdinalIgnoreCase)))
        {
            throw new BadHttpRequestException(
                $"The request body is {length} bytes; the limit is {limits.MaxRequestBodyBytes} bytes (Cairn:Limits:MaxRequestBodyBytes).",
                StatusCodes.Status413PayloadTooLarge);
        }
        return next(context);
    }
}
