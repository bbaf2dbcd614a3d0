using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Cairn.Events;
using Cairn.Storage;
using Cairn.Tests.Api;
using Cairn.Tests.Ui;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Events;

/// <summary>
/// Issue 16 item 4: Data Protection's keys live in the metadata database, so every replica on the same store (and
/// the same server after a restart) reads the UI's cookies and the webhook secrets another one protected. Each test
/// starts its replicas on a store of its own; <see cref="CairnApp"/> itself is never started, it only owns the store.
/// </summary>
public sealed partial class DataProtectionKeysTests : IDisposable
{
    private readonly CairnApp _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public void A_secret_protected_by_one_replica_is_unprotected_by_another()
    {
        using var first = new Replica(_store);
        using var second = new Replica(_store);
        var stored = first.Services.GetRequiredService<ISecretProtector>().Protect("whsec-one");

        Assert.DoesNotContain("whsec-one", stored, StringComparison.Ordinal);
        Assert.Equal("whsec-one", second.Services.GetRequiredService<ISecretProtector>().Unprotect(stored));
    }

    [Fact]
    public void A_server_on_another_store_cannot_unprotect_the_secret()
    {
        using var replica = new Replica(_store);
        var stored = replica.Services.GetRequiredService<ISecretProtector>().Protect("whsec-two");

        // Proves the key ring comes from the database, not from a folder every process of this user shares.
        using var stranger = new CairnApp();
        Assert.ThrowsAny<CryptographicException>(() => stranger.Services.GetRequiredService<ISecretProtector>().Unprotect(stored));
    }

    [Fact]
    public async Task The_key_ring_survives_a_restart_and_lives_in_the_database()
    {
        string stored;
        using (var before = new Replica(_store))
        {
            stored = before.Services.GetRequiredService<ISecretProtector>().Protect("whsec-three");
        }
        using var after = new Replica(_store);
        Assert.Equal("whsec-three", after.Services.GetRequiredService<ISecretProtector>().Unprotect(stored));

        Assert.Equal(1, await _store.ScalarAsync<long>("SELECT COUNT(*) FROM data_protection_keys"));
        var xml = await _store.ScalarAsync<string>("SELECT xml FROM data_protection_keys");
        Assert.Equal("key", XElement.Parse(xml).Name.LocalName);
    }

    [Fact]
    public void A_cookie_unprotected_as_a_secret_is_refused()
    {
        using var replica = new Replica(_store);
        var other = replica.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Some.Other.Purpose").Protect("x");
        Assert.ThrowsAny<CryptographicException>(() => replica.Services.GetRequiredService<ISecretProtector>().Unprotect(other));
    }

