using System.Globalization;
using Cairn.Search;
using Cairn.Storage;

namespace Cairn.Tracking.LoggedModels;

/// <summary>
/// search_logged_models' filter and order_by as MLflow 3's SQL store reads them, compiled to SQL over
/// <c>logged_models lm</c>: comparisons joined by AND on attributes (<c>name</c>, <c>status</c>, <c>creation_timestamp</c>…),
/// <c>metrics.&lt;key&gt;</c> (any point, restricted to the searched datasets), <c>params.&lt;key&gt;</c> and
/// <c>tags.&lt;key&gt;</c>. Every name maps to a fixed column; every value is a parameter.
/// </summary>
internal static class LoggedModelSearch
{
    private static readonly string[] NumericOperators = ["<", "<=", ">", ">=", "=", "!="];
    private static readonly string[] StringOperators = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"];

    /// <summary>The attributes filters and order_by name, with MLflow's aliases, and whether each is numeric.</summary>
    private static readonly Dictionary<string, (string Column, bool Numeric)> Attributes = new(StringComparer.Ordinal)
    {
        ["model_id"] = ("lm.model_id", false),
        ["name"] = ("lm.name", false),
        ["model_type"] = ("lm.model_type", false),
        ["status"] = ("lm.status", false),
        ["status_message"] = ("lm.status_message", false),
        ["source_run_id"] = ("lm.source_run_id", false),
        ["artifact_location"] = ("lm.artifact_location", false),
        ["experiment_id"] = ("lm.experiment_id", true),
        ["creation_timestamp"] = ("lm.created_at", true),
        ["creation_time"] = ("lm.created_at", true),
        ["creation_timestamp_ms"] = ("lm.created_at", true),
        ["last_updated_timestamp"] = ("lm.updated_at", true),
        ["last_updated_timestamp_ms"] = ("lm.updated_at", true),
    };

    /// <summary>The filter's SQL conditions (ANDed), the datasets' restriction included; parameters are added.</summary>
    public static List<string> Where(string? filter, IReadOnlyList<LoggedModelDatasetFilter>? datasets, ISqlDialect dialect, Dictionary<string, object?> parameters)
    {
        var conditions = new List<string>();
        var onDatasets = DatasetCondition(datasets, parameters);
        var hasMetricFilter = false;
        foreach (var comparison in Comparisons(filter))
        {
            var (entity, key) = Entity(comparison.Operand);
            var numeric = entity == "metrics" || (entity == "attributes" && Attributes.TryGetValue(key, out var a) && a.Numeric);
            var op = comparison.Operator.Text();
            if (!(numeric ? NumericOperators : StringOperators).Contains(op, StringComparer.Ordinal))
            {
                throw new InvalidParameterException(
                    $"Invalid comparison operator for {entity}.{key}: '{op}'. Expected one of ('=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN').");
            }
            switch (entity)
            {
                case "attributes":
                    var column = Attributes.TryGetValue(key, out var attribute)
                        ? attribute.Column
                        : throw new InvalidParameterException($"Invalid logged model search key '{key}'");
                    conditions.Add(Compare(column, op, comparison, numeric, dialect, parameters, filter!));
                    break;
                case "metrics":
                    hasMetricFilter = true;
                    conditions.Add(Exists("logged_model_metrics", key, Compare("x.value", op, comparison, true, dialect, parameters, filter!) + onDatasets, parameters));
                    break;
                default:
                    conditions.Add(Exists($"logged_model_{entity}", key, Compare("x.value", op, comparison, false, dialect, parameters, filter!), parameters));
                    break;
            }
        }
        // Datasets without a metric condition: the models with any metric on one of them.
        if (onDatasets.Length > 0 && !hasMetricFilter)
        {
            conditions.Add($"EXISTS (SELECT 1 FROM logged_model_metrics x WHERE x.model_id = lm.model_id{onDatasets})");
        }
        return conditions;
    }

