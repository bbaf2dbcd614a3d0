using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cairn.Governance;
using Cairn.Lineage;
using Cairn.Server.Ui;
using Cairn.Server.Ui.Graphics;
using Cairn.Server.Ui.Pages.Lineage;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Cairn.Bench.UiStore;

/// <summary>
/// The lineage explorer in a real browser (<c>ui-graph</c>, issue 15 item 5: "a 300-node lineage graph is ready in the
/// browser within 1 s"). Seeds a neighbourhood of about 300 nodes through <c>POST /api/v1/lineage/batch</c>
/// (<see cref="LineageNeighbourhood"/>), or takes a node of a store given with <c>--node</c>; requests the explorer
/// around it with HttpClient (the server alone); then loads it in Debian's Chromium (Playwright, no browser download),
/// alternately in one tab (someone clicking through the UI: the renderer is warm) and in a new tab each time (a
/// renderer that starts cold). It reports medians of:
/// <list type="bullet">
/// <item>the server: the page's <c>Server-Timing: app</c> (as the browser read it) and this process's CPU time during
/// the load; and apart, in this process, the graph query, the layout and the SVG's rendering that the page runs;</item>
/// <item>the browser, from navigation start (navigation timing): first byte, last byte, DOMContentLoaded, and
/// <b>ready</b>: the frame after DOMContentLoaded, by which every node of the graph is in the document, laid out, the
/// canvas scrolled to the centre (the page's own DOMContentLoaded handler) and painted. A load counts only if every node
/// the page says it draws is an element and the centre node is what the browser hit-tests at its own centre (a click
/// there opens it);</item>
/// <item>the renderer's main thread in that load (Chrome DevTools Protocol <c>Performance.getMetrics</c>: scripts,
/// style, layout, all tasks) and the CPU time of all Chromium's processes (from /proc).</item>
/// </list>
/// </summary>
internal static class GraphPageTimings
{
    /// <summary>
    /// Added to every document before its scripts: a DOMContentLoaded listener on the window, which runs after the
    /// document's own listeners (the event bubbles from the document to the window), so after the explorer has centred
    /// its canvas. It counts the graph's elements, forces layout, and at the frame after that (a task queued from
    /// requestAnimationFrame runs once the frame is produced) checks the centre node is hit-testable and records the time.
    /// </summary>
    private const string ReadyProbe = """
        window.addEventListener("DOMContentLoaded", () => {
          const svg = document.querySelector("svg.lineage-graph");
          if (!svg) { window.__graph = { error: "no svg.lineage-graph" }; return; }
          const nodes = svg.querySelectorAll("g.node").length, edges = svg.querySelectorAll("g.edges path").length;
          svg.getBoundingClientRect();
          const laidOut = performance.now();
          requestAnimationFrame(() => setTimeout(() => {
            const current = svg.querySelector("g.node.current"), box = current && current.getBoundingClientRect();
            const hit = box && document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
            const shown = document.querySelector(".lineage-toolbar .small")?.textContent ?? "";
            window.__graph = { nodes, edges, laidOut, ready: performance.now(), usable: !!(hit && current.contains(hit)), shown };
          }));
        });
        """;

