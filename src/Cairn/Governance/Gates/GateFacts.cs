using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Cairn.Lineage;
using Cairn.Storage;
using Dapper;

namespace Cairn.Governance;

/// <summary>
/// What a set of gates reads about a version, loaded set-based in the caller's transaction: one query for the version
/// and its model, and one per kind of fact the gates need (tags, metrics, files, card, lineage), whatever the number of
/// gates, tags or files.
/// </summary>
internal sealed class GateFacts
{
    /// <summary>How many rows the upstream walk of <c>dataset_lineage</c> may read before it stops (as the lineage graph's walk).</summary>
    public const int WalkRowBudget = 2 * (LineageGraph.MaxNodes + 1);

    /// <summary>The version and its model; null when the version no longer exists.</summary>
    public SubjectRow? Subject { get; private init; }

    /// <summary>The version's tags among the keys the gates name.</summary>
    public Dictionary<string, string> VersionTags { get; } = new(StringComparer.Ordinal);

    /// <summary>The model's tags among the keys the gates name.</summary>
    public Dictionary<string, string> ModelTags { get; } = new(StringComparer.Ordinal);

    /// <summary>Metric values by (version row id, key): the version's own, else its source run's latest.</summary>
    public Dictionary<(long VersionId, string Key), MetricRow> Metrics { get; } = [];

    public long FileCount { get; private set; }

    /// <summary>Files without a SHA-256 (the first <see cref="QualityGates.MaxListed"/> by path) and how many there are.</summary>
    public List<string> UncheckedFiles { get; } = [];

    public long UncheckedFileCount { get; private set; }

    public CardRow? Card { get; private set; }

    /// <summary>The card's document, parsed; null without a card or when the document is not a JSON object.</summary>
    public JsonObject? CardDocument { get; private set; }

    /// <summary>The registered datasets upstream of the version, nearest first, with the edges to each.</summary>
    public List<UpstreamDataset> Datasets { get; } = [];

    /// <summary>The nodes the walk started from (the version's node, and its source run's).</summary>
    public List<string> WalkStart { get; } = [];

    /// <summary>True when the walk hit its row budget before it ended.</summary>
    public bool WalkTruncated { get; private set; }

    public sealed record SubjectRow
    {
        public string Status { get; init; } = "";
        public string? VersionDescription { get; init; }
        public string? Signature { get; init; }
        public string? RunId { get; init; }
        public string? ModelDescription { get; init; }
        public string? Owner { get; init; }
        public string? Inference { get; init; }

        /// <summary>The row id of the version holding the target (when another version holds it).</summary>
        public long? HolderId { get; init; }
    }

    public sealed record MetricRow
    {
        public long VersionId { get; init; }
        public string Key { get; init; } = "";
        public double Value { get; init; }
        public long IsNan { get; init; }

        /// <summary>"version" (version_metrics) or "run" (the source run's latest value).</summary>
        public string Source { get; init; } = "";
        public string? RunId { get; init; }

        public double Number => IsNan != 0 ? double.NaN : Value;
    }

    public sealed record CardRow
    {
        public string Document { get; init; } = "";
        public string RiskRating { get; init; } = "";
        public string Status { get; init; } = "";
    }

    public sealed record UpstreamDataset(string Id, int Depth, bool HasSchema);

    private sealed record FileCounts
    {
        public long Files { get; init; }
        public long Unchecked { get; init; }
    }

    private sealed record DatasetRow
    {
        public string Id { get; init; } = "";
        public long HasSchema { get; init; }
    }

    /// <summary>The version row id of the target's holder, when another version than the subject holds it.</summary>
    public static int? OtherHolder(GateSubject subject) => subject.CurrentHolder is { } holder && holder != subject.Version ? holder : null;