    /// <summary>
    /// The ORDER BY: each term with nulls last, then the newest first unless the creation time was ordered on, then
    /// the id, so that pages neither skip nor repeat.
    /// </summary>
    public static string OrderBy(IReadOnlyList<LoggedModelOrder>? orderBy, Dictionary<string, object?> parameters)
    {
        var terms = new List<string>();
        var byCreation = false;
        var index = 0;
        foreach (var order in orderBy ?? [])
        {
            var field = order.FieldName ?? throw new InvalidParameterException("`field_name` in the `order_by` clause must be specified.");
            var direction = order.Ascending ? "ASC" : "DESC";
            var dot = field.IndexOf('.', StringComparison.Ordinal);
            string value;
            if (dot < 0)
            {
                var name = field.Trim();
                value = Attributes.TryGetValue(name, out var attribute)
                    ? attribute.Column
                    : throw new InvalidParameterException($"Invalid order by field name: {field}");
                byCreation |= attribute.Column == "lm.created_at";
            }
            else
            {
                if (field[..dot] != "metrics")
                {
                    throw new InvalidParameterException($"Invalid order by field name: {field}. Only metrics are supported.");
                }
                var p = $"ok{index++}";
                parameters[p] = field[(dot + 1)..];
                var dataset = "";
                if (!string.IsNullOrEmpty(order.DatasetName))
                {
                    parameters[p + "n"] = order.DatasetName;
                    dataset += $" AND x.dataset_name = @{p}n";
                }
                if (!string.IsNullOrEmpty(order.DatasetDigest))
                {
                    parameters[p + "d"] = order.DatasetDigest;
                    dataset += $" AND x.dataset_digest = @{p}d";
                }
                // The key's latest point (newest timestamp, then highest step), as MLflow ranks them.
                value = $"(SELECT x.value FROM logged_model_metrics x WHERE x.model_id = lm.model_id AND x.key = @{p}{dataset} ORDER BY x.timestamp DESC, x.step DESC LIMIT 1)";
            }
            terms.Add($"CASE WHEN {value} IS NULL THEN 1 ELSE 0 END, {value} {direction}");
        }
        if (!byCreation)
        {
            terms.Add("lm.created_at DESC");
        }
        terms.Add("lm.model_id ASC");
        return string.Join(", ", terms);
    }

    /// <summary>The comparisons of a filter: MLflow's grammar for logged models is comparisons joined by AND, nothing else.</summary>
    private static List<ComparisonExpression> Comparisons(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return [];
        }
        FilterExpression? parsed;
        try
        {
            parsed = FilterParser.Parse(filter);
        }
        catch (FilterSyntaxException e)
        {
            throw new InvalidParameterException($"Invalid filter string: '{filter}'. {e.Message}");
        }
        var terms = parsed switch
        {
            null => [],
            AndExpression all => all.Operands,
            _ => [parsed],
        };
        return terms.Select(term => term is ComparisonExpression { Operator: not (ComparisonOperator.IsNull or ComparisonOperator.IsNotNull) } comparison
            ? comparison
            : throw new InvalidParameterException(
                $"Invalid filter string: '{filter}'. Expected a list of comparisons separated by 'AND' (e.g. 'metrics.loss > 0.1 AND params.lr = 0.01').")).ToList();
    }

    private static (string Entity, string Key) Entity(FilterOperand operand)
    {
        if (operand.Key is null)
        {
            return ("attributes", operand.Name);
        }
        return operand.Name switch
        {
            "attributes" or "metrics" or "params" or "tags" => (operand.Name, operand.Key),
            _ => throw new InvalidParameterException(
                $"Invalid entity type: '{operand.Name}'. Expected one of ['attributes', 'metrics', 'params', 'tags']."),
        };
    }


    private static string Exists(string table, string key, string condition, Dictionary<string, object?> parameters)
    {
        var p = $"fk{parameters.Count}";
        parameters[p] = key;
        return $"EXISTS (SELECT 1 FROM {table} x WHERE x.model_id = lm.model_id AND x.key = @{p} AND {condition})";
    }

    private static string Compare(string column, string op, ComparisonExpression comparison, bool numeric, ISqlDialect dialect, Dictionary<string, object?> parameters, string filter)
    {
        var names = new List<string>();
        foreach (var literal in comparison.Values)
        {
            var p = $"fv{parameters.Count}";
            object value = literal.Value;
            if (numeric)
            {
                value = literal.Kind == FilterLiteralKind.Number && double.TryParse(literal.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    ? number
                    : throw new InvalidParameterException($"Invalid filter string: '{filter}'. Expected a number for {comparison.Operand.Display}, got '{literal.Value}'.");
            }
            parameters[p] = value;
            names.Add("@" + p);
        }
        return op switch
        {
            "IN" => $"{column} IN ({string.Join(", ", names)})",
            "NOT IN" => $"{column} NOT IN ({string.Join(", ", names)})",
            "LIKE" => dialect.CaseSensitiveLike(column, names[0]),
            "ILIKE" => dialect.CaseInsensitiveLike(column, names[0]),
            "!=" => $"{column} <> {names[0]}",
            _ => $"{column} {op} {names[0]}",
        };
    }

    /// <summary>" AND (…)" restricting metric rows x to the searched datasets, or "" for none.</summary>
    private static string DatasetCondition(IReadOnlyList<LoggedModelDatasetFilter>? datasets, Dictionary<string, object?> parameters)
    {
        if (datasets is not { Count: > 0 })
        {
            return "";
        }
        var alternatives = new List<string>();
        for (var i = 0; i < datasets.Count; i++)
        {
            parameters[$"dn{i}"] = datasets[i].DatasetName;
            var condition = $"x.dataset_name = @dn{i}";
            if (!string.IsNullOrEmpty(datasets[i].DatasetDigest))
            {
                parameters[$"dd{i}"] = datasets[i].DatasetDigest;
                condition += $" AND x.dataset_digest = @dd{i}";
            }
            alternatives.Add($"({condition})");
        }
        return $" AND ({string.Join(" OR ", alternatives)})";
    }
}
