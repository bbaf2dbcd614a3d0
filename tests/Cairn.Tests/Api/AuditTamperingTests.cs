namespace Cairn.Tests.Api;

/// <summary>
/// Tamperings that remove audit entries as a whole (issue 14, item 8): every row of the registry and governance tables
/// records the audit entry that last wrote it, so a log emptied or cut short under populated tables no longer verifies.
/// </summary>
public sealed class AuditTamperingTests : IDisposable
{
    private readonly CairnApp _app = new();
    private readonly HttpClient _client;

    public AuditTamperingTests() => _client = _app.CreateClient();

    public void Dispose() => _app.Dispose();

    // Entries 1..6: model.create, version.create, alias.set, version.stage, model.tag.set, token.create.
    private async Task SeedAsync()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/audit", model_name = "m" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/models/audit.m/versions", new { })).ExpectAsync(201);
        await (await _client.PutJsonAsync("/api/v1/models/audit.m/aliases/champion", new { version = 1 })).ExpectAsync(200);
        await (await _client.PostJsonAsync("/api/v1/models/audit.m/versions/1/stage", new { stage = "Staging" })).ExpectAsync(200);
        await (await _client.PutJsonAsync("/api/v1/models/audit.m/tags/team", new { value = "risk" })).ExpectAsync(200);
        await (await _client.PostJsonAsync("/api/v1/tokens", new { name = "ci", role = "writer", @namespace = "/audit" })).ExpectAsync(201);
    }

    private async Task<System.Text.Json.Nodes.JsonObject> VerifyAsync() => await (await _client.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);

    [Fact]
    public async Task An_emptied_log_on_a_populated_store_does_not_verify_and_says_why()
    {
        await SeedAsync();
        Assert.True((bool)(await VerifyAsync())["valid"]!);

        await _app.ExecuteSqlAsync("DELETE FROM audit_log; DELETE FROM audit_head;");

        var result = await VerifyAsync();
        Assert.False((bool)result["valid"]!);
        Assert.Equal(0, (int)result["checked"]!);
        Assert.Equal(1, (int)result["broken_at"]!);
        Assert.Contains("audit entry 6", (string?)result["reason"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_emptied_log_is_detected_even_where_rows_carry_no_audit_number()
    {
        await SeedAsync();
        // As rows written before the audit numbers existed (or with them blanked too).
        await _app.ExecuteSqlAsync("""
            DELETE FROM audit_log; DELETE FROM audit_head;
            UPDATE models SET audit_seq = NULL; UPDATE model_versions SET audit_seq = NULL;
            UPDATE aliases SET audit_seq = NULL; UPDATE api_tokens SET audit_seq = NULL;
            """);

        var result = await VerifyAsync();
        Assert.False((bool)result["valid"]!);
        Assert.Contains("empty", (string?)result["reason"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tail_cut_off_with_the_head_moved_back_to_match_is_detected()
    {
        await SeedAsync();
        // A consistent truncation: entries after 3 removed and the head rewritten to entry 3, so the chain alone verifies.
        await _app.ExecuteSqlAsync("""
            DELETE FROM audit_log WHERE seq > 3;
            UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3);
            """);

        var result = await VerifyAsync();
        Assert.False((bool)result["valid"]!);
        Assert.Equal(3, (int)result["checked"]!);
        Assert.Equal(4, (int)result["broken_at"]!);
        Assert.Contains("ends at entry 3", (string?)result["reason"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_record_the_entry_that_last_wrote_them_and_an_intact_store_verifies()
    {
        await SeedAsync();

        Assert.Equal(5, await _app.ScalarAsync<long>("SELECT audit_seq FROM models WHERE full_name = 'audit.m'"));
        Assert.Equal(4, await _app.ScalarAsync<long>("SELECT audit_seq FROM model_versions"));
        Assert.Equal(3, await _app.ScalarAsync<long>("SELECT audit_seq FROM aliases"));
        Assert.Equal(6, await _app.ScalarAsync<long>("SELECT audit_seq FROM api_tokens WHERE name = 'ci'"));
        var result = await VerifyAsync();
        Assert.True((bool)result["valid"]!);
        Assert.Equal(6, (int)result["checked"]!);
    }
}
