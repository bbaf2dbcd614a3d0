using System.Globalization;
using System.Text;
using Cairn.Storage;

namespace Cairn.Bench.UiStore;

/// <summary>One request of the page-timing list: a name for the report, the method, the path and query, a JSON body for POST.</summary>
internal sealed record PageRequest(string Name, string Method, string Path, string? Body)
{
    /// <summary>
    /// Reads a list: one request a line, <c>name METHOD /path [json body]</c>, blank lines and lines starting with # skipped.
    /// </summary>
    public static IReadOnlyList<PageRequest> Read(string file)
    {
        var list = new List<PageRequest>();
        foreach (var raw in File.ReadAllLines(file))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var parts = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length < 3 || parts[1] is not ("GET" or "POST") || !parts[2].StartsWith('/'))
            {
                throw new FormatException($"{file}: '{line}' is not 'name GET|POST /path [body]'.");
            }
            list.Add(new PageRequest(parts[0], parts[1], parts[2], parts.Length > 3 ? parts[3] : null));
        }
        return list;
    }
}

/// <summary>
/// The default lists of <c>pages</c>, with ids of the seeded store: the web UI's pages (routes of the UI foundation) and,
/// until those exist, the API reads each page will make (the native API and MLflow's), written by <c>seed-ui</c> into the data directory.
/// </summary>
internal static class PageUrls
{
    public const string UiFile = "ui-urls.txt";
    public const string ApiFile = "api-urls.txt";

