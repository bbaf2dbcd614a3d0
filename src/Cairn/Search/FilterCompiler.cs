using System.Globalization;
using Cairn.Storage;

namespace Cairn.Search;

/// <summary>
/// Turns a parsed filter into a SQL boolean expression over a <see cref="FilterSchema"/>. Column and table names come
/// only from the schema and every literal becomes a parameter, so no text the user typed reaches the SQL.
/// </summary>
public static class FilterCompiler
{
    private const string Subject = "filter";

    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    /// <summary>
    /// Compiles <paramref name="expression"/> to a SQL boolean expression and adds its values to
    /// <paramref name="parameters"/> under fresh names (<c>f0</c>, <c>f1</c>, …, stored without the <c>@</c> the SQL uses).
    /// Nothing is added when compilation fails.
    /// </summary>
    /// <exception cref="FilterSyntaxException">A name is not in the schema, or a value does not suit its field.</exception>
    public static string Compile(
        FilterExpression expression,
        FilterSchema schema,
        ISqlDialect dialect,
        IDictionary<string, object?> parameters)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(parameters);

        var compilation = new Compilation(schema, dialect, parameters);
        var sql = compilation.Emit(expression);
        foreach (var (name, value) in compilation.Values)
        {
            parameters.Add(name, value);
        }

