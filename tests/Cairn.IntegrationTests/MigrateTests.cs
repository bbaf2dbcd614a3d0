using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests;

/// <summary><c>cairn migrate</c>: a SQLite installation moved to PostgreSQL, verified, re-runnable, then served.</summary>
public sealed class MigrateTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("cairn-migrate-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [PostgresFact]
    public async Task An_installation_moves_to_postgresql_verified_and_a_second_run_copies_nothing()
    {
        using var database = Postgres.CreateDatabase();
        var source = Path.Combine(_work, "sqlite");
        var files = Path.Combine(_work, "moved-files");
        var weights = Enumerable.Range(0, 5000).Select(i => (byte)(i * 13)).ToArray();
        await using (var server = await ServerProcess.StartAsync(["--data-dir", source]))
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
            await Expect(http.PostAsJsonAsync("/api/v1/models", new { @namespace = "/risk", model_name = "scorer", tags = new { team = "risk" } }), HttpStatusCode.Created);
            await Expect(http.PostAsJsonAsync("/api/v1/models/risk.scorer/versions", new { }), HttpStatusCode.Created);
            await Expect(http.PostAsJsonAsync("/api/v1/models/risk.scorer/versions", new { status = "PENDING_REGISTRATION" }), HttpStatusCode.Created);
            await Expect(http.PutAsync("/api/v1/models/risk.scorer/versions/2/files/model.bin", new ByteArrayContent(weights)), HttpStatusCode.Created);
            await Expect(http.PutAsJsonAsync("/api/v1/models/risk.scorer/aliases/champion", new { version = 2 }), HttpStatusCode.OK);
            await Expect(http.PostAsJsonAsync("/api/v1/models/risk.scorer/versions/1/stage", new { stage = "Staging" }), HttpStatusCode.OK);
            var experiment = await Expect(http.PostAsJsonAsync("/api/2.0/mlflow/experiments/create", new { name = "fraud" }), HttpStatusCode.OK);
            var run = await Expect(http.PostAsJsonAsync("/api/2.0/mlflow/runs/create", new { experiment_id = (string)experiment["experiment_id"]! }), HttpStatusCode.OK);
            await Expect(http.PostAsJsonAsync("/api/2.0/mlflow/runs/log-metric",
                new { run_id = (string)run["run"]!["info"]!["run_id"]!, key = "acc", value = 0.9, timestamp = 1, step = 0 }), HttpStatusCode.OK);
            // Lineage, which SQLite keeps by integer node keys (lineage_links) and PostgreSQL by node ids.
            await Expect(http.PostAsJsonAsync("/api/v1/lineage/edges", new { source = "dataset:s3://lake:claims", target = "model:risk.scorer:1", kind = "input" }), HttpStatusCode.Created);
        }
        string[] migrate = ["migrate", "--from", source, "--to", database.ConnectionString, "--artifacts-to", files, "--json"];

        var first = await Cli.RunAsync(migrate, null);
        var second = await Cli.RunAsync(migrate, null);

        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        var report = JsonNode.Parse(first.Stdout)!;
        Assert.True((bool)report["verified"]!);
        Assert.All(report["tables"]!.AsArray(), t => Assert.Equal((long)t!["source"]!, (long)t["target"]!));
        Assert.Equal(1, (long)report["files_copied"]!);
        Assert.True(second.ExitCode == 0, second.Stdout + second.Stderr);
        var again = JsonNode.Parse(second.Stdout)!;
        Assert.All(again["tables"]!.AsArray(), t => Assert.Equal(0, (long)t!["copied"]!));
        Assert.Equal(0, (long)again["files_copied"]!);

        await using var moved = await ServerProcess.StartAsync(["--database", database.ConnectionString, "--artifacts", files, "--data-dir", Path.Combine(_work, "pg-data")]);
        using var client = new HttpClient { BaseAddress = new Uri(moved.Url) };
        Assert.Equal(weights, await client.GetByteArrayAsync("/api/v1/models/risk.scorer/versions/2/files/model.bin"));
        Assert.Equal(2, (int)(await client.GetFromJsonAsync<JsonObject>("/api/v1/models/risk.scorer/aliases/champion"))!["version"]!);
        var next = await Expect(client.PostAsJsonAsync("/api/v1/models/risk.scorer/versions", new { }), HttpStatusCode.Created);
        Assert.Equal(3, (int)next["version"]!);
        var graph = await client.GetFromJsonAsync<JsonObject>("/api/v1/lineage/graph?node=" + Uri.EscapeDataString("model:risk.scorer:1") + "&direction=upstream");
        var modelNode = graph!["graph"]!.AsArray().Single(n => (string)n!["id"]! == "model:risk.scorer:1")!;
        Assert.Equal("dataset:s3://lake:claims", (string?)modelNode["in_edges"]![0]!["source"]);
        var verify = await client.GetFromJsonAsync<JsonObject>("/api/v1/audit/verify");
        Assert.True((bool)verify!["valid"]!, verify.ToJsonString());
    }

    [PostgresFact]
    public async Task A_file_whose_bytes_no_longer_match_its_checksum_fails_verification_and_is_named()
    {
        using var database = Postgres.CreateDatabase();
        var source = Path.Combine(_work, "sqlite");
        await using (var server = await ServerProcess.StartAsync(["--data-dir", source]))
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
            await Expect(http.PostAsJsonAsync("/api/v1/models", new { @namespace = "/", model_name = "m" }), HttpStatusCode.Created);
            await Expect(http.PostAsJsonAsync("/api/v1/models/m/versions", new { status = "PENDING_REGISTRATION" }), HttpStatusCode.Created);
            await Expect(http.PutAsync("/api/v1/models/m/versions/1/files/w.bin", new ByteArrayContent([1, 2, 3])), HttpStatusCode.Created);
        }
        await File.WriteAllBytesAsync(Path.Combine(source, "artifacts", "m", "1", "w.bin"), [9, 9, 9]);

        var result = await Cli.RunAsync("migrate", "--from", source, "--to", database.ConnectionString, "--artifacts-to", Path.Combine(_work, "files"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("m/1/w.bin", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("NOT verified", result.Stdout, StringComparison.Ordinal);
    }

    [PostgresAndS3Fact]
    public async Task Files_can_move_to_a_bucket_with_the_database()
    {
        using var database = Postgres.CreateDatabase();
        var source = Path.Combine(_work, "sqlite");
        var weights = Enumerable.Range(0, 20_000_000).Select(i => (byte)(i * 7)).ToArray();
        await using (var server = await ServerProcess.StartAsync(["--data-dir", source]))
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
            await Expect(http.PostAsJsonAsync("/api/v1/models", new { @namespace = "/", model_name = "to_bucket" }), HttpStatusCode.Created);
            await Expect(http.PostAsJsonAsync("/api/v1/models/to_bucket/versions", new { status = "PENDING_REGISTRATION" }), HttpStatusCode.Created);
            await Expect(http.PutAsync("/api/v1/models/to_bucket/versions/1/files/w.bin", new ByteArrayContent(weights)), HttpStatusCode.Created);
            await Expect(http.PutAsync("/api/2.0/mlflow-artifacts/artifacts/0/run1/artifacts/model/MLmodel", new ByteArrayContent([7, 8, 9])), HttpStatusCode.OK);
        }
        var (bucket, s3) = S3.Location();

        var first = await Cli.RunAsync(["migrate", "--from", source, "--to", database.ConnectionString, "--artifacts-to", bucket, "--json"], s3);
        var again = await Cli.RunAsync(["migrate", "--from", source, "--to", database.ConnectionString, "--artifacts-to", bucket, "--json"], s3);

        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Equal(1, (long)JsonNode.Parse(first.Stdout)!["files_copied"]!);
        Assert.Equal(1, (long)JsonNode.Parse(first.Stdout)!["mlflow_artifacts_copied"]!);
        Assert.Equal(0, (long)JsonNode.Parse(again.Stdout)!["files_copied"]!);
        Assert.Equal(0, (long)JsonNode.Parse(again.Stdout)!["mlflow_artifacts_copied"]!);
        Assert.Equal(1, (long)JsonNode.Parse(again.Stdout)!["mlflow_artifacts_checked"]!);
        await using var moved = await ServerProcess.StartAsync(["--database", database.ConnectionString, "--artifacts", bucket, "--data-dir", Path.Combine(_work, "pg")], s3);
        using var client = new HttpClient { BaseAddress = new Uri(moved.Url) };
        Assert.Equal(weights, await client.GetByteArrayAsync("/api/v1/models/to_bucket/versions/1/files/w.bin"));
        // MLflow's proxied files went to the bucket's .mlartifacts folder, where a server on the bucket looks by default.
        Assert.Equal([7, 8, 9], await client.GetByteArrayAsync("/api/2.0/mlflow-artifacts/artifacts/0/run1/artifacts/model/MLmodel"));
    }

    private static async Task<JsonObject> Expect(Task<HttpResponseMessage> pending, HttpStatusCode status)
    {
        using var response = await pending;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        return body.Length == 0 ? [] : JsonNode.Parse(body)!.AsObject();
    }
}
