using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cairn.Bench;

/// <summary>A workload's runs and, per figure, the median over them (errors are summed: any error matters).</summary>
internal sealed record WorkloadSummary(
    string Workload,
    string Description,
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
    string? FirstError,
    IReadOnlyList<RunResult> Runs)
{
    public static WorkloadSummary Of(string workload, string description, IReadOnlyList<RunResult> runs) => new(
        workload,
        description,
        (long)Median(runs, r => r.Ops),
        runs.Sum(r => r.Errors),
        Median(runs, r => r.DurationSeconds),
        Median(runs, r => r.OpsPerSecond),
        Median(runs, r => r.MeanMs),
        Median(runs, r => r.P50Ms),
        Median(runs, r => r.P90Ms),
        Median(runs, r => r.P95Ms),
        Median(runs, r => r.P99Ms),
        Median(runs, r => r.MaxMs),
        Median(runs, r => r.CpuMsPerOp),
        runs.Select(r => r.FirstError).FirstOrDefault(e => e is not null),
        runs);

    private static double Median(IReadOnlyList<RunResult> runs, Func<RunResult, double> figure)
    {
        var values = runs.Select(figure).Order().ToArray();
        var mid = values.Length / 2;
        return values.Length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
}

/// <summary>One of the issue's targets: a throughput ratio of medians that must reach <see cref="Threshold"/>.</summary>
internal sealed record TargetRatio(string Name, string Numerator, string Denominator, double Ratio, double Threshold)
{
    public bool Pass => Ratio >= Threshold;
}

internal sealed record MachineInfo(int ProcessorCount, string? Cpu, string Os, string Runtime);

internal sealed record BenchReport(
    DateTimeOffset Date,
    MachineInfo Machine,
    string Target,
    int Concurrency,
    double? DurationSeconds,
    long? Requests,
    double WarmupSeconds,
    int Repeat,
    IReadOnlyList<WorkloadSummary> Workloads,
    IReadOnlyList<TargetRatio> Targets);

internal static class Report
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The issue's two targets, each where both of its workloads ran.</summary>
    private static readonly (string Numerator, string Denominator)[] Ratios =
    [
        (BenchSettings.VersionCreate, BenchSettings.SqliteBaseline),
        (BenchSettings.GetModel, BenchSettings.Health),
    ];

    public static BenchReport Create(BenchSettings settings, string target, IReadOnlyList<WorkloadSummary> workloads)
    {
        var byName = workloads.ToDictionary(w => w.Workload);
        var targets = Ratios
            .Where(r => byName.ContainsKey(r.Numerator) && byName.ContainsKey(r.Denominator))
            .Select(r => new TargetRatio(
                $"{r.Numerator} / {r.Denominator}", r.Numerator, r.Denominator,
                byName[r.Denominator].OpsPerSecond > 0 ? byName[r.Numerator].OpsPerSecond / byName[r.Denominator].OpsPerSecond : 0,
                0.5))
            .ToList();
        return new BenchReport(
            DateTimeOffset.UtcNow,
            new MachineInfo(Environment.ProcessorCount, CpuModel(), RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription),
            target, settings.Concurrency, settings.Duration == Timeout.InfiniteTimeSpan ? null : settings.Duration.TotalSeconds, settings.Requests, settings.Warmup.TotalSeconds, settings.Repeat,
            workloads, targets);
    }

    public static void WriteJson(BenchReport report, TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(report, JsonOptions));

    public static void WriteText(BenchReport report, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine();
        output.WriteLine(string.Create(c, $"Cairn load generator, {report.Date:yyyy-MM-dd HH:mm} UTC"));
        output.WriteLine(string.Create(c, $"machine: {report.Machine.ProcessorCount} CPUs, {report.Machine.Cpu ?? "unknown CPU"}, {report.Machine.Os}, {report.Machine.Runtime}"));
        output.WriteLine($"target:  {report.Target}");
        var seconds = report.DurationSeconds is { } d ? string.Create(c, $"{d:0.#} s") : null;
        var limit = (report.Requests, seconds) switch
        {
            ({ } n, null) => string.Create(c, $"{n} requests"),
            ({ } n, { } s) => string.Create(c, $"{n} requests or {s}"),
            _ => seconds,
        };
        output.WriteLine(string.Create(c,
            $"load:    concurrency {report.Concurrency}, {limit} per run, warm-up {report.WarmupSeconds:0.#} s, {report.Repeat} run(s) per workload; figures are medians over runs"));
        output.WriteLine();
        output.WriteLine(string.Create(c,
            $"{"workload",-16} {"ops",9} {"errors",7} {"ops/s",10} {"mean ms",8} {"p50 ms",8} {"p90 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8} {"CPU ms/op",9}  ops/s per run"));
        foreach (var w in report.Workloads)
        {
            var perRun = string.Join(" ", w.Runs.Select(r => r.OpsPerSecond.ToString("F0", c)));
            output.WriteLine(string.Create(c,
                $"{w.Workload,-16} {w.Ops,9} {w.Errors,7} {w.OpsPerSecond,10:F1} {w.MeanMs,8:F2} {w.P50Ms,8:F2} {w.P90Ms,8:F2} {w.P95Ms,8:F2} {w.P99Ms,8:F2} {w.MaxMs,8:F2} {w.CpuMsPerOp,9:F2}  {perRun}"));
        }
        foreach (var w in report.Workloads.Where(w => w.FirstError is not null))
        {
            output.WriteLine();
            output.WriteLine($"first error of {w.Workload} ({w.Errors} in all): {w.FirstError}");
        }
        if (report.Targets.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("targets (ratio of median throughputs):");
            foreach (var t in report.Targets)
            {
                output.WriteLine(string.Create(c, $"  {t.Name,-34} = {t.Ratio,6:F3}  {(t.Pass ? "PASS" : "FAIL")} (target >= {t.Threshold:0.0#})"));
            }
        }
        output.WriteLine();
        foreach (var w in report.Workloads)
        {
            output.WriteLine($"  {w.Workload,-16} {w.Description}");
        }
    }

    private static string? CpuModel()
    {
        try
        {
            return File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
