using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Lineage;
using Cairn.Registry;
using Cairn.Storage;
using Dapper;

namespace Cairn.Governance.Compliance;

/// <summary>
/// Builds compliance reports (decision 0022). Every collection is read once for the whole scope, inside one read
/// transaction (a snapshot), with a stated cap: models, policies, versions that held a target, stage changes, alias
/// changes, promotion requests, their reviews, model cards and the lineage upstream of the held versions. The audit chain
/// is then verified by the same walk as <c>cairn audit verify</c>. Needs reader on the scope.
/// </summary>
public sealed class ComplianceReports(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    /// <summary>The most models one report covers.</summary>
    public const int MaxModels = 500;

    /// <summary>The most stage changes, and separately alias changes, one report reads.</summary>
    public const int MaxChanges = 50_000;

    /// <summary>The most promotion requests (and, separately, reviews) one report reads.</summary>
    public const int MaxRequests = 20_000;

    /// <summary>The most upstream lineage rows (version, node) one report reads.</summary>
    public const int MaxLineageNodes = 20_000;

    /// <summary>How many edges upstream of a version the lineage walk follows.</summary>
    public const int LineageDepth = 10;

    /// <summary>How far apart an applied request's decision and the change it made may be recorded and still be matched.</summary>
    private static readonly TimeSpan RequestMatchWindow = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The report for <paramref name="scope"/>: a namespace path (starting with <c>/</c>; the namespace and every one
    /// below it) or a model's full name; with <paramref name="at"/>, which versions held each target at that instant.
    /// </summary>
    public async Task<ComplianceReport> BuildAsync(Caller caller, string? scope, DateTimeOffset? at, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(scope))
        {
            throw new InvalidParameterException("'scope' is required: a namespace path (/team) or a model's full name (team.model).");
        }
        var isNamespace = scope.StartsWith('/');
        string @namespace;
        if (isNamespace)
        {
            @namespace = NamespacePath.Normalize(scope, "scope");
        }
        else
        {
            @namespace = NamespacePath.Split(scope).Namespace;
        }
        caller.Require(Role.Reader, @namespace);
        var mayReadLineage = caller.Has(Role.Reader, NamespacePath.Root);
        var truncated = new List<string>();

        var snapshot = await database.ReadAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(
                database.Dialect.Name == "postgres" ? IsolationLevel.RepeatableRead : IsolationLevel.Serializable, cancellationToken);
            var read = await ReadAsync(transaction, isNamespace ? @namespace : null, isNamespace ? null : scope, mayReadLineage, truncated, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return read;
        }, cancellationToken);
        if (!isNamespace && snapshot.Models.Count == 0)
        {
            throw new NotFoundException($"Model '{scope}' does not exist (a namespace scope starts with '/').");
        }

        var verification = await audit.VerifyChainAsync(cancellationToken);
        return Complete(caller, scope, @namespace, isNamespace, at, snapshot, verification, mayReadLineage, truncated);
    }

    /// <summary>
    /// One model's targets and holdings, with the requests on it, without walking the audit chain: the model page's
    /// promotion timeline. Reader on the model's namespace.
    /// </summary>
    public async Task<ModelCompliance> ModelHistoryAsync(Caller caller, string model, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        var mayReadLineage = caller.Has(Role.Reader, NamespacePath.Root);
        var truncated = new List<string>();
        var snapshot = await database.ReadAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(
                database.Dialect.Name == "postgres" ? IsolationLevel.RepeatableRead : IsolationLevel.Serializable, cancellationToken);
            var read = await ReadAsync(transaction, null, model, mayReadLineage, truncated, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return read;
        }, cancellationToken);
        return snapshot.Models.Count == 0 ? throw ModelCatalog.Missing(model) : Assemble(snapshot.Models[0], snapshot, null, clock.GetUtcNow().ToUnixTimeMilliseconds(), mayReadLineage);
    }

    private ComplianceReport Complete(
        Caller caller, string scope, string @namespace, bool isNamespace, DateTimeOffset? at, Snapshot snapshot, AuditVerification verification, bool mayReadLineage, List<string> truncated)
    {
        var headVerified = verification.Valid && (verification.Checked == snapshot.Head.Seq
            ? verification.HeadHash == snapshot.Head.Hash
            : verification.Checked > snapshot.Head.Seq && snapshot.HeadEntryHash == snapshot.Head.Hash);

        var now = clock.GetUtcNow();
        var models = snapshot.Models.Select(m => Assemble(m, snapshot, at, now.ToUnixTimeMilliseconds(), mayReadLineage)).ToList();
        return new ComplianceReport(
            isNamespace ? @namespace : scope,
            isNamespace ? "namespace" : "model",
            at,
            now,
            caller.Name,
            new ComplianceLimits(MaxModels, MaxChanges, MaxRequests, MaxLineageNodes, truncated),
            models,
            new AuditHead(snapshot.Head.Seq, snapshot.Head.Hash, verification, headVerified),
            AnnexIv.Items);
    }

    private static ModelCompliance Assemble(ModelRow model, Snapshot s, DateTimeOffset? at, long now, bool mayReadLineage)
    {
        var versions = s.Versions.Where(v => v.ModelId == model.Id).ToDictionary(v => (int)v.Version);
        var requests = s.Requests.Where(r => r.ModelId == model.Id).ToList();
        var reviews = s.Reviews.OrderBy(r => r.At).ToLookup(r => r.RequestId, PromotionRequests.ToReview, StringComparer.Ordinal);
        var policies = Policies(model, s.Policies);

        // Stage holdings from each version's transitions in order; a version imported in a stage held it from its registration.
        var stageHoldings = new Dictionary<string, List<Holding>>(StringComparer.OrdinalIgnoreCase);
        foreach (var group in s.Transitions.Where(t => t.ModelId == model.Id).GroupBy(t => (int)t.Version))
        {
            var open = new Dictionary<string, Holding>(StringComparer.Ordinal);
            var first = true;
            foreach (var t in group.OrderBy(t => t.Id))
            {
                if (first && t.FromStage != nameof(Stage.None) && versions.TryGetValue(group.Key, out var v))
                {
                    open[t.FromStage] = new Holding(group.Key, Time(v.CreatedAt), null, v.CreatedBy, null, null, false, "direct", null);
                }
                first = false;
                if (open.Remove(t.FromStage, out var ended))
                {
                    Add(stageHoldings, t.FromStage, ended with { Until = Time(t.ChangedAt), EndedBy = t.ChangedBy });
                }
                if (t.ToStage != nameof(Stage.None))
                {
                    open[t.ToStage] = new Holding(group.Key, Time(t.ChangedAt), null, t.ChangedBy, t.Comment, null, true, "direct", null);
                }
            }
            foreach (var (stage, holding) in open)
            {
                Add(stageHoldings, stage, holding);
            }
        }
        var moved = s.Transitions.Where(t => t.ModelId == model.Id).Select(t => t.Version).ToHashSet();
        foreach (var v in versions.Values.Where(v => v.Stage != nameof(Stage.None) && !moved.Contains(v.Version)))
        {
            Add(stageHoldings, v.Stage, new Holding((int)v.Version, Time(v.CreatedAt), null, v.CreatedBy, null, null, false, "direct", null));
        }

        // Alias holdings: each change ends the alias's holding and, unless it removed the alias, starts the next.
        var aliasHoldings = new Dictionary<string, List<Holding>>(StringComparer.Ordinal);
        foreach (var group in s.AliasChanges.Where(a => a.ModelId == model.Id).GroupBy(a => a.Alias, StringComparer.Ordinal))
        {
            Holding? current = null;
            var list = aliasHoldings[group.Key] = [];
            foreach (var change in group.OrderBy(a => a.Id))
            {
                if (current is not null)
                {
                    list.Add(current with { Until = Time(change.ChangedAt), EndedBy = change.ChangedBy });
                }
                current = change.Version is { } version
                    ? new Holding((int)version, Time(change.ChangedAt), null, change.ChangedBy, null, null, true, "direct", null)
                    : null;
            }
            if (current is not null)
            {
                list.Add(current);
            }
        }

        var targets = new List<PromotionTarget> { new(PromotionTargetKind.Stage, nameof(Stage.Staging)), new(PromotionTargetKind.Stage, nameof(Stage.Production)) };
        var named = policies.SelectMany(p => p.Policy.ProtectedTargets).Where(r => !r.Unprotects).ToList();
        targets.AddRange(named.Where(r => r.Stage is not null)
            .Select(r => new PromotionTarget(PromotionTargetKind.Stage, ModelRegistry.ParseStage(r.Stage).ToString())));
        targets.AddRange(aliasHoldings.Keys.Order(StringComparer.Ordinal).Select(a => new PromotionTarget(PromotionTargetKind.Alias, a)));
        // A protected alias named exactly (no pattern) is listed even before it is first set.
        targets.AddRange(named.Where(r => r.Alias is { } a && !a.Contains('*', StringComparison.Ordinal))
            .Select(r => new PromotionTarget(PromotionTargetKind.Alias, r.Alias!)));

        var applied = requests.Where(r => r.Status == "APPLIED").ToList();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var histories = new List<TargetHistory>();
        foreach (var target in targets.Distinct())
        {
            var rule = Governing(policies, target);
            var holdings = (target.Kind == PromotionTargetKind.Stage ? stageHoldings : aliasHoldings)
                .GetValueOrDefault(target.Name, [])
                .OrderBy(h => h.From).ThenBy(h => h.Version)
                .Select(h => Attach(h, target, applied, reviews, now, used))
                .ToList();
            IReadOnlyList<int>? heldAt = at is { } instant
                ? holdings.Where(h => h.From <= instant && (h.Until is null || instant < h.Until)).Select(h => h.Version).Distinct().Order().ToList()
                : null;
            histories.Add(new TargetHistory(target.ToString(), target.Kind, target.Name, rule.Protected, rule.Source, rule.Rule, heldAt, holdings));
        }

        var held = histories.SelectMany(t => t.Holdings).Select(h => h.Version).Distinct().Order().ToList();
        var cards = s.Cards.Where(c => c.ModelId == model.Id).ToDictionary(c => (int)c.Version);
        var lineage = s.Lineage.Where(l => l.ModelId == model.Id).ToLookup(l => (int)l.Version);
        var evidence = held.Select(n =>
        {
            versions.TryGetValue(n, out var v);
            cards.TryGetValue(n, out var card);
            var upstream = lineage[n].OrderBy(l => l.Depth).ThenBy(l => l.Id, StringComparer.Ordinal)
                .Select(l => new UpstreamNode(l.Id, l.Kind, l.Namespace, l.Name, (int)l.Depth)).ToList();
            return new VersionEvidence(
                n, v is not null, v?.Status, v?.Stage, v?.Framework, v?.RunId, v?.Description,
                v is null ? null : Time(v.CreatedAt), v?.CreatedBy,
                card is null ? null : new CardEvidence(
                    card.Status, card.RiskRating, Time(card.UpdatedAt), card.UpdatedBy,
                    OptionalTime(card.SubmittedAt), card.SubmittedBy, OptionalTime(card.ApprovedAt), card.ApprovedBy,
                    JsonNode.Parse(card.Document) as JsonObject),
                mayReadLineage ? new VersionLineage(NodeIds.Model(model.FullName, n), upstream, upstream.Count(u => u.Kind == "dataset")) : null);
        }).ToList();

        var others = requests.Where(r => r.Status != "APPLIED" || !used.Contains(r.Id)).Select(r => PromotionRequests.ToRequest(r, reviews, now)).ToList();
        return new ModelCompliance(model.FullName, model.Namespace, model.Description, model.Owner, histories, others, evidence);
    }

    /// <summary>The applied request that made the change starting <paramref name="holding"/>, if one did: same version and target, decided at the change's time.</summary>
    private static Holding Attach(Holding holding, PromotionTarget target, List<PromotionRequests.RequestRow> applied, ILookup<string, PromotionReview> reviews, long now, HashSet<string> used)
    {
        if (!holding.Recorded)
        {
            return holding;
        }
        var match = applied
            .Where(r => r.Version == holding.Version && !used.Contains(r.Id)
                && string.Equals(r.TargetKind, target.Kind.ToString(), StringComparison.OrdinalIgnoreCase)
                && string.Equals(r.Target, target.Name, target.Kind == PromotionTargetKind.Stage ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)
                && r.DecidedAt is { } decided && (Time(decided) - holding.From).Duration() <= RequestMatchWindow)
            .MinBy(r => (Time(r.DecidedAt!.Value) - holding.From).Duration());
        if (match is null)
        {
            return holding;
        }
        used.Add(match.Id);
        return holding with { How = "promotion_request", Request = PromotionRequests.ToRequest(match, reviews, now) };
    }

    /// <summary>
    /// The policies that apply to <paramref name="model"/>, nearest first (its own, its namespace's, then each above it),
    /// from the rows read for the whole report, named as the promotion service names them.
    /// </summary>
    private static List<PromotionPolicies.PolicyLevel> Policies(ModelRow model, IReadOnlyList<PolicyRow> rows)
    {
        var levels = new List<PromotionPolicies.PolicyLevel>();
        if (rows.FirstOrDefault(p => p.ModelId == model.Id) is { } own && Deserialize<Policy>(own.Document) is { } policy)
        {
            levels.Add(new(PromotionPolicies.ModelSource(model.FullName), policy));
        }
        foreach (var ns in PromotionPolicies.Ancestry(model.Namespace))
        {
            if (rows.FirstOrDefault(p => p.Namespace == ns) is { } row && Deserialize<Policy>(row.Document) is { } inherited)
            {
                levels.Add(new(PromotionPolicies.NamespaceSource(ns), inherited));
            }
        }
        return levels;
    }

    /// <summary>
    /// The rule that decides <paramref name="target"/> by the promotion service's own resolution, and whose policy it is
    /// in — also when that rule unprotects the target (a model or sub-namespace opting out), so the report can say who did.
    /// </summary>
    private static (ProtectedTarget? Rule, string? Source, bool Protected) Governing(List<PromotionPolicies.PolicyLevel> levels, PromotionTarget target)
    {
        foreach (var level in levels)
        {
            if (PromotionPolicies.Resolve([level], target) is { } governing)
            {
                return (governing.Rule, governing.PolicySource, true);
            }
            if (level.Policy.ProtectedTargets.FirstOrDefault(r => r.Covers(target)) is { } opting)
            {
                return (opting, level.Source, false);
            }
        }
        return (null, null, false);
    }

    private static T? Deserialize<T>(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, CairnJson.Options);
        }
        catch (JsonException)
        {
            // Stored documents were validated when written; one that no longer reads is shown as absent rather than failing the report.
            return default;
        }
    }

    private static void Add(Dictionary<string, List<Holding>> byTarget, string target, Holding holding)
    {
        if (!byTarget.TryGetValue(target, out var list))
        {
            byTarget[target] = list = [];
        }
        list.Add(holding);
    }

    private static DateTimeOffset Time(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    private static DateTimeOffset? OptionalTime(long? milliseconds) => milliseconds is { } ms ? Time(ms) : null;

    private async Task<Snapshot> ReadAsync(DbTransaction transaction, string? @namespace, string? model, bool mayReadLineage, List<string> truncated, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var dialect = database.Dialect;
        var parameters = new DynamicParameters();
        string where;
        if (model is not null)
        {
            where = "full_name = @model";
            parameters.Add("model", model);
        }
        else if (@namespace == NamespacePath.Root)
        {
            where = "1 = 1";
        }
        else
        {
            where = "(namespace = @ns OR namespace LIKE @below ESCAPE '\\')";
            parameters.Add("ns", @namespace);
            parameters.Add("below", Paging.EscapeLike(@namespace!) + "/%");
        }
        parameters.Add("limit", MaxModels + 1);
        var models = (await connection.QueryAsync<ModelRow>(new CommandDefinition(
            $"SELECT id, full_name, namespace, description, owner FROM models WHERE {where} ORDER BY full_name LIMIT @limit",
            parameters, transaction, cancellationToken: cancellationToken))).AsList();
        if (models.Count > MaxModels)
        {
            models.RemoveAt(MaxModels);
            truncated.Add("models");
        }
        var head = await connection.QuerySingleOrDefaultAsync<HeadRow>(new CommandDefinition(
            "SELECT seq, hash FROM audit_head WHERE id = 1", transaction: transaction, cancellationToken: cancellationToken)) ?? new HeadRow { Seq = 0, Hash = AuditChain.Genesis };
        var headEntryHash = head.Seq == 0 ? AuditChain.Genesis : await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT hash FROM audit_log WHERE seq = @Seq", new { head.Seq }, transaction, cancellationToken: cancellationToken));
        if (models.Count == 0)
        {
            return new Snapshot(models, [], [], [], [], [], [], [], [], head, headEntryHash);
        }

        var ids = dialect.ValueSetParameter(models.Select(m => m.Id));
        var set = dialect.ValueSet("@ids", "BIGINT");
        var namespaces = models.Select(m => m.Namespace).Distinct(StringComparer.Ordinal).ToList();
        // Every namespace policy is read (one per namespace that has one: a short table), and filtered to the scope's
        // namespaces and those above them in memory.
        var policies = (await connection.QueryAsync<PolicyRow>(new CommandDefinition(
            $"SELECT namespace, model_id, document FROM policies WHERE namespace IS NOT NULL OR model_id IN {set}",
            new { ids }, transaction, cancellationToken: cancellationToken)))
            .Where(p => p.Namespace is null || namespaces.Any(n => NamespacePath.Covers(p.Namespace, n)))
            .ToList();
        var transitions = await CappedAsync<TransitionRow>(connection, transaction,
            $"""
            SELECT t.id, v.model_id, v.version, t.from_stage, t.to_stage, t.comment, t.changed_at, t.changed_by
            FROM stage_transitions t JOIN model_versions v ON v.id = t.version_id
            WHERE v.model_id IN {set} ORDER BY t.id LIMIT @limit
            """, new { ids, limit = MaxChanges + 1 }, MaxChanges, "stage_changes", truncated, cancellationToken);
        var aliasChanges = await CappedAsync<AliasRow>(connection, transaction,
            $"""
            SELECT id, model_id, alias, version, changed_at, changed_by FROM alias_history
            WHERE model_id IN {set} ORDER BY id LIMIT @limit
            """, new { ids, limit = MaxChanges + 1 }, MaxChanges, "alias_changes", truncated, cancellationToken);
        // The versions that held a target: in a stage now, with a stage change, or named by an alias change.
        var versions = (await connection.QueryAsync<VersionRow>(new CommandDefinition(
            $"""
            SELECT v.id, v.model_id, v.version, v.stage, v.status, v.framework, v.run_id, v.description, v.created_at, v.created_by
            FROM model_versions v
            WHERE v.model_id IN {set}
              AND (v.stage <> 'None'
                   OR EXISTS (SELECT 1 FROM stage_transitions t WHERE t.version_id = v.id)
                   OR EXISTS (SELECT 1 FROM alias_history h WHERE h.model_id = v.model_id AND h.version = v.version))
            ORDER BY v.model_id, v.version
            """, new { ids }, transaction, cancellationToken: cancellationToken))).AsList();
        var requests = await CappedAsync<PromotionRequests.RequestRow>(connection, transaction,
            $"""
            SELECT id, model_id, model, version, target_kind, target, status, comment, requested_by, requested_at, expires_at,
                   rule, policy_source, gates, gates_at, decided_at, decided_by, decision, previous_version
            FROM promotion_requests WHERE model_id IN {set} ORDER BY requested_at, id LIMIT @limit
            """, new { ids, limit = MaxRequests + 1 }, MaxRequests, "requests", truncated, cancellationToken);
        var reviews = await CappedAsync<PromotionRequests.ReviewRow>(connection, transaction,
            $"""
            SELECT r.request_id, r.reviewer, r.verdict, r.comment, r.at
            FROM promotion_reviews r JOIN promotion_requests q ON q.id = r.request_id
            WHERE q.model_id IN {set} ORDER BY r.at LIMIT @limit
            """, new { ids, limit = MaxRequests + 1 }, MaxRequests, "reviews", truncated, cancellationToken);
        var cards = (await connection.QueryAsync<CardRow>(new CommandDefinition(
            $"""
            SELECT c.model_id, c.version, c.document, c.risk_rating, c.status, c.updated_at, c.updated_by,
                   c.submitted_at, c.submitted_by, c.approved_at, c.approved_by
            FROM model_cards c WHERE c.model_id IN {set}
              AND (EXISTS (SELECT 1 FROM model_versions v WHERE v.id = c.version_id AND (v.stage <> 'None' OR EXISTS (SELECT 1 FROM stage_transitions t WHERE t.version_id = v.id)))
                   OR EXISTS (SELECT 1 FROM alias_history h WHERE h.model_id = c.model_id AND h.version = c.version))
            """, new { ids }, transaction, cancellationToken: cancellationToken))).AsList();

        var lineage = new List<LineageRow>();
        if (mayReadLineage)
        {
            var held = versions.Select(v => (v.ModelId, v.Version))
                .Concat(aliasChanges.Where(a => a.Version is not null).Select(a => (a.ModelId, a.Version!.Value)))
                .Distinct().ToList();
            var byId = models.ToDictionary(m => m.Id);
            var nodes = held.ToDictionary(h => NodeIds.Model(byId[h.ModelId].FullName, (int)h.Item2), h => h, StringComparer.Ordinal);
            var (nodeSet, nodeIds) = (dialect.ValueSet("@nodes", "TEXT"), dialect.ValueSetParameter(nodes.Keys));
            // One walk upstream from every held version at once, each row keeping the version it started from; UNION
            // and the depth cap end it on cycles.
            var rows = await CappedAsync<UpstreamRow>(connection, transaction,
                $"""
                WITH RECURSIVE walk(origin, node, depth) AS (
                    SELECT id, id, 0 FROM lineage_nodes WHERE id IN {nodeSet}
                    UNION
                    SELECT w.origin, e.source, w.depth + 1 FROM walk w JOIN lineage_edges e ON e.target = w.node
                    WHERE w.depth < @depth
                )
                SELECT w.origin, n.id, n.kind, n.namespace, n.name, CAST(MIN(w.depth) AS BIGINT) AS depth
                FROM walk w JOIN lineage_nodes n ON n.id = w.node
                WHERE w.depth > 0 AND n.kind <> 'model'
                GROUP BY w.origin, n.id, n.kind, n.namespace, n.name
                ORDER BY w.origin, depth, n.id
                LIMIT @limit
                """, new { nodes = nodeIds, depth = LineageDepth, limit = MaxLineageNodes + 1 }, MaxLineageNodes, "lineage", truncated, cancellationToken);
            lineage.AddRange(rows.Where(r => nodes.ContainsKey(r.Origin)).Select(r => new LineageRow(nodes[r.Origin].ModelId, nodes[r.Origin].Item2, r.Id, r.Kind, r.Namespace, r.Name, r.Depth)));
        }
        return new Snapshot(models, policies, versions, transitions, aliasChanges, requests, reviews, cards, lineage, head, headEntryHash);
    }

    private static async Task<List<T>> CappedAsync<T>(
        DbConnection connection, DbTransaction transaction, string sql, object parameters, int cap, string name, List<string> truncated, CancellationToken cancellationToken)
    {
        var rows = (await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken))).AsList();
        if (rows.Count > cap)
        {
            rows.RemoveAt(cap);
            truncated.Add(name);
        }
        return rows;
    }

    private sealed record Snapshot(
        List<ModelRow> Models, List<PolicyRow> Policies, List<VersionRow> Versions, List<TransitionRow> Transitions, List<AliasRow> AliasChanges,
        List<PromotionRequests.RequestRow> Requests, List<PromotionRequests.ReviewRow> Reviews, List<CardRow> Cards, List<LineageRow> Lineage, HeadRow Head, string? HeadEntryHash);

    private sealed record LineageRow(long ModelId, long Version, string Id, string Kind, string? Namespace, string Name, long Depth);

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record HeadRow
    {
        public long Seq { get; init; }
        public string Hash { get; init; } = "";
    }

    private sealed record ModelRow
    {
        public long Id { get; init; }
        public string FullName { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string? Description { get; init; }
        public string? Owner { get; init; }
    }

    private sealed record PolicyRow
    {
        public string? Namespace { get; init; }
        public long? ModelId { get; init; }
        public string Document { get; init; } = "";
    }

    private sealed record VersionRow
    {
        public long Id { get; init; }
        public long ModelId { get; init; }
        public long Version { get; init; }
        public string Stage { get; init; } = "";
        public string Status { get; init; } = "";
        public string? Framework { get; init; }
        public string? RunId { get; init; }
        public string? Description { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    private sealed record TransitionRow
    {
        public long Id { get; init; }
        public long ModelId { get; init; }
        public long Version { get; init; }
        public string FromStage { get; init; } = "";
        public string ToStage { get; init; } = "";
        public string? Comment { get; init; }
        public long ChangedAt { get; init; }
        public string ChangedBy { get; init; } = "";
    }

    private sealed record AliasRow
    {
        public long Id { get; init; }
        public long ModelId { get; init; }
        public string Alias { get; init; } = "";
        public long? Version { get; init; }
        public long ChangedAt { get; init; }
        public string ChangedBy { get; init; } = "";
    }



    private sealed record CardRow
    {
        public long ModelId { get; init; }
        public long Version { get; init; }
        public string Document { get; init; } = "{}";
        public string RiskRating { get; init; } = "";
        public string Status { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
        public long? SubmittedAt { get; init; }
        public string? SubmittedBy { get; init; }
        public long? ApprovedAt { get; init; }
        public string? ApprovedBy { get; init; }
    }

    private sealed record UpstreamRow
    {
        public string Origin { get; init; } = "";
        public string Id { get; init; } = "";
        public string Kind { get; init; } = "";
        public string? Namespace { get; init; }
        public string Name { get; init; } = "";
        public long Depth { get; init; }
    }
}
