using System.Text.Json.Serialization;

namespace Cairn.Deployments;

/// <summary>Where deployments run; a protected one serves only versions promoted to its <see cref="Target"/>.</summary>
/// <param name="Name">The environment's name (<c>prod</c>).</param>
/// <param name="Protected">Whether every version serving traffic here needs an applied promotion request to <see cref="Target"/>.</param>
/// <param name="Target">The stage (<c>Production</c>) or alias (<c>@prod</c>) a version must have been promoted to; null when none is set.</param>
/// <param name="Description">What the environment is, for people.</param>
/// <param name="CreatedAt">When it was first set.</param>
/// <param name="CreatedBy">Who first set it.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="UpdatedBy">Who last changed it.</param>
public sealed record DeploymentEnvironment(
    string Name, bool Protected, string? Target, string? Description, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>An environment as <c>PUT /api/v1/environments/{name}</c> sets it (whole).</summary>
/// <param name="Protected">Whether serving here needs an applied promotion to <paramref name="Target"/> (default false).</param>
/// <param name="Target">A stage or an alias (<c>Production</c>, <c>prod</c>, <c>@prod</c>), as promotion requests write targets; required when protected.</param>
/// <param name="Description">What the environment is.</param>
public sealed record SetEnvironmentRequest(bool? Protected = null, string? Target = null, string? Description = null);

/// <summary>One version's part of a deployment's traffic.</summary>
/// <param name="Version">The version number.</param>
/// <param name="Share">Its share of the traffic in percent (0–100, at most two decimals).</param>
/// <param name="Shadow">True when it receives a mirrored copy of <paramref name="Share"/> percent of the traffic and answers no user.</param>
public sealed record TrafficShare(int Version, decimal Share, bool Shadow)
{
    /// <summary>The version's row id in the store (for features that join on it, such as monitoring); not part of the API.</summary>
    [JsonIgnore]
    public long VersionId { get; init; }

    /// <summary>Whether the version answers users: not a shadow, with a share above zero.</summary>
    [JsonIgnore]
    public bool Serves => !Shadow && Share > 0;
}

/// <summary>One entry of a traffic allocation as a caller sends it; every field is checked and named when wrong.</summary>
/// <param name="Version">The version number (of the deployment's model).</param>
/// <param name="Share">Percent of the traffic, 0–100, at most two decimals.</param>
/// <param name="Shadow">Whether the version only receives mirrored traffic (default false).</param>
public sealed record TrafficEntry(int? Version, decimal? Share, bool? Shadow = null);

/// <summary>
/// One deployment of one model in one environment, as deployment tools report it: where it answers, how it was
/// rolled out, which versions serve which share of its traffic (its current revision) and its latest status.
/// </summary>
/// <param name="Id">The server-assigned id (<c>dep-…</c>); stable for the deployment's life.</param>
/// <param name="Name">Unique among the live deployments of its environment.</param>
/// <param name="Environment">The environment it runs in.</param>
/// <param name="Model">The model's full name (its current name if it was renamed).</param>
/// <param name="Endpoint">Where it answers (a URL, a SageMaker endpoint name …).</param>
/// <param name="EnvironmentVariables">Its environment variables; secret-looking values are masked.</param>
/// <param name="Method">How it is served: free text (self-hosted, ECS, EKS, AWS Lambda, SageMaker, KServe …).</param>
/// <param name="Strategy">The rolling strategy: blue-green, canary, rolling or shadow.</param>
/// <param name="Description">What it is, for people.</param>
/// <param name="Status">pending, in_progress, succeeded, failed or rolled_back.</param>
/// <param name="StatusMessage">The message of the latest status entry.</param>
/// <param name="Revision">The current revision of its traffic allocation (1 for the first).</param>
/// <param name="Traffic">The current allocation: serving versions first (largest share first), then shadows.</param>
/// <param name="CreatedAt">When it was recorded.</param>
/// <param name="CreatedBy">Who recorded it.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="UpdatedBy">Who last changed it.</param>
/// <param name="DeletedAt">When it was deleted; its rows stay as evidence.</param>
/// <param name="DeletedBy">Who deleted it.</param>
public sealed record Deployment(
    string Id,
    string Name,
    string Environment,
    string Model,
    string? Endpoint,
    IReadOnlyDictionary<string, string> EnvironmentVariables,
    string? Method,
    string? Strategy,
    string? Description,
    string Status,
    string? StatusMessage,
    int Revision,
    IReadOnlyList<TrafficShare> Traffic,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset UpdatedAt,
    string UpdatedBy,
    DateTimeOffset? DeletedAt = null,
    string? DeletedBy = null)
{
    /// <summary>The model's row id in the store (for features that join on it, such as monitoring); not part of the API.</summary>
    [JsonIgnore]
    public long ModelId { get; init; }

    /// <summary>The lineage node of the deployment: <c>deployment:&lt;environment&gt;:&lt;name&gt;</c>.</summary>
    public string LineageNode => DeploymentIds.LineageNode(Environment, Name);
}

/// <summary>A deployment as a deployment tool records it (<c>POST /api/v1/deployments</c>).</summary>
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
    string? Name = null,
    string? Environment = null,
    string? Model = null,
    IReadOnlyList<TrafficEntry>? Traffic = null,
    string? Endpoint = null,
    IReadOnlyDictionary<string, string>? EnvironmentVariables = null,
    string? Method = null,
    string? Strategy = null,
    string? Description = null,
    string? Status = null,
    string? Message = null);

