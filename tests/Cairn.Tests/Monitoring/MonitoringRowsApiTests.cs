using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Monitoring;
using Cairn.Monitoring.Drift;
using Cairn.Tests.Api;
using Parquet;
using Parquet.Schema;

namespace Cairn.Tests.Monitoring;

/// <summary>
/// References and windows from raw rows (CSV, Parquet, octet-stream with ?format=) profiled by the server, references from
/// dataset statistics (named or through lineage), the drift report over a range, and refusals of bad rows that leave the
/// store as it was. SQLite and PostgreSQL.
/// </summary>
public sealed class MonitoringRowsApiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    internal static string Csv(int rows, int seed, double shift = 0, string[]? regions = null)
    {
        var random = new Random(seed);
        regions ??= ["north", "south", "east"];
        var text = new StringBuilder("amount,region,flag\n");
        for (var i = 0; i < rows; i++)
        {
            var amount = Math.Round(100 + shift + (random.NextDouble() + random.NextDouble() - 1) * 40, 2);
            text.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(',').Append(regions[random.Next(regions.Length)]).Append(',')
                .Append(random.NextDouble() < 0.3 ? "yes" : "no").Append('\n');
        }
        return text.ToString();
    }

    private static StringContent CsvBody(string csv) => new(csv, Encoding.UTF8, "text/csv");

    private static string Window(int version, int day) =>
        $"version={version}&starts_at={Q(Start.AddDays(day))}&ends_at={Q(Start.AddDays(day + 1))}";

    private static string Q(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O", CultureInfo.InvariantCulture));

    private static DatasetProfile Profile(JsonNode node) => JsonSerializer.Deserialize<DatasetProfile>(node.ToJsonString(), CairnJson.Options)!;

    [Fact]
    public async Task A_window_profiled_from_csv_is_compared_with_a_reference_from_a_sample_and_its_drift_rows_equal_the_calculators()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client);
        var reference = await (await _client.PutAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", CsvBody(Csv(400, 1)))).ExpectAsync(200);
        Assert.Equal(("sample", 400L), ((string?)reference["source"], (long)reference["rows"]!));

        var window = await (await _client.PostAsync($"/api/v1/deployments/{deployment}/windows?{Window(1, 0)}", CsvBody(Csv(300, 2, shift: 25)))).ExpectAsync(201);
        var id = (string)window["id"]!;
        Assert.Equal(("csv", 300L, 1), ((string?)window["source"], (long)window["rows"]!, (int)window["version"]!));

        var expected = DriftCalculator.Compare(Profile(reference["profile"]!), Profile(window["profile"]!), new DriftSettings());
        Assert.Equal(JsonSerializer.Serialize(expected, CairnJson.Options), window["drift"]!.ToJsonString());
        var amount = expected.Features.Single(f => f.Feature == "amount");
        Assert.True(amount.Drifted);
        Assert.Equal("ks", amount.Method);
        Assert.True((bool)window["drifted"]! == expected.Drifted);

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
        }

        var fetched = await (await _client.GetAsync($"/api/v1/monitoring/windows/{id}")).ExpectAsync(200);
        Assert.Equal(window["profile"]!.ToJsonString(), fetched["profile"]!.ToJsonString());

        var audit = await (await _client.GetAsync($"/api/v1/audit?action=monitoring.window.report&resource={Uri.EscapeDataString($"models/{model}/deployments/{deployment}/windows/{id}")}")).ExpectAsync(200);
        var after = Assert.Single(audit["entries"]!.AsArray())!["after"]!;
        Assert.Equal((deployment, model, 1, expected.Drifted), ((string)after["deployment"]!, (string)after["model"]!, (int)after["version"]!, (bool)after["drifted"]!));
        Assert.Contains("amount", after["drifted_features"]!.AsArray().Select(f => (string?)f));
        var events = await (await _client.GetAsync("/api/v1/events?types=monitoring.window_reported")).ExpectAsync(200);
        var reported = events["events"]!.AsArray().Single(e => (string?)e!["payload"]!["id"] == id)!;
        Assert.Equal("/" + model.Split('.')[0], (string?)reported["namespace"]);
    }

    [Fact]
    public async Task A_window_sent_as_parquet_or_as_octet_stream_csv_is_profiled_and_compared()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client);
        var referenceProfile = new DatasetProfile(6,
        [
            new FeatureProfile("amount", FeatureKind.Numerical, 6, Points: [new(1, 1), new(2, 1), new(3, 1), new(4, 1), new(5, 1), new(6, 1)], Exact: true),
            new FeatureProfile("region", FeatureKind.Categorical, 6, Categories: new Dictionary<string, long> { ["north"] = 3, ["south"] = 3 }),
        ]);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", new { profile = referenceProfile })).ExpectAsync(200);
        var current = new DatasetProfile(4,
        [
            new FeatureProfile("amount", FeatureKind.Numerical, 4, Points: [new(5, 2), new(9, 2)], Exact: true),
            new FeatureProfile("region", FeatureKind.Categorical, 4, Categories: new Dictionary<string, long> { ["north"] = 1, ["south"] = 3 }),
        ]);
        var window = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows",
            new { version = 1, starts_at = Start, ends_at = Start.AddHours(1), profile = current })).ExpectAsync(201);
        Assert.Equal("profile", (string?)window["source"]);
        Assert.Equal(JsonSerializer.Serialize(DriftCalculator.Compare(referenceProfile, current, new DriftSettings()), CairnJson.Options), window["drift"]!.ToJsonString());

        var parquet = await ParquetAsync([7, 8, 9, 9.5], ["south", "south", "north", "south"]);
        var content = new StreamContent(parquet);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.parquet");
        var fromParquet = await (await _client.PostAsync($"/api/v1/deployments/{deployment}/windows?{Window(1, 1)}&categorical=region", content)).ExpectAsync(201);
        Assert.Equal(("parquet", 4L), ((string?)fromParquet["source"], (long)fromParquet["rows"]!));
        Assert.Equal(JsonSerializer.Serialize(DriftCalculator.Compare(referenceProfile, Profile(fromParquet["profile"]!), new DriftSettings()), CairnJson.Options),
            fromParquet["drift"]!.ToJsonString());

        var octet = new ByteArrayContent(Encoding.UTF8.GetBytes("amount,region\n1,north\n2,south\n"));
        octet.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var fromOctet = await (await _client.PostAsync($"/api/v1/deployments/{deployment}/windows?{Window(1, 2)}&format=csv", octet)).ExpectAsync(201);
        Assert.Equal("csv", (string?)fromOctet["source"]);
    }

    internal static async Task<MemoryStream> ParquetAsync(double[] amounts, string[] regions)
    {
        var amount = new DataField<double>("amount");
        var region = new DataField<string>("region");
        var ms = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(amount, region), ms, null, false, default))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<double>(amount, amounts.AsMemory(), null, null, default);
            await group.WriteAsync(region, regions, null);
        }
        ms.Position = 0;
        return ms;
    }

    [Fact]
    public async Task A_reference_comes_from_a_named_datasets_statistics_or_from_the_training_dataset_in_lineage()
    {
        var (model, _) = await MonitoredModel.DeployAsync(_client);
        var lake = "s3://lake-" + Guid.NewGuid().ToString("N")[..8];
        await (await _client.PostJsonAsync("/api/v1/datasets", new
        {
            @namespace = lake,
            name = "claims/train",
            version = "2026-11",
            statistics = new
            {
                amount = new { count = 1000, nulls = 10, min = 0.0, max = 400.0, mean = 101.5, stddev = 30.2, histogram = new { edges = new[] { 0.0, 100.0, 200.0, 400.0 }, counts = new[] { 480, 500, 10 } } },
            },
        })).ExpectAsync(201);
        var dataset = $"dataset:{lake}:claims/train";
        var named = await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", new { dataset, dataset_version = "2026-11" })).ExpectAsync(200);
        Assert.Equal(("dataset", dataset, "2026-11", 1000L), ((string?)named["source"], (string?)named["dataset_id"], (string?)named["dataset_version"], (long)named["rows"]!));
        var amount = named["profile"]!["features"]![0]!;
        Assert.Equal(("amount", 990L, 10L), ((string)amount["name"]!, (long)amount["count"]!, (long)amount["missing"]!));
        Assert.Equal(3, amount["histogram"]!["counts"]!.AsArray().Count);

        // Version 2 was registered from a run that read only that dataset: the reference needs no name.
        var run = Guid.NewGuid().ToString();
        await (await _client.PostJsonAsync("/api/v1/executions", new { run_id = run, type = "training", job_namespace = "ml", job_name = "train", state = "COMPLETE", inputs = new[] { dataset } })).ExpectAsync(201);
        var v3 = await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", new { run_id = run })).ExpectAsync(201);
        var fromLineage = await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/{(int)v3["version"]!}/monitoring/reference", new { })).ExpectAsync(200);
        Assert.Equal((dataset, "2026-11"), ((string?)fromLineage["dataset_id"], (string?)fromLineage["dataset_version"]));

        var none = await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/2/monitoring/reference", new { })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("no training dataset", (string?)none["detail"], StringComparison.Ordinal);
        await (await _client.PutJsonAsync($"/api/v1/models/{model}/versions/2/monitoring/reference", new { dataset, dataset_version = "1999" })).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        var got = await (await _client.GetAsync($"/api/v1/models/{model}/versions/1/monitoring/reference")).ExpectAsync(200);
        Assert.Equal("dataset", (string?)got["source"]);
        await (await _client.GetAsync($"/api/v1/models/{model}/versions/2/monitoring/reference")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Drift_rows_are_filtered_and_paged_and_a_report_merges_the_windows_of_a_range()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client, canary: 2);
        var referenceCsv = Csv(300, 10);
        await (await _client.PutAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", CsvBody(referenceCsv))).ExpectAsync(200);
        await (await _client.PutAsync($"/api/v1/models/{model}/versions/2/monitoring/reference", CsvBody(referenceCsv))).ExpectAsync(200);
        var windows = new List<string>();
        for (var day = 0; day < 4; day++)
        {
            var created = await (await _client.PostAsync($"/api/v1/deployments/{deployment}/windows?{Window(1, day)}", CsvBody(Csv(100, 20 + day, shift: day * 5)))).ExpectAsync(201);
            windows.Add((string)created["id"]!);
        }
        await (await _client.PostAsync($"/api/v1/deployments/{deployment}/windows?{Window(2, 0)}", CsvBody(Csv(50, 40)))).ExpectAsync(201);

        var seen = new List<(string, string)>();
        string? token = null;
        do
        {
            var page = await (await _client.GetAsync($"/api/v1/monitoring/drift?deployment={deployment}&version=1&max_results=5" + (token is null ? "" : $"&page_token={token}"))).ExpectAsync(200);
            seen.AddRange(page["rows"]!.AsArray().Select(r => ((string)r!["window_id"]!, (string)r["feature"]!)));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        Assert.Equal(windows.SelectMany(w => new[] { (w, "amount"), (w, "flag"), (w, "region") }).ToList(), seen);

        var amountInRange = await (await _client.GetAsync(
            $"/api/v1/monitoring/drift?model={model}&feature=amount&from={Q(Start.AddDays(1))}&to={Q(Start.AddDays(3))}")).ExpectAsync(200);
        Assert.Equal([windows[1], windows[2]], amountInRange["rows"]!.AsArray().Select(r => (string)r!["window_id"]!));
        Assert.All(amountInRange["rows"]!.AsArray(), r => Assert.Equal(("amount", 1), ((string)r!["feature"]!, (int)r["version"]!)));

        var report = await (await _client.GetAsync($"/api/v1/monitoring/drift/report?deployment={deployment}&version=1&from={Q(Start)}&to={Q(Start.AddDays(2))}&method=psi&threshold=0.2")).ExpectAsync(200);
        Assert.Equal((2, 200L), ((int)report["windows"]!, (long)report["rows"]!));
        Assert.All(report["drift"]!["features"]!.AsArray(), f => Assert.Equal(("psi", 0.2), ((string)f!["method"]!, (double)f["threshold"]!)));
        var merged = Cairn.Monitoring.Profiling.FeatureProfiler.Merge(new[]
        {
            Profile((await (await _client.GetAsync($"/api/v1/monitoring/windows/{windows[0]}")).ExpectAsync(200))["profile"]!),
            Profile((await (await _client.GetAsync($"/api/v1/monitoring/windows/{windows[1]}")).ExpectAsync(200))["profile"]!),
        });
        var referenceProfile = Profile((await (await _client.GetAsync($"/api/v1/models/{model}/versions/1/monitoring/reference")).ExpectAsync(200))["profile"]!);
        var expected = DriftCalculator.Compare(referenceProfile, merged, new DriftSettings(new FeatureDriftSettings("psi", 0.2)));
        Assert.Equal(JsonSerializer.Serialize(expected, CairnJson.Options), report["drift"]!.ToJsonString());

        await (await _client.GetAsync($"/api/v1/monitoring/drift/report?deployment={deployment}")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.GetAsync($"/api/v1/monitoring/drift/report?deployment={deployment}&version=1&from={Q(Start.AddYears(1))}")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        await (await _client.GetAsync("/api/v1/monitoring/drift")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Bad_windows_are_refused_naming_why_and_leave_the_store_unchanged()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_client, versions: 3);
        await (await _client.PutAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", CsvBody(Csv(50, 1)))).ExpectAsync(200);
        var auditBefore = await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");

        var badCsv = await (await _client.PostAsync($"/api/v1/deployments/{deployment}/windows?{Window(1, 0)}",
            CsvBody("amount,region\n1.5,north\n2.5,south,extra\n"))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Matches("(?i)row|line", (string?)badCsv["detail"]);
        var unserved = await (await _client.PostAsync($"/api/v1/deployments/{deployment}/windows?{Window(3, 0)}", CsvBody(Csv(10, 2)))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("never served", (string?)unserved["detail"], StringComparison.Ordinal);
        await (await _client.PostAsync($"/api/v1/deployments/dep-nope/windows?{Window(1, 0)}", CsvBody(Csv(10, 2)))).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        var backwards = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows",
            new { version = 1, starts_at = Start, ends_at = Start.AddHours(-1), profile = new DatasetProfile(0, [new FeatureProfile("amount", FeatureKind.Numerical, 0)]) })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'ends_at'", (string?)backwards["detail"], StringComparison.Ordinal);
        var unsorted = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", new
        {
            version = 1,
            starts_at = Start,
            ends_at = Start.AddHours(1),
            profile = new DatasetProfile(2, [new FeatureProfile("amount", FeatureKind.Numerical, 2, Points: [new(5, 1), new(1, 1)], Exact: true)]),
        })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'profile.features[0].points'", (string?)unsorted["detail"], StringComparison.Ordinal);
        var unknownField = await (await _client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", new { version = 1, startz_at = Start })).ExpectAsync(400);
        Assert.Contains("startz_at", unknownField.ToJsonString(), StringComparison.Ordinal);
        var noFormat = new ByteArrayContent([1, 2, 3]);
        noFormat.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        await (await _client.PostAsync($"/api/v1/deployments/{deployment}/windows?{Window(1, 0)}", noFormat)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        var notParquet = new ByteArrayContent(Encoding.UTF8.GetBytes("not parquet at all"));
        notParquet.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.parquet");
        await (await _client.PostAsync($"/api/v1/deployments/{deployment}/windows?{Window(1, 0)}", notParquet)).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await _client.PostAsync($"/api/v1/deployments/{deployment}/windows?{Window(1, 0)}", new StringContent("<xml/>", Encoding.UTF8, "application/xml"))).ExpectAsync(415);

        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM monitoring_windows WHERE deployment_id = '{deployment}'"));
        Assert.Equal(auditBefore, await app.ScalarAsync<long>("SELECT COUNT(*) FROM audit_log"));
    }

}
