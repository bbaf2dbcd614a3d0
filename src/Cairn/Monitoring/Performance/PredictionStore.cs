using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Monitoring.Performance;

/// <summary>
/// Predictions, ground truth and performance figures of deployments. A batch is one transaction with one audit entry
/// (<c>monitoring.predictions.log</c>, <c>monitoring.ground_truth.log</c>, <c>monitoring.metrics.report</c> on
/// <c>models/&lt;m&gt;/deployments/&lt;id&gt;/…</c>). Ids are idempotent: a re-sent prediction or ground truth replaces
/// the row with its id (a correction wins; sending the same batch twice leaves the same rows). The same transaction
/// recomputes the daily figures (UTC days, source <c>computed</c>) of every version and day the batch touched, so that
/// stored figures always match the rows. Reads compute any bucket from the rows themselves.
/// </summary>
public sealed class PredictionStore(CairnDatabase database, AuditChain audit, TimeProvider clock, LimitsOptions? limits = null)
{
    private const int MaxIdLength = 256;
    private const long HourMs = 3_600_000;
    private const long DayMs = 86_400_000;
    private readonly LimitsOptions _limits = limits ?? new LimitsOptions();

    private static readonly (string, string)[] PredictionColumns =
        [("id", "text"), ("version_id", "bigint"), ("version", "bigint"), ("at", "bigint"), ("prediction", "text"), ("probabilities", "text")];

    private static readonly (string, string)[] TruthColumns = [("id", "text"), ("actual", "text"), ("at", "bigint")];

    private static readonly (string, string)[] MetricColumns =
        [("version_id", "bigint"), ("version", "bigint"), ("metric", "text"), ("starts_at", "bigint"), ("ends_at", "bigint"), ("value", "text"), ("count", "bigint")];

    private sealed record PredictionRow(string Id, long VersionId, long Version, long At, string Prediction, string? Probabilities);

    private sealed record TruthRow(string Id, string Actual, long At);

    private sealed record MetricRow(long VersionId, long Version, string Metric, long StartsAt, long EndsAt, string Value, long? Count);

    private sealed record ReportedRow
    {
        public long Version { get; init; }
        public string Metric { get; init; } = "";
        public long StartsAt { get; init; }
        public long EndsAt { get; init; }
        public double Value { get; init; }
        public long? Count { get; init; }
        public string Source { get; init; } = "";
    }

    private sealed record TouchedRow
    {
        public long Version { get; init; }
        public long VersionId { get; init; }
        public long At { get; init; }
    }

