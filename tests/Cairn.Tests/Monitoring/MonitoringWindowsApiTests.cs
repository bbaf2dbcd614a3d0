using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Monitoring;
using Cairn.Monitoring.Drift;
using Cairn.Tests.Api;

namespace Cairn.Tests.Monitoring;

/// <summary>
/// Reference profiles and windows through the API: the stored drift rows equal the drift calculator's; settings
/// applied; reads and paging; refusals that leave the store as it was. SQLite and PostgreSQL.
/// </summary>
public sealed class MonitoringWindowsApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>An exact profile of <paramref name="rows"/> rows: amount (numerical), region (categorical), flag (binary).</summary>
    internal static DatasetProfile ExactProfile(int rows, int seed, double shift = 0)
    {
        var random = new Random(seed);
        var amounts = new SortedDictionary<double, double>();
        var regions = new Dictionary<string, long>();
        var flags = new Dictionary<string, long>();
        string[] names = ["north", "south", "east"];
        for (var i = 0; i < rows; i++)
        {
            var amount = Math.Round(100 + shift + (random.NextDouble() + random.NextDouble() - 1) * 40, 2);
            amounts[amount] = amounts.GetValueOrDefault(amount) + 1;
            var region = names[random.Next(names.Length)];
            regions[region] = regions.GetValueOrDefault(region) + 1;
            var flag = random.NextDouble() < 0.3 ? "yes" : "no";
            flags[flag] = flags.GetValueOrDefault(flag) + 1;
        }
        var points = amounts.Select(a => new WeightedValue(a.Key, a.Value)).ToList();
        var mean = points.Sum(p => p.Value * p.Weight) / rows;
        var std = Math.Sqrt(points.Sum(p => (p.Value - mean) * (p.Value - mean) * p.Weight) / rows);
        return new DatasetProfile(rows,
        [
            new FeatureProfile("amount", FeatureKind.Numerical, rows, 0, points[0].Value, points[^1].Value, mean, std, points, Exact: true),
            new FeatureProfile("region", FeatureKind.Categorical, rows, Categories: regions),
            new FeatureProfile("flag", FeatureKind.Categorical, rows, Categories: flags),
        ]);
    }

    private static object WindowBody(int version, int day, DatasetProfile profile) =>
        new { version, starts_at = Start.AddDays(day), ends_at = Start.AddDays(day + 1), profile };

    private static string Q(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O", CultureInfo.InvariantCulture));

    private static string Json(object value) => JsonSerializer.Serialize(value, CairnJson.Options);

    [Fact]
    public async Task A_window_is_compared_with_the_versions_reference_and_its_drift_rows_equal_the_calculators()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client);
        var reference = ExactProfile(400, 1);
        var set = await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", new { profile = reference })).ExpectAsync(200);
        Assert.Equal(("profile", 400L), ((string?)set["source"], (long)set["rows"]!));

        var current = ExactProfile(300, 2, shift: 25);
        var window = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", WindowBody(1, 0, current))).ExpectAsync(201);
        var id = (string)window["id"]!;
        Assert.Equal(("profile", 300L, 1), ((string?)window["source"], (long)window["rows"]!, (int)window["version"]!));

        var expected = DriftCalculator.Compare(reference, current, new DriftSettings());
        Assert.Equal(Json(expected), window["drift"]!.ToJsonString());
        var amount = expected.Features.Single(f => f.Feature == "amount");
        Assert.True(amount.Drifted);
        Assert.Equal("ks", amount.Method);
        Assert.Equal(expected.Drifted, (bool)window["drifted"]!);

        var rows = await (await _client.GetAsync($"/api/v1/monitoring/drift?deployment={deployment}")).ExpectAsync(200);
        var stored = rows["rows"]!.AsArray();
        Assert.Equal(expected.Features.Count, stored.Count);
        foreach (var feature in expected.Features)
        {
            var row = stored.Single(r => (string?)r!["feature"] == feature.Feature)!;
            Assert.Equal((id, feature.Method, feature.Drifted, feature.Threshold), ((string)row["window_id"]!, (string)row["method"]!, (bool)row["drifted"]!, (double)row["threshold"]!));
            Assert.Equal(feature.Score, (double)row["score"]!);
            Assert.Equal(feature.Statistic, (double?)row["statistic"]);
            Assert.Equal(feature.Psi, (double?)row["psi"]);
            Assert.Equal(feature.PsiBand, (string?)row["psi_band"]);
        }

        var fetched = await (await _client.GetAsync($"/api/v1/monitoring/windows/{id}")).ExpectAsync(200);
        Assert.Equal(window["profile"]!.ToJsonString(), fetched["profile"]!.ToJsonString());
        Assert.Equal(Json(current), fetched["profile"]!.ToJsonString());

        var audit = await (await _client.GetAsync($"/api/v1/audit?action=monitoring.window.report&resource={Uri.EscapeDataString($"models/{model}/deployments/{deployment}/windows/{id}")}")).ExpectAsync(200);
        var after = Assert.Single(audit["entries"]!.AsArray())!["after"]!;
        Assert.Equal((deployment, model, 1, expected.Drifted), ((string)after["deployment"]!, (string)after["model"]!, (int)after["version"]!, (bool)after["drifted"]!));
        Assert.Equal(expected.Features.Where(f => f.Drifted).Select(f => f.Feature), after["drifted_features"]!.AsArray().Select(f => (string)f!));
        var events = await (await _client.GetAsync("/api/v1/events?types=monitoring.window_reported")).ExpectAsync(200);
        var reported = events["events"]!.AsArray().Single(e => (string?)e!["payload"]!["id"] == id)!;
        Assert.Equal("/" + model.Split('.')[0], (string?)reported["namespace"]);
        var referenceEvent = await (await _client.GetAsync("/api/v1/events?types=monitoring.reference_set")).ExpectAsync(200);
        Assert.Contains(referenceEvent["events"]!.AsArray(), e => (string?)e!["payload"]!["model"] == model);
    }

    [Fact]
    public async Task The_models_drift_settings_choose_each_features_method_and_threshold()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client);
        var defaults = await (await _client.GetAsync($"/api/v1/models/{model}/monitoring/settings")).ExpectAsync(200);
        Assert.Equal(0.5, (double)defaults["settings"]!["drift_share"]!);
        Assert.Null(defaults["updated_at"]);
        var settings = new DriftSettings(new FeatureDriftSettings("psi", 0.2), new Dictionary<string, FeatureDriftSettings> { ["amount"] = new("wasserstein", 0.05) }, 0.3);
        var stored = await (await _client.PutJsonAsync($"/api/v1/models/{model}/monitoring/settings", settings)).ExpectAsync(200);
        Assert.Equal("tester", (string?)stored["updated_by"]);
        var bad = await (await _client.PutJsonAsync($"/api/v1/models/{model}/monitoring/settings", new { drift_share = 1.5 })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("drift_share", (string?)bad["detail"], StringComparison.Ordinal);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/monitoring/settings", new { @default = new { method = "magic" } })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Equal(0.3, (double)(await (await _client.GetAsync($"/api/v1/models/{model}/monitoring/settings")).ExpectAsync(200))["settings"]!["drift_share"]!);

        var reference = ExactProfile(200, 5);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", new { profile = reference })).ExpectAsync(200);
        var current = ExactProfile(200, 6, shift: 3);
        var window = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", WindowBody(1, 0, current))).ExpectAsync(201);
        var drift = window["drift"]!;
        Assert.Equal(0.3, (double)drift["drift_share_threshold"]!);
        var byFeature = drift["features"]!.AsArray().ToDictionary(f => (string)f!["feature"]!, f => ((string)f!["method"]!, (double)f["threshold"]!));
        Assert.Equal(("wasserstein", 0.05), byFeature["amount"]);
        Assert.Equal(("psi", 0.2), byFeature["region"]);
        Assert.Equal(Json(DriftCalculator.Compare(reference, current, settings)), drift.ToJsonString());
    }

    [Fact]
    public async Task Drift_rows_are_filtered_by_model_version_feature_and_time_and_paged()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client, canary: 2);
        var reference = ExactProfile(300, 10);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", new { profile = reference })).ExpectAsync(200);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/2/monitoring/reference", new { profile = reference })).ExpectAsync(200);
        var windows = new List<string>();
        for (var day = 0; day < 4; day++)
        {
            var created = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", WindowBody(1, day, ExactProfile(100, 20 + day, shift: day * 5)))).ExpectAsync(201);
            windows.Add((string)created["id"]!);
        }
        await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", WindowBody(2, 1, ExactProfile(50, 40)))).ExpectAsync(201);

        var seen = new List<(string, string)>();
        string? token = null;
        do
        {
            var page = await (await _client.GetAsync($"/api/v1/monitoring/drift?deployment={deployment}&version=1&max_results=5" + (token is null ? "" : $"&page_token={token}"))).ExpectAsync(200);
            Assert.True(page["rows"]!.AsArray().Count <= 5);
            seen.AddRange(page["rows"]!.AsArray().Select(r => ((string)r!["window_id"]!, (string)r["feature"]!)));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        Assert.Equal(windows.SelectMany(w => new[] { (w, "amount"), (w, "flag"), (w, "region") }).ToList(), seen);

        var amountInRange = await (await _client.GetAsync(
            $"/api/v1/monitoring/drift?model={model}&feature=amount&from={Q(Start.AddDays(1))}&to={Q(Start.AddDays(3))}")).ExpectAsync(200);
        Assert.Equal([(windows[1], 1), (windows[2], 1)], amountInRange["rows"]!.AsArray().Where(r => (int)r!["version"]! == 1).Select(r => ((string)r!["window_id"]!, (int)r["version"]!)));
        Assert.Equal(3, amountInRange["rows"]!.AsArray().Count);
        Assert.All(amountInRange["rows"]!.AsArray(), r => Assert.Equal("amount", (string?)r!["feature"]));

        await (await _client.GetAsync("/api/v1/monitoring/drift")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.GetAsync($"/api/v1/monitoring/drift?deployment={deployment}&page_token=bogus")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.GetAsync("/api/v1/monitoring/drift?deployment=dep-nope")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync("/api/v1/monitoring/windows/nope")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Bad_windows_are_refused_naming_why_and_leave_the_store_unchanged()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client, versions: 3);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", new { profile = ExactProfile(50, 1) })).ExpectAsync(200);
        var auditBefore = await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");

        var unserved = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", WindowBody(3, 0, ExactProfile(10, 2)))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("never served", (string?)unserved["detail"], StringComparison.Ordinal);
        await (await _client.PostJsonAsync("/api/v1/deployments/dep-nope/windows", WindowBody(1, 0, ExactProfile(10, 2)))).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        var backwards = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows",
            new { version = 1, starts_at = Start, ends_at = Start.AddHours(-1), profile = ExactProfile(10, 2) })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'ends_at'", (string?)backwards["detail"], StringComparison.Ordinal);
        var unsorted = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", WindowBody(1, 0,
            new DatasetProfile(2, [new FeatureProfile("amount", FeatureKind.Numerical, 2, Points: [new(5, 1), new(1, 1)], Exact: true)])))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'profile.features[0].points'", (string?)unsorted["detail"], StringComparison.Ordinal);
        var twice = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", WindowBody(1, 0,
            new DatasetProfile(2, [new FeatureProfile("amount", FeatureKind.Numerical, 2), new FeatureProfile("amount", FeatureKind.Numerical, 2)])))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'profile.features[1].name'", (string?)twice["detail"], StringComparison.Ordinal);
        var wrongMethod = await (await _client.PutJsonAsync($"/api/v1/models/{model}/monitoring/settings",
            new DriftSettings(Features: new Dictionary<string, FeatureDriftSettings> { ["region"] = new("ks") }))).ExpectAsync(200);
        Assert.NotNull(wrongMethod);
        auditBefore++;
        var ksOnCategories = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", WindowBody(1, 0, ExactProfile(10, 2)))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("region", (string?)ksOnCategories["detail"], StringComparison.Ordinal);
        var unknownField = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", new { version = 1, startz_at = Start })).ExpectAsync(400);
        Assert.Contains("startz_at", unknownField.ToJsonString(), StringComparison.Ordinal);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/9/monitoring/reference", new { profile = ExactProfile(10, 2) })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");

        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM monitoring_windows WHERE deployment_id = '{deployment}'"));
        Assert.Equal(auditBefore, await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log"));
    }

    [Fact]
    public async Task A_window_of_a_version_without_a_reference_is_stored_without_drift()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client);
        var window = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", WindowBody(1, 0, ExactProfile(20, 3)))).ExpectAsync(201);
        Assert.Null(window["drift"]);
        Assert.Null(window["drifted"]);
        var rows = await (await _client.GetAsync($"/api/v1/monitoring/drift?deployment={deployment}")).ExpectAsync(200);
        Assert.Empty(rows["rows"]!.AsArray());
        await (await _client.GetAsync($"/api/v1/models/{model}/versions/1/monitoring/reference")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }
}