    public static async Task<GateFacts> LoadAsync(DbTransaction transaction, GateSubject subject, IReadOnlyList<GateSpec> gates, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var dialect = SqlDialects.Of(transaction);
        var subjectRow = await connection.QuerySingleOrDefaultAsync<SubjectRow>(new CommandDefinition(
            """
            SELECT v.status, v.description AS version_description, v.signature, v.run_id, m.description AS model_description, m.owner, m.inference,
                   (SELECT h.id FROM model_versions h WHERE h.model_id = v.model_id AND h.version = @holder) AS holder_id
            FROM model_versions v JOIN models m ON m.id = v.model_id
            WHERE v.id = @VersionId
            """,
            new { subject.VersionId, holder = OtherHolder(subject) }, transaction, cancellationToken: cancellationToken));
        var facts = new GateFacts { Subject = subjectRow };
        if (subjectRow is null)
        {
            return facts;
        }
        var types = gates.Select(g => g.Type).ToHashSet(StringComparer.Ordinal);
        var needsLicense = gates.Any(g => g.Type == "required_fields" && (g.Fields?.Contains("license") ?? false));
        var tagKeys = gates.Where(g => g.Type == "required_tags").SelectMany(g => (g.Tags?.Keys ?? []).Take(QualityGates.MaxTags)).ToHashSet(StringComparer.Ordinal);
        if (needsLicense)
        {
            tagKeys.Add(QualityGates.LicenseTag);
        }
        if (tagKeys.Count > 0)
        {
            await facts.LoadTagsAsync(transaction, dialect, subject, tagKeys, cancellationToken);
        }
        var metricKeys = gates.Where(g => g.Type == "metric_threshold" && g.Metric is not null).Select(g => g.Metric!).ToHashSet(StringComparer.Ordinal);
        if (metricKeys.Count > 0)
        {
            await facts.LoadMetricsAsync(transaction, dialect, subject, subjectRow, metricKeys, cancellationToken);
        }
        if (types.Contains("files_ready"))
        {
            await facts.LoadFilesAsync(transaction, subject, cancellationToken);
        }
        if (types.Contains("model_card") || needsLicense)
        {
            facts.Card = await connection.QuerySingleOrDefaultAsync<CardRow>(new CommandDefinition(
                "SELECT document, risk_rating, status FROM model_cards WHERE version_id = @VersionId", new { subject.VersionId }, transaction, cancellationToken: cancellationToken));
            facts.CardDocument = facts.Card is null ? null : ParseObject(facts.Card.Document);
        }
        if (types.Contains("dataset_lineage"))
        {
            await facts.LoadLineageAsync(transaction, dialect, subject, subjectRow, cancellationToken);
        }
        return facts;
    }

    private async Task LoadTagsAsync(DbTransaction transaction, ISqlDialect dialect, GateSubject subject, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var set = dialect.ValueSet("@keys", "TEXT");
        var rows = await transaction.Connection!.QueryAsync<(string Owner, string Key, string Value)>(new CommandDefinition(
            $"""
            SELECT 'version' AS owner, key, value FROM version_tags WHERE version_id = @VersionId AND key IN {set}
            UNION ALL
            SELECT 'model' AS owner, key, value FROM model_tags WHERE model_id = @ModelId AND key IN {set}
            """,
            new { subject.VersionId, subject.ModelId, keys = dialect.ValueSetParameter(keys) }, transaction, cancellationToken: cancellationToken));
        foreach (var (owner, key, value) in rows)
        {
            (owner == "version" ? VersionTags : ModelTags)[key] = value;
        }
    }

    private async Task LoadMetricsAsync(
        DbTransaction transaction, ISqlDialect dialect, GateSubject subject, SubjectRow row, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        long[] ids = row.HolderId is { } holder ? [subject.VersionId, holder] : [subject.VersionId];
        var idSet = dialect.ValueSet("@ids", "BIGINT");
        var keySet = dialect.ValueSet("@keys", "TEXT");
        var noRun = dialect.Name == "postgres" ? "CAST(NULL AS TEXT)" : "NULL";
        // A version's own metric wins; its source run's latest value (the run it was registered from) stands in for it.
        var rows = await transaction.Connection!.QueryAsync<MetricRow>(new CommandDefinition(
            $"""
            SELECT vm.version_id, vm.key, vm.value, 0 AS is_nan, 'version' AS source, {noRun} AS run_id
            FROM version_metrics vm WHERE vm.version_id IN {idSet} AND vm.key IN {keySet}
            UNION ALL
            SELECT v.id AS version_id, lm.key, lm.value, lm.is_nan, 'run' AS source, r.run_uuid AS run_id
            FROM model_versions v JOIN runs r ON r.run_uuid = v.run_id JOIN run_latest_metrics lm ON lm.run_id = r.id
            WHERE v.id IN {idSet} AND lm.key IN {keySet}
            """,
            new { ids = dialect.ValueSetParameter(ids), keys = dialect.ValueSetParameter(keys) }, transaction, cancellationToken: cancellationToken));
        foreach (var metric in rows)
        {
            if (!Metrics.TryGetValue((metric.VersionId, metric.Key), out var known) || known.Source == "run" && metric.Source == "version")
            {
                Metrics[(metric.VersionId, metric.Key)] = metric;
            }
        }
    }

