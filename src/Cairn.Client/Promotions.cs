using System.Text.Json.Nodes;

namespace Cairn.Client;

/// <summary>A promotion policy: which targets of a model are protected and what moving them takes.</summary>
/// <param name="ProtectedTargets">The rules, one per target.</param>
public sealed record Policy(IReadOnlyList<ProtectedTarget> ProtectedTargets);

/// <summary>One protected target (exactly one of <paramref name="Stage"/> and <paramref name="Alias"/>); a field left null takes the server's default.</summary>
/// <param name="Stage">A stage: Staging, Production (or None, Archived).</param>
/// <param name="Alias">An alias name, or a pattern with <c>*</c> (<c>prod-*</c>).</param>
/// <param name="Approvals">How many distinct approvers must approve (default 1); 0 with no gates unprotects the target.</param>
/// <param name="ApproverRole">The least role approvers need on the model's namespace (default approver).</param>
/// <param name="FourEyes">Whether the requester and the version's creator are barred from approving (default true).</param>
/// <param name="ExpiresAfterHours">How long a request stays open (default 168).</param>
/// <param name="ArchiveExisting">For a stage: whether applying archives the versions already in it (default true).</param>
/// <param name="Gates">The quality gates the version must pass, at request time and when applied.</param>
public sealed record ProtectedTarget(
    string? Stage = null, string? Alias = null, int? Approvals = null, string? ApproverRole = null, bool? FourEyes = null,
    double? ExpiresAfterHours = null, bool? ArchiveExisting = null, IReadOnlyList<GateSpec>? Gates = null);

/// <summary>A quality gate; <paramref name="Type"/> says which of the other fields apply (docs/governance.md).</summary>
/// <param name="Type"><c>metric_threshold</c>, <c>required_fields</c>, <c>files_ready</c>, <c>dataset_lineage</c>, <c>model_card</c> or <c>required_tags</c>.</param>
/// <param name="Metric">For metric_threshold: the metric.</param>
/// <param name="Threshold">For metric_threshold: the absolute bound.</param>
/// <param name="MinAbsoluteChange">For metric_threshold: the least absolute improvement over the current holder.</param>
/// <param name="MinRelativeChange">For metric_threshold: the least relative improvement over the current holder.</param>
/// <param name="GreaterIsBetter">For metric_threshold: whether higher is better (default true).</param>
/// <param name="Fields">For required_fields: description, owner, license, signature.</param>
/// <param name="RequireSchema">For dataset_lineage: whether the dataset needs a schema (default true).</param>
/// <param name="Sections">For model_card: the sections that must be filled.</param>
/// <param name="RequireApproved">For model_card: whether the card must be Approved (default true).</param>
/// <param name="Tags">For required_tags: the keys, with a value or null for any.</param>
public sealed record GateSpec(
    string Type, string? Metric = null, double? Threshold = null, double? MinAbsoluteChange = null, double? MinRelativeChange = null,
    bool? GreaterIsBetter = null, IReadOnlyList<string>? Fields = null, bool? RequireSchema = null, IReadOnlyList<string>? Sections = null,
    bool? RequireApproved = null, IReadOnlyDictionary<string, string?>? Tags = null);

