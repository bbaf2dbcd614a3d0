using Cairn.Tracking;

namespace Cairn.Server.Mlflow;

/// <summary>
/// The routes of MLflow 3.5's server that Cairn does not back with data of its own, each answered in MLflow's error shape
/// rather than left to a bare 404 or 405: features Cairn does not store (evaluation datasets, scorers, assessments,
/// GraphQL, server-side jobs) answer NOT_IMPLEMENTED (501) naming the store method, as MLflow's own stores answer for a
/// feature they lack; Databricks-only routes answer ENDPOINT_NOT_FOUND, as MLflow's open-source server does. A few
/// cheap ones are answered for real where what MLflow answers needs nothing Cairn lacks: the AI gateway proxy with no
/// gateway configured, the job search with job execution off, deleting an experiment tag and the sampled metric histories
/// of MLflow's run charts.
/// docs/mlflow-compatibility.md lists every route and how Cairn answers it.
/// </summary>
internal static class MlflowUnavailableRoutes
{
    private const string Docs = "See Cairn's docs/mlflow-compatibility.md for the MLflow routes it serves.";

    // (method, path under /mlflow, MLflow's store method, the feature) for the /api/3.0 and /ajax-api/3.0 prefixes.
    private static readonly (string Method, string Path, string StoreMethod, string Feature)[] NotStoredV3 =
    [
        ("POST", "/datasets/create", "create_dataset", "evaluation datasets"),
        ("GET", "/datasets/{dataset_id}", "get_dataset", "evaluation datasets"),
        ("DELETE", "/datasets/{dataset_id}", "delete_dataset", "evaluation datasets"),
        ("POST", "/datasets/search", "search_datasets", "evaluation datasets"),
        ("GET", "/datasets/search", "search_datasets", "evaluation datasets"),
        ("PATCH", "/datasets/{dataset_id}/tags", "set_dataset_tags", "evaluation datasets"),
        ("DELETE", "/datasets/{dataset_id}/tags/{key}", "delete_dataset_tag", "evaluation datasets"),
        ("POST", "/datasets/{dataset_id}/records", "upsert_dataset_records", "evaluation datasets"),
        ("GET", "/datasets/{dataset_id}/records", "get_dataset_records", "evaluation datasets"),
        ("GET", "/datasets/{dataset_id}/experiment-ids", "get_dataset_experiment_ids", "evaluation datasets"),
        ("POST", "/scorers/register", "register_scorer", "scorers"),
        ("GET", "/scorers/list", "list_scorers", "scorers"),
        ("GET", "/scorers/versions", "list_scorer_versions", "scorers"),
        ("GET", "/scorers/get", "get_scorer", "scorers"),
        ("DELETE", "/scorers/delete", "delete_scorer", "scorers"),
        ("POST", "/traces/{trace_id}/assessments", "create_assessment", "trace assessments"),
        ("GET", "/traces/{trace_id}/assessments/{assessment_id}", "get_assessment", "trace assessments"),
        ("PATCH", "/traces/{trace_id}/assessments/{assessment_id}", "update_assessment", "trace assessments"),
        ("DELETE", "/traces/{trace_id}/assessments/{assessment_id}", "delete_assessment", "trace assessments"),
    ];

    // Routes of MLflow's protos that only Databricks serves: MLflow's open-source server has no handler for them.
    private static readonly string[] DatabricksOnlyV2 = ["/unified-traces", "/get-online-trace-details"];

