using Cairn.Search;

namespace Cairn.Tests.Search;

[Trait("Store", "none")]
public class FilterParserTests
{
    [Theory]
    [InlineData("name = 'fraud'", "name Equal 'fraud'")]
    [InlineData("name != 'fraud'", "name NotEqual 'fraud'")]
    [InlineData("name <> 'fraud'", "name NotEqual 'fraud'")]
    [InlineData("version < 3", "version LessThan 3")]
    [InlineData("version <= 3", "version LessThanOrEqual 3")]
    [InlineData("version > 3", "version GreaterThan 3")]
    [InlineData("version >= 3", "version GreaterThanOrEqual 3")]
    [InlineData("name LIKE 'fraud%'", "name Like 'fraud%'")]
    [InlineData("name ILIKE 'FRAUD%'", "name ILike 'FRAUD%'")]
    [InlineData("name IN ('a', \"b\", 3)", "name In ['a', 'b', 3]")]
    [InlineData("name NOT IN ('a')", "name NotIn ['a']")]
    [InlineData("description IS NULL", "description IsNull")]
    [InlineData("description IS NOT NULL", "description IsNotNull")]
    [InlineData("version>=3", "version GreaterThanOrEqual 3")]
    public void Each_operator_parses_to_its_comparison(string filter, string expected) =>
        Assert.Equal(expected, Render(FilterParser.Parse(filter)));

    [Theory]
    [InlineData("a = 1 OR b = 2 AND c = 3", "(a Equal 1 OR (b Equal 2 AND c Equal 3))")]
    [InlineData("a = 1 AND b = 2 OR c = 3", "((a Equal 1 AND b Equal 2) OR c Equal 3)")]
    [InlineData("(a = 1 OR b = 2) AND c = 3", "((a Equal 1 OR b Equal 2) AND c Equal 3)")]
    [InlineData("NOT a = 1 AND b = 2", "(NOT a Equal 1 AND b Equal 2)")]
    [InlineData("NOT (a = 1 OR b = 2)", "NOT (a Equal 1 OR b Equal 2)")]
    [InlineData("not NOT a = 1", "NOT NOT a Equal 1")]
    [InlineData("a = 1 AND b = 2 AND c = 3", "(a Equal 1 AND b Equal 2 AND c Equal 3)")]
    [InlineData("((a = 1))", "a Equal 1")]
    public void NOT_binds_tighter_than_AND_which_binds_tighter_than_OR(string filter, string expected) =>
        Assert.Equal(expected, Render(FilterParser.Parse(filter)));

    [Theory]
    [InlineData("a = 1 and b = 2 Or not c In (3) AND d is Not null AND e like 'x' AND f iLike 'y'",
        "((a Equal 1 AND b Equal 2) OR (NOT c In [3] AND d IsNotNull AND e Like 'x' AND f ILike 'y'))")]
    public void Keywords_are_case_insensitive(string filter, string expected) =>
        Assert.Equal(expected, Render(FilterParser.Parse(filter)));

    [Theory]
    [InlineData("tags.team = 'risk'", "tags.[team] Equal 'risk'")]
    [InlineData("tags.my-key_2 = 'x'", "tags.[my-key_2] Equal 'x'")]
    [InlineData("tags.1st = 'x'", "tags.[1st] Equal 'x'")]
    [InlineData("tags.mlflow.runName = 'x'", "tags.[mlflow.runName] Equal 'x'")]
    [InlineData("metrics.val.loss.v2 < 1", "metrics.[val.loss.v2] LessThan 1")]
    [InlineData("tags.`my key.x` = 'x'", "tags.[my key.x] Equal 'x'")]
    [InlineData("tags.\"a b\" = 'x'", "tags.[a b] Equal 'x'")]
    [InlineData("tags.`a``b` = 'x'", "tags.[a`b] Equal 'x'")]
    [InlineData("tags.`a') OR (1=1` = 'x'", "tags.[a') OR (1=1] Equal 'x'")]
    public void Collection_keys_may_be_bare_or_quoted(string filter, string expected) =>
        Assert.Equal(expected, Render(FilterParser.Parse(filter)));

