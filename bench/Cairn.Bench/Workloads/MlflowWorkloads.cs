using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Storage;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Bench.Workloads;

/// <summary>MLflow's log-batch at its limit: 1000 metric points per request (10 keys × 100 steps), one run per worker.</summary>
internal sealed class MlflowLogBatchWorkload(HttpClient client, Uri server) : HttpWorkload(client)
{
    public const int PointsPerBatch = 1000;
    private readonly Uri _uri = new(server, "/api/2.0/mlflow/runs/log-batch");
    private string[] _runs = [];

    public override string Name => "mlflow-log-batch";

    public override string Description => $"POST /api/2.0/mlflow/runs/log-batch, {PointsPerBatch} metric points (10 keys x 100 steps) per request";

    public override async Task PrepareAsync(int workers, CancellationToken cancellationToken)
    {
        var experiment = await Mlflow.CreateExperimentAsync(Client, server, "bench-log-batch", cancellationToken);
        _runs = new string[workers];
        for (var w = 0; w < workers; w++)
        {
            _runs[w] = await Mlflow.CreateRunAsync(Client, server, experiment, cancellationToken);
        }
    }

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken)
    {
        // Each request logs new points (later steps), so every one is a real insert, not a duplicate the store skips.
        var body = new StringBuilder(64 * PointsPerBatch).Append(CultureInfo.InvariantCulture, $"{{\"run_id\":\"{_runs[worker]}\",\"metrics\":[");
        for (var i = 0; i < PointsPerBatch; i++)
        {
            body.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture,
                $"{{\"key\":\"m{i % 10}\",\"value\":{(i * 0.001) + iteration},\"timestamp\":1700000000000,\"step\":{(iteration * 100) + (i / 10)}}}");
        }
        body.Append("]}");
        return PostAsync(_uri, Encoding.UTF8.GetBytes(body.ToString()), cancellationToken);
    }
}

/// <summary>
/// search_runs with a filter over one experiment of <see cref="SeededRuns"/> runs, seeded straight into the in-process
/// server's database (through the API it would take minutes and measure nothing more): by default a metric and a param
/// filter that 1 run in 60 passes, or (mlflow-search-runs-rare) a metric filter that about 1 in 10,000 passes.
/// </summary>
internal sealed class MlflowSearchRunsWorkload(HttpClient client, Uri server, IServiceProvider? host, string name, string filter) : HttpWorkload(client)
{
    public const string CommonFilter = "metrics.acc > 0.95 and params.model = 'tree'";
    public const string RareFilter = "metrics.acc > 0.9999";

    public const int SeededRuns = 100_000;
    private readonly Uri _uri = new(server, "/api/2.0/mlflow/runs/search");
    private byte[] _body = [];

    public override string Name => name;

    public override string Description =>
        $"POST /api/2.0/mlflow/runs/search, filter \"{filter}\", 100 per page, over {SeededRuns:N0} runs";

    public override async Task PrepareAsync(int workers, CancellationToken cancellationToken)
    {
        if (_body.Length > 0)
        {
            return;
        }
        var database = host?.GetRequiredService<CairnDatabase>()
            ?? throw new InvalidOperationException("mlflow-search-runs seeds its runs into the in-process server's database: run it without --server.");
        var experiment = await Mlflow.CreateExperimentAsync(Client, server, $"bench-{name}", cancellationToken);
        await database.WriteAsync(async (connection, transaction) =>
        {
            var parameters = new { experiment = long.Parse(experiment, CultureInfo.InvariantCulture), count = SeededRuns };
            await connection.ExecuteAsync(new CommandDefinition(
                """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @count)
                INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
                SELECT lower(hex(randomblob(16))), @experiment, 'seed-' || i, 'bench', 'FINISHED', 1700000000000 + i, 1700000000000 + i + 60000, 'active',
                       'mlflow-artifacts:/' || @experiment || '/seed-' || i || '/artifacts'
                FROM n;
                INSERT INTO run_latest_metrics (run_id, key, step, timestamp, value, is_nan, experiment_id, start_time)
                SELECT id, 'acc', 0, 1700000000000, (abs(random()) % 1000000) / 1000000.0, 0, experiment_id, start_time FROM runs WHERE experiment_id = @experiment;
                INSERT INTO run_latest_metrics (run_id, key, step, timestamp, value, is_nan, experiment_id, start_time)
                SELECT id, 'loss', 0, 1700000000000, (abs(random()) % 1000000) / 1000000.0, 0, experiment_id, start_time FROM runs WHERE experiment_id = @experiment;
                INSERT INTO run_params (run_id, key, value, experiment_id, start_time)
                SELECT id, 'model', CASE id % 3 WHEN 0 THEN 'tree' WHEN 1 THEN 'linear' ELSE 'mlp' END, experiment_id, start_time FROM runs WHERE experiment_id = @experiment;
                INSERT INTO run_tags (run_id, key, value) SELECT id, 'mlflow.runName', name FROM runs WHERE experiment_id = @experiment;
                """, parameters, transaction, commandTimeout: 600, cancellationToken: cancellationToken));
            return 0;
        }, cancellationToken);
        _body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            experiment_ids = new[] { experiment },
            filter,
            max_results = 100,
        });
    }

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken) =>
        PostAsync(_uri, _body, cancellationToken);
}

