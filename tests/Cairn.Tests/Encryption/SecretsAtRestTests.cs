using System.Text.Json.Nodes;
using Cairn.Encryption;
using Cairn.Events;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Encryption;

/// <summary>
/// Issue 19 item 7: the secrets the database holds — data sources' connection secrets, secret-looking deployment
/// variables, webhook secrets — are encrypted with the key ring; the API masks them and a masked value sent back keeps
/// the stored secret. Clear values stored before encryption are read, and sealed once at start.
/// </summary>
public sealed class SecretsAtRestTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private static JsonArray Source(object connection) =>
        [new JsonObject { ["name"] = "warehouse", ["type"] = "postgres", ["connection"] = System.Text.Json.JsonSerializer.SerializeToNode(connection) }];

    [Fact]
    public async Task A_connection_secret_is_not_in_its_row_and_the_api_masks_it()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new
        {
            @namespace = "/crypt",
            model_name = "conn",
            data_sources = Source(new
            {
                user = "svc",
                password = "pw-hunter2",
                pin_code_secret = 123456,
                dsn = "postgres://svc:pw-dsn-s3cret@db:5432/x?sslmode=require&password=pw-param",
                nested = new { api_key = "pw-nested-key", host = "h" },
            }),
        })).ExpectAsync(201);

        var row = await app.ScalarAsync<string>("SELECT data_sources FROM models WHERE full_name = 'crypt.conn'");
        Assert.DoesNotContain("pw-", row, StringComparison.Ordinal);
        Assert.DoesNotContain("123456", row, StringComparison.Ordinal);
        Assert.Contains(StoredSecrets.Prefix, row, StringComparison.Ordinal);
        Assert.Contains("postgres://svc:cairn-enc:v1:", row, StringComparison.Ordinal);

        var shown = (await (await _client.GetAsync("/api/v1/models/crypt.conn")).ExpectAsync(200))["data_sources"]![0]!["connection"]!;
        Assert.Equal("****", (string?)shown["password"]);
        Assert.Equal("****", (string?)shown["pin_code_secret"]);
        Assert.Equal("postgres://svc:****@db:5432/x?sslmode=require&password=****", (string?)shown["dsn"]);
        Assert.Equal("****", (string?)shown["nested"]!["api_key"]);
        Assert.Equal("h", (string?)shown["nested"]!["host"]);

        var revealed = JsonNode.Parse(await app.RevealedDataSourcesAsync("crypt.conn"))![0]!["connection"]!;
        Assert.Equal("pw-hunter2", (string?)revealed["password"]);
        Assert.Equal(123456, (int)revealed["pin_code_secret"]!);
        Assert.Equal("postgres://svc:pw-dsn-s3cret@db:5432/x?sslmode=require&password=pw-param", (string?)revealed["dsn"]);
        Assert.Equal("pw-nested-key", (string?)revealed["nested"]!["api_key"]);
    }

    [Fact]
    public async Task The_masked_round_trip_keeps_the_sealed_secret_and_a_new_value_is_sealed()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new
        {
            @namespace = "/crypt",
            model_name = "trip",
            data_sources = Source(new { password = "pw-old", dsn = "postgres://svc:pw-uri@db/x" }),
        })).ExpectAsync(201);
        var before = await app.ScalarAsync<string>("SELECT data_sources FROM models WHERE full_name = 'crypt.trip'");
        var shown = (await (await _client.GetAsync("/api/v1/models/crypt.trip")).ExpectAsync(200))["data_sources"]!.DeepClone();

        await (await _client.PatchJsonAsync("/api/v1/models/crypt.trip", new { data_sources = shown, owner = "o" })).ExpectAsync(200);
        // The same ciphertext: an echoed mask does not even re-encrypt.
        Assert.Equal(before, await app.ScalarAsync<string>("SELECT data_sources FROM models WHERE full_name = 'crypt.trip'"));

        shown[0]!["connection"]!["password"] = "pw-new";
        await (await _client.PatchJsonAsync("/api/v1/models/crypt.trip", new { data_sources = shown })).ExpectAsync(200);
        var row = await app.ScalarAsync<string>("SELECT data_sources FROM models WHERE full_name = 'crypt.trip'");
        Assert.DoesNotContain("pw-", row, StringComparison.Ordinal);
        var revealed = JsonNode.Parse(await app.RevealedDataSourcesAsync("crypt.trip"))![0]!["connection"]!;
        Assert.Equal(("pw-new", "postgres://svc:pw-uri@db/x"), ((string?)revealed["password"], (string?)revealed["dsn"]));
    }

    [Fact]
    public async Task A_value_posing_as_a_sealed_one_is_refused()
    {
        var body = await (await _client.PostJsonAsync("/api/v1/models", new
        {
            @namespace = "/crypt",
            model_name = "posing",
            data_sources = Source(new { password = StoredSecrets.Prefix + "stolen-ciphertext" }),
        })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("data_sources[0].connection.password", (string?)body["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clear_secrets_stored_before_encryption_read_as_before_and_are_sealed_once_at_start()
    {
        var (model, env) = await Deployments.DeploymentFlowTests.ModelAndEnvironmentAsync(_client, versions: 1);
        var id = (string)(await (await _client.PostJsonAsync("/api/v1/deployments", new
        {
            name = "legacy",
            environment = env,
            model,
            traffic = new[] { new { version = 1, share = 100 } },
        })).ExpectAsync(201))["id"]!;
        // As an older Cairn stored them: in clear.
        await app.ExecuteSqlAsync($$$"""UPDATE models SET data_sources = '[{"name":"w","connection":{"password":"pw-legacy","dsn":"postgres://u:pw-legacy-uri@db/x"}}]' WHERE full_name = '{{{model}}}'""");
        await app.ExecuteSqlAsync($$"""UPDATE deployments SET environment_variables = '{"DB_PASSWORD":"pw-legacy-var","MODE":"x"}' WHERE id = '{{id}}'""");

        var shown = (await (await _client.GetAsync($"/api/v1/models/{model}")).ExpectAsync(200))["data_sources"]![0]!["connection"]!;
        Assert.Equal(("****", "postgres://u:****@db/x"), ((string?)shown["password"], (string?)shown["dsn"]));
        Assert.Equal("****", (string?)(await (await _client.GetAsync($"/api/v1/deployments/{id}")).ExpectAsync(200))["environment_variables"]!["DB_PASSWORD"]);

        // The start-up step, run again as a server started on a database where it has not run yet.
        await app.ExecuteSqlAsync("DELETE FROM encryption_steps");
        var secrets = app.Services.GetRequiredService<StoredSecrets>();
        var database = app.Services.GetRequiredService<Cairn.Storage.CairnDatabase>();
        Assert.True(await secrets.SealExistingAsync(database, TimeProvider.System, default) >= 2);
        Assert.Equal(0, await secrets.SealExistingAsync(database, TimeProvider.System, default));

        Assert.DoesNotContain("pw-legacy", await app.ScalarAsync<string>($"SELECT data_sources FROM models WHERE full_name = '{model}'"), StringComparison.Ordinal);
        Assert.DoesNotContain("pw-legacy", await app.ScalarAsync<string>($"SELECT environment_variables FROM deployments WHERE id = '{id}'"), StringComparison.Ordinal);
        Assert.Contains("pw-legacy-uri", await app.RevealedDataSourcesAsync(model), StringComparison.Ordinal);
        Assert.Equal(("pw-legacy-var", "x"), ((await app.RevealedVariablesAsync(id))["DB_PASSWORD"], (await app.RevealedVariablesAsync(id))["MODE"]));
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT COUNT(*) FROM encryption_steps WHERE name = 'secrets.v1'"));
    }

    [Fact]
    public async Task A_webhook_secret_is_not_in_its_row_and_signing_can_decrypt_it()
    {
        var id = (string)(await (await _client.PostJsonAsync("/api/v1/webhooks", new
        {
            name = "crypt-hook",
            url = "https://hooks.example.com/cairn",
            events = new[] { "*" },
            secret = "whsec-at-rest-7",
        })).ExpectAsync(201))["id"]!;

        var row = await app.ScalarAsync<string>($"SELECT secret FROM webhooks WHERE id = '{id}'");
        Assert.DoesNotContain("whsec-at-rest-7", row, StringComparison.Ordinal);
        Assert.Equal("whsec-at-rest-7", app.Services.GetRequiredService<ISecretProtector>().Unprotect(row));
        Assert.DoesNotContain("whsec-at-rest-7", (await (await _client.GetAsync($"/api/v1/webhooks/{id}")).ExpectAsync(200)).ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deployment_variable_posing_as_a_sealed_one_is_refused()
    {
        var (model, env) = await Deployments.DeploymentFlowTests.ModelAndEnvironmentAsync(_client, versions: 1);
        await (await _client.PostJsonAsync("/api/v1/deployments", new
        {
            name = "posing",
            environment = env,
            model,
            environment_variables = new Dictionary<string, string> { ["URL"] = "postgres://u:" + StoredSecrets.Prefix + "x@db" },
            traffic = new[] { new { version = 1, share = 100 } },
        })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }
}