    public static void Write(UiStoreShape shape, string dataDir)
    {
        var c = CultureInfo.InvariantCulture;
        // A model with ten versions (the most), one with two, and the big experiment's runs.
        var rich = Enumerable.Range(shape.Models / 2, shape.Models / 2).First(m => UiStoreShape.VersionCount(m) == 10);
        var two = Enumerable.Range(shape.Models / 3, shape.Models / 2).First(m => UiStoreShape.VersionCount(m) >= 2);
        var full = shape.FullName(rich);
        var tenModels = Enumerable.Range(shape.Models / 4, 10).Select(shape.FullName).ToList();
        var run = UiStoreShape.RunUuid(shape.VersionRunIndex(shape.FirstVersionId[rich]));
        var historyRun = Enumerable.Range(0, shape.Runs).First(r => UiStoreShape.HistorySteps(r) > 0 && UiStoreShape.MetricCount(r) >= 3);
        var compareRuns = Enumerable.Range(historyRun, shape.Runs - historyRun).Where(r => UiStoreShape.HistorySteps(r) > 0).Take(5).Select(r => UiStoreShape.RunUuid(r)).ToList();
        var deep = shape.Models / 2 / 50 * 50;
        var dataset = "dataset:s3:cv-corpus-00";
        var versionNode = Lineage.NodeIds.Model(shape.FullName(0), 1);
        var actor = UiStoreShape.Owner(rich);
        var ns = shape.Namespace(rich);
        Func<string, string> e = Uri.EscapeDataString;

        var ui = new StringBuilder();
        ui.AppendLine("# The web UI's pages on the store seed-ui wrote (name METHOD path). Timed by `pages --urls <this file>`.");
        ui.AppendLine(c, $"home GET /");
        ui.AppendLine(c, $"models-p1 GET /models");
        ui.AppendLine(c, $"models-deep GET /models?page={deep / 50 + 1}");
        ui.AppendLine(c, $"models-sort-updated GET /models?sort={e("updated_at DESC")}");
        ui.AppendLine(c, $"models-tag-gold GET /models?filter={e("tags.tier = 'gold'")}");
        ui.AppendLine(c, $"models-tag-pii GET /models?filter={e("tags.pii = 'true'")}");
        ui.AppendLine(c, $"models-namespace GET /models?filter={e($"namespace = '{ns}'")}");
        ui.AppendLine(c, $"models-q GET /models?q=segmentation");
        ui.AppendLine(c, $"models-q-partial GET /models?q=ResNe");
        ui.AppendLine(c, $"model GET /models/{e(full)}");
        ui.AppendLine(c, $"version GET /models/{e(full)}/versions/3");
        ui.AppendLine(c, $"compare-2 GET /models/{e(shape.FullName(two))}/compare?v=1&v=2");
        ui.AppendLine(c, $"compare-10 GET /models/{e(full)}/compare?{string.Join('&', Enumerable.Range(1, 10).Select(v => $"v={v}"))}");
        ui.AppendLine(c, $"experiments GET /experiments");
        ui.AppendLine(c, $"runs-big GET /experiments/1");
        ui.AppendLine(c, $"runs-big-sorted GET /experiments/1?order={e("metrics.accuracy DESC")}");
        ui.AppendLine(c, $"runs-big-param-sort GET /experiments/1?order={e("params.learning_rate ASC")}");
        ui.AppendLine(c, $"runs-big-param-sort-desc GET /experiments/1?order={e("params.learning_rate DESC")}");
        ui.AppendLine(c, $"runs-big-metric-asc GET /experiments/1?order={e("metrics.loss ASC")}");
        ui.AppendLine(c, $"runs-big-metric-filter GET /experiments/1?filter={e("metrics.accuracy > 0.95")}");
        ui.AppendLine(c, $"runs-big-filtered GET /experiments/1?filter={e("params.optimizer = 'adam' and metrics.accuracy > 0.9")}&order={e("metrics.accuracy DESC")}");
        ui.AppendLine(c, $"runs-small GET /experiments/2");
        ui.AppendLine(c, $"run GET /runs/{UiStoreShape.RunUuid(historyRun)}");
        ui.AppendLine(c, $"runs-compare GET /runs/compare?{string.Join('&', compareRuns.Select(r => "r=" + r))}");
        ui.AppendLine(c, $"lineage-dataset GET /lineage?node={e(dataset)}&depth=2");
        ui.AppendLine(c, $"lineage-version GET /lineage?node={e(versionNode)}&depth=2");
        ui.AppendLine(c, $"datasets GET /datasets");
        ui.AppendLine(c, $"audit GET /audit");
        ui.AppendLine(c, $"audit-actor GET /audit?actor={e(actor)}");
        ui.AppendLine(c, $"audit-action GET /audit?action=alias.set");
        ui.AppendLine(c, $"tokens GET /admin/tokens");
        File.WriteAllText(Path.Combine(dataDir, UiFile), ui.ToString());

        var api = new StringBuilder();
        api.AppendLine("# The API reads behind each UI page, on the store seed-ui wrote (name METHOD path [json body]).");
        api.AppendLine(c, $"models-p1 GET /api/v1/models?max_results=50");
        api.AppendLine(c, $"models-deep GET /api/v1/models?max_results=50&page_token={e(Paging.EncodeOffset(deep, "\n\n\nCairn"))}");
        api.AppendLine(c, $"models-sort-updated GET /api/v1/models?max_results=50&order_by={e("updated_at DESC")}");
        api.AppendLine(c, $"models-tag-gold GET /api/v1/models?max_results=50&filter={e("tags.tier = 'gold'")}");
        api.AppendLine(c, $"models-tag-pii GET /api/v1/models?max_results=50&filter={e("tags.pii = 'true'")}");
        api.AppendLine(c, $"models-namespace GET /api/v1/models?max_results=50&filter={e($"namespace = '{ns}'")}");
        api.AppendLine(c, $"models-q GET /api/v1/models?max_results=50&q=segmentation");
        api.AppendLine(c, $"mlflow-models GET /api/2.0/mlflow/registered-models/search?max_results=50");
        api.AppendLine(c, $"model GET /api/v1/models/{e(full)}");
        api.AppendLine(c, $"model-versions GET /api/v1/models/{e(full)}/versions");
        api.AppendLine(c, $"version GET /api/v1/models/{e(full)}/versions/3");
        api.AppendLine(c, $"alias-history GET /api/v1/models/{e(full)}/aliases/champion/history");
        api.AppendLine(c, $"compare-2 GET /api/v1/models/{e(shape.FullName(two))}/versions?filter={e("version IN (1, 2)")}");
        api.AppendLine(c, $"compare-10 GET /api/v1/models/{e(full)}/versions?filter={e("version <= 10")}");
        api.AppendLine(c, $"versions-10-models GET /api/v1/versions?filter={e($"name IN ({string.Join(", ", tenModels.Select(n => $"'{n}'"))}) and version = 1")}");
        api.AppendLine(c, $"experiments POST /api/2.0/mlflow/experiments/search {{\"max_results\":50}}");
        api.AppendLine(c, $"runs-big POST /api/2.0/mlflow/runs/search {{\"experiment_ids\":[\"1\"],\"max_results\":50}}");
        api.AppendLine(c, $"runs-big-sorted POST /api/2.0/mlflow/runs/search {{\"experiment_ids\":[\"1\"],\"max_results\":50,\"order_by\":[\"metrics.accuracy DESC\"]}}");
        api.AppendLine(c, $"runs-big-param-sort POST /api/2.0/mlflow/runs/search {{\"experiment_ids\":[\"1\"],\"max_results\":50,\"order_by\":[\"params.learning_rate ASC\"]}}");
        api.AppendLine(c, $"runs-big-filtered POST /api/2.0/mlflow/runs/search {{\"experiment_ids\":[\"1\"],\"max_results\":50,\"filter\":\"params.optimizer = 'adam' and metrics.accuracy > 0.9\",\"order_by\":[\"metrics.accuracy DESC\"]}}");
        api.AppendLine(c, $"runs-small POST /api/2.0/mlflow/runs/search {{\"experiment_ids\":[\"2\"],\"max_results\":50}}");
        api.AppendLine(c, $"run GET /api/2.0/mlflow/runs/get?run_id={UiStoreShape.RunUuid(historyRun)}");
        api.AppendLine(c, $"run-history GET /api/2.0/mlflow/metrics/get-history?run_id={UiStoreShape.RunUuid(historyRun)}&metric_key=loss");
        api.AppendLine(c, $"runs-compare GET /ajax-api/2.0/mlflow/metrics/get-history-bulk?{string.Join('&', compareRuns.Select(r => "run_id=" + r))}&metric_key=loss");
        api.AppendLine(c, $"version-run GET /api/2.0/mlflow/runs/get?run_id={run}");
        api.AppendLine(c, $"lineage-dataset GET /api/v1/lineage/graph?node={e(dataset)}&depth=2");
        api.AppendLine(c, $"lineage-version GET /api/v1/lineage/graph?node={e(versionNode)}&depth=2");
        api.AppendLine(c, $"datasets GET /api/v1/datasets");
        api.AppendLine(c, $"audit GET /api/v1/audit?max_results=50");
        api.AppendLine(c, $"audit-actor GET /api/v1/audit?max_results=50&actor={e(actor)}");
        api.AppendLine(c, $"audit-action GET /api/v1/audit?max_results=50&action=alias.set");
        api.AppendLine(c, $"tokens GET /api/v1/tokens");
        File.WriteAllText(Path.Combine(dataDir, ApiFile), api.ToString());
    }
}
