using System.Globalization;
using Cairn.Monitoring;
using Cairn.Tests.Api;
using Cairn.Tests.Events;

namespace Cairn.Tests.Monitoring.Alerts;

/// <summary>
/// The retraining trigger end to end (issue 18's "a drifting window raises an alert that reaches a webhook"): windows
/// reported through the API, an alert rule held for K windows with a cool-down, and a real HTTP receiver subscribed to
/// the alerts' events, which gets the model, version, deployment, features and windows; acknowledge and resolve reach
/// it too. SQLite and PostgreSQL.
/// </summary>
public sealed class RetrainingTriggerTests
{
    private const string Secret = "whsec-retrain";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    // Cairn's default webhook body: MLflow's {"entity", "action", "timestamp", "data"}, data the event's payload.
    private static string Type(ScriptedReceiver.Request request) => $"{request.Json["entity"]}.{request.Json["action"]}";

    [Fact]
    public async Task A_drifting_feature_held_for_two_windows_reaches_the_receiver_with_what_retraining_needs()
    {
        using var app = new DeliveryApp();
        var client = app.CreateClient();
        await using var receiver = ScriptedReceiver.Start();
        await (await client.PostJsonAsync("/api/v1/webhooks", new { name = "retrain", url = receiver.Url, events = new[] { "monitoring.alert_*" }, secret = Secret })).ExpectAsync(201);
        var (model, deployment) = await MonitoredModel.DeployAsync(client);
        await (await client.PutJsonAsync($"/api/v1/models/{model}/versions/1/monitoring/reference",
            new { profile = MonitoringWindowsApiTests.ExactProfile(400, 1) })).ExpectAsync(200);
        var rule = (string)(await (await client.PostJsonAsync("/api/v1/monitoring/alert-rules", new
        {
            model,
            deployment,
            name = "amount drifts",
            kind = "drift",
            feature = "amount",
            consecutive = 2,
            cooldown_minutes = 3 * 24 * 60,
            severity = "critical",
        })).ExpectAsync(201))["id"]!;

        // Daily windows: calm, then drifting from day 1 on. Day 2 completes two drifting windows and raises; days 3 and 4
        // are within the 3-day cool-down; day 5 is two new drifting windows past it and raises again.
        var windows = new List<string>();
        for (var day = 0; day < 6; day++)
        {
            var profile = day == 0 ? MonitoringWindowsApiTests.ExactProfile(300, 1) : MonitoringWindowsApiTests.ExactProfile(300, 2, shift: 25);
            var window = await (await client.PostJsonAsync($"/api/v1/deployments/{deployment}/windows",
                new { version = 1, starts_at = Start.AddDays(day), ends_at = Start.AddDays(day + 1), profile })).ExpectAsync(201);
            windows.Add((string)window["id"]!);
            Assert.Equal(day > 0, window["drift"]!["features"]!.AsArray().Single(f => (string?)f!["feature"] == "amount")!["drifted"]!.GetValue<bool>());
        }

        var raised = await receiver.WaitUntilAsync(r => r.Count(x => Type(x) == "monitoring.alert_raised") >= 2);
        var first = raised.First(x => Type(x) == "monitoring.alert_raised");
        Assert.True(first.StandardSignatureVerifies(Secret));
        var alert = first.Json["data"]!;
        Assert.Equal((model, 1, rule), ((string?)alert["model"], (int)alert["version"]!, (string?)alert["rule_id"]));
        Assert.Equal(deployment, (string?)alert["deployment"]!["id"]);
        Assert.Equal("scorer", (string?)alert["deployment"]!["name"]);
        Assert.StartsWith("prod-", (string?)alert["deployment"]!["environment"], StringComparison.Ordinal);
        Assert.Equal("amount", (string?)Assert.Single(alert["features"]!.AsArray()));
        var figures = Assert.Single(alert["evidence"]!["features"]!.AsArray())!;
        Assert.Equal(("amount", "ks", true), ((string?)figures["feature"], (string?)figures["method"], (bool)figures["drifted"]!));
        Assert.True((double)figures["score"]! < 0.05);
        Assert.NotNull(figures["psi"]);
        // The windows are the 2nd and 3rd (newest first), with their time ranges and API paths that answer.
        var cited = alert["evidence"]!["windows"]!.AsArray();
        Assert.Equal([windows[2], windows[1]], cited.Select(w => (string)w!["id"]!).ToArray());
        Assert.Equal(Start.AddDays(1), DateTimeOffset.Parse((string)cited[1]!["starts_at"]!, CultureInfo.InvariantCulture));
        foreach (var w in cited)
        {
            var fetched = await (await client.GetAsync((string)w!["url"]!)).ExpectAsync(200);
            Assert.Equal((string?)w["id"], (string?)fetched["id"]);
        }

        var second = raised.Where(x => Type(x) == "monitoring.alert_raised").Skip(1).First().Json["data"]!;
        Assert.Equal([windows[5], windows[4]], second["evidence"]!["windows"]!.AsArray().Select(w => (string)w!["id"]!).ToArray());

        // Acknowledge and resolve reach the receiver as well.
        var id = (string)alert["id"]!;
        await (await client.PostJsonAsync($"/api/v1/monitoring/alerts/{id}/acknowledge", new { comment = "retraining job 42 started" })).ExpectAsync(200);
        await (await client.PostJsonAsync($"/api/v1/monitoring/alerts/{id}/resolve", new { comment = "v3 shipped" })).ExpectAsync(200);
        var all = await receiver.WaitUntilAsync(r => r.Any(x => Type(x) == "monitoring.alert_resolved"));
        var acked = all.Single(x => Type(x) == "monitoring.alert_acknowledged").Json["data"]!;
        Assert.Equal(("Acknowledged", "retraining job 42 started"), ((string?)acked["status"], (string?)acked["acknowledged"]!["comment"]));
        Assert.Equal("Resolved", (string?)all.Single(x => Type(x) == "monitoring.alert_resolved").Json["data"]!["status"]);
        // Delivered in commit order: by the time the resolution arrived every earlier event had; only two alerts were raised.
        Assert.Equal(2, all.Count(x => Type(x) == "monitoring.alert_raised"));
    }

