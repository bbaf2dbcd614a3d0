using Cairn.Deployments;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Cairn.Server.Api;

/// <summary>The answer of <c>GET …/deployments/{id}/status</c>: the history, oldest first.</summary>
public sealed record DeploymentStatusHistory(string Id, string Status, int Revision, IReadOnlyList<DeploymentStatusEntry> History);

/// <summary>The answer of <c>GET …/deployments/{id}/revisions</c>: every allocation, newest first.</summary>
public sealed record DeploymentRevisions(string Id, int Revision, IReadOnlyList<DeploymentRevision> Revisions);

/// <summary>The answer of <c>GET /api/v1/environments</c>.</summary>
public sealed record EnvironmentList(IReadOnlyList<DeploymentEnvironment> Environments);

/// <summary>
/// Deployments as deployment tools report them (<c>/api/v1/deployments</c>), their traffic, status history, revisions
/// and rollback, the environments they run in (<c>/api/v1/environments</c>) and a version's deployments.
/// </summary>
public static class DeploymentsApi
{
    private const string MethodsNote =
        "method is free text; suggested values: self-hosted, ECS, EKS, AWS Lambda, SageMaker, KServe. strategy is one of blue-green, canary, rolling, shadow. "
        + "traffic is a list of {version, share, shadow}: the shares (percent, at most two decimals) of the versions that are not shadows sum to 100; "
        + "a shadow receives a mirrored copy of its share of the traffic. status is one of pending, in_progress, succeeded, failed, rolled_back. "
        + "Environment variables whose names look secret (PASSWORD, SECRET, TOKEN, KEY …) and credentials inside URIs are returned masked (****); "
        + "sending a masked value back keeps the stored one.";

    public static RouteGroupBuilder MapDeploymentsApi(this RouteGroupBuilder api)
    {
        var deployments = api.MapGroup("/deployments").WithTags("Deployments");
        deployments.MapPost("/", RecordAsync).WithSummary("Record a deployment with its first traffic allocation (writer)").WithDescription(MethodsNote);
        deployments.MapGet("/", ListAsync).WithSummary("Deployments, by environment and name; filters environment, model, version, status");
        deployments.MapGet("/{id}", GetAsync).WithSummary("One deployment with its current allocation");
        deployments.MapPatch("/{id}", UpdateAsync).WithSummary("Change endpoint, environment variables, method, strategy, description (writer)").WithDescription(MethodsNote);
        deployments.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a deployment (admin); its history stays readable");
        deployments.MapPut("/{id}/traffic", ShiftTrafficAsync).WithSummary("A new traffic allocation: a new revision (writer)").WithDescription(MethodsNote);
        deployments.MapGet("/{id}/status", StatusAsync).WithSummary("The status history, oldest first");
        deployments.MapPost("/{id}/status", ReportStatusAsync).WithSummary("Report a status (writer)");
        deployments.MapGet("/{id}/revisions", RevisionsAsync).WithSummary("Every traffic allocation, newest first");
        deployments.MapPost("/{id}/rollback", RollbackAsync).WithSummary("Return to the previous revision's allocation as a new revision (writer)");
        api.MapGet("/models/{fullName}/versions/{version}/deployments", ForVersionAsync).WithTags("Deployments")
            .WithSummary("The live deployments whose current allocation holds this version");
        var environments = api.MapGroup("/environments").WithTags("Deployments");
        environments.MapGet("/", EnvironmentsAsync).WithSummary("Every environment");
        environments.MapGet("/{name}", EnvironmentAsync).WithSummary("One environment");
        environments.MapPut("/{name}", SetEnvironmentAsync).WithSummary("Create or replace an environment (admin of '/')")
            .WithDescription("A protected environment serves only versions with an applied promotion request to its target (a stage such as Production, or an alias such as prod).");
        environments.MapDelete("/{name}", DeleteEnvironmentAsync).WithSummary("Delete an environment without live deployments (admin of '/')");
        return api;
    }

    public static async Task<Created<Deployment>> RecordAsync(RecordDeploymentRequest body, HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken)
    {
        var created = await deployments.RecordAsync(http.Caller(), body, cancellationToken);
        return TypedResults.Created(ApiPaths.Of("api/v1/deployments", created.Id), created);
    }