    public static IEndpointRouteBuilder MapMlflowUnavailableRoutes(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/api/3.0/mlflow", "/ajax-api/3.0/mlflow" })
        {
            var group = app.MapGroup(prefix).WithTags("MLflow").ExcludeFromDescription();
            foreach (var (method, path, storeMethod, feature) in NotStoredV3)
            {
                group.MapMethods(path, [method], () => NotStored(storeMethod, feature));
            }
        }
        foreach (var prefix in MlflowApi.Prefixes)
        {
            var group = app.MapGroup(prefix).WithTags("MLflow").ExcludeFromDescription();
            foreach (var path in DatabricksOnlyV2)
            {
                group.MapGet(path, (HttpContext c) => Error(MlflowErrors.EndpointNotFound,
                    $"Endpoint {c.Request.Method} {c.Request.Path} is only served by Databricks, not by MLflow's open-source server nor by Cairn."));
            }
            group.MapGet("/metrics/get-history-bulk-interval", MetricHistoryBulkIntervalAsync);
            group.MapPost("/experiments/delete-experiment-tag", async (HttpContext c, TrackingStore s) =>
            {
                var m = await MlflowJson.ReadAsync<ExperimentTagMessage>(c);
                await s.DeleteExperimentTagAsync(c.Caller(), Required(m.ExperimentId, "experiment_id"), Required(m.Key, "key"), c.RequestAborted);
                return MlflowJson.Empty;
            });
        }
        // With no MLFLOW_DEPLOYMENTS_TARGET MLflow "pretends an empty gateway service is running"; Cairn has no gateway.
        app.MapMethods("/ajax-api/2.0/mlflow/gateway-proxy", [HttpMethods.Get, HttpMethods.Post], () => MlflowJson.Ok(new { endpoints = Array.Empty<object>() }))
            .ExcludeFromDescription();
        app.MapMethods("/graphql", [HttpMethods.Get, HttpMethods.Post], () => NotStored("graphql", "GraphQL queries (used by MLflow's web UI)"))
            .ExcludeFromDescription();

        // MLflow's job API (its web UI's, FastAPI) with job execution off, as Cairn always is: nothing can be submitted,
        // so no job exists and a search finds none.
        var jobs = app.MapGroup("/ajax-api/3.0/jobs").ExcludeFromDescription();
        jobs.MapPost("/", () => Error(MlflowErrors.NotImplemented,
            "Mlflow server job execution feature is not enabled: Cairn runs no server-side jobs. " + Docs));
        jobs.MapPost("/search", () => MlflowJson.Ok(new { jobs = Array.Empty<object>() }));
        jobs.MapGet("/{job_id}", (string job_id) => Error(ErrorCodes.ResourceDoesNotExist, $"Job with ID {job_id} not found"));

        // MLflow's web UI's files; Cairn does not serve MLflow's UI.
        app.MapGet("/static-files/{**path}", (HttpContext c) => Error(MlflowErrors.EndpointNotFound,
            $"No MLflow endpoint {c.Request.Method} {c.Request.Path}: Cairn does not serve MLflow's web UI.")).ExcludeFromDescription();
        return app;
    }

    // MLflow's MAX_RUNS_GET_METRIC_HISTORY_BULK and MAX_RESULTS_PER_RUN.
    private const int MaxIntervalRuns = 100;
    private const int MaxIntervalSteps = 2500;

    // MLflow's MAX_RESULTS_GET_METRIC_HISTORY: the points of one run at the sampled steps.
    private const int MaxPointsPerRun = 25000;

