using System.Text.Json.Nodes;

namespace Cairn.Governance.Compliance;

/// <summary>
/// What a compliance report answers, for one model or every model of a namespace and below it: every version that held
/// a target (a stage or an alias) and when, who asked for and approved each holding with the gates' evidence, each
/// such version's model card and lineage to its data, and the audit-chain head with its verification, so an auditor
/// can check the report against the store later.
/// </summary>
/// <param name="Scope">What was asked for: a model's full name, or a namespace path.</param>
/// <param name="ScopeKind"><c>model</c> or <c>namespace</c>.</param>
/// <param name="At">The instant the report answers "which version held each target" for (null: none asked).</param>
/// <param name="GeneratedAt">When the report was made.</param>
/// <param name="GeneratedBy">Who asked for it.</param>
/// <param name="Limits">The caps the report's reads observe, and whether any cut it short.</param>
/// <param name="Models">Each model of the scope, by full name.</param>
/// <param name="Audit">The audit chain's head as the report's reads saw it, with the chain's verification.</param>
/// <param name="AnnexIv">Where the report answers each item of the EU AI Act's Annex IV (technical documentation).</param>
public sealed record ComplianceReport(
    string Scope,
    string ScopeKind,
    DateTimeOffset? At,
    DateTimeOffset GeneratedAt,
    string GeneratedBy,
    ComplianceLimits Limits,
    IReadOnlyList<ModelCompliance> Models,
    AuditHead Audit,
    IReadOnlyList<AnnexIvItem> AnnexIv);

/// <summary>The caps of a report's reads; <paramref name="Truncated"/> names each collection a cap cut short.</summary>
public sealed record ComplianceLimits(int MaxModels, int MaxChanges, int MaxRequests, int MaxLineageNodes, IReadOnlyList<string> Truncated);

/// <summary>One model's targets with their holdings, the requests made on it, and the versions that held a target.</summary>
/// <param name="Model">Its full name.</param>
/// <param name="Namespace">Its namespace.</param>
/// <param name="Description">Its description.</param>
/// <param name="Owner">Its owner.</param>
/// <param name="Targets">Staging, Production, every alias it has had and every target a policy protects.</param>
/// <param name="Requests">Every promotion request on the model that was not applied (rejected, cancelled, expired, pending), newest last; the applied ones are on their holdings.</param>
/// <param name="Versions">Each version that held a target, with its card and lineage.</param>
public sealed record ModelCompliance(
    string Model,
    string Namespace,
    string? Description,
    string? Owner,
    IReadOnlyList<TargetHistory> Targets,
    IReadOnlyList<PromotionRequest> Requests,
    IReadOnlyList<VersionEvidence> Versions);

/// <summary>A stage or an alias of a model, whether a policy protects it now, and who held it when.</summary>
/// <param name="Target">As written in the API: <c>Production</c>, <c>@champion</c>.</param>
/// <param name="Kind">Stage or alias.</param>
/// <param name="Name">The stage's or alias's name.</param>
/// <param name="Protected">Whether the policy in force now protects it.</param>
/// <param name="PolicySource">Whose policy decides it, as the promotion service names it (<c>namespace /risk</c>, <c>model risk.fraud</c>), also when that rule unprotects it.</param>
/// <param name="Rule">That rule.</param>
/// <param name="HeldAt">With <see cref="ComplianceReport.At"/>: the versions holding it at that instant (a stage may hold several).</param>
/// <param name="Holdings">Every holding, oldest first.</param>
public sealed record TargetHistory(
    string Target,
    PromotionTargetKind Kind,
    string Name,
    bool Protected,
    string? PolicySource,
    ProtectedTarget? Rule,
    IReadOnlyList<int>? HeldAt,
    IReadOnlyList<Holding> Holdings);

