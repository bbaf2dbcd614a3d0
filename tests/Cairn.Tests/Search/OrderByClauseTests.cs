using Cairn.Search;

namespace Cairn.Tests.Search;

[Trait("Store", "none")]
public class OrderByClauseTests
{
    private static readonly FilterSchema Models = SearchSchemas.Models;

    [Theory]
    [InlineData("name", "m.name ASC, m.id ASC")]
    [InlineData("name DESC, created_at", "m.name DESC, m.created_at ASC, m.id ASC")]
    [InlineData("  NAME desc ,created_at Asc ", "m.name DESC, m.created_at ASC, m.id ASC")]
    [InlineData("description DESC,name", "m.description DESC, m.name ASC, m.id ASC")]
    public void Terms_map_to_schema_columns_with_the_id_as_tie_breaker(string orderBy, string expected) =>
        Assert.Equal(expected, OrderByClause.ToSql(orderBy, Models, "created_at DESC"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_missing_order_by_uses_the_default(string? orderBy) =>
        Assert.Equal("m.created_at DESC, m.id ASC", OrderByClause.ToSql(orderBy, Models, "created_at DESC"));

    [Fact]
    public void An_empty_default_orders_by_id_alone() =>
        Assert.Equal("m.id ASC", OrderByClause.ToSql(null, Models, ""));

    [Fact]
    public void Ordering_on_the_id_itself_is_not_repeated()
    {
        var schema = Models with { Attributes = [.. Models.Attributes, new FilterAttribute("id", "m.id", FilterValueType.Number)] };

        Assert.Equal("m.name ASC, m.id DESC", OrderByClause.ToSql("name, id DESC", schema, ""));
    }

    [Fact]
    public void An_unknown_attribute_is_rejected_with_its_position_and_the_allowed_attributes()
    {
        var error = Assert.Throws<FilterSyntaxException>(() => OrderByClause.ToSql("name, nme DESC", Models, ""));

        Assert.Equal(
            "Invalid order_by at character 7: expected an attribute (name, description or created_at) but found 'nme'.",
            error.Message);
        Assert.Equal(7, error.Position);
    }

    [Theory]
    [InlineData("name UP", 6, "ASC, DESC, ',' or end of order_by", "'UP'")]
    [InlineData("name ASC DESC", 10, "',' or end of order_by", "'DESC'")]
    [InlineData("name,", 6, "an attribute", "end of order_by")]
    [InlineData(", name", 1, "an attribute", "','")]
    [InlineData("tags.team", 1, "an attribute", "'tags.team'")]
    [InlineData("name; DROP TABLE models", 5, "ASC, DESC, ',' or end of order_by", "';'")]
    [InlineData("name DESC; DROP TABLE models", 10, "',' or end of order_by", "';'")]
    [InlineData("'name'", 1, "an attribute", "'name'")]
    public void A_malformed_order_by_is_rejected_with_the_position_and_what_was_expected(
        string orderBy, int position, string expected, string found)
    {
        var error = Assert.Throws<FilterSyntaxException>(() => OrderByClause.ToSql(orderBy, Models, ""));

        Assert.Equal(position, error.Position);
        Assert.StartsWith(expected, error.Expected, StringComparison.Ordinal);
        Assert.StartsWith($"Invalid order_by at character {position}: expected {expected}", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"but found {found}.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_default_is_reported_like_user_input() =>
        Assert.Throws<FilterSyntaxException>(() => OrderByClause.ToSql(null, Models, "nme"));
}