/// <summary>What <c>PATCH /api/v1/deployments/{id}</c> changes; absent fields stay as they are.</summary>
/// <param name="Endpoint">Where it answers.</param>
/// <param name="EnvironmentVariables">The whole new set; masked values sent back keep the stored secret.</param>
/// <param name="Method">How it is served.</param>
/// <param name="Strategy">blue-green, canary, rolling or shadow.</param>
/// <param name="Description">What it is.</param>
public sealed record UpdateDeploymentRequest(
    string? Endpoint = null, IReadOnlyDictionary<string, string>? EnvironmentVariables = null, string? Method = null, string? Strategy = null, string? Description = null);

/// <summary>A new allocation (<c>PUT /api/v1/deployments/{id}/traffic</c>): a new revision.</summary>
/// <param name="Traffic">The whole new allocation.</param>
/// <param name="Status">The status recorded with it (default in_progress: a shift is a rollout until a tool reports its end).</param>
/// <param name="Message">A note kept with the revision and its status entry.</param>
public sealed record ShiftTrafficRequest(IReadOnlyList<TrafficEntry>? Traffic = null, string? Status = null, string? Message = null);

/// <summary>A status report (<c>POST /api/v1/deployments/{id}/status</c>).</summary>
/// <param name="Status">pending, in_progress, succeeded, failed or rolled_back.</param>
/// <param name="Message">What happened, for people.</param>
public sealed record ReportStatusRequest(string? Status = null, string? Message = null);

/// <summary>A rollback (<c>POST /api/v1/deployments/{id}/rollback</c>).</summary>
/// <param name="Message">Why, kept with the new revision and its rolled_back status entry.</param>
public sealed record RollbackRequest(string? Message = null);

/// <summary>One entry of a deployment's status history.</summary>
/// <param name="Status">The status reported.</param>
/// <param name="Message">What the reporter said.</param>
/// <param name="Revision">The revision current when it was reported.</param>
/// <param name="At">When.</param>
/// <param name="By">Who reported it.</param>
public sealed record DeploymentStatusEntry(string Status, string? Message, int Revision, DateTimeOffset At, string By);

/// <summary>One allocation a deployment had.</summary>
/// <param name="Revision">Its number, from 1.</param>
/// <param name="Traffic">The allocation.</param>
/// <param name="RestoredFrom">For a rollback, the revision whose allocation it restored.</param>
/// <param name="Message">The note given with it.</param>
/// <param name="CreatedAt">When it became current.</param>
/// <param name="CreatedBy">Who made it.</param>
public sealed record DeploymentRevision(int Revision, IReadOnlyList<TrafficShare> Traffic, int? RestoredFrom, string? Message, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>Which deployments to list; every part is optional.</summary>
/// <param name="Environment">Only those in this environment.</param>
/// <param name="Model">Only those of this model (full name).</param>
/// <param name="Version">Only those whose current allocation holds this version (with <paramref name="Model"/>).</param>
/// <param name="Status">Only those in this status.</param>
/// <param name="IncludeDeleted">Deleted deployments too.</param>
/// <param name="MaxResults">Page size (default 100, at most 1000).</param>
/// <param name="PageToken">The token of the previous page.</param>
public sealed record DeploymentQuery(
    string? Environment = null, string? Model = null, int? Version = null, string? Status = null, bool IncludeDeleted = false, int? MaxResults = null, string? PageToken = null);

/// <summary>A page of deployments, by environment and name.</summary>
public sealed record DeploymentPage(IReadOnlyList<Deployment> Deployments, string? NextPageToken);

/// <summary>The values deployments take, and their ids.</summary>
public static class DeploymentIds
{
    /// <summary>The statuses a deployment reports, in the order a rollout passes them.</summary>
    public static IReadOnlyList<string> Statuses { get; } = ["pending", "in_progress", "succeeded", "failed", "rolled_back"];

    /// <summary>The rolling strategies.</summary>
    public static IReadOnlyList<string> Strategies { get; } = ["blue-green", "canary", "rolling", "shadow"];

    /// <summary>Serving methods suggested to people (the field is free text).</summary>
    public static IReadOnlyList<string> SuggestedMethods { get; } = ["self-hosted", "ECS", "EKS", "AWS Lambda", "SageMaker", "KServe"];

    /// <summary>The lineage node id of a deployment: <c>deployment:&lt;environment&gt;:&lt;name&gt;</c>.</summary>
    public static string LineageNode(string environment, string name) => $"deployment:{environment}:{name}";
}
