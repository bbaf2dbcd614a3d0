using Cairn.Search;
using Cairn.Storage;
using Dapper;

namespace Cairn.Tests.Search;

[Trait("Store", "none")]
public class FilterCompilerTests(SearchDatabase database) : IClassFixture<SearchDatabase>
{
    [Theory]
    [InlineData("name = 'churn'", new long[] { 3 })]
    [InlineData("name != 'churn'", new long[] { 1, 2, 4 })]
    [InlineData("name LIKE 'fraud%'", new long[] { 1 })]
    [InlineData("name LIKE 'Fraud%'", new long[] { 2 })]
    [InlineData("name ILIKE 'fraud%'", new long[] { 1, 2 })]
    [InlineData("name ILIKE 'FRAUD-%'", new long[] { 1, 2 })]
    [InlineData("description IS NULL", new long[] { 2 })]
    [InlineData("description IS NOT NULL", new long[] { 1, 3, 4 })]
    [InlineData("name IN ('churn', 'Fraud-scorer')", new long[] { 2, 3 })]
    [InlineData("name NOT IN ('churn', 'Fraud-scorer')", new long[] { 1, 4 })]
    [InlineData("NAME = 'churn'", new long[] { 3 })]
    public void Attribute_comparisons_select_the_matching_models(string filter, long[] expected) =>
        Assert.Equal(expected, database.Models(filter));

    [Theory]
    [InlineData("tags.team = 'risk'", new long[] { 1 })]
    [InlineData("TAGS.team = 'risk'", new long[] { 1 })]
    [InlineData("tags.TEAM = 'risk'", new long[0])]
    [InlineData("tags.team != 'risk'", new long[] { 2, 3 })]
    [InlineData("NOT tags.team = 'risk'", new long[] { 2, 3, 4 })]
    [InlineData("tags.team IS NULL", new long[] { 4 })]
    [InlineData("tags.team IS NOT NULL", new long[] { 1, 2, 3 })]
    [InlineData("tags.team IN ('ops', 'growth')", new long[] { 2, 3 })]
    [InlineData("tags.team NOT IN ('ops', 'growth')", new long[] { 1 })]
    [InlineData("tags.team LIKE 'r%'", new long[] { 1 })]
    [InlineData("tags.team ILIKE 'OP_'", new long[] { 2 })]
    [InlineData("tags.`my key.x` = 'yes'", new long[] { 3 })]
    [InlineData("tags.\"my key.x\" IS NOT NULL", new long[] { 3 })]
    [InlineData("tags.team = 'risk' AND tags.owner = 'alice'", new long[] { 1 })]
    public void Tag_comparisons_follow_MLflow_semantics(string filter, long[] expected) =>
        Assert.Equal(expected, database.Models(filter));

    [Theory]
    [InlineData("created_at >= '2026-01-01'", new long[] { 1, 2 })]
    [InlineData("created_at < '2025-06-15T12:00:01Z'", new long[] { 3, 4 })]
    [InlineData("created_at = '2025-06-15T12:00:00'", new long[] { 3 })]
    [InlineData("created_at > '2026-01-01T01:00:00+02:00'", new long[] { 1, 2 })]
    [InlineData("created_at = 1767225600000", new long[] { 1 })]
    [InlineData("created_at IN ('2026-02-01', 1767225600000)", new long[] { 1, 2 })]
    public void Timestamps_accept_ISO_8601_strings_and_epoch_milliseconds(string filter, long[] expected) =>
        Assert.Equal(expected, database.Models(filter));

    [Theory]
    [InlineData("name ILIKE 'fraud%' AND (tags.team = 'risk' OR tags.team = 'ops')", new long[] { 1, 2 })]
    [InlineData("(name = 'churn' OR tags.team = 'ops') AND NOT description IS NULL", new long[] { 3 })]
    [InlineData("tags.team = 'risk' OR tags.owner = 'alice' AND tags.team = 'ops'", new long[] { 1 })]
    [InlineData("NOT (tags.team = 'risk' OR tags.team = 'ops')", new long[] { 3, 4 })]
    [InlineData("NOT NOT name = 'churn'", new long[] { 3 })]
    [InlineData("NOT (name LIKE 'fraud%' OR (tags.team IS NULL AND NOT description IS NULL))", new long[] { 2, 3 })]
    public void AND_OR_and_NOT_combine_as_written(string filter, long[] expected) =>
        Assert.Equal(expected, database.Models(filter));

    [Theory]
    [InlineData("version = 2", new long[] { 11, 14 })]
    [InlineData("version > 1 AND name LIKE 'fraud%'", new long[] { 11 })]
    [InlineData("version >= 1.5", new long[] { 11, 14 })]
    [InlineData("metrics.accuracy > 0.9", new long[] { 10, 11, 14 })]
    [InlineData("metrics.accuracy >= 0.95 AND metrics.f1 IS NOT NULL", new long[] { 11 })]
    [InlineData("metrics.accuracy IS NULL", new long[] { 13 })]
    [InlineData("metrics.loss = 2", new long[] { 14 })]
    [InlineData("metrics.accuracy IN (0.7, 0.99)", new long[] { 12, 14 })]
    [InlineData("metrics.accuracy != 0.91", new long[] { 11, 12, 14 })]
    [InlineData("metrics.accuracy < 1e0 AND metrics.accuracy > -1", new long[] { 10, 11, 12, 14 })]
    [InlineData("version IN (1) AND NOT metrics.accuracy < 0.8", new long[] { 10, 13 })]
    [InlineData("created_at > '2026-01-05'", new long[] { 11, 12 })]
    public void Version_filters_compare_numbers_numerically(string filter, long[] expected) =>
        Assert.Equal(expected, database.Versions(filter));