    private async Task LoadFilesAsync(DbTransaction transaction, GateSubject subject, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        // A SHA-256 is 64 hex digits; the store computes it as the bytes stream in, so anything else is a file it never checked.
        const string Unchecked = "(sha256 IS NULL OR length(sha256) <> 64)";
        var counts = await connection.QuerySingleAsync<FileCounts>(new CommandDefinition(
            $"SELECT COUNT(*) AS files, COALESCE(SUM(CASE WHEN {Unchecked} THEN 1 ELSE 0 END), 0) AS unchecked FROM version_files WHERE version_id = @VersionId",
            new { subject.VersionId }, transaction, cancellationToken: cancellationToken));
        FileCount = counts.Files;
        UncheckedFileCount = counts.Unchecked;
        if (counts.Unchecked > 0)
        {
            UncheckedFiles.AddRange(await connection.QueryAsync<string>(new CommandDefinition(
                $"SELECT path FROM version_files WHERE version_id = @VersionId AND {Unchecked} ORDER BY path LIMIT {QualityGates.MaxListed}",
                new { subject.VersionId }, transaction, cancellationToken: cancellationToken)));
        }
    }

    /// <summary>
    /// Walks the recorded edges upstream from the version's node (and from its source run's node, one edge up, for a
    /// version whose run was recorded after it), up to the lineage graph's depth cap, in one recursive query stopped by a
    /// row budget; then reads which of the nodes reached are registered datasets, in one query.
    /// </summary>
    private async Task LoadLineageAsync(DbTransaction transaction, ISqlDialect dialect, GateSubject subject, SubjectRow row, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var model = NodeIds.Model(subject.Model, subject.Version);
        var run = row.RunId is { Length: > 0 } runId ? NodeIds.Run(runId) : null;
        WalkStart.Add(model);
        if (run is not null)
        {
            WalkStart.Add(run);
        }
        var rows = (await connection.QueryAsync<(string Node, long Depth)>(new CommandDefinition(
            """
            WITH RECURSIVE walk(node, depth) AS (
                SELECT s.node, s.depth FROM (SELECT CAST(@model AS TEXT) AS node, 0 AS depth UNION ALL SELECT CAST(@run AS TEXT) AS node, 1 AS depth) s
                WHERE s.node IS NOT NULL
                UNION
                SELECT e.source, w.depth + 1 FROM walk w JOIN lineage_edges e ON e.target = w.node WHERE w.depth < @depth
            )
            SELECT node, CAST(depth AS BIGINT) AS depth FROM walk LIMIT @rows
            """,
            new { model, run, depth = LineageGraph.MaxDepth, rows = WalkRowBudget }, transaction, cancellationToken: cancellationToken))).AsList();
        WalkTruncated = rows.Count >= WalkRowBudget;
        var least = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (node, depth) in rows)
        {
            least[node] = least.TryGetValue(node, out var known) ? Math.Min(known, (int)depth) : (int)depth;
        }
        if (least.Count == 0)
        {
            return;
        }
        var datasets = await connection.QueryAsync<DatasetRow>(new CommandDefinition(
            $"SELECT id, CASE WHEN schema IS NOT NULL AND schema <> '[]' THEN 1 ELSE 0 END AS has_schema FROM datasets WHERE id IN {dialect.ValueSet("@ids", "TEXT")}",
            new { ids = dialect.ValueSetParameter(least.Keys) }, transaction, cancellationToken: cancellationToken));
        Datasets.AddRange(datasets
            .Select(d => new UpstreamDataset(d.Id, least[d.Id], d.HasSchema != 0))
            .OrderBy(d => d.Depth).ThenBy(d => d.Id, StringComparer.Ordinal));
    }

    private static JsonObject? ParseObject(string json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
