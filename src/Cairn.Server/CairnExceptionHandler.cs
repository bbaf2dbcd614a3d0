using System.Text.Json;
using Cairn.Server.Mlflow;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server;

/// <summary>
/// The one place where failures become RFC 9457 problem details with an <c>error_code</c>: the library's
/// exceptions keep their status; malformed requests are 400; anything else is a logged 500. On the MLflow API the
/// same failures take MLflow's shape and statuses instead.
/// </summary>
internal sealed class CairnExceptionHandler(IProblemDetailsService problems, ILogger<CairnExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is BadHttpRequestException { StatusCode: not StatusCodes.Status413PayloadTooLarge } bad && RequestErrors.Translate(context, bad) is { } translated)
        {
            // Binding's refusals (malformed JSON, a wrong type, an unknown field, no body) name the field like every other error.
            exception = translated;
        }
        var (status, code, detail) = exception switch
        {
            CairnException e => (e.StatusCode, e.ErrorCode, e.Message),
            // Kestrel's own body limit: the caller sent too much, which is a 413 whoever reads the body.
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } e => (413, "REQUEST_LIMIT_EXCEEDED", e.Message),
            BadHttpRequestException e => (400, ErrorCodes.InvalidParameterValue, e.Message),
            _ => (500, "INTERNAL_ERROR", "An unexpected error occurred; the server log has the details."),
        };
        if (status == 500)
        {
            Log.Unhandled(logger, exception, context.Request.Method, context.Request.Path);
        }
        if (status == 401)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer, Basic realm=\"cairn\"";
        }
        if (MlflowApi.IsMlflowPath(context.Request.Path))
        {
            await MlflowErrors.WriteAsync(context, code, detail, cancellationToken);
            return true;
        }
        context.Response.StatusCode = status;
        var problem = new ProblemDetails
        {
            Status = status,
            Title = code switch
            {
                ErrorCodes.ResourceDoesNotExist => "Resource does not exist",
                ErrorCodes.ResourceAlreadyExists => "Resource already exists",
                ErrorCodes.InvalidParameterValue => "Invalid parameter value",
                ErrorCodes.Unauthenticated => "Unauthenticated",
                ErrorCodes.PermissionDenied => "Permission denied",
                ErrorCodes.InvalidState => "Invalid state",
                "REQUEST_LIMIT_EXCEEDED" => "Request too large",
                RequestErrors.UnsupportedMediaType => "Unsupported media type",
                Cairn.Lineage.MetadataSchemas.IncompatibleSchema => "Incompatible schema",
                _ => "Internal error",
            },
            Detail = detail,
            Instance = context.Request.Path,
        };
        problem.Extensions["error_code"] = code;
        if (exception is IHasErrorDetails { Errors.Count: > 0 } detailed)
        {
            // Every failing place, as {path, message} (and the entity it was found in, when there is one).
            problem.Extensions["errors"] = detailed.Errors.Select(ErrorEntry).ToList();
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>One failing place as <c>{path, message}</c>, with the entity and the batch index it was found in when known.</summary>
    private static Dictionary<string, object> ErrorEntry(ErrorDetail error)
    {
        var entry = new Dictionary<string, object>(StringComparer.Ordinal);
        if (error.Index is { } index)
        {
            entry["index"] = index;
        }
        if (error.Entity is not null)
        {
            entry["entity"] = error.Entity;
        }
        entry["path"] = error.Path;
        entry["message"] = error.Message;
        return entry;
    }
}