    /// <summary>
    /// One metric of up to 100 runs at no more than <c>max_results</c> steps spread evenly over the steps any of them
    /// logged (each run's first and last step always among them), as MLflow's get_metric_history_bulk_interval samples.
    /// </summary>
    private static async Task<IResult> MetricHistoryBulkIntervalAsync(HttpContext c, TrackingStore s)
    {
        var query = c.Request.Query;
        var runIds = query["run_ids"].Where(r => !string.IsNullOrEmpty(r)).Select(r => r!).ToList();
        if (runIds.Count == 0)
        {
            throw TrackingLimits.Missing("run_ids");
        }
        if (runIds.Count > MaxIntervalRuns)
        {
            throw Invalid($"GetMetricHistoryBulkInterval request must specify at most {MaxIntervalRuns} run_ids. Received {runIds.Count} run_ids.");
        }
        var metricKey = Required(query["metric_key"], "metric_key");
        var maxResults = Integer(query["max_results"], "max_results") ?? MaxIntervalSteps;
        if (maxResults is < 1 or > MaxIntervalSteps)
        {
            throw Invalid($"max_results must be between 1 and {MaxIntervalSteps}.");
        }
        var (start, end) = (Integer(query["start_step"], "start_step"), Integer(query["end_step"], "end_step"));
        if (start is not null && end is not null && start > end)
        {
            throw new InvalidParameterException($"end_step must be greater than start_step. Found start_step={start} and end_step={end}.");
        }
        if ((start is null) != (end is null))
        {
            throw new InvalidParameterException("If either start step or end step are specified, both must be specified.");
        }

        var histories = new List<(string RunId, IReadOnlyList<Metric> Points)>();
        foreach (var runId in runIds)
        {
            try
            {
                histories.Add((runId, (await s.GetMetricHistoryAsync(c.Caller(), runId, metricKey, null, null, c.RequestAborted)).Metrics));
            }
            catch (Exception e) when (e is NotFoundException or InvalidParameterException)
            {
                // MLflow's SQL store reads a run it does not have as one without points.
                histories.Add((runId, []));
            }
        }
        var steps = SampledSteps(histories.Select(h => h.Points.Select(p => p.Step).ToList()).ToList(), maxResults, start, end);
        return MlflowJson.Ok(new
        {
            metrics = histories.SelectMany(h => h.Points.Where(p => steps.Contains(p.Step)).Take(MaxPointsPerRun)
                .Select(p => new { key = p.Key, value = p.Value, timestamp = p.Timestamp, step = p.Step, run_id = h.RunId })),
        });
    }

    /// <summary>The steps to show: all in range when few enough, else <paramref name="maxResults"/> evenly spaced plus the last; each run's first and last in range.</summary>
    private static HashSet<long> SampledSteps(List<List<long>> runs, long maxResults, long? start, long? end)
    {
        var all = runs.SelectMany(r => r).Distinct().Order().ToList();
        var (from, to) = start is null ? (0L, all.Count == 0 ? 0L : all[^1]) : (start.Value, end!.Value);
        var bounds = runs.Where(r => r.Count > 0).SelectMany(r => new[] { r.Min(), r.Max() }).Where(step => step >= from && step <= to);
        var inRange = all.Where(step => step >= from && step <= to).ToList();
        var sampled = new HashSet<long>(bounds);
        if (inRange.Count <= maxResults)
        {
            sampled.UnionWith(inRange);
            return sampled;
        }
        var interval = (double)inRange.Count / maxResults;
        for (var i = 0; i < maxResults; i++)
        {
            sampled.Add(inRange[(int)(i * interval)]);
        }
        sampled.Add(inRange[^1]);
        return sampled;
    }

    private static long? Integer(string? value, string parameter) =>
        string.IsNullOrEmpty(value) ? null
        : long.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number
        : throw Invalid($"Invalid value \"{value}\" for parameter '{parameter}' supplied.");

    // MLflow's request-schema failures end with a pointer to the API docs.
    private static InvalidParameterException Invalid(string message) =>
        new($"{message} See the API docs for more information about request parameters.");

    private static IResult NotStored(string storeMethod, string feature) => Error(MlflowErrors.NotImplemented,
        $"{storeMethod} is not supported by Cairn: it does not store MLflow {feature}. {Docs}");

    private static IResult Error(string errorCode, string message) =>
        Results.Json(new { error_code = errorCode, message }, MlflowJson.Options, statusCode: MlflowErrors.StatusOf(errorCode));

    private static string Required(string? value, string parameter) =>
        string.IsNullOrEmpty(value) ? throw TrackingLimits.Missing(parameter) : value;

    internal sealed class ExperimentTagMessage
    {
        public string? ExperimentId { get; set; }
        public string? Key { get; set; }
    }
}
