using System.Text.Json.Nodes;
using Cairn.Artifacts.Formats;

namespace Cairn.Governance.Cards;

/// <summary>A model card's risk rating, on SageMaker model cards' scale.</summary>
public static class RiskRatings
{
    public const string High = "High";
    public const string Medium = "Medium";
    public const string Low = "Low";
    public const string Unknown = "Unknown";

    /// <summary>Every rating, highest first.</summary>
    public static IReadOnlyList<string> All { get; } = [High, Medium, Low, Unknown];

    /// <summary>The rating spelled as stored (any case accepted), else a 400 naming <c>risk_rating</c>.</summary>
    public static string Parse(string? value) =>
        All.FirstOrDefault(r => string.Equals(r, value?.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidParameterException($"'risk_rating' must be one of {string.Join(", ", All)}; got '{value}'.");
}

/// <summary>A model card's review status: Draft → PendingReview → Approved; an edit sends it back to Draft.</summary>
public static class CardStatuses
{
    public const string Draft = "Draft";
    public const string PendingReview = "PendingReview";
    public const string Approved = "Approved";
}

/// <summary>
/// A version's model card as Cairn answers it: what people wrote (<see cref="Sections"/>, in the Model Card Toolkit
/// v0.0.2 shape plus <c>intended_uses</c>), its risk rating and review status, and what the registry knows about the
/// version (<see cref="Registry"/>), filled when the card is read. A version nobody wrote a card for has an empty Draft.
/// </summary>
/// <param name="Model">The model's full name.</param>
/// <param name="Version">The version number.</param>
/// <param name="Status">Draft, PendingReview or Approved.</param>
/// <param name="RiskRating">High, Medium, Low or Unknown.</param>
/// <param name="Sections">The people-written sections as stored (what <c>PUT …/card</c> takes back).</param>
/// <param name="Filled">For each section name (and <c>risk_rating</c>), whether it is filled (<see cref="ModelCardSections.IsFilled"/>).</param>
/// <param name="Registry">What the registry knows about the version.</param>
/// <param name="Review">Who wrote, submitted, approved or returned the card and when.</param>
public sealed record ModelCard(
    string Model,
    int Version,
    string Status,
    string RiskRating,
    JsonObject Sections,
    IReadOnlyDictionary<string, bool> Filled,
    ModelCardFacts Registry,
    ModelCardReview Review);

/// <summary>The card's review trail: each step's latest actor and time (null where it has not happened).</summary>
public sealed record ModelCardReview(
    DateTimeOffset? CreatedAt,
    string? CreatedBy,
    DateTimeOffset? UpdatedAt,
    string? UpdatedBy,
    DateTimeOffset? SubmittedAt,
    string? SubmittedBy,
    DateTimeOffset? ApprovedAt,
    string? ApprovedBy,
    DateTimeOffset? ReturnedAt,
    string? ReturnedBy,
    string? Comment);

/// <summary>What the registry knows about a card's version, read when the card is read.</summary>
/// <param name="FullName">The model's full name.</param>
/// <param name="Namespace">The model's namespace.</param>
/// <param name="Name">The model's name within its namespace.</param>
/// <param name="Version">The version number.</param>
/// <param name="Semver">The version's semantic version label, or null.</param>
/// <param name="Description">The version's description, else the model's.</param>
/// <param name="Owners">The model's owner (one today; a list for the card's shape).</param>
/// <param name="Framework">The version's framework.</param>
/// <param name="Format">The format read from the version's files.</param>
/// <param name="Signature">The inputs and outputs read from the files.</param>
/// <param name="Inference">The model's declared inference input and output schemas.</param>
/// <param name="Metrics">The version's metrics.</param>
/// <param name="Stage">The version's stage.</param>
/// <param name="Aliases">The aliases pointing at the version.</param>
/// <param name="Source">Where the version's model came from.</param>
/// <param name="RunId">The run that produced it.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="CreatedBy">Who registered it.</param>
/// <param name="LineageVisible">False when the caller may not read the lineage graph (reader on '/'): the dataset lists are then empty.</param>
/// <param name="TrainingDatasets">The datasets the runs that produced the version read (less those tagged for evaluation).</param>
/// <param name="EvaluationDatasets">The datasets the runs that read the version read, and the producing runs' inputs tagged evaluation, validation or test.</param>
/// <param name="Approvals">The promotion requests for the version with their reviews, oldest first.</param>
public sealed record ModelCardFacts(
    string FullName,
    string Namespace,
    string Name,
    int Version,
    string? Semver,
    string? Description,
    IReadOnlyList<string> Owners,
    string? Framework,
    string? Format,
    ModelSignature? Signature,
    Catalog.InferenceSpec? Inference,
    IReadOnlyDictionary<string, double> Metrics,
    string Stage,
    IReadOnlyList<string> Aliases,
    string? Source,
    string? RunId,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    bool LineageVisible,
    IReadOnlyList<CardDataset> TrainingDatasets,
    IReadOnlyList<CardDataset> EvaluationDatasets,
    IReadOnlyList<CardApproval> Approvals);

/// <summary>A dataset on a version's lineage.</summary>
/// <param name="Id">Its lineage node id.</param>
/// <param name="Namespace">Its namespace.</param>
/// <param name="Name">Its name.</param>
/// <param name="DatasetVersion">Its latest version as registered, when it is a registered dataset.</param>
/// <param name="Location">Where it lives, when registered.</param>
/// <param name="HasSchema">Whether it is registered with a schema.</param>
/// <param name="Run">The run through which it reaches the version.</param>
public sealed record CardDataset(string Id, string Namespace, string Name, string? DatasetVersion, string? Location, bool HasSchema, string Run);

/// <summary>A promotion request for the card's version, with its reviews.</summary>
public sealed record CardApproval(
    string RequestId,
    string TargetKind,
    string Target,
    string Status,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    DateTimeOffset? DecidedAt,
    string? DecidedBy,
    IReadOnlyList<CardReviewVerdict> Reviews);

/// <summary>One reviewer's verdict on a promotion request.</summary>
public sealed record CardReviewVerdict(string Reviewer, string Verdict, string? Comment, DateTimeOffset At);

/// <summary>The body of <c>PUT …/card</c>: the sections (replacing what was written) and the risk rating.</summary>
/// <param name="Sections">The people-written sections; null or absent clears them.</param>
/// <param name="RiskRating">High, Medium, Low or Unknown; absent means Unknown.</param>
public sealed record PutModelCardRequest(JsonObject? Sections, string? RiskRating = null);

/// <summary>The body of <c>POST …/card/submit|approve|return</c>.</summary>
public sealed record CardStepRequest(string? Comment = null);
