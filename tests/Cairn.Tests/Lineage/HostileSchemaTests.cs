using System.Diagnostics;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Lineage;

/// <summary>
/// Issue 14, item 1: a metadata schema is caller input, so its regular expressions run in linear time (or the schema is
/// refused when they cannot), and checking a write against it happens before the store's write lock is taken.
/// </summary>
public sealed class HostileSchemaTests(CairnApp app) : IClassFixture<CairnApp>
{
    private const string Schemas = "/api/v1/metadata/schemas";

    // Classic catastrophic backtracking: a backtracking engine tries 2^n ways to split the a's before failing on the '!'.
    private const string Nested = "^(a+)+$";

    private readonly HttpClient _client = app.CreateClient();

    private static string NewNamespace() => $"hostile-{Guid.NewGuid():N}";

    private static readonly string Hostile = new string('a', 5000) + "!";

    private Task<HttpResponseMessage> RegisterAsync(string ns, string schema) =>
        _client.PostJsonAsync(Schemas, new { @namespace = ns, kind = "dataset", schema = JsonNode.Parse(schema) });

    [Fact]
    public async Task A_nested_quantifier_pattern_is_validated_in_linear_time_and_the_write_is_refused()
    {
        var ns = NewNamespace();
        await (await RegisterAsync(ns, $$"""{ "type": "object", "properties": { "code": { "type": "string", "pattern": "{{Nested}}" } } }""")).ExpectAsync(201);

        var dryRun = await (await _client.PostJsonAsync($"{Schemas}/validate", new { @namespace = ns, kind = "dataset", properties = new { code = Hostile } })).ExpectAsync(200);
        Assert.False((bool)dryRun["valid"]!);
        Assert.Equal("/code", (string?)dryRun["errors"]![0]!["path"]);

        var problem = await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "t", properties = new { code = Hostile } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("pattern", (string?)problem["errors"]![0]!["message"], StringComparison.Ordinal);
        await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "t", properties = new { code = "aaaa" } })).ExpectAsync(201);
    }

    [Fact]
    public async Task A_nested_quantifier_pattern_property_is_matched_in_linear_time()
    {
        var ns = NewNamespace();
        await (await RegisterAsync(ns, $$"""{ "type": "object", "patternProperties": { "{{Nested}}": { "type": "integer" } }, "additionalProperties": { "type": "string" } }""")).ExpectAsync(201);

        var properties = new JsonObject { [Hostile] = "text", ["aaa"] = 3 };
        var valid = await (await _client.PostJsonAsync($"{Schemas}/validate", new { @namespace = ns, kind = "dataset", properties })).ExpectAsync(200);
        Assert.True((bool)valid["valid"]!, valid.ToJsonString());

        var wrong = new JsonObject { [Hostile] = 1, ["aaa"] = "three" };
        var invalid = await (await _client.PostJsonAsync($"{Schemas}/validate", new { @namespace = ns, kind = "dataset", properties = wrong })).ExpectAsync(200);
        Assert.Equal(["/aaa", "/" + Hostile], invalid["errors"]!.AsArray().Select(e => (string)e!["path"]!).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("^(a)\\\\1$", "backreference")]
    [InlineData("^(?=a)a+$", "lookahead")]
    [InlineData("^a+(?<!b)$", "lookbehind")]
    [InlineData("^(?>a+)$", "atomic group")]
    public async Task A_pattern_that_needs_backtracking_is_refused_when_the_schema_is_registered(string pattern, string construct)
    {
        var ns = NewNamespace();
        var problem = await (await RegisterAsync(ns, $$"""{ "type": "object", "properties": { "code": { "type": "string", "pattern": "{{pattern}}" } } }""")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        var error = Assert.Single(problem["errors"]!.AsArray());
        Assert.Equal("/properties/code/pattern", (string?)error!["path"]);
        Assert.Contains("linear", (string?)error["message"], StringComparison.Ordinal);
        Assert.True(construct.Length > 0);

        var keyed = await (await RegisterAsync(ns, $$"""{ "type": "object", "patternProperties": { "{{pattern}}": { "type": "string" } } }""")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.StartsWith("/patternProperties/", (string?)Assert.Single(keyed["errors"]!.AsArray())!["path"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hostile_write_does_not_stall_another_writer()
    {
        var ns = NewNamespace();
        await (await RegisterAsync(ns, $$"""{ "type": "object", "properties": { "code": { "type": "string", "pattern": "{{Nested}}" } } }""")).ExpectAsync(201);
        // Many hostile values in one write: linear work, but work all the same, and none of it under the write lock.
        var properties = new JsonObject { ["code"] = Hostile };

        var hostile = Enumerable.Range(0, 8).Select(i => _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = $"t{i}", properties })).ToList();
        var clock = Stopwatch.StartNew();
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/", model_name = $"bystander-{Guid.NewGuid():N}"[..24] })).ExpectAsync(201);
        // A generous bound for a loaded CI machine: the backtracking engine took minutes here.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"another writer waited {clock.Elapsed}");
        foreach (var response in await Task.WhenAll(hostile))
        {
            await response.ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        }
    }
}
