using Cairn.Governance;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Cairn.Server.Api;

/// <summary>The body of POST …/versions/{n}/promotions.</summary>
/// <param name="Target">A stage (<c>Production</c>) or an alias (<c>champion</c>, <c>@name</c>).</param>
/// <param name="Comment">Why, for the reviewers.</param>
public sealed record PromotionAsk(string? Target, string? Comment = null);

/// <summary>The (optional) body of POST /api/v1/promotions/{id}/approve|reject|cancel.</summary>
public sealed record PromotionVerdict(string? Comment = null);

/// <summary>
/// Promotion requests: asked under a version (<c>/api/v1/models/{m}/versions/{n}/promotions</c>), listed per version,
/// per model and across models (<c>/api/v1/promotions</c>, with <c>actionable=true</c> the caller's inbox), and decided
/// at <c>/api/v1/promotions/{id}/approve|reject|cancel</c> (also under the version's path).
/// </summary>
public static class PromotionsApi
{
    public static RouteGroupBuilder MapPromotionsApi(this RouteGroupBuilder api)
    {
        var version = api.MapGroup("/models/{fullName}/versions/{version}/promotions").WithTags("Promotions");
        version.MapPost("/", RequestAsync).WithSummary("Ask for a protected stage or alias to move to this version (writer)");
        version.MapGet("/", ListForVersionAsync).WithSummary("This version's promotion requests, newest first");
        version.MapGet("/{id}", GetForVersionAsync).WithSummary("One promotion request");
        version.MapPost("/{id}/approve", ApproveForVersionAsync).WithSummary("Approve (the rule's approver role; four-eyes)");
        version.MapPost("/{id}/reject", RejectForVersionAsync).WithSummary("Reject (the rule's approver role)");
        version.MapPost("/{id}/cancel", CancelForVersionAsync).WithSummary("Withdraw (requester or admin)");
        api.MapGet("/models/{fullName}/promotions", ListForModelAsync).WithTags("Promotions").WithSummary("A model's promotion requests, newest first");
        var all = api.MapGroup("/promotions").WithTags("Promotions");
        all.MapGet("/", ListAsync).WithSummary("Promotion requests across models; actionable=true: the caller's inbox");
        all.MapGet("/{id}", GetAsync).WithSummary("One promotion request");
        all.MapPost("/{id}/approve", ApproveAsync).WithSummary("Approve (the rule's approver role; four-eyes)");
        all.MapPost("/{id}/reject", RejectAsync).WithSummary("Reject (the rule's approver role)");
        all.MapPost("/{id}/cancel", CancelAsync).WithSummary("Withdraw (requester or admin)");
        return api;
    }

    public static async Task<Created<PromotionRequest>> RequestAsync(
        string fullName, string version, PromotionAsk body, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken)
    {
        var created = await promotions.RequestAsync(http.Caller(), fullName, VersionsApi.Number(version), body.Target, body.Comment, cancellationToken);
        return TypedResults.Created(ApiPaths.Of("api/v1/promotions", created.Id), created);
    }

    public static async Task<Ok<PromotionPage>> ListForVersionAsync(
        string fullName, string version, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken,
        string? status = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await promotions.ListAsync(http.Caller(),
            new PromotionQuery(fullName, VersionsApi.Number(version), status, MaxResults: maxResults, PageToken: pageToken), cancellationToken));

    public static async Task<Ok<PromotionPage>> ListForModelAsync(
        string fullName, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken,
        string? status = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await promotions.ListAsync(http.Caller(), new PromotionQuery(fullName, null, status, MaxResults: maxResults, PageToken: pageToken), cancellationToken));

    public static async Task<Ok<PromotionPage>> ListAsync(
        HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken,
        string? status = null,
        string? @namespace = null,
        string? model = null,
        bool? actionable = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await promotions.ListAsync(http.Caller(),
            new PromotionQuery(model, null, status, @namespace, actionable ?? false, maxResults, pageToken), cancellationToken));

    public static async Task<Ok<PromotionRequest>> GetAsync(string id, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken) =>
        TypedResults.Ok(await promotions.GetAsync(http.Caller(), id, cancellationToken));

    public static async Task<Ok<PromotionRequest>> ApproveAsync(
        string id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] PromotionVerdict? body, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken) =>
        TypedResults.Ok(await promotions.ApproveAsync(http.Caller(), id, body?.Comment, cancellationToken));

    public static async Task<Ok<PromotionRequest>> RejectAsync(
        string id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] PromotionVerdict? body, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken) =>
        TypedResults.Ok(await promotions.RejectAsync(http.Caller(), id, body?.Comment, cancellationToken));

    public static async Task<Ok<PromotionRequest>> CancelAsync(
        string id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] PromotionVerdict? body, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken) =>
        TypedResults.Ok(await promotions.CancelAsync(http.Caller(), id, body?.Comment, cancellationToken));

    // Under the version's path the request must be that version's: a mismatched id is 404, not another version's request.
    public static async Task<Ok<PromotionRequest>> GetForVersionAsync(
        string fullName, string version, string id, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken) =>
        TypedResults.Ok(await OfVersionAsync(fullName, version, id, http, promotions, cancellationToken));

    public static async Task<Ok<PromotionRequest>> ApproveForVersionAsync(
        string fullName, string version, string id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] PromotionVerdict? body, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken)
    {
        await OfVersionAsync(fullName, version, id, http, promotions, cancellationToken);
        return TypedResults.Ok(await promotions.ApproveAsync(http.Caller(), id, body?.Comment, cancellationToken));
    }

    public static async Task<Ok<PromotionRequest>> RejectForVersionAsync(
        string fullName, string version, string id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] PromotionVerdict? body, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken)
    {
        await OfVersionAsync(fullName, version, id, http, promotions, cancellationToken);
        return TypedResults.Ok(await promotions.RejectAsync(http.Caller(), id, body?.Comment, cancellationToken));
    }

    public static async Task<Ok<PromotionRequest>> CancelForVersionAsync(
        string fullName, string version, string id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] PromotionVerdict? body, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken)
    {
        await OfVersionAsync(fullName, version, id, http, promotions, cancellationToken);
        return TypedResults.Ok(await promotions.CancelAsync(http.Caller(), id, body?.Comment, cancellationToken));
    }

    private static async Task<PromotionRequest> OfVersionAsync(
        string fullName, string version, string id, HttpContext http, PromotionRequests promotions, CancellationToken cancellationToken)
    {
        var number = VersionsApi.Number(version);
        var request = await promotions.GetAsync(http.Caller(), id, cancellationToken);
        return request.Model == fullName && request.Version == number
            ? request
            : throw new NotFoundException($"Version {number} of model '{fullName}' has no promotion request '{id}'.");
    }
}
