using Cairn.Artifacts.Formats;

namespace Cairn.Registry;

/// <summary>Lifecycle stages, as in MLflow.</summary>
public enum Stage
{
    None,
    Staging,
    Production,
    Archived,
}

/// <summary>Registration status, as in MLflow: a version is READY unless registration is still under way or failed.</summary>
public static class VersionStatus
{
    public const string PendingRegistration = "PENDING_REGISTRATION";
    public const string FailedRegistration = "FAILED_REGISTRATION";
    public const string Ready = "READY";

    public static string Check(string? status) => status?.ToUpperInvariant() switch
    {
        null => Ready,
        PendingRegistration or FailedRegistration or Ready => status.ToUpperInvariant(),
        _ => throw new InvalidParameterException($"'status' must be one of {PendingRegistration}, {FailedRegistration}, {Ready}; got '{status}'."),
    };
}

/// <summary>One registered version of a model.</summary>
public sealed record ModelVersion(
    string Model,
    int Version,
    string? Semver,
    string? Description,
    string? Source,
    string? RunId,
    string? Framework,
    int? ParentVersion,
    string Status,
    Stage Stage,
    string? Format,
    ModelSignature? Signature,
    IReadOnlyDictionary<string, string> FormatProperties,
    string? IntrospectionError,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> Aliases,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset UpdatedAt,
    string UpdatedBy,
    string? RunLink = null,
    string? LoggedModelId = null);

public sealed record CreateVersionRequest(
    string? Description = null,
    string? Source = null,
    string? RunId = null,
    string? Framework = null,
    string? Semver = null,
    int? ParentVersion = null,
    string? Status = null,
    IReadOnlyDictionary<string, double>? Metrics = null,
    IReadOnlyDictionary<string, string>? Params = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? RunLink = null,
    string? LoggedModelId = null);

/// <summary>A partial update: fields left null are unchanged.</summary>
public sealed record UpdateVersionRequest(string? Description = null, string? Semver = null, string? Framework = null, string? Status = null);

public sealed record VersionQuery(
    string? Filter = null, string? OrderBy = null, int? MaxResults = null, string? PageToken = null,
    Search.FilterGrammar Grammar = Search.FilterGrammar.Cairn, Search.FilterExpression? Expression = null,
    VersionParts Parts = VersionParts.All);

public sealed record VersionPage(IReadOnlyList<ModelVersion> Versions, string? NextPageToken);

public sealed record StageChange(string? Stage, bool ArchiveExisting = false, string? Comment = null);

public sealed record StageTransition(int Version, Stage FromStage, Stage ToStage, string? Comment, DateTimeOffset ChangedAt, string ChangedBy);

/// <summary>An alias's current target.</summary>
public sealed record AliasTarget(string Alias, int Version);

/// <summary>One change of an alias; <see cref="Version"/> is null when the alias was removed.</summary>
public sealed record AliasChange(string Alias, int? Version, int? PreviousVersion, DateTimeOffset ChangedAt, string ChangedBy);
