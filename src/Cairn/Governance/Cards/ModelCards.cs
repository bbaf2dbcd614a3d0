using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Lineage;
using Cairn.Registry;
using Cairn.Storage;
using Dapper;

namespace Cairn.Governance.Cards;

/// <summary>
/// Model cards, one per version: what people write (the sections and the risk rating, in <c>model_cards</c>) and
/// what the registry knows, joined when a card is read. Writers edit and submit; an approver other than the card's
/// last editor and its submitter approves it or returns it with a comment (four-eyes). Editing a submitted or
/// approved card sends it back to Draft. Every change is one transaction with its audit entry (<c>card.set</c>,
/// <c>card.submit</c>, <c>card.approve</c>, <c>card.return</c> on <c>models/&lt;m&gt;/versions/&lt;n&gt;/card</c>).
/// </summary>
public sealed class ModelCards(CairnDatabase database, AuditChain audit, TimeProvider clock, ModelCatalog catalog, ModelRegistry registry, LimitsOptions? limits = null)
{
    private readonly LimitsOptions _limits = limits ?? new LimitsOptions();

    /// <summary>The input tag values of MLflow's <c>mlflow.data.context</c> that make a producing run's input an evaluation dataset.</summary>
    private static readonly HashSet<string> EvaluationContexts = new(StringComparer.OrdinalIgnoreCase) { "eval", "evaluation", "validation", "test", "testing" };

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record CardRow
    {
        public long VersionId { get; init; }
        public string Document { get; init; } = "{}";
        public string RiskRating { get; init; } = RiskRatings.Unknown;
        public string Status { get; init; } = CardStatuses.Draft;
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
        public long? SubmittedAt { get; init; }
        public string? SubmittedBy { get; init; }
        public long? ApprovedAt { get; init; }
        public string? ApprovedBy { get; init; }
        public long? ReturnedAt { get; init; }
        public string? ReturnedBy { get; init; }
        public string? ReviewComment { get; init; }
    }

    private sealed record DatasetRow
    {
        public string Via { get; init; } = "";
        public string Id { get; init; } = "";
        public string? Namespace { get; init; }
        public string Name { get; init; } = "";
        public string? Version { get; init; }
        public string? Location { get; init; }
        public long HasSchema { get; init; }
        public string Run { get; init; } = "";
    }

    private sealed record ContextRow
    {
        public string RunUuid { get; init; } = "";
        public string SourceType { get; init; } = "";
        public string Name { get; init; } = "";
        public string Tags { get; init; } = "{}";
    }

    private sealed record RequestRow
    {
        public string Id { get; init; } = "";
        public string TargetKind { get; init; } = "";
        public string Target { get; init; } = "";
        public string Status { get; init; } = "";
        public string RequestedBy { get; init; } = "";
        public long RequestedAt { get; init; }
        public long? DecidedAt { get; init; }
        public string? DecidedBy { get; init; }
        public string? Reviewer { get; init; }
        public string? Verdict { get; init; }
        public string? Comment { get; init; }
        public long? At { get; init; }
    }

    /// <summary>The card's stored state, as its audit entries and events carry it.</summary>
    private sealed record CardState(
        string Model, int Version, string Status, string RiskRating, JsonObject Sections, string UpdatedBy,
        string? SubmittedBy, string? ApprovedBy, string? ReturnedBy, string? Comment);

