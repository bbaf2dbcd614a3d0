using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Client;
using Cairn.Tests.Api;

namespace Cairn.Tests.Monitoring;

/// <summary>The typed client's monitoring calls against the real server in-process: routes, bodies and JSON shapes.</summary>
public sealed class MonitoringClientTests(CairnApp app) : IClassFixture<CairnApp>, IDisposable
{
    private readonly HttpClient _http = app.CreateClient();
    private readonly CairnClient _cairn = new(app.CreateClient());
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

    public void Dispose() => _cairn.Dispose();

    private static MemoryStream Csv(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task A_reference_windows_drift_and_performance_round_trip_through_the_client()
    {
        var (model, deployment) = await MonitoredModel.DeployAsync(_http);
        var reference = await _cairn.SetReferenceFromSampleAsync(model, 1, Csv(MonitoringRowsApiTests.Csv(200, 1)), "csv");
        Assert.Equal(("sample", 200L), (reference.Source, reference.Rows));
        Assert.Equal(reference.Profile.ToJsonString(), (await _cairn.GetReferenceProfileAsync(model, 1)).Profile.ToJsonString());

        var settings = await _cairn.SetMonitoringSettingsAsync(model, new DriftSettings(Features: new Dictionary<string, FeatureDriftSettings> { ["region"] = new("psi") }));
        Assert.Equal("psi", settings.Settings.Features!["region"].Method);

        var window = await _cairn.ReportWindowAsync(deployment, 1, Start, Start.AddHours(1), Csv(MonitoringRowsApiTests.Csv(150, 2, shift: 30)), "csv");
        Assert.True(window.Drift!.Features.Single(f => f.Feature == "amount").Drifted);
        Assert.Equal("psi", window.Drift.Features.Single(f => f.Feature == "region").Method);
        var fromProfile = await _cairn.ReportWindowProfileAsync(deployment, 1, Start.AddHours(1), Start.AddHours(2), window.Profile!);
        Assert.Equal(window.Drift.Features.Select(f => f.Score), fromProfile.Drift!.Features.Select(f => f.Score));
        Assert.Equal(window.Id, (await _cairn.GetWindowAsync(window.Id)).Id);

        var page = await _cairn.GetDriftPageAsync(deployment: deployment, feature: "amount");
        Assert.Equal([window.Id, fromProfile.Id], page.Rows.Select(r => r.WindowId));
        var report = await _cairn.GetDriftReportAsync(deployment, from: Start, to: Start.AddHours(2), method: "psi", threshold: 0.2);
        Assert.Equal((2, 300L), (report.Windows, report.Rows));
        Assert.Equal(("psi", 0.2), report.Drift.Features.Select(f => (f.Method, f.Threshold)).Distinct().Single());

        var predicted = await _cairn.LogPredictionsAsync(deployment,
        [
            new PredictionInput("a", 1, Start, JsonSerializer.SerializeToElement(1), new Dictionary<string, double> { ["1"] = 0.9, ["0"] = 0.1 }),
            new PredictionInput("b", 1, Start.AddMinutes(5), JsonSerializer.SerializeToElement(0), new Dictionary<string, double> { ["1"] = 0.2, ["0"] = 0.8 }),
        ]);
        Assert.Equal(2, predicted.Stored);
        var truth = await _cairn.LogGroundTruthAsync(deployment, [new GroundTruthInput("a", JsonSerializer.SerializeToElement(1)), new GroundTruthInput("b", JsonSerializer.SerializeToElement(1))]);
        Assert.Contains(truth.Recomputed, p => p.Metric == "accuracy" && p.Value == 0.5);
        await _cairn.ReportMetricsAsync(deployment, [new ReportedMetricInput(1, "latency_p99_ms", Start, Start.AddHours(1), 120)]);
        var series = await _cairn.GetPerformanceAsync(deployment, bucket: "hour");
        Assert.Equal(0.5, series.Points.Single(p => p.Metric == "accuracy").Value);
        Assert.Equal(("reported", 120.0), series.Points.Where(p => p.Metric == "latency_p99_ms").Select(p => (p.Source, p.Value)).Single());

        var missing = await Assert.ThrowsAsync<CairnApiException>(() => _cairn.GetPerformanceAsync("dep-none"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(Start.ToString("O", CultureInfo.InvariantCulture), series.Points[0].StartsAt.ToString("O", CultureInfo.InvariantCulture));
        Assert.IsType<JsonObject>(window.Profile);
    }
}
