using System.Globalization;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Compliance;

/// <summary>
/// The compliance report's history (issue 17, item 5): every version that held a stage or an alias and when, and which
/// one held it at a given instant — MLflow's open request #2169, "which version was in production on date D".
/// </summary>
public sealed class ComplianceReportHistoryTests : IDisposable
{
    private readonly ClockedApp _app = new();
    private readonly HttpClient _client;

    public ComplianceReportHistoryTests() => _client = _app.CreateClient();

    public void Dispose() => _app.Dispose();

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    internal static async Task<JsonObject> ReportAsync(HttpClient client, string scope, DateTimeOffset? at = null)
    {
        var url = "/api/v1/reports/compliance?scope=" + Uri.EscapeDataString(scope) + (at is { } a ? "&at=" + Uri.EscapeDataString(Iso(a)) : "");
        return await (await client.GetAsync(url)).ExpectAsync(200);
    }

    internal static JsonObject Target(JsonObject report, string model, string target) =>
        report["models"]!.AsArray().Single(m => (string?)m!["model"] == model)!["targets"]!.AsArray()
            .Single(t => (string?)t!["target"] == target)!.AsObject();

    internal static int[] HeldAt(JsonObject target) => target["held_at"]!.AsArray().Select(v => (int)v!).ToArray();

