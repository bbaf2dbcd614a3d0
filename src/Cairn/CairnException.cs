namespace Cairn;

/// <summary>Stable error codes shared by the native API, the CLI and the client.</summary>
public static class ErrorCodes
{
    public const string ResourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST";
    public const string ResourceAlreadyExists = "RESOURCE_ALREADY_EXISTS";
    public const string InvalidParameterValue = "INVALID_PARAMETER_VALUE";
    public const string Unauthenticated = "UNAUTHENTICATED";
    public const string PermissionDenied = "PERMISSION_DENIED";
    public const string InvalidState = "INVALID_STATE";
}

/// <summary>
/// A failure the caller can act on. The server turns it into problem details with
/// <see cref="ErrorCode"/> and <see cref="StatusCode"/>; anything else is a 500.
/// </summary>
public class CairnException(string errorCode, int statusCode, string message) : Exception(message)
{
    public string ErrorCode { get; } = errorCode;
    public int StatusCode { get; } = statusCode;
}

public sealed class NotFoundException(string message)
    : CairnException(ErrorCodes.ResourceDoesNotExist, 404, message);

public sealed class AlreadyExistsException(string message)
    : CairnException(ErrorCodes.ResourceAlreadyExists, 409, message);

public class InvalidParameterException(string message)
    : CairnException(ErrorCodes.InvalidParameterValue, 400, message);

public sealed class UnauthenticatedException(string message)
    : CairnException(ErrorCodes.Unauthenticated, 401, message);

public sealed class PermissionDeniedException(string message)
    : CairnException(ErrorCodes.PermissionDenied, 403, message);

/// <summary>The resource exists but is not in a state that allows the request (409).</summary>
public sealed class InvalidStateException(string message)
    : CairnException(ErrorCodes.InvalidState, 409, message);

/// <summary>A request that broke a published schema (400); <see cref="Errors"/> lists every failing path, for the problem details' <c>errors</c>.</summary>
public sealed class SchemaValidationException(string message, IReadOnlyList<ErrorDetail> errors) : InvalidParameterException(message), IHasErrorDetails
{
    public IReadOnlyList<ErrorDetail> Errors { get; } = errors;
}