/// <summary>
/// One version holding one target, from <paramref name="From"/> until <paramref name="Until"/> (null: still holds it).
/// </summary>
/// <param name="Version">The version.</param>
/// <param name="From">When it started to hold the target.</param>
/// <param name="Until">When it stopped (null while it holds it).</param>
/// <param name="ChangedBy">Who made the change that started the holding.</param>
/// <param name="Comment">The change's comment, when it had one.</param>
/// <param name="EndedBy">Who made the change that ended it.</param>
/// <param name="Recorded">False when no recorded change starts the holding (a version imported in a stage): <paramref name="From"/> is then its registration time.</param>
/// <param name="How"><c>promotion_request</c> when an applied request made the change, else <c>direct</c> (a change made with no request, such as before a policy existed).</param>
/// <param name="Request">The applied request, with its reviews, gates' evidence and decision.</param>
public sealed record Holding(
    int Version,
    DateTimeOffset From,
    DateTimeOffset? Until,
    string ChangedBy,
    string? Comment,
    string? EndedBy,
    bool Recorded,
    string How,
    PromotionRequest? Request);

/// <summary>A version that held a target: what it is, its card and its lineage to its data.</summary>
/// <param name="Version">The version number.</param>
/// <param name="Exists">False when the version has since been deleted (its history and requests remain as evidence).</param>
/// <param name="Status">Registration status.</param>
/// <param name="Stage">Its stage now.</param>
/// <param name="Framework">Its framework.</param>
/// <param name="RunId">The run it came from.</param>
/// <param name="Description">Its description.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="CreatedBy">Who registered it.</param>
/// <param name="Card">Its model card, when it has one.</param>
/// <param name="Lineage">What lies upstream of it in the lineage graph; null when the caller may not read the graph.</param>
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
    CardEvidence? Card,
    VersionLineage? Lineage);

/// <summary>A version's model card as stored: its review status, risk rating, who approved it, and its written sections.</summary>
public sealed record CardEvidence(
    string Status,
    string RiskRating,
    DateTimeOffset UpdatedAt,
    string UpdatedBy,
    DateTimeOffset? SubmittedAt,
    string? SubmittedBy,
    DateTimeOffset? ApprovedAt,
    string? ApprovedBy,
    JsonObject? Document);

/// <summary>The nodes upstream of a version in the lineage graph (runs, jobs, datasets …), nearest first.</summary>
/// <param name="Node">The version's node id (<c>model:&lt;full name&gt;:&lt;n&gt;</c>).</param>
/// <param name="Upstream">The nodes, each at its least distance.</param>
/// <param name="Datasets">How many of them are datasets.</param>
public sealed record VersionLineage(string Node, IReadOnlyList<UpstreamNode> Upstream, int Datasets);

/// <summary>A node upstream of a version, <paramref name="Depth"/> edges away.</summary>
public sealed record UpstreamNode(string Id, string Kind, string? Namespace, string Name, int Depth);

/// <summary>
/// The audit chain as the report saw it: its head (the newest entry's number and hash) and the verification of the
/// whole chain, the same walk <c>cairn audit verify</c> and <c>GET /api/v1/audit/verify</c> make.
/// </summary>
/// <param name="HeadSeq">The newest entry's number when the report's reads were made (0: an empty log).</param>
/// <param name="HeadHash">That entry's hash (the genesis hash for an empty log).</param>
/// <param name="Verification">The chain's verification, made right after the reads.</param>
/// <param name="HeadVerified">True when the verification walked through the head and found that entry's hash there.</param>
public sealed record AuditHead(long HeadSeq, string HeadHash, AuditVerification Verification, bool HeadVerified);

/// <summary>One item of the EU AI Act's Annex IV and where the report answers it.</summary>
/// <param name="Item">Its number in the Annex (1 to 9).</param>
/// <param name="Title">What it asks for, in short.</param>
/// <param name="Coverage"><c>answered</c>, <c>partly</c> or <c>not_recorded</c> (Cairn does not record it).</param>
/// <param name="Where">The parts of this report that answer it.</param>
/// <param name="Note">What is and is not there.</param>
public sealed record AnnexIvItem(int Item, string Title, string Coverage, IReadOnlyList<string> Where, string Note);
