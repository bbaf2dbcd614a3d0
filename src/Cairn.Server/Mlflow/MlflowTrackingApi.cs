using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Cairn.Tracking;

namespace Cairn.Server.Mlflow;

/// <summary>MLflow's tracking endpoints (service.proto): experiments, runs, metrics. Each maps a message onto <see cref="TrackingStore"/>.</summary>
internal static class MlflowTrackingApi
{
    public static RouteGroupBuilder MapMlflowTracking(this RouteGroupBuilder group)
    {
        var experiments = group.MapGroup("/experiments");
        experiments.MapPost("/create", (HttpContext c, TrackingStore s) => Handle(c, Schemas.CreateExperiment, async m =>
            MlflowJson.Ok(new { experiment_id = await s.CreateExperimentAsync(c.Caller(), m.Name, m.ArtifactLocation, m.Tags, c.RequestAborted) })));
        experiments.MapGet("/get", (HttpContext c, TrackingStore s) => Handle(c, Schemas.ExperimentId, async m =>
            MlflowJson.Ok(new { experiment = await s.GetExperimentAsync(c.Caller(), m.ExperimentId, c.RequestAborted) })));
        experiments.MapGet("/get-by-name", (HttpContext c, TrackingStore s) => Handle(c, Schemas.ExperimentName, async m =>
            MlflowJson.Ok(new { experiment = await s.GetExperimentByNameAsync(c.Caller(), m.ExperimentName, c.RequestAborted) })));
        experiments.MapMethods("/search", [HttpMethods.Get, HttpMethods.Post], SearchExperimentsAsync);
        // MLflow 1.x's listing, still called by older clients: a search without a filter.
        experiments.MapGet("/list", SearchExperimentsAsync);
        experiments.MapPost("/update", (HttpContext c, TrackingStore s) => Handle(c, Schemas.UpdateExperiment, async m =>
        {
            await s.RenameExperimentAsync(c.Caller(), m.ExperimentId, m.NewName, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        experiments.MapPost("/delete", (HttpContext c, TrackingStore s) => Handle(c, Schemas.ExperimentId, async m =>
        {
            await s.SetExperimentLifecycleAsync(c.Caller(), m.ExperimentId, delete: true, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        experiments.MapPost("/restore", (HttpContext c, TrackingStore s) => Handle(c, Schemas.ExperimentId, async m =>
        {
            await s.SetExperimentLifecycleAsync(c.Caller(), m.ExperimentId, delete: false, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        experiments.MapPost("/set-experiment-tag", (HttpContext c, TrackingStore s) => Handle(c, Schemas.SetExperimentTag, async m =>
        {
            await s.SetExperimentTagAsync(c.Caller(), m.ExperimentId, new KeyValue(m.Key ?? "", m.TextValue() ?? ""), c.RequestAborted);
            return MlflowJson.Empty;
        }));

        var runs = group.MapGroup("/runs");
        runs.MapPost("/create", (HttpContext c, TrackingStore s) => Handle(c, Schemas.CreateRun, async m =>
            MlflowJson.Ok(new { run = await s.CreateRunAsync(c.Caller(), new CreateRunRequest(m.ExperimentId ?? "0", m.UserId, m.StartTime, m.RunName, m.Tags), c.RequestAborted) })));
        runs.MapGet("/get", (HttpContext c, TrackingStore s) => Handle(c, Schemas.RunId, async m =>
            MlflowJson.Ok(new { run = await s.GetRunAsync(c.Caller(), m.Run, c.RequestAborted) })));
        runs.MapPost("/update", (HttpContext c, TrackingStore s) => Handle(c, Schemas.UpdateRun, async m =>
            MlflowJson.Ok(new { run_info = await s.UpdateRunAsync(c.Caller(), m.Run, new UpdateRunRequest(m.Status, m.EndTime, m.RunName), c.RequestAborted) })));
        runs.MapPost("/delete", (HttpContext c, TrackingStore s) => Handle(c, Schemas.RunId, async m =>
        {
            await s.SetRunLifecycleAsync(c.Caller(), m.Run, delete: true, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/restore", (HttpContext c, TrackingStore s) => Handle(c, Schemas.RunId, async m =>
        {
            await s.SetRunLifecycleAsync(c.Caller(), m.Run, delete: false, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapMethods("/search", [HttpMethods.Get, HttpMethods.Post], (HttpContext c, TrackingStore s) => Handle(c, Schemas.SearchRuns, async m =>
        {
            var page = await s.SearchRunsAsync(c.Caller(), new RunQuery(
                m.ExperimentIds ?? [], m.Filter, m.OrderBy, m.MaxResults, m.PageToken, TrackingLimits.ParseViewType(m.RunViewType)), c.RequestAborted);
            return MlflowJson.Ok(new { runs = NullIfEmpty(page.Runs), next_page_token = page.NextPageToken });
        }));
        runs.MapPost("/set-tag", (HttpContext c, TrackingStore s) => Handle(c, Schemas.KeyValue, async m =>
        {
            await s.LogBatchAsync(c.Caller(), m.Run, null, null, [new KeyValue(Required(m.Key, "key"), m.TextValue() ?? throw TrackingLimits.Missing("value"))], c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/delete-tag", (HttpContext c, TrackingStore s) => Handle(c, Schemas.DeleteTag, async m =>
        {
            await s.DeleteRunTagAsync(c.Caller(), m.Run, m.Key, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/log-metric", (HttpContext c, TrackingStore s) => Handle(c, Schemas.LogMetric, async m =>
        {
            var metric = new Metric(Required(m.Key, "key"), m.NumberValue(), m.Timestamp ?? throw TrackingLimits.Missing("timestamp"), m.Step ?? 0,
                NullIfEmpty(m.ModelId), NullIfEmpty(m.DatasetName), NullIfEmpty(m.DatasetDigest));
            await s.LogBatchAsync(c.Caller(), m.Run, [metric], null, null, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/log-parameter", (HttpContext c, TrackingStore s) => Handle(c, Schemas.KeyValue, async m =>
        {
            await s.LogBatchAsync(c.Caller(), m.Run, null, [new KeyValue(Required(m.Key, "key"), m.TextValue() ?? throw TrackingLimits.Missing("value"))], null, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/log-batch", async (HttpContext c, TrackingStore s) =>
        {
            var m = await MlflowJson.ReadAsync<TrackingMessage>(c, (TrackingLimits.MaxBatchRequestBytes, size => TrackingLimits.BatchTooLarge(size)), Schemas.LogBatch);
            await s.LogBatchAsync(c.Caller(), m.Run, m.BatchMetrics(), m.Params, m.Tags, c.RequestAborted);
            return MlflowJson.Empty;
        });
        runs.MapPost("/log-inputs", (HttpContext c, TrackingStore s) => Handle(c, Schemas.LogInputs, async m =>
        {
            await s.LogInputsAsync(c.Caller(), m.Run, m.Datasets, m.Models, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        runs.MapPost("/log-model", (HttpContext c, TrackingStore s) => Handle(c, Schemas.LogModel, async m =>
        {
            await s.LogModelAsync(c.Caller(), m.Run, m.ModelJson, c.RequestAborted);
            return MlflowJson.Empty;
        }));

        group.MapGet("/metrics/get-history", (HttpContext c, TrackingStore s) => Handle(c, Schemas.MetricHistory, async m =>
        {
            var page = await s.GetMetricHistoryAsync(c.Caller(), m.Run, m.MetricKey, m.MaxResults, m.PageToken, c.RequestAborted);
            return MlflowJson.Ok(new { metrics = NullIfEmpty(page.Metrics), next_page_token = page.NextPageToken });
        }));
        return group;
    }

    /// <summary>
    /// The endpoints MLflow's server maps only under <c>/ajax-api/2.0/mlflow</c>, for its web UI (mlflow/server/__init__.py):
    /// metric histories of several runs, an experiment's datasets and prompt engineering runs.
    /// </summary>
    public static RouteGroupBuilder MapMlflowTrackingAjax(this RouteGroupBuilder group)
    {
        group.MapGet("/metrics/get-history-bulk", GetMetricHistoryBulkAsync);
        group.MapPost("/experiments/search-datasets", SearchDatasetsAsync);
        group.MapPost("/runs/create-promptlab-run", CreatePromptlabRunAsync);
        return group;
    }

    private const int MaxBulkHistoryResults = 25000;
    private const int MaxBulkHistoryRuns = 20;
    private const int MaxDatasetSearchExperiments = 20;
    private const int MaxDatasetSummaries = 1000;

    /// <summary>MLflow's experiment search (GET or POST), also its 1.x listing: a search without a filter.</summary>
    private static Task<IResult> SearchExperimentsAsync(HttpContext c, TrackingStore s) => Handle(c, Schemas.SearchExperiments, async m =>
    {
        var page = await s.SearchExperimentsAsync(c.Caller(), new ExperimentQuery(
            m.Filter, TrackingStore.ExperimentOrderBy(m.OrderBy), m.MaxResults, m.PageToken,
            TrackingLimits.ParseViewType(m.ViewType)), c.RequestAborted);
        return MlflowJson.Ok(new { experiments = NullIfEmpty(page.Experiments), next_page_token = page.NextPageToken });
    });

    private static async Task<IResult> GetMetricHistoryBulkAsync(HttpContext context, TrackingStore store)
    {
        var query = context.Request.Query;
        var runIds = query["run_id"].OfType<string>().ToList();
        if (runIds.Count == 0)
        {
            throw new InvalidParameterException("GetMetricHistoryBulk request must specify at least one run_id.");
        }
        if (runIds.Count > MaxBulkHistoryRuns)
        {
            throw new InvalidParameterException(string.Create(CultureInfo.InvariantCulture,
                $"GetMetricHistoryBulk request cannot specify more than {MaxBulkHistoryRuns} run_ids. Received {runIds.Count} run_ids."));
        }
        var metricKey = query["metric_key"].FirstOrDefault() ?? throw new InvalidParameterException("GetMetricHistoryBulk request must specify a metric_key.");
        var maxResults = MaxBulkHistoryResults;
        if (query["max_results"].FirstOrDefault() is { } text)
        {
            maxResults = int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var requested) && requested >= 0
                ? Math.Min(requested, MaxBulkHistoryResults)
                : throw MlflowValidation.Invalid("max_results", JsonSerializer.SerializeToElement(text));
        }
        var points = await store.GetMetricHistoryBulkAsync(context.Caller(), runIds, metricKey, maxResults, context.RequestAborted);
        return MlflowJson.Ok(new
        {
            metrics = points.Select(p => new { key = p.Metric.Key, value = p.Metric.Value, timestamp = p.Metric.Timestamp, step = p.Metric.Step, run_id = p.RunId }),
        });
    }

    private static async Task<IResult> SearchDatasetsAsync(HttpContext context, TrackingStore store)
    {
        var message = await MlflowJson.ReadAsync<TrackingMessage>(context);
        var ids = message.ExperimentIds ?? [];
        if (ids.Count == 0)
        {
            throw new InvalidParameterException("SearchDatasets request must specify at least one experiment_id.");
        }
        if (ids.Count > MaxDatasetSearchExperiments)
        {
            throw new InvalidParameterException(string.Create(CultureInfo.InvariantCulture,
                $"SearchDatasets request cannot specify more than {MaxDatasetSearchExperiments} experiment_ids. Received {ids.Count} experiment_ids."));
        }
        var summaries = await store.SearchDatasetsAsync(context.Caller(), ids, MaxDatasetSummaries, context.RequestAborted);
        // MLflow writes an untagged input's context as null rather than leaving it out.
        var json = new JsonArray(summaries.Select(d => (JsonNode)new JsonObject
        {
            ["experiment_id"] = d.ExperimentId,
            ["name"] = d.Name,
            ["digest"] = d.Digest,
            ["context"] = d.Context,
        }).ToArray());
        return Results.Json(new JsonObject { ["dataset_summaries"] = json }, MlflowJson.Options);
    }

    private static async Task<IResult> CreatePromptlabRunAsync(HttpContext context, PromptlabRuns promptlab, TimeProvider clock)
    {
        var m = await MlflowJson.ReadAsync<PromptlabMessage>(context);
        var run = await promptlab.CreateAsync(context.Caller(), new PromptlabRunRequest(
            Present(m.ExperimentId, "experiment_id"),
            m.RunName,
            m.Tags ?? [],
            Present(m.PromptTemplate, "prompt_template"),
            m.PromptParameters is { Count: > 0 } prompt ? Pairs(prompt) : throw PromptlabMissing("prompt_parameters"),
            Present(m.ModelRoute, "model_route"),
            Pairs(m.ModelParameters),
            Present(m.ModelInput, "model_input"),
            m.ModelOutput,
            Pairs(m.ModelOutputParameters),
            Present(m.MlflowVersion, "mlflow_version"),
            m.UserId ?? "unknown",
            m.StartTime ?? clock.GetUtcNow().ToUnixTimeMilliseconds()), context.RequestAborted);
        return MlflowJson.Ok(new { run });

        static string Present(string? value, string name) => string.IsNullOrEmpty(value) ? throw PromptlabMissing(name) : value;

        static InvalidParameterException PromptlabMissing(string name) => new($"CreatePromptlabRun request must specify {name}.");

        // MLflow logs each value as Python's str() writes it.
        static List<KeyValue> Pairs(List<PromptlabMessage.Parameter>? pairs) =>
            (pairs ?? []).Select(p => new KeyValue(p.Key ?? "", p.Value switch
            {
                null or { ValueKind: JsonValueKind.Null } => "None",
                { ValueKind: JsonValueKind.String } v => v.GetString()!,
                { ValueKind: JsonValueKind.True } => "True",
                { ValueKind: JsonValueKind.False } => "False",
                { } v => v.GetRawText(),
            })).ToList();
    }

    /// <summary>MLflow's request schemas of the tracking endpoints (the <c>schema</c> each handler of mlflow/server/handlers.py passes).</summary>
    private static class Schemas
    {
        public static readonly MlflowSchema CreateExperiment = new(
            MlflowValidation.TextField("name", required: true), MlflowValidation.TextField("artifact_location"),
            new MlflowValidation.Field("tags", MlflowValidation.FieldType.MessageList, MlflowValidation.Check.Type));

        public static readonly MlflowSchema ExperimentId = new(MlflowValidation.TextField("experiment_id", required: true));

        public static readonly MlflowSchema ExperimentName = new(MlflowValidation.TextField("experiment_name", required: true));

        public static readonly MlflowSchema UpdateExperiment = new(
            MlflowValidation.TextField("experiment_id", required: true),
            new MlflowValidation.Field("new_name", MlflowValidation.FieldType.Text, MlflowValidation.Check.Type, MlflowValidation.Check.Required));

        public static readonly MlflowSchema SearchExperiments = new(
            new MlflowValidation.Field("view_type", MlflowValidation.FieldType.Choice, MlflowValidation.Check.Type),
            MlflowValidation.WholeField("max_results"),
            new MlflowValidation.Field("order_by", MlflowValidation.FieldType.TextList, MlflowValidation.Check.Type),
            MlflowValidation.TextField("filter"), MlflowValidation.TextField("page_token"));

        public static readonly MlflowSchema SetExperimentTag = new(
            MlflowValidation.TextField("experiment_id", required: true), MlflowValidation.TextField("key", required: true), MlflowValidation.TextField("value"));

        public static readonly MlflowSchema CreateRun = new(
            MlflowValidation.TextField("experiment_id"), MlflowValidation.WholeField("start_time"), MlflowValidation.TextField("run_name"));

        public static readonly MlflowSchema RunId = new(MlflowValidation.TextField("run_id", required: true));

        public static readonly MlflowSchema UpdateRun = new(
            MlflowValidation.TextField("run_id", required: true), MlflowValidation.WholeField("end_time"), MlflowValidation.TextField("status"), MlflowValidation.TextField("run_name"));

        public static readonly MlflowSchema SearchRuns = new(
            new MlflowValidation.Field("experiment_ids", MlflowValidation.FieldType.TextList, MlflowValidation.Check.Type),
            MlflowValidation.TextField("filter"),
            new MlflowValidation.Field("max_results", MlflowValidation.FieldType.WholeNumber, MlflowValidation.Check.Type, MlflowValidation.Check.AtMost) { Max = 50000 },
            new MlflowValidation.Field("order_by", MlflowValidation.FieldType.TextList, MlflowValidation.Check.Type));

        /// <summary>log-parameter and set-tag.</summary>
        public static readonly MlflowSchema KeyValue = new(
            MlflowValidation.TextField("run_id", required: true), MlflowValidation.TextField("key", required: true), MlflowValidation.TextField("value"));

        public static readonly MlflowSchema DeleteTag = new(MlflowValidation.TextField("run_id", required: true), MlflowValidation.TextField("key", required: true));

        public static readonly MlflowSchema LogMetric = new(
            MlflowValidation.TextField("run_id", required: true), MlflowValidation.TextField("key", required: true),
            new MlflowValidation.Field("value", MlflowValidation.FieldType.RealNumber, MlflowValidation.Check.Required, MlflowValidation.Check.Type),
            MlflowValidation.WholeField("timestamp", required: true), MlflowValidation.WholeField("step"));

        // MLflow 3.5's schema: 2.x required datasets; a 3.x client logs model inputs alone.
        public static readonly MlflowSchema LogInputs = new(
            MlflowValidation.TextField("run_id", required: true),
            new MlflowValidation.Field("datasets", MlflowValidation.FieldType.MessageList, MlflowValidation.Check.Type),
            new MlflowValidation.Field("models", MlflowValidation.FieldType.MessageList, MlflowValidation.Check.Type));

        public static readonly MlflowSchema LogBatch = new(
            RunIdTypeFirst,
            new MlflowValidation.Field("metrics", MlflowValidation.FieldType.MessageList, MlflowValidation.Check.Type, MlflowValidation.Check.EachHas) { ItemFields = ["key", "value", "timestamp"] },
            new MlflowValidation.Field("params", MlflowValidation.FieldType.MessageList, MlflowValidation.Check.Type, MlflowValidation.Check.EachHas) { ItemFields = ["key"] },
            new MlflowValidation.Field("tags", MlflowValidation.FieldType.MessageList, MlflowValidation.Check.Type, MlflowValidation.Check.EachHas) { ItemFields = ["key"] });

        public static readonly MlflowSchema LogModel = new(
            RunIdTypeFirst, new MlflowValidation.Field("model_json", MlflowValidation.FieldType.Text, MlflowValidation.Check.Type, MlflowValidation.Check.Required));

        public static readonly MlflowSchema MetricHistory = new(
            RunIdTypeFirst, new MlflowValidation.Field("metric_key", MlflowValidation.FieldType.Text, MlflowValidation.Check.Type, MlflowValidation.Check.Required));

        /// <summary>Some of MLflow's schemas check run_id's type before its presence, which changes the message for a null.</summary>
        private static MlflowValidation.Field RunIdTypeFirst => new("run_id", MlflowValidation.FieldType.Text, MlflowValidation.Check.Type, MlflowValidation.Check.Required);
    }

    /// <summary>create-promptlab-run's request, which MLflow reads as plain JSON (not a protobuf message).</summary>
    internal sealed class PromptlabMessage
    {
        [JsonConverter(typeof(MlflowJson.NumberOrStringConverter))]
        public string? ExperimentId { get; set; }
        public string? RunName { get; set; }
        public List<KeyValue>? Tags { get; set; }
        public string? PromptTemplate { get; set; }
        public List<Parameter>? PromptParameters { get; set; }
        public string? ModelRoute { get; set; }
        public List<Parameter>? ModelParameters { get; set; }
        public string? ModelInput { get; set; }
        public string? ModelOutput { get; set; }
        public List<Parameter>? ModelOutputParameters { get; set; }
        public string? MlflowVersion { get; set; }
        public string? UserId { get; set; }
        public long? StartTime { get; set; }

        /// <summary>A parameter whose value may be any JSON value.</summary>
        internal sealed class Parameter
        {
            public string? Key { get; set; }
            public JsonElement? Value { get; set; }
        }
    }

    private static async Task<IResult> Handle(HttpContext context, MlflowSchema schema, Func<TrackingMessage, Task<IResult>> handler) =>
        await handler(await MlflowJson.ReadAsync<TrackingMessage>(context, schema: schema));

    /// <summary>Protobuf's JSON, which MLflow writes, leaves an empty repeated field out: nothing found is <c>{}</c>.</summary>
    private static IReadOnlyList<T>? NullIfEmpty<T>(IReadOnlyList<T> items) => items.Count == 0 ? null : items;

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
