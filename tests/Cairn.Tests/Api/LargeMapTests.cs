using System.Diagnostics;

namespace Cairn.Tests.Api;

/// <summary>
/// Issue 14, item 1: a caller-sized map is written set-based (one statement per table, one parameter), so its cost is
/// linear in its size, it never meets SQLite's cap on variables, and it does not keep other writers waiting.
/// </summary>
public sealed class LargeMapTests(CairnApp app) : IClassFixture<CairnApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<string> ModelAsync()
    {
        var name = $"map{Guid.NewGuid():N}"[..20];
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/maps", model_name = name })).ExpectAsync(201);
        return $"maps.{name}";
    }

    private static Dictionary<string, double> Metrics(int count) => Enumerable.Range(0, count).ToDictionary(i => $"metric_{i:D6}", i => i * 0.5);

    private async Task<TimeSpan> CreateVersionAsync(string model, int metrics)
    {
        var body = new
        {
            metrics = Metrics(metrics),
            @params = Enumerable.Range(0, metrics / 10).ToDictionary(i => $"param_{i}", i => $"value {i}"),
            tags = Enumerable.Range(0, metrics / 10).ToDictionary(i => $"tag_{i}", i => $"value {i}"),
        };
        var clock = Stopwatch.StartNew();
        await (await _client.PostJsonAsync($"/api/v1/models/{model}/versions", body)).ExpectAsync(201);
        return clock.Elapsed;
    }

    [Fact]
    public async Task A_version_with_100000_metrics_is_written_and_reads_back_whole()
    {
        var model = await ModelAsync();

        await CreateVersionAsync(model, 100_000);

        var version = await (await _client.GetAsync($"/api/v1/models/{model}/versions/1")).ExpectAsync(200);
        Assert.Equal(100_000, version["metrics"]!.AsObject().Count);
        Assert.Equal(10_000, version["params"]!.AsObject().Count);
        Assert.Equal(49_999.5, (double)version["metrics"]!["metric_099999"]!);
        Assert.Equal("value 9999", (string?)version["tags"]!["tag_9999"]);
    }

    [Fact]
    public async Task Writing_ten_times_the_metrics_costs_about_ten_times_as_much_not_a_hundred()
    {
        var model = await ModelAsync();
        await CreateVersionAsync(model, 1_000);

        var small = await CreateVersionAsync(model, 10_000);
        var large = await CreateVersionAsync(model, 100_000);

        // Linear is about 10x; the quadratic write this replaces was about 100x. The bound is loose for a loaded machine,
        // and the floor keeps a very fast small write from making the ratio meaningless.
        var ratio = large.TotalMilliseconds / Math.Max(small.TotalMilliseconds, 50);
        Assert.True(ratio < 40, $"10,000 metrics took {small.TotalMilliseconds:F0} ms, 100,000 took {large.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task A_large_map_write_does_not_stall_another_writer()
    {
        var model = await ModelAsync();
        var big = CreateVersionAsync(model, 100_000);
        var clock = Stopwatch.StartNew();
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/maps", model_name = $"by{Guid.NewGuid():N}"[..20] })).ExpectAsync(201);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"another writer waited {clock.Elapsed}");
        await big;
    }
}
