using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests.Oidc;

/// <summary>
/// A real OpenID provider: the oidc-provider npm package run by Node.js from tests/oidc-provider (server.mjs), on
/// 127.0.0.1. Any login with any password signs in; "alice" is in the group ml-team, "bob" in data-admins and ml-team.
/// Its access tokens are JWTs for the requested resource (api://cairn by default). Installs its pinned packages when
/// they are missing (scripts/test installs them too).
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string Audience = "api://cairn";
    public const string ClientId = "cairn";
    public const string ClientSecret = "cairn-test-secret";
    private static readonly SemaphoreSlim Install = new(1, 1);
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly HttpClient _http;

    private OidcProvider(Process process, string issuer)
    {
        _process = process;
        Issuer = issuer;
        _http = new HttpClient { BaseAddress = new Uri(issuer) };
    }

    /// <summary>The provider's issuer URL, which Cairn is given as its authority.</summary>
    public string Issuer { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the provider for a Cairn server at <paramref name="cairnUrl"/> (its redirect URIs) and waits until it listens.</summary>
    public static async Task<OidcProvider> StartAsync(string cairnUrl)
    {
        var directory = Path.Combine(Repository.Root, "tests", "oidc-provider");
        await EnsureInstalledAsync(directory);
        var port = ServerProcess.FreePort();
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("server.mjs");
        info.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(cairnUrl);
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start node: is Node.js installed?");
        var provider = new OidcProvider(process, $"http://127.0.0.1:{port}");
        process.ErrorDataReceived += (_, e) =>
        {
            lock (provider._log)
            {
                provider._log.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            // Its only line on stdout: "listening <issuer>".
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The OpenID provider did not start:\n{line}\n{provider.Log}");
            }
        }
        catch (OperationCanceledException)
        {
            await provider.DisposeAsync();
            throw new TimeoutException($"The OpenID provider did not listen within 30 s:\n{provider.Log}");
        }
        return provider;
    }

    /// <summary>
    /// An access token for <paramref name="user"/>, got as a CLI would: the authorization code flow with PKCE through
    /// the provider's own login form (posted without a browser), then the token endpoint.
    /// </summary>
    public async Task<string> UserTokenAsync(string user, string resource = Audience)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(Issuer) };
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        const string redirect = "http://127.0.0.1/callback";
        var location = await RedirectAsync(http, HttpMethod.Get, "/auth?client_id=cairn-cli&response_type=code&scope=openid%20profile%20groups"
            + $"&redirect_uri={Uri.EscapeDataString(redirect)}&code_challenge={challenge}&code_challenge_method=S256&resource={Uri.EscapeDataString(resource)}", null);
        location = await RedirectAsync(http, HttpMethod.Post, location, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["prompt"] = "login",
            ["login"] = user,
            ["password"] = "any",
        }));
        location = await RedirectAsync(http, HttpMethod.Get, location, null);
        var code = System.Web.HttpUtility.ParseQueryString(new Uri(location).Query)["code"]
            ?? throw new InvalidOperationException($"No code in {location}");
        using var response = await http.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["client_id"] = "cairn-cli",
            ["redirect_uri"] = redirect,
            ["code_verifier"] = verifier,
            ["resource"] = resource,
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return (string)JsonNode.Parse(body)!["access_token"]!;
    }

    /// <summary>Claims signed with the provider's current signing key (for tokens it would not issue, such as an expired one).</summary>
    public Task<string> SignAsync(object claims) => TestTokenAsync("/_test/sign", claims);

    /// <summary>Claims signed with a key the provider never published.</summary>
    public Task<string> ForgeAsync(object claims) => TestTokenAsync("/_test/forge", claims);

    /// <summary>Starts signing with a new key; the old one stays published. Returns the new key's id.</summary>
    public async Task<string> RotateKeysAsync()
    {
        using var response = await _http.PostAsync("/_test/rotate", null);
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["kid"]!;
    }

    private async Task<string> TestTokenAsync(string path, object claims)
    {
        using var response = await _http.PostAsJsonAsync(path, claims);
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!;
    }

    private static async Task<string> RedirectAsync(HttpClient http, HttpMethod method, string url, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        using var response = await http.SendAsync(request);
        var location = response.Headers.Location
            ?? throw new InvalidOperationException($"{method} {url} answered {(int)response.StatusCode} without a redirect: {await response.Content.ReadAsStringAsync()}");
        return location.IsAbsoluteUri ? location.ToString() : new Uri(http.BaseAddress!, location).ToString();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task EnsureInstalledAsync(string directory)
    {
        await Install.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(directory, "node_modules", "oidc-provider")))
            {
                return;
            }
            var info = new ProcessStartInfo("npm", "ci --no-audit --no-fund --loglevel=error") { WorkingDirectory = directory, UseShellExecute = false };
            using var npm = Process.Start(info)!;
            await npm.WaitForExitAsync();
            Assert.True(npm.ExitCode == 0, "npm ci in tests/oidc-provider failed");
        }
        finally
        {
            Install.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

/// <summary>
/// One OpenID provider and one <c>cairn serve</c> signing in with it (on a fresh SQLite store, with an admin API token
/// made offline), shared by a test class: <c>IClassFixture&lt;OidcFixture&gt;</c>.
/// </summary>
public sealed class OidcFixture : IAsyncLifetime
{
    private string? _dataDir;

    public OidcProvider Provider { get; private set; } = null!;

    public ServerProcess Cairn { get; private set; } = null!;

    /// <summary>A client of the Cairn server with the admin API token.</summary>
    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var url = ServerProcess.FreeUrl();
        Provider = await OidcProvider.StartAsync(url);
        _dataDir = Directory.CreateTempSubdirectory("cairn-oidc-").FullName;
        var created = await Cli.RunAsync("token", "create", "--init", "--data-dir", _dataDir, "--name", "oidc-admin", "--role", "admin");
        Assert.True(created.ExitCode == 0, created.Stdout + created.Stderr);
        Cairn = await ServerProcess.StartAsync(
            ["--urls", url, "--data-dir", _dataDir, "--oidc-authority", Provider.Issuer, "--oidc-client-id", OidcProvider.ClientId,
             "--oidc-audience", OidcProvider.Audience, "--oidc-scopes", "openid profile groups", "--oidc-provider-name", "Test IdP"],
            env: new Dictionary<string, string> { ["CAIRN_OIDC_CLIENT_SECRET"] = OidcProvider.ClientSecret },
            url: url);
        Admin = Client(created.LastWord);
    }

    /// <summary>A client of the Cairn server sending <paramref name="bearer"/>.</summary>
    public HttpClient Client(string bearer)
    {
        var client = new HttpClient { BaseAddress = new Uri(Cairn.Url) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>Gives a principal a role through the API as the admin.</summary>
    public async Task GrantAsync(string kind, string principal, string role, string @namespace = "/")
    {
        using var response = await Admin.PostAsJsonAsync("/api/v1/role-bindings", new { principal_kind = kind, principal, role, @namespace });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (Cairn is not null)
        {
            await Cairn.DisposeAsync();
        }
        if (Provider is not null)
        {
            await Provider.DisposeAsync();
        }
        if (_dataDir is not null)
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}
