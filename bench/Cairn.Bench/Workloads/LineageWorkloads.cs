using System.Globalization;
using System.Text.Json;

namespace Cairn.Bench.Workloads;

/// <summary>
/// <c>GET /api/v1/lineage/graph?node=…&amp;direction=…&amp;depth=…</c> from start nodes drawn at random (uniformly over
/// every node of the generated <see cref="LineageBenchGraph"/>, the same draw in every run), in one direction.
/// </summary>
internal sealed class LineageTraversalWorkload(HttpClient client, Uri server, LineageBenchGraph graph, string direction, int depth, TextWriter progress)
    : HttpWorkload(client)
{
    private const int Starts = 20_000;
    private const int Sampled = 300;
    private Uri[] _targets = [];

    public override string Name => $"lineage-{direction}";

    public override string Description => string.Create(CultureInfo.InvariantCulture,
        $"GET /api/v1/lineage/graph?direction={direction}&depth={depth} from random nodes of a {graph.Nodes:N0}-node, {graph.Edges:N0}-edge graph");

    public override async Task PrepareAsync(int workers, CancellationToken cancellationToken)
    {
        if (_targets.Length > 0)
        {
            return;
        }
        var random = new Random(direction == "downstream" ? 1 : 2);
        _targets = new Uri[Starts];
        for (var i = 0; i < Starts; i++)
        {
            var node = graph.Node(random.NextInt64(graph.Nodes)).Id;
            _targets[i] = new Uri(server, string.Create(CultureInfo.InvariantCulture,
                $"/api/v1/lineage/graph?node={Uri.EscapeDataString(node)}&direction={direction}&depth={depth}"));
        }
        await DescribeAnswersAsync(cancellationToken);
    }

    /// <summary>What the traversals return, on a sample of the start nodes: how many nodes, how often the node cap cut them.</summary>
    private async Task DescribeAnswersAsync(CancellationToken cancellationToken)
    {
        var sizes = new List<int>(Sampled);
        var truncated = 0;
        for (var i = 0; i < Sampled; i++)
        {
            using var response = await Client.GetAsync(_targets[i * (Starts / Sampled)], cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Lineage traversal failed: {(int)response.StatusCode} {body}");
            }
            using var json = JsonDocument.Parse(body);
            sizes.Add(json.RootElement.GetProperty("graph").GetArrayLength());
            truncated += json.RootElement.GetProperty("truncated").GetBoolean() ? 1 : 0;
        }
        sizes.Sort();
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Name}: nodes per answer over {Sampled} sampled starts: median {sizes[sizes.Count / 2]}, p90 {sizes[sizes.Count * 9 / 10]}, p99 {sizes[sizes.Count * 99 / 100]}, max {sizes[^1]}, mean {sizes.Average():F0}; truncated at the node cap: {truncated}"));
    }

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken) =>
        GetAsync(_targets[(int)((worker * 7919L + iteration) % _targets.Length)], cancellationToken);
}
