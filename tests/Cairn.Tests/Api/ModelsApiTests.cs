using System.Net;
using System.Text.Json.Nodes;
using Cairn.Tests.Encryption;

namespace Cairn.Tests.Api;

public sealed class ModelsApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private static object CatalogEntry(string ns, string name) => new
    {
        @namespace = ns,
        model_name = name,
        description = "this model is designed for claims",
        owner = "alice@example.com",
        url = "http://abc.corp.com/path/to/the/model/implementation",
        data_sources = new object[]
        {
            new { name = "claim history datawarehouse", type = "snowflake", description = "claims", owner = "alice@example.com",
                  connection = new { account = "abc", user = "svc", password = "hunter2", api_key = "k-123" } },
            new { name = "more data source" },
        },
        inference = new
        {
            input = new { description = "a document", schema = new { type = "object", properties = new { text = new { type = "string" } } } },
            output = new { description = "a label", schema = new { type = "string" } },
        },
        tags = new Dictionary<string, string> { ["team"] = "risk" },
    };

    [Fact]
    public async Task Creating_a_model_returns_the_catalog_entry_under_its_dotted_full_name()
    {
        var created = await (await _client.PostJsonAsync("/api/v1/models", CatalogEntry("/abc_corp/claim", "doc_classification"))).ExpectAsync(201);

        Assert.Equal("abc_corp.claim.doc_classification", (string?)created["full_name"]);
        Assert.Equal("/abc_corp/claim", (string?)created["namespace"]);
        Assert.Equal("tester", (string?)created["created_by"]);
        Assert.Equal("risk", (string?)created["tags"]!["team"]);
        Assert.Equal("string", (string?)created["inference"]!["input"]!["schema"]!["properties"]!["text"]!["type"]);

        var fetched = await (await _client.GetAsync("/api/v1/models/abc_corp.claim.doc_classification")).ExpectAsync(200);
        Assert.Equal("this model is designed for claims", (string?)fetched["description"]);
        Assert.Equal(2, fetched["data_sources"]!.AsArray().Count);
    }

    [Fact]
    public async Task Connection_secrets_are_stored_but_returned_masked()
    {
        var created = await (await _client.PostJsonAsync("/api/v1/models", CatalogEntry("/masking", "m1"))).ExpectAsync(201);

        var connection = created["data_sources"]![0]!["connection"]!;
        Assert.Equal("****", (string?)connection["password"]);
        Assert.Equal("****", (string?)connection["api_key"]);
        Assert.Equal("svc", (string?)connection["user"]);
        // Stored encrypted since issue 19 (docs/encryption.md): the row holds the secret only under the key ring's seal.
        var stored = await app.ScalarAsync<string>("SELECT data_sources FROM models WHERE full_name = 'masking.m1'");
        Assert.DoesNotContain("hunter2", stored, StringComparison.Ordinal);
        Assert.Contains("hunter2", await app.RevealedDataSourcesAsync("masking.m1"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Echoing_masked_secrets_back_in_a_patch_keeps_the_stored_secret()
    {
        var created = await (await _client.PostJsonAsync("/api/v1/models", CatalogEntry("/masking", "m2"))).ExpectAsync(201);
        var sources = created["data_sources"]!.DeepClone().AsArray();
        sources[0]!["connection"]!["user"] = "svc2";

        var patched = await (await _client.PatchJsonAsync("/api/v1/models/masking.m2", new { data_sources = sources, owner = "bob@example.com" })).ExpectAsync(200);

        Assert.Equal("bob@example.com", (string?)patched["owner"]);
        Assert.Equal("svc2", (string?)patched["data_sources"]![0]!["connection"]!["user"]);
        var stored = await app.RevealedDataSourcesAsync("masking.m2");
        Assert.Contains("hunter2", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("****", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_without_namespace_lives_in_the_root_and_its_full_name_has_no_dot()
    {
        var created = await (await _client.PostJsonAsync("/api/v1/models", new { model_name = "rootmodel" })).ExpectAsync(201);
        Assert.Equal("/", (string?)created["namespace"]);
        Assert.Equal("rootmodel", (string?)created["full_name"]);
        await (await _client.GetAsync("/api/v1/models/rootmodel")).ExpectAsync(200);
    }

    [Fact]
    public async Task Creating_the_same_model_twice_is_a_conflict()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/dup", model_name = "m" })).ExpectAsync(201);
        var problem = await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/dup", model_name = "m" })).ExpectAsync(409, "RESOURCE_ALREADY_EXISTS");
        Assert.Contains("dup.m", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"namespace":"abc","model_name":"m"}""", "must start with '/'")]
    [InlineData("""{"namespace":"/a b","model_name":"m"}""", "invalid segment")]
    [InlineData("""{"namespace":"/a","model_name":"has.dot"}""", "model_name")]
    [InlineData("""{"namespace":"/a"}""", "'model_name' is required")]
    [InlineData("""{"namespace":"/a","model_name":"m","data_sources":[{"type":"s3"}]}""", "data_sources[0].name")]
    [InlineData("""{"namespace":"/a","model_name":"m",""", "not valid JSON")]
    [InlineData("""{"namespace":"/a","model_name":42}""", "not valid JSON")]
    public async Task Invalid_catalog_entries_are_rejected_with_what_is_wrong(string body, string expected)
    {
        var problem = await (await _client.SendRawAsync(HttpMethod.Post, "/api/v1/models", body)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains(expected, (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_models_are_404_on_every_route()
    {
        await (await _client.GetAsync("/api/v1/models/no.such.model")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PatchJsonAsync("/api/v1/models/no.such.model", new { owner = "x" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.DeleteAsync("/api/v1/models/no.such.model")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PutJsonAsync("/api/v1/models/no.such.model/tags/a", new { value = "b" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync("/api/v1/models/no.such.model/versions")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PostJsonAsync("/api/v1/models/no.such.model/versions", new { })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync("/api/v1/models/no.such.model/aliases/champion")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Model_tags_are_set_replaced_and_deleted()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/tags", model_name = "m" })).ExpectAsync(201);

        await (await _client.PutJsonAsync("/api/v1/models/tags.m/tags/team", new { value = "risk" })).ExpectAsync(200);
        var replaced = await (await _client.PutJsonAsync("/api/v1/models/tags.m/tags/team", new { value = "ops" })).ExpectAsync(200);
        Assert.Equal("ops", (string?)replaced["tags"]!["team"]);

        var deleted = await (await _client.DeleteAsync("/api/v1/models/tags.m/tags/team")).ExpectAsync(200);
        Assert.Empty(deleted["tags"]!.AsObject());
        await (await _client.DeleteAsync("/api/v1/models/tags.m/tags/team")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.PutJsonAsync("/api/v1/models/tags.m/tags/team", new { })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_tag_key_with_a_slash_is_addressed_escaped_in_the_path()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/tags", model_name = "slash" })).ExpectAsync(201);

        var tagged = await (await _client.PutJsonAsync("/api/v1/models/tags.slash/tags/source%2Fgit", new { value = "abc123" })).ExpectAsync(200);
        Assert.Equal("abc123", (string?)tagged["tags"]!["source/git"]);

        var untagged = await (await _client.DeleteAsync("/api/v1/models/tags.slash/tags/source%2Fgit")).ExpectAsync(200);
        Assert.Empty(untagged["tags"]!.AsObject());
    }

    [Fact]
    public async Task Deleting_a_model_removes_it_and_its_versions()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/del", model_name = "m" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/models/del.m/versions", new { })).ExpectAsync(201);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync("/api/v1/models/del.m")).StatusCode);

        await (await _client.GetAsync("/api/v1/models/del.m")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT COUNT(*) FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.full_name = 'del.m'"));
    }

    [Fact]
    public async Task Health_readiness_and_the_openapi_document_are_served()
    {
        var health = await (await _client.GetAsync("/health")).ExpectAsync(200);
        Assert.Equal("ok", (string?)health["status"]);
        Assert.Equal(CairnVersion.Current, (string?)health["version"]);
        Assert.Equal("ready", (string?)(await (await _client.GetAsync("/ready")).ExpectAsync(200))["status"]);

        var openApi = await (await _client.GetAsync("/openapi/v1.json")).ExpectAsync(200);
        Assert.Equal(CairnVersion.SemVer, (string?)openApi["info"]!["version"]);
        var paths = openApi["paths"]!.AsObject();
        Assert.Contains("/api/v1/models/{fullName}/versions/{version}", paths.Select(p => p.Key));
        Assert.Contains("/api/v1/audit/verify", paths.Select(p => p.Key));

        // Built once: a second request is answered from the output cache (it says how old the copy is).
        var again = await _client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True(again.Headers.Age is not null, "the second request for the document was generated again");

        var reference = await _client.GetAsync("/docs");
        Assert.True(reference.IsSuccessStatusCode || reference.StatusCode == HttpStatusCode.Redirect, $"/docs answered {(int)reference.StatusCode}");
    }

    [Fact]
    public async Task Unknown_routes_answer_with_problem_details()
    {
        var response = await _client.GetAsync("/api/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]);
    }
}
