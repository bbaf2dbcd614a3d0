using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Governance;
using Cairn.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cairn.Tests.Api;

/// <summary>
/// The real server in-process over a real database — a SQLite file in a fresh temp data dir, or, when
/// <c>CAIRN_TEST_POSTGRES</c> names a PostgreSQL server (scripts/test starts one), a fresh database on it — one per
/// test class (or per test where a test needs a clean store). The same tests run on both backends.
/// </summary>
public class CairnApp : WebApplicationFactory<Program>
{
    private readonly string _auth;

    public CairnApp() : this("none")
    {
    }

    protected CairnApp(string auth)
    {
        _auth = auth;
        DataDir = Directory.CreateTempSubdirectory("cairn-test-").FullName;
        PostgresDatabase = TestBackend.CreateMigratedPostgresDatabase();
        if (PostgresDatabase is null)
        {
            TestBackend.CopyMigratedSqliteStore(DatabasePath);
        }
    }

    public string DataDir { get; }

    /// <summary>The PostgreSQL connection string of this app's database, or null on SQLite.</summary>
    public string? PostgresDatabase { get; }

    public string DatabasePath => Path.Combine(DataDir, "cairn.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Cairn:DataDir", DataDir);
        if (PostgresDatabase is not null)
        {
            builder.UseSetting("Cairn:Database", PostgresDatabase);
        }
        builder.UseSetting("Cairn:Auth", _auth);
        builder.UseSetting("Cairn:LocalUser", "tester");
        builder.ConfigureTestServices(services => services.TryAddSingleton<Cairn.Events.ISecretProtector>(Events.TestSecretProtector.Instance));
        if (ServerErrorLog.FromEnvironment() is { } errors)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(errors));
        }
    }

    /// <summary>Creates a token straight through the library, as `cairn token create --data-dir` does.</summary>
    public async Task<string> TokenAsync(string name, string role, string ns = "/")
    {
        var tokens = Services.GetRequiredService<ApiTokens>();
        var created = await tokens.CreateAsync(Caller.Admin("setup"), name, role, ns, CancellationToken.None);
        return created.Secret;
    }

    public HttpClient ClientWithToken(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Runs SQL straight against the database file, behind the server's back (tamper tests).</summary>
    public async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = OpenRaw();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = OpenRaw();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    private System.Data.Common.DbConnection OpenRaw() => PostgresDatabase is null
        ? new SqliteConnection($"Data Source={DatabasePath};Pooling=False")
        : new NpgsqlConnection(PostgresDatabase);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && PostgresDatabase is not null)
        {
            TestBackend.DropPostgresDatabase(PostgresDatabase);
        }
        if (disposing)
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(DataDir, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open must not fail the test run; the OS cleans temp.
            }
        }
    }
}

/// <summary>Which database engine the store tests run on: SQLite, or PostgreSQL when <c>CAIRN_TEST_POSTGRES</c> is set.</summary>
/// <remarks>
/// A server under test starts on a store that already has every migration: each test process migrates one template
/// (a PostgreSQL database, a SQLite file) once and every app gets a copy of it. Applying the 20-odd migrations per app
/// was most of an app's start-up on PostgreSQL; the migrations themselves are still run from empty, once per run, and
/// the server's own start still checks them and does the rest of its start-up (Default experiment, orphan sweep).
/// </remarks>
public static class TestBackend
{
    private static readonly Lazy<string> PostgresTemplate = new(CreatePostgresTemplate);
    private static readonly Lazy<string> SqliteTemplate = new(CreateSqliteTemplate);

    /// <summary>A connection string to a PostgreSQL server where the tests may create databases, or null.</summary>
    public static string? PostgresServer { get; } = Environment.GetEnvironmentVariable("CAIRN_TEST_POSTGRES") is { Length: > 0 } value ? value : null;

    /// <summary>A new empty database on <see cref="PostgresServer"/> (its connection string), or null on SQLite.</summary>
    public static string? CreatePostgresDatabase() => PostgresServer is null ? null : CreateDatabase(template: null);

    /// <summary>A new database with every migration applied (a copy of this run's template), or null on SQLite.</summary>
    public static string? CreateMigratedPostgresDatabase() => PostgresServer is null ? null : CreateDatabase(PostgresTemplate.Value);

    /// <summary>Puts a SQLite store with every migration applied at <paramref name="databasePath"/> (a copy of this run's template).</summary>
    public static void CopyMigratedSqliteStore(string databasePath) => File.Copy(SqliteTemplate.Value, databasePath);

    private static string CreateDatabase(string? template)
    {
        var name = "cairn_t_" + Guid.NewGuid().ToString("N")[..16];
        using (var admin = new NpgsqlConnection(PostgresServer))
        {
            admin.Open();
            using var create = admin.CreateCommand();
            create.CommandText = template is null ? $"CREATE DATABASE {name}" : $"CREATE DATABASE {name} TEMPLATE {template}";
            create.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name }.ConnectionString;
    }

    private static string CreatePostgresTemplate()
    {
        var connection = CreateDatabase(template: null);
        Migrate(connection);
        // A template may have no open sessions while it is copied.
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(connection).Database!;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Forget(() => DropPostgresDatabase(connection));
        return name;
    }

    private static string CreateSqliteTemplate()
    {
        var dir = Directory.CreateTempSubdirectory("cairn-template-").FullName;
        var path = Path.Combine(dir, "cairn.db");
        Migrate(path);
        // Everything into the main file, so that copying the file alone copies the store.
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            checkpoint.ExecuteNonQuery();
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Forget(() => Directory.Delete(dir, recursive: true));
        return path;
    }

    /// <summary>Clean-up at exit is best effort: a server that is already gone, or a file held open, must not fail the run.</summary>
    private static void Forget(Action cleanUp)
    {
        try
        {
            cleanUp();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NpgsqlException)
        {
        }
    }

    private static void Migrate(string setting)
    {
        using var database = CairnDatabase.Open(setting);
        Migrator.MigrateAsync(database, TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
    }

    public static void DropPostgresDatabase(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        using var admin = new NpgsqlConnection(PostgresServer);
        admin.Open();
        using var drop = admin.CreateCommand();
        drop.CommandText = $"DROP DATABASE IF EXISTS {name} WITH (FORCE)";
        drop.ExecuteNonQuery();
    }
}

/// <summary>The same server with <c>--auth token</c>.</summary>
public sealed class TokenAuthApp : CairnApp
{
    public TokenAuthApp() : base("token")
    {
    }
}

/// <summary>Small helpers for JSON over HTTP in tests.</summary>
public static class Http
{
    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException($"Not a JSON object: {text}");
    }

    /// <summary>Asserts the status and, for errors, the problem-details shape with its error_code.</summary>
    public static async Task<JsonObject> ExpectAsync(this HttpResponseMessage response, int status, string? errorCode = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        if (errorCode is null)
        {
            return body.Length == 0 ? [] : JsonNode.Parse(body) as JsonObject ?? [];
        }
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.Equal(errorCode, (string?)problem["error_code"]);
        Assert.Equal(status, (int?)problem["status"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["detail"]));
        return problem;
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, Options);

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, object body) =>
        client.PutAsJsonAsync(url, body, Options);

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string url, object body) =>
        client.PatchAsJsonAsync(url, body, Options);

    public static Task<HttpResponseMessage> SendRawAsync(this HttpClient client, HttpMethod method, string url, string body) =>
        client.SendAsync(new HttpRequestMessage(method, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") });

    private static JsonSerializerOptions Options { get; } = CairnJson.Options;
}
