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

    /// <summary>
    /// One page of one experiment's runs ordered by one metric or param, read in up to three index walks that each stop
    /// at the page: the runs with a (number) value in value order, then (metrics) those whose latest value is NaN, then
    /// those without the key; each part in start time and run id order within equal values, as <see cref="RunOrderBy"/>.
    /// </summary>
    private static async Task<(List<RunRow> Rows, string? Next)> SearchByIndexedOrderAsync(
        DbConnection connection, RunOrderTerm term, List<string> where, Dictionary<string, object?> parameters, OffsetPage page, CancellationToken cancellationToken)
    {
        var collection = term.Collection!;
        parameters["sortKey"] = term.Key;
        var filter = string.Join(" AND ", where);
        // CROSS JOIN keeps the index table outermost on SQLite (its planner may not reorder it), so the walk follows the
        // order index; PostgreSQL plans it as an ordinary join.
        var ordered = $"{SelectRuns.Replace(" FROM runs r", $" FROM {collection.Table} s CROSS JOIN runs r", StringComparison.Ordinal)} "
            + $"WHERE r.id = s.run_id AND s.experiment_id = @experimentId AND s.key = @sortKey AND {filter}";
        var parts = new List<(string From, string OrderBy)>();
        if (collection.Prefix == "metrics")
        {
            parts.Add((ordered + " AND s.is_nan = 0", $"s.value {term.Direction}, s.start_time DESC, r.run_uuid ASC"));
            parts.Add((ordered + " AND s.is_nan = 1", "s.start_time DESC, r.run_uuid ASC"));
        }
        else
        {
            parts.Add((ordered, $"s.value {term.Direction}, s.start_time DESC, r.run_uuid ASC"));
        }
        parts.Add(($"{SelectRuns} WHERE {filter} AND NOT EXISTS (SELECT 1 FROM {collection.Table} s WHERE s.run_id = r.id AND s.key = @sortKey)",
            "r.start_time DESC, r.run_uuid ASC"));

        // The page's offset is counted over the parts in turn: a part that ends inside the page gives its own size by
        // what it returned; only a part passed over whole (a deep page) is counted.
        var rows = new List<RunRow>();
        long skip = page.Offset;
        var wanted = page.Size + 1L;
        foreach (var (from, orderBy) in parts)
        {
            var args = new DynamicParameters(parameters);
            args.Add("partLimit", wanted - rows.Count);
            args.Add("partOffset", skip);
            var got = (await connection.QueryAsync<RunRow>(new CommandDefinition(
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
