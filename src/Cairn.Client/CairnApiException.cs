using System.Net;

namespace Cairn.Client;

/// <summary>
/// The server answered with an error. Cairn's errors are RFC 9457 problem details; <see cref="ErrorCode"/> is their
/// stable <c>error_code</c> (<c>RESOURCE_DOES_NOT_EXIST</c>, <c>RESOURCE_ALREADY_EXISTS</c>, <c>INVALID_PARAMETER_VALUE</c>,
/// <c>UNAUTHENTICATED</c>, <c>PERMISSION_DENIED</c>), which is what code should branch on.
/// </summary>
public sealed class CairnApiException : Exception
{
    /// <summary>Creates the exception for one failed response.</summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="errorCode">The problem's <c>error_code</c>, or null when the body was not Cairn problem details.</param>
    /// <param name="title">The problem's <c>title</c>.</param>
    /// <param name="detail">The problem's <c>detail</c>, or the raw body (or reason phrase) when it was not problem details.</param>
    public CairnApiException(HttpStatusCode statusCode, string? errorCode, string? title, string detail)
        : base(detail)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
        Title = title;
        Detail = detail;
    }

    /// <summary>The HTTP status of the response.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The stable error code, such as <c>RESOURCE_DOES_NOT_EXIST</c>; null when the server sent no problem details.</summary>
    public string? ErrorCode { get; }

    /// <summary>A short, fixed summary of the kind of error.</summary>
    public string? Title { get; }

    /// <summary>What went wrong with this request, in words meant for people.</summary>
    public string Detail { get; }
}