/// <summary>A stored policy: whose it is, the document and its last change.</summary>
/// <param name="Source"><c>namespace /risk</c> or <c>model risk.fraud</c>.</param>
/// <param name="Namespace">The namespace, for a namespace's policy.</param>
/// <param name="Model">The model, for a model's policy.</param>
/// <param name="Policy">The document.</param>
/// <param name="UpdatedAt">When it was last set.</param>
/// <param name="UpdatedBy">Who set it.</param>
public sealed record PolicyDocument(string Source, string? Namespace, string? Model, Policy Policy, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>One target named by the policies in effect for a model, with its nearest rule.</summary>
/// <param name="Target"><c>Production</c> or <c>@prod-*</c>.</param>
/// <param name="Protected">False when the nearest rule unprotects it.</param>
/// <param name="Rule">The nearest rule.</param>
/// <param name="PolicySource">Whose policy it is in.</param>
public sealed record EffectiveRule(string Target, bool Protected, ProtectedTarget Rule, string PolicySource);

/// <summary>The rules in effect for a model.</summary>
/// <param name="Model">The model's full name.</param>
/// <param name="Namespace">Its namespace.</param>
/// <param name="Rules">Each target's effective rule.</param>
public sealed record EffectivePolicy(string Model, string Namespace, IReadOnlyList<EffectiveRule> Rules);

/// <summary>Where a promotion request is in its life.</summary>
public enum PromotionStatus
{
    /// <summary>Waiting for approvals.</summary>
    Pending,

    /// <summary>Approved, gates passed, change made.</summary>
    Applied,

    /// <summary>Rejected by a reviewer or by its gates.</summary>
    Rejected,

    /// <summary>Withdrawn, or its version was deleted.</summary>
    Cancelled,

    /// <summary>Not decided in time.</summary>
    Expired,
}

/// <summary>What a promotion moves.</summary>
public enum PromotionTargetKind
{
    /// <summary>A stage.</summary>
    Stage,

    /// <summary>An alias.</summary>
    Alias,
}

/// <summary>One gate's verdict with its evidence.</summary>
/// <param name="Type">The gate type.</param>
/// <param name="Rule">The rule in words.</param>
/// <param name="Passed">The verdict.</param>
/// <param name="Reason">Why.</param>
/// <param name="Evidence">The inputs and values it rests on.</param>
public sealed record GateResult(string Type, string Rule, bool Passed, string Reason, JsonObject? Evidence = null);

/// <summary>One reviewer's verdict.</summary>
/// <param name="Reviewer">Who.</param>
/// <param name="Verdict">APPROVE or REJECT.</param>
/// <param name="Comment">Why.</param>
/// <param name="At">When.</param>
public sealed record PromotionReview(string Reviewer, string Verdict, string? Comment, DateTimeOffset At);

/// <summary>A request to move a protected stage or alias to a version, with its reviews and gate evidence.</summary>
/// <param name="Id">The request's id.</param>
/// <param name="Model">The model's full name.</param>
/// <param name="Version">The version to promote.</param>
/// <param name="Target">The stage or alias name.</param>
/// <param name="TargetKind">Stage or Alias.</param>
/// <param name="Status">Where it is.</param>
/// <param name="Comment">The requester's comment.</param>
/// <param name="RequestedBy">Who asked.</param>
/// <param name="RequestedAt">When.</param>
/// <param name="ExpiresAt">When it expires if undecided.</param>
/// <param name="Rule">The rule last evaluated for it.</param>
/// <param name="PolicySource">Whose policy that rule is in.</param>
/// <param name="Gates">The last gate evaluation.</param>
/// <param name="GatesAt">When the gates were last evaluated.</param>
/// <param name="Reviews">The reviews, oldest first.</param>
/// <param name="DecidedAt">When it was decided.</param>
/// <param name="DecidedBy">Who decided (a reviewer, <c>gates</c>, <c>cairn</c> for expiry).</param>
/// <param name="Decision">The decision in words.</param>
/// <param name="PreviousVersion">The version that held the target before it was applied.</param>
public sealed record PromotionRequest(
    string Id, string Model, int Version, string Target, PromotionTargetKind TargetKind, PromotionStatus Status, string? Comment,
    string RequestedBy, DateTimeOffset RequestedAt, DateTimeOffset? ExpiresAt, ProtectedTarget Rule, string PolicySource,
    IReadOnlyList<GateResult> Gates, DateTimeOffset? GatesAt, IReadOnlyList<PromotionReview> Reviews, DateTimeOffset? DecidedAt,
    string? DecidedBy, string? Decision, int? PreviousVersion);

/// <summary>A page of promotion requests, newest first.</summary>
/// <param name="Requests">The requests on this page.</param>
/// <param name="NextPageToken">Pass it back for the next page; null on the last.</param>
public sealed record PromotionPage(IReadOnlyList<PromotionRequest> Requests, string? NextPageToken);

/// <summary>Which promotion requests to list; null matches everything.</summary>
/// <param name="Model">Only this model's.</param>
/// <param name="Version">Only this version's (with <paramref name="Model"/>).</param>
/// <param name="Status">Only those in this status.</param>
/// <param name="Namespace">Only those of models in this namespace or below.</param>
/// <param name="Actionable">Only those the caller may approve now (the inbox).</param>
public sealed record PromotionQuery(string? Model = null, int? Version = null, PromotionStatus? Status = null, string? Namespace = null, bool Actionable = false);
