using System.Text.Json.Nodes;
using Cairn.Registry;

namespace Cairn.Governance;

/// <summary>What kind of pointer a promotion moves.</summary>
public enum PromotionTargetKind
{
    /// <summary>A stage: the version moves into it.</summary>
    Stage,

    /// <summary>An alias: it is pointed at the version.</summary>
    Alias,
}

/// <summary>A stage (<c>Production</c>) or an alias (<c>champion</c>) of a model.</summary>
public sealed record PromotionTarget(PromotionTargetKind Kind, string Name)
{
    /// <summary>
    /// Reads a target as callers write it: a stage name (any case) is the stage; anything else is an alias, and a
    /// leading <c>@</c> forces an alias (<c>@production</c> for an alias that is spelled like a stage).
    /// </summary>
    public static PromotionTarget Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new InvalidParameterException("'target' is required: a stage (Staging, Production) or an alias (champion, or @name).");
        }
        if (text.StartsWith('@'))
        {
            return new PromotionTarget(PromotionTargetKind.Alias, text[1..]);
        }
        return Enum.TryParse<Stage>(text, ignoreCase: true, out var stage) && Enum.IsDefined(stage) && !int.TryParse(text, out _)
            ? new PromotionTarget(PromotionTargetKind.Stage, stage.ToString())
            : new PromotionTarget(PromotionTargetKind.Alias, text);
    }

    /// <summary>As written in messages and the API: <c>Production</c> or <c>@champion</c>.</summary>
    public override string ToString() => Kind == PromotionTargetKind.Stage ? Name : "@" + Name;
}

/// <summary>Where a promotion request is in its life.</summary>
public enum PromotionStatus
{
    /// <summary>Open: waiting for approvals (or for its gates).</summary>
    Pending,

    /// <summary>Approved, its gates passed, and the change was made.</summary>
    Applied,

    /// <summary>A reviewer rejected it, or its gates failed.</summary>
    Rejected,

    /// <summary>Withdrawn by its requester (or an admin), or its version was deleted.</summary>
    Cancelled,

    /// <summary>Not decided in the time its policy allows.</summary>
    Expired,
}

/// <summary>One gate's verdict with its evidence: what was checked, the values found, and why it passed or failed.</summary>
/// <param name="Type">The gate type (<c>metric_threshold</c> …).</param>
/// <param name="Rule">The rule in words (<c>auc &gt;= 0.80</c>).</param>
/// <param name="Passed">The verdict.</param>
/// <param name="Reason">Why, in a sentence a reviewer reads.</param>
/// <param name="Evidence">The inputs and values the verdict rests on.</param>
public sealed record GateResult(string Type, string Rule, bool Passed, string Reason, JsonObject? Evidence = null);

/// <summary>One reviewer's verdict on a promotion request.</summary>
public sealed record PromotionReview(string Reviewer, string Verdict, string? Comment, DateTimeOffset At);

/// <summary>A request to move a protected target to a version, with its reviews and its gates' evidence.</summary>
public sealed record PromotionRequest(
    string Id,
    string Model,
    int Version,
    string Target,
    PromotionTargetKind TargetKind,
    PromotionStatus Status,
    string? Comment,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    DateTimeOffset? ExpiresAt,
    ProtectedTarget Rule,
    string PolicySource,
    IReadOnlyList<GateResult> Gates,
    DateTimeOffset? GatesAt,
    IReadOnlyList<PromotionReview> Reviews,
    DateTimeOffset? DecidedAt,
    string? DecidedBy,
    string? Decision,
    int? PreviousVersion);
