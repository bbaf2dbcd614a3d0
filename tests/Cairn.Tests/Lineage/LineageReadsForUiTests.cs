using Cairn.Governance;
using Cairn.Lineage;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Lineage;

/// <summary>
/// The reads the web UI's lineage pages need (issue 15): every shortest path between two nodes, nodes found by name,
/// and a dataset's versions a page at a time; on SQLite and PostgreSQL.
/// </summary>
public sealed class LineageReadsForUiTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static readonly Caller Reader = Caller.Admin("ui-tests");
    private LineageGraph Graph => app.Services.GetRequiredService<LineageGraph>();
    private MetadataStore Metadata => app.Services.GetRequiredService<MetadataStore>();

    private async Task EdgesAsync(params (string Source, string Target)[] edges)
    {
        foreach (var (source, target) in edges)
        {
            await Graph.AddEdgeAsync(Reader, new CreateEdgeRequest(source, target, "feeds"), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Every_shortest_path_is_found_and_a_longer_one_is_left_out()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        string N(string name) => $"job:j{p}:{name}";
        // a → b → d and a → c → d are shortest (2 edges); a → x → y → d is longer.
        await EdgesAsync((N("a"), N("b")), (N("b"), N("d")), (N("a"), N("c")), (N("c"), N("d")), (N("a"), N("x")), (N("x"), N("y")), (N("y"), N("d")));

        var paths = await Graph.ShortestPathsAsync(Reader, N("a"), N("d"), CancellationToken.None);

        Assert.Equal(2, paths.Length);
        Assert.Equal(2, paths.Paths);
        Assert.Equal([N("a"), N("b"), N("c"), N("d")], paths.Nodes.Select(n => n.Id));
        Assert.Equal(4, paths.Edges.Count);
        Assert.Equal("job", paths.Nodes[0].Kind);
        Assert.Equal("a", paths.Nodes[0].Name);
    }

    [Fact]
    public async Task No_path_and_an_unknown_node_are_not_found()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        await EdgesAsync(($"job:k{p}:a", $"job:k{p}:b"));

        await Assert.ThrowsAsync<NotFoundException>(() => Graph.ShortestPathsAsync(Reader, $"job:k{p}:b", $"job:k{p}:a", CancellationToken.None));
        var missing = await Assert.ThrowsAsync<NotFoundException>(() => Graph.ShortestPathsAsync(Reader, $"job:k{p}:a", $"job:k{p}:nowhere", CancellationToken.None));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        var self = await Graph.ShortestPathsAsync(Reader, $"job:k{p}:a", $"job:k{p}:a", CancellationToken.None);
        Assert.Equal(0, self.Length);
    }

    [Fact]
    public async Task Nodes_are_found_by_part_of_their_name_or_namespace_a_page_at_a_time()
    {
        var p = Guid.NewGuid().ToString("N")[..8];
        await EdgesAsync(($"dataset:s3://find-{p}:t1", $"job:find:{p}_job"), ($"dataset:s3://find-{p}:t2", $"job:find:{p}_job"), ($"dataset:s3://find-{p}:t3", $"run:{p}-run"));

        var first = await Graph.SearchNodesAsync(Reader, p, null, 2, null, CancellationToken.None);
        var second = await Graph.SearchNodesAsync(Reader, p, null, 2, first.NextPageToken, CancellationToken.None);
        var third = await Graph.SearchNodesAsync(Reader, p, null, 2, second.NextPageToken, CancellationToken.None);
        var jobs = await Graph.SearchNodesAsync(Reader, p.ToUpperInvariant(), "job", null, null, CancellationToken.None);

        // Datasets first, then jobs, then the rest.
        Assert.Equal([$"dataset:s3://find-{p}:t1", $"dataset:s3://find-{p}:t2"], first.Nodes.Select(n => n.Id));
        Assert.Equal([$"dataset:s3://find-{p}:t3", $"job:find:{p}_job"], second.Nodes.Select(n => n.Id));
        Assert.Equal([$"run:{p}-run"], third.Nodes.Select(n => n.Id));
        Assert.Null(third.NextPageToken);
        Assert.Equal([$"job:find:{p}_job"], jobs.Nodes.Select(n => n.Id));
        await Assert.ThrowsAsync<InvalidParameterException>(() => Graph.SearchNodesAsync(Reader, "other", null, 2, first.NextPageToken, CancellationToken.None));
    }

    [Fact]
    public async Task A_datasets_versions_come_a_page_at_a_time_newest_first()
    {
        var name = $"versions-{Guid.NewGuid():N}";
        foreach (var version in new[] { "v1", "v2", "v3" })
        {
            await Metadata.PutDatasetAsync(Reader, new PutDatasetRequest("s3://paged", name, version), CancellationToken.None);
        }

        var first = await Metadata.DatasetVersionsPageAsync(Reader, "s3://paged", name, 2, null, CancellationToken.None);
        var rest = await Metadata.DatasetVersionsPageAsync(Reader, "s3://paged", name, 2, first.NextPageToken, CancellationToken.None);

        Assert.Equal(["v3", "v2"], first.Versions.Select(v => v.Version));
        Assert.Equal(["v1"], rest.Versions.Select(v => v.Version));
        Assert.Null(rest.NextPageToken);
        await Assert.ThrowsAsync<NotFoundException>(() => Metadata.DatasetVersionsPageAsync(Reader, "s3://paged", "missing", 2, null, CancellationToken.None));
    }
}
