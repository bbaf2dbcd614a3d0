using Cairn.Monitoring.Alerts;
using Cairn.Storage;
using Cairn.Tests.Api;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Monitoring.Alerts;

/// <summary>
/// A model with one version, and its monitoring series written straight into the monitoring tables of migration 0021
/// (as the monitoring store writes them), each window or figure evaluated by <see cref="AlertEvaluator"/> in the
/// transaction that stores it.
/// </summary>
internal sealed class AlertSeries(CairnApp app, string model, long modelId, long versionId)
{
    private const long Hour = 3_600_000;

    public sealed record Feature(string Name, bool Drifted, double Psi, string Method = "ks", double Score = 0.5, double Threshold = 0.05);

    public string Model { get; } = model;

    public long ModelId { get; } = modelId;

    public long VersionId { get; } = versionId;

    /// <summary>A new model <c>alerts_xxxxxxxx.churn</c> with version 1.</summary>
    public static async Task<AlertSeries> CreateAsync(CairnApp app, HttpClient? client = null)
    {
        client ??= app.CreateClient();
        var name = "alerts_" + Guid.NewGuid().ToString("N")[..8];
        await (await client.PostJsonAsync("/api/v1/models", new { @namespace = "/" + name, model_name = "churn" })).ExpectAsync(201);
        var model = name + ".churn";
        await (await client.PostJsonAsync($"/api/v1/models/{model}/versions", new { })).ExpectAsync(201);
        var modelId = await app.ScalarAsync<long>($"SELECT id FROM models WHERE full_name = '{model}'");
        var versionId = await app.ScalarAsync<long>($"SELECT id FROM model_versions WHERE model_id = {modelId}");
        return new AlertSeries(app, model, modelId, versionId);
    }

    /// <summary>Records a deployment of the model (version 1, all traffic) in a new environment; returns its id.</summary>
    public async Task<string> DeployAsync(string name, HttpClient? client = null)
    {
        client ??= app.CreateClient();
        var env = "prod-" + Guid.NewGuid().ToString("N")[..8];
        await (await client.PutJsonAsync($"/api/v1/environments/{env}", new { description = "production" })).ExpectAsync(200);
        var created = await (await client.PostJsonAsync("/api/v1/deployments", new
        {
            name,
            environment = env,
            model = Model,
            traffic = new[] { new { version = 1, share = 100 } },
        })).ExpectAsync(201);
        return (string)created["id"]!;
    }

    /// <summary>Stores the n-th hourly window of <paramref name="deployment"/> and evaluates, as one transaction; returns the alerts raised.</summary>
    public async Task<IReadOnlyList<Alert>> WindowAsync(string deployment, int n, bool? drifted, params Feature[] features)
    {
        var database = app.Services.GetRequiredService<CairnDatabase>();
        var evaluator = app.Services.GetRequiredService<AlertEvaluator>();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var id = Guid.NewGuid().ToString("N");
            await connection.ExecuteAsync(
                """
                INSERT INTO monitoring_windows (id, deployment_id, model_id, model, version_id, version, starts_at, ends_at, rows, source, profile,
                                                drift, drifted, drift_share, reported_at, reported_by)
                VALUES (@id, @deployment, @ModelId, @Model, @VersionId, 1, @start, @end, 100, 'profile', '{}', NULL, @drifted, @share, @end, 'tester')
                """,
                new
                {
                    id,
                    deployment,
                    ModelId,
                    Model,
                    VersionId,
                    start = n * Hour,
                    end = (n + 1) * Hour,
                    drifted = drifted is null ? (int?)null : drifted.Value ? 1 : 0,
                    share = features.Length == 0 ? (double?)null : features.Count(f => f.Drifted) / (double)features.Length,
                },
                transaction);
            foreach (var f in features)
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO monitoring_feature_drift (window_id, feature, kind, method, score, statistic, threshold, drifted, psi)
                    VALUES (@id, @Name, 'Numerical', @Method, @Score, NULL, @Threshold, @drifted, @Psi)
                    """,
                    new { id, f.Name, f.Method, f.Score, f.Threshold, drifted = f.Drifted ? 1 : 0, f.Psi }, transaction);
            }
            return await evaluator.EvaluateWindowAsync(transaction, "tester", id, CancellationToken.None);
        }, CancellationToken.None);
    }

    /// <summary>Stores one performance figure for the n-th hour and evaluates the metric rules.</summary>
    public async Task<IReadOnlyList<Alert>> FigureAsync(string deployment, int n, string metric, double value, string source = "reported")
    {
        var database = app.Services.GetRequiredService<CairnDatabase>();
        var evaluator = app.Services.GetRequiredService<AlertEvaluator>();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO performance_metrics (deployment_id, version_id, version, metric, starts_at, ends_at, value, count, source, recorded_at)
                VALUES (@deployment, @VersionId, 1, @metric, @start, @end, @value, NULL, @source, @end)
                """,
                new { deployment, VersionId, metric, start = n * Hour, end = (n + 1) * Hour, value, source }, transaction);
            return await evaluator.EvaluatePerformanceAsync(transaction, "tester", deployment, VersionId, [metric], CancellationToken.None);
        }, CancellationToken.None);
    }
}
