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
                INSERT INTO run_latest_metrics (run_id, key, step, timestamp, value, is_nan)
                SELECT id, 'acc', 0, 1700000000000, (abs(random()) % 1000000) / 1000000.0, 0 FROM runs WHERE experiment_id = @experiment;
                INSERT INTO run_latest_metrics (run_id, key, step, timestamp, value, is_nan)
                SELECT id, 'loss', 0, 1700000000000, (abs(random()) % 1000000) / 1000000.0, 0 FROM runs WHERE experiment_id = @experiment;
                INSERT INTO run_params (run_id, key, value)
                SELECT id, 'model', CASE id % 3 WHEN 0 THEN 'tree' WHEN 1 THEN 'linear' ELSE 'mlp' END FROM runs WHERE experiment_id = @experiment;
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