    private const string Collect = """
        () => {
          const n = performance.getEntriesByType("navigation")[0], g = window.__graph;
          const app = n.serverTiming.find(s => s.name === "app");
          return JSON.stringify({ ...g, server: app ? app.duration : -1, responseStart: n.responseStart, responseEnd: n.responseEnd,
            domInteractive: n.domInteractive, dcl: n.domContentLoadedEventEnd, bytes: n.decodedBodySize,
            fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1 });
        }
        """;

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private static readonly string[] TraceCategories = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "loading", "toplevel"];

    private static readonly string[] RendererMetrics = ["TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration"];

    private sealed record Load(double Server, double ServerCpu, double ResponseStart, double ResponseEnd, double Dcl, double LaidOut, double Ready, double Fcp,
        double Task, double Script, double Style, double Layout, double BrowserCpu, long Bytes, int Nodes, int Edges, bool Usable, string Shown);

    public static async Task<int> RunAsync(string? dataDir, string? postgres, string? node, int nodes, int depth, int loads, string chromium, string? trace,
        TextWriter output, TextWriter progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(chromium))
        {
            progress.WriteLine($"ui-graph: no browser at {chromium} (apt-get install chromium); Playwright never downloads one here.");
            return 2;
        }
        var temporary = dataDir is null;
        var directory = dataDir ?? Directory.CreateTempSubdirectory("cairn-bench-graph-").FullName;
        try
        {
            await using var server = await InProcessServer.StartAsync(directory, cancellationToken, postgres);
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(2) };
            var centre = node ?? await SeedAsync(client, nodes, progress, cancellationToken);
            var url = UiUrls.LineageExplorer(centre, depth);
            var loadBefore = LoadAverage();
            progress.WriteLine($"ui-graph: {url}; load {loadBefore}");

            var alone = await ServerAloneAsync(client, url, loads, cancellationToken);
            var (same, fresh) = await BrowserLoadsAsync(new Uri(server.Address, url), loads, chromium, trace, progress, cancellationToken);
            var (query, layout, svg) = await ServerPartsAsync(server.Services, centre, depth, loads, cancellationToken);
            var loadAfter = LoadAverage();
            var first = same[0];
            var bad = same.Concat(fresh).Where(t => !t.Usable || t.Nodes != first.Nodes).ToList();
            if (bad.Count > 0)
            {
                progress.WriteLine("ui-graph: a load did not draw the whole graph, or its centre node was not clickable: " +
                    string.Join("; ", bad.Select(t => $"{t.Nodes} nodes, usable {t.Usable}")));
                return 1;
            }

            var text = new StringBuilder();
            var c = CultureInfo.InvariantCulture;
            text.AppendLine(c, $"store: {(postgres is null ? server.Database : "PostgreSQL")}; page {url}");
            text.AppendLine(c, $"graph: {first.Nodes} nodes and {first.Edges} edges drawn (the page: \"{first.Shown.Trim()}\"); HTML {first.Bytes / 1024.0:F0} KiB");
            text.AppendLine(c, $"load (/proc/loadavg) before: {loadBefore}; after: {loadAfter}");
            text.AppendLine(c, $"{loads} loads in one tab (after 3 unmeasured) and {loads} in a new tab each, alternating; the server had answered the page {loads + 3} times before");
            text.AppendLine();
            text.AppendLine("| ms, median (min–max) | same tab | new tab |");
            text.AppendLine("| --- | ---: | ---: |");
            // A figure the browser did not report (a load without a first-contentful-paint entry) is -1 and left out.
            void Row(string name, Func<Load, double> of) =>
                text.AppendLine(c, $"| {name} | {Spread(same.Select(of).Where(v => v >= 0))} | {Spread(fresh.Select(of).Where(v => v >= 0))} |");
            text.AppendLine(c, $"| server alone (HttpClient, no browser), the first request after start: Server-Timing app / process CPU | {alone.First.Wall:F0} / {alone.First.Cpu:F0} | |");
            text.AppendLine(c, $"| server alone, requests 4 to {loads + 3}: Server-Timing app / process CPU | {alone.Median.Wall:F1} / {alone.Median.Cpu:F1} | |");
            text.AppendLine(c, $"| server, in process: graph query, wall / CPU | {query.Wall:F1} / {query.Cpu:F1} | |");
            text.AppendLine(c, $"| server, in process: cap, edges, views and layout, wall / CPU | {layout.Wall:F1} / {layout.Cpu:F1} | |");
            text.AppendLine(c, $"| server, in process: the graph's SVG rendered to HTML, wall / CPU | {svg.Wall:F1} / {svg.Cpu:F1} | |");
            Row("server: page (Server-Timing app)", t => t.Server);
            Row("server: CPU of this process during the load (server and Playwright client)", t => t.ServerCpu);
            Row("browser: first byte (responseStart)", t => t.ResponseStart);
            Row("browser: last byte (responseEnd)", t => t.ResponseEnd);
            Row("browser: DOMContentLoaded handlers done", t => t.Dcl);
            Row("browser: first contentful paint", t => t.Fcp);
            Row("**ready**: every node laid out, the next frame painted", t => t.Ready);
            Row("ready − last byte (the browser's part)", t => t.Ready - t.ResponseEnd);
            Row("renderer main thread: all tasks", t => t.Task);
            Row("renderer main thread: script", t => t.Script);
            Row("renderer main thread: style", t => t.Style);
            Row("renderer main thread: layout", t => t.Layout);
            Row("Chromium's processes: CPU during the load", t => t.BrowserCpu);
            await output.WriteAsync(text.ToString());
            return 0;
        }
        finally
        {
            if (temporary)
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>The page requested on its own, before the browser starts: its Server-Timing and this process's CPU time per request.</summary>
    private static async Task<((double Wall, double Cpu) First, (double Wall, double Cpu) Median)> ServerAloneAsync(HttpClient client, string url, int count, CancellationToken cancellationToken)
    {
        var samples = new List<(double, double)>();
        (double, double) first = default;
        for (var i = -3; i < count; i++)
        {
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            using var response = await client.GetAsync(url, cancellationToken);
            await response.Content.ReadAsByteArrayAsync(cancellationToken);
            process.Refresh();
            response.EnsureSuccessStatusCode();
            var sample = (PageTimings.ServerTime(response) ?? double.NaN, (process.TotalProcessorTime - cpu).TotalMilliseconds);
            if (i == -3)
            {
                first = sample;
            }
            else if (i >= 0)
            {
                samples.Add(sample);
            }
        }
        return (first, MedianPair(samples));
    }

    /// <summary>Posts the neighbourhood's events as the OpenLineage batches a client would send; returns the centre's id.</summary>
    private static async Task<string> SeedAsync(HttpClient client, int nodes, TextWriter progress, CancellationToken cancellationToken)
    {
        var neighbourhood = new LineageNeighbourhood(nodes, "bench");
        var events = neighbourhood.Events();
        foreach (var batch in events.Chunk(50))
        {
            using var response = await client.PostAsJsonAsync("/api/v1/lineage/batch", batch, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"POST /api/v1/lineage/batch: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
        var graph = await client.GetFromJsonAsync<JsonElement>(
            $"/api/v1/lineage/graph?node={Uri.EscapeDataString(neighbourhood.Centre)}&depth=2", cancellationToken);
        var found = graph.GetProperty("graph").GetArrayLength();
        progress.WriteLine($"ui-graph: {events.Count} OpenLineage events posted; the API finds {found} nodes within depth 2 of {neighbourhood.Centre} (expected {neighbourhood.Nodes})");
        if (found != neighbourhood.Nodes)
        {
            throw new InvalidOperationException($"The seeded neighbourhood has {found} nodes, not {neighbourhood.Nodes}: the generator and the graph disagree.");
        }
        return neighbourhood.Centre;
    }

    private static async Task<(List<Load> SameTab, List<Load> NewTab)> BrowserLoadsAsync(Uri page, int loads, string chromium, string? trace, TextWriter progress, CancellationToken cancellationToken)
    {
        // Only `playwright install` downloads browsers and nothing here runs it; this keeps it so if anything ever does.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
        // One context and one tab for every load, as someone clicking through the UI has: the stylesheet and script
        // come from the browser's cache after the first load; the page itself is never cached (no-store).
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        await context.AddInitScriptAsync(ReadyProbe);
        var tab = await context.NewPageAsync();
        var (same, fresh) = (new List<Load>(), new List<Load>());
        for (var i = -3; i < loads; i++)
        {
            var load = await LoadAsync(tab, page, cancellationToken);
            Report(progress, i < 0 ? "warm-up" : $"{i + 1}, same tab", load);
            if (i < 0)
            {
                continue;
            }
            same.Add(load);
            var other = await context.NewPageAsync();
            load = await LoadAsync(other, page, cancellationToken);
            await other.CloseAsync();
            Report(progress, $"{i + 1}, new tab", load);
            fresh.Add(load);
        }
        if (trace is not null)
        {
            await TraceAsync(context, page, trace, progress);
        }
        return (same, fresh);
    }

    /// <summary>
    /// Loads the page in <paramref name="tab"/> and reads its timings. The renderer's counters (Performance.getMetrics)
    /// restart when a navigation commits, so read after the load they hold this document's work.
    /// </summary>
    private static async Task<Load> LoadAsync(IPage tab, Uri page, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var cdp = await tab.Context.NewCDPSessionAsync(tab);
        await cdp.SendAsync("Performance.enable");
        var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var browserBefore = BrowserTicks();
        var response = await tab.GotoAsync(page.ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        if (response is not { Ok: true })
        {
            throw new InvalidOperationException($"GET {page}: {response?.Status}");
        }
        await tab.WaitForFunctionAsync("() => window.__graph !== undefined");
        self.Refresh();
        var serverCpu = (self.TotalProcessorTime - cpu).TotalMilliseconds;
        // Per process: a renderer that ended during the load (a closed tab's) takes its ticks with it.
        var browserCpu = BrowserTicks().Sum(p => p.Value - browserBefore.GetValueOrDefault(p.Key)) * 10.0;
        var metrics = await MetricsAsync(cdp);
        await cdp.DetachAsync();
        var json = JsonDocument.Parse(await tab.EvaluateAsync<string>(Collect)).RootElement;
        if (json.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"GET {page}: {error.GetString()}");
        }
        double Metric(string name) => metrics[name] * 1000;
        return new Load(json.GetProperty("server").GetDouble(), serverCpu, json.GetProperty("responseStart").GetDouble(), json.GetProperty("responseEnd").GetDouble(),
            json.GetProperty("dcl").GetDouble(), json.GetProperty("laidOut").GetDouble(), json.GetProperty("ready").GetDouble(), json.GetProperty("fcp").GetDouble(),
            Metric("TaskDuration"), Metric("ScriptDuration"), Metric("RecalcStyleDuration"), Metric("LayoutDuration"), browserCpu,
            json.GetProperty("bytes").GetInt64(), json.GetProperty("nodes").GetInt32(), json.GetProperty("edges").GetInt32(),
            json.GetProperty("usable").GetBoolean(), json.GetProperty("shown").GetString() ?? "");
    }

    private static void Report(TextWriter progress, string which, Load load) => progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"ui-graph: load {which}: server {load.Server:F1} ms, last byte {load.ResponseEnd:F0} ms, ready {load.Ready:F0} ms, main thread {load.Task:F0} ms, Chromium CPU {load.BrowserCpu:F0} ms"));

    /// <summary>
    /// CPU time, in clock ticks of 10 ms (USER_HZ is 100 on Linux), of each process under this one other than
    /// Playwright's driver: the browser it launched, with its renderers, GPU and network processes (from /proc; none
    /// where there is no /proc).
    /// </summary>
    private static Dictionary<int, long> BrowserTicks()
    {
        if (!Directory.Exists("/proc/self"))
        {
            return [];
        }
        var processes = new List<(int Pid, int Parent, string Name, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                processes.Add((pid, int.Parse(fields[1], CultureInfo.InvariantCulture), name,
                    long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)));
            }
            catch (IOException)
            {
                // The process ended while it was read.
            }
        }
        var under = new HashSet<int> { Environment.ProcessId };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var p in processes)
            {
                if (under.Contains(p.Parent) && under.Add(p.Pid))
                {
                    grew = true;
                }
            }
        }
        return processes.Where(p => p.Pid != Environment.ProcessId && under.Contains(p.Pid) && p.Name != "node").ToDictionary(p => p.Pid, p => p.Ticks);
    }

    /// <summary>One more load under Chromium's tracing (the DevTools timeline's categories), saved as a Trace Event file for a trace viewer.</summary>
    private static async Task TraceAsync(IBrowserContext context, Uri page, string file, TextWriter progress)
    {
        var tab = await context.NewPageAsync();
        var cdp = await context.NewCDPSessionAsync(tab);
        var events = new List<JsonElement>();
        var complete = new TaskCompletionSource();
        cdp.Event("Tracing.dataCollected").OnEvent += (_, data) =>
        {
            if (data is { } value)
            {
                lock (events)
                {
                    events.AddRange(value.GetProperty("value").EnumerateArray().Select(e => e.Clone()));
                }
            }
        };
        cdp.Event("Tracing.tracingComplete").OnEvent += (_, _) => complete.TrySetResult();
        await cdp.SendAsync("Tracing.start", new Dictionary<string, object>
        {
            ["transferMode"] = "ReportEvents",
            ["traceConfig"] = new Dictionary<string, object>
            {
                ["includedCategories"] = TraceCategories,
            },
        });
        await tab.GotoAsync(page.ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        await tab.WaitForFunctionAsync("() => window.__graph !== undefined");
        await cdp.SendAsync("Tracing.end");
        await complete.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await tab.CloseAsync();
        lock (events)
        {
            File.WriteAllText(file, JsonSerializer.Serialize(new { traceEvents = events }));
        }
        progress.WriteLine($"ui-graph: a traced load written to {file} ({events.Count} events)");
    }

    private static async Task<Dictionary<string, double>> MetricsAsync(ICDPSession cdp)
    {
        var reply = await cdp.SendAsync("Performance.getMetrics") ?? throw new InvalidOperationException("Performance.getMetrics gave no answer.");
        return reply.GetProperty("metrics").EnumerateArray()
            .Where(m => RendererMetrics.Contains(m.GetProperty("name").GetString()))
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
    }

    /// <summary>
    /// What the explorer page does, timed apart in this process (the browser is closed by then): the graph query; the
    /// cap, the edges among the drawn nodes, the views and the layout; and the graph's SVG rendered to HTML by the
    /// component the page uses. Medians of wall and process CPU time.
    /// </summary>
    private static async Task<((double Wall, double Cpu) Query, (double Wall, double Cpu) Layout, (double Wall, double Cpu) Svg)> ServerPartsAsync(
        IServiceProvider services, string centre, int depth, int count, CancellationToken cancellationToken)
    {
        var graph = services.GetRequiredService<LineageGraph>();
        var caller = Caller.Admin("bench");
        await using var renderer = new HtmlRenderer(services, services.GetRequiredService<ILoggerFactory>());
        var query = new List<(double, double)>();
        var layout = new List<(double, double)>();
        var svg = new List<(double, double)>();
        for (var i = -3; i < count; i++)
        {
            var (result, q) = await TimedAsync(() => graph.GraphAsync(caller, centre, "both", depth, cancellationToken));
            var (drawing, l) = await TimedAsync(() =>
            {
                var (drawn, _) = LineageViews.Cap(result.Graph, result.Depth);
                var edges = LineageViews.EdgesAmong(drawn);
                var (placed, views) = LineageViews.Draw(
                    drawn.Select(n => new LineageNode(n.Id, n.Kind, n.Namespace, n.Name)).ToList(), edges,
                    id => UiUrls.LineageExplorer(id, result.Depth),
                    drawn.Where(n => n.Kind == "run").ToDictionary(n => n.Id, n => (n.Job, n.State)));
                return Task.FromResult((placed, views, edges));
            });
            var (_, r) = await TimedAsync(() => renderer.Dispatcher.InvokeAsync(async () =>
            {
                var output = await renderer.RenderComponentAsync<LineageSvg>(ParameterView.FromDictionary(new Dictionary<string, object?>
                {
                    [nameof(LineageSvg.Layout)] = drawing.placed,
                    [nameof(LineageSvg.Views)] = drawing.views,
                    [nameof(LineageSvg.Current)] = result.Node,
                    [nameof(LineageSvg.EdgeKinds)] = drawing.edges,
                }));
                return output.ToHtmlString().Length;
            }));
            if (i >= 0)
            {
                query.Add(q);
                layout.Add(l);
                svg.Add(r);
            }
        }
        return (MedianPair(query), MedianPair(layout), MedianPair(svg));

        static async Task<(T Result, (double Wall, double Cpu) Time)> TimedAsync<T>(Func<Task<T>> work)
        {
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            var result = await work();
            var wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            process.Refresh();
            return (result, (wall, (process.TotalProcessorTime - cpu).TotalMilliseconds));
        }
    }

    private static (double Wall, double Cpu) MedianPair(List<(double Wall, double Cpu)> samples) =>
        (samples.Select(s => s.Wall).Order().ElementAt(samples.Count / 2), samples.Select(s => s.Cpu).Order().ElementAt(samples.Count / 2));

    private static string Spread(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{sorted[sorted.Count / 2]:F0} ({sorted[0]:F0}–{sorted[^1]:F0})");
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
}
