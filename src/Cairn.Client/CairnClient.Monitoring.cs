using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Cairn.Client;

/// <summary>Monitoring: reference profiles, drift settings, windows, predictions and ground truth, and the reads over them.</summary>
public sealed partial class CairnClient
{
    /// <summary>A version's reference profile. Needs reader on the model's namespace.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The reference.</returns>
    public Task<ReferenceProfile> GetReferenceProfileAsync(string model, int version, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, ReferencePath(model, version), null, Json.ReferenceProfile, cancellationToken);

    /// <summary>Sets a version's reference from a sample of rows, streamed. Needs writer.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="sample">The rows.</param>
    /// <param name="format"><c>csv</c> or <c>parquet</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The reference.</returns>
    public Task<ReferenceProfile> SetReferenceFromSampleAsync(string model, int version, Stream sample, string format, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, ReferencePath(model, version), Rows(sample, format), Json.ReferenceProfile, cancellationToken);

    /// <summary>Sets a version's reference from a dataset's column statistics; <paramref name="dataset"/> null takes the one dataset its training run read. Needs writer (and reader on '/').</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="dataset">The dataset's id, <c>dataset:&lt;namespace&gt;:&lt;name&gt;</c>, or null.</param>
    /// <param name="datasetVersion">The dataset's version, or null for its current one.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The reference.</returns>
    public Task<ReferenceProfile> SetReferenceFromDatasetAsync(string model, int version, string? dataset, string? datasetVersion = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, ReferencePath(model, version), Body(new ReferenceDatasetRequest(dataset, datasetVersion), Json.ReferenceDatasetRequest), Json.ReferenceProfile, cancellationToken);

    /// <summary>Sets a version's reference from a profile as it is. Needs writer.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="profile">The profile: <c>{"rows":…,"features":[…]}</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The reference.</returns>
    public Task<ReferenceProfile> SetReferenceProfileAsync(string model, int version, JsonObject profile, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, ReferencePath(model, version), Body(new ReferenceProfileRequest(profile), Json.ReferenceProfileRequest), Json.ReferenceProfile, cancellationToken);

    /// <summary>A model's drift settings (the defaults until set). Needs reader.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The settings.</returns>
    public Task<ModelMonitoringSettings> GetMonitoringSettingsAsync(string model, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"{ModelPath(model)}/monitoring/settings", null, Json.ModelMonitoringSettings, cancellationToken);

    /// <summary>Replaces a model's drift settings. Needs writer.</summary>
    /// <param name="model">The model's full name.</param>
    /// <param name="settings">The settings.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored settings.</returns>
    public Task<ModelMonitoringSettings> SetMonitoringSettingsAsync(string model, DriftSettings settings, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"{ModelPath(model)}/monitoring/settings", Body(settings, Json.DriftSettings), Json.ModelMonitoringSettings, cancellationToken);

    /// <summary>Reports a window of raw rows (streamed, profiled by the server). Needs writer.</summary>
    /// <param name="deployment">The deployment's id.</param>
    /// <param name="version">The version that served the rows.</param>
    /// <param name="startsAt">The window's start.</param>
    /// <param name="endsAt">The window's end.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="format"><c>csv</c> or <c>parquet</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored window with its drift.</returns>
    public Task<MonitoringWindow> ReportWindowAsync(
        string deployment, int version, DateTimeOffset startsAt, DateTimeOffset endsAt, Stream rows, string format, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post,
            $"{DeploymentPath(deployment)}/windows" + Query(("version", Number(version)), ("starts_at", Time(startsAt)), ("ends_at", Time(endsAt))),
            Rows(rows, format), Json.MonitoringWindow, cancellationToken);

    /// <summary>Reports a window as a profile the serving side computed. Needs writer.</summary>
    /// <param name="deployment">The deployment's id.</param>
    /// <param name="version">The version that served it.</param>
    /// <param name="startsAt">The window's start.</param>
    /// <param name="endsAt">The window's end.</param>
    /// <param name="profile">The profile: <c>{"rows":…,"features":[…]}</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored window with its drift.</returns>
    public Task<MonitoringWindow> ReportWindowProfileAsync(
        string deployment, int version, DateTimeOffset startsAt, DateTimeOffset endsAt, JsonObject profile, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{DeploymentPath(deployment)}/windows",
            Body(new WindowProfileRequest(version, startsAt, endsAt, profile), Json.WindowProfileRequest), Json.MonitoringWindow, cancellationToken);

    /// <summary>One window with its profile and drift. Needs reader.</summary>
    /// <param name="id">The window's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The window.</returns>
    public Task<MonitoringWindow> GetWindowAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/monitoring/windows/{Escape(id)}", null, Json.MonitoringWindow, cancellationToken);

