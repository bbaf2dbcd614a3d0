using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests;

/// <summary><c>cairn lineage show</c> on a real server: from the raw data to the model version and back.</summary>
public sealed class LineageCliTests : IAsyncLifetime
{
    private const string Raw = "dataset:s3://lake:claims/raw";
    private const string Features = "dataset:s3://lake:claims/features";
    private const string Model = "model:risk.fraud_scorer:1";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cairn-lineage-cli-").FullName;
    private ServerProcess? _server;

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(["--data-dir", _dataDir]);
        using var http = new HttpClient { BaseAddress = new Uri(_server.Url) };
        foreach (var (source, target, kind) in new[]
        {
            (Raw, "run:ingest-1", "input"), ("run:ingest-1", Features, "output"),
            (Features, "run:train-1", "input"), ("run:train-1", Model, "output"),
        })
        {
            (await http.PostAsJsonAsync("/api/v1/lineage/edges", new { source, target, kind })).EnsureSuccessStatusCode();
        }
    }

    public async Task DisposeAsync()
    {
        await _server!.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private Task<Cli.Result> Show(params string[] args) => Cli.RunAsync(["lineage", "show", .. args, "--server", _server!.Url], null);

    [Fact]
    public async Task The_tree_walks_downstream_from_the_raw_data_to_the_model_and_upstream_back()
    {
        var down = await Show(Raw, "--downstream", "--depth", "10");
        var up = await Show(Model, "--upstream", "--depth", "10");

        Assert.True(down.ExitCode == 0, down.Stderr);
        Assert.Contains($"downstream of {Raw}:", down.Stdout, StringComparison.Ordinal);
        Assert.Contains($"-> {Model} [output]", down.Stdout, StringComparison.Ordinal);
        Assert.True(up.ExitCode == 0, up.Stderr);
        Assert.Contains($"<- {Raw} [input]", up.Stdout, StringComparison.Ordinal);
        // The tree nests: the raw dataset sits under the ingestion run, under the features, under training.
        var lines = up.Stdout.Split('\n');
        Assert.True(Array.FindIndex(lines, l => l.Contains("run:train-1", StringComparison.Ordinal)) < Array.FindIndex(lines, l => l.Contains(Raw, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Dot_mermaid_and_json_describe_the_same_graph()
    {
        var dot = await Show(Features, "--format", "dot");
        var mermaid = await Show(Features, "--format", "mermaid");
        var json = await Show(Features, "--format", "json");

        Assert.Contains($"\"{Raw}\" -> \"run:ingest-1\" [label=\"input\"];", dot.Stdout, StringComparison.Ordinal);
        Assert.StartsWith("flowchart LR", mermaid.Stdout, StringComparison.Ordinal);
        Assert.Contains("-->|output|", mermaid.Stdout, StringComparison.Ordinal);
        Assert.Equal(5, JsonNode.Parse(json.Stdout)!["graph"]!.AsArray().Count);
    }

    [Fact]
    public async Task An_unknown_node_is_a_clear_error()
    {
        var result = await Show("run:never");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not exist", result.Stderr, StringComparison.Ordinal);
    }
}