    [Fact]
    public void A_quote_in_a_value_matches_literally_instead_of_changing_the_query()
    {
        Assert.Equal(new long[] { 4 }, database.Models("name = 'x'' OR ''1''=''1'"));
        Assert.Empty(database.Models("name = 'x'' OR 1=1 --'"));
    }

    [Fact]
    public void A_statement_in_a_value_is_only_ever_a_parameter()
    {
        const string filter = @"name = '''; DROP TABLE models; --' OR tags.`a') OR (1=1` = 'x'";
        var parameters = new Dictionary<string, object?>();

        var sql = FilterCompiler.Compile(FilterParser.Parse(filter)!, SearchSchemas.Models, SqliteDialect.Instance, parameters);

        Assert.Equal("'; DROP TABLE models; --", parameters["f0"]);
        Assert.Equal("a') OR (1=1", parameters["f1"]);
        Assert.Equal("x", parameters["f2"]);
        Assert.DoesNotContain("DROP", sql, StringComparison.Ordinal);
        Assert.Empty(database.Models(filter));
        Assert.Equal(4, database.Connection.ExecuteScalar<long>("SELECT count(*) FROM models"));
    }

    [Theory]
    [InlineData("name; DROP TABLE models", 5)]
    [InlineData("tags.a) OR (1=1 = 'x'", 7)]
    [InlineData("name = 'a' OR 1 = 1", 15)]
    [InlineData("name = 'a' OR name = name", 22)]
    public void SQL_in_place_of_a_name_or_value_is_a_syntax_error(string filter, int position)
    {
        var error = Assert.Throws<FilterSyntaxException>(() => FilterParser.Parse(filter));

        Assert.Equal(position, error.Position);
    }

    [Fact]
    public void The_SQL_uses_schema_columns_and_fresh_parameters_only()
    {
        var parameters = new Dictionary<string, object?> { ["f0"] = "caller's", ["f2"] = "caller's too" };
        var expression = FilterParser.Parse("name = 'a' OR tags.team = 'b'")!;

        var sql = FilterCompiler.Compile(expression, SearchSchemas.Models, SqliteDialect.Instance, parameters);

        Assert.Equal(
            "(m.name = @f1 OR EXISTS (SELECT 1 FROM model_tags c3 WHERE c3.model_id = m.id AND c3.key = @f3 AND c3.value = @f4))",
            sql);
        Assert.Equal(["f0", "f1", "f2", "f3", "f4"], parameters.Keys.Order());
        Assert.Equal(("a", "team", "b"), (parameters["f1"], parameters["f3"], parameters["f4"]));
    }

    [Fact]
    public void Collection_null_tests_become_EXISTS_and_NOT_EXISTS_on_the_key()
    {
        var parameters = new Dictionary<string, object?>();
        var expression = FilterParser.Parse("tags.team IS NULL AND NOT tags.owner IS NOT NULL")!;

        var sql = FilterCompiler.Compile(expression, SearchSchemas.Models, SqliteDialect.Instance, parameters);

        Assert.Equal(
            "(NOT EXISTS (SELECT 1 FROM model_tags c0 WHERE c0.model_id = m.id AND c0.key = @f0)" +
            " AND NOT (EXISTS (SELECT 1 FROM model_tags c1 WHERE c1.model_id = m.id AND c1.key = @f1)))",
            sql);
    }

    [Fact]
    public void Long_chains_are_grouped_as_balanced_trees()
    {
        var parameters = new Dictionary<string, object?>();
        var expression = FilterParser.Parse("version = 1 OR version = 2 OR version = 3 OR version = 4 OR version = 5")!;

        var sql = FilterCompiler.Compile(expression, SearchSchemas.Versions, SqliteDialect.Instance, parameters);

        Assert.Equal("((v.version = @f0 OR v.version = @f1) OR (v.version = @f2 OR (v.version = @f3 OR v.version = @f4)))", sql);
    }

    [Fact]
    public void LIKE_and_ILIKE_come_from_the_dialect()
    {
        var parameters = new Dictionary<string, object?>();
        var expression = FilterParser.Parse("name LIKE 'a%' OR name ILIKE 'b%'")!;

        var sql = FilterCompiler.Compile(expression, SearchSchemas.Models, SqliteDialect.Instance, parameters);

        Assert.Equal("(m.name LIKE @f0 OR lower(m.name) LIKE lower(@f1))", sql);
    }

