using System.Text.Json.Nodes;

namespace Cairn.Client;

/// <summary>
/// A compliance report (GET /api/v1/reports/compliance): for a model or a namespace, every version that held each
/// stage and alias and when, the request that made each holding with its reviews and gates' evidence, the versions'
/// cards and lineage, the audit-chain head with its verification, and where Annex IV of the EU AI Act is answered.
/// </summary>
public sealed record ComplianceReport(
    string Scope,
    string ScopeKind,
    DateTimeOffset? At,
    DateTimeOffset GeneratedAt,
    string GeneratedBy,
    ComplianceLimits Limits,
    IReadOnlyList<ModelCompliance> Models,
    ComplianceAuditHead Audit,
    IReadOnlyList<AnnexIvItem> AnnexIv);

/// <summary>The caps the report's reads observe; <paramref name="Truncated"/> names each collection a cap cut short.</summary>
public sealed record ComplianceLimits(int MaxModels, int MaxChanges, int MaxRequests, int MaxLineageNodes, IReadOnlyList<string> Truncated);

/// <summary>One model's targets, the requests not applied, and the versions that held a target.</summary>
public sealed record ModelCompliance(
    string Model,
    string Namespace,
    string? Description,
    string? Owner,
    IReadOnlyList<TargetHistory> Targets,
    IReadOnlyList<ComplianceRequest> Requests,
    IReadOnlyList<VersionEvidence> Versions);

/// <summary>A stage (<c>Production</c>) or an alias (<c>@champion</c>): protected or not, who held it when, and who held it at the report's instant.</summary>
public sealed record TargetHistory(
    string Target,
    string Kind,
    string Name,
    bool Protected,
    string? PolicySource,
    JsonObject? Rule,
    IReadOnlyList<int>? HeldAt,
    IReadOnlyList<Holding> Holdings);

/// <summary>One version holding one target from <paramref name="From"/> until <paramref name="Until"/> (null: still holds it); <paramref name="How"/> is <c>promotion_request</c> or <c>direct</c>.</summary>
public sealed record Holding(
    int Version,
    DateTimeOffset From,
    DateTimeOffset? Until,
    string ChangedBy,
    string? Comment,
    string? EndedBy,
    bool Recorded,
    string How,
    ComplianceRequest? Request);

/// <summary>A promotion request as evidence: who asked, the reviews, the gates' results, and the decision.</summary>
public sealed record ComplianceRequest(
    string Id,
    string Model,
    int Version,
    string Target,
    string TargetKind,
    string Status,
    string? Comment,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    DateTimeOffset? ExpiresAt,
    JsonObject? Rule,
    string PolicySource,
    IReadOnlyList<JsonObject> Gates,
    DateTimeOffset? GatesAt,
    IReadOnlyList<ComplianceReview> Reviews,
    DateTimeOffset? DecidedAt,
    string? DecidedBy,
    string? Decision,
    int? PreviousVersion);

/// <summary>One reviewer's verdict (APPROVE or REJECT).</summary>
public sealed record ComplianceReview(string Reviewer, string Verdict, string? Comment, DateTimeOffset At);

/// <summary>A version that held a target, with its card and lineage (null when the caller may not read the graph).</summary>
public sealed record VersionEvidence(
    int Version,
    bool Exists,
    string? Status,
    string? Stage,
    string? Framework,
    string? RunId,
    string? Description,
    DateTimeOffset? CreatedAt,
    string? CreatedBy,
    JsonObject? Card,
    JsonObject? Lineage);

/// <summary>The audit chain's head as the report saw it, and the chain's verification (as <c>cairn audit verify</c>).</summary>
public sealed record ComplianceAuditHead(long HeadSeq, string HeadHash, AuditVerification Verification, bool HeadVerified);

/// <summary>An item of the EU AI Act's Annex IV, and where the report answers it (<c>answered</c>, <c>partly</c>, <c>not_recorded</c>).</summary>
public sealed record AnnexIvItem(int Item, string Title, string Coverage, IReadOnlyList<string> Where, string Note);