        return sql;
    }

    private sealed class Compilation(FilterSchema schema, ISqlDialect dialect, IDictionary<string, object?> existing)
    {
        private int next;

        public List<KeyValuePair<string, object?>> Values { get; } = [];

        public string Emit(FilterExpression expression) => expression switch
        {
            AndExpression all => Group(all.Operands.Select(Emit).ToArray(), " AND "),
            OrExpression any => Group(any.Operands.Select(Emit).ToArray(), " OR "),
            NotExpression negation => $"NOT ({Emit(negation.Operand)})",
            ComparisonExpression comparison => EmitComparison(comparison),
            _ => throw new ArgumentException($"Unsupported filter node {expression.GetType().Name}.", nameof(expression)),
        };

        /// <summary>
        /// Joins operands as a balanced tree, ((a AND b) AND (c AND d)). Engines parse a flat chain into a tree as deep
        /// as it is long, and SQLite refuses trees deeper than 1000, which a filter of short comparisons reaches well
        /// within the length limit.
        /// </summary>
        private static string Group(ReadOnlySpan<string> operands, string separator)
        {
            if (operands.Length == 1)
            {
                return operands[0];
            }

            var half = operands.Length / 2;
            return $"({Group(operands[..half], separator)}{separator}{Group(operands[half..], separator)})";
        }

        private string EmitComparison(ComparisonExpression comparison)
        {
            var operand = comparison.Operand;
            if (operand.Key is null)
            {
                var attribute = schema.FindAttribute(operand.Name) ?? throw UnknownAttribute(operand);
                if (attribute.Canonical is { } canonical && comparison.Operator is ComparisonOperator.Equal or ComparisonOperator.NotEqual or ComparisonOperator.In or ComparisonOperator.NotIn)
                {
                    comparison = comparison with
                    {
                        Values = [.. comparison.Values.Select(v => v.Kind == FilterLiteralKind.String ? v with { Value = canonical(v.Value) } : v)],
                    };
                }
                return Predicate(attribute.Column, attribute.Type, FilterToken.Quote(attribute.Name), comparison);
            }

            var collection = schema.FindCollection(operand.Name) ?? throw UnknownPrefix(operand);
            var key = AddParameter(operand.Key, out var number);
            // The alias shares the key parameter's number, which is unique across everything compiled into
            // one parameter set, so subqueries never shadow each other or the caller's aliases.
            var alias = $"c{number}";
            var entry = $"SELECT 1 FROM {collection.Table} {alias} WHERE {alias}.{collection.OwnerColumn} = {collection.EntityColumn ?? schema.IdColumn}" +
                $" AND {alias}.{collection.KeyColumn} = {key}";
            return comparison.Operator switch
            {
                ComparisonOperator.IsNull => $"NOT EXISTS ({entry})",
                ComparisonOperator.IsNotNull => $"EXISTS ({entry})",
                // As in MLflow, != and NOT IN match entities that have the key with another value.
                _ => $"EXISTS ({entry} AND {Predicate($"{alias}.{collection.ValueColumn}", collection.ValueType, FilterToken.Quote(operand.Display), comparison)})",
            };
        }

        private string Predicate(string column, FilterValueType type, string field, ComparisonExpression comparison)
        {
            if (comparison.Operator is ComparisonOperator.Like or ComparisonOperator.ILike && type != FilterValueType.String)
            {
                throw new FilterSyntaxException(Subject, comparison.OperatorPosition, "=, !=, <, <=, >, >=, IN, NOT IN or IS",
                    $"LIKE and ILIKE need a string field but {field} is {Describe(type)}");
            }

            var values = comparison.Values.Select(literal => AddParameter(Convert(literal, type, field), out _)).ToList();
            return comparison.Operator switch
            {
                ComparisonOperator.Equal => $"{column} = {values[0]}",
                ComparisonOperator.NotEqual => $"{column} <> {values[0]}",
                ComparisonOperator.LessThan => $"{column} < {values[0]}",
                ComparisonOperator.LessThanOrEqual => $"{column} <= {values[0]}",
                ComparisonOperator.GreaterThan => $"{column} > {values[0]}",
                ComparisonOperator.GreaterThanOrEqual => $"{column} >= {values[0]}",
                ComparisonOperator.Like => dialect.CaseSensitiveLike(column, values[0]),
                ComparisonOperator.ILike => dialect.CaseInsensitiveLike(column, values[0]),
                ComparisonOperator.In => $"{column} IN ({string.Join(", ", values)})",
                ComparisonOperator.NotIn => $"{column} NOT IN ({string.Join(", ", values)})",
                ComparisonOperator.IsNull => $"{column} IS NULL",
                ComparisonOperator.IsNotNull => $"{column} IS NOT NULL",
                _ => throw new ArgumentOutOfRangeException(nameof(comparison), comparison.Operator, "Unsupported operator."),
            };
        }

        private string AddParameter(object value, out int number)
        {
            while (existing.ContainsKey($"f{next}"))
            {
                next++;
            }

            number = next++;
            Values.Add(new($"f{number}", value));
            return $"@f{number}";
        }

        private FilterSyntaxException UnknownAttribute(FilterOperand operand)
        {
            var expected = $"an attribute ({schema.DescribeAttributes()}) or a collection key ({schema.DescribePrefixes()})";
            var problem = schema.FindCollection(operand.Name) is { } collection
                ? $"'{collection.Prefix}' is a collection; expected a key such as '{collection.Prefix}.<key>'"
                : $"unknown attribute {FilterToken.Quote(operand.Name)}; expected {expected}";
            return new FilterSyntaxException(Subject, operand.Position, expected, problem);
        }

        private FilterSyntaxException UnknownPrefix(FilterOperand operand)
        {
            var expected = $"a collection prefix ({schema.DescribePrefixes()})";
            return new FilterSyntaxException(Subject, operand.Position, expected,
                $"unknown collection prefix {FilterToken.Quote(operand.Name)}; expected {expected}");
        }
    }

    private static object Convert(FilterLiteral literal, FilterValueType type, string field)
    {
        switch (type)
        {
            case FilterValueType.String when literal.Kind == FilterLiteralKind.String:
                return literal.Value;
            case FilterValueType.String:
                throw Mismatch(literal, field, type, "a string literal");
            case FilterValueType.Number when literal.Kind == FilterLiteralKind.Number:
                return ParseNumber(literal, field, type);
            case FilterValueType.Number:
                throw Mismatch(literal, field, type, "a numeric literal");
            case FilterValueType.Timestamp when literal.Kind == FilterLiteralKind.Number:
                return long.TryParse(literal.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milliseconds)
                    ? milliseconds
                    : throw Mismatch(literal, field, type, "epoch milliseconds (an integer) or an ISO-8601 date/time string");
            case FilterValueType.Timestamp:
                return DateTimeOffset.TryParseExact(literal.Value, TimestampFormats, CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal, out var timestamp)
                    ? timestamp.ToUnixTimeMilliseconds()
                    : throw Mismatch(literal, field, type, "an ISO-8601 date/time such as '2026-01-01' or '2026-01-01T10:00:00Z'");
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported value type.");
        }
    }

    /// <summary>Integral literals stay exact as <see cref="long"/>; anything else is a <see cref="double"/>.</summary>
    private static object ParseNumber(FilterLiteral literal, string field, FilterValueType type)
    {
        if (long.TryParse(literal.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        var number = double.Parse(literal.Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        return double.IsFinite(number) ? number : throw Mismatch(literal, field, type, "a number within the range of a double");
    }

    private static FilterSyntaxException Mismatch(FilterLiteral literal, string field, FilterValueType type, string expected) =>
        new(Subject, literal.Position, expected, $"{field} is {Describe(type)}; expected {expected} but found {literal.Display}");

    private static string Describe(FilterValueType type) => type switch
    {
        FilterValueType.String => "a string",
        FilterValueType.Number => "a number",
        _ => "a timestamp",
    };
}
