using System.Diagnostics;
using Cairn.Bench.Workloads;

namespace Cairn.Bench;

/// <summary>One measured run of a workload.</summary>
internal sealed record RunResult(
    string Workload,
    long Ops,
    long Errors,
    double DurationSeconds,
    double OpsPerSecond,
    double MeanMs,
    double P50Ms,
    double P90Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    double CpuMsPerOp,
    string? FirstError);

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers each start their next operation as soon as the previous one
/// returns. A run ends after its duration or its request budget, whichever comes first; operations in flight
/// then complete and count, and the run's duration is measured until the last worker has stopped.
/// </summary>
internal sealed class LoadRunner(int concurrency, TimeSpan duration, long? requests)
{
    public async Task<RunResult> RunAsync(Workload workload, CancellationToken cancellationToken) =>
        await RunAsync(workload, duration, requests, record: true, cancellationToken);

    /// <summary>Unmeasured load, so that JIT, connection pools and caches are warm when measuring starts.</summary>
    public async Task WarmUpAsync(Workload workload, TimeSpan warmup, CancellationToken cancellationToken)
    {
        if (warmup > TimeSpan.Zero)
        {
            await RunAsync(workload, warmup, null, record: false, cancellationToken);
            workload.TakeFirstError();
        }
    }

    private async Task<RunResult> RunAsync(Workload workload, TimeSpan limit, long? budget, bool record, CancellationToken cancellationToken)
    {
        await workload.PrepareAsync(concurrency, cancellationToken);
        workload.TakeFirstError();
        var logs = new LatencyLog[concurrency];
        var errors = new long[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            logs[i] = new LatencyLog(record ? 1 << 15 : 1);
        }
        var stop = 0;
        var issued = 0L;

        async Task Worker(int worker)
        {
            var log = logs[worker];
            for (long iteration = 0; Volatile.Read(ref stop) == 0; iteration++)
            {
                if (budget is { } max && Interlocked.Increment(ref issued) > max)
                {
                    break;
                }
                var start = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await workload.ExecuteAsync(worker, iteration, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    ok = workload.Fail($"{ex.GetType().Name}: {ex.Message}");
                }
                var elapsed = Stopwatch.GetTimestamp() - start;
                if (!ok)
                {
                    errors[worker]++;
                }
                else if (record)
                {
                    log.Record(elapsed);
                }
            }
        }

        // CPU time of the whole process (in-process server and load generator alike): on a machine shared with other
        // work, the latencies measure mostly the queue for a core.
        var cpuStarted = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var tasks = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            var worker = i;
            tasks[i] = workload.BlocksThread
                ? Task.Factory.StartNew(() => Worker(worker).GetAwaiter().GetResult(), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                : Task.Run(() => Worker(worker), cancellationToken);
        }
        var all = Task.WhenAll(tasks);
        using (var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            await Task.WhenAny(all, Task.Delay(limit, timer.Token));
            Volatile.Write(ref stop, 1);
            await timer.CancelAsync();
        }
        await all;
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuStarted).TotalMilliseconds;
        await workload.FinishAsync();

        var sorted = LatencyLog.MergeSorted(logs);
        return new RunResult(
            workload.Name,
            sorted.Length,
            errors.Sum(),
            seconds,
            sorted.Length / seconds,
            LatencyLog.MeanMs(sorted),
            LatencyLog.PercentileMs(sorted, 50),
            LatencyLog.PercentileMs(sorted, 90),
            LatencyLog.PercentileMs(sorted, 95),
            LatencyLog.PercentileMs(sorted, 99),
            sorted.Length == 0 ? 0 : LatencyLog.ToMs(sorted[^1]),
            sorted.Length == 0 ? 0 : cpuMs / sorted.Length,
            workload.TakeFirstError());
    }
}
