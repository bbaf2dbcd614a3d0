using System.Globalization;
using System.Text;
using System.Text.Json;
using Cairn.Governance;

namespace Cairn.Tracking;

/// <summary>A prompt engineering run as MLflow's web UI records it (create-promptlab-run): the prompt, its model and one evaluated output.</summary>
public sealed record PromptlabRunRequest(
    string ExperimentId,
    string? RunName,
    IReadOnlyList<KeyValue> Tags,
    string PromptTemplate,
    IReadOnlyList<KeyValue> PromptParameters,
    string ModelRoute,
    IReadOnlyList<KeyValue> ModelParameters,
    string ModelInput,
    string? ModelOutput,
    IReadOnlyList<KeyValue> ModelOutputParameters,
    string MlflowVersion,
    string UserId,
    long StartTime);

/// <summary>
/// Records a prompt engineering run as MLflow's server does (mlflow/utils/promptlab_utils.py): a run with the model's
/// parameters, the route and the template as params, MLflow's tags for its UI, a logged model "model" described by
/// its MLmodel and parameters.yaml, and the evaluation table <c>eval_results_table.json</c> among its artifacts. The
/// run ends FINISHED, or FAILED when any of those steps fails, as in MLflow.
/// </summary>
public sealed class PromptlabRuns(TrackingStore store, RunArtifacts artifacts, TimeProvider clock)
{
    public const string LoggedArtifactsTag = "mlflow.loggedArtifacts";
    public const string RunSourceTypeTag = "mlflow.runSourceType";

    /// <summary>Creates the run and everything it holds; returns the run as it ends.</summary>
    public async Task<Run> CreateAsync(Caller caller, PromptlabRunRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var run = await store.CreateRunAsync(caller, new CreateRunRequest(request.ExperimentId, request.UserId, request.StartTime, request.RunName, request.Tags), cancellationToken);
        var runId = run.Info.RunId;
        var status = RunStatus.Finished;
        try
        {
            List<KeyValue> parameters = [.. request.ModelParameters, new("model_route", request.ModelRoute), new("prompt_template", request.PromptTemplate)];
            // Written as Python's json.dumps writes it: MLflow's UI reads this tag.
            List<KeyValue> tags = [new(LoggedArtifactsTag, """[{"path": "eval_results_table.json", "type": "table"}]"""), new(RunSourceTypeTag, "PROMPT_ENGINEERING")];
            await store.LogBatchAsync(caller, runId, [], parameters, tags, cancellationToken);
            var created = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
            await store.LogModelAsync(caller, runId, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["artifact_path"] = "model",
                ["run_id"] = runId,
                ["utc_time_created"] = created,
                ["flavors"] = new Dictionary<string, object>(),
            }), cancellationToken);
            await PutAsync(caller, run.Info.ArtifactUri, "eval_results_table.json", EvalResults(request), cancellationToken);
            await PutAsync(caller, run.Info.ArtifactUri, "model/parameters.yaml", Parameters(request), cancellationToken);
            await PutAsync(caller, run.Info.ArtifactUri, "model/MLmodel", Model(runId, created, request), cancellationToken);
            await PutAsync(caller, run.Info.ArtifactUri, "model/requirements.txt", $"mlflow[gateway]=={request.MlflowVersion}", cancellationToken);
        }
        catch (Exception e) when (e is CairnException or IOException or UnauthorizedAccessException)
        {
            status = RunStatus.Failed;
        }
        await store.UpdateRunAsync(caller, runId, new UpdateRunRequest(status, clock.GetUtcNow().ToUnixTimeMilliseconds(), request.RunName), cancellationToken);
        return await store.GetRunAsync(caller, runId, cancellationToken);
    }

    private async Task PutAsync(Caller caller, string artifactUri, string path, string text, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(Encoding.UTF8.GetBytes(text));
        await artifacts.PutRunFileAsync(caller, artifactUri, path, content, cancellationToken);
    }

    /// <summary>The evaluation table: one row of the prompt's parameters, the input, the output and the output's parameters.</summary>
    private static string EvalResults(PromptlabRunRequest request)
    {
        List<string> columns = [.. request.PromptParameters.Select(p => p.Key), "prompt", "output", .. request.ModelOutputParameters.Select(p => p.Key)];
        List<string?> row = [.. request.PromptParameters.Select(p => p.Value), request.ModelInput, request.ModelOutput, .. request.ModelOutputParameters.Select(p => p.Value)];
        return JsonSerializer.Serialize(new { columns, data = new[] { row } });
    }

    /// <summary>parameters.yaml, its strings written as YAML's double-quoted scalars (JSON strings are those).</summary>
    private static string Parameters(PromptlabRunRequest request)
    {
        var yaml = new StringBuilder();
        yaml.Append("model_parameters:").Append(Map(request.ModelParameters)).Append('\n');
        yaml.Append("model_route: ").Append(JsonSerializer.Serialize(request.ModelRoute)).Append('\n');
        yaml.Append("prompt_parameters:").Append(Map(request.PromptParameters)).Append('\n');
        yaml.Append("prompt_template: ").Append(JsonSerializer.Serialize(request.PromptTemplate)).Append('\n');
        return yaml.ToString();

        static string Map(IReadOnlyList<KeyValue> pairs) => pairs.Count == 0 ? " {}"
            : string.Concat(pairs.Select(p => $"\n  {JsonSerializer.Serialize(p.Key)}: {JsonSerializer.Serialize(p.Value)}"));
    }

    /// <summary>The MLmodel of the logged model: MLflow's promptlab pyfunc flavor over parameters.yaml.</summary>
    private static string Model(string runId, string created, PromptlabRunRequest request) =>
        $"""
        artifact_path: model
        flavors:
          python_function:
            loader_module: mlflow.promptlab
            parameters_path: parameters.yaml
        mlflow_version: {JsonSerializer.Serialize(request.MlflowVersion)}
        run_id: {runId}
        utc_time_created: '{created}'

        """;
}
