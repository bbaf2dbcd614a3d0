using System.Globalization;
using Cairn.Search;
using Cairn.Storage;

namespace Cairn.Tracking.Traces;

/// <summary>
/// MLflow's search_traces grammar compiled to SQL over the trace tables (alias <c>t</c> for <c>traces</c>). The text is
/// parsed by <see cref="MlflowFilter"/> (conditions joined by AND); this class gives the names their trace meanings and
/// checks them with MLflow's rules and messages: attributes <c>request_id</c>, <c>timestamp[_ms]</c>,
/// <c>execution_time[_ms]</c>, <c>status</c>, and <c>name</c> and <c>run_id</c> (the tag <c>mlflow.traceName</c> and the
/// metadata <c>mlflow.sourceRun</c>, the latter also matching traces linked to the run); <c>tag.</c>/<c>tags.</c>,
/// <c>metadata.</c>/<c>request_metadata.</c> (= and != only) and <c>span.name</c>. Every value becomes a parameter.
/// </summary>
public static class TraceFilter
{
    private const string Attribute = "attribute";
    private const string Tag = "tag";
    private const string Metadata = "request_metadata";
    private const string Span = "span";

    private static readonly string[] SearchAttributes = ["request_id", "timestamp", "timestamp_ms", "execution_time", "execution_time_ms", "status", "name", "run_id"];
    private static readonly string[] OrderAttributes = ["experiment_id", "timestamp", "timestamp_ms", "execution_time", "execution_time_ms", "status", "request_id", "name", "run_id"];
    private static readonly string[] NumericAttributes = ["timestamp_ms", "timestamp", "execution_time_ms", "execution_time"];
    private static readonly string[] ListAttributes = ["name", "status", "request_id", "run_id"];
    private static readonly string[] Identifiers = ["tag", "request_metadata", "attribute", "span", "tags", "attributes", "trace", "metadata"];

    private const string TagComparators = "{'!=', '='}";
    private const string StringAttributeComparators = "{'!=', '=', 'IN', 'NOT IN'}";
    private const string NumericComparators = "{'=', '!=', '>', '>=', '<', '<='}";
    private const string SpanComparators = "{'!=', '=', 'IN', 'NOT IN', 'LIKE', 'ILIKE'}";

