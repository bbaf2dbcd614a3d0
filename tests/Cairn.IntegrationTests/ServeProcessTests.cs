using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Cairn.IntegrationTests;

/// <summary>The real `cairn serve` process and the real `cairn` CLI, over HTTP on loopback.</summary>
public sealed class ServeProcessTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cairn-it-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDir, recursive: true);
    }

    private static JsonNode Json(Cli.Result result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");
        return JsonNode.Parse(result.Stdout)!;
    }

    [Fact]
    public async Task The_first_admin_token_is_made_offline_and_the_cli_drives_a_token_protected_server()
    {
        var created = await Cli.RunAsync("token", "create", "--init", "--data-dir", _dataDir, "--name", "first-admin", "--role", "admin");
        Assert.True(created.ExitCode == 0, created.Stderr);
        var token = created.LastWord;
        Assert.StartsWith("cairn_", token, StringComparison.Ordinal);

        // Settings by environment variable: the data dir and the auth mode.
        await using var server = await ServerProcess.StartAsync([], new Dictionary<string, string> { ["CAIRN_DATA_DIR"] = _dataDir, ["CAIRN_AUTH"] = "token" });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/models")).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/models")).StatusCode);

        string[] connect = ["--server", server.Url, "--token", token];
        var model = Json(await Cli.RunAsync(["model", "create", "abc_corp.claim.doc_classification", "--description", "classifies claim documents", "--tag", "team=risk", "--json", .. connect], null));
        Assert.Equal("/abc_corp/claim", (string?)model["namespace"]);

        var version = Json(await Cli.RunAsync(["version", "create", "abc_corp.claim.doc_classification", "--metric", "auc=0.91", "--semver", "1.0.0", "--json", .. connect], null));
        Assert.Equal(1, (int)version["version"]!);
        Assert.Equal("first-admin", (string?)version["created_by"]);

        Assert.Equal(0, (await Cli.RunAsync(["alias", "set", "abc_corp.claim.doc_classification", "champion", "1", .. connect], null)).ExitCode);
        var alias = Json(await Cli.RunAsync(["alias", "get", "abc_corp.claim.doc_classification", "champion", "--json", .. connect], null));
        Assert.Equal(1, (int)alias["version"]!);

        var staged = Json(await Cli.RunAsync(["stage", "set", "abc_corp.claim.doc_classification", "1", "Production", "--archive-existing", "--json", .. connect], null));
        Assert.Equal("Production", (string?)staged["stage"]);

        var shown = Json(await Cli.RunAsync(["version", "show", "abc_corp.claim.doc_classification", "@champion", "--json", .. connect], null));
        Assert.Equal(0.91, (double)shown["metrics"]!["auc"]!);

        var table = await Cli.RunAsync(["model", "list", .. connect], null);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("abc_corp.claim.doc_classification", table.Stdout, StringComparison.Ordinal);

        var search = Json(await Cli.RunAsync(["model", "search", "--filter", "tags.team = 'risk'", "--json", .. connect], null));
        Assert.Contains("doc_classification", search.ToJsonString(), StringComparison.Ordinal);

        var verify = await Cli.RunAsync(["audit", "verify", .. connect], null);
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);

        var denied = await Cli.RunAsync("model", "list", "--server", server.Url, "--token", "cairn_wrong");
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("UNAUTHENTICATED", denied.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_server_restarts_on_the_same_data_dir_with_its_data_and_a_valid_audit_chain()
    {
        await using (var first = await ServerProcess.StartAsync(["--data-dir", _dataDir]))
        {
            using var http = new HttpClient { BaseAddress = new Uri(first.Url) };
            var create = await http.PostAsync("/api/v1/models", new StringContent("""{"namespace":"/crash","model_name":"m"}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
            var writes = Enumerable.Range(0, 20).Select(_ => http.PostAsync("/api/v1/models/crash.m/versions", new StringContent("{}", System.Text.Encoding.UTF8, "application/json")));
            await Task.WhenAll(writes);
            await first.KillAsync();
        }

        await using var second = await ServerProcess.StartAsync(["--data-dir", _dataDir]);
        var verify = Json(await Cli.RunAsync("audit", "verify", "--server", second.Url, "--json"));
        Assert.True((bool)verify["valid"]!);
        Assert.Equal(21, (int)verify["checked"]!);
        var versions = Json(await Cli.RunAsync("version", "list", "crash.m", "--server", second.Url, "--json"));
        Assert.Equal(20, versions["versions"]!.AsArray().Count);
    }

    [Fact]
    public async Task Settings_come_from_appsettings_in_the_working_directory_and_flags_override_them()
    {
        var work = Directory.CreateDirectory(Path.Combine(_dataDir, "work")).FullName;
        var configured = Path.Combine(_dataDir, "from-appsettings");
        await File.WriteAllTextAsync(Path.Combine(work, "appsettings.json"),
            $$"""{ "Cairn": { "DataDir": "{{configured.Replace("\\", "/", StringComparison.Ordinal)}}", "Auth": "token" } }""");

        await using (var server = await ServerProcess.StartAsync([], workingDirectory: work))
        {
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(server.Url + "/api/v1/models")).StatusCode);
            Assert.True(File.Exists(Path.Combine(configured, "cairn.db")));
        }

        await using var overridden = await ServerProcess.StartAsync(["--auth", "none"], workingDirectory: work);
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(overridden.Url + "/api/v1/models")).StatusCode);
    }

    [Fact]
    public async Task An_invalid_setting_stops_the_server_with_a_message_that_names_it()
    {
        var result = await Cli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--data-dir", _dataDir], new Dictionary<string, string> { ["CAIRN_AUTH"] = "sometimes" });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Cairn:Auth", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--database", "Host=127.0.0.1;Port=1;Username=cairn;Database=cairn", null, "error: cannot use the metadata database (--database or CAIRN_DATABASE): Failed to connect to 127.0.0.1:1")]
    [InlineData("--artifacts", "azure://models/cairn", null, "error: invalid server settings: Artifact location 'azure://models/cairn' needs the storage account's connection string")]
    [InlineData("--artifacts", "s3://models/cairn", "http://127.0.0.1:1", "error: cannot reach the artifact store: Connection refused")]
    public async Task A_store_that_cannot_be_used_stops_the_server_with_one_line_that_names_it(string option, string value, string? s3Endpoint, string message)
    {
        var env = new Dictionary<string, string> { ["CAIRN_S3_ACCESS_KEY_ID"] = "k", ["CAIRN_S3_SECRET_ACCESS_KEY"] = "s", ["AZURE_STORAGE_CONNECTION_STRING"] = "" };
        if (s3Endpoint is not null)
        {
            env["CAIRN_S3_ENDPOINT"] = s3Endpoint;
        }

        var result = await Cli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--data-dir", _dataDir, option, value], env);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tampering_with_the_database_file_is_reported_by_cairn_audit_verify()
    {
        await using var server = await ServerProcess.StartAsync(["--data-dir", _dataDir]);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        for (var i = 0; i < 3; i++)
        {
            await http.PostAsync("/api/v1/models", new StringContent($$"""{"namespace":"/t","model_name":"m{{i}}"}""", System.Text.Encoding.UTF8, "application/json"));
        }

        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "cairn.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2";
            await command.ExecuteNonQueryAsync();
        }

        var verify = await Cli.RunAsync("audit", "verify", "--server", server.Url);
        Assert.NotEqual(0, verify.ExitCode);
        Assert.Contains("2", verify.Stdout + verify.Stderr, StringComparison.Ordinal);
        Assert.Contains("modified", verify.Stdout + verify.Stderr, StringComparison.Ordinal);
    }
}