    /// <summary>One page of per-window, per-feature drift rows of a deployment or a model. Needs reader.</summary>
    /// <param name="deployment">The deployment's id, or null.</param>
    /// <param name="model">The model's full name, or null (one of the two is needed).</param>
    /// <param name="version">Only this version, or null.</param>
    /// <param name="feature">Only this feature, or null.</param>
    /// <param name="from">Windows starting at or after this, or null.</param>
    /// <param name="to">Windows starting before this, or null.</param>
    /// <param name="maxResults">The page size, or null.</param>
    /// <param name="pageToken">The previous page's token, or null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>One page of rows.</returns>
    public Task<WindowDriftPage> GetDriftPageAsync(
        string? deployment = null, string? model = null, int? version = null, string? feature = null, DateTimeOffset? from = null, DateTimeOffset? to = null,
        int? maxResults = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/monitoring/drift" + Query(
            ("deployment", deployment), ("model", model), ("version", Number(version)), ("feature", feature), ("from", Time(from)), ("to", Time(to)),
            ("max_results", Number(maxResults)), ("page_token", pageToken)), null, Json.WindowDriftPage, cancellationToken);

    /// <summary>The drift of a deployment's windows of one version in a range, merged, against the reference now. Needs reader.</summary>
    /// <param name="deployment">The deployment's id.</param>
    /// <param name="version">The version; null when the deployment served only one.</param>
    /// <param name="from">The range's start, or null.</param>
    /// <param name="to">The range's end, or null.</param>
    /// <param name="method">A method for every feature, or null for the model's settings.</param>
    /// <param name="threshold">A threshold for every feature, or null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The report.</returns>
    public Task<DriftReport> GetDriftReportAsync(
        string deployment, int? version = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? method = null, double? threshold = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/monitoring/drift/report" + Query(
            ("deployment", deployment), ("version", Number(version)), ("from", Time(from)), ("to", Time(to)), ("method", method),
            ("threshold", threshold?.ToString("R", System.Globalization.CultureInfo.InvariantCulture))), null, Json.DriftReport, cancellationToken);

    /// <summary>Performance figures of a deployment per version and bucket. Needs reader.</summary>
    /// <param name="deployment">The deployment's id.</param>
    /// <param name="version">Only this version, or null.</param>
    /// <param name="metric">Only this metric, or null.</param>
    /// <param name="from">Predictions at or after this, or null.</param>
    /// <param name="to">Predictions before this, or null.</param>
    /// <param name="bucket">hour, day (the default) or range.</param>
    /// <param name="task">classification or regression; null to infer.</param>
    /// <param name="positiveLabel">A binary classifier's positive label; null for the default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The figures.</returns>
    public Task<PerformanceSeries> GetPerformanceAsync(
        string deployment, int? version = null, string? metric = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? bucket = null,
        string? task = null, string? positiveLabel = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/monitoring/performance" + Query(
            ("deployment", deployment), ("version", Number(version)), ("metric", metric), ("from", Time(from)), ("to", Time(to)), ("bucket", bucket),
            ("task", task), ("positive_label", positiveLabel)), null, Json.PerformanceSeries, cancellationToken);

    /// <summary>Logs a batch of predictions; a re-sent id replaces its row. Needs writer.</summary>
    /// <param name="deployment">The deployment's id.</param>
    /// <param name="predictions">The predictions.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>What was stored.</returns>
    public Task<IngestResult> LogPredictionsAsync(string deployment, IReadOnlyList<PredictionInput> predictions, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{DeploymentPath(deployment)}/predictions", Body(predictions, Json.IReadOnlyListPredictionInput), Json.IngestResult, cancellationToken);

    /// <summary>Logs the ground truth of predictions; a re-sent id replaces its row. Needs writer.</summary>
    /// <param name="deployment">The deployment's id.</param>
    /// <param name="truths">The outcomes.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>What was stored and the daily figures recomputed.</returns>
    public Task<IngestResult> LogGroundTruthAsync(string deployment, IReadOnlyList<GroundTruthInput> truths, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{DeploymentPath(deployment)}/ground-truth", Body(truths, Json.IReadOnlyListGroundTruthInput), Json.IngestResult, cancellationToken);

    /// <summary>Reports figures the serving side computed itself. Needs writer.</summary>
    /// <param name="deployment">The deployment's id.</param>
    /// <param name="metrics">The figures.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>What was stored.</returns>
    public Task<IngestResult> ReportMetricsAsync(string deployment, IReadOnlyList<ReportedMetricInput> metrics, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"{DeploymentPath(deployment)}/metrics", Body(metrics, Json.IReadOnlyListReportedMetricInput), Json.IngestResult, cancellationToken);

    private static string ReferencePath(string model, int version) => $"{VersionPath(model, version)}/monitoring/reference";

    private static string DeploymentPath(string id) => $"api/v1/deployments/{Escape(id)}";

    private static StreamContent Rows(Stream rows, string format)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var content = new StreamContent(rows);
        content.Headers.ContentType = new MediaTypeHeaderValue(format.ToLowerInvariant() switch
        {
            "csv" => "text/csv",
            "parquet" => "application/vnd.apache.parquet",
            _ => throw new ArgumentException($"'{format}' is not a row format: use csv or parquet.", nameof(format)),
        });
        return content;
    }
}