    [Theory]
    [InlineData("version = 3", 3L)]
    [InlineData("version = -3", -3L)]
    [InlineData("metrics.accuracy > 0.5", 0.5)]
    [InlineData("metrics.accuracy > 1e3", 1000.0)]
    [InlineData("version = 9223372036854775807", long.MaxValue)]
    [InlineData("created_at > '2026-01-01'", 1767225600000L)]
    [InlineData("created_at > '2026-01-01T10:00:00.123Z'", 1767261600123L)]
    [InlineData("created_at > 1767225600000", 1767225600000L)]
    public void Values_are_typed_for_their_field(string filter, object expected)
    {
        var parameters = new Dictionary<string, object?>();

        FilterCompiler.Compile(FilterParser.Parse(filter)!, SearchSchemas.Versions, SqliteDialect.Instance, parameters);

        Assert.Equal(expected, parameters.Values.Last());
    }

    [Fact]
    public void Type_mismatch_names_the_field_its_type_and_the_literal()
    {
        var error = Compile("version = 'abc'", SearchSchemas.Versions);

        Assert.Equal("Invalid filter at character 11: 'version' is a number; expected a numeric literal but found 'abc'.", error.Message);
        Assert.Equal((11, "a numeric literal"), (error.Position, error.Expected));
    }

    [Theory]
    [InlineData("name = 3", 8, "a string literal", "'name' is a string; expected a string literal but found 3")]
    [InlineData("version IN (1, 'two')", 16, "a numeric literal", "found 'two'")]
    [InlineData("metrics.accuracy > 'high'", 20, "a numeric literal", "'metrics.accuracy' is a number")]
    [InlineData("version > 1e999", 11, "a number within the range of a double", "found 1e999")]
    [InlineData("version LIKE '1%'", 9, "=, !=, <, <=, >, >=, IN, NOT IN or IS", "LIKE and ILIKE need a string field but 'version' is a number")]
    [InlineData("metrics.accuracy ILIKE '0.9%'", 18, "=, !=, <, <=, >, >=, IN, NOT IN or IS", "'metrics.accuracy' is a number")]
    [InlineData("created_at LIKE '2026%'", 12, "=, !=, <, <=, >, >=, IN, NOT IN or IS", "'created_at' is a timestamp")]
    [InlineData("created_at > 'yesterday'", 14, "an ISO-8601 date/time", "found 'yesterday'")]
    [InlineData("created_at > '2026-13-01'", 14, "an ISO-8601 date/time", "found '2026-13-01'")]
    [InlineData("created_at > 1.5", 14, "epoch milliseconds (an integer)", "found 1.5")]
    [InlineData("nme = 'x'", 1, "an attribute (name, version or created_at) or a collection key (metrics.<key>)", "unknown attribute 'nme'")]
    [InlineData("version > 1 AND metrics = 1", 17, "an attribute", "'metrics' is a collection; expected a key such as 'metrics.<key>'")]
    [InlineData("tags.team = 'x'", 1, "a collection prefix (metrics.<key>)", "unknown collection prefix 'tags'")]
    [InlineData("version.major = 1", 1, "a collection prefix", "unknown collection prefix 'version'")]
    public void Names_and_values_the_schema_does_not_allow_are_rejected_with_their_position(
        string filter, int position, string expected, string problem)
    {
        var error = Compile(filter, SearchSchemas.Versions);

        Assert.Equal(position, error.Position);
        Assert.StartsWith(expected, error.Expected, StringComparison.Ordinal);
        Assert.StartsWith($"Invalid filter at character {position}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_compilation_adds_no_parameters()
    {
        var parameters = new Dictionary<string, object?>();
        var expression = FilterParser.Parse("name = 'a' AND nme = 'b'")!;

        Assert.Throws<FilterSyntaxException>(() =>
            FilterCompiler.Compile(expression, SearchSchemas.Models, SqliteDialect.Instance, parameters));

        Assert.Empty(parameters);
    }

    [Fact]
    public void A_thousand_comparisons_stay_within_SQLites_expression_depth_limit()
    {
        var filter = string.Join("OR ", Enumerable.Repeat("name=''", 1000));
        Assert.True(filter.Length <= 10_000);

        Assert.Empty(database.Models(filter));
    }

    [Fact]
    public void Chains_nested_to_the_depth_limit_stay_within_SQLites_expression_depth_limit()
    {
        var chain = string.Concat(Enumerable.Repeat(" OR name=''", 10));
        var filter = new string('(', 64) + "name='churn'" + string.Concat(Enumerable.Repeat(")" + chain, 64));
        Assert.True(filter.Length <= 10_000);

        Assert.Equal(new long[] { 3 }, database.Models(filter));
    }

    [Fact]
    public void Compiled_filters_and_order_by_work_together()
    {
        Assert.Equal(new long[] { 4, 1, 3, 2 }, database.Models("created_at > 0", "name DESC"));
        Assert.Equal(new long[] { 4, 3, 1, 2 }, database.Models("created_at > 0", "created_at"));
    }

    private static FilterSyntaxException Compile(string filter, FilterSchema schema) =>
        Assert.Throws<FilterSyntaxException>(() =>
            FilterCompiler.Compile(FilterParser.Parse(filter)!, schema, SqliteDialect.Instance, new Dictionary<string, object?>()));
}
