using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Cairn.Bench.UiStore;

/// <summary>
/// The page-timing workload (<c>pages</c>): starts the server on a seeded store, warms every request of the list up, then
/// sends each one <c>N</c> times one after another and <c>N</c> times from 4 workers at once, and reports per request the
/// p50/p95/p99 of the server's time: the <c>Server-Timing: app;dur=</c> header when the response carries one (the UI's
/// pages do), else the latency measured by the client on loopback. Each figure is the median over the rounds.
/// </summary>
internal static class PageTimings
{
    private sealed record Sample(double Ms, bool FromHeader, bool Ok, string? Error);

    public static async Task<int> RunAsync(string dataDir, string? postgres, string urls, int count, int rounds, int concurrency, TextWriter output, TextWriter progress, CancellationToken cancellationToken)
    {
        var requests = PageRequest.Read(urls);
        await using var server = await InProcessServer.StartAsync(dataDir, cancellationToken, postgres);
        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency + 1,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(2) };
        var load = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg", cancellationToken)).Trim() : "n/a";
        progress.WriteLine($"pages: {requests.Count} requests from {urls}, {count} sequential + {count} at concurrency {concurrency}, {rounds} round(s); load {load}");

        foreach (var request in requests)
        {
            for (var i = 0; i < 3; i++)
            {
                var warm = await SendAsync(client, request, cancellationToken);
                if (!warm.Ok)
                {
                    progress.WriteLine($"pages: {request.Name} fails: {warm.Error}");
                    break;
                }
            }
        }

        var results = requests.ToDictionary(r => r.Name, _ => (Sequential: new List<double[]>(), Concurrent: new List<double[]>(), Header: false, Errors: 0L, Error: (string?)null));
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var request in requests)
            {
                var sequential = new List<Sample>(count);
                for (var i = 0; i < count; i++)
                {
                    sequential.Add(await SendAsync(client, request, cancellationToken));
                }
                var concurrent = new List<Sample>(count);
                var workers = Enumerable.Range(0, concurrency).Select(async w =>
                {
                    var mine = new List<Sample>();
                    for (var i = w; i < count; i += concurrency)
                    {
                        mine.Add(await SendAsync(client, request, cancellationToken));
                    }
                    return mine;
                });
                foreach (var mine in await Task.WhenAll(workers))
                {
                    concurrent.AddRange(mine);
                }
                var r = results[request.Name];
                var failed = sequential.Concat(concurrent).Where(s => !s.Ok).ToList();
                results[request.Name] = (r.Sequential, r.Concurrent, sequential.Any(s => s.FromHeader),
                    r.Errors + failed.Count, r.Error ?? failed.FirstOrDefault()?.Error);
                r.Sequential.Add(Percentiles(sequential));
                r.Concurrent.Add(Percentiles(concurrent));
            }
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pages: round {round}/{rounds} done"));
        }
        var loadAfter = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg", cancellationToken)).Trim() : "n/a";

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"store: {(postgres is null ? server.Database : "PostgreSQL")}; list {urls}; {count} requests per URL sequentially and {count} at concurrency {concurrency}; medians of {rounds} round(s)");
        text.AppendLine(CultureInfo.InvariantCulture, $"load (/proc/loadavg) before: {load}; after: {loadAfter}");
        text.AppendLine();
        text.AppendLine("| request | time | seq p50 ms | seq p95 ms | seq p99 ms | c4 p50 ms | c4 p95 ms | c4 p99 ms | errors |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var request in requests)
        {
            var r = results[request.Name];
            var s = Median(r.Sequential);
            var c = Median(r.Concurrent);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {request.Name} | {(r.Header ? "server" : "client")} | {s[0]:F2} | {s[1]:F2} | {s[2]:F2} | {c[0]:F2} | {c[1]:F2} | {c[2]:F2} | {r.Errors}{(r.Error is null ? "" : " (" + r.Error + ")")} |");
        }
        await output.WriteAsync(text.ToString());
        return 0;
    }

    private static async Task<Sample> SendAsync(HttpClient client, PageRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(request.Method == "POST" ? HttpMethod.Post : HttpMethod.Get, request.Path);
        if (request.Body is not null)
        {
            message.Content = new StringContent(request.Body, Encoding.UTF8, "application/json");
        }
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                return new Sample(elapsed, false, false, $"{(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}");
            }
            return ServerTime(response) is { } server ? new Sample(server, true, true, null) : new Sample(elapsed, false, true, null);
        }
        catch (HttpRequestException ex)
        {
            return new Sample(Stopwatch.GetElapsedTime(start).TotalMilliseconds, false, false, ex.Message);
        }
    }

    /// <summary>The <c>dur</c> of the <c>app</c> metric of a <c>Server-Timing</c> header (W3C Server Timing), if any.</summary>
    internal static double? ServerTime(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Server-Timing", out var values))
        {
            return null;
        }
        foreach (var metric in values.SelectMany(v => v.Split(',')))
        {
            var parts = metric.Split(';', StringSplitOptions.TrimEntries);
            if (parts[0] != "app")
            {
                continue;
            }
            foreach (var parameter in parts.Skip(1))
            {
                if (parameter.StartsWith("dur=", StringComparison.Ordinal)
                    && double.TryParse(parameter.AsSpan(4), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
                {
                    return ms;
                }
            }
        }
        return null;
    }

    private static double[] Percentiles(List<Sample> samples)
    {
        var sorted = samples.Where(s => s.Ok).Select(s => s.Ms).Order().ToArray();
        return sorted.Length == 0 ? [double.NaN, double.NaN, double.NaN] : [Rank(sorted, 50), Rank(sorted, 95), Rank(sorted, 99)];

        static double Rank(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static double[] Median(List<double[]> rounds) =>
        [.. Enumerable.Range(0, 3).Select(i => rounds.Select(r => r[i]).Order().ElementAt(rounds.Count / 2))];
}
