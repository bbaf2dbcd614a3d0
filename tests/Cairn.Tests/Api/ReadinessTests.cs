namespace Cairn.Tests.Api;

/// <summary><c>GET /ready</c> answers for the artifact store too: a replica that cannot store files takes no traffic.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Readiness_fails_naming_the_artifact_store_while_its_folder_cannot_be_made_and_recovers_after()
    {
        // A server of its own: this test breaks its artifact folder.
        await using var app = new CairnApp();
        var client = app.CreateClient();
        await (await client.GetAsync(new Uri("/ready", UriKind.Relative))).ExpectAsync(200);
        var artifacts = Path.Combine(app.DataDir, "artifacts");
        if (Directory.Exists(artifacts))
        {
            Directory.Delete(artifacts, recursive: true);
        }
        // A file where the folder should be, as an unmounted or replaced volume leaves it: no upload could succeed.
        await File.WriteAllTextAsync(artifacts, "not a folder");

        var broken = await (await client.GetAsync(new Uri("/ready", UriKind.Relative))).ExpectAsync(503);
        Assert.Equal("unavailable", (string?)broken["status"]);
        Assert.StartsWith("artifact store: ", (string?)broken["error"], StringComparison.Ordinal);
        // Liveness is not readiness: the process is fine, it only must not take traffic.
        await (await client.GetAsync(new Uri("/health", UriKind.Relative))).ExpectAsync(200);

        File.Delete(artifacts);
        Assert.Equal("ready", (string?)(await (await client.GetAsync(new Uri("/ready", UriKind.Relative))).ExpectAsync(200))["status"]);
    }
}
