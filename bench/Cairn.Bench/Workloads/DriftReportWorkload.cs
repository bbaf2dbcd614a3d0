using System.Globalization;
using System.Net.Http.Json;
using Cairn.Monitoring;

namespace Cairn.Bench.Workloads;

/// <summary>
/// <c>GET /api/v1/monitoring/drift/report</c> over stored profiles (issue 18, item 7): a deployment of a model whose
/// version has a reference of <see cref="Features"/> features (80 numerical as t-digest sketches of ~300 centroids, 20
/// categorical with 20 categories) and <see cref="Windows"/> hourly windows of the same shape, all stored in the server's
/// database; each operation merges the windows of the last <c>windowsPerReport</c> hours and compares them with the
/// reference, every feature with its default test.
/// </summary>
internal sealed class DriftReportWorkload(HttpClient client, Uri server, string name, int windowsPerReport, TextWriter progress) : HttpWorkload(client)
{
    public const int Features = 100;
    private const int Numerical = 80;
    private const int Centroids = 300;
    private const int Categories = 20;
    public const int Windows = 24;
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private Uri? _target;

    public override string Name => name;

    public override string Description => string.Create(CultureInfo.InvariantCulture,
        $"GET /api/v1/monitoring/drift/report over {windowsPerReport} stored window(s) of {Features} features ({Numerical} sketched numerical, {Features - Numerical} categorical) against a stored reference");

    public override async Task PrepareAsync(int workers, CancellationToken cancellationToken)
    {
        if (_target is not null)
        {
            return;
        }
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var model = $"bench_mon_{suffix}.drift";
        await SendAsync(HttpMethod.Post, "/api/v1/models", new { @namespace = $"/bench_mon_{suffix}", model_name = "drift" }, cancellationToken);
        await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions", new { }, cancellationToken);
        await SendAsync(HttpMethod.Put, $"/api/v1/environments/bench-{suffix}", new { description = "bench" }, cancellationToken);
        var deployment = await SendAsync(HttpMethod.Post, "/api/v1/deployments", new
        {
            name = "drift",
            environment = $"bench-{suffix}",
            model,
            traffic = new[] { new { version = 1, share = 100m, shadow = false } },
        }, cancellationToken);
        var id = deployment.GetProperty("id").GetString()!;
        await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/versions/1/monitoring/reference", new { profile = Profile(new Random(1), 100_000, 0) }, cancellationToken);
        var random = new Random(2);
        for (var w = 0; w < Windows; w++)
        {
            await SendAsync(HttpMethod.Post, $"/api/v1/deployments/{id}/windows",
                new { version = 1, starts_at = Start.AddHours(w), ends_at = Start.AddHours(w + 1), profile = Profile(random, 5_000, 0.05 * w) }, cancellationToken);
        }
        var from = Start.AddHours(Windows - windowsPerReport).ToString("O", CultureInfo.InvariantCulture);
        _target = new Uri(server, $"/api/v1/monitoring/drift/report?deployment={id}&version=1&from={Uri.EscapeDataString(from)}");
        progress.WriteLine($"{Name}: seeded a reference and {Windows} windows of {Features} features on deployment {id}");
    }

    /// <summary>A profile of <paramref name="rows"/> rows: sketched normal features shifted by <paramref name="shift"/> standard deviations, and categories.</summary>
    internal static DatasetProfile Profile(Random random, long rows, double shift)
    {
        var features = new List<FeatureProfile>(Features);
        for (var f = 0; f < Numerical; f++)
        {
            // Centroids at evenly spaced quantiles of a normal (inverse by bisection on the erf-free logistic approximation is
            // enough for a benchmark), weights summing to the row count.
            var points = new List<WeightedValue>(Centroids);
            var weight = (double)rows / Centroids;
            for (var c = 0; c < Centroids; c++)
            {
                var p = (c + 0.5) / Centroids;
                var z = Math.Log(p / (1 - p)) * 0.5513 + shift + (random.NextDouble() - 0.5) * 0.01;
                points.Add(new WeightedValue(100 + 15 * z + f, weight));
            }
            points.Sort((a, b) => a.Value.CompareTo(b.Value));
            features.Add(new FeatureProfile($"n{f:D2}", FeatureKind.Numerical, rows, Min: points[0].Value, Max: points[^1].Value, Mean: 100 + f + 15 * shift, Std: 15,
                Points: points, Exact: false));
        }
        for (var f = Numerical; f < Features; f++)
        {
            var counts = new Dictionary<string, long>();
            var left = rows;
            for (var c = 0; c < Categories; c++)
            {
                var n = c == Categories - 1 ? left : Math.Min(left, (long)(rows / Categories * (0.5 + random.NextDouble())));
                counts[$"c{c:D2}"] = n;
                left -= n;
            }
            features.Add(new FeatureProfile($"k{f:D2}", FeatureKind.Categorical, rows, Categories: counts));
        }
        return new DatasetProfile(rows, features);
    }

    private async Task<System.Text.Json.JsonElement> SendAsync(HttpMethod method, string path, object body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(server, path)) { Content = JsonContent.Create(body, options: CairnJson.Options) };
        using var response = await Client.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} -> {(int)response.StatusCode}: {text}");
        }
        using var json = System.Text.Json.JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return json.RootElement.Clone();
    }

    public override ValueTask<bool> ExecuteAsync(int worker, long iteration, CancellationToken cancellationToken) => GetAsync(_target!, cancellationToken);
}