internal static class Mlflow
{
    public static async Task<string> CreateExperimentAsync(HttpClient client, Uri server, string stem, CancellationToken cancellationToken)
    {
        var response = await client.PostAsJsonAsync(new Uri(server, "/api/2.0/mlflow/experiments/create"), new { name = $"{stem}-{Guid.NewGuid():N}" }, cancellationToken);
        return (string)(await Ok(response, cancellationToken))["experiment_id"]!;
    }

    public static async Task<string> CreateRunAsync(HttpClient client, Uri server, string experiment, CancellationToken cancellationToken)
    {
        var response = await client.PostAsJsonAsync(new Uri(server, "/api/2.0/mlflow/runs/create"), new { experiment_id = experiment }, cancellationToken);
        return (string)(await Ok(response, cancellationToken))["run"]!["info"]!["run_id"]!;
    }

    private static async Task<JsonNode> Ok(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.IsSuccessStatusCode ? JsonNode.Parse(body)! : throw new InvalidOperationException($"MLflow setup failed: {(int)response.StatusCode} {body}");
    }
}

/// <summary>
/// search_registered_models pages of <c>pageSize</c> models over <see cref="SeededModels"/> registered models of
/// <see cref="VersionsPerModel"/> versions each (in all four stages), seeded straight into the in-process server's
/// database once for both page sizes: a page's cost should grow with its models, not with their versions.
/// </summary>
internal sealed class MlflowSearchModelsWorkload(HttpClient client, Uri server, IServiceProvider? host, string name, int pageSize) : HttpWorkload(client)
{
    public const int SeededModels = 1_000;
    public const int VersionsPerModel = 40;
    private static readonly SemaphoreSlim Seeding = new(1, 1);
    private static bool _seeded;
    private readonly Uri _uri = new(server, $"/api/2.0/mlflow/registered-models/search?max_results={pageSize}&filter={Uri.EscapeDataString("name LIKE 'bench-rm-%'")}");

    public override string Name => name;

    public override string Description =>
        $"GET /api/2.0/mlflow/registered-models/search, {pageSize} per page, over {SeededModels:N0} models of {VersionsPerModel} versions each";

    public override async Task PrepareAsync(int workers, CancellationToken cancellationToken)
    {
        var database = host?.GetRequiredService<CairnDatabase>()
            ?? throw new InvalidOperationException($"{name} seeds its models into the in-process server's database: run it without --server.");
        await Seeding.WaitAsync(cancellationToken);
        try
        {
            if (_seeded)
            {
                return;
            }
            await database.WriteAsync(async (connection, transaction) =>
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @models)
                    INSERT INTO models (namespace, name, full_name, description, data_sources, last_version, created_at, created_by, updated_at, updated_by)
                    SELECT '/', 'bench-rm-' || printf('%04d', i), 'bench-rm-' || printf('%04d', i), 'seeded', '[]', @versions, 1700000000000, 'bench', 1700000000000, 'bench' FROM n;
                    INSERT INTO model_tags (model_id, key, value) SELECT id, 'team', 'risk' FROM models WHERE name LIKE 'bench-rm-%';
                    WITH RECURSIVE v(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM v WHERE k + 1 <= @versions)
                    INSERT INTO model_versions (model_id, version, source, run_id, status, stage, created_at, created_by, updated_at, updated_by)
                    SELECT m.id, v.k, 's3://bench/' || m.name || '/' || v.k, NULL, 'READY',
                           CASE v.k % 4 WHEN 0 THEN 'None' WHEN 1 THEN 'Archived' WHEN 2 THEN 'Staging' ELSE 'Production' END,
                           1700000000000 + v.k, 'bench', 1700000000000 + v.k, 'bench'
                    FROM models m CROSS JOIN v WHERE m.name LIKE 'bench-rm-%';
                    """, new { models = SeededModels, versions = VersionsPerModel }, transaction, commandTimeout: 600, cancellationToken: cancellationToken));
                return 0;
            }, cancellationToken);
            _seeded = true;
        }
        finally
        {
            Seeding.Release();
        }
    }

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken) => GetAsync(_uri, cancellationToken);
}
