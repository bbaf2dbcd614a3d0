using System.Diagnostics;
using System.Globalization;
using System.Net;
using Cairn.Bench.Workloads;

namespace Cairn.Bench;

/// <summary>One invocation: start (or reach) the server, seed, run the workloads, report, clean up.</summary>
internal static class Bench
{
    public static async Task<int> RunAsync(BenchSettings settings, TextWriter output, TextWriter progress, CancellationToken cancellationToken)
    {
        var workDir = Path.Combine(Path.GetTempPath(), "cairn-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(workDir);
        InProcessServer? inProcess = null;
        try
        {
            var needsServer = settings.Workloads.Any(w => w is not (BenchSettings.SqliteBaseline or BenchSettings.SqliteOpenLineage));
            Uri? serverUri = settings.Server;
            var lineage = settings.Workloads.Any(BenchSettings.OptInWorkloads.Contains);
            if (needsServer && serverUri is null)
            {
                // The lineage graph takes minutes to generate: by default it lives in a data directory that outlives the run.
                var dataDir = settings.DataDir ?? (lineage ? Path.Combine(Path.GetTempPath(), "cairn-bench-lineage") : Path.Combine(workDir, "server"));
                inProcess = await InProcessServer.StartAsync(dataDir, cancellationToken, settings.Database);
                serverUri = inProcess.Address;
            }
            var target = serverUri is null ? "none (SQLite baselines only)"
                : inProcess is null ? $"server {serverUri}" : $"in-process server {serverUri} (data in {inProcess.DataDir})";

            using var client = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = Math.Max(settings.Concurrency, 2),
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                UseCookies = false,
                UseProxy = false,
                AutomaticDecompression = DecompressionMethods.None,
            })
            { Timeout = TimeSpan.FromSeconds(60) };

            BenchData? data = null;
            if (serverUri is not null)
            {
                data = new BenchData(serverUri, settings.SeedModels, settings.DataId);
                if (settings.DataId is not null && await data.IsSeededAsync(client, cancellationToken))
                {
                    progress.WriteLine($"reusing the data seeded under {data.Namespace}");
                }
                else if (settings.Workloads.Any(BenchSettings.NeedSeed.Contains))
                {
                    var seeding = Stopwatch.StartNew();
                    await data.SeedAsync(client, parallelism: 2, cancellationToken);
                    progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"seeded {settings.SeedModels} models under {data.Namespace} in {seeding.Elapsed.TotalSeconds:F1} s"));
                }
            }

            LineageBenchGraph? graph = null;
            if (lineage)
            {
                graph = new LineageBenchGraph(settings.LineageNodes);
                var store = inProcess?.Database ?? settings.Database
                    ?? throw new InvalidOperationException("With --server, the lineage workloads need --database: the server's database, where they write their graph.");
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"lineage graph: {graph.Pipelines:N0} pipelines of {LineageBenchGraph.NodesPerPipeline} nodes, {graph.Hubs:N0} hub datasets, {graph.CrossLinks:N0} cross-links; {graph.Nodes:N0} nodes, {graph.Edges:N0} edges"));
                if (await graph.IsStoredAsync(store, cancellationToken))
                {
                    progress.WriteLine("lineage graph: already in the store, reused");
                }
                else
                {
                    await graph.GenerateAsync(store, progress, cancellationToken);
                }
            }

            var workloads = settings.Workloads.Select(name => Create(name, client, data, workDir, settings, inProcess, graph, progress)).ToList();
            var runner = new LoadRunner(settings.Concurrency, settings.Duration, settings.Requests);
            var summaries = new List<WorkloadSummary>();
            // A workload's runs follow one another, and the writes come after the reads: interleaving rounds
            // would let model-create's rows (tens of thousands of models) change what search and get-model
            // read from the second round on, so reads always see exactly the seeded data set.
            foreach (var workload in workloads)
            {
                await runner.WarmUpAsync(workload, settings.Warmup, cancellationToken);
                var runs = new List<RunResult>();
                for (var round = 1; round <= settings.Repeat; round++)
                {
                    var run = await runner.RunAsync(workload, cancellationToken);
                    runs.Add(run);
                    progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"[{round}/{settings.Repeat}] {run.Workload,-16} {run.OpsPerSecond,10:F1} ops/s  p50 {run.P50Ms,7:F2} ms  p95 {run.P95Ms,7:F2} ms  p99 {run.P99Ms,7:F2} ms  CPU {run.CpuMsPerOp,7:F2} ms/op  errors {run.Errors}"));
                }
                summaries.Add(WorkloadSummary.Of(workload.Name, workload.Description, runs));
            }
            foreach (var disposable in workloads.OfType<IAsyncDisposable>())
            {
                await disposable.DisposeAsync();
            }

            var report = Report.Create(settings, target, summaries);
            if (settings.Json)
            {
                Report.WriteJson(report, output);
            }
            else
            {
                Report.WriteText(report, output);
            }
            return 0;
        }
        finally
        {
            if (inProcess is not null)
            {
                await inProcess.DisposeAsync();
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TryDelete(workDir, progress);
        }
    }

    private static Workload Create(string name, HttpClient client, BenchData? data, string workDir, BenchSettings settings, InProcessServer? host, LineageBenchGraph? graph, TextWriter progress) => name switch
    {
        BenchSettings.LineageDownstream => new LineageTraversalWorkload(client, data!.Server, graph!, "downstream", settings.LineageDepth, progress),
        BenchSettings.LineageUpstream => new LineageTraversalWorkload(client, data!.Server, graph!, "upstream", settings.LineageDepth, progress),
        BenchSettings.MlflowLogBatch => new MlflowLogBatchWorkload(client, data!.Server),
        BenchSettings.DriftReport => new DriftReportWorkload(client, data!.Server, name, 1, progress),
        BenchSettings.DriftReportDay => new DriftReportWorkload(client, data!.Server, name, DriftReportWorkload.Windows, progress),
        BenchSettings.OpenLineageEvent => new OpenLineageWorkload(client, data!.Server, name, 1),
        BenchSettings.OpenLineageBatch => new OpenLineageWorkload(client, data!.Server, name, 100),
        BenchSettings.MlflowSearchRuns => new MlflowSearchRunsWorkload(client, data!.Server, host?.Services, name, MlflowSearchRunsWorkload.CommonFilter),
        BenchSettings.MlflowSearchRunsRare => new MlflowSearchRunsWorkload(client, data!.Server, host?.Services, name, MlflowSearchRunsWorkload.RareFilter),
        BenchSettings.MlflowSearchModels10 => new MlflowSearchModelsWorkload(client, data!.Server, host?.Services, name, 10),
        BenchSettings.MlflowSearchModels100 => new MlflowSearchModelsWorkload(client, data!.Server, host?.Services, name, 100),
        BenchSettings.SqliteBaseline => new SqliteBaselineWorkload(workDir, settings.BaselineBusyTimeoutMs),
        BenchSettings.SqliteOpenLineage => new SqliteOpenLineageBaselineWorkload(workDir, settings.BaselineGroup),
        BenchSettings.Health => new HealthWorkload(client, data!.Server),
        BenchSettings.ModelCreate => new ModelCreateWorkload(client, data!),
        BenchSettings.VersionCreate => new VersionCreateWorkload(client, data!),
        BenchSettings.GetModel => new ReadWorkload(client, name,
            $"GET /api/v1/models/{{full_name}} (get-by-name, over {data!.ModelTargets.Count} seeded models)", data.ModelTargets, Replicas(settings)),
        BenchSettings.GetVersion => new ReadWorkload(client, name,
            $"GET /api/v1/models/{{m}}/versions/{{n}} (over {data!.VersionTargets.Count} seeded versions)", data.VersionTargets, Replicas(settings)),
        BenchSettings.AliasResolve => new ReadWorkload(client, name,
            $"GET /api/v1/models/{{m}}/aliases/champion (over {data!.AliasTargets.Count} models)", data.AliasTargets, Replicas(settings)),
        BenchSettings.Search => new ReadWorkload(client, name,
            $"GET {BenchData.SearchQuery} (over {data!.SearchModels} seeded models)", [data.SearchTarget], Replicas(settings)),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown workload."),
    };

    /// <summary>--server and every --replica, or none when there is only one server.</summary>
    private static IReadOnlyList<Uri>? Replicas(BenchSettings settings) =>
        settings.Server is { } server && settings.Replicas.Count > 0 ? [server, .. settings.Replicas] : null;

    private static void TryDelete(string directory, TextWriter progress)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException ex)
        {
            progress.WriteLine($"could not delete {directory}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            progress.WriteLine($"could not delete {directory}: {ex.Message}");
        }
    }
}
