using System.Text.Json.Nodes;
using Cairn.Lineage;
using Cairn.Storage;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Lineage;

/// <summary>Custom metadata schemas through the native API and the writers' hook, on SQLite and PostgreSQL.</summary>
public sealed class MetadataSchemaTests(CairnApp app) : IClassFixture<CairnApp>
{
    private const string Schemas = "/api/v1/metadata/schemas";

    private readonly HttpClient _client = app.CreateClient();

    private static string NewNamespace() => $"s3://lake-{Guid.NewGuid():N}"[..20] + "/claims";

    private static JsonNode Schema(string json) => JsonNode.Parse(json)!;

    private const string TrainingV1 = """
        {
          "type": "object",
          "properties": {
            "owner": { "type": "string", "maxLength": 64 },
            "epochs": { "type": "integer", "minimum": 1, "maximum": 1000 },
            "tier": { "enum": ["bronze", "silver", "gold"] },
            "config": {
              "type": "object",
              "properties": { "lr": { "type": "number" }, "optimizer": { "type": "string" } },
              "required": ["lr"]
            }
          },
          "required": ["epochs"]
        }
        """;

    private Task<HttpResponseMessage> RegisterAsync(string ns, string kind, JsonNode schema) =>
        _client.PostJsonAsync(Schemas, new { @namespace = ns, kind, schema });

    private async Task<JsonObject> ValidateAsync(string ns, string kind, string properties) =>
        await (await _client.PostJsonAsync($"{Schemas}/validate", new { @namespace = ns, kind, properties = JsonNode.Parse(properties) })).ExpectAsync(200);

    private static List<string> Messages(JsonObject problem) => problem["errors"]!.AsArray().Select(e => (string)e!["message"]!).ToList();

