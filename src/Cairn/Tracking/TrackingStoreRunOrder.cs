using System.Data.Common;
using Cairn.Search;
using Cairn.Storage;
using Dapper;

namespace Cairn.Tracking;

/// <summary>
/// The order of search_runs, as MLflow's SQL store sorts (mlflow/store/tracking/sqlalchemy_store.py,
/// <c>_get_orderby_clauses</c>): each term by its value, runs lacking the key last in either direction and, for a
/// metric, a NaN latest value after every number but before the runs lacking it; then newest start time first (unless
/// ordered on start time already), then run id. Runs of one experiment ordered by one metric or param are read by
/// walking the order indexes of migration 0025 (decision 0032) instead of sorting every run of the experiment.
/// </summary>
public sealed partial class TrackingStore
{
    /// <summary>One order_by term: an attribute, or a collection's key; and its direction.</summary>
    private sealed record RunOrderTerm(FilterAttribute? Attribute, FilterCollection? Collection, string? Key, bool Descending)
    {
        public string Direction => Descending ? "DESC" : "ASC";
    }

    private static List<RunOrderTerm> ParseRunOrder(IReadOnlyList<string>? orderBy)
    {
        var terms = new List<RunOrderTerm>();
        foreach (var clause in orderBy ?? [])
        {
            var parsed = MlflowFilter.Parse($"{OrderKey(clause, out var descending)} IS NULL") as ComparisonExpression
                ?? throw new InvalidParameterException($"Invalid order_by clause '{clause}'.");
            var operand = parsed.Operand;
            if (operand.Key is null)
            {
                var attribute = RunSchema.FindAttribute(operand.Name)
                    ?? throw new InvalidParameterException($"Invalid order_by clause '{clause}': '{operand.Name}' is not a run attribute.");
                terms.Add(new RunOrderTerm(attribute, null, null, descending));
                continue;
            }
            var collection = RunSchema.FindCollection(operand.Name)
                ?? throw new InvalidParameterException($"Invalid order_by clause '{clause}': expected attributes., metrics., params. or tags.");
            terms.Add(new RunOrderTerm(null, collection, operand.Key, descending));
        }
        return terms;
    }

    /// <summary>The ORDER BY of a search that sorts the matching runs (any order, any experiments).</summary>
    private static string RunOrderBy(List<RunOrderTerm> order, Dictionary<string, object?> parameters)
    {
        var terms = new List<string>();
        var index = 0;
        foreach (var term in order)
        {
            if (term.Attribute is { } attribute)
            {
                terms.Add($"{attribute.Column} IS NULL, {attribute.Column} {term.Direction}");
                continue;
            }
            var collection = term.Collection!;
            var key = $"o{index++}";
            parameters[key] = term.Key;
            var row = $"FROM {collection.Table} x WHERE x.{collection.OwnerColumn} = r.id AND x.{collection.KeyColumn} = @{key}";
            var value = $"(SELECT x.{collection.ValueColumn} {row})";
            terms.Add(collection.Prefix == "metrics"
                ? $"COALESCE((SELECT x.is_nan {row}), 2), {value} {term.Direction}"
                : $"{value} IS NULL, {value} {term.Direction}");
        }
        if (!order.Any(t => t.Attribute?.Column == "r.start_time"))
        {
            terms.Add("r.start_time DESC");
        }
        terms.Add("r.run_uuid ASC");
        return string.Join(", ", terms);
    }

    /// <summary>How many runs of an ordered walk PostgreSQL first tests a filter on (see <see cref="SearchByIndexedOrderAsync"/>).</summary>
    private const int WalkedRows = 1000;

