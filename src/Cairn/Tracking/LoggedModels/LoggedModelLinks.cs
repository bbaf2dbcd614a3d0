using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Lineage;
using Cairn.Storage;
using Dapper;

namespace Cairn.Tracking.LoggedModels;

/// <summary>
/// What other features record about logged models inside their own transactions: metric points linked to a model
/// (log-metric/log-batch with a model_id), the models a run read or produced, and a registered version made from a
/// model — each with its lineage edge.
/// </summary>
public static class LoggedModelLinks
{
    private sealed record LinkRow
    {
        public long RunId { get; init; }
        public string Direction { get; init; } = "";
        public string ModelId { get; init; } = "";
        public long? Step { get; init; }
    }

    /// <summary>A run's model inputs and outputs, as <see cref="LoadRunLinksAsync"/> returns them.</summary>
    public sealed record RunModels(IReadOnlyList<RunModelLink> Inputs, IReadOnlyList<RunModelLink> Outputs);

    /// <summary>Records the points of <paramref name="metrics"/> that name a model against that model; a point again is kept once.</summary>
    /// <exception cref="NotFoundException">A metric names a logged model that does not exist.</exception>
    public static async Task LogMetricsAsync(DbTransaction transaction, string runId, IReadOnlyList<Metric> metrics, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var checkedModels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var metric in metrics)
        {
            if (metric.ModelId is not { Length: > 0 } modelId)
            {
                continue;
            }
            if (checkedModels.Add(modelId))
            {
                await RequireModelAsync(transaction, modelId, cancellationToken);
            }
            var nan = double.IsNaN(metric.Value);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO logged_model_metrics (model_id, key, timestamp, step, run_id, value, is_nan, dataset_name, dataset_digest)
                VALUES (@modelId, @Key, @Timestamp, @Step, @runId, @value, @isNan, @DatasetName, @DatasetDigest)
                ON CONFLICT (model_id, key, timestamp, step, run_id) DO NOTHING
                """,
                new { modelId, metric.Key, metric.Timestamp, metric.Step, runId, value = nan ? 0 : metric.Value, isNan = nan ? 1 : 0, metric.DatasetName, metric.DatasetDigest },
                transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>
    /// Records models a run read (<paramref name="direction"/> "input") or produced ("output", at a step). As in MLflow,
    /// the model ids are not checked; a model recorded again keeps one link, with the newer step.
    /// </summary>
    public static async Task RecordRunModelsAsync(
        DbTransaction transaction, long runKey, string runId, string direction, IReadOnlyList<RunModelLink> models, TimeProvider clock, CancellationToken cancellationToken)
    {
        foreach (var model in models)
        {
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO run_model_links (run_id, direction, model_id, step) VALUES (@runKey, @direction, @ModelId, @Step)
                ON CONFLICT (run_id, direction, model_id) DO UPDATE SET step = excluded.step
                """,
                new { runKey, direction, model.ModelId, model.Step }, transaction, cancellationToken: cancellationToken));
            await LinkRunAsync(transaction, runId, model.ModelId, direction, clock, cancellationToken);
        }
    }

    /// <summary>The lineage edge between a run and a model: the run produced it ("output") or read it ("input").</summary>
    public static Task LinkRunAsync(DbTransaction transaction, string runId, string modelId, string direction, TimeProvider clock, CancellationToken cancellationToken)
    {
        var run = new LineageNode(NodeIds.Run(runId), "run", null, runId);
        var model = new LineageNode(NodeIds.LoggedModel(modelId), "logged_model", null, modelId);
        return direction == "output"
            ? LineageGraph.LinkAsync(transaction, run, model, "output", clock, cancellationToken)
            : LineageGraph.LinkAsync(transaction, model, run, "input", clock, cancellationToken);
    }

    /// <summary>The model inputs and outputs of the runs with these keys, in one query.</summary>
    public static async Task<ILookup<long, RunModels>> LoadRunLinksAsync(ISqlDialect dialect, DbConnection connection, IReadOnlyList<long> runKeys, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<LinkRow>(new CommandDefinition(
            $"SELECT run_id, direction, model_id, step FROM run_model_links WHERE {dialect.InList("run_id", "@runKeys")} ORDER BY model_id",
            new { runKeys = runKeys.ToList() }, cancellationToken: cancellationToken));
        return rows.GroupBy(r => r.RunId).ToLookup(g => g.Key, g => new RunModels(
            g.Where(r => r.Direction == "input").Select(r => new RunModelLink(r.ModelId)).ToList(),
            g.Where(r => r.Direction == "output").Select(r => new RunModelLink(r.ModelId, r.Step ?? 0)).ToList()));
    }

    /// <summary>
    /// A registered version was made from a logged model: the model's <see cref="LoggedModelStore.ModelVersionsTag"/>
    /// lists it (once), as MLflow's server records it, and the lineage graph links the two.
    /// </summary>
    /// <exception cref="NotFoundException">No such logged model.</exception>
    public static async Task RecordRegistrationAsync(DbTransaction transaction, string modelId, string registeredModel, long version, TimeProvider clock, CancellationToken cancellationToken)
    {
        await RequireModelAsync(transaction, modelId, cancellationToken);
        var connection = transaction.Connection!;
        var existing = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT value FROM logged_model_tags WHERE model_id = @modelId AND key = @key", new { modelId, key = LoggedModelStore.ModelVersionsTag }, transaction, cancellationToken: cancellationToken));
        var entries = ParseEntries(existing);
        if (!entries.Any(e => (string?)e["name"] == registeredModel && e["version"] is JsonValue v && v.ToJsonString() == version.ToString(CultureInfo.InvariantCulture)))
        {
            entries.Add(new JsonObject { ["name"] = registeredModel, ["version"] = version });
        }
        await LoggedModelStore.UpsertPairsAsync(transaction, "logged_model_tags", modelId, [new KeyValue(LoggedModelStore.ModelVersionsTag, PythonJson(entries))], cancellationToken);
        await LineageGraph.LinkAsync(transaction,
            new LineageNode(NodeIds.LoggedModel(modelId), "logged_model", null, modelId),
            new LineageNode(NodeIds.Model(registeredModel, (int)version), "model", registeredModel, version.ToString(CultureInfo.InvariantCulture)),
            "registered_as", clock, cancellationToken);
    }

    /// <summary>The logged model (active), or not found in MLflow's words.</summary>
    public static async Task RequireModelAsync(DbTransaction transaction, string modelId, CancellationToken cancellationToken)
    {
        if (await transaction.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM logged_models WHERE model_id = @modelId AND lifecycle_stage = 'active'", new { modelId }, transaction, cancellationToken: cancellationToken)) == 0)
        {
            throw LoggedModelStore.Missing(modelId);
        }
    }

    /// <summary>The tag's list of versions; a value that is not such a list (set by hand) is started afresh.</summary>
    private static List<JsonObject> ParseEntries(string? value)
    {
        if (value is null)
        {
            return [];
        }
        try
        {
            return JsonNode.Parse(value) is JsonArray array ? array.OfType<JsonObject>().Select(o => (JsonObject)o.DeepClone()).ToList() : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>The list as Python's json.dumps writes it (", " and ": " separators), so that the tag reads as MLflow's does.</summary>
    private static string PythonJson(List<JsonObject> entries)
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < entries.Count; i++)
        {
            text.Append(i == 0 ? "{" : ", {");
            var first = true;
            foreach (var (key, node) in entries[i])
            {
                text.Append(first ? "" : ", ").Append(JsonSerializer.Serialize(key)).Append(": ").Append(node?.ToJsonString() ?? "null");
                first = false;
            }
            text.Append('}');
        }
        return text.Append(']').ToString();
    }
}
