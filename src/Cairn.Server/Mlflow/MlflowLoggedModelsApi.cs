using System.Text.Json.Serialization;
using Cairn.Tracking;
using Cairn.Tracking.LoggedModels;

namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow 3's logged models (service.proto's LoggedModel RPCs) over <see cref="LoggedModelStore"/>: create, get,
/// finalize, delete, search, params, tags, the model's artifacts, and runs/outputs. MLflow 3 clients call these on every
/// <c>log_model</c> and when listing a run's sub-directory. The core's statuses are named here as MLflow's enum names them.
/// </summary>
internal static class MlflowLoggedModelsApi
{
    private const string ModelsScheme = "models:/";

    public static RouteGroupBuilder MapMlflowLoggedModels(this RouteGroupBuilder group)
    {
        var models = group.MapGroup("/logged-models");
        models.MapPost("", (HttpContext c, LoggedModelStore s) => Handle(c, async m =>
            Answer(await s.CreateAsync(c.Caller(), new CreateLoggedModelRequest(
                m.ExperimentId, string.IsNullOrEmpty(m.Name) ? null : m.Name, m.ModelType, m.SourceRunId, m.Params, m.Tags), c.RequestAborted))));
        models.MapPost("/search", (HttpContext c, LoggedModelStore s) => Handle(c, async m =>
        {
            var page = await s.SearchAsync(c.Caller(), new LoggedModelQuery(
                m.ExperimentIds ?? [],
                string.IsNullOrEmpty(m.Filter) ? null : m.Filter,
                m.Datasets?.Select(d => new LoggedModelDatasetFilter(d.DatasetName, string.IsNullOrEmpty(d.DatasetDigest) ? null : d.DatasetDigest)).ToList(),
                m.MaxResults,
                m.OrderBy?.Select(o => new LoggedModelOrder(o.FieldName, o.Ascending ?? true, NullIfEmpty(o.DatasetName), NullIfEmpty(o.DatasetDigest))).ToList(),
                string.IsNullOrEmpty(m.PageToken) ? null : m.PageToken), c.RequestAborted);
            return MlflowJson.Ok(new { models = page.Models.Count == 0 ? null : page.Models.Select(ToJson), next_page_token = page.NextPageToken });
        }));
        models.MapGet("/{modelId}", (string modelId, HttpContext c, LoggedModelStore s) => Handle(c, async _ =>
            Answer(await s.GetAsync(c.Caller(), modelId, c.RequestAborted))));
        models.MapPatch("/{modelId}", (string modelId, HttpContext c, LoggedModelStore s) => Handle(c, async m =>
            Answer(await s.FinalizeAsync(c.Caller(), modelId, Status(m.Status), c.RequestAborted))));
        models.MapDelete("/{modelId}", (string modelId, HttpContext c, LoggedModelStore s) => Handle(c, async _ =>
        {
            await s.DeleteAsync(c.Caller(), modelId, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        models.MapPost("/{modelId}/params", (string modelId, HttpContext c, LoggedModelStore s) => Handle(c, async m =>
        {
            await s.LogParamsAsync(c.Caller(), modelId, m.Params, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        models.MapPatch("/{modelId}/tags", (string modelId, HttpContext c, LoggedModelStore s) => Handle(c, async m =>
        {
            await s.SetTagsAsync(c.Caller(), modelId, m.Tags, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        models.MapDelete("/{modelId}/tags/{tagKey}", (string modelId, string tagKey, HttpContext c, LoggedModelStore s) => Handle(c, async _ =>
        {
            await s.DeleteTagAsync(c.Caller(), modelId, tagKey, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        models.MapGet("/{modelId}/artifacts/directories", async (string modelId, HttpContext c, LoggedModelStore s, RunArtifacts artifacts) =>
        {
            var path = c.Request.Query["artifact_directory_path"].LastOrDefault();
            var model = await s.GetAsync(c.Caller(), modelId, c.RequestAborted);
            var files = await artifacts.ListRunAsync(c.Caller(), model.ArtifactLocation, string.IsNullOrEmpty(path) ? null : path, c.RequestAborted);
            return MlflowJson.Ok(new { root_uri = model.ArtifactLocation, files = files.Count == 0 ? null : files });
        });
        // The web UI's file view (MLflow serves it under ajax-api only; both prefixes answer it here).
        models.MapGet("/{modelId}/artifacts/files", async (string modelId, HttpContext c, LoggedModelStore s, RunArtifacts artifacts) =>
        {
            var path = c.Request.Query["artifact_file_path"].LastOrDefault();
            if (string.IsNullOrEmpty(path))
            {
                throw MlflowErrors.Error(MlflowErrors.BadRequest, "Request must include the \"artifact_file_path\" query parameter.");
            }
            var model = await s.GetAsync(c.Caller(), modelId, c.RequestAborted);
            var file = await artifacts.OpenUnderAsync(c.Caller(), model.ArtifactLocation, path, c.RequestAborted);
            c.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.Stream(file.Content, MlflowArtifactsApi.ContentTypeOf(file.FileName), fileDownloadName: file.FileName, enableRangeProcessing: true);
        });

        group.MapPost("/runs/outputs", (HttpContext c, LoggedModelStore s) => Handle(c, async m =>
        {
            await s.LogOutputsAsync(c.Caller(), m.RunId, m.Models, c.RequestAborted);
            return MlflowJson.Empty;
        }));
        return group;
    }

    /// <summary>
    /// What a model version's source says about a logged model: a <c>models:/m-…</c> source or a <c>model_id</c> names
    /// one, which must exist; MLflow 3 then takes the version's run from the model when none is given.
    /// </summary>
    /// <returns>The logged model's id (null when none is named) and the run the version is from.</returns>
    public static async Task<(string? ModelId, string? RunId)> ResolveVersionSourceAsync(HttpContext context, string source, string? modelId, string? runId)
    {
        var id = string.IsNullOrEmpty(modelId) ? LoggedModelIdOf(source) : modelId;
        if (id is null)
        {
            return (null, runId);
        }
        var model = await context.RequestServices.GetRequiredService<LoggedModelStore>().GetAsync(context.Caller(), id, context.RequestAborted);
        return (id, string.IsNullOrEmpty(runId) ? model.SourceRunId : runId);
    }

    /// <summary>Where a version's files are when its source is a logged model (<c>models:/m-…</c>): the model's artifact location.</summary>
    public static async Task<string?> DownloadUriOfSourceAsync(HttpContext context, string? source)
    {
        if (source is null || LoggedModelIdOf(source) is not { } id)
        {
            return null;
        }
        try
        {
            return (await context.RequestServices.GetRequiredService<LoggedModelStore>().GetAsync(context.Caller(), id, context.RequestAborted)).ArtifactLocation;
        }
        catch (NotFoundException)
        {
            // The model was deleted since: the version's source is all that is left to answer with.
            return null;
        }
    }

    /// <summary>The logged model a <c>models:/m-&lt;id&gt;</c> URI names (MLflow's models:/ URIs name a registered model otherwise).</summary>
    private static string? LoggedModelIdOf(string source)
    {
        if (!source.StartsWith(ModelsScheme, StringComparison.Ordinal))
        {
            return null;
        }
        var rest = source[ModelsScheme.Length..].Trim('/');
        var id = rest.Split('/')[0];
        return id.StartsWith("m-", StringComparison.Ordinal) && !rest.Contains('@', StringComparison.Ordinal) ? id : null;
    }

    private static async Task<IResult> Handle(HttpContext context, Func<LoggedModelMessage, Task<IResult>> handler) =>
        await handler(await MlflowJson.ReadAsync<LoggedModelMessage>(context));

    private static IResult Answer(LoggedModel model) => MlflowJson.Ok(new { model = ToJson(model) });

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>FinalizeLoggedModel's status, by enum name or number as protobuf's JSON reads it.</summary>
    private static string Status(string? status) => status switch
    {
        null or "" => throw TrackingLimits.Missing("status"),
        "LOGGED_MODEL_READY" or "2" => LoggedModelStatus.Ready,
        "LOGGED_MODEL_UPLOAD_FAILED" or "3" => LoggedModelStatus.Failed,
        "LOGGED_MODEL_PENDING" or "1" => LoggedModelStatus.Pending,
        "LOGGED_MODEL_STATUS_UNSPECIFIED" or "0" => "UNSPECIFIED",
        _ => throw new InvalidParameterException(
            $"Invalid value '{status}' for parameter 'status': expected LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED."),
    };

    private static string StatusName(string status) => status switch
    {
        LoggedModelStatus.Pending => "LOGGED_MODEL_PENDING",
        LoggedModelStatus.Ready => "LOGGED_MODEL_READY",
        LoggedModelStatus.Failed => "LOGGED_MODEL_UPLOAD_FAILED",
        _ => "LOGGED_MODEL_STATUS_UNSPECIFIED",
    };

    /// <summary>A LoggedModel message as MLflow's server writes it: empty lists and unset fields left out.</summary>
    internal static object ToJson(LoggedModel model) => new
    {
        info = new
        {
            experiment_id = model.ExperimentId,
            model_id = model.ModelId,
            name = model.Name,
            artifact_uri = model.ArtifactLocation,
            creation_timestamp_ms = model.CreatedAt,
            last_updated_timestamp_ms = model.UpdatedAt,
            model_type = NullIfEmpty(model.ModelType),
            source_run_id = NullIfEmpty(model.SourceRunId),
            status = StatusName(model.Status),
            status_message = model.StatusMessage,
            tags = model.Tags.Count == 0 ? null : model.Tags,
        },
        data = new
        {
            @params = model.Params.Count == 0 ? null : model.Params,
            metrics = model.Metrics.Count == 0 ? null : model.Metrics.Select(m => new
            {
                key = m.Key,
                value = m.Value,
                timestamp = m.Timestamp,
                step = m.Step,
                dataset_name = m.DatasetName,
                dataset_digest = m.DatasetDigest,
                model_id = model.ModelId,
                run_id = m.RunId,
            }),
        },
    };

    /// <summary>A dataset of SearchLoggedModels.</summary>
    internal sealed class DatasetMessage
    {
        public string? DatasetName { get; set; }
        public string? DatasetDigest { get; set; }
    }

    /// <summary>An order_by term of SearchLoggedModels.</summary>
    internal sealed class OrderByMessage
    {
        public string? FieldName { get; set; }
        public bool? Ascending { get; set; }
        public string? DatasetName { get; set; }
        public string? DatasetDigest { get; set; }
    }

    /// <summary>The fields of every logged-model request message; each endpoint reads the ones its message has.</summary>
    internal sealed class LoggedModelMessage
    {
        public string? ExperimentId { get; set; }
        public List<string>? ExperimentIds { get; set; }
        public string? Name { get; set; }
        public string? ModelType { get; set; }
        public string? SourceRunId { get; set; }
        public List<KeyValue>? Params { get; set; }
        public List<KeyValue>? Tags { get; set; }

        [JsonConverter(typeof(MlflowJson.NumberOrStringConverter))]
        public string? Status { get; set; }

        public string? Filter { get; set; }
        public List<DatasetMessage>? Datasets { get; set; }
        public int? MaxResults { get; set; }
        public List<OrderByMessage>? OrderBy { get; set; }
        public string? PageToken { get; set; }
        public string? RunId { get; set; }
        public List<RunModelLink>? Models { get; set; }
    }
}
