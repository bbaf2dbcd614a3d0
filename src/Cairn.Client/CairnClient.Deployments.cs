namespace Cairn.Client;

/// <summary>Deployments and the environments they run in.</summary>
public sealed partial class CairnClient
{
    /// <summary>Records a deployment with its first allocation. Needs writer on the model's namespace.</summary>
    /// <param name="request">The deployment.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The recorded deployment (revision 1).</returns>
    public Task<Deployment> RecordDeploymentAsync(RecordDeploymentRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/deployments", Body(request, Json.RecordDeploymentRequest), Json.Deployment, cancellationToken);

    /// <summary>One deployment with its current allocation.</summary>
    /// <param name="id">The deployment's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The deployment.</returns>
    public Task<Deployment> GetDeploymentAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, DeploymentPath(id), null, Json.Deployment, cancellationToken);

    /// <summary>Lists deployments by environment and name, following page tokens.</summary>
    /// <param name="query">Which deployments; null for every live one the caller may read.</param>
    /// <param name="pageSize">Deployments fetched per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The matching deployments.</returns>
    public IAsyncEnumerable<Deployment> ListDeploymentsAsync(DeploymentQuery? query = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        AllAsync(token => ListDeploymentsPageAsync(query, pageSize, token, cancellationToken), p => p.Deployments, p => p.NextPageToken, cancellationToken);

    /// <summary>One page of deployments.</summary>
    /// <param name="query">Which deployments; null for every live one the caller may read.</param>
    /// <param name="maxResults">The page size; null for the server's default.</param>
    /// <param name="pageToken">The previous page's token; null for the first.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>One page.</returns>
    public Task<DeploymentPage> ListDeploymentsPageAsync(DeploymentQuery? query = null, int? maxResults = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/deployments" + Query(
            ("environment", query?.Environment), ("model", query?.Model), ("version", Number(query?.Version)), ("status", query?.Status),
            ("deleted", query is { IncludeDeleted: true } ? "true" : null), ("max_results", Number(maxResults)), ("page_token", pageToken)),
            null, Json.DeploymentPage, cancellationToken);

    /// <summary>Changes a deployment's endpoint, environment variables, method, strategy or description. Needs writer.</summary>
    /// <param name="id">The deployment's id.</param>
    /// <param name="request">What to change.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The deployment.</returns>
    public Task<Deployment> UpdateDeploymentAsync(string id, UpdateDeploymentRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Patch, DeploymentPath(id), Body(request, Json.UpdateDeploymentRequest), Json.Deployment, cancellationToken);

    /// <summary>Deletes a deployment (admin); its history stays readable.</summary>
    /// <param name="id">The deployment's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when it is deleted.</returns>
    public Task DeleteDeploymentAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, DeploymentPath(id), null, cancellationToken);

    /// <summary>Replaces the traffic allocation: a new revision. Needs writer.</summary>
    /// <param name="id">The deployment's id.</param>
    /// <param name="traffic">The whole new allocation.</param>
    /// <param name="status">The status recorded with it (the server's default: in_progress).</param>
    /// <param name="message">A note kept with the revision.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The deployment at its new revision.</returns>
    public Task<Deployment> ShiftTrafficAsync(string id, IReadOnlyList<TrafficShare> traffic, string? status = null, string? message = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"{DeploymentPath(id)}/traffic", Body(new ShiftTrafficBody(traffic, status, message), Json.ShiftTrafficBody), Json.Deployment, cancellationToken);

    /// <summary>Reports a status (pending, in_progress, succeeded, failed, rolled_back). Needs writer.</summary>
    /// <param name="id">The deployment's id.</param>
    /// <param name="status">The status.</param>
    /// <param name="message">What happened.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The deployment.</returns>
    public Task<Deployment> ReportDeploymentStatusAsync(string id, string status, string? message = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{DeploymentPath(id)}/status", Body(new StatusBody(status, message), Json.StatusBody), Json.Deployment, cancellationToken);

    /// <summary>The status history, oldest first.</summary>
    /// <param name="id">The deployment's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The history.</returns>
    public Task<DeploymentStatusHistory> GetDeploymentStatusAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"{DeploymentPath(id)}/status", null, Json.DeploymentStatusHistory, cancellationToken);

    /// <summary>Every revision of the allocation, newest first.</summary>
    /// <param name="id">The deployment's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The revisions.</returns>
    public Task<DeploymentRevisions> GetDeploymentRevisionsAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"{DeploymentPath(id)}/revisions", null, Json.DeploymentRevisions, cancellationToken);

    /// <summary>Returns to the previous revision's allocation as a new revision, status rolled_back. Needs writer.</summary>
    /// <param name="id">The deployment's id.</param>
    /// <param name="message">Why.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The deployment at its new revision.</returns>
    public Task<Deployment> RollbackDeploymentAsync(string id, string? message = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{DeploymentPath(id)}/rollback", Body(new RollbackBody(message), Json.RollbackBody), Json.Deployment, cancellationToken);

    /// <summary>The live deployments whose current allocation holds a version.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The first page of them.</returns>
    public Task<DeploymentPage> ListVersionDeploymentsAsync(string model, int version, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"{VersionPath(model, version)}/deployments", null, Json.DeploymentPage, cancellationToken);

    /// <summary>Every environment.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The environments, by name.</returns>
    public async Task<IReadOnlyList<DeploymentEnvironment>> ListEnvironmentsAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "api/v1/environments", null, Json.EnvironmentList, cancellationToken)).Environments;

    /// <summary>One environment.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The environment.</returns>
    public Task<DeploymentEnvironment> GetEnvironmentAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/environments/{Escape(name)}", null, Json.DeploymentEnvironment, cancellationToken);

    /// <summary>Creates or replaces an environment. Needs admin on '/'.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="request">Its protection, target and description.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The environment.</returns>
    public Task<DeploymentEnvironment> SetEnvironmentAsync(string name, SetEnvironmentRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"api/v1/environments/{Escape(name)}", Body(request, Json.SetEnvironmentRequest), Json.DeploymentEnvironment, cancellationToken);

    /// <summary>Deletes an environment without live deployments. Needs admin on '/'.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when it is deleted.</returns>
    public Task DeleteEnvironmentAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/v1/environments/{Escape(name)}", null, cancellationToken);

    private static string DeploymentPath(string id) => $"api/v1/deployments/{Escape(id)}";
}
