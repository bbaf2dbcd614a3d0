using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cairn.Tracking;

namespace Cairn.Server.Mlflow;

/// <summary>MLflow's tracking endpoints (service.proto): experiments, runs, metrics. Each maps a message onto <see cref="TrackingStore"/>.</summary>
internal static class MlflowTrackingApi
{
    public static RouteGroupBuilder MapMlflowTracking(this RouteGroupBuilder group)
    {
        var experiments = group.MapGroup("/experiments");
        experiments.MapPost("/create", (HttpContext c, TrackingStore s) => Handle(c, async m =>
            MlflowJson.Ok(new { experiment_id = await s.CreateExperimentAsync(c.Caller(), m.Name, m.ArtifactLocation, m.Tags, c.RequestAborted) })));
        experiments.MapGet("/get", (HttpContext c, TrackingStore s) => Handle(c, async m =>
            MlflowJson.Ok(new { experiment = await s.GetExperimentAsync(c.Caller(), m.ExperimentId, c.RequestAborted) })));
        experiments.MapGet("/get-by-name", (HttpContext c, TrackingStore s) => Handle(c, async m =>
            MlflowJson.Ok(new { experiment = await s.GetExperimentByNameAsync(c.Caller(), m.ExperimentName, c.RequestAborted) })));
        Func<HttpContext, TrackingStore, Task<IResult>> search = (c, s) => Handle(c, async m =>
        {
            var page = await s.SearchExperimentsAsync(c.Caller(), new ExperimentQuery(
                m.Filter, TrackingStore.ExperimentOrderBy(m.OrderBy), m.MaxResults, m.PageToken,
                TrackingLimits.ParseViewType(m.ViewType)), c.RequestAborted);
            return MlflowJson.Ok(new { experiments = page.Experiments, next_page_token = page.NextPageToken });
        });
        experiments.MapMethods("/search", [HttpMethods.Get, HttpMethods.Post], search);
        // MLflow 1.x's listing, still called by older clients: a search without a filter.
        experiments.MapGet("/list", search);
        experiments.MapPost("/update", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.RenameExperimentAsync(c.Caller(), m.ExperimentId, m.NewName, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        experiments.MapPost("/delete", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.SetExperimentLifecycleAsync(c.Caller(), m.ExperimentId, delete: true, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        experiments.MapPost("/restore", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.SetExperimentLifecycleAsync(c.Caller(), m.ExperimentId, delete: false, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        experiments.MapPost("/set-experiment-tag", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.SetExperimentTagAsync(c.Caller(), m.ExperimentId, new KeyValue(m.Key ?? "", m.TextValue() ?? ""), c.RequestAborted);
            return MlflowJson.Empty;
        }));

        var runs = group.MapGroup("/runs");
        runs.MapPost("/create", (HttpContext c, TrackingStore s) => Handle(c, async m =>
            MlflowJson.Ok(new { run = await s.CreateRunAsync(c.Caller(), new CreateRunRequest(m.ExperimentId ?? "0", m.UserId, m.StartTime, m.RunName, m.Tags), c.RequestAborted) })));
        runs.MapGet("/get", (HttpContext c, TrackingStore s) => Handle(c, async m =>
            MlflowJson.Ok(new { run = await s.GetRunAsync(c.Caller(), m.Run, c.RequestAborted) })));
        runs.MapPost("/update", (HttpContext c, TrackingStore s) => Handle(c, async m =>
            MlflowJson.Ok(new { run_info = await s.UpdateRunAsync(c.Caller(), m.Run, new UpdateRunRequest(m.Status, m.EndTime, m.RunName), c.RequestAborted) })));
        runs.MapPost("/delete", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.SetRunLifecycleAsync(c.Caller(), m.Run, delete: true, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/restore", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.SetRunLifecycleAsync(c.Caller(), m.Run, delete: false, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapMethods("/search", [HttpMethods.Get, HttpMethods.Post], (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            var page = await s.SearchRunsAsync(c.Caller(), new RunQuery(
                m.ExperimentIds ?? [], m.Filter, m.OrderBy, m.MaxResults, m.PageToken, TrackingLimits.ParseViewType(m.RunViewType)), c.RequestAborted);
            return MlflowJson.Ok(new { runs = page.Runs, next_page_token = page.NextPageToken });
        }));
        runs.MapPost("/set-tag", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.LogBatchAsync(c.Caller(), m.Run, null, null, [new KeyValue(Required(m.Key, "key"), m.TextValue() ?? throw TrackingLimits.Missing("value"))], c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/delete-tag", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.DeleteRunTagAsync(c.Caller(), m.Run, m.Key, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/log-metric", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            var metric = new Metric(Required(m.Key, "key"), m.NumberValue(), m.Timestamp ?? throw TrackingLimits.Missing("timestamp"), m.Step ?? 0,
                NullIfEmpty(m.ModelId), NullIfEmpty(m.DatasetName), NullIfEmpty(m.DatasetDigest));
            await s.LogBatchAsync(c.Caller(), m.Run, [metric], null, null, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/log-parameter", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.LogBatchAsync(c.Caller(), m.Run, null, [new KeyValue(Required(m.Key, "key"), m.TextValue() ?? throw TrackingLimits.Missing("value"))], null, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/log-batch", async (HttpContext c, TrackingStore s) =>
        {
            var m = await MlflowJson.ReadAsync<TrackingMessage>(c, (TrackingLimits.MaxBatchRequestBytes, size => TrackingLimits.BatchTooLarge(size)));
            await s.LogBatchAsync(c.Caller(), m.Run, m.BatchMetrics(), m.Params, m.Tags, c.RequestAborted);
            return MlflowJson.Empty;
        });
        runs.MapPost("/log-inputs", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.LogInputsAsync(c.Caller(), m.Run, m.Datasets, m.Models, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/log-model", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            await s.LogModelAsync(c.Caller(), m.Run, m.ModelJson, c.RequestAborted);
            return MlflowJson.Empty;
        }));

        group.MapGet("/metrics/get-history", (HttpContext c, TrackingStore s) => Handle(c, async m =>
        {
            var page = await s.GetMetricHistoryAsync(c.Caller(), m.Run, m.MetricKey, m.MaxResults, m.PageToken, c.RequestAborted);
            return MlflowJson.Ok(new { metrics = page.Metrics, next_page_token = page.NextPageToken });
        }));
        return group;
    }

    private static async Task<IResult> Handle(HttpContext context, Func<TrackingMessage, Task<IResult>> handler) =>
        await handler(await MlflowJson.ReadAsync<TrackingMessage>(context));

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Required(string? value, string parameter) => string.IsNullOrEmpty(value) ? throw TrackingLimits.Missing(parameter) : value;

    /// <summary>A metric as log-batch sends it, its fields nullable so that a missing one is reported, not zeroed.</summary>
    internal sealed class MetricMessage
    {
        public string? Key { get; set; }
        public double? Value { get; set; }
        public long? Timestamp { get; set; }
        public long? Step { get; set; }

        // MLflow 3: the logged model and dataset a point was measured for.
        public string? ModelId { get; set; }
        public string? DatasetName { get; set; }
        public string? DatasetDigest { get; set; }
    }

    /// <summary>The fields of every tracking request message; each endpoint reads the ones its message has.</summary>
    internal sealed class TrackingMessage
    {
        public string? ExperimentId { get; set; }
        public List<string>? ExperimentIds { get; set; }
        public string? ExperimentName { get; set; }
        public string? Name { get; set; }
        public string? NewName { get; set; }
        public string? ArtifactLocation { get; set; }
        public List<KeyValue>? Tags { get; set; }
        public string? Key { get; set; }

        /// <summary>A string for tags and params, a number (or "NaN"/"Infinity") for metrics.</summary>
        public JsonElement? Value { get; set; }

        public string? Filter { get; set; }
        public List<string>? OrderBy { get; set; }
        public int? MaxResults { get; set; }
        public string? PageToken { get; set; }

        [JsonConverter(typeof(MlflowJson.NumberOrStringConverter))]
        public string? ViewType { get; set; }

        [JsonConverter(typeof(MlflowJson.NumberOrStringConverter))]
        public string? RunViewType { get; set; }

        public string? RunId { get; set; }

        /// <summary>MLflow's deprecated name for run_id, still sent by clients.</summary>
        public string? RunUuid { get; set; }

        public string? UserId { get; set; }
        public long? StartTime { get; set; }
        public long? EndTime { get; set; }
        public string? Status { get; set; }
        public string? RunName { get; set; }
        public long? Timestamp { get; set; }
        public long? Step { get; set; }
        public List<MetricMessage>? Metrics { get; set; }
        public List<KeyValue>? Params { get; set; }
        public List<DatasetInput>? Datasets { get; set; }
        public string? ModelJson { get; set; }
        public string? MetricKey { get; set; }

        // MLflow 3: log-metric's logged model and dataset, log-inputs' models.
        public string? ModelId { get; set; }
        public string? DatasetName { get; set; }
        public string? DatasetDigest { get; set; }
        public List<Cairn.Tracking.LoggedModels.RunModelLink>? Models { get; set; }

        public string? Run => string.IsNullOrEmpty(RunId) ? RunUuid : RunId;

        /// <summary>log-batch's metrics: key, value and timestamp are required of each, as MLflow's handler asserts.</summary>
        public List<Metric>? BatchMetrics()
        {
            if (Metrics is null)
            {
                return null;
            }
            var metrics = new List<Metric>(Metrics.Count);
            for (var i = 0; i < Metrics.Count; i++)
            {
                var m = Metrics[i];
                metrics.Add(new Metric(
                    string.IsNullOrEmpty(m.Key) ? throw Field(i, "key") : m.Key,
                    m.Value ?? throw Field(i, "value"),
                    m.Timestamp ?? throw Field(i, "timestamp"),
                    m.Step ?? 0,
                    NullIfEmpty(m.ModelId), NullIfEmpty(m.DatasetName), NullIfEmpty(m.DatasetDigest)));
            }
            return metrics;
        }

        private static InvalidParameterException Field(int index, string field) =>
            TrackingLimits.Missing(string.Create(CultureInfo.InvariantCulture, $"metrics[{index}].{field}"));

        public string? TextValue() => Value switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } v => v.GetString(),
            { ValueKind: JsonValueKind.Null } => null,
            { } v => v.GetRawText(),
        };

        public double NumberValue() => Value switch
        {
            { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
            { ValueKind: JsonValueKind.String } v when double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            null or { ValueKind: JsonValueKind.Null } => throw TrackingLimits.Missing("value"),
            { } v => throw new InvalidParameterException($"Invalid value {v.GetRawText()} for parameter 'value': expected a number."),
        };
    }
}
