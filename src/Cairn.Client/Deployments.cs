namespace Cairn.Client;

/// <summary>One version's part of a deployment's traffic.</summary>
/// <param name="Version">The version number.</param>
/// <param name="Share">Percent of the traffic (0–100, at most two decimals); the shares of the versions that are not shadows sum to 100.</param>
/// <param name="Shadow">True when the version receives a mirrored copy of <paramref name="Share"/> percent of the traffic and answers no user.</param>
public sealed record TrafficShare(int Version, decimal Share, bool Shadow = false);

/// <summary>A deployment of a model in an environment, with its current traffic allocation and latest status.</summary>
/// <param name="Id">The server-assigned id (<c>dep-…</c>).</param>
/// <param name="Name">Unique among the live deployments of its environment.</param>
/// <param name="Environment">The environment it runs in.</param>
/// <param name="Model">The model's full name.</param>
/// <param name="Endpoint">Where it answers.</param>
/// <param name="EnvironmentVariables">Its environment variables, secret-looking values masked.</param>
/// <param name="Method">How it is served (self-hosted, ECS, EKS, AWS Lambda, SageMaker, KServe …).</param>
/// <param name="Strategy">blue-green, canary, rolling or shadow.</param>
/// <param name="Description">What it is.</param>
/// <param name="Status">pending, in_progress, succeeded, failed or rolled_back.</param>
/// <param name="StatusMessage">The message of the latest status entry.</param>
/// <param name="Revision">The current revision of its allocation.</param>
/// <param name="Traffic">The current allocation.</param>
/// <param name="CreatedAt">When it was recorded.</param>
/// <param name="CreatedBy">Who recorded it.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="UpdatedBy">Who last changed it.</param>
/// <param name="DeletedAt">When it was deleted (its history stays).</param>
/// <param name="DeletedBy">Who deleted it.</param>
/// <param name="LineageNode">Its lineage node, <c>deployment:&lt;environment&gt;:&lt;name&gt;</c>.</param>
public sealed record Deployment(
    string Id, string Name, string Environment, string Model, string? Endpoint, IReadOnlyDictionary<string, string> EnvironmentVariables,
    string? Method, string? Strategy, string? Description, string Status, string? StatusMessage, int Revision, IReadOnlyList<TrafficShare> Traffic,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, string UpdatedBy, DateTimeOffset? DeletedAt, string? DeletedBy, string LineageNode);

/// <summary>A deployment to record.</summary>
/// <param name="Name">Unique among the live deployments of the environment.</param>
/// <param name="Environment">An environment an admin has set.</param>
/// <param name="Model">The model's full name.</param>
/// <param name="Traffic">The first allocation.</param>
/// <param name="Endpoint">Where it answers.</param>
/// <param name="EnvironmentVariables">Its environment variables.</param>
/// <param name="Method">How it is served (free text).</param>
/// <param name="Strategy">blue-green, canary, rolling or shadow.</param>
/// <param name="Description">What it is.</param>
/// <param name="Status">Its first status (default pending).</param>
/// <param name="Message">A note kept with the first status.</param>
public sealed record RecordDeploymentRequest(
    string Name, string Environment, string Model, IReadOnlyList<TrafficShare> Traffic, string? Endpoint = null,
    IReadOnlyDictionary<string, string>? EnvironmentVariables = null, string? Method = null, string? Strategy = null, string? Description = null,
    string? Status = null, string? Message = null);

/// <summary>What to change of a deployment; null fields stay as they are.</summary>
/// <param name="Endpoint">Where it answers.</param>
/// <param name="EnvironmentVariables">The whole new set; masked values sent back keep the stored secrets.</param>
/// <param name="Method">How it is served.</param>
/// <param name="Strategy">blue-green, canary, rolling or shadow.</param>
/// <param name="Description">What it is.</param>
public sealed record UpdateDeploymentRequest(
    string? Endpoint = null, IReadOnlyDictionary<string, string>? EnvironmentVariables = null, string? Method = null, string? Strategy = null, string? Description = null);

/// <summary>One entry of a deployment's status history.</summary>
/// <param name="Status">The status reported.</param>
/// <param name="Message">What the reporter said.</param>
/// <param name="Revision">The revision current then.</param>
/// <param name="At">When.</param>
/// <param name="By">Who.</param>
public sealed record DeploymentStatusEntry(string Status, string? Message, int Revision, DateTimeOffset At, string By);

/// <summary>A deployment's status history, oldest first.</summary>
/// <param name="Id">The deployment.</param>
/// <param name="Status">Its status now.</param>
/// <param name="Revision">Its revision now.</param>
/// <param name="History">Every entry.</param>
public sealed record DeploymentStatusHistory(string Id, string Status, int Revision, IReadOnlyList<DeploymentStatusEntry> History);

/// <summary>One allocation a deployment had.</summary>
/// <param name="Revision">Its number.</param>
/// <param name="Traffic">The allocation.</param>
/// <param name="RestoredFrom">For a rollback, the revision it restored.</param>
/// <param name="Message">The note given with it.</param>
/// <param name="CreatedAt">When it became current.</param>
/// <param name="CreatedBy">Who made it.</param>
public sealed record DeploymentRevision(int Revision, IReadOnlyList<TrafficShare> Traffic, int? RestoredFrom, string? Message, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>Every revision of a deployment, newest first.</summary>
/// <param name="Id">The deployment.</param>
/// <param name="Revision">Its current revision.</param>
/// <param name="Revisions">The revisions.</param>
public sealed record DeploymentRevisions(string Id, int Revision, IReadOnlyList<DeploymentRevision> Revisions);

/// <summary>A page of deployments.</summary>
/// <param name="Deployments">The deployments, by environment and name.</param>
/// <param name="NextPageToken">The next page's token; null on the last.</param>
public sealed record DeploymentPage(IReadOnlyList<Deployment> Deployments, string? NextPageToken);

/// <summary>Which deployments to list; every part optional.</summary>
/// <param name="Environment">Only those in this environment.</param>
/// <param name="Model">Only those of this model.</param>
/// <param name="Version">Only those whose current allocation holds this version (with <paramref name="Model"/>).</param>
/// <param name="Status">Only those in this status.</param>
/// <param name="IncludeDeleted">Deleted ones too.</param>
public sealed record DeploymentQuery(string? Environment = null, string? Model = null, int? Version = null, string? Status = null, bool IncludeDeleted = false);

/// <summary>An environment deployments run in.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Protected">Whether serving there needs an applied promotion to <paramref name="Target"/>.</param>
/// <param name="Target">The stage or alias (<c>Production</c>, <c>@prod</c>).</param>
/// <param name="Description">What it is.</param>
/// <param name="CreatedAt">When it was first set.</param>
/// <param name="CreatedBy">Who first set it.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="UpdatedBy">Who last changed it.</param>
public sealed record DeploymentEnvironment(
    string Name, bool Protected, string? Target, string? Description, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>An environment as set (whole).</summary>
/// <param name="Protected">Whether serving there needs an applied promotion to <paramref name="Target"/>.</param>
/// <param name="Target">A stage or an alias; required when protected.</param>
/// <param name="Description">What it is.</param>
public sealed record SetEnvironmentRequest(bool? Protected = null, string? Target = null, string? Description = null);
