using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Events;
using Cairn.Tests.Api;
using Cairn.Tests.Mlflow;

namespace Cairn.Tests.Events;

/// <summary>
/// Every kind of mutation writes exactly one event, named by the catalogue, in its own transaction (the event's seq is
/// its audit entry's); a refused request writes none.
/// </summary>
public sealed class EventsWrittenTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();
    private readonly Mlflow.Mlflow _mlflow = new(app.CreateClient());

    private Task<long> HeadAsync() => app.ScalarAsync<long>("SELECT COALESCE(MAX(seq), 0) FROM events");

    /// <summary>Runs <paramref name="mutation"/> and returns the one event it wrote, checking its type, namespace and audit twin.</summary>
    private async Task<JsonObject> OneEventAsync(Func<Task> mutation, string type, string ns, string action)
    {
        var head = await HeadAsync();
        await mutation();
        var page = await (await _client.GetAsync($"/api/v1/events?after={head}")).ExpectAsync(200);
        var events = page["events"]!.AsArray();
        Assert.True(events.Count == 1, $"expected one {type} event, got: {events.ToJsonString()}");
        var e = events[0]!.AsObject();
        Assert.Equal(type, (string?)e["type"]);
        Assert.Equal(ns, (string?)e["namespace"]);
        var seq = (long)e["seq"]!;
        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)e["cursor"]);
        Assert.Equal((string?)e["cursor"], (string?)page["next_cursor"]);
        Assert.Equal(action, await app.ScalarAsync<string>($"SELECT action FROM audit_log WHERE seq = {seq}"));
        Assert.Equal(seq, await app.ScalarAsync<long>("SELECT MAX(seq) FROM audit_log"));
        Assert.EndsWith("Z", (string?)e["time"], StringComparison.Ordinal);
        return e;
    }

    private async Task NoEventAsync(Func<Task> refused)
    {
        var head = await HeadAsync();
        await refused();
        Assert.Equal(head, await HeadAsync());
        Assert.Equal(head, await app.ScalarAsync<long>("SELECT COALESCE(MAX(seq), 0) FROM audit_log"));
    }

    [Fact]
    public async Task Registry_mutations_each_write_one_event_in_the_models_namespace()
    {
        const string M = "/api/v1/models/ev.reg.m";
        var created = await OneEventAsync(async () => await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/ev/reg", model_name = "m" })).ExpectAsync(201),
            "registered_model.created", "/ev/reg", "model.create");
        Assert.Equal("models/ev.reg.m", (string?)created["resource"]);
        Assert.Equal("tester", (string?)created["actor"]);
        Assert.Equal("ev.reg.m", (string?)created["payload"]!["full_name"]);

        await OneEventAsync(async () => await (await _client.PatchJsonAsync(M, new { description = "d" })).ExpectAsync(200), "registered_model.updated", "/ev/reg", "model.update");
        await OneEventAsync(async () => await (await _client.PutJsonAsync($"{M}/tags/k", new { value = "v" })).ExpectAsync(200), "registered_model_tag.set", "/ev/reg", "model.tag.set");
        await OneEventAsync(async () => await (await _client.DeleteAsync($"{M}/tags/k")).ExpectAsync(200), "registered_model_tag.deleted", "/ev/reg", "model.tag.delete");

        var pending = await OneEventAsync(async () => await (await _client.PostJsonAsync($"{M}/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201),
            "model_version.created", "/ev/reg", "version.create");
        Assert.Equal("models/ev.reg.m/versions/1", (string?)pending["resource"]);
        Assert.Equal("PENDING_REGISTRATION", (string?)pending["payload"]!["status"]);

        using (var bytes = new ByteArrayContent([1, 2, 3]) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } })
        {
            var file = await OneEventAsync(async () => await (await _client.PutAsync($"{M}/versions/1/files/w/model.bin", bytes)).ExpectAsync(201),
                "model_version_file.written", "/ev/reg", "version.file.put");
            Assert.Equal("models/ev.reg.m/versions/1/files/w/model.bin", (string?)file["resource"]);
        }

        var ready = await OneEventAsync(async () => await (await _client.PatchJsonAsync($"{M}/versions/1", new { status = "READY" })).ExpectAsync(200),
            "model_version.ready", "/ev/reg", "version.update");
        Assert.Equal("READY", (string?)ready["payload"]!["status"]);
        await OneEventAsync(async () => await (await _client.PatchJsonAsync($"{M}/versions/1", new { description = "better" })).ExpectAsync(200),
            "model_version.updated", "/ev/reg", "version.update");
        await OneEventAsync(async () => await (await _client.PutJsonAsync($"{M}/versions/1/tags/k", new { value = "v" })).ExpectAsync(200), "model_version_tag.set", "/ev/reg", "version.tag.set");
        await OneEventAsync(async () => await (await _client.DeleteAsync($"{M}/versions/1/tags/k")).ExpectAsync(200), "model_version_tag.deleted", "/ev/reg", "version.tag.delete");
        var staged = await OneEventAsync(async () => await (await _client.PostJsonAsync($"{M}/versions/1/stage", new { stage = "Staging" })).ExpectAsync(200),
            "model_version.stage_transitioned", "/ev/reg", "version.stage");
        Assert.Equal("Staging", (string?)staged["payload"]!["stage"]);

        await (await _client.PostJsonAsync($"{M}/versions", new { })).ExpectAsync(201);
        var alias = await OneEventAsync(async () => await (await _client.PutJsonAsync($"{M}/aliases/champion", new { version = 1 })).ExpectAsync(200),
            "model_version_alias.created", "/ev/reg", "alias.set");
        Assert.Equal("models/ev.reg.m/aliases/champion", (string?)alias["resource"]);
        Assert.Equal(1, (int)alias["payload"]!["version"]!);
        await (await _client.PutJsonAsync($"{M}/aliases/champion", new { version = 2 })).ExpectAsync(200);
        var back = await OneEventAsync(async () => await (await _client.PostAsync($"{M}/aliases/champion/rollback", null)).ExpectAsync(200),
            "model_version_alias.created", "/ev/reg", "alias.rollback");
        Assert.Equal(1, (int)back["payload"]!["version"]!);
        await OneEventAsync(async () => await (await _client.DeleteAsync($"{M}/aliases/champion")).ExpectAsync(204), "model_version_alias.deleted", "/ev/reg", "alias.delete");

        await (await _client.PostJsonAsync($"{M}/versions", new { status = "PENDING_REGISTRATION" })).ExpectAsync(201);
        await OneEventAsync(async () => await (await _client.PatchJsonAsync($"{M}/versions/3", new { status = "FAILED_REGISTRATION" })).ExpectAsync(200),
            "model_version.failed", "/ev/reg", "version.update");
        var deleted = await OneEventAsync(async () => await (await _client.DeleteAsync($"{M}/versions/3")).ExpectAsync(204), "model_version.deleted", "/ev/reg", "version.delete");
        Assert.Equal(3, (int)deleted["payload"]!["version"]!);
        var gone = await OneEventAsync(async () => await (await _client.DeleteAsync(M)).ExpectAsync(204), "registered_model.deleted", "/ev/reg", "model.delete");
        Assert.Equal("ev.reg.m", (string?)gone["payload"]!["full_name"]);
        await AllNamedAsync();
    }

    [Fact]
    public async Task Tokens_write_admin_only_root_events_without_their_secret()
    {
        var created = await OneEventAsync(async () => await (await _client.PostJsonAsync("/api/v1/tokens", new { name = "ev-token", role = "reader", @namespace = "/ev" })).ExpectAsync(201),
            "token.created", "/", "token.create");
        Assert.Equal("tokens/ev-token", (string?)created["resource"]);
        var seq = (long)created["seq"]!;
        Assert.Equal("Admin", await app.ScalarAsync<string>($"SELECT read_role FROM events WHERE seq = {seq}"));
        var text = created.ToJsonString();
        Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("cairn_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", text, StringComparison.OrdinalIgnoreCase);
        await OneEventAsync(async () => await (await _client.DeleteAsync("/api/v1/tokens/ev-token")).ExpectAsync(200), "token.revoked", "/", "token.revoke");
        await AllNamedAsync();
    }

    [Fact]
    public async Task Tracking_writes_an_event_for_experiments_runs_a_finished_run_and_a_logged_model()
    {
        string experiment = "", run = "";
        await OneEventAsync(async () => experiment = (string)(await _mlflow.OkAsync("experiments/create", new { name = "ev-exp" }))["experiment_id"]!,
            "experiment.created", "/", "experiment.create");
        var created = await OneEventAsync(async () => run = (string)(await _mlflow.OkAsync("runs/create", new { experiment_id = experiment, start_time = 1700000000000 }))["run"]!["info"]!["run_id"]!,
            "run.created", "/", "run.create");
        Assert.Equal("RUNNING", (string?)created["payload"]!["status"]);
        await OneEventAsync(async () => await _mlflow.OkAsync("runs/update", new { run_id = run, run_name = "renamed" }), "run.updated", "/", "run.update");
        var finished = await OneEventAsync(async () => await _mlflow.OkAsync("runs/update", new { run_id = run, status = "FINISHED", end_time = 1700000001000 }),
            "run.finished", "/", "run.update");
        Assert.Equal("FINISHED", (string?)finished["payload"]!["status"]);
        await OneEventAsync(async () => await _mlflow.OkAsync("logged-models", new { experiment_id = experiment, source_run_id = run }), "logged_model.created", "/", "logged_model.create");
        await AllNamedAsync();
    }

    [Fact]
    public async Task An_openlineage_event_writes_one_event()
    {
        var ol = new JsonObject
        {
            ["eventType"] = "COMPLETE",
            ["eventTime"] = "2026-01-31T12:00:00.000Z",
            ["producer"] = "https://example.com/tests",
            ["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            ["run"] = new JsonObject { ["runId"] = Guid.NewGuid().ToString() },
            ["job"] = new JsonObject { ["namespace"] = "ev", ["name"] = "job" },
            ["inputs"] = new JsonArray(new JsonObject { ["namespace"] = "ev", ["name"] = "in" }),
            ["outputs"] = new JsonArray(new JsonObject { ["namespace"] = "ev", ["name"] = "out" }),
        };
        var e = await OneEventAsync(async () =>
        {
            using var content = new StringContent(ol.ToJsonString(), Encoding.UTF8, "application/json");
            await (await _client.PostAsync(new Uri("/api/v1/lineage", UriKind.Relative), content)).ExpectAsync(201);
        }, "openlineage_event.received", "/", "openlineage.event");
        Assert.NotNull(e["payload"]);
        await AllNamedAsync();
    }

    [Fact]
    public async Task A_models_connection_secrets_are_masked_in_its_events()
    {
        var created = await OneEventAsync(async () => await (await _client.PostJsonAsync("/api/v1/models", new
        {
            @namespace = "/ev/secret",
            model_name = "m",
            data_sources = new[] { new { name = "warehouse", type = "postgres", connection = new { user = "svc", password = "hunter2", uri = "postgres://svc:hunter2@db/x" } } },
        })).ExpectAsync(201), "registered_model.created", "/ev/secret", "model.create");
        Assert.DoesNotContain("hunter2", created.ToJsonString(), StringComparison.Ordinal);
        // A read-modify-write echoes the masked values back: the stored password stays, and the event still hides it.
        var shown = await (await _client.GetAsync("/api/v1/models/ev.secret.m")).ExpectAsync(200);
        Assert.Equal("postgres://svc:****@db/x", (string?)shown["data_sources"]![0]!["connection"]!["uri"]);
        var updated = await OneEventAsync(async () => await (await _client.PatchJsonAsync("/api/v1/models/ev.secret.m", new { owner = "o", data_sources = shown["data_sources"] })).ExpectAsync(200),
            "registered_model.updated", "/ev/secret", "model.update");
        var stored = await Encryption.StoredForms.RevealedDataSourcesAsync(app, "ev.secret.m");
        Assert.Contains("svc:hunter2@db", stored, StringComparison.Ordinal);
        Assert.Contains("\"hunter2\"", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", updated.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(0, await app.ScalarAsync<long>("SELECT COUNT(*) FROM events WHERE payload LIKE '%hunter2%'"));
    }

    [Fact]
    public async Task A_refused_request_writes_no_event()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/ev/refused", model_name = "m" })).ExpectAsync(201);
        await NoEventAsync(async () => await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/ev/refused", model_name = "m" })).ExpectAsync(409));
        await NoEventAsync(async () => await (await _client.PatchJsonAsync("/api/v1/models/ev.refused.m", new { description = 3 })).ExpectAsync(400));
        await (await _client.PostJsonAsync("/api/v1/models/ev.refused.m/versions", new { })).ExpectAsync(201);
        // Checked inside the write transaction: READY cannot go back to PENDING_REGISTRATION.
        await NoEventAsync(async () => await (await _client.PatchJsonAsync("/api/v1/models/ev.refused.m/versions/1", new { status = "PENDING_REGISTRATION" })).ExpectAsync(409));
        await NoEventAsync(async () => await (await _client.PutJsonAsync("/api/v1/models/ev.refused.m/aliases/a", new { version = 9 })).ExpectAsync(404));
    }

    /// <summary>
    /// No audit action written so far fell through to a derived event name: every action is in the catalogue's table,
    /// every event type in its list (a new mutation path that forgets the catalogue fails here).
    /// </summary>
    private async Task AllNamedAsync()
    {
        static string List(IEnumerable<string> values) => string.Join(", ", values.Select(v => "'" + v.Replace("'", "''", StringComparison.Ordinal) + "'"));
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM audit_log WHERE action NOT IN ({List(EventCatalogue.KnownActions)})"));
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM events WHERE type NOT IN ({List(EventCatalogue.AllTypes)})"));
        Assert.Equal(await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log"), await app.ScalarAsync<long>("SELECT COUNT(*) FROM events"));
    }
}
