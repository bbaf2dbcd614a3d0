using System.Globalization;
using Cairn.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

public sealed record StageHistory(IReadOnlyList<StageTransition> Transitions);

/// <summary>Versions: <c>/api/v1/models/{full_name}/versions</c> and <c>/api/v1/versions</c>.</summary>
public static class VersionsApi
{
    public static RouteGroupBuilder MapVersionsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/versions", SearchAllAsync).WithTags("Versions").WithSummary("Search versions across all models");
        var versions = api.MapGroup("/models/{fullName}/versions").WithTags("Versions");
        versions.MapPost("/", CreateAsync).WithSummary("Register a version (numbered by the server)");
        versions.MapGet("/", SearchAsync).WithSummary("List or search the versions of one model");
        versions.MapGet("/{version}", GetAsync).WithSummary("Get a version");
        versions.MapPatch("/{version}", UpdateAsync).WithSummary("Update a version (description, semver, framework, status)");
        versions.MapDelete("/{version}", DeleteAsync).WithSummary("Delete a version (admin); its number is never reused");
        versions.MapPut("/{version}/tags/{key}", SetTagAsync).WithSummary("Set a version tag");
        versions.MapDelete("/{version}/tags/{key}", DeleteTagAsync).WithSummary("Delete a version tag");
        versions.MapPost("/{version}/stage", TransitionAsync).WithSummary("Move a version to a stage (Production needs approver)");
        versions.MapGet("/{version}/stage", StageHistoryAsync).WithSummary("A version's stage transitions, oldest first");
        return api;
    }

    public static async Task<Created<ModelVersion>> CreateAsync(string fullName, CreateVersionRequest request, HttpContext http, ModelRegistry registry, CancellationToken cancellationToken)
    {
        var created = await registry.CreateAsync(http.Caller(), fullName, request, cancellationToken);
        return TypedResults.Created(ApiPaths.Of("api/v1/models", fullName, "versions", created.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)), created);
    }

    public static async Task<Ok<VersionPage>> SearchAsync(
        string fullName, HttpContext http, ModelRegistry registry, CancellationToken cancellationToken,
        string? filter = null,
        [FromQuery(Name = "order_by")] string? orderBy = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await registry.SearchAsync(http.Caller(), fullName, new VersionQuery(filter, orderBy, maxResults, pageToken), cancellationToken));

    public static async Task<Ok<VersionPage>> SearchAllAsync(
        HttpContext http, ModelRegistry registry, CancellationToken cancellationToken,
        string? filter = null,
        [FromQuery(Name = "order_by")] string? orderBy = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await registry.SearchAsync(http.Caller(), null, new VersionQuery(filter, orderBy, maxResults, pageToken), cancellationToken));

    public static async Task<Ok<ModelVersion>> GetAsync(string fullName, string version, HttpContext http, ModelRegistry registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(await registry.GetAsync(http.Caller(), fullName, Number(version), cancellationToken));

    public static async Task<Ok<ModelVersion>> UpdateAsync(string fullName, string version, UpdateVersionRequest request, HttpContext http, ModelRegistry registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(await registry.UpdateAsync(http.Caller(), fullName, Number(version), request, cancellationToken));

    public static async Task<NoContent> DeleteAsync(string fullName, string version, HttpContext http, ModelRegistry registry, CancellationToken cancellationToken)
    {
        await registry.DeleteAsync(http.Caller(), fullName, Number(version), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<ModelVersion>> SetTagAsync(string fullName, string version, string key, TagValue body, HttpContext http, ModelRegistry registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(await registry.SetTagAsync(http.Caller(), fullName, Number(version), TagValue.Key(key), body.Value, cancellationToken));

    public static async Task<Ok<ModelVersion>> DeleteTagAsync(string fullName, string version, string key, HttpContext http, ModelRegistry registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(await registry.DeleteTagAsync(http.Caller(), fullName, Number(version), TagValue.Key(key), cancellationToken));

    public static async Task<Ok<ModelVersion>> TransitionAsync(string fullName, string version, StageChange change, HttpContext http, ModelRegistry registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(await registry.TransitionAsync(http.Caller(), fullName, Number(version), change, cancellationToken));

    public static async Task<Ok<StageHistory>> StageHistoryAsync(string fullName, string version, HttpContext http, ModelRegistry registry, CancellationToken cancellationToken) =>
        TypedResults.Ok(new StageHistory(await registry.StageHistoryAsync(http.Caller(), fullName, Number(version), cancellationToken)));

    /// <summary>Version numbers in paths: a positive integer, else a 400 that says so (not a bare 404).</summary>
    internal static int Number(string version) =>
        int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new InvalidParameterException($"Version '{version}' is not a version number: versions are 1, 2, 3, …");
}
