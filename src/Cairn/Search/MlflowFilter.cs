namespace Cairn.Search;

/// <summary>
/// MLflow's search filter grammar (search_runs, search_experiments, search_registered_models,
/// search_model_versions) on top of Cairn's parser: conditions joined by AND only, entity prefixes in MLflow's
/// spellings (<c>metric.</c>/<c>metrics.</c>, <c>param.</c>/<c>params.</c>, <c>tag.</c>/<c>tags.</c>,
/// <c>attribute.</c>/<c>attributes.</c>/<c>attr.</c>/<c>run.</c>), single- or double-quoted strings, and keys in
/// backticks or double quotes. The result compiles with <see cref="FilterCompiler"/> against the caller's schema,
/// whose collection prefixes are the plural forms (<c>metrics</c>, <c>params</c>, <c>tags</c>, <c>datasets</c>).
/// </summary>
public static class MlflowFilter
{
    private static readonly string[] AttributePrefixes = ["attribute", "attributes", "attr", "run"];

    private static readonly Dictionary<string, string> CollectionPrefixes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["metric"] = "metrics",
        ["metrics"] = "metrics",
        ["param"] = "params",
        ["params"] = "params",
        ["parameter"] = "params",
        ["parameters"] = "params",
        ["tag"] = "tags",
        ["tags"] = "tags",
        ["dataset"] = "datasets",
        ["datasets"] = "datasets",
    };

    /// <summary>The filter as comparisons joined by AND (or null for no filter), its names normalised.</summary>
    /// <exception cref="FilterSyntaxException">Malformed text.</exception>
    /// <exception cref="InvalidParameterException">OR or NOT, which MLflow's grammar does not have.</exception>
    public static FilterExpression? Parse(string? text) => FilterParser.Parse(text) switch
    {
        null => null,
        var expression => Normalise(expression),
    };

    private static FilterExpression Normalise(FilterExpression expression) => expression switch
    {
        AndExpression all => new AndExpression(all.Operands.Select(Normalise).ToList()),
        ComparisonExpression comparison => comparison with { Operand = Normalise(comparison.Operand) },
        OrExpression or NotExpression => throw new InvalidParameterException(
            $"Invalid filter at character {expression.Position}: MLflow's search filters join conditions with AND only "
            + "(OR, NOT and parentheses around alternatives are not part of its grammar)."),
        _ => throw new ArgumentException($"Unsupported filter node {expression.GetType().Name}.", nameof(expression)),
    };

    private static FilterOperand Normalise(FilterOperand operand)
    {
        if (operand.Key is null)
        {
            return operand;
        }
        if (AttributePrefixes.Contains(operand.Name, StringComparer.OrdinalIgnoreCase))
        {
            return new FilterOperand(operand.Position, operand.Key, null);
        }
        return CollectionPrefixes.TryGetValue(operand.Name, out var plural) ? operand with { Name = plural } : operand;
    }
}
