using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Cairn.Encryption;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Encryption;

/// <summary>
/// Issue 19 item 7: the key ring kept where every replica reads it (the database, or <c>Cairn:KeyRingDirectory</c>),
/// rotated by Data Protection's key lifetime and on demand by an admin (audited); what was sealed before a rotation
/// still reads after it.
/// </summary>
public sealed class KeyRingTests : IDisposable
{
    private readonly string _keys = Directory.CreateTempSubdirectory("cairn-keyring-").FullName;

    public void Dispose() => Directory.Delete(_keys, recursive: true);

    [Fact]
    public async Task A_rotation_by_an_admin_makes_a_new_key_is_audited_and_older_secrets_and_files_still_read()
    {
        using var app = new SettingsApp(new Dictionary<string, string> { ["Cairn:EncryptFiles"] = "true" });
        var client = app.CreateClient();
        await (await client.PostJsonAsync("/api/v1/models", new
        {
            @namespace = "/rot",
            model_name = "m",
            data_sources = new[] { new { name = "w", connection = new { password = "pw-before" } } },
        })).ExpectAsync(201);
        await (await client.PostJsonAsync("/api/v1/models/rot.m/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);
        var before = new byte[70_000];
        Random.Shared.NextBytes(before);
        await (await client.PutAsync("/api/v1/models/rot.m/versions/1/files/a.bin", new ByteArrayContent(before) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } })).ExpectAsync(201);
        var keysBefore = (await (await client.GetAsync("/api/v1/admin/keys")).ExpectAsync(200))["keys"]!.AsArray();

        var rotated = await (await client.PostAsync("/api/v1/admin/keys/rotate", null)).ExpectAsync(200);

        var keysAfter = (await (await client.GetAsync("/api/v1/admin/keys")).ExpectAsync(200))["keys"]!.AsArray();
        Assert.Equal(keysBefore.Count + 1, keysAfter.Count);
        Assert.Equal((string?)rotated["id"], (string?)keysAfter[0]!["id"]);
        var audit = (await (await client.GetAsync("/api/v1/audit?action=keys.rotate")).ExpectAsync(200))["entries"]!.AsArray();
        Assert.Equal($"keys/{(string?)rotated["id"]}", (string?)Assert.Single(audit)!["resource"]);

        // Written after the rotation: under the new key. Both read, on this server and on a restart of it.
        await (await client.PatchJsonAsync("/api/v1/models/rot.m", new { data_sources = new[] { new { name = "w", connection = new { password = "****" } }, new { name = "x", connection = new { password = "pw-after" } } } })).ExpectAsync(200);
        using var restarted = new SettingsApp(new Dictionary<string, string>(), app);
        var revealed = JsonNode.Parse(await restarted.RevealedDataSourcesAsync("rot.m", store: app))!.AsArray();
        Assert.Equal(("pw-before", "pw-after"), ((string?)revealed[0]!["connection"]!["password"], (string?)revealed[1]!["connection"]!["password"]));
        Assert.Equal(before, await restarted.CreateClient().GetByteArrayAsync("/api/v1/models/rot.m/versions/1/files/a.bin"));
    }

    [Fact]
    public async Task Only_a_root_admin_rotates_the_key_ring()
    {
        using var app = new TokenAuthApp();
        var writer = app.ClientWithToken(await app.TokenAsync("w", "writer"));
        await (await writer.PostAsync("/api/v1/admin/keys/rotate", null)).ExpectAsync(403, "PERMISSION_DENIED");
        await (await writer.GetAsync("/api/v1/admin/keys")).ExpectAsync(403, "PERMISSION_DENIED");
        var admin = app.ClientWithToken(await app.TokenAsync("a", "admin"));
        await (await admin.PostJsonAsync("/api/v1/admin/keys/rotate", new { activate_in_hours = 48 })).ExpectAsync(200);
        await (await admin.PostJsonAsync("/api/v1/admin/keys/rotate", new { activate_in_hours = -1 })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        // Beyond what a TimeSpan holds (found by the route fuzz as a 500).
        await (await admin.PostJsonAsync("/api/v1/admin/keys/rotate", new { activate_in_hours = -1e300 })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await admin.PostJsonAsync("/api/v1/admin/keys/rotate", new { activate_in_hours = 1e300 })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Two_servers_sharing_a_key_ring_directory_read_each_others_secrets_and_the_database_holds_no_key()
    {
        var settings = new Dictionary<string, string> { ["Cairn:KeyRingDirectory"] = _keys };
        using var first = new SettingsApp(settings);
        using var second = new SettingsApp(settings);
        // Different databases on purpose: only the directory is shared.
        var sealedByFirst = first.Services.GetRequiredService<StoredSecrets>().SealVariables(new Dictionary<string, string> { ["DB_PASSWORD"] = "pw-shared" });
        var sealedBySecond = second.Services.GetRequiredService<StoredSecrets>().SealVariables(new Dictionary<string, string> { ["API_TOKEN"] = "tok-shared" });

        Assert.Equal("pw-shared", second.Services.GetRequiredService<StoredSecrets>().RevealVariables(sealedByFirst)["DB_PASSWORD"]);
        Assert.Equal("tok-shared", first.Services.GetRequiredService<StoredSecrets>().RevealVariables(sealedBySecond)["API_TOKEN"]);
        Assert.NotEmpty(Directory.GetFiles(_keys, "key-*.xml"));
        Assert.Equal(0, await first.ScalarAsync<long>("SELECT COUNT(*) FROM data_protection_keys"));

        using var stranger = new SettingsApp(new Dictionary<string, string>());
        var e = Assert.Throws<StoredSecretException>(() => stranger.Services.GetRequiredService<StoredSecrets>().RevealVariables(sealedByFirst));
        Assert.Contains("key ring cannot decrypt", e.Message, StringComparison.Ordinal);
    }
}
