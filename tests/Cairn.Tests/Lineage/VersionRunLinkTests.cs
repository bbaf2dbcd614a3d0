using Cairn.Tests.Api;
using Cairn.Tests.Mlflow;

namespace Cairn.Tests.Lineage;

/// <summary>
/// A version is linked downstream of a run only by a caller who may read that run, and only to a run that exists
/// (issue 14, item 9). Runs live in the root namespace (decision 0007), so a writer scoped to '/a' can read none.
/// </summary>
public sealed class VersionRunLinkTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    private async Task<HttpClient> ClientAsync(string role, string ns) => app.ClientWithToken(await app.TokenAsync($"{role}-{Guid.NewGuid():N}", role, ns));

    private static async Task<string> RunAsync(HttpClient rootWriter)
    {
        var mlflow = new Mlflow.Mlflow(rootWriter);
        var experiment = (string)(await mlflow.OkAsync("experiments/create", new { name = $"b-team-{Guid.NewGuid():N}" }))["experiment_id"]!;
        return (string)(await mlflow.OkAsync("runs/create", new { experiment_id = experiment }))["run"]!["info"]!["run_id"]!;
    }

    private static async Task<int> NodeStatusAsync(HttpClient reader, string node) =>
        (int)(await reader.GetAsync(new Uri($"/api/v1/lineage/graph?node={Uri.EscapeDataString(node)}&depth=1", UriKind.Relative))).StatusCode;

    private static async Task ModelAsync(HttpClient writer, string ns, string name) =>
        await (await writer.PostJsonAsync("/api/v1/models", new { @namespace = ns, model_name = name })).ExpectAsync(201);

    [Fact]
    public async Task A_writer_on_one_namespace_cannot_link_its_version_to_a_run_it_cannot_read()
    {
        var root = await ClientAsync("writer", "/");
        var scoped = await ClientAsync("writer", "/a");
        var runId = await RunAsync(root);
        await ModelAsync(scoped, "/a", "linker");

        var denied = await (await scoped.PostJsonAsync("/api/v1/models/a.linker/versions", new { run_id = runId })).ExpectAsync(403, "PERMISSION_DENIED");

        Assert.Contains("run_id", (string?)denied["detail"], StringComparison.Ordinal);
        await (await scoped.GetAsync(new Uri("/api/v1/models/a.linker/versions/1", UriKind.Relative))).ExpectAsync(404, "RESOURCE_DOES_NOT_EXIST");
        // An MLflow run joins the graph when something links to it: nothing did.
        Assert.Equal(404, await NodeStatusAsync(root, $"run:{runId}"));
        Assert.Equal(404, await NodeStatusAsync(root, "model:a.linker:1"));
    }

    [Fact]
    public async Task An_unknown_run_id_is_refused_naming_the_field_and_no_run_node_is_invented()
    {
        var root = await ClientAsync("writer", "/");
        await ModelAsync(root, "/c", "unknown");
        var ghost = Guid.NewGuid().ToString("N");

        var refused = await (await root.PostJsonAsync("/api/v1/models/c.unknown/versions", new { run_id = ghost })).ExpectAsync(400, "INVALID_PARAMETER_VALUE");

        Assert.Contains("'run_id'", (string?)refused["detail"], StringComparison.Ordinal);
        Assert.Equal(404, await NodeStatusAsync(root, $"run:{ghost}"));
        Assert.Equal(404, await NodeStatusAsync(root, "model:c.unknown:1"));
    }

    [Fact]
    public async Task A_caller_who_may_read_the_run_links_its_version_downstream_of_it()
    {
        var root = await ClientAsync("writer", "/");
        var runId = await RunAsync(root);
        await ModelAsync(root, "/c", "linked");

        await (await root.PostJsonAsync("/api/v1/models/c.linked/versions", new { run_id = runId })).ExpectAsync(201);

        var graph = await (await root.GetAsync(new Uri($"/api/v1/lineage/graph?node={Uri.EscapeDataString($"run:{runId}")}&direction=downstream&depth=1", UriKind.Relative))).ExpectAsync(200);
        Assert.Contains(graph["graph"]!.AsArray(), n => (string?)n!["id"] == "model:c.linked:1");
    }

    [Fact]
    public async Task An_openlineage_run_can_be_named_by_its_run_id_as_well()
    {
        var root = await ClientAsync("writer", "/");
        var runId = Guid.NewGuid().ToString();
        await (await root.PostJsonAsync("/api/v1/executions", new { run_id = runId, type = "training", job_namespace = "jobs", job_name = "train" })).ExpectAsync(201);
        await ModelAsync(root, "/c", "from_execution");

        await (await root.PostJsonAsync("/api/v1/models/c.from_execution/versions", new { run_id = runId })).ExpectAsync(201);

        var graph = await (await root.GetAsync(new Uri($"/api/v1/lineage/graph?node={Uri.EscapeDataString($"run:{runId}")}&direction=downstream&depth=1", UriKind.Relative))).ExpectAsync(200);
        Assert.Contains(graph["graph"]!.AsArray(), n => (string?)n!["id"] == "model:c.from_execution:1");
    }

    [Fact]
    public async Task Mlflow_keeps_a_run_id_it_cannot_resolve_as_mlflow_does_but_links_nothing()
    {
        // MLflow's create_model_version stores run_id unchecked: the run may live on another tracking server (run_link).
        var root = await ClientAsync("writer", "/");
        var scoped = await ClientAsync("writer", "/a");
        var runId = await RunAsync(root);
        var ghost = Guid.NewGuid().ToString("N");
        var mlflow = new Mlflow.Mlflow(scoped);
        await mlflow.OkAsync("registered-models/create", new { name = "a.mlflow_linker" });

        var elsewhere = await mlflow.OkAsync("model-versions/create", new { name = "a.mlflow_linker", source = "s3://bucket/model", run_id = ghost, run_link = "https://other-mlflow/#/runs/x" });
        var unreadable = await mlflow.OkAsync("model-versions/create", new { name = "a.mlflow_linker", source = "s3://bucket/model", run_id = runId });

        Assert.Equal(ghost, (string?)elsewhere["model_version"]!["run_id"]);
        Assert.Equal(runId, (string?)unreadable["model_version"]!["run_id"]);
        Assert.Equal(404, await NodeStatusAsync(root, $"run:{ghost}"));
        Assert.Equal(404, await NodeStatusAsync(root, "model:a.mlflow_linker:1"));
        Assert.Equal(404, await NodeStatusAsync(root, "model:a.mlflow_linker:2"));
    }

    [Fact]
    public async Task Mlflow_links_a_version_to_a_run_the_caller_may_read()
    {
        var root = await ClientAsync("writer", "/");
        var runId = await RunAsync(root);
        var mlflow = new Mlflow.Mlflow(root);
        await mlflow.OkAsync("registered-models/create", new { name = "c.mlflow_linked" });

        await mlflow.OkAsync("model-versions/create", new { name = "c.mlflow_linked", source = "s3://bucket/model", run_id = runId });

        var graph = await (await root.GetAsync(new Uri($"/api/v1/lineage/graph?node={Uri.EscapeDataString($"run:{runId}")}&direction=downstream&depth=1", UriKind.Relative))).ExpectAsync(200);
        Assert.Contains(graph["graph"]!.AsArray(), n => (string?)n!["id"] == "model:c.mlflow_linked:1");
    }
}
