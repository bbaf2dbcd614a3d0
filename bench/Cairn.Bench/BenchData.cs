using System.Net.Http.Json;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Registry;
using Cairn.Server.Api;

namespace Cairn.Bench;

/// <summary>
/// The data the workloads read and write, all under one namespace of this run (<c>/bench/r{id}</c>), so that
/// runs against a long-lived server neither collide nor read each other's rows.
/// </summary>
internal sealed class BenchData
{
    /// <summary>Versions given to each of the <see cref="VersionedModels"/> before measuring.</summary>
    public const int SeededVersions = 3;

    /// <summary>The version the <c>champion</c> alias names on each versioned model.</summary>
    public const int ChampionVersion = 2;

    /// <summary>The search: every fourth seeded model has team "risk", and a page holds 20.</summary>
    public const string SearchQuery = "/api/v1/models?filter=tags.team%20%3D%20'risk'&max_results=20";

    private const int VersionedModels = 8;
    private const int VersionCreateModels = 4;
    private static readonly string[] Teams = ["risk", "fraud", "pricing", "claims"];

    /// <summary>What every version-create sends: the rows the SQLite baseline inserts are these.</summary>
    public static CreateVersionRequest VersionRequest { get; } = new(
        Description: "load generator version",
        Source: "s3://bench/artifacts/model.bin",
        RunId: "bench-run",
        Framework: "sklearn",
        Metrics: new Dictionary<string, double> { ["accuracy"] = 0.931, ["auc"] = 0.874 },
        Params: new Dictionary<string, string> { ["max_depth"] = "6", ["learning_rate"] = "0.1" },
        Tags: new Dictionary<string, string> { ["team"] = "risk", ["dataset"] = "claims-2026" });

    public BenchData(Uri server, int searchModels, string? runId = null)
    {
        Server = server;
        RunId = runId ?? Guid.NewGuid().ToString("N")[..8];
        Namespace = $"/bench/r{RunId}";
        SearchModels = searchModels;
        var prefix = $"bench.r{RunId}.";
        VersionCreateTargets = Enumerable.Range(0, VersionCreateModels)
            .Select(i => new Uri(server, $"/api/v1/models/{prefix}w{i}/versions")).ToList();
        ModelTargets = Enumerable.Range(0, searchModels).Select(i => new Uri(server, $"/api/v1/models/{prefix}{SeedName(i)}")).ToList();
        VersionTargets = Enumerable.Range(0, VersionedModels)
            .SelectMany(i => Enumerable.Range(1, SeededVersions).Select(v => new Uri(server, $"/api/v1/models/{prefix}{SeedName(i)}/versions/{v}")))
            .ToList();
        AliasTargets = Enumerable.Range(0, VersionedModels)
            .Select(i => new Uri(server, $"/api/v1/models/{prefix}{SeedName(i)}/aliases/champion")).ToList();
        SearchTarget = new Uri(server, SearchQuery);
        VersionBody = JsonSerializer.SerializeToUtf8Bytes(VersionRequest, CairnJson.Options);
    }

    public Uri Server { get; }

    public string RunId { get; }

    public string Namespace { get; }

    public int SearchModels { get; }

    public IReadOnlyList<Uri> VersionCreateTargets { get; }

    public IReadOnlyList<Uri> ModelTargets { get; }

    public IReadOnlyList<Uri> VersionTargets { get; }

    public IReadOnlyList<Uri> AliasTargets { get; }

    public Uri SearchTarget { get; }

    public byte[] VersionBody { get; }

    public byte[] NewModelBody(string name) => JsonSerializer.SerializeToUtf8Bytes(
        new CreateModelRequest(Namespace + "/created", name, Tags: new Dictionary<string, string> { ["team"] = "bench", ["tier"] = "gold" }),
        CairnJson.Options);

    /// <summary>
    /// Creates the seeded models (tags team and tier), versions and <c>champion</c> aliases of the first
    /// few, and the models version-create writes to. Requests go a few at a time: seeding is not measured.
    /// </summary>
    public async Task SeedAsync(HttpClient client, int parallelism, CancellationToken cancellationToken)
    {
        // The run every version names: a registration's run_id must be a run the server knows (issue 14, item 9).
        await SendAsync(client, HttpMethod.Post, "/api/v1/executions",
            new Cairn.Lineage.PutExecutionRequest(VersionRequest.RunId, Type: "training", JobNamespace: "bench", JobName: "load-generator"), cancellationToken);
        var models = Enumerable.Range(0, SearchModels)
            .Select(i => new CreateModelRequest(Namespace, SeedName(i), Description: $"seeded model {i}", Owner: "bench",
                Tags: new Dictionary<string, string> { ["team"] = Teams[i % Teams.Length], ["tier"] = i % 2 == 0 ? "gold" : "silver" }))
            .Concat(Enumerable.Range(0, VersionCreateModels).Select(i => new CreateModelRequest(Namespace, $"w{i}", Owner: "bench")));
        await Parallel.ForEachAsync(models, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (model, ct) => await SendAsync(client, HttpMethod.Post, "/api/v1/models", model, ct));

        // Versions of one model are numbered in order, so each model's versions go one after another.
        var prefix = $"bench.r{RunId}.";
        await Parallel.ForEachAsync(Enumerable.Range(0, Math.Min(VersionedModels, SearchModels)),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var model = prefix + SeedName(i);
                for (var v = 0; v < SeededVersions; v++)
                {
                    await SendAsync(client, HttpMethod.Post, $"/api/v1/models/{model}/versions", VersionRequest, ct);
                }
                await SendAsync(client, HttpMethod.Put, $"/api/v1/models/{model}/aliases/champion", new AliasAssignment(ChampionVersion), ct);
            });
    }

    /// <summary>
    /// Whether an earlier run with this run id seeded the data completely: the aliases are its last writes, after
    /// every model, and the last seeded model must be there.
    /// </summary>
    public async Task<bool> IsSeededAsync(HttpClient client, CancellationToken cancellationToken)
    {
        foreach (var target in AliasTargets.Append(ModelTargets[^1]))
        {
            using var response = await client.GetAsync(target, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }
        }
        return true;
    }

    private static string SeedName(int i) => $"s{i:D5}";

    private async Task SendAsync<T>(HttpClient client, HttpMethod method, string path, T body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(Server, path))
        {
            Content = JsonContent.Create(body, options: CairnJson.Options),
        };
        using var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"Seeding failed: {method} {path} -> {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }
}