    [Fact]
    public async Task A_first_schema_is_version_1_and_reads_back_by_version_latest_listing_and_history()
    {
        var ns = NewNamespace();

        var created = await (await RegisterAsync(ns, "dataset", Schema(TrainingV1))).ExpectAsync(201);

        Assert.Equal(ns, (string?)created["namespace"]);
        Assert.Equal("dataset", (string?)created["kind"]);
        Assert.Equal(1, (int)created["version"]!);
        Assert.Equal("tester", (string?)created["created_by"]);
        Assert.NotNull(created["created_at"]);
        Assert.True(JsonNode.DeepEquals(Schema(TrainingV1), created["schema"]));
        var q = $"namespace={Uri.EscapeDataString(ns)}&kind=dataset";
        Assert.Equal(1, (int)(await (await _client.GetAsync($"{Schemas}/version?{q}")).ExpectAsync(200))["version"]!);
        Assert.Equal(1, (int)(await (await _client.GetAsync($"{Schemas}/version?{q}&version=1")).ExpectAsync(200))["version"]!);
        await (await _client.GetAsync($"{Schemas}/version?{q}&version=2")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync($"{Schemas}/version?namespace={Uri.EscapeDataString(ns)}&kind=feature")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync($"{Schemas}/version?{q}&version=0")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        var listed = (await (await _client.GetAsync($"{Schemas}?namespace={Uri.EscapeDataString(ns)}")).ExpectAsync(200))["schemas"]!.AsArray();
        Assert.Equal(1, (int)Assert.Single(listed)!["version"]!);
    }

    [Fact]
    public async Task A_compatible_version_is_accepted_and_the_listing_shows_only_the_latest()
    {
        var ns = NewNamespace();
        await (await RegisterAsync(ns, "execution", Schema(TrainingV1))).ExpectAsync(201);

        // A new optional property, a widened type, a relaxed bound, an added enum value, a dropped requirement.
        var v2 = Schema(TrainingV1);
        v2["properties"]!["notes"] = Schema("""{ "type": "string" }""");
        v2["properties"]!["epochs"] = Schema("""{ "type": "number", "minimum": 0 }""");
        v2["properties"]!["tier"] = Schema("""{ "enum": ["bronze", "silver", "gold", "platinum"] }""");
        v2["properties"]!["owner"] = Schema("""{ "type": "string", "maxLength": 128 }""");
        v2["properties"]!["config"]!["required"] = new JsonArray();
        var created = await (await RegisterAsync(ns, "execution", v2)).ExpectAsync(201);

        Assert.Equal(2, (int)created["version"]!);
        var q = $"namespace={Uri.EscapeDataString(ns)}&kind=execution";
        var versions = (await (await _client.GetAsync($"{Schemas}/versions?{q}")).ExpectAsync(200))["schemas"]!.AsArray();
        Assert.Equal([1, 2], versions.Select(v => (int)v!["version"]!));
        var latest = (await (await _client.GetAsync($"{Schemas}?{q}")).ExpectAsync(200))["schemas"]!.AsArray();
        Assert.Equal(2, (int)Assert.Single(latest)!["version"]!);
    }

    [Fact]
    public async Task An_incompatible_version_is_refused_with_every_reason_and_not_stored()
    {
        var ns = NewNamespace();
        await (await RegisterAsync(ns, "dataset", Schema(TrainingV1))).ExpectAsync(201);
        var v2 = Schema("""
            {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "owner": { "type": "string", "maxLength": 32 },
                "epochs": { "type": "string" },
                "tier": { "enum": ["bronze", "silver"] },
                "config": {
                  "type": "object",
                  "properties": { "lr": { "type": "number", "maximum": 1 }, "optimizer": { "type": "string" } },
                  "required": ["lr", "optimizer"]
                }
              },
              "required": ["epochs", "owner"]
            }
            """);

        var problem = await (await RegisterAsync(ns, "dataset", v2)).ExpectAsync(409, "INCOMPATIBLE_SCHEMA");

        var reasons = Messages(problem);
        Assert.Contains("property 'owner' became required", reasons);
        Assert.Contains("property 'epochs' changed type from integer to string", reasons);
        Assert.Contains("enum of 'tier' dropped 'gold'", reasons);
        Assert.Contains("additionalProperties was allowed and is now false", reasons);
        Assert.Contains("maxLength of 'owner' tightened from 64 to 32", reasons);
        Assert.Contains("property 'config.optimizer' became required", reasons);
        Assert.Contains("maximum of 'config.lr' was added (1)", reasons);
        Assert.Contains(problem["errors"]!.AsArray(), e => (string?)e!["path"] == "/properties/epochs/type");
        Assert.Contains("not backward compatible with version 1", (string?)problem["detail"], StringComparison.Ordinal);
        foreach (var reason in reasons)
        {
            Assert.Contains(reason, (string?)problem["detail"], StringComparison.Ordinal);
        }
        var versions = (await (await _client.GetAsync($"{Schemas}/versions?namespace={Uri.EscapeDataString(ns)}&kind=dataset")).ExpectAsync(200))["schemas"]!.AsArray();
        Assert.Single(versions);
    }

    [Fact]
    public async Task Removing_a_property_under_closed_content_and_tightening_a_minimum_are_refused()
    {
        var ns = NewNamespace();
        await (await RegisterAsync(ns, "artifact", Schema("""
            {
              "type": "object",
              "additionalProperties": false,
              "properties": { "x": { "type": "integer" }, "score": { "type": "number", "minimum": 0 } }
            }
            """))).ExpectAsync(201);

        var problem = await (await RegisterAsync(ns, "artifact", Schema("""
            {
              "type": "object",
              "additionalProperties": false,
              "properties": { "score": { "type": "number", "minimum": 0.5 } }
            }
            """))).ExpectAsync(409, "INCOMPATIBLE_SCHEMA");

        Assert.Equal(["property 'x' was removed while additionalProperties is false", "minimum of 'score' tightened from 0 to 0.5"], Messages(problem));
    }

    [Fact]
    public async Task Stored_entities_that_would_not_meet_a_schema_refuse_it_naming_them_and_their_paths()
    {
        var ns = NewNamespace();
        await InsertDatasetAsync(ns, "ok", """{"owner":"risk","epochs":3}""");
        await InsertDatasetAsync(ns, "bad", """{"owner":"risk","epochs":"three"}""");
        await InsertDatasetAsync(ns, "worse", """{"epochs":2}""");
        await InsertDatasetAsync("elsewhere", "bad", """{"epochs":"x"}""");
        var schema = Schema("""
            { "type": "object", "properties": { "owner": { "type": "string" }, "epochs": { "type": "integer" } }, "required": ["owner"] }
            """);

        var problem = await (await RegisterAsync(ns, "dataset", schema)).ExpectAsync(409, "INCOMPATIBLE_SCHEMA");

        var errors = problem["errors"]!.AsArray().Select(e => ((string?)e!["entity"], (string?)e["path"], (string?)e["message"])).ToList();
        Assert.Equal(
            [($"dataset:{ns}:bad", "/epochs", "expected integer"), ($"dataset:{ns}:worse", "/owner", "required property is missing")],
            errors);
        Assert.Contains($"dataset:{ns}:bad (/epochs: expected integer)", (string?)problem["detail"], StringComparison.Ordinal);
        await (await _client.GetAsync($"{Schemas}/version?namespace={Uri.EscapeDataString(ns)}&kind=dataset")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");

        // Fixed data lets the same schema in; the other namespace's entity is not its business.
        await app.ExecuteSqlAsync($"UPDATE datasets SET properties = '{{\"owner\":\"x\",\"epochs\":1}}' WHERE namespace = '{ns}'");
        await (await RegisterAsync(ns, "dataset", schema)).ExpectAsync(201);
    }

    [Fact]
    public async Task Datasets_and_executions_written_through_their_api_are_checked_when_a_schema_is_declared()
    {
        var ns = NewNamespace();
        await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "claims", properties = new { owner = "risk", rows = "many" } })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/datasets", new { @namespace = ns, name = "policies", properties = new { owner = "risk", rows = 10 } })).ExpectAsync(201);
        var schema = Schema("""{ "type": "object", "properties": { "rows": { "type": "integer" } }, "required": ["owner"] }""");

        var problem = await (await RegisterAsync(ns, "dataset", schema)).ExpectAsync(409, "INCOMPATIBLE_SCHEMA");

        var error = Assert.Single(problem["errors"]!.AsArray())!;
        Assert.Equal(($"dataset:{ns}:claims", "/rows", "expected integer"), ((string?)error["entity"], (string?)error["path"], (string?)error["message"]));
        // An execution's namespace is its job's.
        var runId = Guid.NewGuid().ToString();
        await (await _client.PostJsonAsync("/api/v1/executions", new { run_id = runId, job_namespace = ns, job_name = "train", state = "RUNNING", properties = new { rows = 1 } })).ExpectAsync(201);
        var execution = await (await RegisterAsync(ns, "execution", schema)).ExpectAsync(409, "INCOMPATIBLE_SCHEMA");
        Assert.Equal(("/owner", "required property is missing"), ((string?)execution["errors"]![0]!["path"], (string?)execution["errors"]![0]!["message"]));
        Assert.StartsWith("run:", (string?)execution["errors"]![0]!["entity"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dry_run_answers_every_failing_path_and_passes_where_no_schema_is_declared()
    {
        var ns = NewNamespace();
        await (await RegisterAsync(ns, "feature", Schema(TrainingV1))).ExpectAsync(201);

        var bad = await ValidateAsync(ns, "feature", """{"epochs":"ten","owner":7,"tier":"tin","config":{"optimizer":"adam"}}""");
        var good = await ValidateAsync(ns, "feature", """{"epochs":10,"tier":"gold","config":{"lr":0.1},"extra":true}""");
        var missing = await ValidateAsync(ns, "feature", """{"owner":"x"}""");
        var undeclared = await ValidateAsync(NewNamespace(), "feature", """{"anything":1}""");
        var closed = NewNamespace();
        await (await RegisterAsync(closed, "feature", Schema("""{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":false}"""))).ExpectAsync(201);
        var extra = await ValidateAsync(closed, "feature", """{"a":1,"b":{"c":2}}""");

        Assert.False((bool)bad["valid"]!);
        Assert.Equal(1, (int)bad["version"]!);
        var errors = bad["errors"]!.AsArray().ToDictionary(e => (string)e!["path"]!, e => (string)e!["message"]!);
        Assert.Equal("expected integer", errors["/epochs"]);
        Assert.Equal("expected string", errors["/owner"]);
        Assert.StartsWith("is not one of the allowed values", errors["/tier"], StringComparison.Ordinal);
        Assert.Equal("required property is missing", errors["/config/lr"]);
        Assert.True((bool)good["valid"]!);
        Assert.Empty(good["errors"]!.AsArray());
        Assert.Equal("/epochs", (string?)Assert.Single(missing["errors"]!.AsArray())!["path"]);
        Assert.True((bool)undeclared["valid"]!);
        Assert.Null(undeclared["version"]);
        Assert.Equal(("/b", "property is not allowed (additionalProperties is false)"),
            Assert.Single(extra["errors"]!.AsArray().Select(e => ((string)e!["path"]!, (string)e["message"]!))));
        await (await _client.PostJsonAsync($"{Schemas}/validate", new { @namespace = ns, kind = "model", properties = new { } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task The_writers_hook_passes_without_a_schema_and_throws_the_failing_paths_within_the_transaction()
    {
        var ns = NewNamespace();
        await (await RegisterAsync(ns, "context", Schema(TrainingV1))).ExpectAsync(201);
        var database = app.Services.GetRequiredService<CairnDatabase>();

        var thrown = await Assert.ThrowsAsync<MetadataValidationException>(() => database.WriteAsync(async (_, transaction) =>
        {
            await MetadataSchemas.ValidateAsync(transaction, NewNamespace(), "context", """{"epochs":"x"}""", CancellationToken.None);
            await MetadataSchemas.ValidateAsync(transaction, ns, "context", """{"epochs":5}""", CancellationToken.None);
            await MetadataSchemas.ValidateAsync(transaction, ns, "context", """{"epochs":5000,"owner":null}""", CancellationToken.None);
            return true;
        }, CancellationToken.None));

        Assert.Equal(400, thrown.StatusCode);
        Assert.Equal("INVALID_PARAMETER_VALUE", thrown.ErrorCode);
        Assert.Equal((ns, "context", 1), (thrown.Namespace, thrown.Kind, thrown.Version));
        Assert.Equal([("/epochs", "must be at most 1000"), ("/owner", "expected string")], thrown.Errors.Select(e => (e.Path, e.Message)));
        Assert.Contains($"version 1 of the context schema of namespace '{ns}'", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("/epochs: must be at most 1000", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Documents_that_are_not_usable_schemas_are_400_with_the_reasons()
    {
        var ns = NewNamespace();

        async Task<List<string>> RefusedAsync(string json) =>
            Messages(await (await RegisterAsync(ns, "dataset", Schema(json))).ExpectAsync(400, "INVALID_PARAMETER_VALUE"));

        Assert.Contains("the top level must declare", (await RefusedAsync("""{"properties":{}}"""))[0], StringComparison.Ordinal);
        Assert.Contains("the top level must declare", (await RefusedAsync("""{"type":"array"}"""))[0], StringComparison.Ordinal);
        Assert.Contains("'int' is not a JSON Schema type", Assert.Single(await RefusedAsync("""{"type":"object","properties":{"n":{"type":"int"}}}""")), StringComparison.Ordinal);
        Assert.Contains("must point inside this document", Assert.Single(await RefusedAsync("""{"type":"object","properties":{"n":{"$ref":"https://example.com/s.json"}}}""")), StringComparison.Ordinal);
        Assert.Contains("points at nothing", Assert.Single(await RefusedAsync("""{"type":"object","properties":{"n":{"$ref":"#/definitions/none"}}}""")), StringComparison.Ordinal);
        Assert.Equal(["'if'", "'then'"], (await RefusedAsync("""{"type":"object","if":{"required":["a"]},"then":{"required":["b"]}}""")).Select(m => m.Split(' ')[0]));
        Assert.Contains("must be a valid regular expression", Assert.Single(await RefusedAsync("""{"type":"object","properties":{"n":{"type":"string","pattern":"(["}}}""")), StringComparison.Ordinal);
        Assert.Contains("'required' must be an array", Assert.Single(await RefusedAsync("""{"type":"object","required":"owner"}""")), StringComparison.Ordinal);
        await (await _client.PostJsonAsync(Schemas, new { @namespace = ns, kind = "dataset", schema = "{}" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync(Schemas, new { @namespace = ns, kind = "dataset" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync(Schemas, new { @namespace = ns, kind = "model", schema = Schema("""{"type":"object"}""") })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostJsonAsync(Schemas, new { kind = "dataset", schema = Schema("""{"type":"object"}""") })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.GetAsync($"{Schemas}/versions?namespace={Uri.EscapeDataString(ns)}&kind=dataset")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Draft_2020_defs_and_const_are_enforced_and_recursive_references_are_compared()
    {
        var ns = NewNamespace();
        const string tree = """
            {
              "type": "object",
              "$defs": { "node": { "type": "object", "properties": { "name": { "type": "string" }, "children": { "type": "array", "items": { "$ref": "#/$defs/node" } } } } },
              "properties": { "root": { "$ref": "#/$defs/node" }, "format": { "const": "v1" } }
            }
            """;
        await (await RegisterAsync(ns, "dataset", Schema(tree))).ExpectAsync(201);

        var result = await ValidateAsync(ns, "dataset", """{"root":{"name":"a","children":[{"name":1}]},"format":"v2"}""");

        var errors = result["errors"]!.AsArray().Select(e => ((string)e!["path"]!, (string)e["message"]!)).ToList();
        Assert.Contains(("/root/children/0/name", "expected string"), errors);
        Assert.Contains(errors, e => e.Item1 == "/format" && e.Item2.StartsWith("is not one of the allowed values", StringComparison.Ordinal));
        var narrowed = Schema(tree);
        narrowed["$defs"]!["node"]!["properties"]!["name"] = Schema("""{ "type": "string", "minLength": 1 }""");
        var problem = await (await RegisterAsync(ns, "dataset", narrowed)).ExpectAsync(409, "INCOMPATIBLE_SCHEMA");
        Assert.Contains("minLength of 'root.name' was added (1)", Messages(problem));
    }

    [Fact]
    public async Task Registering_appends_an_audit_entry_with_the_previous_version_as_before()
    {
        var ns = NewNamespace();
        await (await RegisterAsync(ns, "dataset", Schema(TrainingV1))).ExpectAsync(201);
        var v2 = Schema(TrainingV1);
        v2["properties"]!["notes"] = Schema("""{ "type": "string" }""");
        await (await RegisterAsync(ns, "dataset", v2)).ExpectAsync(201);
        await (await RegisterAsync(ns, "dataset", Schema("""{"type":"object","required":["new"]}"""))).ExpectAsync(409, "INCOMPATIBLE_SCHEMA");

        var entries = (await (await _client.GetAsync($"/api/v1/audit?action=metadata.schema.register&resource={Uri.EscapeDataString($"metadata/schemas/dataset/{ns}")}")).ExpectAsync(200))["entries"]!.AsArray();

        Assert.Equal(2, entries.Count);
        Assert.Equal(2, (int)entries[0]!["after"]!["version"]!);
        Assert.Equal(1, (int)entries[0]!["before"]!["version"]!);
        Assert.Null(entries[1]!["before"]);
        Assert.Equal("tester", (string?)entries[1]!["actor"]);
        Assert.True((bool)(await (await _client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200))["valid"]!);
    }

    private async Task InsertDatasetAsync(string ns, string name, string properties)
    {
        var id = $"dataset:{ns}:{name}";
        await app.ExecuteSqlAsync(
            $"""
            INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at) VALUES ('{id}', 'dataset', '{ns}', '{name}', 0, 0);
            INSERT INTO datasets (id, namespace, name, properties, created_at, created_by, updated_at, updated_by)
            VALUES ('{id}', '{ns}', '{name}', '{properties}', 0, 'seed', 0, 'seed');
            """);
    }
}

public sealed class MetadataSchemaAuthTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task A_reader_reads_and_dry_runs_schemas_but_may_not_register_them()
    {
        using var writer = app.ClientWithToken(await app.TokenAsync("schema-writer", "writer"));
        using var reader = app.ClientWithToken(await app.TokenAsync("schema-reader", "reader"));
        var body = new { @namespace = "team", kind = "dataset", schema = JsonNode.Parse("""{"type":"object"}""") };
        await (await writer.PostJsonAsync("/api/v1/metadata/schemas", body)).ExpectAsync(201);

        await (await reader.PostJsonAsync("/api/v1/metadata/schemas", body)).ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.GetAsync("/api/v1/metadata/schemas?namespace=team&kind=dataset")).ExpectAsync(200);
        await (await reader.PostJsonAsync("/api/v1/metadata/schemas/validate", new { @namespace = "team", kind = "dataset", properties = new { a = 1 } })).ExpectAsync(200);
        using var anonymous = app.CreateClient();
        await (await anonymous.GetAsync("/api/v1/metadata/schemas")).ExpectAsync(401, "UNAUTHENTICATED");
    }
}