    /// <summary>The version's card; an empty Draft when nobody has written one.</summary>
    /// <param name="caller">Who reads: a reader of the model's namespace. The dataset lists need reader on '/' too (the lineage graph's role).</param>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<ModelCard> GetAsync(Caller caller, string model, int version, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        var found = await registry.GetAsync(caller, model, version, cancellationToken);
        var entry = await catalog.GetAsync(caller, model, cancellationToken);
        var lineageVisible = caller.Has(Role.Reader, NamespacePath.Root);
        return await database.ReadAsync(async connection =>
        {
            var versionId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT v.id FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.full_name = @model AND v.version = @version",
                new { model, version }, cancellationToken: cancellationToken)) ?? throw ModelRegistry.Missing(model, version);
            var row = await ReadRowAsync(connection, null, versionId, cancellationToken);
            var (training, evaluation) = lineageVisible ? await DatasetsAsync(connection, model, version, cancellationToken) : ([], []);
            var approvals = await ApprovalsAsync(connection, versionId, cancellationToken);
            var facts = new ModelCardFacts(
                model, entry.Namespace, entry.ModelName, version, found.Semver, found.Description ?? entry.Description,
                entry.Owner is { Length: > 0 } owner ? [owner] : [], found.Framework, found.Format, found.Signature, entry.Inference,
                found.Metrics, found.Stage.ToString(), found.Aliases, found.Source, found.RunId, found.CreatedAt, found.CreatedBy,
                lineageVisible, training, evaluation, approvals);
            return ToCard(model, version, row, facts);
        }, cancellationToken);
    }

    /// <summary>
    /// Replaces the people-written sections and the risk rating. A card under review or approved goes back to Draft:
    /// what was reviewed is no longer what the card says.
    /// </summary>
    /// <param name="caller">Who writes: a writer of the model's namespace.</param>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="request">The sections and the rating; checked before anything is written.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<ModelCard> PutAsync(Caller caller, string model, int version, PutModelCardRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        ArgumentNullException.ThrowIfNull(request);
        var sections = request.Sections ?? [];
        ModelCardShape.Check(sections, _limits.MaxDescriptionLength);
        var rating = request.RiskRating is null ? RiskRatings.Unknown : RiskRatings.Parse(request.RiskRating);
        var document = sections.ToJsonString();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await database.WriteAsync(async (connection, transaction) =>
        {
            var ids = await ModelRegistry.IdsAsync(transaction, model, version, cancellationToken);
            var before = await ReadRowAsync(connection, transaction, ids.Id, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO model_cards (version_id, model_id, model, version, document, risk_rating, status, created_at, created_by, updated_at, updated_by)
                VALUES (@Id, @ModelId, @model, @version, @document, @rating, @draft, @now, @by, @now, @by)
                ON CONFLICT (version_id) DO UPDATE SET
                    document = excluded.document, risk_rating = excluded.risk_rating, status = excluded.status,
                    updated_at = excluded.updated_at, updated_by = excluded.updated_by,
                    submitted_at = NULL, submitted_by = NULL, approved_at = NULL, approved_by = NULL
                """,
                new { ids.Id, ids.ModelId, model, version, document, rating, draft = CardStatuses.Draft, now, by = caller.Name },
                transaction, cancellationToken: cancellationToken));
            var after = await ReadRowAsync(connection, transaction, ids.Id, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "card.set", Resource(model, version),
                before is null ? null : State(model, version, before), State(model, version, after!), cancellationToken);
            return 0;
        }, cancellationToken);
        return await GetAsync(caller, model, version, cancellationToken);
    }

    /// <summary>Sends a Draft card for review (writer).</summary>
    public Task<ModelCard> SubmitAsync(Caller caller, string model, int version, CardStepRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        return StepAsync(caller, model, version, "card.submit", CardStatuses.Draft, CardStatuses.PendingReview, Comment(request), """
            UPDATE model_cards SET status = @to, submitted_at = @now, submitted_by = @by, review_comment = @comment
            WHERE version_id = @id AND status = @from
            """, cancellationToken);
    }

    /// <summary>
    /// Approves a card under review (approver). Four-eyes: whoever last edited the card or submitted it may not approve
    /// it (403 naming them).
    /// </summary>
    public Task<ModelCard> ApproveAsync(Caller caller, string model, int version, CardStepRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Approver, NamespacePath.Split(model).Namespace);
        return StepAsync(caller, model, version, "card.approve", CardStatuses.PendingReview, CardStatuses.Approved, Comment(request), """
            UPDATE model_cards SET status = @to, approved_at = @now, approved_by = @by, review_comment = @comment
            WHERE version_id = @id AND status = @from
            """, cancellationToken);
    }

    /// <summary>Returns a card under review to its authors as a Draft (approver), with a comment saying why (required).</summary>
    public Task<ModelCard> ReturnAsync(Caller caller, string model, int version, CardStepRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Approver, NamespacePath.Split(model).Namespace);
        var comment = Comment(request);
        if (string.IsNullOrWhiteSpace(comment))
        {
            throw new InvalidParameterException("'comment' is required to return a card: say what its authors should change.");
        }
        return StepAsync(caller, model, version, "card.return", CardStatuses.PendingReview, CardStatuses.Draft, comment, """
            UPDATE model_cards SET status = @to, returned_at = @now, returned_by = @by, review_comment = @comment,
                submitted_at = NULL, submitted_by = NULL
            WHERE version_id = @id AND status = @from
            """, cancellationToken);
    }

    private string? Comment(CardStepRequest? request) => _limits.Description("comment", request?.Comment);

    private async Task<ModelCard> StepAsync(
        Caller caller, string model, int version, string action, string from, string to, string? comment, string sql, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await database.WriteAsync(async (connection, transaction) =>
        {
            var ids = await ModelRegistry.IdsAsync(transaction, model, version, cancellationToken);
            var before = await ReadRowAsync(connection, transaction, ids.Id, cancellationToken)
                ?? throw new InvalidStateException($"Version {version} of model '{model}' has no model card yet: write one first (PUT …/card).");
            if (before.Status != from)
            {
                throw new InvalidStateException(
                    $"The model card of version {version} of model '{model}' is {before.Status}; only a {from} card can become {to}.");
            }
            if (action == "card.approve" && (caller.Name == before.UpdatedBy || caller.Name == before.SubmittedBy))
            {
                var role = caller.Name == before.SubmittedBy ? "submitted it" : "last edited it";
                throw new PermissionDeniedException(
                    $"'{caller.Name}' {role} and may not approve the model card of version {version} of model '{model}' too (four-eyes): another approver must.");
            }
            await connection.ExecuteAsync(new CommandDefinition(sql, new { id = ids.Id, from, to, now, by = caller.Name, comment }, transaction, cancellationToken: cancellationToken));
            var after = await ReadRowAsync(connection, transaction, ids.Id, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, action, Resource(model, version), State(model, version, before), State(model, version, after!), cancellationToken);
            return 0;
        }, cancellationToken);
        return await GetAsync(caller, model, version, cancellationToken);
    }

    internal static string Resource(string model, int version) => $"{ModelRegistry.Resource(model, version)}/card";

    private static CardState State(string model, int version, CardRow row) => new(
        model, version, row.Status, row.RiskRating, ParseDocument(row.Document), row.UpdatedBy, row.SubmittedBy, row.ApprovedBy, row.ReturnedBy, row.ReviewComment);

    private static async Task<CardRow?> ReadRowAsync(DbConnection connection, DbTransaction? transaction, long versionId, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<CardRow>(new CommandDefinition(
            """
            SELECT version_id, document, risk_rating, status, created_at, created_by, updated_at, updated_by, submitted_at, submitted_by,
                   approved_at, approved_by, returned_at, returned_by, review_comment
            FROM model_cards WHERE version_id = @versionId
            """, new { versionId }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// The datasets on the version's lineage, in one query: the inputs of the runs that produced it (edge run → version,
    /// <c>output</c>) and the inputs of the runs that read it (version → run, <c>input</c>: an evaluation), and one more
    /// for the MLflow input tags (<c>mlflow.data.context</c>) that mark a producing run's input as an evaluation set.
    /// </summary>
    private async Task<(IReadOnlyList<CardDataset> Training, IReadOnlyList<CardDataset> Evaluation)> DatasetsAsync(
        DbConnection connection, string model, int version, CancellationToken cancellationToken)
    {
        var node = NodeIds.Model(model, version);
        var schema = database.Dialect.Name == "postgres" ? "CASE WHEN d.schema IS NULL THEN 0 ELSE 1 END" : "d.schema IS NOT NULL";
        var rows = (await connection.QueryAsync<DatasetRow>(new CommandDefinition(
            $"""
            SELECT 'produced' AS via, n.id, n.namespace, n.name, d.version, d.location, {schema} AS has_schema, i.target AS run
            FROM lineage_edges o
            JOIN lineage_edges i ON i.target = o.source AND i.kind = 'input'
            JOIN lineage_nodes n ON n.id = i.source AND n.kind = 'dataset'
            LEFT JOIN datasets d ON d.id = n.id
            WHERE o.target = @node AND o.kind = 'output'
            UNION ALL
            SELECT 'read' AS via, n.id, n.namespace, n.name, d.version, d.location, {schema} AS has_schema, i.target AS run
            FROM lineage_edges e
            JOIN lineage_edges i ON i.target = e.target AND i.kind = 'input'
            JOIN lineage_nodes n ON n.id = i.source AND n.kind = 'dataset'
            LEFT JOIN datasets d ON d.id = n.id
            WHERE e.source = @node AND e.kind = 'input'
            ORDER BY 2, 8
            """, new { node }, cancellationToken: cancellationToken))).AsList();
        var evaluationInputs = new HashSet<(string Run, string Dataset)>();
        var producingRuns = rows.Where(r => r.Via == "produced" && r.Run.StartsWith("run:", StringComparison.Ordinal)).Select(r => r.Run[4..]).Distinct().ToList();
        if (producingRuns.Count > 0)
        {
            var contexts = await connection.QueryAsync<ContextRow>(new CommandDefinition(
                $"""
                SELECT r.run_uuid, t.source_type, t.name, i.tags FROM run_inputs i JOIN runs r ON r.id = i.run_id JOIN tracking_datasets t ON t.id = i.dataset_id
                WHERE r.run_uuid IN {database.Dialect.ValueSet("@runs", "TEXT")}
                """, new { runs = database.Dialect.ValueSetParameter(producingRuns) }, cancellationToken: cancellationToken));
            foreach (var context in contexts)
            {
                var tags = JsonSerializer.Deserialize<Dictionary<string, string>>(context.Tags) ?? [];
                if (tags.TryGetValue(Tracking.TrackingStore.DatasetContextTag, out var value) && EvaluationContexts.Contains(value))
                {
                    evaluationInputs.Add((NodeIds.Run(context.RunUuid), NodeIds.Dataset(context.SourceType, context.Name)));
                }
            }
        }
        static CardDataset ToDataset(DatasetRow r) => new(r.Id, r.Namespace ?? "", r.Name, r.Version, r.Location, r.HasSchema != 0, r.Run);
        var training = rows.Where(r => r.Via == "produced" && !evaluationInputs.Contains((r.Run, r.Id))).Select(ToDataset).ToList();
        var evaluation = rows.Where(r => r.Via == "read" || evaluationInputs.Contains((r.Run, r.Id))).Select(ToDataset).ToList();
        return (training, evaluation);
    }

    /// <summary>The version's promotion requests with their reviews, oldest first: one query.</summary>
    private static async Task<IReadOnlyList<CardApproval>> ApprovalsAsync(DbConnection connection, long versionId, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<RequestRow>(new CommandDefinition(
            """
            SELECT r.id, r.target_kind, r.target, r.status, r.requested_by, r.requested_at, r.decided_at, r.decided_by,
                   v.reviewer, v.verdict, v.comment, v.at
            FROM promotion_requests r LEFT JOIN promotion_reviews v ON v.request_id = r.id
            WHERE r.version_id = @versionId
            ORDER BY r.requested_at, r.id, v.at, v.reviewer
            """, new { versionId }, cancellationToken: cancellationToken));
        return rows.GroupBy(r => r.Id, StringComparer.Ordinal).Select(g =>
        {
            var r = g.First();
            return new CardApproval(r.Id, Title(r.TargetKind), r.Target, Title(r.Status), r.RequestedBy, At(r.RequestedAt), At(r.DecidedAt), r.DecidedBy,
                g.Where(x => x.Reviewer is not null).Select(x => new CardReviewVerdict(x.Reviewer!, x.Verdict ?? "", x.Comment, At(x.At ?? 0))).ToList());
        }).ToList();
    }

    // The request tables spell kinds and statuses in capitals or title case; the card shows them one way.
    private static string Title(string value) => value.Length == 0 ? value : char.ToUpperInvariant(value[0]) + value[1..].ToLowerInvariant();

    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? At(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;

    private static JsonObject ParseDocument(string document) => JsonNode.Parse(document) as JsonObject ?? [];

    private static ModelCard ToCard(string model, int version, CardRow? row, ModelCardFacts facts)
    {
        var sections = row is null ? [] : ParseDocument(row.Document);
        var rating = row?.RiskRating ?? RiskRatings.Unknown;
        var filled = ModelCardSections.DocumentSections.ToDictionary(s => s, s => ModelCardSections.IsFilled(sections, s), StringComparer.Ordinal);
        filled[ModelCardSections.RiskRating] = rating != RiskRatings.Unknown;
        var review = row is null
            ? new ModelCardReview(null, null, null, null, null, null, null, null, null, null, null)
            : new ModelCardReview(At(row.CreatedAt), row.CreatedBy, At(row.UpdatedAt), row.UpdatedBy, At(row.SubmittedAt), row.SubmittedBy,
                At(row.ApprovedAt), row.ApprovedBy, At(row.ReturnedAt), row.ReturnedBy, row.ReviewComment);
        return new ModelCard(model, version, row?.Status ?? CardStatuses.Draft, rating, sections, filled, facts, review);
    }

    /// <summary>A version number as the card shows it.</summary>
    internal static string VersionLabel(ModelCardFacts facts) =>
        facts.Semver is { Length: > 0 } semver ? $"{semver} (version {facts.Version.ToString(CultureInfo.InvariantCulture)})" : facts.Version.ToString(CultureInfo.InvariantCulture);
}
