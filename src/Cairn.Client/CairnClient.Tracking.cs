namespace Cairn.Client;

// The MLflow API's messages, as the tracking calls below send and receive them.
internal sealed record CreateExperimentBody(string Name, string? ArtifactLocation);

internal sealed record CreatedExperiment(string ExperimentId);

internal sealed record ExperimentEnvelope(Experiment Experiment);

internal sealed record RunEnvelope(Run Run);

internal sealed record SearchExperimentsBody(string? Filter, IReadOnlyList<string>? OrderBy, int? MaxResults, string? PageToken, string ViewType);

internal sealed record SearchRunsBody(
    IReadOnlyList<string> ExperimentIds, string? Filter, IReadOnlyList<string>? OrderBy, int? MaxResults, string? PageToken, string RunViewType);

/// <summary>
/// Experiments and runs. Cairn keeps them as MLflow does and serves them through its MLflow API (there is no native
/// route for them), so these calls speak that API: its message shapes, its filter grammar
/// (<c>metrics.rmse &lt; 1 and params.alpha = '0.5'</c>) and its <c>order_by</c> lists. Its errors arrive as
/// <see cref="CairnApiException"/> with MLflow's <c>error_code</c>.
/// </summary>
public sealed partial class CairnClient
{
    private const string Mlflow = "api/2.0/mlflow";

    /// <summary>Creates an experiment (<c>POST /api/2.0/mlflow/experiments/create</c>).</summary>
    /// <param name="name">Its unique name.</param>
    /// <param name="artifactLocation">Where its runs' artifacts go; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new experiment's id.</returns>
    public async Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"{Mlflow}/experiments/create", Body(new CreateExperimentBody(name, artifactLocation), Json.CreateExperimentBody),
            Json.CreatedExperiment, cancellationToken)).ExperimentId;

    /// <summary>Reads an experiment by id.</summary>
    /// <param name="experimentId">Its id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, $"{Mlflow}/experiments/get" + Query(("experiment_id", experimentId)), null, Json.ExperimentEnvelope, cancellationToken)).Experiment;

    /// <summary>Reads an experiment by name.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<Experiment> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, $"{Mlflow}/experiments/get-by-name" + Query(("experiment_name", name)), null, Json.ExperimentEnvelope, cancellationToken)).Experiment;

    /// <summary>Searches experiments, one page.</summary>
    /// <param name="filter">MLflow's experiment filter, such as <c>name LIKE 'fraud%'</c>; null for all.</param>
    /// <param name="orderBy">Order clauses, such as <c>last_update_time DESC</c>; null for the server's order.</param>
    /// <param name="maxResults">The page size; null for the server's default.</param>
    /// <param name="pageToken">The previous page's token; null for the first.</param>
    /// <param name="viewType">Active, deleted or all experiments.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<ExperimentPage> SearchExperimentsPageAsync(
        string? filter = null, IReadOnlyList<string>? orderBy = null, int? maxResults = null, string? pageToken = null, ViewType viewType = ViewType.ActiveOnly,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{Mlflow}/experiments/search",
            Body(new SearchExperimentsBody(filter, orderBy, maxResults, pageToken, ViewTypeName(viewType)), Json.SearchExperimentsBody), Json.ExperimentPage, cancellationToken);

    /// <summary>Searches experiments, following page tokens to the end.</summary>
    /// <param name="filter">MLflow's experiment filter; null for all.</param>
    /// <param name="orderBy">Order clauses; null for the server's order.</param>
    /// <param name="pageSize">How many to fetch per request; null for the server's default.</param>
    /// <param name="viewType">Active, deleted or all experiments.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public IAsyncEnumerable<Experiment> SearchExperimentsAsync(
        string? filter = null, IReadOnlyList<string>? orderBy = null, int? pageSize = null, ViewType viewType = ViewType.ActiveOnly,
        CancellationToken cancellationToken = default) =>
        AllAsync(token => SearchExperimentsPageAsync(filter, orderBy, pageSize, token, viewType, cancellationToken),
            page => page.Experiments ?? [], page => Next(page.NextPageToken), cancellationToken);

    /// <summary>Reads a run: its info, its latest metrics, its params and tags.</summary>
    /// <param name="runId">Its id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, $"{Mlflow}/runs/get" + Query(("run_id", runId)), null, Json.RunEnvelope, cancellationToken)).Run;

    /// <summary>Searches the runs of some experiments, one page.</summary>
    /// <param name="experimentIds">The experiments to search in.</param>
    /// <param name="filter">MLflow's run filter, such as <c>metrics.rmse &lt; 1 and params.alpha = '0.5'</c>; null for all.</param>
    /// <param name="orderBy">Order clauses, such as <c>metrics.rmse ASC</c>; null for newest first.</param>
    /// <param name="maxResults">The page size; null for the server's default.</param>
    /// <param name="pageToken">The previous page's token; null for the first.</param>
    /// <param name="viewType">Active, deleted or all runs.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<RunPage> SearchRunsPageAsync(
        IReadOnlyList<string> experimentIds, string? filter = null, IReadOnlyList<string>? orderBy = null, int? maxResults = null, string? pageToken = null,
        ViewType viewType = ViewType.ActiveOnly, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{Mlflow}/runs/search",
            Body(new SearchRunsBody(experimentIds, filter, orderBy, maxResults, pageToken, ViewTypeName(viewType)), Json.SearchRunsBody), Json.RunPage, cancellationToken);

    /// <summary>Searches the runs of some experiments, following page tokens to the end.</summary>
    /// <param name="experimentIds">The experiments to search in.</param>
    /// <param name="filter">MLflow's run filter; null for all.</param>
    /// <param name="orderBy">Order clauses; null for newest first.</param>
    /// <param name="pageSize">How many to fetch per request; null for the server's default.</param>
    /// <param name="viewType">Active, deleted or all runs.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public IAsyncEnumerable<Run> SearchRunsAsync(
        IReadOnlyList<string> experimentIds, string? filter = null, IReadOnlyList<string>? orderBy = null, int? pageSize = null,
        ViewType viewType = ViewType.ActiveOnly, CancellationToken cancellationToken = default) =>
        AllAsync(token => SearchRunsPageAsync(experimentIds, filter, orderBy, pageSize, token, viewType, cancellationToken),
            page => page.Runs ?? [], page => Next(page.NextPageToken), cancellationToken);

    // MLflow sends an empty string, not null, for "no more pages".
    private static string? Next(string? token) => string.IsNullOrEmpty(token) ? null : token;

    private static string ViewTypeName(ViewType viewType) => viewType switch
    {
        ViewType.DeletedOnly => "DELETED_ONLY",
        ViewType.All => "ALL",
        _ => "ACTIVE_ONLY",
    };
}
