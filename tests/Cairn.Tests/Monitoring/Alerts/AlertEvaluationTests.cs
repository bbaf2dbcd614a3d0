using System.Text.Json.Nodes;
using Cairn.Monitoring.Alerts;
using Cairn.Storage;
using Cairn.Tests.Api;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Monitoring.Alerts;

/// <summary>
/// The evaluator over stored windows and performance figures, in the transaction that stores them (written here
/// straight into the monitoring tables of migration 0021, as the monitoring store writes them): which rules raise, the
/// evidence, the events, K consecutive windows, the cool-down, per-deployment rules, acknowledge and resolve.
/// </summary>
public sealed class AlertEvaluationTests(CairnApp app) : IClassFixture<CairnApp>
{
    private const long Hour = 3_600_000;
    private const string Rules = "/api/v1/monitoring/alert-rules";

    private Task<AlertSeries> ModelAsync() => AlertSeries.CreateAsync(app);

    private async Task<string> RuleAsync(object rule) =>
        (string)(await (await app.CreateClient().PostJsonAsync(Rules, rule)).ExpectAsync(201))["id"]!;

    [Fact]
    public async Task Dataset_drift_held_for_two_windows_raises_one_alert_with_its_evidence_and_event()
    {
        var s = await ModelAsync();
        var rule = await RuleAsync(new { model = s.Model, name = "inputs drift", kind = "drift", consecutive = 2, cooldown_minutes = 0, severity = "critical" });
        var age = new AlertSeries.Feature("age", Drifted: true, Psi: 0.31, Method: "ks", Score: 0.001);
        var income = new AlertSeries.Feature("income", Drifted: false, Psi: 0.02);

        Assert.Empty(await s.WindowAsync("dep-a", 0, drifted: false, income));
        Assert.Empty(await s.WindowAsync("dep-a", 1, drifted: true, age, income));
        var raised = Assert.Single(await s.WindowAsync("dep-a", 2, drifted: true, age, income));

        Assert.Equal(rule, raised.RuleId);
        Assert.Equal(AlertSeverity.Critical, raised.Severity);
        Assert.Equal(AlertStatus.Open, raised.Status);
        Assert.Equal("dep-a", raised.Deployment.Id);
        Assert.Equal(1, raised.Version);
        Assert.Equal(["age"], raised.Features);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(Hour), raised.DataFrom);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(3 * Hour), raised.DataTo);
        Assert.Equal(2, raised.Evidence.Windows.Count);
        Assert.All(raised.Evidence.Windows, w => Assert.Equal(AlertEvaluator.WindowPath(w.Id), w.Url));
        var figures = Assert.Single(raised.Evidence.Features);
        Assert.Equal(("age", "ks", 0.001, 0.05, 0.31), (figures.Feature, figures.Method, figures.Score!.Value, figures.Threshold, figures.Psi!.Value));

        // The event is the alert: model, version, deployment, features, windows with their API paths.
        var payload = JsonNode.Parse(await app.ScalarAsync<string>(
            $"SELECT payload FROM events WHERE type = 'monitoring.alert_raised' AND resource = 'models/{s.Model}/alerts/{raised.Id}'"))!;
        Assert.Equal(s.Model, (string?)payload["model"]);
        Assert.Equal(1, (int)payload["version"]!);
        Assert.Equal("dep-a", (string?)payload["deployment"]!["id"]);
        Assert.Equal("age", (string?)payload["features"]![0]);
        Assert.Equal(2, payload["evidence"]!["windows"]!.AsArray().Count);
        Assert.StartsWith("/api/v1/monitoring/windows/", (string?)payload["evidence"]!["windows"]![0]!["url"], StringComparison.Ordinal);
        Assert.Equal("inputs drift", (string?)payload["evidence"]!["rule"]!["name"]);
        Assert.Equal("/" + s.Model.Split('.')[0], await app.ScalarAsync<string>($"SELECT namespace FROM events WHERE resource = 'models/{s.Model}/alerts/{raised.Id}'"));

        // The run goes on: the next window alone is not K new ones; a calm window breaks the run.
        Assert.Empty(await s.WindowAsync("dep-a", 3, drifted: true, age));
        Assert.Empty(await s.WindowAsync("dep-a", 4, drifted: false, income));
        Assert.Empty(await s.WindowAsync("dep-a", 5, drifted: true, age));
        Assert.Single(await s.WindowAsync("dep-a", 6, drifted: true, age));
    }

    [Fact]
    public async Task A_window_without_drift_a_window_without_a_reference_and_a_disabled_rule_raise_nothing()
    {
        var s = await ModelAsync();
        await RuleAsync(new { model = s.Model, name = "drift", kind = "drift", cooldown_minutes = 0 });
        await RuleAsync(new { model = s.Model, name = "off", kind = "psi", threshold = 0.01, enabled = false });
        Assert.Empty(await s.WindowAsync("dep", 0, drifted: false, new AlertSeries.Feature("age", false, 0.05)));
        Assert.Empty(await s.WindowAsync("dep", 1, drifted: null));
        Assert.Single(await s.WindowAsync("dep", 2, drifted: true, new AlertSeries.Feature("age", true, 0.05)));
    }

    [Fact]
    public async Task A_feature_rule_watches_that_feature_and_a_psi_rule_any_feature_at_or_above_its_threshold()
    {
        var s = await ModelAsync();
        await RuleAsync(new { model = s.Model, name = "income drift", kind = "drift", feature = "income", cooldown_minutes = 0 });
        var psi = await RuleAsync(new { model = s.Model, name = "psi", kind = "psi", threshold = 0.2, cooldown_minutes = 0 });
        var first = await s.WindowAsync("dep", 0, drifted: true, new AlertSeries.Feature("age", true, 0.2), new AlertSeries.Feature("income", false, 0.1), new AlertSeries.Feature("tenure", false, 0.19));
        var alert = Assert.Single(first);
        Assert.Equal(psi, alert.RuleId);
        Assert.Equal(["age"], alert.Features);
        var both = await s.WindowAsync("dep", 1, drifted: false, new AlertSeries.Feature("age", false, 0.01), new AlertSeries.Feature("income", true, 0.4));
        Assert.Equal(2, both.Count);
        Assert.All(both, a => Assert.Equal(["income"], a.Features));
    }

    [Fact]
    public async Task The_cool_down_holds_back_the_next_alert_of_a_rule_on_the_same_deployment_only()
    {
        var s = await ModelAsync();
        await RuleAsync(new { model = s.Model, name = "drift", kind = "drift", cooldown_minutes = 120 });
        var drifting = new AlertSeries.Feature("age", true, 0.5);
        Assert.Single(await s.WindowAsync("dep-a", 0, true, drifting));
        Assert.Empty(await s.WindowAsync("dep-a", 1, true, drifting));
        // Another deployment of the same model has its own cool-down.
        Assert.Single(await s.WindowAsync("dep-b", 1, true, drifting));
        Assert.Single(await s.WindowAsync("dep-a", 2, true, drifting));
    }

    [Fact]
    public async Task A_rule_on_one_deployment_ignores_the_others()
    {
        var s = await ModelAsync();
        var canary = await s.DeployAsync("churn-canary");
        var prod = await s.DeployAsync("churn-prod");
        await RuleAsync(new { model = s.Model, deployment = canary, name = "drift", kind = "drift", cooldown_minutes = 0 });
        Assert.Empty(await s.WindowAsync(prod, 0, true, new AlertSeries.Feature("age", true, 0.5)));
        var alert = Assert.Single(await s.WindowAsync(canary, 0, true, new AlertSeries.Feature("age", true, 0.5)));
        // The evidence names the deployment as recorded: id, environment, name.
        Assert.Equal(canary, alert.Deployment.Id);
        Assert.Equal("churn-canary", alert.Deployment.Name);
        Assert.StartsWith("prod-", alert.Deployment.Environment, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_metric_below_its_threshold_for_K_figures_raises_with_the_values()
    {
        var s = await ModelAsync();
        await RuleAsync(new { model = s.Model, name = "accuracy", kind = "metric", metric = "accuracy", @operator = "<", threshold = 0.9, consecutive = 2, cooldown_minutes = 0 });
        Assert.Empty(await s.FigureAsync("dep", 0, "accuracy", 0.85));
        Assert.Empty(await s.FigureAsync("dep", 1, "accuracy", 0.95));
        Assert.Empty(await s.FigureAsync("dep", 2, "accuracy", 0.85));
        Assert.Empty(await s.FigureAsync("dep", 2, "f1", 0.1));
        var alert = Assert.Single(await s.FigureAsync("dep", 3, "accuracy", 0.8));
        Assert.Equal([0.8, 0.85], alert.Evidence.Metrics.Select(m => m.Value));
        Assert.Contains("accuracy < 0.9", alert.Summary, StringComparison.Ordinal);
        Assert.Empty(alert.Features);
    }

    [Fact]
    public async Task An_alert_is_acknowledged_then_resolved_and_resolved_is_final()
    {
        var s = await ModelAsync();
        await RuleAsync(new { model = s.Model, name = "drift", kind = "drift" });
        var alert = Assert.Single(await s.WindowAsync("dep", 0, true, new AlertSeries.Feature("age", true, 0.5)));
        var client = app.CreateClient();
        var path = $"/api/v1/monitoring/alerts/{alert.Id}";

        var read = await (await client.GetAsync(path)).ExpectAsync(200);
        Assert.Equal("Open", (string?)read["status"]);
        var listed = await (await client.GetAsync($"/api/v1/monitoring/alerts?model={s.Model}&status=open")).ExpectAsync(200);
        Assert.Equal(alert.Id, (string?)listed["alerts"]![0]!["id"]);

        var acked = await (await client.PostJsonAsync(path + "/acknowledge", new { comment = "looking" })).ExpectAsync(200);
        Assert.Equal("Acknowledged", (string?)acked["status"]);
        Assert.Equal("looking", (string?)acked["acknowledged"]!["comment"]);
        await (await client.PostJsonAsync(path + "/acknowledge", new { })).ExpectAsync(409, "INVALID_STATE");
        var resolved = await (await client.PostAsync(path + "/resolve", null)).ExpectAsync(200);
        Assert.Equal("Resolved", (string?)resolved["status"]);
        await (await client.PostJsonAsync(path + "/resolve", new { })).ExpectAsync(409, "INVALID_STATE");
        await (await client.PostJsonAsync(path + "/acknowledge", new { })).ExpectAsync(409, "INVALID_STATE");

        Assert.Empty((await (await client.GetAsync($"/api/v1/monitoring/alerts?model={s.Model}&status=open")).ExpectAsync(200))["alerts"]!.AsArray());
        Assert.Single((await (await client.GetAsync($"/api/v1/monitoring/alerts?deployment=dep&model={s.Model}&status=resolved")).ExpectAsync(200))["alerts"]!.AsArray());
        var types = await app.ScalarAsync<long>(
            $"SELECT COUNT(*) FROM events WHERE resource = 'models/{s.Model}/alerts/{alert.Id}' AND type IN ('monitoring.alert_raised', 'monitoring.alert_acknowledged', 'monitoring.alert_resolved')");
        Assert.Equal(3, types);
        await (await client.GetAsync("/api/v1/monitoring/alerts?status=sleeping")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await client.GetAsync("/api/v1/monitoring/alerts?from=yesterday")).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        await (await client.GetAsync("/api/v1/monitoring/alerts/nope")).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task An_alert_raised_in_a_transaction_that_fails_is_not_kept()
    {
        var s = await ModelAsync();
        await RuleAsync(new { model = s.Model, name = "drift", kind = "drift" });
        var database = app.Services.GetRequiredService<CairnDatabase>();
        await Assert.ThrowsAsync<InvalidOperationException>(() => database.WriteAsync<bool>(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(
                "INSERT INTO monitoring_windows (id, deployment_id, model_id, model, version_id, version, starts_at, ends_at, rows, source, profile, drifted, reported_at, reported_by) VALUES ('w-fail', 'dep', @ModelId, @Model, @VersionId, 1, 0, 1, 1, 'profile', '{}', 1, 1, 'tester')",
                new { s.ModelId, s.Model, s.VersionId }, transaction);
            Assert.Single(await app.Services.GetRequiredService<AlertEvaluator>().EvaluateWindowAsync(transaction, "tester", "w-fail", CancellationToken.None));
            throw new InvalidOperationException("the window's store failed after evaluation");
        }, CancellationToken.None));
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM alerts WHERE model = '{s.Model}'"));
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM events WHERE type = 'monitoring.alert_raised' AND resource LIKE 'models/{s.Model}/%'"));
    }
}
