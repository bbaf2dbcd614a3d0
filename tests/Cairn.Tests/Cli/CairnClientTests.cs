using System.Net;
using System.Text.Json.Nodes;
using Cairn.Client;
using Cairn.Tests.Api;

namespace Cairn.Tests.Cli;

/// <summary>The typed client against the real server in-process: every call's route, body and JSON shape.</summary>
public sealed class CairnClientTests(CairnApp app) : IClassFixture<CairnApp>, IDisposable
{
    private readonly CairnClient _cairn = new(app.CreateClient());

    public void Dispose() => _cairn.Dispose();

    [Fact]
    public async Task A_model_round_trips_with_its_catalog_metadata_and_tags()
    {
        var created = await _cairn.CreateModelAsync(new CreateModelRequest(
            "/client/claim", "doc_classification",
            Description: "classifies claim documents",
            Owner: "alice@example.com",
            DataSources: [new DataSource("warehouse", "snowflake", Connection: new JsonObject { ["user"] = "svc", ["password"] = "hunter2" })],
            Inference: new InferenceSpec(new InferenceSchema("a document", new JsonObject { ["type"] = "object" })),
            Tags: new Dictionary<string, string> { ["team"] = "risk" }));

        Assert.Equal("client.claim.doc_classification", created.FullName);
        Assert.Equal("tester", created.CreatedBy);
        Assert.Equal("****", (string?)created.DataSources[0].Connection!["password"]);
        Assert.Equal("object", (string?)created.Inference!.Input!.Schema!["type"]);

        var updated = await _cairn.UpdateModelAsync(created.FullName, new UpdateModelRequest(Owner: "bob@example.com"));
        Assert.Equal("bob@example.com", updated.Owner);
        Assert.Equal("classifies claim documents", updated.Description);

        // A key with a space travels escaped in the path and comes back as it was.
        var tagged = await _cairn.SetModelTagAsync(created.FullName, "data set", "2024 q1");
        Assert.Equal("2024 q1", tagged.Tags["data set"]);
        Assert.DoesNotContain("team", (await _cairn.DeleteModelTagAsync(created.FullName, "team")).Tags.Keys);

        await _cairn.DeleteModelAsync(created.FullName);
        var gone = await Assert.ThrowsAsync<CairnApiException>(() => _cairn.GetModelAsync(created.FullName));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", gone.ErrorCode);
    }

    [Fact]
    public async Task Searching_follows_page_tokens_to_the_last_page()
    {
        for (var i = 0; i < 5; i++)
        {
            await _cairn.CreateModelAsync(new CreateModelRequest("/paging", $"m{i}"));
        }

        var names = new List<string>();
        await foreach (var model in _cairn.SearchModelsAsync(filter: "namespace = '/paging'", orderBy: "name DESC", pageSize: 2))
        {
            names.Add(model.FullName);
        }
        Assert.Equal(["paging.m4", "paging.m3", "paging.m2", "paging.m1", "paging.m0"], names);

        var first = await _cairn.SearchModelsPageAsync(filter: "namespace = '/paging'", maxResults: 3);
        Assert.Equal(3, first.Models.Count);
        var second = await _cairn.SearchModelsPageAsync(filter: "namespace = '/paging'", maxResults: 3, pageToken: first.NextPageToken);
        Assert.Equal(2, second.Models.Count);
        Assert.Null(second.NextPageToken);
    }

