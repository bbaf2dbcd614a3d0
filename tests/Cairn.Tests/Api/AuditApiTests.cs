namespace Cairn.Tests.Api;

public sealed class AuditApiTests : IDisposable
{
    private readonly CairnApp _app = new();
    private readonly HttpClient _client;

    public AuditApiTests() => _client = _app.CreateClient();

    public void Dispose() => _app.Dispose();

    private async Task SeedAsync()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/audit", model_name = "m" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/models/audit.m/versions", new { })).ExpectAsync(201);
        await (await _client.PutJsonAsync("/api/v1/models/audit.m/aliases/champion", new { version = 1 })).ExpectAsync(200);
        await (await _client.PostJsonAsync("/api/v1/models/audit.m/versions/1/stage", new { stage = "Staging" })).ExpectAsync(200);
        await (await _client.PutJsonAsync("/api/v1/models/audit.m/tags/team", new { value = "risk" })).ExpectAsync(200);
    }

    [Fact]
    public async Task Every_mutation_appends_an_entry_with_actor_action_resource_and_before_and_after()
    {
        await SeedAsync();

        var entries = (await (await _client.GetAsync("/api/v1/audit")).ExpectAsync(200))["entries"]!.AsArray();

        Assert.Equal(["model.tag.set", "version.stage", "alias.set", "version.create", "model.create"], entries.Select(e => (string?)e!["action"]));
        Assert.All(entries, e => Assert.Equal("tester", (string?)e!["actor"]));
        var stage = entries[1]!;
        Assert.Equal("models/audit.m/versions/1", (string?)stage["resource"]);
        Assert.Equal("None", (string?)stage["before"]!["stage"]);
        Assert.Equal("Staging", (string?)stage["after"]!["stage"]);
        Assert.Null(entries[4]!["before"]);
        Assert.Equal((string?)entries[1]!["prev_hash"], (string?)entries[2]!["hash"]);
    }

    [Fact]
    public async Task A_resource_filter_takes_the_resource_and_what_is_under_it_never_a_sibling_that_starts_alike()
    {
        await SeedAsync();
        // Siblings whose names extend "m" with characters on either side of '/' in byte order.
        foreach (var name in new[] { "m0", "m-x", "m_x", "mm" })
        {
            await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/audit", model_name = name })).ExpectAsync(201);
        }
        await (await _client.PostJsonAsync("/api/v1/models/audit.m/versions", new { })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/models/audit.m/versions", new { })).ExpectAsync(201);

        var entries = (await (await _client.GetAsync("/api/v1/audit?resource=models/audit.m")).ExpectAsync(200))["entries"]!.AsArray();
        Assert.Equal(7, entries.Count);
        Assert.All(entries.Select(e => (string)e!["resource"]!), r => Assert.True(r == "models/audit.m" || r.StartsWith("models/audit.m/", StringComparison.Ordinal), r));
        var version = (await (await _client.GetAsync("/api/v1/audit?resource=models/audit.m/versions/1")).ExpectAsync(200))["entries"]!.AsArray();
        Assert.Equal(["models/audit.m/versions/1", "models/audit.m/versions/1"], version.Select(e => (string?)e!["resource"]));
    }

    [Fact]
    public async Task The_audit_log_filters_by_actor_action_resource_and_time_and_pages()
    {
        await SeedAsync();

        Assert.Single((await (await _client.GetAsync("/api/v1/audit?action=alias.set")).ExpectAsync(200))["entries"]!.AsArray());
        Assert.Equal(2, (await (await _client.GetAsync("/api/v1/audit?resource=models/audit.m/versions/1")).ExpectAsync(200))["entries"]!.AsArray().Count);
        Assert.Equal(5, (await (await _client.GetAsync("/api/v1/audit?resource=models/audit.m")).ExpectAsync(200))["entries"]!.AsArray().Count);
        Assert.Empty((await (await _client.GetAsync("/api/v1/audit?actor=mallory")).ExpectAsync(200))["entries"]!.AsArray());
        Assert.Empty((await (await _client.GetAsync("/api/v1/audit?since=2999-01-01")).ExpectAsync(200))["entries"]!.AsArray());
        await (await _client.GetAsync("/api/v1/audit?since=yesterday")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        var seqs = new List<long>();
        string? token = null;
        do
        {
            var page = await (await _client.GetAsync("/api/v1/audit?max_results=2" + (token is null ? "" : "&page_token=" + token))).ExpectAsync(200);
            seqs.AddRange(page["entries"]!.AsArray().Select(e => (long)e!["seq"]!));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        Assert.Equal([5L, 4, 3, 2, 1], seqs);
    }

    [Fact]
    public async Task An_untouched_chain_verifies()
    {
        await SeedAsync();
        var result = await (await _client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);
        Assert.True((bool)result["valid"]!);
        Assert.Equal(5, (int)result["checked"]!);
        // The head it vouches for: the newest entry's hash, to note down elsewhere.
        var newest = (await (await _client.GetAsync("/api/v1/audit?max_results=1")).ExpectAsync(200))["entries"]![0]!;
        Assert.Equal((string?)newest["hash"], (string?)result["head_hash"]);
    }

    [Fact]
    public async Task An_empty_log_verifies_with_the_genesis_hash_as_its_head()
    {
        var result = await (await _client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);
        Assert.True((bool)result["valid"]!);
        Assert.Equal(0, (int)result["checked"]!);
        Assert.Equal(new string('0', 64), (string?)result["head_hash"]);
    }

    [Fact]
    public async Task A_broken_chain_names_no_head()
    {
        await SeedAsync();
        await _app.ExecuteSqlAsync("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3");
        var result = await (await _client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);
        Assert.False((bool)result["valid"]!);
        Assert.Null(result["head_hash"]);
    }

    [Fact]
    public async Task An_edited_entry_is_detected_and_named()
    {
        await SeedAsync();
        await _app.ExecuteSqlAsync("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3");

        var result = await (await _client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);

        Assert.False((bool)result["valid"]!);
        Assert.Equal(3, (int)result["broken_at"]!);
        Assert.Contains("modified", (string?)result["reason"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_entry_is_detected_and_named()
    {
        await SeedAsync();
        await _app.ExecuteSqlAsync("DELETE FROM audit_log WHERE seq = 2");

        var result = await (await _client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);

        Assert.False((bool)result["valid"]!);
        Assert.Equal(2, (int)result["broken_at"]!);
        Assert.Contains("missing", (string?)result["reason"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Removing_the_newest_entries_is_detected_through_the_chain_head()
    {
        await SeedAsync();
        await _app.ExecuteSqlAsync("DELETE FROM audit_log WHERE seq >= 4");

        var result = await (await _client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);

        Assert.False((bool)result["valid"]!);
        Assert.Equal(4, (int)result["broken_at"]!);
    }

    [Fact]
    public async Task A_rewritten_hash_breaks_the_link_to_the_next_entry()
    {
        await SeedAsync();
        await _app.ExecuteSqlAsync("UPDATE audit_log SET hash = (CASE WHEN substr(hash, 1, 1) = '0' THEN '1' ELSE '0' END) || substr(hash, 2) WHERE seq = 2");

        var result = await (await _client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);

        Assert.False((bool)result["valid"]!);
        Assert.Equal(2, (int)result["broken_at"]!);
    }
}