    /// <summary>Stores a batch of predictions of deployment <paramref name="deploymentId"/> (writer on its model's namespace).</summary>
    public async Task<IngestResult> LogPredictionsAsync(Caller caller, string deploymentId, IReadOnlyList<PredictionInput>? predictions, CancellationToken cancellationToken)
    {
        var deployment = await MonitoredDeployments.GetAsync(database, caller, Role.Writer, deploymentId, cancellationToken);
        var batch = Batch(predictions, "predictions");
        var rows = new List<PredictionRow>(batch.Count);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var at = $"[{i}]";
            var p = batch[i] ?? throw new InvalidParameterException($"'{at}' is null; each prediction is an object with id, version, at and prediction.");
            var id = Id(p.Id, at, ids);
            var version = p.Version ?? throw new InvalidParameterException($"'{at}.version' is required: the version that made the prediction.");
            var versionId = deployment.VersionId(version, $"{at}.version");
            var time = p.At ?? throw new InvalidParameterException($"'{at}.at' is required: when the prediction was made (ISO 8601).");
            rows.Add(new PredictionRow(id, versionId, version, time.ToUnixTimeMilliseconds(), Value(p.Prediction, $"{at}.prediction"), Probabilities(p.Probabilities, $"{at}.probabilities")));
        }
        var result = await database.WriteAsync(async (connection, transaction) =>
        {
            deployment = await MonitoredDeployments.GetAsync(connection, transaction, deployment.Id, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                $"""
                INSERT INTO predictions (deployment_id, prediction_id, version_id, version, at, prediction, probabilities)
                SELECT @deployment, r.id, r.version_id, r.version, r.at, r.prediction, r.probabilities FROM {database.Dialect.JsonRows("@rows", PredictionColumns)}
                WHERE 1 = 1
                ON CONFLICT (deployment_id, prediction_id) DO UPDATE SET
                    version_id = excluded.version_id, version = excluded.version, at = excluded.at,
                    prediction = excluded.prediction, probabilities = excluded.probabilities
                """, new { deployment = deployment.Id, rows = JsonSerializer.Serialize(rows, CairnJson.Options) }, transaction, cancellationToken: cancellationToken));
            // A replaced prediction may have moved to another version or day: both its old and new buckets are recomputed.
            var touched = rows.Select(r => (r.Version, r.VersionId, Day(r.At))).ToHashSet();
            touched.UnionWith(await TouchedAsync(transaction, deployment.Id, ids, cancellationToken));
            var points = await RecomputeAsync(transaction, deployment, touched, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "monitoring.predictions.log", deployment.Resource("predictions"), null,
                Summary(deployment, rows.Count, rows.Select(r => r.Version), rows.Select(r => r.At)), cancellationToken);
            await new Alerts.AlertEvaluator(database, audit, clock).EvaluatePerformanceAsync(transaction, caller.Name, points, cancellationToken);
            return new IngestResult(deployment.Id, rows.Count, points);
        }, cancellationToken);
        return result;
    }

    /// <summary>Stores the ground truth of predictions of deployment <paramref name="deploymentId"/> (writer), by prediction id.</summary>
    public async Task<IngestResult> LogGroundTruthAsync(Caller caller, string deploymentId, IReadOnlyList<GroundTruthInput>? truths, CancellationToken cancellationToken)
    {
        var deployment = await MonitoredDeployments.GetAsync(database, caller, Role.Writer, deploymentId, cancellationToken);
        var batch = Batch(truths, "ground_truth");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var rows = new List<TruthRow>(batch.Count);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var at = $"[{i}]";
            var t = batch[i] ?? throw new InvalidParameterException($"'{at}' is null; each ground truth is an object with id and actual.");
            rows.Add(new TruthRow(Id(t.Id, at, ids), Value(t.Actual, $"{at}.actual"), t.At?.ToUnixTimeMilliseconds() ?? now));
        }
        return await database.WriteAsync(async (connection, transaction) =>
        {
            deployment = await MonitoredDeployments.GetAsync(connection, transaction, deployment.Id, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                $"""
                INSERT INTO ground_truth (deployment_id, prediction_id, actual, at)
                SELECT @deployment, r.id, r.actual, r.at FROM {database.Dialect.JsonRows("@rows", TruthColumns)}
                WHERE 1 = 1
                ON CONFLICT (deployment_id, prediction_id) DO UPDATE SET actual = excluded.actual, at = excluded.at
                """, new { deployment = deployment.Id, rows = JsonSerializer.Serialize(rows, CairnJson.Options) }, transaction, cancellationToken: cancellationToken));
            var touched = await TouchedAsync(transaction, deployment.Id, ids, cancellationToken);
            var points = await RecomputeAsync(transaction, deployment, touched, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "monitoring.ground_truth.log", deployment.Resource("ground_truth"), null,
                Summary(deployment, rows.Count, touched.Select(t => t.Version), rows.Select(r => r.At)), cancellationToken);
            // Alert rules on the recomputed figures evaluate in this transaction, after the batch's own event.
            await new Alerts.AlertEvaluator(database, audit, clock).EvaluatePerformanceAsync(transaction, caller.Name, points, cancellationToken);
            return new IngestResult(deployment.Id, rows.Count, points);
        }, cancellationToken);
    }

    /// <summary>
    /// Stores figures the serving side computed itself (source <c>reported</c>); one per version, metric and start,
    /// a re-sent one replacing the last.
    /// </summary>
    public async Task<IngestResult> ReportMetricsAsync(Caller caller, string deploymentId, IReadOnlyList<ReportedMetricInput>? metrics, CancellationToken cancellationToken)
    {
        var deployment = await MonitoredDeployments.GetAsync(database, caller, Role.Writer, deploymentId, cancellationToken);
        var batch = Batch(metrics, "metrics");
        var rows = new List<MetricRow>(batch.Count);
        var keys = new HashSet<(long, string, long)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var at = $"[{i}]";
            var m = batch[i] ?? throw new InvalidParameterException($"'{at}' is null; each metric is an object with version, metric, starts_at, ends_at and value.");
            var version = m.Version ?? throw new InvalidParameterException($"'{at}.version' is required.");
            var versionId = deployment.VersionId(version, $"{at}.version");
            if (string.IsNullOrWhiteSpace(m.Metric) || m.Metric.Length > _limits.MaxTagKeyLength)
            {
                throw new InvalidParameterException($"'{at}.metric' is required: a name of 1 to {_limits.MaxTagKeyLength} characters.");
            }
            NameRules.Check(m.Metric, $"{at}.metric");
            var (starts, ends) = Range(m.StartsAt, m.EndsAt, at);
            var value = m.Value ?? throw new InvalidParameterException($"'{at}.value' is required: the metric's value.");
            if (m.Count is < 0)
            {
                throw new InvalidParameterException($"'{at}.count' is {m.Count}; a count is 0 or more.");
            }
            if (!keys.Add((version, m.Metric, starts)))
            {
                throw new InvalidParameterException($"'{at}' repeats version {version}, metric '{m.Metric}' and starts_at of an earlier entry; send each once.");
            }
            rows.Add(new MetricRow(versionId, version, m.Metric, starts, ends, value.ToString("R", CultureInfo.InvariantCulture), m.Count));
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            deployment = await MonitoredDeployments.GetAsync(connection, transaction, deployment.Id, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                $"""
                INSERT INTO performance_metrics (deployment_id, version_id, version, metric, starts_at, ends_at, value, count, source, recorded_at)
                SELECT @deployment, r.version_id, r.version, r.metric, r.starts_at, r.ends_at, CAST(r.value AS {Real}), r.count, 'reported', @now
                FROM {database.Dialect.JsonRows("@rows", MetricColumns)}
                WHERE 1 = 1
                ON CONFLICT (deployment_id, version_id, metric, starts_at, source) DO UPDATE SET
                    ends_at = excluded.ends_at, value = excluded.value, count = excluded.count, recorded_at = excluded.recorded_at
                """, new { deployment = deployment.Id, rows = JsonSerializer.Serialize(rows, CairnJson.Options), now }, transaction, cancellationToken: cancellationToken));
            var points = rows.Select(r => new PerformancePoint(deployment.Id, deployment.Model, (int)r.Version, r.Metric, Time(r.StartsAt), Time(r.EndsAt),
                double.Parse(r.Value, CultureInfo.InvariantCulture), r.Count, "reported")).ToList();
            await audit.AppendAsync(transaction, caller.Name, "monitoring.metrics.report", deployment.Resource("metrics"), null,
                new { deployment = deployment.Id, model = deployment.Model, metrics = points }, cancellationToken);
            // Alert rules on these metrics evaluate in this transaction, after the figures' own event.
            await new Alerts.AlertEvaluator(database, audit, clock).EvaluatePerformanceAsync(transaction, caller.Name, points, cancellationToken);
            return new IngestResult(deployment.Id, rows.Count, points);
        }, cancellationToken);
    }

    private string Real => database.Dialect.Name == "postgres" ? "DOUBLE PRECISION" : "REAL";

    /// <summary>
    /// Performance figures of one deployment per version and bucket: computed from its predictions joined with their
    /// ground truth (read once, in order, one bucket in memory at a time), with the figures the serving side reported in
    /// the range (reader on the model's namespace).
    /// </summary>
    public async Task<PerformanceSeries> PerformanceAsync(Caller caller, PerformanceQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var deployment = await MonitoredDeployments.GetAsync(database, caller, Role.Reader, query.Deployment, cancellationToken, deleted: true);
        var bucket = (query.Bucket ?? "day").Trim().ToLowerInvariant();
        if (bucket is not ("hour" or "day" or "range"))
        {
            throw new InvalidParameterException($"'bucket' must be hour, day or range (one bucket over from..to); got '{query.Bucket}'.");
        }
        PerformanceTask? task = query.Task is null ? null
            : Enum.TryParse<PerformanceTask>(query.Task, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed
            : throw new InvalidParameterException($"'task' must be classification or regression; got '{query.Task}'.");
        if (query.Metric is { } metricName && string.IsNullOrWhiteSpace(metricName))
        {
            throw new InvalidParameterException("'metric' is empty; leave it out for every metric.");
        }
        long? from = query.From?.ToUnixTimeMilliseconds();
        long? to = query.To?.ToUnixTimeMilliseconds();
        if (from >= to)
        {
            throw new InvalidParameterException("'from' must be before 'to'.");
        }
        var parameters = new DynamicParameters(new { deployment = deployment.Id });
        var where = "p.deployment_id = @deployment";
        if (query.Version is { } version)
        {
            where += " AND p.version = @version";
            parameters.Add("version", (long)version);
        }
        if (from is not null)
        {
            where += " AND p.at >= @from";
            parameters.Add("from", from);
        }
        if (to is not null)
        {
            where += " AND p.at < @to";
            parameters.Add("to", to);
        }
        var points = new List<PerformancePoint>();
        await database.ReadAsync(async connection =>
        {
            await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                $"""
                SELECT p.version, p.at, p.prediction, p.probabilities, g.actual
                FROM predictions p JOIN ground_truth g ON g.deployment_id = p.deployment_id AND g.prediction_id = p.prediction_id
                WHERE {where} ORDER BY p.version, p.at
                """, parameters, cancellationToken: cancellationToken)))
            {
                var outcomes = new List<PredictionOutcome>();
                (long Version, long Start)? current = null;
                long first = 0, last = 0;
                void Flush()
                {
                    if (current is not { } key)
                    {
                        return;
                    }
                    var (starts, ends) = bucket switch
                    {
                        "hour" => (key.Start, key.Start + HourMs),
                        "day" => (key.Start, key.Start + DayMs),
                        _ => (from ?? first, to ?? last + 1),
                    };
                    points.AddRange(Figures(deployment, (int)key.Version, starts, ends, outcomes, task, query.PositiveLabel, "computed"));
                    outcomes.Clear();
                }
                while (await reader.ReadAsync(cancellationToken))
                {
                    var version = reader.GetInt64(0);
                    var at = reader.GetInt64(1);
                    var start = bucket switch { "hour" => Floor(at, HourMs), "day" => Floor(at, DayMs), _ => 0 };
                    if (current != (version, start))
                    {
                        Flush();
                        current = (version, start);
                        first = at;
                    }
                    last = at;
                    outcomes.Add(new PredictionOutcome(reader.GetString(2), reader.GetString(4), reader.IsDBNull(3) ? null : reader.GetString(3)));
                }
                Flush();
            }
            var reported = parameters;
            var reportedWhere = where.Replace("p.at", "m.starts_at", StringComparison.Ordinal).Replace("p.", "m.", StringComparison.Ordinal);
            if (query.Metric is not null)
            {
                reportedWhere += " AND m.metric = @metric";
                reported.Add("metric", query.Metric);
            }
            points.AddRange((await connection.QueryAsync<ReportedRow>(new CommandDefinition(
                $"SELECT m.version, m.metric, m.starts_at, m.ends_at, m.value, m.count, m.source FROM performance_metrics m WHERE {reportedWhere} AND m.source = 'reported'",
                reported, cancellationToken: cancellationToken)))
                .Select(r => new PerformancePoint(deployment.Id, deployment.Model, (int)r.Version, r.Metric, Time(r.StartsAt), Time(r.EndsAt), r.Value, r.Count, r.Source)));
            return 0;
        }, cancellationToken);
        var selected = points
            .Where(p => query.Metric is null || p.Metric == query.Metric)
            .OrderBy(p => p.Version).ThenBy(p => p.StartsAt).ThenBy(p => p.Metric, StringComparer.Ordinal).ThenBy(p => p.Source, StringComparer.Ordinal)
            .ToList();
        return new PerformanceSeries(deployment.Id, deployment.Model, bucket, task?.ToString().ToLowerInvariant(), selected);
    }

    private static IEnumerable<PerformancePoint> Figures(
        MonitoredDeployment deployment, int version, long starts, long ends, List<PredictionOutcome> outcomes, PerformanceTask? task, string? positive, string source) =>
        PerformanceCalculator.Compute(outcomes, task ?? PerformanceCalculator.InferTask(outcomes), positive)
            .Select(f => new PerformancePoint(deployment.Id, deployment.Model, version, f.Key, Time(starts), Time(ends), f.Value, outcomes.Count, source));

    /// <summary>The (version, day) buckets of the stored predictions with these ids.</summary>
    private async Task<HashSet<(long Version, long VersionId, long Day)>> TouchedAsync(DbTransaction transaction, string deployment, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var rows = await transaction.Connection!.QueryAsync<TouchedRow>(new CommandDefinition(
            $"SELECT version, version_id, at FROM predictions WHERE deployment_id = @deployment AND prediction_id IN {database.Dialect.ValueSet("@ids", "TEXT")}",
            new { deployment, ids = database.Dialect.ValueSetParameter(ids) }, transaction, cancellationToken: cancellationToken));
        return rows.Select(r => (r.Version, r.VersionId, Day(r.At))).ToHashSet();
    }

    /// <summary>
    /// Recomputes the stored daily figures (source <c>computed</c>) of the buckets a batch touched, from the rows as they
    /// now are, and returns them: the performance write of the batch's transaction.
    /// </summary>
    private async Task<IReadOnlyList<PerformancePoint>> RecomputeAsync(
        DbTransaction transaction, MonitoredDeployment deployment, IEnumerable<(long Version, long VersionId, long Day)> touched, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var points = new List<PerformancePoint>();
        foreach (var (version, versionId, day) in touched.OrderBy(t => t.Version).ThenBy(t => t.Day))
        {
            var outcomes = (await connection.QueryAsync<(string Prediction, string Actual, string? Probabilities)>(new CommandDefinition(
                """
                SELECT p.prediction, g.actual, p.probabilities
                FROM predictions p JOIN ground_truth g ON g.deployment_id = p.deployment_id AND g.prediction_id = p.prediction_id
                WHERE p.deployment_id = @deployment AND p.version = @version AND p.at >= @day AND p.at < @end
                ORDER BY p.at
                """, new { deployment = deployment.Id, version, day, end = day + DayMs }, transaction, cancellationToken: cancellationToken)))
                .Select(r => new PredictionOutcome(r.Prediction, r.Actual, r.Probabilities)).ToList();
            var figures = Figures(deployment, (int)version, day, day + DayMs, outcomes, null, null, "computed").ToList();
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM performance_metrics WHERE deployment_id = @deployment AND version_id = @versionId AND starts_at = @day AND source = 'computed'",
                new { deployment = deployment.Id, versionId, day }, transaction, cancellationToken: cancellationToken));
            var rows = figures.Select(f => new MetricRow(versionId, version, f.Metric, day, day + DayMs, f.Value.ToString("R", CultureInfo.InvariantCulture), f.Count)).ToList();
            if (rows.Count > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"""
                    INSERT INTO performance_metrics (deployment_id, version_id, version, metric, starts_at, ends_at, value, count, source, recorded_at)
                    SELECT @deployment, r.version_id, r.version, r.metric, r.starts_at, r.ends_at, CAST(r.value AS {Real}), r.count, 'computed', @now
                    FROM {database.Dialect.JsonRows("@rows", MetricColumns)}
                    """, new { deployment = deployment.Id, rows = JsonSerializer.Serialize(rows, CairnJson.Options), now }, transaction, cancellationToken: cancellationToken));
            }
            points.AddRange(figures);
        }
        // Alert rules on performance evaluate here, in this transaction, over `points` (the figures just stored).
        return points;
    }

    private static object Summary(MonitoredDeployment deployment, int stored, IEnumerable<long> versions, IEnumerable<long> times)
    {
        var list = times.ToList();
        return new
        {
            deployment = deployment.Id,
            model = deployment.Model,
            stored,
            versions = versions.Distinct().Order().ToList(),
            from = list.Count == 0 ? (DateTimeOffset?)null : Time(list.Min()),
            to = list.Count == 0 ? (DateTimeOffset?)null : Time(list.Max()),
        };
    }

    private IReadOnlyList<T?> Batch<T>(IReadOnlyList<T?>? batch, string field)
    {
        if (batch is null || batch.Count == 0)
        {
            throw new InvalidParameterException($"The body must be a non-empty JSON array of {field.Replace('_', ' ')}.");
        }
        if (batch.Count > _limits.MaxListLength)
        {
            throw new InvalidParameterException(
                $"The batch holds {batch.Count} {field.Replace('_', ' ')}; at most {_limits.MaxListLength} go in one request (Cairn:Limits:MaxListLength): send several.");
        }
        return batch;
    }

    private static string Id(string? id, string at, HashSet<string> seen)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxIdLength)
        {
            throw new InvalidParameterException($"'{at}.id' is required: the prediction's id, 1 to {MaxIdLength} characters.");
        }
        NameRules.Check(id, $"{at}.id");
        return seen.Add(id) ? id : throw new InvalidParameterException($"'{at}.id' is '{id}', which an earlier entry of the batch has; send each id once.");
    }

    private string Value(JsonElement? value, string field)
    {
        if (value is not { } v || v.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
        {
            throw new InvalidParameterException($"'{field}' is required: a label (string, number or boolean) or a number.");
        }
        if (v.ValueKind == JsonValueKind.String && v.GetString()!.Length > _limits.MaxTagValueLength)
        {
            throw new InvalidParameterException($"'{field}' is longer than {_limits.MaxTagValueLength} characters (Cairn:Limits:MaxTagValueLength).");
        }
        if (v.ValueKind == JsonValueKind.Number && !double.IsFinite(v.GetDouble()))
        {
            throw new InvalidParameterException($"'{field}' is beyond the range of a 64-bit floating-point number.");
        }
        return v.GetRawText();
    }

    private string? Probabilities(IReadOnlyDictionary<string, double>? probabilities, string field)
    {
        if (probabilities is null)
        {
            return null;
        }
        if (probabilities.Count == 0 || probabilities.Count > _limits.MaxMapEntries)
        {
            throw new InvalidParameterException($"'{field}' must map 1 to {_limits.MaxMapEntries} labels to their probabilities.");
        }
        foreach (var (label, p) in probabilities)
        {
            _limits.Key(field, label);
            if (!(p >= 0 && p <= 1))
            {
                throw new InvalidParameterException($"'{field}.{label}' is {p.ToString("R", CultureInfo.InvariantCulture)}; a probability is between 0 and 1.");
            }
        }
        return JsonSerializer.Serialize(probabilities);
    }

    private static (long Starts, long Ends) Range(DateTimeOffset? startsAt, DateTimeOffset? endsAt, string at)
    {
        var starts = startsAt ?? throw new InvalidParameterException($"'{at}.starts_at' is required (ISO 8601).");
        var ends = endsAt ?? throw new InvalidParameterException($"'{at}.ends_at' is required (ISO 8601).");
        return ends > starts ? (starts.ToUnixTimeMilliseconds(), ends.ToUnixTimeMilliseconds())
            : throw new InvalidParameterException($"'{at}.ends_at' must be after '{at}.starts_at'.");
    }

    private static long Floor(long at, long size) => at - (((at % size) + size) % size);

    private static long Day(long at) => Floor(at, DayMs);

    internal static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