    [Fact]
    public async Task Versions_aliases_and_stages_work_through_the_client()
    {
        const string Model = "client.lifecycle";
        await _cairn.CreateModelAsync(new CreateModelRequest("/client", "lifecycle"));
        var v1 = await _cairn.CreateVersionAsync(Model, new CreateVersionRequest(
            Semver: "1.0.0", Metrics: new Dictionary<string, double> { ["auc"] = 0.91 }, Params: new Dictionary<string, string> { ["lr"] = "0.01" }));
        var v2 = await _cairn.CreateVersionAsync(Model, new CreateVersionRequest(ParentVersion: 1, Metrics: new Dictionary<string, double> { ["auc"] = 0.95 }));
        await _cairn.CreateVersionAsync(Model);
        Assert.Equal((1, 2, Stage.None), (v1.Version, v2.Version, v2.Stage));

        var good = await _cairn.ListVersionsAsync(Model, filter: "metrics.auc > 0.9", orderBy: "version ASC", pageSize: 1).Select(v => v.Version).ToListAsync();
        Assert.Equal([1, 2], good);
        Assert.Equal(3, await _cairn.SearchVersionsAsync(filter: "name = 'client.lifecycle'").CountAsync());

        Assert.Equal("2.0.0", (await _cairn.UpdateVersionAsync(Model, 2, new UpdateVersionRequest(Semver: "2.0.0"))).Semver);
        Assert.Equal("yes", (await _cairn.SetVersionTagAsync(Model, 2, "validated", "yes")).Tags["validated"]);
        Assert.Empty((await _cairn.DeleteVersionTagAsync(Model, 2, "validated")).Tags);

        await _cairn.SetAliasAsync(Model, "champion", 1);
        await _cairn.SetAliasAsync(Model, "champion", 2);
        Assert.Equal(new AliasTarget("champion", 2), await _cairn.GetAliasAsync(Model, "champion"));
        Assert.Equal([2, 1], (await _cairn.GetAliasHistoryAsync(Model, "champion")).Select(c => c.Version));
        Assert.Equal(1, (await _cairn.RollbackAliasAsync(Model, "champion")).Version);
        Assert.Contains("champion", (await _cairn.GetVersionAsync(Model, 1)).Aliases);
        await _cairn.DeleteAliasAsync(Model, "champion");
        Assert.Empty((await _cairn.GetModelAsync(Model)).Aliases);

        await _cairn.TransitionStageAsync(Model, 1, Stage.Production);
        var promoted = await _cairn.TransitionStageAsync(Model, 2, Stage.Production, archiveExisting: true, comment: "better auc");
        Assert.Equal(Stage.Production, promoted.Stage);
        Assert.Equal(Stage.Archived, (await _cairn.GetVersionAsync(Model, 1)).Stage);
        var history = await _cairn.GetStageHistoryAsync(Model, 2);
        Assert.Equal("better auc", Assert.Single(history).Comment);

        await _cairn.DeleteVersionAsync(Model, 3);
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", (await Assert.ThrowsAsync<CairnApiException>(() => _cairn.GetVersionAsync(Model, 3))).ErrorCode);
    }

    [Fact]
    public async Task Errors_carry_the_servers_status_error_code_title_and_detail()
    {
        await _cairn.CreateModelAsync(new CreateModelRequest("/client", "twice"));

        var duplicate = await Assert.ThrowsAsync<CairnApiException>(() => _cairn.CreateModelAsync(new CreateModelRequest("/client", "twice")));
        Assert.Equal((HttpStatusCode.Conflict, "RESOURCE_ALREADY_EXISTS", "Resource already exists"), (duplicate.StatusCode, duplicate.ErrorCode, duplicate.Title));
        Assert.Contains("twice", duplicate.Detail, StringComparison.Ordinal);
        Assert.Equal(duplicate.Detail, duplicate.Message);

        var badFilter = await Assert.ThrowsAsync<CairnApiException>(() => _cairn.SearchModelsPageAsync(filter: "name LIKE"));
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"), (badFilter.StatusCode, badFilter.ErrorCode));
    }

    [Fact]
    public async Task The_audit_log_pages_newest_first_and_verifies()
    {
        await _cairn.CreateModelAsync(new CreateModelRequest("/audited", "m"));
        await _cairn.CreateVersionAsync("audited.m");
        await _cairn.SetModelTagAsync("audited.m", "k", "v");

        var entries = await _cairn.ListAuditAsync(new AuditQuery(Resource: "models/audited.m"), pageSize: 1).ToListAsync();
        Assert.Equal(["model.tag.set", "version.create", "model.create"], entries.Select(e => e.Action));
        Assert.Equal("audited.m", (string?)entries[2].After!["full_name"]);
        Assert.Empty((await _cairn.ListAuditPageAsync(new AuditQuery(Since: DateTimeOffset.UtcNow.AddDays(1)))).Entries);

        var verification = await _cairn.VerifyAuditAsync();
        Assert.True(verification.Valid);
        Assert.Null(verification.BrokenAt);
    }

