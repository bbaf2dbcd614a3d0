using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests;

/// <summary>
/// Two <c>cairn serve</c> replicas on one PostgreSQL database and one bucket (s3rver; a shared directory where no S3
/// server is given), each with a data directory of its own as on two machines, hammered at once: numbering, aliases,
/// stages, caches, files, MLflow's proxied artifacts and the audit chain must come out as if one server had taken every request.
/// </summary>
public sealed class ReplicaTests : IAsyncLifetime
{
    private readonly string _shared = Directory.CreateTempSubdirectory("cairn-replicas-").FullName;
    private Postgres? _database;
    private ServerProcess? _a;
    private ServerProcess? _b;

    public async Task InitializeAsync()
    {
        if (Postgres.Server is null)
        {
            return;
        }
        _database = Postgres.CreateDatabase();
        string[] args = ["--database", _database.ConnectionString];
        Dictionary<string, string>? env = null;
        if (S3.Endpoint is not null)
        {
            // MLflow's proxied artifacts follow the version files into the bucket (its .mlartifacts folder).
            var (location, s3) = S3.Location();
            args = [.. args, "--artifacts", location];
            env = s3;
        }
        else
        {
            args = [.. args, "--artifacts", Path.Combine(_shared, "artifacts"), "--artifacts-destination", Path.Combine(_shared, "mlartifacts")];
        }
        // Started together: both apply the migrations at once, which the store's write lock must serialise.
        var starting = new[]
        {
            ServerProcess.StartAsync([.. args, "--data-dir", Path.Combine(_shared, "a")], env),
            ServerProcess.StartAsync([.. args, "--data-dir", Path.Combine(_shared, "b")], env),
        };
        var started = await Task.WhenAll(starting);
        (_a, _b) = (started[0], started[1]);
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { _a, _b })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
        _database?.Dispose();
        Directory.Delete(_shared, recursive: true);
    }

    private HttpClient[] Clients() => [new() { BaseAddress = new Uri(_a!.Url) }, new() { BaseAddress = new Uri(_b!.Url) }];

    [PostgresFact]
    public async Task Versions_created_through_both_replicas_at_once_are_numbered_without_gaps_or_duplicates()
    {
        var clients = Clients();
        await Created(await clients[0].PostAsJsonAsync("/api/v1/models", new { @namespace = "/replicas", model_name = "numbered" }));

        var creates = Enumerable.Range(0, 80).Select(async i =>
            (int)(await Created(await clients[i % 2].PostAsJsonAsync("/api/v1/models/replicas.numbered/versions", new { description = $"from {i % 2}" })))["version"]!);
        var numbers = await Task.WhenAll(creates);

        Assert.Equal(Enumerable.Range(1, 80), numbers.Order());
    }

    [PostgresFact]
    public async Task Alias_moves_and_stage_transitions_from_both_replicas_are_all_kept()
    {
        var clients = Clients();
        await Created(await clients[0].PostAsJsonAsync("/api/v1/models", new { @namespace = "/replicas", model_name = "staged" }));
        for (var v = 0; v < 10; v++)
        {
            await Created(await clients[v % 2].PostAsJsonAsync("/api/v1/models/replicas.staged/versions", new { }));
        }

        var moves = Enumerable.Range(0, 40).Select(i =>
            Ok(clients[i % 2].PutAsJsonAsync("/api/v1/models/replicas.staged/aliases/champion", new { version = (i % 10) + 1 })));
        var stages = Enumerable.Range(1, 10).Select(v =>
            Ok(clients[v % 2].PostAsJsonAsync($"/api/v1/models/replicas.staged/versions/{v}/stage", new { stage = "Production", archive_existing = true })));
        await Task.WhenAll(moves.Concat(stages));

        var history = await clients[1].GetFromJsonAsync<JsonObject>("/api/v1/models/replicas.staged/aliases/champion/history");
        Assert.Equal(40, history!.Single().Value!.AsArray().Count);
        var versions = (await clients[0].GetFromJsonAsync<JsonObject>("/api/v1/models/replicas.staged/versions?max_results=100"))!["versions"]!.AsArray();
        Assert.Single(versions, v => (string?)v!["stage"] == "Production");
        Assert.Equal(9, versions.Count(v => (string?)v!["stage"] == "Archived"));
        var verify = await clients[0].GetFromJsonAsync<JsonObject>("/api/v1/audit/verify");
        Assert.True((bool)verify!["valid"]!, verify.ToJsonString());
    }

    [PostgresFact]
    public async Task A_change_through_one_replica_is_seen_at_once_through_the_other()
    {
        var clients = Clients();
        await Created(await clients[0].PostAsJsonAsync("/api/v1/models", new { @namespace = "/replicas", model_name = "cached", description = "first" }));
        // Read through B until it serves from its cache.
        for (var i = 0; i < 3; i++)
        {
            await clients[1].GetFromJsonAsync<JsonObject>("/api/v1/models/replicas.cached");
        }

        await Ok(clients[0].PatchAsJsonAsync("/api/v1/models/replicas.cached", new { description = "second" }));

        var seen = await clients[1].GetFromJsonAsync<JsonObject>("/api/v1/models/replicas.cached");
        Assert.Equal("second", (string?)seen!["description"]);
    }

    [PostgresFact]
    public async Task The_audit_chain_stays_one_valid_chain_under_writes_through_both_replicas()
    {
        var clients = Clients();
        var writes = Enumerable.Range(0, 60).Select(i =>
            Created(clients[i % 2].PostAsJsonAsync("/api/v1/models", new { @namespace = "/replicas/chain", model_name = $"m{i}" })));
        await Task.WhenAll(writes);

        foreach (var client in clients)
        {
            var verify = await client.GetFromJsonAsync<JsonObject>("/api/v1/audit/verify");
            Assert.True((bool)verify!["valid"]!, verify.ToJsonString());
        }
        var entries = (await clients[1].GetFromJsonAsync<JsonObject>("/api/v1/audit?action=model.create&max_results=1000"))!["entries"]!.AsArray();
        Assert.Equal(60, entries.Count(e => ((string)e!["resource"]!).StartsWith("models/replicas.chain.", StringComparison.Ordinal)));
    }

    [PostgresFact]
    public async Task A_file_uploaded_through_one_replica_downloads_whole_through_the_other()
    {
        var clients = Clients();
        var bytes = Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 31)).ToArray();
        await Created(await clients[0].PostAsJsonAsync("/api/v1/models", new { @namespace = "/replicas", model_name = "files" }));
        await Created(await clients[0].PostAsJsonAsync("/api/v1/models/replicas.files/versions", new { status = "PENDING_REGISTRATION" }));

        await Created(await clients[0].PutAsync("/api/v1/models/replicas.files/versions/1/files/model.bin", new ByteArrayContent(bytes)));

        Assert.Equal(bytes, await clients[1].GetByteArrayAsync("/api/v1/models/replicas.files/versions/1/files/model.bin"));
        using var ranged = new HttpRequestMessage(HttpMethod.Get, "/api/v1/models/replicas.files/versions/1/files/model.bin") { Headers = { Range = new(1_000_000, 1_000_099) } };
        using var partial = await clients[1].SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[1_000_000..1_000_100], await partial.Content.ReadAsByteArrayAsync());
    }

    [PostgresFact]
    public async Task An_mlflow_artifact_logged_through_one_replica_is_listed_read_and_deleted_through_the_other()
    {
        var clients = Clients();
        var experiment = (string)(await Json(clients[0].PostAsJsonAsync("/api/2.0/mlflow/experiments/create", new { name = "replicated-artifacts" })))["experiment_id"]!;
        var run = (await Json(clients[0].PostAsJsonAsync("/api/2.0/mlflow/runs/create", new { experiment_id = experiment })))["run"]!["info"]!;
        var runId = (string)run["run_id"]!;
        var path = ((string)run["artifact_uri"]!)["mlflow-artifacts:/".Length..] + "/model/model.pkl";
        var bytes = Enumerable.Range(0, 1_500_000).Select(i => (byte)(i * 7)).ToArray();

        await Ok(clients[0].PutAsync($"/api/2.0/mlflow-artifacts/artifacts/{path}", new ByteArrayContent(bytes)));

        var listed = await Json(clients[1].GetAsync($"/api/2.0/mlflow/artifacts/list?run_id={runId}&path=model"));
        Assert.Equal("model/model.pkl", (string?)listed["files"]![0]!["path"]);
        Assert.Equal(bytes.Length, (long)listed["files"]![0]!["file_size"]!);
        Assert.Equal(bytes, await clients[1].GetByteArrayAsync($"/api/2.0/mlflow-artifacts/artifacts/{path}"));
        await Ok(clients[1].DeleteAsync($"/api/2.0/mlflow-artifacts/artifacts/{path}"));
        Assert.Equal(HttpStatusCode.NotFound, (await clients[0].GetAsync($"/api/2.0/mlflow-artifacts/artifacts/{path}")).StatusCode);
    }

    private static async Task<JsonObject> Json(Task<HttpResponseMessage> pending)
    {
        using var response = await pending;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static async Task<JsonObject> Created(Task<HttpResponseMessage> pending) => await Created(await pending);

    private static async Task<JsonObject> Created(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static async Task Ok(Task<HttpResponseMessage> pending)
    {
        using var response = await pending;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