    public static async Task<Ok<DeploymentPage>> ListAsync(
        HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken,
        string? environment = null,
        string? model = null,
        string? version = null,
        string? status = null,
        bool? deleted = null,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await deployments.ListAsync(http.Caller(),
            new DeploymentQuery(environment, model, version is null ? null : VersionsApi.Number(version), status, deleted ?? false, maxResults, pageToken), cancellationToken));

    public static async Task<Ok<DeploymentPage>> ForVersionAsync(
        string fullName, string version, HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken,
        [FromQuery(Name = "max_results")] int? maxResults = null,
        [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await deployments.ListAsync(http.Caller(),
            new DeploymentQuery(Model: fullName, Version: VersionsApi.Number(version), MaxResults: maxResults, PageToken: pageToken), cancellationToken));

    public static async Task<Ok<Deployment>> GetAsync(string id, HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deployments.GetAsync(http.Caller(), id, cancellationToken));

    public static async Task<Ok<Deployment>> UpdateAsync(string id, UpdateDeploymentRequest body, HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deployments.UpdateAsync(http.Caller(), id, body, cancellationToken));

    public static async Task<NoContent> DeleteAsync(string id, HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken)
    {
        await deployments.DeleteAsync(http.Caller(), id, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<Deployment>> ShiftTrafficAsync(string id, ShiftTrafficRequest body, HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deployments.ShiftTrafficAsync(http.Caller(), id, body, cancellationToken));

    public static async Task<Ok<DeploymentStatusHistory>> StatusAsync(string id, HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken)
    {
        var deployment = await deployments.GetAsync(http.Caller(), id, cancellationToken);
        var history = await deployments.StatusHistoryAsync(http.Caller(), id, cancellationToken);
        return TypedResults.Ok(new DeploymentStatusHistory(deployment.Id, deployment.Status, deployment.Revision, history));
    }

    public static async Task<Ok<Deployment>> ReportStatusAsync(string id, ReportStatusRequest body, HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deployments.ReportStatusAsync(http.Caller(), id, body, cancellationToken));

    public static async Task<Ok<DeploymentRevisions>> RevisionsAsync(string id, HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken)
    {
        var deployment = await deployments.GetAsync(http.Caller(), id, cancellationToken);
        var revisions = await deployments.RevisionsAsync(http.Caller(), id, cancellationToken);
        return TypedResults.Ok(new DeploymentRevisions(deployment.Id, deployment.Revision, revisions));
    }

    public static async Task<Ok<Deployment>> RollbackAsync(
        string id, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] RollbackRequest? body, HttpContext http, DeploymentRegistry deployments, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deployments.RollbackAsync(http.Caller(), id, body ?? new RollbackRequest(), cancellationToken));

    public static async Task<Ok<EnvironmentList>> EnvironmentsAsync(HttpContext http, DeploymentEnvironments environments, CancellationToken cancellationToken) =>
        TypedResults.Ok(new EnvironmentList(await environments.ListAsync(http.Caller(), cancellationToken)));

    public static async Task<Ok<DeploymentEnvironment>> EnvironmentAsync(string name, HttpContext http, DeploymentEnvironments environments, CancellationToken cancellationToken) =>
        TypedResults.Ok(await environments.GetAsync(http.Caller(), name, cancellationToken));

    public static async Task<Ok<DeploymentEnvironment>> SetEnvironmentAsync(
        string name, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] SetEnvironmentRequest? body, HttpContext http, DeploymentEnvironments environments, CancellationToken cancellationToken) =>
        TypedResults.Ok(await environments.SetAsync(http.Caller(), name, body ?? new SetEnvironmentRequest(), cancellationToken));

    public static async Task<NoContent> DeleteEnvironmentAsync(string name, HttpContext http, DeploymentEnvironments environments, CancellationToken cancellationToken)
    {
        await environments.DeleteAsync(http.Caller(), name, cancellationToken);
        return TypedResults.NoContent();
    }
}