    [Fact]
    public async Task Health_answers_ok()
    {
        Assert.Equal("ok", (await _cairn.HealthAsync()).Status);
    }
}

/// <summary>The client with <c>--auth token</c>: bearer tokens, roles, token management.</summary>
public sealed class CairnClientTokenTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task Without_a_token_calls_fail_as_unauthenticated()
    {
        using var anonymous = new CairnClient(app.CreateClient());
        var error = await Assert.ThrowsAsync<CairnApiException>(() => anonymous.SearchModelsPageAsync());
        Assert.Equal((HttpStatusCode.Unauthorized, "UNAUTHENTICATED"), (error.StatusCode, error.ErrorCode));
    }

    [Fact]
    public async Task An_admin_creates_lists_and_revokes_tokens_and_a_revoked_token_stops_working()
    {
        using var admin = new CairnClient(app.CreateClient(), await app.TokenAsync("client-admin", "admin"));

        var created = await admin.CreateTokenAsync("client-writer", Role.Writer, "/team");
        Assert.StartsWith("cairn_", created.Secret, StringComparison.Ordinal);
        Assert.Equal(new RoleGrant("/team", Role.Writer), Assert.Single(created.Token.Grants));
        Assert.Contains(await admin.ListTokensAsync(), t => t.Name == "client-writer" && t.RevokedAt is null);

        using var writer = new CairnClient(app.CreateClient(), created.Secret);
        Assert.Equal("client-writer", (await writer.CreateModelAsync(new CreateModelRequest("/team", "m"))).CreatedBy);
        var denied = await Assert.ThrowsAsync<CairnApiException>(() => writer.CreateModelAsync(new CreateModelRequest("/elsewhere", "m")));
        Assert.Equal("PERMISSION_DENIED", denied.ErrorCode);

        Assert.NotNull((await admin.RevokeTokenAsync("client-writer")).RevokedAt);
        Assert.Equal("UNAUTHENTICATED", (await Assert.ThrowsAsync<CairnApiException>(() => writer.GetModelAsync("team.m"))).ErrorCode);
    }
}

/// <summary>The client's transport, against a stub handler: what goes on the wire and what comes back from a non-Cairn server.</summary>
public sealed class CairnClientTransportTests
{
    private sealed class Stub(HttpStatusCode status, string body, string mediaType) : HttpMessageHandler
    {
        public HttpRequestMessage? Last { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Last = request;
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, System.Text.Encoding.UTF8, mediaType) });
        }
    }

    [Fact]
    public async Task Requests_keep_the_base_path_escape_names_and_carry_the_bearer_token()
    {
        using var stub = new Stub(HttpStatusCode.OK, """{"alias":"champion","version":3}""", "application/json");
        using var http = new HttpClient(stub) { BaseAddress = new Uri("http://proxy.example/cairn") };
        using var cairn = new CairnClient(http, "cairn_secret");

        await cairn.GetAliasAsync("abc.m", "champion");

        Assert.Equal("http://proxy.example/cairn/api/v1/models/abc.m/aliases/champion", stub.Last!.RequestUri!.AbsoluteUri);
        Assert.Equal("Bearer cairn_secret", stub.Last.Headers.Authorization!.ToString());
    }

    [Fact]
    public async Task A_response_that_is_not_problem_details_becomes_the_exception_detail()
    {
        using var stub = new Stub(HttpStatusCode.BadGateway, "<html>upstream down</html>", "text/html");
        using var cairn = new CairnClient(new HttpClient(stub) { BaseAddress = new Uri("http://proxy.example/") });

        var error = await Assert.ThrowsAsync<CairnApiException>(() => cairn.HealthAsync());

        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Null(error.ErrorCode);
        Assert.Equal("<html>upstream down</html>", error.Detail);
    }
}
