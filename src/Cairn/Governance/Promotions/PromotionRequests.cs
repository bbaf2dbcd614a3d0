using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Registry;
using Cairn.Storage;
using Dapper;

namespace Cairn.Governance;

/// <summary>Which promotion requests to list; every part is optional.</summary>
/// <param name="Model">Only this model's (full name).</param>
/// <param name="Version">Only this version's (with <paramref name="Model"/>).</param>
/// <param name="Status">Only those in this status (PENDING, APPLIED, REJECTED, CANCELLED, EXPIRED; any case).</param>
/// <param name="Namespace">Only those of models in this namespace or below it.</param>
/// <param name="Actionable">Only those the caller may approve now: pending, with the rule's approver role, not excluded by four-eyes, not yet reviewed by the caller.</param>
/// <param name="MaxResults">Page size (default 100, at most 1000).</param>
/// <param name="PageToken">The token of the previous page.</param>
public sealed record PromotionQuery(
    string? Model = null, int? Version = null, string? Status = null, string? Namespace = null, bool Actionable = false, int? MaxResults = null, string? PageToken = null);

/// <summary>A page of promotion requests, newest first.</summary>
public sealed record PromotionPage(IReadOnlyList<PromotionRequest> Requests, string? NextPageToken);

/// <summary>
/// Promotion requests: the one way a protected stage or alias moves. A writer asks; the policy's gates are evaluated at
/// once (a failing gate rejects the request, on record); approvers approve or reject, four-eyes permitting; when the
/// approvals reach the number the rule in force asks for, the gates are evaluated again and the change is applied in
/// the same transaction as the last approval, through the registry's own history, audit and events. The store-wide
/// write lock serialises approvals, so a request is applied once whatever the number of replicas.
/// </summary>
public sealed class PromotionRequests(
    CairnDatabase database, AuditChain audit, TimeProvider clock, ModelRegistry registry, ModelAliases aliases, QualityGates gates)
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;
    private const int MaxCommentLength = 10_000;

    /// <summary>The actor recorded for what the server does by itself (expiring requests).</summary>
    public const string SystemActor = "cairn";

    /// <summary>Who <c>decided_by</c> names when the gates decided.</summary>
    public const string GatesDecider = "gates";

    private const string Pending = "PENDING";

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type. Internal: the
    // compliance report reads the same rows for a whole scope.
    internal sealed record RequestRow
    {
        public string Id { get; init; } = "";
        public long ModelId { get; init; }
        public string Model { get; init; } = "";
        public string Namespace { get; init; } = "";
        public long VersionId { get; init; }
        public long Version { get; init; }
        public string TargetKind { get; init; } = "";
        public string Target { get; init; } = "";
        public string Status { get; init; } = "";
        public string? Comment { get; init; }
        public string RequestedBy { get; init; } = "";
        public long RequestedAt { get; init; }
        public long? ExpiresAt { get; init; }
        public string Rule { get; init; } = "";
        public string PolicySource { get; init; } = "";
        public string? Gates { get; init; }
        public long? GatesAt { get; init; }
        public long? DecidedAt { get; init; }
        public string? DecidedBy { get; init; }
        public string? Decision { get; init; }
        public long? PreviousVersion { get; init; }

        /// <summary>Only for the inbox: the version's creator (four-eyes) and the caller's own review, if any.</summary>
        public string? VersionCreator { get; init; }

        public string? OwnVerdict { get; init; }

        public PromotionTarget TargetValue => new(Enum.Parse<PromotionTargetKind>(TargetKind), Target);

        public ProtectedTarget RuleValue => JsonSerializer.Deserialize<ProtectedTarget>(Rule, CairnJson.Options)!;

        public bool ExpiredAt(long now) => Status == Pending && ExpiresAt is { } at && at <= now;
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    internal sealed record ReviewRow
    {
        public string RequestId { get; init; } = "";
        public string Reviewer { get; init; } = "";
        public string Verdict { get; init; } = "";
        public string? Comment { get; init; }
        public long At { get; init; }
    }

    private const string SelectRequests =
        """
        SELECT r.id, r.model_id, r.model, r.namespace, r.version_id, r.version, r.target_kind, r.target, r.status, r.comment,
               r.requested_by, r.requested_at, r.expires_at, r.rule, r.policy_source, r.gates, r.gates_at, r.decided_at,
               r.decided_by, r.decision, r.previous_version
        FROM promotion_requests r
        """;

    /// <summary>
    /// Asks for <paramref name="target"/> (a stage, or an alias: <c>champion</c>, <c>@name</c>) of model
    /// <paramref name="model"/> to move to <paramref name="version"/>; writer on the model's namespace. The target must
    /// be protected. The rule's gates are evaluated now: if one fails, the request is recorded as REJECTED with the
    /// evidence; if the rule asks for no approvals and the gates pass, the change is applied at once.
    /// </summary>
    public async Task<PromotionRequest> RequestAsync(Caller caller, string model, int version, string? target, string? comment, CancellationToken cancellationToken)
    {
        var wanted = CheckTarget(target);
        CheckComment(comment);
        var ns = NamespacePath.Split(model).Namespace;
        caller.Require(Role.Writer, ns);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var ids = await ModelRegistry.IdsAsync(transaction, model, version, cancellationToken);
            var current = await connection.QuerySingleAsync<(string Stage, string CreatedBy)>(new CommandDefinition(
                "SELECT stage, created_by FROM model_versions WHERE id = @Id", new { ids.Id }, transaction, cancellationToken: cancellationToken));
            var chain = await PromotionPolicies.ChainAsync(connection, transaction, ids.ModelId, model, ns, cancellationToken);
            var from = Enum.Parse<Stage>(current.Stage);
            var governing = wanted.Kind == PromotionTargetKind.Stage
                ? ProtectedTargets.ForStageMove(chain, Enum.Parse<Stage>(wanted.Name), from)
                : PromotionPolicies.Resolve(chain, wanted);
            if (governing is null)
            {
                var direct = wanted.Kind == PromotionTargetKind.Stage
                    ? $"POST /api/v1/models/{model}/versions/{version.ToString(CultureInfo.InvariantCulture)}/stage"
                    : $"PUT /api/v1/models/{model}/aliases/{wanted.Name}";
                throw new InvalidParameterException(
                    $"'target' {wanted} of model '{model}' is not protected by any policy: change it directly ({direct}); promotion requests are for protected targets.");
            }
            var holder = await CurrentHolderAsync(transaction, ids.ModelId, wanted, cancellationToken);
            if (wanted.Kind == PromotionTargetKind.Stage ? from.ToString() == wanted.Name : holder == version)
            {
                throw new InvalidParameterException($"Version {version} of model '{model}' already holds {wanted}: there is nothing to promote.");
            }
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            // A request past its time that the sweeper has not reached yet no longer blocks a new one.
            await ExpireAsync(transaction, now, "r.version_id = @versionId AND r.target_kind = @kind AND r.target = @target",
                new { versionId = ids.Id, kind = wanted.Kind.ToString(), target = wanted.Name, now }, cancellationToken);
            var open = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT id FROM promotion_requests WHERE version_id = @versionId AND target_kind = @kind AND target = @target AND status = 'PENDING'",
                new { versionId = ids.Id, kind = wanted.Kind.ToString(), target = wanted.Name }, transaction, cancellationToken: cancellationToken));
            if (open is not null)
            {
                throw new AlreadyExistsException(
                    $"Version {version} of model '{model}' already has a pending promotion request to {wanted}: '{open}'. Approve, reject or cancel it (POST /api/v1/promotions/{open}/cancel) first.");
            }
            var id = Guid.CreateVersion7().ToString("N");
            var rule = governing.Rule;
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO promotion_requests (id, model_id, model, namespace, version_id, version, target_kind, target, status, comment,
                    requested_by, requested_at, expires_at, rule, policy_source)
                VALUES (@id, @ModelId, @model, @ns, @versionId, @version, @kind, @target, 'PENDING', @comment, @by, @now, @expires, @rule, @source)
                """,
                new
                {
                    id,
                    ids.ModelId,
                    model,
                    ns,
                    versionId = ids.Id,
                    version,
                    kind = wanted.Kind.ToString(),
                    target = wanted.Name,
                    comment,
                    by = caller.Name,
                    now,
                    expires = now + (long)(rule.ExpiresAfterHours * 3_600_000),
                    rule = JsonSerializer.Serialize(rule, CairnJson.Options),
                    source = governing.PolicySource,
                },
                transaction, cancellationToken: cancellationToken));
            var subject = new GateSubject(ids.ModelId, model, ns, ids.Id, version, wanted, holder);
            var results = await EvaluateGatesAsync(transaction, id, subject, rule, now, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "promotion.request", Resource(model, version, id), null,
                await LoadAsync(connection, transaction, id, now, cancellationToken), cancellationToken);
            if (results.Any(r => !r.Passed))
            {
                await RejectByGatesAsync(transaction, caller.Name, id, model, version, results, now, cancellationToken);
            }
            else if (rule.Approvals == 0)
            {
                await ApplyAsync(transaction, caller.Name, id, governing, now, cancellationToken);
            }
            return await LoadAsync(connection, transaction, id, now, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>One request with its reviews; reader on its model's namespace.</summary>
    public async Task<PromotionRequest> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var request = await database.ReadAsync(c => LoadAsync(c, null, id, clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken), cancellationToken);
        caller.Require(Role.Reader, NamespacePath.Split(request.Model).Namespace);
        return request;
    }

    /// <summary>Requests matching <paramref name="query"/>, newest first, among the namespaces the caller may read.</summary>
    public async Task<PromotionPage> ListAsync(Caller caller, PromotionQuery query, CancellationToken cancellationToken)
    {
        var size = Paging.PageSize(query.MaxResults, DefaultPageSize, MaxPageSize);
        var status = query.Status is null ? (PromotionStatus?)null : ParseStatus(query.Status);
        var ns = query.Namespace is null ? null : NamespacePath.Normalize(query.Namespace);
        if (query.Model is not null)
        {
            caller.Require(Role.Reader, NamespacePath.Split(query.Model).Namespace);
        }
        if (query.Version is not null && query.Model is null)
        {
            throw new InvalidParameterException("'version' needs 'model'.");
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var where = new List<string>();
        var parameters = new Dictionary<string, object?> { ["now"] = now, ["me"] = caller.Name };
        if (ModelCatalog.NamespaceScope(caller, "r.namespace", parameters) is { } scope)
        {
            where.Add(scope);
        }
        if (ns is not null && ns != NamespacePath.Root)
        {
            parameters["fns"] = ns;
            parameters["fnsbelow"] = Paging.EscapeLike(ns) + "/%";
            where.Add("(r.namespace = @fns OR r.namespace LIKE @fnsbelow ESCAPE '\\')");
        }
        if (query.Version is { } v)
        {
            parameters["version"] = v;
            where.Add("r.version = @version");
        }
        // The pending requests past their time read as EXPIRED until the sweeper writes it.
        switch (query.Actionable ? PromotionStatus.Pending : status)
        {
            case PromotionStatus.Pending:
                where.Add("r.status = 'PENDING' AND (r.expires_at IS NULL OR r.expires_at > @now)");
                break;
            case PromotionStatus.Expired:
                where.Add("(r.status = 'EXPIRED' OR (r.status = 'PENDING' AND r.expires_at <= @now))");
                break;
            case { } other:
                parameters["status"] = other.ToString().ToUpperInvariant();
                where.Add("r.status = @status");
                break;
            default:
                break;
        }
        var shape = string.Join('\n', query.Model, query.Version, status, ns, query.Actionable, caller.Name);
        var page = OffsetPage.Start(size, query.PageToken, shape);
        return await database.ReadAsync(async connection =>
        {
            if (query.Model is not null)
            {
                parameters["modelId"] = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                    "SELECT id FROM models WHERE full_name = @model", new { model = query.Model }, cancellationToken: cancellationToken))
                    ?? throw ModelCatalog.Missing(query.Model);
                where.Add("r.model_id = @modelId");
            }
            var filter = where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "";
            List<RequestRow> rows;
            string? next;
            if (query.Actionable)
            {
                // Whether the caller may act depends on each request's rule (a JSON document): the pending requests in
                // scope are read in one query, with the version's creator and the caller's own review, and sifted here.
                var candidates = await connection.QueryAsync<RequestRow>(new CommandDefinition(
                    SelectRequests.Replace("FROM promotion_requests r", ", v.created_by AS version_creator, o.verdict AS own_verdict FROM promotion_requests r", StringComparison.Ordinal)
                    + " LEFT JOIN model_versions v ON v.id = r.version_id LEFT JOIN promotion_reviews o ON o.request_id = r.id AND o.reviewer = @me"
                    + filter + " ORDER BY r.requested_at DESC, r.id DESC",
                    new DynamicParameters(parameters), cancellationToken: cancellationToken));
                var mine = candidates.Where(r => MayApprove(caller, r)).Skip(page.Offset).Take(size + 1).ToList();
                (rows, next) = page.Cut(mine);
            }
            else
            {
                var dynamic = new DynamicParameters(parameters);
                page.AddTo(dynamic);
                (rows, next) = page.Cut(await connection.QueryAsync<RequestRow>(new CommandDefinition(
                    SelectRequests + filter + " ORDER BY r.requested_at DESC, r.id DESC" + OffsetPage.Sql, dynamic, cancellationToken: cancellationToken)));
            }
            var reviews = await ReviewsAsync(connection, null, rows.Select(r => r.Id).ToList(), cancellationToken);
            return new PromotionPage(rows.Select(r => ToRequest(r, reviews, now)).ToList(), next);
        }, cancellationToken);
    }

    /// <summary>
    /// Approves a pending request: the caller needs the rule's approver role on the model's namespace, may not be the
    /// requester or the version's creator when the rule has four-eyes, and reviews a request once. The approval that
    /// reaches the number of approvals the rule in force asks for re-evaluates the gates and, if they pass, applies the
    /// change in the same transaction.
    /// </summary>
    public async Task<PromotionRequest> ApproveAsync(Caller caller, string id, string? comment, CancellationToken cancellationToken)
    {
        CheckComment(comment);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var row = await OpenRowAsync(caller, transaction, id, "approved", now, cancellationToken);
            var governing = await GoverningAsync(transaction, row, cancellationToken);
            RequireApprover(caller, row, governing, "approve");
            if (governing.Rule.FourEyes)
            {
                if (caller.Name == row.RequestedBy)
                {
                    throw new PermissionDeniedException(
                        $"'{caller.Name}' requested promotion '{id}' and may not approve it: {governing.Words} asks for four eyes (someone other than the requester and the version's creator).");
                }
                var creator = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                    "SELECT created_by FROM model_versions WHERE id = @VersionId", new { row.VersionId }, transaction, cancellationToken: cancellationToken));
                if (caller.Name == creator)
                {
                    throw new PermissionDeniedException(
                        $"'{caller.Name}' created version {row.Version} of model '{row.Model}' and may not approve its promotion '{id}': {governing.Words} asks for four eyes (someone other than the requester and the version's creator).");
                }
            }
            await AddReviewAsync(transaction, caller, row, "APPROVE", comment, now, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "promotion.approve", Resource(row.Model, (int)row.Version, id), null,
                await LoadAsync(connection, transaction, id, now, cancellationToken), cancellationToken);
            var approvals = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM promotion_reviews WHERE request_id = @id AND verdict = 'APPROVE'", new { id }, transaction, cancellationToken: cancellationToken));
            if (approvals >= governing.Rule.Approvals)
            {
                await DecideAsync(transaction, caller.Name, row, governing, now, cancellationToken);
            }
            return await LoadAsync(connection, transaction, id, now, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Rejects a pending request: the caller needs the rule's approver role on the model's namespace.</summary>
    public async Task<PromotionRequest> RejectAsync(Caller caller, string id, string? comment, CancellationToken cancellationToken)
    {
        CheckComment(comment);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var row = await OpenRowAsync(caller, transaction, id, "rejected", now, cancellationToken);
            var governing = await GoverningAsync(transaction, row, cancellationToken);
            RequireApprover(caller, row, governing, "reject");
            await AddReviewAsync(transaction, caller, row, "REJECT", comment, now, cancellationToken);
            await DecideStatusAsync(transaction, id, "REJECTED", caller.Name, comment is null ? $"rejected by {caller.Name}" : $"rejected by {caller.Name}: {comment}", now, null, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "promotion.reject", Resource(row.Model, (int)row.Version, id), null,
                await LoadAsync(connection, transaction, id, now, cancellationToken), cancellationToken);
            return await LoadAsync(connection, transaction, id, now, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Withdraws a pending request: its requester, or an admin of the model's namespace.</summary>
    public async Task<PromotionRequest> CancelAsync(Caller caller, string id, string? comment, CancellationToken cancellationToken)
    {
        CheckComment(comment);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var row = await OpenRowAsync(caller, transaction, id, "cancelled", now, cancellationToken);
            if (caller.Name != row.RequestedBy && !caller.Has(Role.Admin, row.Namespace))
            {
                throw new PermissionDeniedException(
                    $"'{caller.Name}' may not cancel promotion '{id}': only its requester ('{row.RequestedBy}') or an admin of namespace '{row.Namespace}' may.");
            }
            await DecideStatusAsync(transaction, id, "CANCELLED", caller.Name, comment is null ? $"cancelled by {caller.Name}" : $"cancelled by {caller.Name}: {comment}", now, null, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "promotion.cancel", Resource(row.Model, (int)row.Version, id), null,
                await LoadAsync(connection, transaction, id, now, cancellationToken), cancellationToken);
            return await LoadAsync(connection, transaction, id, now, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// Writes EXPIRED, with its audit entry, on every pending request past its time; returns how many. The server's
    /// sweeper calls it on a timer; reads already show such requests as expired, and approving one answers 409.
    /// </summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        // Looked at without the write lock first: nearly every sweep finds nothing to do.
        var due = await database.ReadAsync(c => c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM promotion_requests WHERE status = 'PENDING' AND expires_at <= @now", new { now }, cancellationToken: cancellationToken)), cancellationToken);
        if (due == 0)
        {
            return 0;
        }
        return await database.WriteAsync((_, transaction) => ExpireAsync(transaction, now, "1 = 1", new { now }, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Cancels the pending requests of a version (or, with no <paramref name="versionId"/>, of every version of the model)
    /// in the transaction deleting it, each with its audit entry.
    /// </summary>
    internal static async Task CancelPendingAsync(
        DbTransaction transaction, AuditChain audit, TimeProvider clock, string actor, long modelId, long? versionId, string reason, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var open = (await connection.QueryAsync<RequestRow>(new CommandDefinition(
            SelectRequests + " WHERE r.model_id = @modelId AND r.status = 'PENDING' AND (@versionId IS NULL OR r.version_id = @versionId) ORDER BY r.requested_at",
            new { modelId, versionId }, transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var row in open)
        {
            await DecideStatusAsync(transaction, row.Id, "CANCELLED", actor, $"cancelled: {reason}", now, null, cancellationToken);
            await audit.AppendAsync(transaction, actor, "promotion.cancel", Resource(row.Model, (int)row.Version, row.Id), null,
                await LoadAsync(connection, transaction, row.Id, now, cancellationToken), cancellationToken);
        }
    }

    /// <summary>Expires the pending requests past their time that <paramref name="where"/> selects, each with its audit entry.</summary>
    private async Task<int> ExpireAsync(DbTransaction transaction, long now, string where, object parameters, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var due = (await connection.QueryAsync<RequestRow>(new CommandDefinition(
            SelectRequests + $" WHERE r.status = 'PENDING' AND r.expires_at <= @now AND {where} ORDER BY r.expires_at",
            parameters, transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var row in due)
        {
            await DecideStatusAsync(transaction, row.Id, "EXPIRED", SystemActor,
                $"expired: not decided within {row.RuleValue.ExpiresAfterHours.ToString(CultureInfo.InvariantCulture)} hours", now, null, cancellationToken);
            await audit.AppendAsync(transaction, SystemActor, "promotion.expire", Resource(row.Model, (int)row.Version, row.Id), null,
                await LoadAsync(connection, transaction, row.Id, now, cancellationToken), cancellationToken);
        }
        return due.Count;
    }

    /// <summary>The approvals are in: the rule in force now decides, its gates are evaluated again, and the change is applied or the request rejected.</summary>
    private async Task DecideAsync(DbTransaction transaction, string actor, RequestRow row, GoverningRule governing, long now, CancellationToken cancellationToken)
    {
        var target = row.TargetValue;
        var model = await CurrentNameAsync(transaction, row, cancellationToken);
        var holder = await CurrentHolderAsync(transaction, row.ModelId, target, cancellationToken);
        var subject = new GateSubject(row.ModelId, model, row.Namespace, row.VersionId, (int)row.Version, target, holder);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE promotion_requests SET rule = @rule, policy_source = @source WHERE id = @Id",
            new { row.Id, rule = JsonSerializer.Serialize(governing.Rule, CairnJson.Options), source = governing.PolicySource }, transaction, cancellationToken: cancellationToken));
        var results = await EvaluateGatesAsync(transaction, row.Id, subject, governing.Rule, now, cancellationToken);
        if (results.Any(r => !r.Passed))
        {
            await RejectByGatesAsync(transaction, actor, row.Id, row.Model, (int)row.Version, results, now, cancellationToken);
            return;
        }
        await ApplyAsync(transaction, actor, row.Id, governing, now, cancellationToken);
    }

    /// <summary>Moves the target through the registry's internal methods (history, audit and event as a direct change), then records the request APPLIED.</summary>
    private async Task ApplyAsync(DbTransaction transaction, string actor, string id, GoverningRule governing, long now, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var row = await connection.QuerySingleAsync<RequestRow>(new CommandDefinition(
            SelectRequests + " WHERE r.id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        var target = row.TargetValue;
        var model = await CurrentNameAsync(transaction, row, cancellationToken);
        var version = (int)row.Version;
        var previous = await CurrentHolderAsync(transaction, row.ModelId, target, cancellationToken);
        var approvers = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT reviewer FROM promotion_reviews WHERE request_id = @id AND verdict = 'APPROVE' ORDER BY at, reviewer", new { id }, transaction, cancellationToken: cancellationToken))).ToList();
        var by = approvers.Count == 0 ? "no approvals needed" : "approved by " + string.Join(", ", approvers);
        if (target.Kind == PromotionTargetKind.Stage)
        {
            await registry.ApplyPromotionStageAsync(transaction, actor, model, version, Enum.Parse<Stage>(target.Name), governing.Rule.ArchiveExisting,
                $"promotion request {id} ({by})", cancellationToken);
        }
        else
        {
            await aliases.ApplyPromotionAsync(transaction, actor, model, target.Name, version, cancellationToken);
        }
        await DecideStatusAsync(transaction, id, "APPLIED", actor, $"applied ({by})", now, previous, cancellationToken);
        await audit.AppendAsync(transaction, actor, "promotion.apply", Resource(row.Model, version, id), null,
            await LoadAsync(connection, transaction, id, now, cancellationToken), cancellationToken);
    }

    private async Task<IReadOnlyList<GateResult>> EvaluateGatesAsync(
        DbTransaction transaction, string id, GateSubject subject, ProtectedTarget rule, long now, CancellationToken cancellationToken)
    {
        if (rule.Gates is not { Count: > 0 } specs)
        {
            return [];
        }
        var results = await gates.EvaluateAsync(transaction, subject, specs, cancellationToken);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE promotion_requests SET gates = @gates, gates_at = @now WHERE id = @id",
            new { id, gates = JsonSerializer.Serialize(results, CairnJson.Options), now }, transaction, cancellationToken: cancellationToken));
        return results;
    }

    private async Task RejectByGatesAsync(
        DbTransaction transaction, string actor, string id, string model, int version, IReadOnlyList<GateResult> results, long now, CancellationToken cancellationToken)
    {
        var failed = string.Join("; ", results.Where(r => !r.Passed).Select(r => $"{r.Rule}: {r.Reason}"));
        await DecideStatusAsync(transaction, id, "REJECTED", GatesDecider, $"gates failed: {failed}", now, null, cancellationToken);
        await audit.AppendAsync(transaction, actor, "promotion.reject", Resource(model, version, id), null,
            await LoadAsync(transaction.Connection!, transaction, id, now, cancellationToken), cancellationToken);
    }

    private static async Task DecideStatusAsync(
        DbTransaction transaction, string id, string status, string by, string decision, long now, int? previous, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            UPDATE promotion_requests SET status = @status, decided_at = @now, decided_by = @by, decision = @decision,
                previous_version = COALESCE(@previous, previous_version)
            WHERE id = @id
            """,
            new { id, status, now, by, decision, previous }, transaction, cancellationToken: cancellationToken));

    private static async Task AddReviewAsync(DbTransaction transaction, Caller caller, RequestRow row, string verdict, string? comment, long now, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var earlier = await connection.QuerySingleOrDefaultAsync<ReviewRow>(new CommandDefinition(
            "SELECT request_id, reviewer, verdict, comment, at FROM promotion_reviews WHERE request_id = @Id AND reviewer = @reviewer",
            new { row.Id, reviewer = caller.Name }, transaction, cancellationToken: cancellationToken));
        if (earlier is not null)
        {
            throw new AlreadyExistsException(
                $"'{caller.Name}' already reviewed promotion '{row.Id}' ({earlier.Verdict} at {DateTimeOffset.FromUnixTimeMilliseconds(earlier.At):u}): each reviewer reviews a request once.");
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO promotion_reviews (request_id, reviewer, verdict, comment, at) VALUES (@Id, @reviewer, @verdict, @comment, @now)",
            new { row.Id, reviewer = caller.Name, verdict, comment, now }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The request, readable by the caller and still open (not decided, not past its time), else 404/403/409.</summary>
    private static async Task<RequestRow> OpenRowAsync(Caller caller, DbTransaction transaction, string id, string verb, long now, CancellationToken cancellationToken)
    {
        var row = await transaction.Connection!.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
            SelectRequests + " WHERE r.id = @id", new { id }, transaction, cancellationToken: cancellationToken)) ?? throw Missing(id);
        caller.Require(Role.Reader, row.Namespace);
        if (row.ExpiredAt(now))
        {
            throw new InvalidStateException(
                $"Promotion request '{id}' expired at {DateTimeOffset.FromUnixTimeMilliseconds(row.ExpiresAt!.Value):u} and can no longer be {verb}: open a new one.");
        }
        if (row.Status != Pending)
        {
            throw new InvalidStateException($"Promotion request '{id}' is {row.Status} (decided by {row.DecidedBy}) and can no longer be {verb}.");
        }
        return row;
    }

    /// <summary>
    /// The rule in force for the request now — a stricter policy set since governs open requests — or, if its target has
    /// since become unprotected, the rule it was opened under.
    /// </summary>
    private static async Task<GoverningRule> GoverningAsync(DbTransaction transaction, RequestRow row, CancellationToken cancellationToken)
    {
        var model = await CurrentNameAsync(transaction, row, cancellationToken);
        var chain = await PromotionPolicies.ChainAsync(transaction.Connection!, transaction, row.ModelId, model, row.Namespace, cancellationToken);
        var target = row.TargetValue;
        GoverningRule? now;
        if (target.Kind == PromotionTargetKind.Stage)
        {
            var stage = await transaction.Connection!.ExecuteScalarAsync<string>(new CommandDefinition(
                "SELECT stage FROM model_versions WHERE id = @VersionId", new { row.VersionId }, transaction, cancellationToken: cancellationToken));
            now = ProtectedTargets.ForStageMove(chain, Enum.Parse<Stage>(target.Name), Enum.Parse<Stage>(stage ?? nameof(Stage.None)));
        }
        else
        {
            now = PromotionPolicies.Resolve(chain, target);
        }
        return now ?? new GoverningRule(row.RuleValue, row.PolicySource);
    }

    private static void RequireApprover(Caller caller, RequestRow row, GoverningRule governing, string verb)
    {
        var role = governing.Rule.ApproverRoleValue;
        if (!caller.Has(role, row.Namespace))
        {
            throw new PermissionDeniedException(
                $"'{caller.Name}' needs the {role.ToString().ToLowerInvariant()} role on namespace '{row.Namespace}' (or a namespace above it) to {verb} promotion '{row.Id}': {governing.Words} says so.");
        }
    }

    private static bool MayApprove(Caller caller, RequestRow row)
    {
        var rule = row.RuleValue;
        return row.OwnVerdict is null && caller.Has(rule.ApproverRoleValue, row.Namespace)
            && !(rule.FourEyes && (caller.Name == row.RequestedBy || caller.Name == row.VersionCreator));
    }

    /// <summary>The version holding the target now: the newest in the stage, or the one the alias names; null when none.</summary>
    private static async Task<int?> CurrentHolderAsync(DbTransaction transaction, long modelId, PromotionTarget target, CancellationToken cancellationToken)
    {
        var holder = await transaction.Connection!.ExecuteScalarAsync<long?>(new CommandDefinition(
            target.Kind == PromotionTargetKind.Stage
                ? "SELECT MAX(version) FROM model_versions WHERE model_id = @modelId AND stage = @name"
                : "SELECT version FROM aliases WHERE model_id = @modelId AND alias = @name",
            new { modelId, name = target.Name }, transaction, cancellationToken: cancellationToken));
        return holder is null ? null : (int)holder.Value;
    }

    /// <summary>The model's full name now (it may have been renamed since the request).</summary>
    private static async Task<string> CurrentNameAsync(DbTransaction transaction, RequestRow row, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT full_name FROM models WHERE id = @ModelId", new { row.ModelId }, transaction, cancellationToken: cancellationToken))
        ?? throw ModelCatalog.Missing(row.Model);

    private static async Task<PromotionRequest> LoadAsync(DbConnection connection, DbTransaction? transaction, string id, long now, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
            SelectRequests + " WHERE r.id = @id", new { id }, transaction, cancellationToken: cancellationToken)) ?? throw Missing(id);
        var reviews = await ReviewsAsync(connection, transaction, [id], cancellationToken);
        return ToRequest(row, reviews, now);
    }

    private static async Task<ILookup<string, PromotionReview>> ReviewsAsync(DbConnection connection, DbTransaction? transaction, List<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return Array.Empty<ReviewRow>().ToLookup(r => r.RequestId, ToReview);
        }
        // The dialect decides how a set of ids is sent; a connection's type says which engine it is.
        ISqlDialect dialect = connection is Microsoft.Data.Sqlite.SqliteConnection ? SqliteDialect.Instance : PostgresDialect.Instance;
        var rows = await connection.QueryAsync<ReviewRow>(new CommandDefinition(
            $"SELECT request_id, reviewer, verdict, comment, at FROM promotion_reviews WHERE request_id IN {dialect.ValueSet("@ids", "TEXT")} ORDER BY at, reviewer",
            new { ids = dialect.ValueSetParameter(ids) }, transaction, cancellationToken: cancellationToken));
        return rows.ToLookup(r => r.RequestId, ToReview);
    }

    internal static PromotionReview ToReview(ReviewRow r) => new(r.Reviewer, r.Verdict, r.Comment, DateTimeOffset.FromUnixTimeMilliseconds(r.At));

    internal static PromotionRequest ToRequest(RequestRow r, ILookup<string, PromotionReview> reviews, long now) => new(
        r.Id, r.Model, (int)r.Version, r.Target, Enum.Parse<PromotionTargetKind>(r.TargetKind),
        r.ExpiredAt(now) ? PromotionStatus.Expired : Enum.Parse<PromotionStatus>(r.Status, ignoreCase: true),
        r.Comment, r.RequestedBy, DateTimeOffset.FromUnixTimeMilliseconds(r.RequestedAt),
        r.ExpiresAt is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.ExpiresAt.Value),
        r.RuleValue, r.PolicySource,
        r.Gates is null ? [] : JsonSerializer.Deserialize<List<GateResult>>(r.Gates, CairnJson.Options) ?? [],
        r.GatesAt is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GatesAt.Value),
        reviews[r.Id].ToList(),
        r.DecidedAt is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.DecidedAt.Value),
        r.DecidedBy, r.Decision,
        r.PreviousVersion is null ? null : (int)r.PreviousVersion.Value);

    private static PromotionTarget CheckTarget(string? target)
    {
        var parsed = PromotionTarget.Parse(target);
        if (parsed.Kind == PromotionTargetKind.Alias)
        {
            ModelAliases.CheckAlias(parsed.Name);
        }
        return parsed;
    }

    private static void CheckComment(string? comment)
    {
        if (comment is { Length: > MaxCommentLength })
        {
            throw new InvalidParameterException($"'comment' is {comment.Length} characters long; at most {MaxCommentLength} are kept.");
        }
    }

    private static PromotionStatus ParseStatus(string status) =>
        Enum.TryParse<PromotionStatus>(status, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(status, out _)
            ? parsed
            : throw new InvalidParameterException($"'status' must be one of PENDING, APPLIED, REJECTED, CANCELLED, EXPIRED; got '{status}'.");

    /// <summary>The audit resource of a request: <c>models/&lt;m&gt;/versions/&lt;n&gt;/promotions/&lt;id&gt;</c>.</summary>
    internal static string Resource(string model, int version, string id) => $"{ModelRegistry.Resource(model, version)}/promotions/{id}";

    private static NotFoundException Missing(string id) => new($"Promotion request '{id}' does not exist.");
}
