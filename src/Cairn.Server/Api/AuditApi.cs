using System.Globalization;
using Cairn.Governance;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

/// <summary>The audit log: <c>/api/v1/audit</c> and its verification.</summary>
public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit");
        audit.MapGet("/", ListAsync).WithSummary("Audit entries, newest first (admin)");
        audit.MapGet("/verify", VerifyAsync).WithSummary("Verify the hash chain; names the first broken entry (admin)");
        return api;
    }

    public static async Task<Ok<AuditPage>> ListAsync(
        HttpContext http, AuditChain chain, CancellationToken cancellationToken,
        string? actor = null, string? action = null, string? resource = null, string? since = null, string? until = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await chain.ListAsync(http.Caller(),
            new AuditQuery(actor, action, resource, Time(since, "since"), Time(until, "until"), maxResults, pageToken), cancellationToken));

    public static async Task<Ok<AuditVerification>> VerifyAsync(HttpContext http, AuditChain chain, CancellationToken cancellationToken) =>
        TypedResults.Ok(await chain.VerifyAsync(http.Caller(), cancellationToken));

    private static DateTimeOffset? Time(string? value, string name) =>
        value is null ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : throw new InvalidParameterException($"'{name}' must be an ISO-8601 time such as 2026-01-31 or 2026-01-31T12:00:00Z; got '{value}'.");
}
