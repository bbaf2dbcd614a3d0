
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
    private static readonly string[] BodyTypes = ["application/json", "text/csv", "application/vnd.apache.parquet", "application/octet-stream"];

    private const string RowsNote =
        "The body is JSON, or raw rows: text/csv, application/vnd.apache.parquet, or application/octet-stream with ?format=csv|parquet, "
        + "profiled while it streams (categorical= and numerical= name columns to force their kind; columns= limits the profile to some). "
        + "The server's request body limit applies (Cairn:Limits:MaxRequestBodyBytes).";

    public static RouteGroupBuilder MapMonitoringApi(this RouteGroupBuilder api)
    {

        var deployments = api.MapGroup("/deployments/{id}").WithTags("Monitoring");
        deployments.MapPost("/predictions", LogPredictionsAsync)
            .WithSummary("Log a batch of predictions (writer): [{id, version, at, prediction, probabilities?}]; a re-sent id replaces its row");
        deployments.MapPost("/ground-truth", LogGroundTruthAsync)
            .WithSummary("Log the ground truth of predictions (writer): [{id, actual, at?}]; a re-sent id replaces its row");
        deployments.MapPost("/metrics", ReportMetricsAsync)
            .WithSummary("Report figures the serving side computed (writer): [{version, metric, starts_at, ends_at, value, count?}]");

        var monitoring = api.MapGroup("/monitoring").WithTags("Monitoring");
        monitoring.MapGet("/performance", PerformanceAsync)
            .WithSummary("Performance figures per version and bucket (hour, day, range) from predictions with ground truth, and reported figures");
        return api;
    }



    public static async Task<Ok<IngestResult>> LogPredictionsAsync(string id, [FromBody] PredictionInput[] body, HttpContext http, PredictionStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.LogPredictionsAsync(http.Caller(), id, body, cancellationToken));

    public static async Task<Ok<IngestResult>> LogGroundTruthAsync(string id, [FromBody] GroundTruthInput[] body, HttpContext http, PredictionStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.LogGroundTruthAsync(http.Caller(), id, body, cancellationToken));

    public static async Task<Ok<IngestResult>> ReportMetricsAsync(string id, [FromBody] ReportedMetricInput[] body, HttpContext http, PredictionStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ReportMetricsAsync(http.Caller(), id, body, cancellationToken));

    public static async Task<Ok<PerformanceSeries>> PerformanceAsync(
        HttpContext http, PredictionStore store, CancellationToken cancellationToken,
        string? deployment = null, int? version = null, string? metric = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? bucket = null,
        string? task = null, [FromQuery(Name = "positive_label")] string? positiveLabel = null) =>
        TypedResults.Ok(await store.PerformanceAsync(http.Caller(), new PerformanceQuery(deployment, version, metric, from, to, bucket, task, positiveLabel), cancellationToken));
}
