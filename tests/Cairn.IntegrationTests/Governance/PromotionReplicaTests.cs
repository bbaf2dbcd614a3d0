using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests.Governance;

/// <summary>
/// Two token-protected <c>cairn serve</c> replicas on one PostgreSQL database receive the approvals of one promotion
/// request at once: the store's write lock makes the request apply exactly once.
/// </summary>
public sealed class PromotionReplicaTests : IAsyncLifetime
{
    private readonly string _shared = Directory.CreateTempSubdirectory("cairn-promote-replicas-").FullName;
    private Postgres? _database;
    private ServerProcess? _a;
    private ServerProcess? _b;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        if (Postgres.Server is null)
        {
            return;
        }
        _database = Postgres.CreateDatabase();
        string[] args = ["--database", _database.ConnectionString, "--artifacts", Path.Combine(_shared, "artifacts")];
        // The first tokens come from a short-lived server without authentication on the same database.
        await using (var setup = await ServerProcess.StartAsync([.. args, "--data-dir", Path.Combine(_shared, "setup"), "--auth", "none"]))
        {
            using var http = new HttpClient { BaseAddress = new Uri(setup.Url) };
            foreach (var (name, role) in new[] { ("admin", "admin"), ("requester", "writer") }.Concat(Enumerable.Range(1, 8).Select(i => ($"approver{i}", "approver"))))
            {
                var response = await http.PostAsJsonAsync("/api/v1/tokens", new { name, role, @namespace = role == "admin" ? "/" : "/risk" });
                response.EnsureSuccessStatusCode();
                _tokens[name] = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!;
            }
        }
        var started = await Task.WhenAll(
            ServerProcess.StartAsync([.. args, "--data-dir", Path.Combine(_shared, "a"), "--auth", "token"]),
            ServerProcess.StartAsync([.. args, "--data-dir", Path.Combine(_shared, "b"), "--auth", "token"]));
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

    private HttpClient Client(ServerProcess server, string who)
    {
        var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens[who]);
        return http;
    }

    private static async Task<JsonObject> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    [PostgresFact]
    public async Task Concurrent_approvals_through_two_replicas_apply_the_request_exactly_once()
    {
        using var admin = Client(_a!, "admin");
        await OkAsync(await admin.PostAsJsonAsync("/api/v1/models", new { @namespace = "/risk", model_name = "fraud" }));
        await OkAsync(await admin.PostAsJsonAsync("/api/v1/models/risk.fraud/versions", new { }));
        await OkAsync(await admin.PostAsJsonAsync("/api/v1/models/risk.fraud/versions", new { }));
        await OkAsync(await admin.PostAsJsonAsync("/api/v1/models/risk.fraud/versions/1/stage", new { stage = "Production" }));
        await OkAsync(await admin.PutAsJsonAsync("/api/v1/policies/risk", new { protected_targets = new[] { new { stage = "Production", approvals = 3 } } }));
        using var requester = Client(_b!, "requester");
        var id = (string)(await OkAsync(await requester.PostAsJsonAsync("/api/v1/models/risk.fraud/versions/2/promotions", new { target = "Production" })))["id"]!;

        var approvers = Enumerable.Range(1, 8).Select(i => Client(i % 2 == 0 ? _a! : _b!, $"approver{i}")).ToList();
        var answers = await Task.WhenAll(approvers.Select(a => a.PostAsJsonAsync($"/api/v1/promotions/{id}/approve", new { comment = "ok" })));
        Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));

        var request = await OkAsync(await admin.GetAsync($"/api/v1/promotions/{id}"));
        Assert.Equal("Applied", (string?)request["status"]);
        Assert.Equal(3, request["reviews"]!.AsArray().Count);
        var applied = (await OkAsync(await admin.GetAsync("/api/v1/audit?action=promotion.apply")))["entries"]!.AsArray();
        Assert.Single(applied);
        var transitions = (await OkAsync(await admin.GetAsync("/api/v1/models/risk.fraud/versions/2/stage")))["transitions"]!.AsArray();
        Assert.Single(transitions, t => (string?)t!["to_stage"] == "Production");
        Assert.Single((await OkAsync(await admin.GetAsync("/api/v1/models/risk.fraud/versions/1/stage")))["transitions"]!.AsArray(), t => (string?)t!["to_stage"] == "Archived");
        Assert.True((bool)(await OkAsync(await admin.GetAsync("/api/v1/audit/verify")))["valid"]!);
        foreach (var approver in approvers)
        {
            approver.Dispose();
        }
    }
}
