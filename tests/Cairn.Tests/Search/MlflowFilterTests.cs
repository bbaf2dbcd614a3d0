using Cairn.Search;

namespace Cairn.Tests.Search;

[Trait("Store", "none")]
public sealed class MlflowFilterTests
{
    [Theory]
    [InlineData("metric.acc > 0.9", "metrics", "acc")]
    [InlineData("metrics.acc > 0.9", "metrics", "acc")]
    [InlineData("param.lr = '0.1'", "params", "lr")]
    [InlineData("parameters.lr = '0.1'", "params", "lr")]
    [InlineData("tag.team = \"risk\"", "tags", "team")]
    [InlineData("tags.`my key` = 'x'", "tags", "my key")]
    [InlineData("tags.\"my key\" = 'x'", "tags", "my key")]
    public void Entity_prefixes_in_every_mlflow_spelling_become_the_plural_collection(string filter, string name, string key)
    {
        var comparison = Assert.IsType<ComparisonExpression>(MlflowFilter.Parse(filter));

        Assert.Equal(name, comparison.Operand.Name);
        Assert.Equal(key, comparison.Operand.Key);
    }

    [Theory]
    [InlineData("attribute.status = 'RUNNING'")]
    [InlineData("attributes.status = 'RUNNING'")]
    [InlineData("attr.status = 'RUNNING'")]
    [InlineData("run.status = 'RUNNING'")]
    [InlineData("status = 'RUNNING'")]
    public void Attribute_prefixes_are_dropped(string filter)
    {
        var comparison = Assert.IsType<ComparisonExpression>(MlflowFilter.Parse(filter));

        Assert.Equal("status", comparison.Operand.Name);
        Assert.Null(comparison.Operand.Key);
    }

    [Fact]
    public void Conditions_joined_by_and_keep_their_order()
    {
        var all = Assert.IsType<AndExpression>(MlflowFilter.Parse("metrics.acc > 0.9 and params.lr IN ('0.1', '0.2')"));

        Assert.Equal(["metrics", "params"], all.Operands.Cast<ComparisonExpression>().Select(c => c.Operand.Name));
    }

    [Theory]
    [InlineData("metrics.acc > 0.9 OR metrics.acc < 0.1", 1)]
    [InlineData("NOT metrics.acc > 0.9", 1)]
    [InlineData("params.a = '1' AND (tags.x = 'y' OR tags.x = 'z')", 21)]
    public void Or_and_not_are_refused_with_the_position(string filter, int position)
    {
        var error = Assert.ThrowsAny<InvalidParameterException>(() => MlflowFilter.Parse(filter));

        Assert.Contains($"character {position}", error.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.InvalidParameterValue, error.ErrorCode);
    }

    [Fact]
    public void Empty_filter_is_no_filter() => Assert.Null(MlflowFilter.Parse("  "));
}
