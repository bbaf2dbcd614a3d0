namespace Cairn.Client;

/// <summary>Lifecycle stages of a version, as in MLflow.</summary>
public enum Stage
{
    /// <summary>Registered, not yet in any stage.</summary>
    None,

    /// <summary>Under evaluation.</summary>
    Staging,

    /// <summary>Serving; moving a version here needs the approver role.</summary>
    Production,

    /// <summary>Retired.</summary>
    Archived,
}

/// <summary>One registered version of a model.</summary>
/// <param name="Model">The model's full name.</param>
/// <param name="Version">The number the server assigned: 1, 2, 3 …</param>
/// <param name="Semver">An optional semantic-version label.</param>
/// <param name="Description">What changed in this version.</param>
/// <param name="Source">Where the version's files came from, such as an artifact URI.</param>
/// <param name="RunId">The training run that produced it.</param>
/// <param name="Framework">The framework it was built with.</param>
/// <param name="ParentVersion">The version it derives from.</param>
/// <param name="Status"><c>READY</c>, <c>PENDING_REGISTRATION</c> or <c>FAILED_REGISTRATION</c>.</param>
/// <param name="Stage">Its lifecycle stage.</param>
/// <param name="Metrics">Evaluation metrics.</param>
/// <param name="Params">Training parameters.</param>
/// <param name="Tags">Free-form key/value labels.</param>
/// <param name="Aliases">The aliases that point to this version.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="CreatedBy">Who registered it.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="UpdatedBy">Who last changed it.</param>
/// <param name="Format">The model format detected in its files (onnx, safetensors, gguf, …), if any.</param>
/// <param name="Signature">Inputs and outputs, where the model file tells them.</param>
/// <param name="FormatProperties">Format-specific facts (opset, parameter count, quantization, …).</param>
/// <param name="IntrospectionError">Why a file of a known format could not be read, if it could not.</param>
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
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> Aliases,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset UpdatedAt,
    string UpdatedBy,
    string? Format = null,
    ModelSignature? Signature = null,
    IReadOnlyDictionary<string, string>? FormatProperties = null,
    string? IntrospectionError = null);

/// <summary>A new version of a model; the server assigns its number.</summary>
/// <param name="Description">What changed in this version.</param>
/// <param name="Source">Where its files came from.</param>
/// <param name="RunId">The training run that produced it.</param>
/// <param name="Framework">The framework it was built with.</param>
/// <param name="Semver">A semantic-version label.</param>
/// <param name="ParentVersion">The version it derives from.</param>
/// <param name="Status">Registration status; <c>READY</c> when omitted.</param>
/// <param name="Metrics">Evaluation metrics.</param>
/// <param name="Params">Training parameters.</param>
/// <param name="Tags">Initial tags.</param>
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
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>A partial update of a version: fields left null are unchanged.</summary>
/// <param name="Description">The new description.</param>
/// <param name="Semver">The new semantic-version label.</param>
/// <param name="Framework">The new framework.</param>
/// <param name="Status">The new registration status.</param>
public sealed record UpdateVersionRequest(string? Description = null, string? Semver = null, string? Framework = null, string? Status = null);

/// <summary>One page of a version listing.</summary>
/// <param name="Versions">The versions on this page.</param>
/// <param name="NextPageToken">Pass it back to get the next page; null on the last page.</param>
public sealed record VersionPage(IReadOnlyList<ModelVersion> Versions, string? NextPageToken);

/// <summary>One move of a version between stages.</summary>
/// <param name="Version">The version that moved.</param>
/// <param name="FromStage">The stage it left.</param>
/// <param name="ToStage">The stage it entered.</param>
/// <param name="Comment">Why, as given by whoever moved it (or the server, for versions archived on the way).</param>
/// <param name="ChangedAt">When it moved.</param>
/// <param name="ChangedBy">Who moved it.</param>
public sealed record StageTransition(int Version, Stage FromStage, Stage ToStage, string? Comment, DateTimeOffset ChangedAt, string ChangedBy);

/// <summary>An alias and the version it points to.</summary>
/// <param name="Alias">The alias, such as <c>champion</c>.</param>
/// <param name="Version">The version it names.</param>
public sealed record AliasTarget(string Alias, int Version);

/// <summary>One change of an alias.</summary>
/// <param name="Alias">The alias.</param>
/// <param name="Version">The version it named after the change; null when the alias was removed.</param>
/// <param name="PreviousVersion">The version it named before; null when it was new.</param>
/// <param name="ChangedAt">When it changed.</param>
/// <param name="ChangedBy">Who changed it.</param>
public sealed record AliasChange(string Alias, int? Version, int? PreviousVersion, DateTimeOffset ChangedAt, string ChangedBy);
