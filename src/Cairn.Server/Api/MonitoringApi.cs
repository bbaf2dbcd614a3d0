using Cairn.Monitoring;
using Cairn.Monitoring.Performance;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

/// <summary>
/// Monitoring: reference profiles and drift settings per model version, windows, predictions, ground truth and reported
/// metrics per deployment, and the reads over them (<c>/api/v1/monitoring/…</c>). docs/monitoring.md ("Monitoring API").
/// </summary>
public static class MonitoringApi
{
    public static RouteGroupBuilder MapMonitoringApi(this RouteGroupBuilder api)
    {
        var models = api.MapGroup("/models/{fullName}").WithTags("Monitoring");
        models.MapGet("/monitoring/settings", GetSettingsAsync).WithSummary("The model's drift settings (Evidently's defaults until set)");
        models.MapPut("/monitoring/settings", PutSettingsAsync).WithSummary("Replace the model's drift settings (writer)");
        models.MapGet("/versions/{version}/monitoring/reference", GetReferenceAsync).WithSummary("The version's reference profile");
        models.MapPut("/versions/{version}/monitoring/reference", SetReferenceAsync)
            .WithSummary("Set the version's reference profile (writer) from a profile");

        var deployments = api.MapGroup("/deployments/{id}").WithTags("Monitoring");
        deployments.MapPost("/windows", ReportWindowAsync)
            .WithSummary("Report a window of serving data as a profile (writer); drift against the reference is computed and stored");
        deployments.MapPost("/predictions", LogPredictionsAsync)
            .WithSummary("Log a batch of predictions (writer): [{id, version, at, prediction, probabilities?}]; a re-sent id replaces its row");
        deployments.MapPost("/ground-truth", LogGroundTruthAsync)
            .WithSummary("Log the ground truth of predictions (writer): [{id, actual, at?}]; a re-sent id replaces its row");
        deployments.MapPost("/metrics", ReportMetricsAsync)
            .WithSummary("Report figures the serving side computed (writer): [{version, metric, starts_at, ends_at, value, count?}]");

        var monitoring = api.MapGroup("/monitoring").WithTags("Monitoring");
        monitoring.MapGet("/windows/{windowId}", GetWindowAsync).WithSummary("One window with its profile and drift");
        monitoring.MapGet("/drift", DriftAsync).WithSummary("Per-window, per-feature drift rows of a deployment or model, oldest first, paged");
        monitoring.MapGet("/performance", PerformanceAsync)
            .WithSummary("Performance figures per version and bucket (hour, day, range) from predictions with ground truth, and reported figures");
        return api;
    }

    public static async Task<Ok<ModelMonitoringSettings>> GetSettingsAsync(string fullName, HttpContext http, DriftSettingsStore settings, CancellationToken cancellationToken) =>
        TypedResults.Ok(await settings.GetAsync(http.Caller(), fullName, cancellationToken));

    public static async Task<Ok<ModelMonitoringSettings>> PutSettingsAsync(string fullName, DriftSettings body, HttpContext http, DriftSettingsStore settings, CancellationToken cancellationToken) =>
        TypedResults.Ok(await settings.PutAsync(http.Caller(), fullName, body, cancellationToken));

    public static async Task<Ok<ReferenceProfile>> GetReferenceAsync(string fullName, string version, HttpContext http, ReferenceProfiles references, CancellationToken cancellationToken) =>
        TypedResults.Ok(await references.GetAsync(http.Caller(), fullName, VersionsApi.Number(version), cancellationToken));

    public static async Task<Ok<ReferenceProfile>> SetReferenceAsync(string fullName, string version, ReferenceRequest body, HttpContext http, ReferenceProfiles references, CancellationToken cancellationToken) =>
        TypedResults.Ok(await references.SetAsync(http.Caller(), fullName, VersionsApi.Number(version), body, cancellationToken));

    public static async Task<Created<MonitoringWindow>> ReportWindowAsync(string id, WindowRequest body, HttpContext http, MonitoringWindows windows, CancellationToken cancellationToken)
    {
        var window = await windows.ReportAsync(http.Caller(), id, body, cancellationToken);
        return TypedResults.Created(ApiPaths.Of("api/v1/monitoring/windows", window.Id), window);
    }

    public static async Task<Ok<IngestResult>> LogPredictionsAsync(string id, [FromBody] PredictionInput[] body, HttpContext http, PredictionStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.LogPredictionsAsync(http.Caller(), id, body, cancellationToken));

    public static async Task<Ok<IngestResult>> LogGroundTruthAsync(string id, [FromBody] GroundTruthInput[] body, HttpContext http, PredictionStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.LogGroundTruthAsync(http.Caller(), id, body, cancellationToken));

    public static async Task<Ok<IngestResult>> ReportMetricsAsync(string id, [FromBody] ReportedMetricInput[] body, HttpContext http, PredictionStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ReportMetricsAsync(http.Caller(), id, body, cancellationToken));

    public static async Task<Ok<MonitoringWindow>> GetWindowAsync(string windowId, HttpContext http, MonitoringWindows windows, CancellationToken cancellationToken) =>
        TypedResults.Ok(await windows.GetAsync(http.Caller(), windowId, cancellationToken));

    public static async Task<Ok<WindowDriftPage>> DriftAsync(
        HttpContext http, MonitoringWindows windows, CancellationToken cancellationToken,
        string? deployment = null, string? model = null, int? version = null, string? feature = null, DateTimeOffset? from = null, DateTimeOffset? to = null,
        [FromQuery(Name = "max_results")] int? maxResults = null, [FromQuery(Name = "page_token")] string? pageToken = null) =>
        TypedResults.Ok(await windows.DriftAsync(http.Caller(), new WindowDriftQuery(deployment, model, version, feature, from, to, maxResults, pageToken), cancellationToken));

    public static async Task<Ok<PerformanceSeries>> PerformanceAsync(
        HttpContext http, PredictionStore store, CancellationToken cancellationToken,
        string? deployment = null, int? version = null, string? metric = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? bucket = null,
        string? task = null, [FromQuery(Name = "positive_label")] string? positiveLabel = null) =>
        TypedResults.Ok(await store.PerformanceAsync(http.Caller(), new PerformanceQuery(deployment, version, metric, from, to, bucket, task, positiveLabel), cancellationToken));
}
