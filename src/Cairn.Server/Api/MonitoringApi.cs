using System.Text.Json;
using Cairn.Monitoring;
using Cairn.Monitoring.Performance;
using Cairn.Monitoring.Profiling;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

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
        var models = api.MapGroup("/models/{fullName}").WithTags("Monitoring");
        models.MapGet("/monitoring/settings", GetSettingsAsync).WithSummary("The model's drift settings (Evidently's defaults until set)");
        models.MapPut("/monitoring/settings", PutSettingsAsync).WithSummary("Replace the model's drift settings (writer)");
        models.MapGet("/versions/{version}/monitoring/reference", GetReferenceAsync).WithSummary("The version's reference profile");
        models.MapPut("/versions/{version}/monitoring/reference", SetReferenceAsync)
            .WithSummary("Set the version's reference profile (writer): a profile, a dataset's statistics, the training dataset's, or a sample of rows")
            .WithDescription(RowsNote).Accepts<ReferenceRequest>(BodyTypes[0], BodyTypes[1..]);

        var deployments = api.MapGroup("/deployments/{id}").WithTags("Monitoring");
        deployments.MapPost("/windows", ReportWindowAsync)
            .WithSummary("Report a window of serving data (writer): a profile (JSON) or raw rows; drift against the reference is computed and stored")
            .WithDescription(RowsNote + " For rows, version, starts_at and ends_at are query parameters.").Accepts<WindowRequest>(BodyTypes[0], BodyTypes[1..]);
        deployments.MapPost("/predictions", LogPredictionsAsync)
            .WithSummary("Log a batch of predictions (writer): [{id, version, at, prediction, probabilities?}]; a re-sent id replaces its row");
        deployments.MapPost("/ground-truth", LogGroundTruthAsync)
            .WithSummary("Log the ground truth of predictions (writer): [{id, actual, at?}]; a re-sent id replaces its row");
        deployments.MapPost("/metrics", ReportMetricsAsync)
            .WithSummary("Report figures the serving side computed (writer): [{version, metric, starts_at, ends_at, value, count?}]");

        var monitoring = api.MapGroup("/monitoring").WithTags("Monitoring");
        monitoring.MapGet("/windows/{windowId}", GetWindowAsync).WithSummary("One window with its profile and drift");
        monitoring.MapGet("/drift", DriftAsync).WithSummary("Per-window, per-feature drift rows of a deployment or model, oldest first, paged");
        monitoring.MapGet("/drift/report", DriftReportAsync)
            .WithSummary("The windows of a deployment and version in a range, merged and compared with the reference now (optional method/threshold for every feature)");
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

    public static async Task<Ok<ReferenceProfile>> SetReferenceAsync(
        string fullName, string version, HttpContext http, ReferenceProfiles references, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken,
        string? format = null, string? columns = null, string? categorical = null, string? numerical = null)
    {
        var n = VersionsApi.Number(version);
        if (RowFormats.FromContentType(http.Request.ContentType, format) is { } rows)
        {
            return TypedResults.Ok(await references.SetFromSampleAsync(http.Caller(), fullName, n, http.Request.Body, rows, Options(columns, categorical, numerical), cancellationToken));
        }
        var request = await ReadJsonAsync<ReferenceRequest>(http, json.Value.SerializerOptions, cancellationToken);
        return TypedResults.Ok(await references.SetAsync(http.Caller(), fullName, n, request, cancellationToken));
    }

    public static async Task<Created<MonitoringWindow>> ReportWindowAsync(
        string id, HttpContext http, MonitoringWindows windows, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken,
        string? format = null, int? version = null, [FromQuery(Name = "starts_at")] DateTimeOffset? startsAt = null, [FromQuery(Name = "ends_at")] DateTimeOffset? endsAt = null,
        string? columns = null, string? categorical = null, string? numerical = null)
    {
        MonitoringWindow window;
        if (RowFormats.FromContentType(http.Request.ContentType, format) is { } rows)
        {
            window = await windows.ReportRowsAsync(http.Caller(), id, version, startsAt, endsAt, http.Request.Body, rows, Options(columns, categorical, numerical), cancellationToken);
        }
        else
        {
            if (version is not null || startsAt is not null || endsAt is not null)
            {
                throw new InvalidParameterException("With a JSON body, version, starts_at and ends_at go in the body, not the query.");
            }
            window = await windows.ReportAsync(http.Caller(), id, await ReadJsonAsync<WindowRequest>(http, json.Value.SerializerOptions, cancellationToken), cancellationToken);
        }
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

    public static async Task<Ok<DriftReport>> DriftReportAsync(
        HttpContext http, MonitoringWindows windows, CancellationToken cancellationToken,
        string? deployment = null, int? version = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? method = null, double? threshold = null) =>
        TypedResults.Ok(await windows.ReportDriftAsync(http.Caller(), new DriftReportQuery(deployment, version, from, to, method, threshold), cancellationToken));

    public static async Task<Ok<PerformanceSeries>> PerformanceAsync(
        HttpContext http, PredictionStore store, CancellationToken cancellationToken,
        string? deployment = null, int? version = null, string? metric = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? bucket = null,
        string? task = null, [FromQuery(Name = "positive_label")] string? positiveLabel = null) =>
        TypedResults.Ok(await store.PerformanceAsync(http.Caller(), new PerformanceQuery(deployment, version, metric, from, to, bucket, task, positiveLabel), cancellationToken));

    private static ProfileOptions Options(string? columns, string? categorical, string? numerical) => new()
    {
        Columns = List(columns),
        Categorical = List(categorical),
        Numerical = List(numerical),
    };

    private static string[]? List(string? names) =>
        names is null ? null : names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // A body that may be JSON or rows is read here rather than bound, so that its content type decides; JSON errors get the
    // same problem details (path, line, reason) as bound bodies.
    private static async Task<T> ReadJsonAsync<T>(HttpContext http, JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(http.Request.Body, options, cancellationToken)
                ?? throw new InvalidParameterException("The request body is JSON null; this endpoint takes a JSON object.");
        }
        catch (JsonException e)
        {
            throw RequestErrors.FromJson(e);
        }
    }
}
