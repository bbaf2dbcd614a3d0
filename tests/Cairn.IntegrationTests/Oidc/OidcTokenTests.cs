using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests.Oidc;

/// <summary>
/// Bearer tokens of a real OpenID provider (oidc-provider on Node.js) beside API tokens: accepted with the roles their
/// user and groups are bound to; expired, wrong-audience and foreign-key tokens refused with 401.
/// </summary>
public sealed class OidcTokenTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static async Task<JsonObject> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {text}");
        return text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task Discovery_documents_the_endpoints_cairn_reads_its_keys_from()
    {
        using var http = new HttpClient();
        var metadata = (await http.GetFromJsonAsync<JsonObject>(fixture.Provider.Issuer + "/.well-known/openid-configuration"))!;
        Assert.Equal(fixture.Provider.Issuer, (string?)metadata["issuer"]);
        Assert.NotNull(metadata["jwks_uri"]);
        Assert.Contains("S256", metadata["code_challenge_methods_supported"]!.AsArray().Select(m => (string?)m));

        // Cairn found the keys through that document: a provider's token is accepted.
        using var client = fixture.Client(await fixture.Provider.UserTokenAsync("dora"));
        await ExpectAsync(await client.GetAsync("/api/v1/models"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_valid_token_is_accepted_with_its_users_bindings_and_the_audit_names_the_user()
    {
        await fixture.GrantAsync("user", "carol", "writer", "/carol");
        using var carol = fixture.Client(await fixture.Provider.UserTokenAsync("carol"));

        await ExpectAsync(await carol.PostAsJsonAsync("/api/v1/models", new { @namespace = "/carol/exp", model_name = "m" }), HttpStatusCode.Created);
        var denied = await ExpectAsync(await carol.PostAsJsonAsync("/api/v1/models", new { @namespace = "/elsewhere", model_name = "m" }), HttpStatusCode.Forbidden);
        Assert.Contains("'carol'", (string?)denied["detail"], StringComparison.Ordinal);

        var entries = (await fixture.Admin.GetFromJsonAsync<JsonObject>("/api/v1/audit?resource=models/carol.exp.m"))!["entries"]!.AsArray();
        Assert.Equal("carol", (string?)entries[0]!["actor"]);

        // API tokens keep working beside the provider's tokens.
        await ExpectAsync(await fixture.Admin.GetAsync("/api/v1/role-bindings"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_group_claim_gets_the_role_bound_to_the_group()
    {
        await fixture.GrantAsync("group", "data-admins", "admin");
        using var bob = fixture.Client(await fixture.Provider.UserTokenAsync("bob"));
        using var alice = fixture.Client(await fixture.Provider.UserTokenAsync("alice"));

        // Listing role bindings needs admin somewhere: bob is admin of / through data-admins; alice's group has no binding.
        var seen = await ExpectAsync(await bob.GetAsync("/api/v1/role-bindings?principal_kind=group"), HttpStatusCode.OK);
        Assert.Contains("data-admins", seen["role_bindings"]!.AsArray().Select(b => (string?)b!["principal"]));
        await ExpectAsync(await alice.PostAsJsonAsync("/api/v1/models", new { @namespace = "/ml", model_name = "churn" }), HttpStatusCode.Forbidden);

        await fixture.GrantAsync("group", "ml-team", "writer", "/ml");
        await ExpectAsync(await alice.PostAsJsonAsync("/api/v1/models", new { @namespace = "/ml", model_name = "churn" }), HttpStatusCode.Created);
    }

    [Fact]
    public async Task An_expired_token_is_refused_with_401()
    {
        // Signed with the provider's own key, expired ten minutes ago (beyond the five minutes of clock skew allowed).
        var token = await fixture.Provider.SignAsync(new { sub = "erin", preferred_username = "erin", aud = OidcProvider.Audience, iat = Now - 1800, exp = Now - 600 });
        using var client = fixture.Client(token);
        var problem = await ExpectAsync(await client.GetAsync("/api/v1/models"), HttpStatusCode.Unauthorized);
        Assert.Equal("UNAUTHENTICATED", (string?)problem["error_code"]);
        Assert.Contains("expired", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused_with_401()
    {
        using var client = fixture.Client(await fixture.Provider.UserTokenAsync("frank", resource: "api://another-service"));
        var problem = await ExpectAsync(await client.GetAsync("/api/v1/models"), HttpStatusCode.Unauthorized);
        Assert.Contains("audience", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_signed_by_a_key_the_provider_never_published_is_refused_with_401()
    {
        var token = await fixture.Provider.ForgeAsync(new { sub = "mallory", preferred_username = "mallory", aud = OidcProvider.Audience, iat = Now, exp = Now + 600 });
        using var client = fixture.Client(token);
        var problem = await ExpectAsync(await client.GetAsync("/api/v1/models"), HttpStatusCode.Unauthorized);
        Assert.Contains("not signed by a key", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_bearer_is_still_an_unknown_api_token()
    {
        using var client = fixture.Client("cairn_not.a.jwt");
        await ExpectAsync(await client.GetAsync("/api/v1/models"), HttpStatusCode.Unauthorized);
    }
}

/// <summary>The provider rotates its signing key; Cairn accepts tokens signed with the new key without a restart.</summary>
public sealed class OidcKeyRotationTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    [Fact]
    public async Task After_the_provider_rotates_its_key_new_tokens_are_accepted_without_a_restart()
    {
        await fixture.GrantAsync("user", "grace", "reader");
        using (var before = fixture.Client(await fixture.Provider.UserTokenAsync("grace")))
        {
            Assert.Equal(HttpStatusCode.OK, (await before.GetAsync("/api/v1/models")).StatusCode);
        }

        var kid = await fixture.Provider.RotateKeysAsync();
        var token = await fixture.Provider.UserTokenAsync("grace");
        Assert.Contains(kid, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Pad(token.Split('.')[0]))), StringComparison.Ordinal);

        // The unknown key id makes Cairn fetch the provider's keys again; the fetch may complete after the first request
        // that asked for it, so the test polls (with a deadline) rather than expecting the very first answer to be 200.
        using var after = fixture.Client(token);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        HttpResponseMessage response;
        while ((response = await after.GetAsync("/api/v1/models")).StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            response.Dispose();
            await Task.Delay(200);
        }
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync() + fixture.Cairn.Log);
        response.Dispose();
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }
}
