using System.Text.Json;

namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow's error codes and the HTTP status MLflow answers each with (mlflow/exceptions.py). The same
/// condition can carry a different status than on the native API: MLflow answers RESOURCE_ALREADY_EXISTS
/// with 400, not 409, and its clients branch on the code, not the status.
/// </summary>
public static class MlflowErrors
{
    public const string BadRequest = "BAD_REQUEST";
    public const string InvalidState = "INVALID_STATE";
    public const string EndpointNotFound = "ENDPOINT_NOT_FOUND";
    public const string RequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED";
    public const string InternalError = "INTERNAL_ERROR";
    public const string NotImplemented = "NOT_IMPLEMENTED";

    public static int StatusOf(string errorCode) => errorCode switch
    {
        ErrorCodes.ResourceDoesNotExist or EndpointNotFound => 404,
        ErrorCodes.ResourceAlreadyExists or ErrorCodes.InvalidParameterValue or BadRequest => 400,
        ErrorCodes.Unauthenticated => 401,
        ErrorCodes.PermissionDenied => 403,
        RequestLimitExceeded => 429,
        NotImplemented => 501,
        _ => 500,
    };

    /// <summary>An MLflow-specific failure (one the native API has no code for): status follows <see cref="StatusOf"/>.</summary>
    public static CairnException Error(string errorCode, string message) => new(errorCode, StatusOf(errorCode), message);

    /// <summary>Writes <c>{"error_code": …, "message": …}</c> with MLflow's status for the code.</summary>
    public static async Task WriteAsync(HttpContext context, string errorCode, string message, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = StatusOf(errorCode);
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("error_code", errorCode);
        writer.WriteString("message", message);
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }
}
