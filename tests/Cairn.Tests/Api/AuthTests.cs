using System.Net.Http.Headers;
using System.Text;

namespace Cairn.Tests.Api;

public sealed class AuthTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    private async Task<HttpClient> AdminAsync() => app.ClientWithToken(await app.TokenAsync($"admin-{Guid.NewGuid():N}", "admin"));

    private async Task<HttpClient> ClientAsync(string role, string ns) => app.ClientWithToken(await app.TokenAsync($"{role}-{Guid.NewGuid():N}", role, ns));

    [Fact]
    public async Task Without_a_token_the_api_answers_401_and_says_how_to_authenticate()
    {
        var response = await app.CreateClient().GetAsync("/api/v1/models");
        var problem = await response.ExpectAsync(401, "UNAUTHENTICATED");
        Assert.Contains("Bearer", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_and_readiness_need_no_token()
    {
        await (await app.CreateClient().GetAsync("/health")).ExpectAsync(200);
        await (await app.CreateClient().GetAsync("/ready")).ExpectAsync(200);
    }

    [Fact]
    public async Task An_unknown_or_revoked_token_is_401()
    {
        await (await app.ClientWithToken("cairn_not-a-real-token").GetAsync("/api/v1/models")).ExpectAsync(401, "UNAUTHENTICATED");

        var admin = await AdminAsync();
        var created = await (await admin.PostJsonAsync("/api/v1/tokens", new { name = "short-lived", role = "reader" })).ExpectAsync(201);
        var secret = (string)created["secret"]!;
        await (await app.ClientWithToken(secret).GetAsync("/api/v1/models")).ExpectAsync(200);

        await (await admin.DeleteAsync("/api/v1/tokens/short-lived")).ExpectAsync(200);
        await (await app.ClientWithToken(secret).GetAsync("/api/v1/models")).ExpectAsync(401, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task The_token_works_as_the_password_of_http_basic_as_mlflow_clients_send_it()
    {
        var secret = await app.TokenAsync($"basic-{Guid.NewGuid():N}", "reader");
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("anyone:" + secret)));
        await (await client.GetAsync("/api/v1/models")).ExpectAsync(200);
    }

    [Fact]
    public async Task A_role_on_a_namespace_covers_its_sub_namespaces_but_not_its_siblings()
    {
        var writer = await ClientAsync("writer", "/acme");

        await (await writer.PostJsonAsync("/api/v1/models", new { @namespace = "/acme/claims", model_name = "m" })).ExpectAsync(201);
        await (await writer.PostJsonAsync("/api/v1/models/acme.claims.m/versions", new { })).ExpectAsync(201);
        var denied = await (await writer.PostJsonAsync("/api/v1/models", new { @namespace = "/other", model_name = "m" })).ExpectAsync(403, "PERMISSION_DENIED");
        Assert.Contains("writer role on namespace '/other'", (string?)denied["detail"], StringComparison.Ordinal);
        await (await writer.PostJsonAsync("/api/v1/models", new { @namespace = "/acmex", model_name = "m" })).ExpectAsync(403, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task A_reader_can_read_but_not_write_and_searches_show_only_readable_namespaces()
    {
        var admin = await AdminAsync();
        await (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/readable", model_name = "m" })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/hidden", model_name = "m" })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/hidden.m/versions", new { })).ExpectAsync(201);
        var reader = await ClientAsync("reader", "/readable");

        await (await reader.GetAsync("/api/v1/models/readable.m")).ExpectAsync(200);
        await (await reader.GetAsync("/api/v1/models/hidden.m")).ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.PatchJsonAsync("/api/v1/models/readable.m", new { owner = "me" })).ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.PostJsonAsync("/api/v1/models/readable.m/versions", new { })).ExpectAsync(403, "PERMISSION_DENIED");

        var models = (await (await reader.GetAsync("/api/v1/models")).ExpectAsync(200))["models"]!.AsArray();
        Assert.Equal(["readable.m"], models.Select(m => (string?)m!["full_name"]));
        Assert.Empty((await (await reader.GetAsync("/api/v1/versions")).ExpectAsync(200))["versions"]!.AsArray());
    }

    [Fact]
    public async Task Promoting_to_production_needs_the_approver_role()
    {
        var admin = await AdminAsync();
        await (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/gate", model_name = "m" })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/gate.m/versions", new { })).ExpectAsync(201);
        var writer = await ClientAsync("writer", "/gate");
        var approver = await ClientAsync("approver", "/gate");

        await (await writer.PostJsonAsync("/api/v1/models/gate.m/versions/1/stage", new { stage = "Staging" })).ExpectAsync(200);
        await (await writer.PostJsonAsync("/api/v1/models/gate.m/versions/1/stage", new { stage = "Production" })).ExpectAsync(403, "PERMISSION_DENIED");
        var promoted = await (await approver.PostJsonAsync("/api/v1/models/gate.m/versions/1/stage", new { stage = "Production" })).ExpectAsync(200);
        Assert.StartsWith("approver-", (string?)promoted["updated_by"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_and_reading_the_audit_log_need_admin()
    {
        var admin = await AdminAsync();
        await (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/guarded", model_name = "m" })).ExpectAsync(201);
        var writer = await ClientAsync("writer", "/");

        await (await writer.DeleteAsync("/api/v1/models/guarded.m")).ExpectAsync(403, "PERMISSION_DENIED");
        await (await writer.GetAsync("/api/v1/audit")).ExpectAsync(403, "PERMISSION_DENIED");
        await (await writer.GetAsync("/api/v1/audit/verify")).ExpectAsync(403, "PERMISSION_DENIED");
        await (await writer.GetAsync("/api/v1/tokens")).ExpectAsync(403, "PERMISSION_DENIED");
        await (await writer.PostJsonAsync("/api/v1/tokens", new { name = "escalate", role = "admin" })).ExpectAsync(403, "PERMISSION_DENIED");
        await (await admin.GetAsync("/api/v1/audit")).ExpectAsync(200);
    }

    [Fact]
    public async Task Token_management_validates_its_input_and_never_lists_secrets()
    {
        var admin = await AdminAsync();
        await (await admin.PostJsonAsync("/api/v1/tokens", new { name = "bad", role = "superuser" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await admin.PostJsonAsync("/api/v1/tokens", new { role = "reader" })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await admin.PostJsonAsync("/api/v1/tokens", new { name = "twice", role = "reader" })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/tokens", new { name = "twice", role = "reader" })).ExpectAsync(409, "RESOURCE_ALREADY_EXISTS");
        await (await admin.DeleteAsync("/api/v1/tokens/nobody")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");

        var listing = await (await admin.GetAsync("/api/v1/tokens")).Content.ReadAsStringAsync();
        Assert.Contains("twice", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("cairn_", listing, StringComparison.Ordinal);
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT COUNT(*) FROM api_tokens WHERE token_hash LIKE 'cairn_%'"));
    }
}
