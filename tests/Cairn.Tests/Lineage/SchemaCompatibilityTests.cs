using System.Text.Json.Nodes;
using Cairn.Lineage;

namespace Cairn.Tests.Lineage;

/// <summary>The backward-compatibility rules of metadata schemas, keyword by keyword.</summary>
[Trait("Store", "none")]
public sealed class SchemaCompatibilityTests
{
    private static List<string> Reasons(string older, string newer) =>
        SchemaCompatibility.Check(
            SchemaDocument.Normalise(JsonNode.Parse(older)!.AsObject()),
            SchemaDocument.Normalise(JsonNode.Parse(newer)!.AsObject())).Select(r => r.Message).ToList();

    private static string Property(string schema) => "{\"type\":\"object\",\"properties\":{\"p\":" + schema + "}}";

    [Theory]
    [InlineData("""{"type":"integer"}""", """{"type":"number"}""")]
    [InlineData("""{"type":"string"}""", """{"type":["string","null"]}""")]
    [InlineData("""{"type":"integer","maximum":5}""", """{"type":"integer","maximum":10}""")]
    [InlineData("""{"type":"integer","minimum":5}""", """{"type":"integer"}""")]
    [InlineData("""{"type":"integer","multipleOf":10}""", """{"type":"integer","multipleOf":5}""")]
    [InlineData("""{"enum":["a","b"]}""", """{"type":"string","enum":["a","b","c"]}""")]
    [InlineData("""{"const":"a"}""", """{"enum":["a","b"]}""")]
    [InlineData("""{"type":"string","pattern":"^a"}""", """{"type":"string"}""")]
    [InlineData("""{"type":"array","items":{"type":"integer"}}""", """{"type":"array","items":{"type":"number"}}""")]
    [InlineData("""{"anyOf":[{"type":"string"},{"type":"integer"}]}""", """{"anyOf":[{"type":"string"},{"type":"integer"}]}""")]
    [InlineData("""{"type":"number","maximum":1e300}""", """{"type":"number","maximum":1e301}""")]
    [InlineData("""{"type":"string","title":"old"}""", """{"type":"string","title":"new","description":"annotations do not matter"}""")]
    public void Changes_that_accept_everything_the_old_version_did_pass(string older, string newer) =>
        Assert.Empty(Reasons(Property(older), Property(newer)));

    [Theory]
    [InlineData("""{"type":"number"}""", """{"type":"integer"}""", "property 'p' changed type from number to integer")]
    [InlineData("""{}""", """{"type":"string"}""", "property 'p' was restricted to type string")]
    [InlineData("""{"enum":["a",1]}""", """{"type":"string"}""", "property 'p' changed type from string or integer to string")]
    [InlineData("""{"type":"string"}""", """{"type":"string","enum":["a"]}""", "property 'p' gained an enum: only 'a' are allowed now")]
    [InlineData("""{"enum":[1,2]}""", """{"enum":[1]}""", "enum of 'p' dropped 2")]
    [InlineData("""{"type":"integer","minimum":1}""", """{"type":"integer","minimum":2}""", "minimum of 'p' tightened from 1 to 2")]
    [InlineData("""{"type":"integer","exclusiveMaximum":10}""", """{"type":"integer","exclusiveMaximum":9}""", "exclusiveMaximum of 'p' tightened from 10 to 9")]
    [InlineData("""{"type":"string","minLength":1}""", """{"type":"string","minLength":3}""", "minLength of 'p' tightened from 1 to 3")]
    [InlineData("""{"type":"array"}""", """{"type":"array","maxItems":3}""", "maxItems of 'p' was added (3)")]
    [InlineData("""{"type":"array"}""", """{"type":"array","uniqueItems":true}""", "uniqueItems of 'p' became true")]
    [InlineData("""{"type":"integer","multipleOf":5}""", """{"type":"integer","multipleOf":10}""", "multipleOf of 'p' was changed (10)")]
    [InlineData("""{"type":"string"}""", """{"type":"string","pattern":"^a"}""", "pattern of 'p' was added ('^a')")]
    [InlineData("""{"type":"string","format":"uri"}""", """{"type":"string","format":"email"}""", "format of 'p' changed from 'uri' to 'email'")]
    [InlineData("""{"type":"array","items":{"type":"number"}}""", """{"type":"array","items":{"type":"integer"}}""", "property 'p[]' changed type from number to integer")]
    [InlineData("""{"type":"string"}""", """false""", "property 'p' accepted values and now accepts none")]
    [InlineData("""{"anyOf":[{"type":"string"}]}""", """{"anyOf":[{"type":"integer"}]}""", "anyOf of 'p' was changed; Cairn cannot prove such a change compatible")]
    public void Changes_that_refuse_something_the_old_version_accepted_are_named(string older, string newer, string reason) =>
        Assert.Equal([reason], Reasons(Property(older), Property(newer)));

    [Fact]
    public void Extra_keys_constrained_by_an_additional_properties_schema_bind_new_and_removed_properties()
    {
        const string older = """{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}}""";

        Assert.Equal(["property 'b' changed type from integer to string"],
            Reasons(older, """{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"additionalProperties":{"type":"integer"}}"""));
        Assert.Equal(["property 'a' changed type from string to integer"],
            Reasons(older, """{"type":"object","additionalProperties":{"type":"integer"}}"""));
        Assert.Equal(["property '*' changed type from integer to string"],
            Reasons(older, """{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}"""));
        Assert.Empty(Reasons("""{"type":"object","additionalProperties":false}""", """{"type":"object","properties":{"b":{"type":"string"}}}"""));
    }

    [Fact]
    public void Recursive_references_are_compared_once_and_end()
    {
        const string tree = """{"type":"object","definitions":{"n":{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#/definitions/n"}}}},"properties":{"head":{"$ref":"#/definitions/n"}}}""";

        Assert.Empty(Reasons(tree, tree));
        Assert.Equal(["property 'head.v' changed type from integer to string"], Reasons(tree, tree.Replace("\"v\":{\"type\":\"integer\"}", "\"v\":{\"type\":\"string\"}", StringComparison.Ordinal)));
    }
}