    [Theory]
    [InlineData("name = 'it''s'", "it's")]
    [InlineData(@"name = 'it\'s'", "it's")]
    [InlineData("name = \"say \"\"hi\"\"\"", "say \"hi\"")]
    [InlineData("name = \"it's\"", "it's")]
    [InlineData(@"name = 'a\\b'", @"a\b")]
    [InlineData(@"name = 'C:\dir\_x'", @"C:\dir\_x")]
    [InlineData("name = ''", "")]
    [InlineData("name = 'ünïcödé ✓'", "ünïcödé ✓")]
    public void String_literals_resolve_their_escapes(string filter, string expected)
    {
        var comparison = Assert.IsType<ComparisonExpression>(FilterParser.Parse(filter));
        var literal = Assert.Single(comparison.Values);
        Assert.Equal(FilterLiteralKind.String, literal.Kind);
        Assert.Equal(expected, literal.Value);
    }

    [Theory]
    [InlineData("version = 3", "3")]
    [InlineData("version = -3", "-3")]
    [InlineData("version = 0.95", "0.95")]
    [InlineData("version = -.5", "-.5")]
    [InlineData("version = 1e3", "1e3")]
    [InlineData("version = 2.5E-3", "2.5E-3")]
    public void Numbers_may_be_negative_decimal_or_have_an_exponent(string filter, string expected)
    {
        var comparison = Assert.IsType<ComparisonExpression>(FilterParser.Parse(filter));
        var literal = Assert.Single(comparison.Values);
        Assert.Equal(FilterLiteralKind.Number, literal.Kind);
        Assert.Equal(expected, literal.Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \t\r\n ")]
    public void An_empty_or_whitespace_filter_means_no_filter(string? filter) =>
        Assert.Null(FilterParser.Parse(filter));

    [Fact]
    public void The_architecture_example_parses()
    {
        var expression = FilterParser.Parse("name LIKE 'fraud%' AND (tags.team = 'risk' OR tags.team = 'ops') AND version > 3");

        Assert.Equal(
            "(name Like 'fraud%' AND (tags.[team] Equal 'risk' OR tags.[team] Equal 'ops') AND version GreaterThan 3)",
            Render(expression));
    }

    [Fact]
    public void Nodes_keep_the_positions_of_their_tokens()
    {
        var expression = FilterParser.Parse("  version >= 3 AND NOT tags.team IN ('a', 'b')");

        var all = Assert.IsType<AndExpression>(expression);
        var version = Assert.IsType<ComparisonExpression>(all.Operands[0]);
        Assert.Equal((3, 11, 14), (version.Position, version.OperatorPosition, version.Values[0].Position));
        var negation = Assert.IsType<NotExpression>(all.Operands[1]);
        Assert.Equal(20, negation.Position);
        var tags = Assert.IsType<ComparisonExpression>(negation.Operand);
        Assert.Equal((24, 34, 38, 43), (tags.Operand.Position, tags.OperatorPosition, tags.Values[0].Position, tags.Values[1].Position));
    }

    [Fact]
    public void An_unknown_operator_is_reported_with_the_operators_that_were_possible()
    {
        var error = Assert.Throws<FilterSyntaxException>(() => FilterParser.Parse("params.lr_decay foo 0.1"));

        Assert.Equal(
            "Invalid filter at character 17: expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS) but found 'foo'.",
            error.Message);
        Assert.Equal(17, error.Position);
        Assert.Equal(ErrorCodes.InvalidParameterValue, error.ErrorCode);
        Assert.Equal(400, error.StatusCode);
    }

    [Theory]
    [InlineData("name = 'fraud", 8, "a closing ' for the string that starts here", "end of filter")]
    [InlineData("tags.`team = 'x'", 6, "a closing ` for the key that starts here", "end of filter")]
    [InlineData("name = 'x' AND", 15, "an attribute, a collection key (prefix.key), NOT or '('", "end of filter")]
    [InlineData("= 'x'", 1, "an attribute, a collection key (prefix.key), NOT or '('", "'='")]
    [InlineData("name = 'x' AND OR b = 1", 16, "an attribute, a collection key (prefix.key), NOT or '('", "'OR'")]
    [InlineData("name = 'x' version = 1", 12, "AND, OR or end of filter", "'version'")]
    [InlineData("name = 'x')", 11, "AND, OR or end of filter", "')'")]
    [InlineData("name = 'x' --", 12, "AND, OR or end of filter", "'-'")]
    [InlineData("(name = 'x' OR b = 1", 21, "AND, OR or ')' to close the '(' at character 1", "end of filter")]
    [InlineData("name; DROP TABLE models", 5, "a comparison operator", "';'")]
    [InlineData("tags.a) OR (1=1 = 'x'", 7, "a comparison operator", "')'")]
    [InlineData("name IN ()", 10, "at least one value in the IN list", "')'")]
    [InlineData("name IN 'a'", 9, "'(' to start the IN list", "'a'")]
    [InlineData("name IN ('a' 'b')", 14, "',' or ')' to close the IN list", "'b'")]
    [InlineData("name IN ('a',)", 14, "a string or number literal", "')'")]
    [InlineData("name NOT LIKE 'x'", 10, "IN after NOT", "'LIKE'")]
    [InlineData("name IS 'x'", 9, "NULL or NOT NULL after IS", "'x'")]
    [InlineData("name IS NOT 'x'", 13, "NULL after IS NOT", "'x'")]
    [InlineData("name = other", 8, "a string or number literal", "'other'")]
    [InlineData("name = NULL", 8, "a string or number literal", "'NULL' (use IS NULL or IS NOT NULL")]
    [InlineData("tags. = 'x'", 6, "a key (letters, digits, '_' or '-', or any text in backticks or double quotes) after 'tags.'", "whitespace")]
    [InlineData("tags.`` = 'x'", 6, "a key", "'``'")]
    [InlineData("version = 3abc", 11, "a number", "'3abc'")]
    [InlineData("version = 1.2.3", 11, "a number", "'1.2.3'")]
    public void A_malformed_filter_is_rejected_with_the_position_and_what_was_expected(
        string filter, int position, string expected, string found)
    {
        var error = Assert.Throws<FilterSyntaxException>(() => FilterParser.Parse(filter));

        Assert.Equal(position, error.Position);
        Assert.StartsWith(expected, error.Expected, StringComparison.Ordinal);
        Assert.StartsWith($"Invalid filter at character {position}: expected {expected}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"but found {found}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sixty_four_levels_of_nesting_are_accepted()
    {
        var filter = new string('(', 64) + "name = 'x'" + new string(')', 64);

        Assert.Equal("name Equal 'x'", Render(FilterParser.Parse(filter)));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_rejected_at_the_first_level_too_many()
    {
        var parentheses = new string('(', 65) + "name = 'x'" + new string(')', 65);
        var nots = string.Concat(Enumerable.Repeat("NOT ", 65)) + "name = 'x'";

        var tooManyParentheses = Assert.Throws<FilterSyntaxException>(() => FilterParser.Parse(parentheses));
        var tooManyNots = Assert.Throws<FilterSyntaxException>(() => FilterParser.Parse(nots));

        Assert.Equal(65, tooManyParentheses.Position);
        Assert.Equal((64 * 4) + 1, tooManyNots.Position);
        Assert.Contains("more than 64 deep", tooManyNots.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_filter_longer_than_the_limit_is_rejected_before_parsing()
    {
        var filter = "name = '" + new string('x', 10_000) + "'";

        var error = Assert.Throws<FilterSyntaxException>(() => FilterParser.Parse(filter));

        Assert.Equal(10_001, error.Position);
        Assert.Equal("at most 10000 characters", error.Expected);
    }

    [Fact]
    public void A_long_flat_filter_parses_without_deep_recursion()
    {
        var filter = string.Join(" OR ", Enumerable.Range(0, 700).Select(i => $"v = {i}"));

        var any = Assert.IsType<OrExpression>(FilterParser.Parse(filter));

        Assert.Equal(700, any.Operands.Count);
    }

    /// <summary>A compact rendering of the tree: operators by name, keys in brackets, strings quoted, numbers bare.</summary>
    internal static string Render(FilterExpression? expression) => expression switch
    {
        AndExpression all => "(" + string.Join(" AND ", all.Operands.Select(Render)) + ")",
        OrExpression any => "(" + string.Join(" OR ", any.Operands.Select(Render)) + ")",
        NotExpression negation => "NOT " + Render(negation.Operand),
        ComparisonExpression comparison => Render(comparison),
        _ => "<none>",
    };

    private static string Render(ComparisonExpression comparison)
    {
        var operand = comparison.Operand.Key is null ? comparison.Operand.Name : $"{comparison.Operand.Name}.[{comparison.Operand.Key}]";
        var values = comparison.Values.Select(v => v.Kind == FilterLiteralKind.String ? $"'{v.Value}'" : v.Value).ToList();
        var right = comparison.Operator switch
        {
            ComparisonOperator.IsNull or ComparisonOperator.IsNotNull => "",
            ComparisonOperator.In or ComparisonOperator.NotIn => " [" + string.Join(", ", values) + "]",
            _ => " " + values[0],
        };
        return $"{operand} {comparison.Operator}{right}";
    }
}