    private async Task ModelAsync(string ns, string name, int versions)
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = ns, model_name = name })).ExpectAsync(201);
        var full = ns.Trim('/').Replace('/', '.') + "." + name;
        for (var i = 0; i < versions; i++)
        {
            await (await _client.PostJsonAsync($"/api/v1/models/{full}/versions", new { })).ExpectAsync(201);
        }
    }

    private async Task StageAsync(string model, int version, string stage, bool archive, double day)
    {
        _app.Clock.Set(ClockedApp.Day(day));
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions/{version}/stage", new { stage, archive_existing = archive })).ExpectAsync(200);
    }

    private async Task AliasAsync(string model, string alias, int? version, double day)
    {
        _app.Clock.Set(ClockedApp.Day(day));
        if (version is { } v)
        {
            await (await _client.PutJsonAsync($"/api/v1/models/{model}/aliases/{alias}", new { version = v })).ExpectAsync(200);
        }
        else
        {
            await (await _client.DeleteAsync($"/api/v1/models/{model}/aliases/{alias}")).ExpectAsync(204);
        }
    }

    [Fact]
    public async Task Production_holdings_are_intervals_and_at_names_the_version_in_production_on_each_date()
    {
        await ModelAsync("/risk", "scorer", 3);
        await StageAsync("risk.scorer", 1, "Production", archive: true, day: 1);
        await StageAsync("risk.scorer", 2, "Production", archive: true, day: 2);
        await StageAsync("risk.scorer", 3, "Staging", archive: true, day: 3);
        await StageAsync("risk.scorer", 3, "Production", archive: true, day: 4);

        var report = await ReportAsync(_client, "risk.scorer");
        var production = Target(report, "risk.scorer", "Production");
        var holdings = production["holdings"]!.AsArray();
        Assert.Equal([1, 2, 3], holdings.Select(h => (int)h!["version"]!));
        Assert.Equal([ClockedApp.Day(1), ClockedApp.Day(2), ClockedApp.Day(4)], holdings.Select(h => DateTimeOffset.Parse((string)h!["from"]!, CultureInfo.InvariantCulture)));
        Assert.Equal(ClockedApp.Day(2), DateTimeOffset.Parse((string)holdings[0]!["until"]!, CultureInfo.InvariantCulture));
        Assert.Equal(ClockedApp.Day(4), DateTimeOffset.Parse((string)holdings[1]!["until"]!, CultureInfo.InvariantCulture));
        Assert.Null(holdings[2]!["until"]);
        Assert.All(holdings, h => Assert.Equal("direct", (string?)h!["how"]));
        var staging = Target(report, "risk.scorer", "Staging")["holdings"]!.AsArray().Single()!;
        Assert.Equal(3, (int)staging["version"]!);
        Assert.Equal(ClockedApp.Day(4), DateTimeOffset.Parse((string)staging["until"]!, CultureInfo.InvariantCulture));
        Assert.Null(production["held_at"]);

        Assert.Empty(HeldAt(Target(await ReportAsync(_client, "risk.scorer", ClockedApp.Day(0.5)), "risk.scorer", "Production")));
        Assert.Equal(new[] { 1 }, HeldAt(Target(await ReportAsync(_client, "risk.scorer", ClockedApp.Day(1.5)), "risk.scorer", "Production")));
        // The instant of a change belongs to the version the change put there.
        Assert.Equal(new[] { 2 }, HeldAt(Target(await ReportAsync(_client, "risk.scorer", ClockedApp.Day(2)), "risk.scorer", "Production")));
        var day3 = await ReportAsync(_client, "risk.scorer", ClockedApp.Day(3.5));
        Assert.Equal(new[] { 2 }, HeldAt(Target(day3, "risk.scorer", "Production")));
        Assert.Equal(new[] { 3 }, HeldAt(Target(day3, "risk.scorer", "Staging")));
        Assert.Equal(new[] { 3 }, HeldAt(Target(await ReportAsync(_client, "risk.scorer", ClockedApp.Day(30)), "risk.scorer", "Production")));
        Assert.Equal(Iso(ClockedApp.Day(3.5)), Iso(DateTimeOffset.Parse((string)day3["at"]!, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Without_archiving_a_stage_holds_several_versions_at_once()
    {
        await ModelAsync("/risk", "twin", 2);
        await StageAsync("risk.twin", 1, "Production", archive: false, day: 1);
        await StageAsync("risk.twin", 2, "Production", archive: false, day: 2);

        Assert.Equal(new[] { 1, 2 }, HeldAt(Target(await ReportAsync(_client, "risk.twin", ClockedApp.Day(2.5)), "risk.twin", "Production")));
        Assert.Equal(new[] { 1 }, HeldAt(Target(await ReportAsync(_client, "risk.twin", ClockedApp.Day(1.5)), "risk.twin", "Production")));
    }

    [Fact]
    public async Task Alias_moves_and_removals_are_intervals_and_at_names_the_aliased_version()
    {
        await ModelAsync("/risk", "ranker", 2);
        await AliasAsync("risk.ranker", "champion", 1, day: 1);
        await AliasAsync("risk.ranker", "champion", 2, day: 2);
        await AliasAsync("risk.ranker", "champion", null, day: 3);
        await AliasAsync("risk.ranker", "champion", 1, day: 4);

        var report = await ReportAsync(_client, "risk.ranker", ClockedApp.Day(2.5));
        var champion = Target(report, "risk.ranker", "@champion");
        Assert.Equal("Alias", (string?)champion["kind"]);
        Assert.False((bool)champion["protected"]!);
        Assert.Equal(new[] { 2 }, HeldAt(champion));
        var holdings = champion["holdings"]!.AsArray();
        Assert.Equal([1, 2, 1], holdings.Select(h => (int)h!["version"]!));
        Assert.Equal(ClockedApp.Day(3), DateTimeOffset.Parse((string)holdings[1]!["until"]!, CultureInfo.InvariantCulture));
        Assert.Equal(ClockedApp.Day(4), DateTimeOffset.Parse((string)holdings[2]!["from"]!, CultureInfo.InvariantCulture));
        Assert.Null(holdings[2]!["until"]);

        Assert.Empty(HeldAt(Target(await ReportAsync(_client, "risk.ranker", ClockedApp.Day(3.5)), "risk.ranker", "@champion")));
        Assert.Equal(new[] { 1 }, HeldAt(Target(await ReportAsync(_client, "risk.ranker", ClockedApp.Day(5)), "risk.ranker", "@champion")));
        // The versions that held a target are listed with what they are.
        var versions = report["models"]![0]!["versions"]!.AsArray();
        Assert.Equal([1, 2], versions.Select(v => (int)v!["version"]!));
        Assert.All(versions, v => Assert.True((bool)v!["exists"]!));
    }

    [Fact]
    public async Task With_no_policy_staging_production_and_every_alias_are_listed_as_unprotected()
    {
        await ModelAsync("/risk", "plain", 1);
        await AliasAsync("risk.plain", "candidate", 1, day: 1);

        var report = await ReportAsync(_client, "risk.plain");
        var targets = report["models"]![0]!["targets"]!.AsArray();
        Assert.Equal(["Staging", "Production", "@candidate"], targets.Select(t => (string?)t!["target"]));
        Assert.All(targets, t => Assert.False((bool)t!["protected"]!));
        Assert.All(targets, t => Assert.Null(t!["rule"]));
        Assert.Equal("model", (string?)report["scope_kind"]);
        Assert.Equal(9, report["annex_iv"]!.AsArray().Count);
        Assert.Contains(report["annex_iv"]!.AsArray(), i => (string?)i!["coverage"] == "not_recorded");
    }

    [Fact]
    public async Task A_policy_marks_its_targets_protected_and_an_applied_request_is_shown_on_its_holding()
    {
        await ModelAsync("/risk/cards", "fraud", 2);
        // The history first (the policy would refuse these direct moves), then the policy and requests as the
        // promotion service stores them, written here behind its back.
        await StageAsync("risk.cards.fraud", 1, "Production", archive: true, day: 1);
        await StageAsync("risk.cards.fraud", 2, "Production", archive: true, day: 2);
        await AliasAsync("risk.cards.fraud", "prod-eu", 2, day: 3);
        var id = await _app.ScalarAsync<long>("SELECT id FROM models WHERE full_name = 'risk.cards.fraud'");
        var versionId = await _app.ScalarAsync<long>($"SELECT id FROM model_versions WHERE model_id = {id} AND version = 2");
        var day2 = ClockedApp.Day(2).ToUnixTimeMilliseconds();
        await _app.ExecuteSqlAsync($$$"""
            INSERT INTO policies (namespace, document, updated_at, updated_by)
            VALUES ('/risk', '{"protected_targets":[{"stage":"Production","approvals":2},{"alias":"prod-*","approvals":1}]}', 0, 'admin');
            INSERT INTO promotion_requests (id, model_id, model, namespace, version_id, version, target_kind, target, status, comment,
                requested_by, requested_at, expires_at, rule, policy_source, gates, gates_at, decided_at, decided_by, decision, previous_version)
            VALUES ('pr-1', {{{id}}}, 'risk.cards.fraud', '/risk/cards', {{{versionId}}}, 2, 'Stage', 'Production', 'APPLIED', 'ship it',
                'wendy', {{{day2 - 3_600_000}}}, {{{day2 + 86_400_000}}}, '{"stage":"Production","approvals":2}', '/risk',
                '[{"type":"metric_threshold","rule":"auc >= 0.8","passed":true,"reason":"auc 0.91 >= 0.8","evidence":{"auc":0.91}}]',
                {{{day2}}}, {{{day2}}}, 'anna', 'approved by 2 of 2', 1);
            INSERT INTO promotion_requests (id, model_id, model, namespace, version_id, version, target_kind, target, status, comment,
                requested_by, requested_at, rule, policy_source, decided_at, decided_by, decision)
            VALUES ('pr-0', {{{id}}}, 'risk.cards.fraud', '/risk/cards', {{{versionId}}}, 2, 'Stage', 'Production', 'REJECTED', 'first try',
                'wendy', {{{day2 - 7_200_000}}}, '{"stage":"Production","approvals":2}', '/risk', {{{day2 - 5_000_000}}}, 'anna', 'rejected by anna');
            INSERT INTO promotion_reviews (request_id, reviewer, verdict, comment, at) VALUES
                ('pr-1', 'anna', 'APPROVE', 'metrics fine', {{{day2 - 60_000}}}),
                ('pr-1', 'bob', 'APPROVE', '<b>ok</b>', {{{day2}}}),
                ('pr-0', 'anna', 'REJECT', 'no card', {{{day2 - 5_000_000}}});
            """);

        var report = await ReportAsync(_client, "risk.cards.fraud");
        var production = Target(report, "risk.cards.fraud", "Production");
        Assert.True((bool)production["protected"]!);
        Assert.Equal("namespace /risk", (string?)production["policy_source"]);
        Assert.Equal(2, (int)production["rule"]!["approvals"]!);
        var holdings = production["holdings"]!.AsArray();
        Assert.Equal("direct", (string?)holdings[0]!["how"]);
        Assert.Null(holdings[0]!["request"]);
        var applied = holdings[1]!;
        Assert.Equal("promotion_request", (string?)applied["how"]);
        var request = applied["request"]!;
        Assert.Equal("pr-1", (string?)request["id"]);
        Assert.Equal("wendy", (string?)request["requested_by"]);
        Assert.Equal("Applied", (string?)request["status"]);
        Assert.Equal(["anna", "bob"], request["reviews"]!.AsArray().Select(r => (string?)r!["reviewer"]));
        Assert.Equal(0.91, (double)request["gates"]![0]!["evidence"]!["auc"]!);
        Assert.Equal("approved by 2 of 2", (string?)request["decision"]);
        Assert.True((bool)Target(report, "risk.cards.fraud", "@prod-eu")["protected"]!);
        Assert.False((bool)Target(report, "risk.cards.fraud", "Staging")["protected"]!);
        // The request that was not applied is listed on the model.
        var other = report["models"]![0]!["requests"]!.AsArray().Single()!;
        Assert.Equal("pr-0", (string?)other["id"]);
        Assert.Equal("Rejected", (string?)other["status"]);
        Assert.Equal("REJECT", (string?)other["reviews"]![0]!["verdict"]);
    }

    [Fact]
    public async Task A_model_policy_that_unprotects_a_target_overrides_its_namespace()
    {
        await ModelAsync("/risk", "optout", 1);
        var id = await _app.ScalarAsync<long>("SELECT id FROM models WHERE full_name = 'risk.optout'");
        await _app.ExecuteSqlAsync($$"""
            INSERT INTO policies (namespace, document, updated_at, updated_by) VALUES ('/', '{"protected_targets":[{"stage":"Production"}]}', 0, 'admin');
            INSERT INTO policies (model_id, document, updated_at, updated_by) VALUES ({{id}}, '{"protected_targets":[{"stage":"Production","approvals":0}]}', 0, 'admin');
            """);

        var production = Target(await ReportAsync(_client, "risk.optout"), "risk.optout", "Production");
        Assert.False((bool)production["protected"]!);
        Assert.Equal("model risk.optout", (string?)production["policy_source"]);
    }

    [Fact]
    public async Task A_card_and_the_lineage_to_its_datasets_come_with_each_held_version()
    {
        await ModelAsync("/risk", "carded", 1);
        var id = await _app.ScalarAsync<long>("SELECT id FROM models WHERE full_name = 'risk.carded'");
        var versionId = await _app.ScalarAsync<long>($"SELECT id FROM model_versions WHERE model_id = {id}");
        await _app.ExecuteSqlAsync($$$"""
            INSERT INTO model_cards (version_id, model_id, model, version, document, risk_rating, status, created_at, created_by, updated_at, updated_by, approved_at, approved_by)
            VALUES ({{{versionId}}}, {{{id}}}, 'risk.carded', 1, '{"considerations":{"limitations":[{"description":"EU only"}]}}', 'High', 'Approved', 0, 'wendy', 0, 'wendy', 1000, 'anna');
            """);
        await (await _client.PostJsonAsync("/api/v1/lineage/edges", new { source = "dataset:s3://lake:claims/2026", target = "run:r-1", kind = "input" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/lineage/edges", new { source = "run:r-1", target = "model:risk.carded:1", kind = "output" })).ExpectAsync(201);
        await StageAsync("risk.carded", 1, "Staging", archive: false, day: 1);

        var version = (await ReportAsync(_client, "risk.carded"))["models"]![0]!["versions"]![0]!;
        var card = version["card"]!;
        Assert.Equal("Approved", (string?)card["status"]);
        Assert.Equal("High", (string?)card["risk_rating"]);
        Assert.Equal("anna", (string?)card["approved_by"]);
        Assert.Equal("EU only", (string?)card["document"]!["considerations"]!["limitations"]![0]!["description"]);
        var lineage = version["lineage"]!;
        Assert.Equal("model:risk.carded:1", (string?)lineage["node"]);
        Assert.Equal(1, (int)lineage["datasets"]!);
        var upstream = lineage["upstream"]!.AsArray();
        Assert.Equal(["run:r-1", "dataset:s3://lake:claims/2026"], upstream.Select(u => (string?)u!["id"]));
        Assert.Equal([1, 2], upstream.Select(u => (int)u!["depth"]!));
    }

    [Fact]
    public async Task A_namespace_report_covers_its_sub_namespaces_and_no_sibling()
    {
        await ModelAsync("/risk", "a", 1);
        await ModelAsync("/risk/cards", "b", 1);
        await ModelAsync("/riskier", "c", 1);
        await ModelAsync("/other", "d", 1);

        var report = await ReportAsync(_client, "/risk");
        Assert.Equal("namespace", (string?)report["scope_kind"]);
        Assert.Equal("/risk", (string?)report["scope"]);
        Assert.Equal(["risk.a", "risk.cards.b"], report["models"]!.AsArray().Select(m => (string?)m!["model"]));
        Assert.Equal(4, (await ReportAsync(_client, "/"))["models"]!.AsArray().Count);
    }

    [Fact]
    public async Task Bad_scopes_times_and_formats_are_refused_naming_the_parameter()
    {
        await ModelAsync("/risk", "m", 1);
        Assert.Contains("'scope'", (string?)(await (await _client.GetAsync("/api/v1/reports/compliance")).ExpectAsync(400, "INVALID_PARAMETER_VALUE"))["detail"], StringComparison.Ordinal);
        Assert.Contains("'at'", (string?)(await (await _client.GetAsync("/api/v1/reports/compliance?scope=risk.m&at=yesterday")).ExpectAsync(400, "INVALID_PARAMETER_VALUE"))["detail"], StringComparison.Ordinal);
        Assert.Contains("'format'", (string?)(await (await _client.GetAsync("/api/v1/reports/compliance?scope=risk.m&format=docx")).ExpectAsync(400, "INVALID_PARAMETER_VALUE"))["detail"], StringComparison.Ordinal);
        await (await _client.GetAsync("/api/v1/reports/compliance?scope=risk.nope")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync("/api/v1/reports/compliance?scope=/bad%20space")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        // An empty namespace is an empty report, not an error.
        Assert.Empty((await ReportAsync(_client, "/nothing/here"))["models"]!.AsArray());
    }
}
