using Cairn.Tests.Api;
using Microsoft.AspNetCore.Hosting;

namespace Cairn.Tests.Governance;

/// <summary>The server with a promotion expiry sweep every 100 ms.</summary>
public sealed class SweepingApp : CairnApp
{
    public SweepingApp() : base("token")
    {
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Cairn:Governance:ExpirySweepInterval", "00:00:00.100");
    }
}

/// <summary>The server's sweeper writes EXPIRED on requests past their time, with the audit entry, by itself.</summary>
public sealed class ExpirySweeperTests(SweepingApp app) : IClassFixture<SweepingApp>
{
    [Fact]
    public async Task The_sweeper_marks_a_request_past_its_time_expired_and_audits_it()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var admin = app.ClientWithToken(await app.TokenAsync($"admin-{suffix}", "admin"));
        var requester = app.ClientWithToken(await app.TokenAsync($"requester-{suffix}", "writer"));
        await (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/sweep", model_name = "m" })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/sweep.m/versions", new { })).ExpectAsync(201);
        await (await admin.PutJsonAsync("/api/v1/policies/sweep", new { protected_targets = new[] { new { stage = "Production", approvals = 1 } } })).ExpectAsync(200);
        var id = (string)(await (await requester.PostJsonAsync("/api/v1/models/sweep.m/versions/1/promotions", new { target = "Production" })).ExpectAsync(201))["id"]!;

        await app.ExecuteSqlAsync($"UPDATE promotion_requests SET expires_at = 1000 WHERE id = '{id}'");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await app.ScalarAsync<string>($"SELECT status FROM promotion_requests WHERE id = '{id}'") != "EXPIRED")
        {
            Assert.True(DateTime.UtcNow < deadline, "The sweeper did not expire the request within 20 s.");
            await Task.Delay(50);
        }
        var entries = (await (await admin.GetAsync($"/api/v1/audit?action=promotion.expire&resource=models/sweep.m")).ExpectAsync(200))["entries"]!.AsArray();
        Assert.Equal("cairn", (string?)Assert.Single(entries)!["actor"]);
        Assert.Equal("Expired", (string?)entries[0]!["after"]!["status"]);
    }
}
