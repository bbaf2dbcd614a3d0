using Cairn.Monitoring;
using Cairn.Tests.Api;

namespace Cairn.Tests.Monitoring;

/// <summary>Who may report and read monitoring data: writer on the model's namespace to report, reader to read.</summary>
public sealed class MonitoringRolesTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    [Fact]
    public async Task Reporting_needs_writer_and_reading_needs_reader_on_the_models_namespace()
    {
        var admin = app.ClientWithToken(await app.TokenAsync("mon-admin", "admin"));
        var (model, deployment) = await MonitoredModel.DeployAsync(admin);
        var ns = "/" + model.Split('.')[0];
        var reader = app.ClientWithToken(await app.TokenAsync("mon-reader-" + Guid.NewGuid().ToString("N")[..6], "reader", ns));
        var writer = app.ClientWithToken(await app.TokenAsync("mon-writer-" + Guid.NewGuid().ToString("N")[..6], "writer", ns));
        var outsider = app.ClientWithToken(await app.TokenAsync("mon-other-" + Guid.NewGuid().ToString("N")[..6], "writer", "/elsewhere"));
        var profile = MonitoringWindowsApiTests.ExactProfile(20, 1);
        var window = new { version = 1, starts_at = DateTimeOffset.UnixEpoch.AddDays(1), ends_at = DateTimeOffset.UnixEpoch.AddDays(2), profile };

        await (await reader.PutJsonAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", new { profile })).ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", window)).ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.PostJsonAsync($"/api/v1/deployments/{deployment}/predictions", new[] { new { id = "a", version = 1, at = DateTimeOffset.UnixEpoch, prediction = 1 } }))
            .ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.PutJsonAsync($"/api/v1/models/{model}/monitoring/settings", new DriftSettings())).ExpectAsync(403, "PERMISSION_DENIED");
        await (await outsider.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", window)).ExpectAsync(403, "PERMISSION_DENIED");

        await (await writer.PutJsonAsync($"/api/v1/models/{model}/versions/1/monitoring/reference", new { profile })).ExpectAsync(200);
        var created = await (await writer.PostJsonAsync($"/api/v1/deployments/{deployment}/windows", window)).ExpectAsync(201);
        await (await reader.GetAsync($"/api/v1/monitoring/windows/{(string)created["id"]!}")).ExpectAsync(200);
        await (await reader.GetAsync($"/api/v1/monitoring/drift?deployment={deployment}")).ExpectAsync(200);
        await (await reader.GetAsync($"/api/v1/monitoring/performance?deployment={deployment}")).ExpectAsync(200);
        await (await outsider.GetAsync($"/api/v1/monitoring/windows/{(string)created["id"]!}")).ExpectAsync(403, "PERMISSION_DENIED");
        await (await outsider.GetAsync($"/api/v1/monitoring/drift?model={model}")).ExpectAsync(403, "PERMISSION_DENIED");
    }
}
