using Cairn.Governance;
using Cairn.Monitoring;
using Cairn.Tests.Api;
using Cairn.Tests.Monitoring.Alerts;
using Microsoft.Extensions.DependencyInjection;
using Feature = Cairn.Tests.Monitoring.Alerts.AlertSeries.Feature;

namespace Cairn.Tests.Monitoring;

/// <summary>The reads behind the monitoring pages: each deployment's latest verdict, and drift rows newest first. SQLite and PostgreSQL.</summary>
public sealed class RecentDriftTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly MonitoringWindows _windows = app.Services.GetRequiredService<MonitoringWindows>();

    [Fact]
    public async Task Each_deployment_shows_its_newest_compared_window_and_a_reader_only_the_namespaces_they_may_read()
    {
        var series = await AlertSeries.CreateAsync(app);
        var (calm, drifting) = (await series.DeployAsync("calm"), await series.DeployAsync("drifting"));
        await series.WindowAsync(calm, 0, true, new Feature("age", true, 0.4), new Feature("income", true, 0.3));
        await series.WindowAsync(calm, 1, false, new Feature("age", false, 0.01), new Feature("income", false, 0.02));
        // Newer, but without a reference: no verdict, so the one before stays the latest.
        await series.WindowAsync(calm, 2, null);
        await series.WindowAsync(drifting, 0, true, new Feature("age", true, 0.4), new Feature("income", false, 0.05));

        var verdicts = (await _windows.LatestVerdictsAsync(Caller.Admin("t"), 1000, default)).Where(v => v.Model == series.Model).ToList();
        Assert.Equal(2, verdicts.Count);
        var c = verdicts.Single(v => v.DeploymentId == calm);
        Assert.Equal(("calm", false, 0.0, 0, 2, 1), (c.Name, c.Drifted, c.DriftShare, c.DriftedFeatures, c.Features, c.Version));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(3_600_000), c.StartsAt);
        var d = verdicts.Single(v => v.DeploymentId == drifting);
        Assert.Equal((true, 0.5, 1, 2), (d.Drifted, d.DriftShare, d.DriftedFeatures, d.Features));

        var outsider = new Caller("otto", [new RoleGrant("/elsewhere", Role.Reader)]);
        Assert.DoesNotContain(await _windows.LatestVerdictsAsync(outsider, 1000, default), v => v.Model == series.Model);
        var insider = new Caller("rita", [new RoleGrant("/" + series.Model.Split('.')[0], Role.Reader)]);
        Assert.Equal(2, (await _windows.LatestVerdictsAsync(insider, 1000, default)).Count);
    }

    [Fact]
    public async Task Drift_rows_newest_first_give_the_most_recent_windows_when_the_range_holds_more_than_a_page()
    {
        var series = await AlertSeries.CreateAsync(app);
        var deployment = await series.DeployAsync("scorer");
        for (var n = 0; n < 3; n++)
        {
            await series.WindowAsync(deployment, n, false, new Feature("age", false, 0.01), new Feature("income", false, 0.02));
        }
        var newest = await _windows.DriftAsync(Caller.Admin("t"), new WindowDriftQuery(Deployment: deployment, MaxResults: 3, NewestFirst: true), default);
        Assert.Equal([(2, "age"), (2, "income"), (1, "age")], newest.Rows.Select(r => ((int)(r.StartsAt.ToUnixTimeMilliseconds() / 3_600_000), r.Feature)));
        Assert.NotNull(newest.NextPageToken);
        var oldest = await _windows.DriftAsync(Caller.Admin("t"), new WindowDriftQuery(Deployment: deployment, MaxResults: 3), default);
        Assert.Equal(0, oldest.Rows[0].StartsAt.ToUnixTimeMilliseconds());
    }
}