    [Fact]
    public async Task Reported_metrics_below_the_threshold_raise_a_metric_alert_and_calm_ones_do_not()
    {
        using var app = new DeliveryApp();
        var client = app.CreateClient();
        await using var receiver = ScriptedReceiver.Start();
        await (await client.PostJsonAsync("/api/v1/webhooks", new { name = "retrain", url = receiver.Url, events = new[] { "monitoring.alert_raised" } })).ExpectAsync(201);
        var (model, deployment) = await MonitoredModel.DeployAsync(client);
        await (await client.PostJsonAsync("/api/v1/monitoring/alert-rules", new
        {
            model,
            name = "accuracy falls",
            kind = "metric",
            metric = "accuracy",
            @operator = "<",
            threshold = 0.9,
            consecutive = 2,
            cooldown_minutes = 0,
        })).ExpectAsync(201);
        double[] accuracy = [0.95, 0.85, 0.93, 0.88, 0.86];
        for (var day = 0; day < accuracy.Length; day++)
        {
            await (await client.PostJsonAsync($"/api/v1/deployments/{deployment}/metrics", new[]
            {
                new { version = 1, metric = "accuracy", starts_at = Start.AddDays(day), ends_at = Start.AddDays(day + 1), value = accuracy[day] },
            })).ExpectAsync(200);
        }
        var alerts = await (await client.GetAsync($"/api/v1/monitoring/alerts?model={model}")).ExpectAsync(200);
        var alert = Assert.Single(alerts["alerts"]!.AsArray())!;
        Assert.Equal([0.86, 0.88], alert["evidence"]!["metrics"]!.AsArray().Select(m => (double)m!["value"]!).ToArray());
        var received = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal((string?)alert["id"], (string?)received.Json["data"]!["id"]);
        Assert.Equal(deployment, (string?)received.Json["data"]!["deployment"]!["id"]);
    }
}