    [Fact]
    public async Task A_ui_session_started_on_one_replica_is_accepted_by_another()
    {
        using var first = new Replica(_store, "token");
        using var second = new Replica(_store, "token");
        var name = $"ui-replica-{Guid.NewGuid():N}";
        var token = await first.TokenAsync(name, "reader");

        // The sign-in form comes from one replica and its post lands on the other, as behind a load balancer: the
        // anti-forgery cookie and field must be readable there too.
        using var form = await first.Plain().GetAsync("/signin");
        var html = await form.Content.ReadAsStringAsync();
        var antiforgery = CookieOf(form, "cairn_antiforgery");
        var field = WebUtility.HtmlDecode(AntiforgeryField().Match(html).Groups["value"].Value);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("token", token), KeyValuePair.Create("return", "/"), KeyValuePair.Create("__RequestVerificationToken", field)]),
        };
        post.Headers.Add("Cookie", antiforgery);
        using var signedIn = await second.Plain().SendAsync(post);
        Assert.Equal(302, (int)signedIn.StatusCode);
        Assert.Equal("/", signedIn.Headers.Location?.OriginalString);
        var session = CookieOf(signedIn, "cairn_session");

        using var page = new HttpRequestMessage(HttpMethod.Get, "/");
        page.Headers.Add("Cookie", session);
        using var onFirst = await first.Plain().SendAsync(page);
        Assert.Equal(200, (int)onFirst.StatusCode);
        Assert.Contains(name, await onFirst.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replicas_creating_keys_at_once_all_succeed_and_all_see_every_key()
    {
        using var replica = new Replica(_store);
        replica.Services.GetRequiredService<ISecretProtector>().Protect("migrated"); // starts the host: migrations applied
        var database = _store.PostgresDatabase ?? _store.DatabasePath;
        var providers = Enumerable.Range(0, 4).Select(_ => KeyRing(database)).ToList();
        try
        {
            await Task.WhenAll(providers.Select(p => Task.Run(() =>
            {
                var keys = p.GetRequiredService<IKeyManager>();
                for (var i = 0; i < 5; i++)
                {
                    keys.CreateNewKey(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(90));
                }
            })));
            var expected = 1 + (4 * 5);
            Assert.Equal(expected, await _store.ScalarAsync<long>("SELECT COUNT(*) FROM data_protection_keys"));
            Assert.All(providers, p => Assert.Equal(expected, p.GetRequiredService<IKeyManager>().GetAllKeys().Count));
        }
        finally
        {
            providers.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task Storing_the_same_key_twice_at_once_keeps_one_row_and_fails_neither()
    {
        using var replica = new Replica(_store);
        replica.Services.GetRequiredService<ISecretProtector>().Protect("migrated");
        var repository = new DatabaseKeyRepository(replica.Services.GetRequiredService<CairnDatabase>(), TimeProvider.System);
        var element = new XElement("key", new XAttribute("id", Guid.NewGuid()));

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => repository.StoreElement(element, "key-same"))));

        Assert.Equal(1, await _store.ScalarAsync<long>("SELECT COUNT(*) FROM data_protection_keys WHERE name = 'key-same'"));
    }

    [Fact]
    public async Task With_a_key_encryption_certificate_keys_are_stored_encrypted_and_every_replica_with_it_reads_them()
    {
        var pfx = Path.Combine(_store.DataDir, "keys.pfx");
        using (var rsa = RSA.Create(2048))
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=cairn-keys", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            await File.WriteAllBytesAsync(pfx, selfSigned.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "pfx-password"));
        }
        var certificate = new Dictionary<string, string> { ["Cairn:KeyEncryptionCertificate"] = pfx, ["Cairn:KeyEncryptionCertificatePassword"] = "pfx-password" };
        using var first = new Replica(_store, settings: certificate);
        using var second = new Replica(_store, settings: certificate);
        var stored = first.Services.GetRequiredService<ISecretProtector>().Protect("whsec-four");

        Assert.Equal("whsec-four", second.Services.GetRequiredService<ISecretProtector>().Unprotect(stored));
        var xml = await _store.ScalarAsync<string>("SELECT xml FROM data_protection_keys");
        Assert.Contains("EncryptedData", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        // A replica without the certificate cannot read the key, so neither the secret.
        using var without = new Replica(_store);
        Assert.ThrowsAny<CryptographicException>(() => without.Services.GetRequiredService<ISecretProtector>().Unprotect(stored));
    }

    [Fact]
    public void A_key_encryption_certificate_that_cannot_be_read_stops_the_start_with_its_reason()
    {
        using var replica = new Replica(_store, settings: new Dictionary<string, string> { ["Cairn:KeyEncryptionCertificate"] = Path.Combine(_store.DataDir, "missing.pfx") });
        var error = Assert.ThrowsAny<Exception>(() => replica.Services.GetRequiredService<ISecretProtector>());
        Assert.Contains("Cairn:KeyEncryptionCertificate", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A bare Data Protection container over the store, as a second process would build it.</summary>
    private static ServiceProvider KeyRing(string database)
    {
        var services = new ServiceCollection();
        services.AddSingleton(CairnDatabase.Open(database));
        services.AddDataProtection().SetApplicationName("Cairn").PersistKeysToCairnDatabase();
        return services.BuildServiceProvider();
    }

    private static string CookieOf(HttpResponseMessage response, string name) =>
        response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith(name + "=", StringComparison.Ordinal));

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"(?<value>[^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>A server on another app's store (its data directory and database), as a replica or a restarted server.</summary>
    private sealed class Replica(CairnApp store, string auth = "none", IReadOnlyDictionary<string, string>? settings = null) : CairnApp(auth)
    {
        public HttpClient Plain() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Cairn:DataDir", store.DataDir);
            if (store.PostgresDatabase is not null)
            {
                builder.UseSetting("Cairn:Database", store.PostgresDatabase);
            }
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                builder.UseSetting(key, value);
            }
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            SqliteConnection.ClearAllPools();
        }
    }
}
