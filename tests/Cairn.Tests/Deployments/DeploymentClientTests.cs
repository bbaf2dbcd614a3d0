using System.Net;
using Cairn.Client;
using Cairn.Tests.Api;

namespace Cairn.Tests.Deployments;

/// <summary>The typed client's deployment and environment calls against the real server.</summary>
public sealed class DeploymentClientTests(CairnApp app) : IClassFixture<CairnApp>
{
    [Fact]
    public async Task The_client_records_shifts_reports_rolls_back_and_lists_deployments()
    {
        using var http = app.CreateClient();
        var (model, env) = await DeploymentFlowTests.ModelAndEnvironmentAsync(http, versions: 2);
        using var client = new CairnClient(http);
        var set = await client.SetEnvironmentAsync(env + "-qa", new SetEnvironmentRequest(Description: "qa"));
        Assert.False(set.Protected);
        Assert.Contains(await client.ListEnvironmentsAsync(), e => e.Name == env + "-qa");

        var recorded = await client.RecordDeploymentAsync(new RecordDeploymentRequest(
            "fraud-api", env, model, [new TrafficShare(1, 100)], Endpoint: "https://fraud.example.com", Method: "SageMaker", Strategy: "blue-green",
            EnvironmentVariables: new Dictionary<string, string> { ["DB_PASSWORD"] = "hunter2" }));
        Assert.Equal(("pending", 1, "****"), (recorded.Status, recorded.Revision, recorded.EnvironmentVariables["DB_PASSWORD"]));
        Assert.Equal($"deployment:{env}:fraud-api", recorded.LineageNode);

        var shifted = await client.ShiftTrafficAsync(recorded.Id, [new TrafficShare(1, 90), new TrafficShare(2, 10)], "in_progress", "canary");
        Assert.Equal([new TrafficShare(1, 90), new TrafficShare(2, 10)], shifted.Traffic);
        await client.ReportDeploymentStatusAsync(recorded.Id, "succeeded", "healthy");
        var rolled = await client.RollbackDeploymentAsync(recorded.Id, "errors");
        Assert.Equal((3, "rolled_back"), (rolled.Revision, rolled.Status));
        Assert.Equal(["pending", "in_progress", "succeeded", "rolled_back"], (await client.GetDeploymentStatusAsync(recorded.Id)).History.Select(h => h.Status));
        var revisions = await client.GetDeploymentRevisionsAsync(recorded.Id);
        Assert.Equal((3, 1), (revisions.Revision, revisions.Revisions[0].RestoredFrom));

        var updated = await client.UpdateDeploymentAsync(recorded.Id, new UpdateDeploymentRequest(Endpoint: "https://fraud-v2.example.com"));
        Assert.Equal("https://fraud-v2.example.com", updated.Endpoint);
        Assert.Equal([recorded.Id], await client.ListDeploymentsAsync(new DeploymentQuery(Environment: env)).Select(d => d.Id).ToListAsync());
        Assert.Single((await client.ListVersionDeploymentsAsync(model, 1)).Deployments);
        Assert.Empty((await client.ListVersionDeploymentsAsync(model, 2)).Deployments);

        var refused = await Assert.ThrowsAsync<CairnApiException>(() => client.ShiftTrafficAsync(recorded.Id, [new TrafficShare(1, 50)]));
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE"), (refused.StatusCode, refused.ErrorCode));
        Assert.Contains("'traffic'", refused.Detail, StringComparison.Ordinal);

        await client.DeleteDeploymentAsync(recorded.Id);
        Assert.NotNull((await client.GetDeploymentAsync(recorded.Id)).DeletedAt);
        await client.DeleteEnvironmentAsync(env + "-qa");
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<CairnApiException>(() => client.GetEnvironmentAsync(env + "-qa"))).StatusCode);
    }
}