    /// <summary>
    /// The filter as a SQL condition on <c>t</c> (null for no filter), its values added to <paramref name="parameters"/>
    /// as <c>tf0</c>, <c>tf1</c>, ….
    /// </summary>
    /// <exception cref="InvalidParameterException">Malformed text, or a name, comparator or value MLflow's grammar refuses.</exception>
    public static string? Compile(string? filter, ISqlDialect dialect, IDictionary<string, object?> parameters)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(parameters);
        if (MlflowFilter.Parse(filter) is not { } parsed)
        {
            return null;
        }
        var comparisons = parsed is AndExpression all ? all.Operands : [parsed];
        var conditions = new List<string>();
        // Numbered after the values already there, so that several filters can be compiled into one statement.
        var values = new FilterValues(parameters.Keys.Count(k => k.StartsWith("tf", StringComparison.Ordinal)));
        foreach (var comparison in comparisons.Cast<ComparisonExpression>())
        {
            conditions.Add(Condition(comparison, dialect, values));
        }
        foreach (var (name, value) in values)
        {
            parameters[name] = value;
        }
        return string.Join(" AND ", conditions);
    }

    /// <summary>
    /// MLflow's trace order_by terms (<c>[type.]key [ASC|DESC]</c>) as a SQL ORDER BY list: missing values last, then
    /// the newest first and the trace id as tie-breakers, unless ordered on already.
    /// </summary>
    /// <exception cref="InvalidParameterException">An unknown key or direction, or the same field twice.</exception>
    public static string OrderBy(IReadOnlyList<string>? terms, IDictionary<string, object?> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var clauses = new List<string>();
        var seen = new HashSet<(string, string)>();
        var index = 0;
        foreach (var term in terms ?? [])
        {
            var (text, ascending) = Direction(term);
            var (type, key) = Identify(text, OrderAttributes);
            (type, key) = Resolve(type, key);
            string value;
            if (type == Attribute)
            {
                value = key == "experiment_id" ? "t.experiment_id" : Column(key);
            }
            else if (type is Tag or Metadata)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"to{index++}");
                parameters[name] = key;
                value = $"(SELECT x.value FROM {(type == Tag ? "trace_tags" : "trace_metadata")} x WHERE x.trace_id = t.trace_id AND x.key = @{name})";
            }
            else
            {
                throw new InvalidParameterException($"Invalid identifier type '{type}'");
            }
            if (!seen.Add((type, key)))
            {
                throw new InvalidParameterException($"`order_by` contains duplicate fields: [{string.Join(", ", terms!.Select(t => $"'{t}'"))}]");
            }
            clauses.Add($"CASE WHEN {value} IS NULL THEN 1 ELSE 0 END");
            clauses.Add(value + (ascending ? " ASC" : " DESC"));
        }
        if (!seen.Contains((Attribute, "timestamp_ms")))
        {
            clauses.Add("t.request_time DESC");
        }
        if (!seen.Contains((Attribute, "request_id")))
        {
            clauses.Add("t.trace_id ASC");
        }
        return string.Join(", ", clauses);
    }

    private static string Condition(ComparisonExpression comparison, ISqlDialect dialect, FilterValues values)
    {
        var (type, key) = comparison.Operand.Key is null
            ? (Attribute, comparison.Operand.Name)
            : (Entity(comparison.Operand.Name), comparison.Operand.Key);
        if (type == Attribute && !SearchAttributes.Contains(key))
        {
            throw InvalidAttribute(key, SearchAttributes);
        }
        if (type != Span)
        {
            (type, key) = Resolve(type, key);
        }
        var op = comparison.Operator.Text();
        var literals = comparison.Values;
        var isList = comparison.Operator is ComparisonOperator.In or ComparisonOperator.NotIn;

        switch (type)
        {
            case Attribute when NumericAttributes.Contains(key):
                if (op is "IN" or "NOT IN" or "LIKE" or "ILIKE" or "IS NULL" or "IS NOT NULL")
                {
                    throw new InvalidParameterException($"Invalid comparator '{op}' not one of '{NumericComparators}'");
                }
                if (literals[0].Kind != FilterLiteralKind.Number || !long.TryParse(literals[0].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    throw new InvalidParameterException(
                        $"Expected a numeric value for attribute '{key}' (e.g. 1711089570679). Got value {literals[0].Value}");
                }
                return $"{Column(key)} {op} @{Add(values, number)}";

            case Attribute:
                if (op is not ("=" or "!=" or "IN" or "NOT IN"))
                {
                    throw new InvalidParameterException($"Invalid comparator '{op}' not one of '{StringAttributeComparators}'");
                }
                if (isList && !ListAttributes.Contains(key))
                {
                    throw new InvalidParameterException(
                        "Only attributes in {'name', 'status', 'request_id', 'run_id'} supports comparison with a list of quoted string values.");
                }
                RequireStrings(literals, "attributes");
                return isList
                    ? $"{(op == "NOT IN" ? "NOT " : "")}{dialect.InList(Column(key), "@" + Add(values, literals.Select(l => l.Value).ToList()))}"
                    : $"{Column(key)} {SqlOperator(op)} @{Add(values, literals[0].Value)}";

            case Tag or Metadata:
                if (op is not ("=" or "!="))
                {
                    throw new InvalidParameterException($"Invalid comparator '{op}' not one of '{TagComparators}'");
                }
                if (literals[0].Kind != FilterLiteralKind.String)
                {
                    throw new InvalidParameterException(
                        $"Expected a quoted string value for {type} (e.g. 'my-value'). Got value {literals[0].Value}");
                }
                var table = type == Tag ? "trace_tags" : "trace_metadata";
                var keyName = Add(values, key);
                var valueName = Add(values, literals[0].Value);
                var pair = $"EXISTS (SELECT 1 FROM {table} x WHERE x.trace_id = t.trace_id AND x.key = @{keyName} AND x.value {SqlOperator(op)} @{valueName})";
                // A run's traces are those it produced (the metadata) and those linked to it afterwards.
                return type == Metadata && key == TraceKeys.SourceRun && op == "="
                    ? $"({pair} OR EXISTS (SELECT 1 FROM trace_run_links l WHERE l.trace_id = t.trace_id AND l.run_id = @{valueName}))"
                    : pair;

            default:
                if (key != "name")
                {
                    throw new InvalidParameterException($"Invalid span attribute '{key}'. Supported attributes: name.");
                }
                if (op is "IS NULL" or "IS NOT NULL" or "<" or "<=" or ">" or ">=")
                {
                    throw new InvalidParameterException($"span.{key} comparator '{op}' not one of '{SpanComparators}'");
                }
                RequireStrings(literals, Span);
                var condition = op switch
                {
                    "IN" or "NOT IN" => $"{(op == "NOT IN" ? "NOT " : "")}{dialect.InList("s.name", "@" + Add(values, literals.Select(l => l.Value).ToList()))}",
                    "LIKE" => dialect.CaseSensitiveLike("s.name", "@" + Add(values, literals[0].Value)),
                    "ILIKE" => dialect.CaseInsensitiveLike("s.name", "@" + Add(values, literals[0].Value)),
                    _ => $"s.name {SqlOperator(op)} @{Add(values, literals[0].Value)}",
                };
                return $"EXISTS (SELECT 1 FROM trace_spans s WHERE s.trace_id = t.trace_id AND {condition})";
        }
    }

    private static void RequireStrings(IReadOnlyList<FilterLiteral> literals, string what)
    {
        if (literals.FirstOrDefault(l => l.Kind != FilterLiteralKind.String) is { } bad)
        {
            throw new InvalidParameterException(
                $"Expected a quoted string value or a list of quoted string values for {what}. Got value {bad.Value}");
        }
    }

    /// <summary>The names MLflow maps onto other fields: name and run_id onto a tag and metadata, the short time names onto theirs.</summary>
    private static (string Type, string Key) Resolve(string type, string key) => key.ToLowerInvariant() switch
    {
        _ when type == Span => (type, key),
        "name" => (Tag, TraceKeys.TraceName),
        "run_id" => (Metadata, TraceKeys.SourceRun),
        "timestamp" => (type, "timestamp_ms"),
        "execution_time" => (type, "execution_time_ms"),
        _ => (type, key),
    };

    private static string Column(string attribute) => attribute switch
    {
        "request_id" => "t.trace_id",
        "timestamp_ms" => "t.request_time",
        "execution_time_ms" => "t.execution_duration",
        "status" => "t.state",
        _ => throw new InvalidParameterException($"Invalid attribute key '{attribute}'"),
    };

    private static string Entity(string prefix) => prefix.ToLowerInvariant() switch
    {
        "tag" or "tags" => Tag,
        "attribute" or "attributes" or "trace" => Attribute,
        "metadata" or "request_metadata" => Metadata,
        "span" => Span,
        _ => throw new InvalidParameterException(
            $"Invalid entity type '{prefix}'. Valid values are {{{string.Join(", ", Identifiers.Select(i => $"'{i}'"))}}}"),
    };

    private static (string Type, string Key) Identify(string identifier, string[] attributes)
    {
        var dot = identifier.IndexOf('.', StringComparison.Ordinal);
        var (type, key) = dot < 0 ? (Attribute, identifier) : (Entity(identifier[..dot]), Unquote(identifier[(dot + 1)..]));
        if (type == Attribute && !attributes.Contains(key))
        {
            throw InvalidAttribute(key, attributes);
        }
        return (type, key);
    }

    private static InvalidParameterException InvalidAttribute(string key, string[] valid) =>
        new($"Invalid attribute key '{key}' specified. Valid keys are '{{{string.Join(", ", valid.Select(v => $"'{v}'"))}}}'");

    private static string Unquote(string key) =>
        key.Length >= 2 && key[0] == key[^1] && key[0] is '`' or '"' or '\'' ? key[1..^1] : key;

    private static (string Text, bool Ascending) Direction(string term)
    {
        var parts = term.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts switch
        {
            [var only] => (only, true),
            [var key, var direction] when direction.Equals("ASC", StringComparison.OrdinalIgnoreCase) => (key, true),
            [var key, var direction] when direction.Equals("DESC", StringComparison.OrdinalIgnoreCase) => (key, false),
            _ => throw new InvalidParameterException($"Invalid order_by clause '{term}'. Could not be parsed."),
        };
    }


    private static string SqlOperator(string op) => op == "!=" ? "<>" : op;

    private static string Add(FilterValues values, object value)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"tf{values.First + values.Count}");
        values[name] = value;
        return name;
    }

    /// <summary>A filter's values by parameter name, numbered from <see cref="First"/>.</summary>
    private sealed class FilterValues(int first) : Dictionary<string, object?>(StringComparer.Ordinal)
    {
        public int First { get; } = first;
    }
}
