using System.Text.Json.Nodes;

namespace Cairn.Client;

/// <summary>
/// A version's model card: the sections people wrote (Model Card Toolkit v0.0.2 shape plus <c>intended_uses</c>), its
/// risk rating and review status, and what the registry knows about the version, filled when the card is read.
/// </summary>
/// <param name="Model">The model's full name.</param>
/// <param name="Version">The version number.</param>
/// <param name="Status">Draft, PendingReview or Approved.</param>
/// <param name="RiskRating">High, Medium, Low or Unknown.</param>
/// <param name="Sections">The people-written sections, as <see cref="CairnClient.PutModelCardAsync"/> takes them back.</param>
/// <param name="Filled">For each section (and <c>risk_rating</c>), whether it is filled.</param>
/// <param name="Registry">What the registry knows about the version.</param>
/// <param name="Review">Who last edited, submitted, approved or returned the card, and when.</param>
public sealed record ModelCard(
    string Model, int Version, string Status, string RiskRating, JsonObject Sections, IReadOnlyDictionary<string, bool> Filled,
    ModelCardFacts Registry, ModelCardReview Review);

/// <summary>The card's review trail (null where a step has not happened).</summary>
public sealed record ModelCardReview(
    DateTimeOffset? CreatedAt, string? CreatedBy, DateTimeOffset? UpdatedAt, string? UpdatedBy,
    DateTimeOffset? SubmittedAt, string? SubmittedBy, DateTimeOffset? ApprovedAt, string? ApprovedBy,
    DateTimeOffset? ReturnedAt, string? ReturnedBy, string? Comment);

/// <summary>What the registry knows about a card's version.</summary>
public sealed record ModelCardFacts(
    string FullName, string Namespace, string Name, int Version, string? Semver, string? Description, IReadOnlyList<string> Owners,
    string? Framework, string? Format, JsonNode? Signature, IReadOnlyDictionary<string, double> Metrics, string Stage,
    IReadOnlyList<string> Aliases, string? Source, string? RunId, DateTimeOffset CreatedAt, string CreatedBy, bool LineageVisible,
    IReadOnlyList<CardDataset> TrainingDatasets, IReadOnlyList<CardDataset> EvaluationDatasets, IReadOnlyList<CardApproval> Approvals);

/// <summary>A dataset on the version's lineage, with the run through which it reaches the version.</summary>
public sealed record CardDataset(string Id, string Namespace, string Name, string? DatasetVersion, string? Location, bool HasSchema, string Run);

/// <summary>A promotion request for the card's version, with its reviews.</summary>
public sealed record CardApproval(
    string RequestId, string TargetKind, string Target, string Status, string RequestedBy, DateTimeOffset RequestedAt,
    DateTimeOffset? DecidedAt, string? DecidedBy, IReadOnlyList<CardReviewVerdict> Reviews);

/// <summary>One reviewer's verdict on a promotion request.</summary>
public sealed record CardReviewVerdict(string Reviewer, string Verdict, string? Comment, DateTimeOffset At);

/// <summary>What <see cref="CairnClient.PutModelCardAsync"/> writes: the sections (replacing what was there) and the risk rating.</summary>
/// <param name="Sections">The sections; null clears them.</param>
/// <param name="RiskRating">High, Medium, Low or Unknown (null: Unknown).</param>
public sealed record PutModelCardRequest(JsonObject? Sections, string? RiskRating = null);

/// <summary>The renderings of a card <see cref="CairnClient.RenderModelCardAsync"/> downloads.</summary>
public enum ModelCardFormat
{
    /// <summary>The Model Card Toolkit's v0.0.2 JSON.</summary>
    Mct,

    /// <summary>Markdown.</summary>
    Md,

    /// <summary>A self-contained HTML page.</summary>
    Html,

    /// <summary>PDF.</summary>
    Pdf,
}

internal sealed record CardStepRequest(string? Comment);
