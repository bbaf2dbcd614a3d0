using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests.Ui;

/// <summary>How the server under a browser test authenticates callers (its <c>--auth</c>).</summary>
public enum UiAuth
{
    /// <summary>Every caller is the local admin.</summary>
    None,

    /// <summary>API tokens; the server starts with a first admin token (<see cref="UiServer.AdminToken"/>).</summary>
    Token,
}

/// <summary>
/// A real <c>cairn serve</c> for the browser tests, on a free loopback port and a throwaway data directory: on SQLite,
/// or on a throwaway PostgreSQL database when CAIRN_TEST_POSTGRES is set (as scripts/test sets it). Data is seeded
/// through the native API with <see cref="Api"/> (the admin token attached under <see cref="UiAuth.Token"/>) before
/// the browser looks. Disposing it stops the server and removes its data.
/// </summary>
public sealed class UiServer : IAsyncDisposable
{
    private readonly ServerProcess _process;
    private readonly string _dataDir;
    private readonly Postgres? _database;

    private UiServer(ServerProcess process, string dataDir, Postgres? database, string? adminToken)
    {
        _process = process;
        _dataDir = dataDir;
        _database = database;
        AdminToken = adminToken;
        Api = new HttpClient { BaseAddress = new Uri(process.Url) };
        if (adminToken is not null)
        {
            Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        }
    }

    /// <summary>The server's base URL, such as http://127.0.0.1:41234.</summary>
    public string Url => _process.Url;

    /// <summary>"postgresql" or "sqlite": the metadata store this server runs on.</summary>
    public string Backend => _database is null ? "sqlite" : "postgresql";

    /// <summary>The first admin's API token under <see cref="UiAuth.Token"/>; null under <see cref="UiAuth.None"/>.</summary>
    public string? AdminToken { get; }

    /// <summary>The native API as the admin: for seeding data and checking what the browser did.</summary>
    public HttpClient Api { get; }

    /// <summary>What the server has written to stdout and stderr so far, for failure messages.</summary>
    public string Log => _process.Log;

    /// <summary>Starts <c>cairn serve --auth none|token</c> on a fresh store and waits until it is ready.</summary>
    public static async Task<UiServer> StartAsync(UiAuth auth = UiAuth.None)
    {
        var dataDir = Directory.CreateTempSubdirectory("cairn-ui-").FullName;
        var database = Postgres.Server is null ? null : Postgres.CreateDatabase();
        try
        {
            string[] store = database is null ? ["--data-dir", dataDir] : ["--data-dir", dataDir, "--database", database.ConnectionString];
            var adminToken = auth == UiAuth.Token ? await FirstAdminTokenAsync(dataDir, store, database) : null;
            var process = await ServerProcess.StartAsync([.. store, "--auth", auth == UiAuth.Token ? "token" : "none"]);
            return new UiServer(process, dataDir, database, adminToken);
        }
        catch
        {
            database?.Dispose();
            Directory.Delete(dataDir, recursive: true);
            throw;
        }
    }

    /// <summary>POSTs <paramref name="body"/> as JSON to the native API as the admin, fails the test unless it succeeds, and returns the answer.</summary>
    /// <param name="path">Such as <c>/api/v1/models</c>.</param>
    /// <param name="body">Serialised with System.Text.Json's web defaults.</param>
    public async Task<JsonNode?> SeedAsync(string path, object body)
    {
        using var response = await Api.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>Creates an API token through the API and returns its secret, for signing in as someone other than the admin.</summary>
    /// <param name="name">The token's unique name.</param>
    /// <param name="role">reader, writer, approver or admin.</param>
    /// <param name="namespace">Where the role applies; null for everywhere.</param>
    public async Task<string> CreateTokenAsync(string name, string role, string? @namespace = null)
    {
        var created = await SeedAsync("/api/v1/tokens", new { name, role, @namespace });
        return (string)created!["secret"]!;
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await _process.DisposeAsync();
        _database?.Dispose();
        Directory.Delete(_dataDir, recursive: true);
    }

    /// <summary>
    /// The first admin token, made as an operator would: offline with <c>cairn token create --data-dir</c> on SQLite;
    /// on PostgreSQL (which that command cannot open) through the API of a short-lived <c>--auth none</c> server.
    /// </summary>
    private static async Task<string> FirstAdminTokenAsync(string dataDir, string[] store, Postgres? database)
    {
        if (database is null)
        {
            var created = await Cli.RunAsync("token", "create", "--init", "--data-dir", dataDir, "--name", "ui-admin", "--role", "admin");
            Assert.True(created.ExitCode == 0, created.Stdout + created.Stderr);
            return created.LastWord;
        }
        await using var open = await ServerProcess.StartAsync([.. store, "--auth", "none"]);
        using var http = new HttpClient { BaseAddress = new Uri(open.Url) };
        using var response = await http.PostAsJsonAsync("/api/v1/tokens", new { name = "ui-admin", role = "admin" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (string)JsonNode.Parse(text)!["secret"]!;
    }
}

/// <summary>
/// One <see cref="UiServer"/> (<c>--auth none</c>) shared by a test class: <c>IClassFixture&lt;UiServerFixture&gt;</c>.
/// Tests sharing it see each other's data, so each seeds under names of its own.
/// </summary>
public class UiServerFixture : IAsyncLifetime
{
    private UiServer? _server;

    public UiServer Server => _server ?? throw new InvalidOperationException("The server is not started.");

    protected virtual UiAuth Auth => UiAuth.None;

    public async Task InitializeAsync() => _server = await UiServer.StartAsync(Auth);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>One <see cref="UiServer"/> with <c>--auth token</c> shared by a test class: <c>IClassFixture&lt;UiTokenServerFixture&gt;</c>.</summary>
public sealed class UiTokenServerFixture : UiServerFixture
{
    protected override UiAuth Auth => UiAuth.Token;
}