    /// <summary>
    /// One page of one experiment's runs ordered by one metric or param, read in up to three index walks that each stop
    /// at the page: the runs with a (number) value in value order, then (metrics) those whose latest value is NaN, then
    /// those without the key; each part in start time and run id order within equal values, as <see cref="RunOrderBy"/>.
    /// </summary>
    private static async Task<(List<RunRow> Rows, string? Next)> SearchByIndexedOrderAsync(
        ISqlDialect dialect, DbConnection connection, RunOrderTerm term, List<string> where, Dictionary<string, object?> parameters, OffsetPage page, CancellationToken cancellationToken)
    {
        var collection = term.Collection!;
        parameters["sortKey"] = term.Key;
        var filter = string.Join(" AND ", where);
        // CROSS JOIN keeps the index table outermost on SQLite (its planner may not reorder it), so the walk follows the
        // order index; PostgreSQL plans it as an ordinary join.
        var ordered = $"{SelectRuns.Replace(" FROM runs r", $" FROM {collection.Table} s CROSS JOIN runs r", StringComparison.Ordinal)} "
            + $"WHERE r.id = s.run_id AND s.experiment_id = @experimentId AND s.key = @sortKey AND {filter}";
        var parts = new List<(string From, string OrderBy, string? Walk)>();
        if (collection.Prefix == "metrics")
        {
            parts.Add(Part(" AND s.is_nan = 0", $"s.value {term.Direction}, s.start_time DESC, r.run_uuid ASC"));
            parts.Add(Part(" AND s.is_nan = 1", "s.start_time DESC, r.run_uuid ASC"));
        }
        else
        {
            parts.Add(Part("", $"s.value {term.Direction}, s.start_time DESC, r.run_uuid ASC"));
        }
        parts.Add(($"{SelectRuns} WHERE {filter} AND NOT EXISTS (SELECT 1 FROM {collection.Table} s WHERE s.run_id = r.id AND s.key = @sortKey)",
            "r.start_time DESC, r.run_uuid ASC", null));

        // PostgreSQL's statistics take a filter's param and metric conditions to match far fewer runs than they do (a
        // key's values, and the experiment, counted as independent): sure that the walk would read the whole experiment
        // before it found a page, it started from the filter's rows instead (a common param's 20,000 runs in an
        // experiment of 100,000: 0.4-0.6 s). So on PostgreSQL a part is first read from the first WalkedRows runs of
        // the walk, in the full order, with the filter as one condition tested on each (IS TRUE keeps the planner from
        // turning it into joins): when they fill the part, they are the part, as no run further on sorts before them.
        // Otherwise (a filter few runs pass, a deep page) the planner has its way, and starts from the filter's rows.
        (string, string, string?) Part(string nan, string orderBy) => (ordered + nan, orderBy, dialect is not PostgresDialect ? null :
            SelectRuns.Replace(" FROM runs r",
                $" FROM (SELECT s.run_id, s.value, s.start_time, w.run_uuid FROM {collection.Table} s JOIN runs w ON w.id = s.run_id"
                + $" WHERE s.experiment_id = @experimentId AND s.key = @sortKey{nan} ORDER BY {orderBy.Replace("r.run_uuid", "w.run_uuid", StringComparison.Ordinal)}"
                + $" LIMIT {WalkedRows}) s CROSS JOIN runs r", StringComparison.Ordinal)
            + $" WHERE r.id = s.run_id AND ({filter}) IS TRUE");

        // The page's offset is counted over the parts in turn: a part that ends inside the page gives its own size by
        // what it returned; only a part passed over whole (a deep page) is counted.
        var rows = new List<RunRow>();
        long skip = page.Offset;
        var wanted = page.Size + 1L;
        foreach (var (from, orderBy, walk) in parts)
        {
            var args = new DynamicParameters(parameters);
            var limit = wanted - rows.Count;
            args.Add("partLimit", limit);
            args.Add("partOffset", skip);
            List<RunRow>? got = null;
            if (walk is not null && skip + limit <= WalkedRows)
            {
                got = (await connection.QueryAsync<RunRow>(new CommandDefinition(
                    $"{walk} ORDER BY {orderBy} LIMIT @partLimit OFFSET @partOffset", args, cancellationToken: cancellationToken))).ToList();
                got = got.Count == limit ? got : null;
            }
            got ??= (await connection.QueryAsync<RunRow>(new CommandDefinition(
                $"{from} ORDER BY {orderBy} LIMIT @partLimit OFFSET @partOffset", args, cancellationToken: cancellationToken))).ToList();
            rows.AddRange(got);
            if (rows.Count >= wanted)
            {
                break;
            }
            if (got.Count > 0 || skip == 0)
            {
                skip = 0;
                continue;
            }
            var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                $"SELECT COUNT(*) FROM ({from}) p", new DynamicParameters(parameters), cancellationToken: cancellationToken));
            skip = Math.Max(0, skip - count);
        }
        return page.Cut(rows);
    }

    /// <summary>Splits "metrics.acc DESC" into the key expression and the direction.</summary>
    private static string OrderKey(string clause, out bool descending)
    {
        var text = clause.Trim();
        descending = false;
        foreach (var (suffix, desc) in new[] { (" DESC", true), (" ASC", false) })
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                descending = desc;
                return text[..^suffix.Length].TrimEnd();
            }
        }
        return text;
    }
}
