using System.Diagnostics;
using System.Globalization;
using Cairn.Monitoring.Profiling;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace Cairn.Bench;

/// <summary>
/// <c>profile</c> (issue 18, item 7): writes a seeded Parquet file of numerical columns, then times, alternately,
/// reading every column of every row group with Parquet.Net alone and profiling the same file with
/// <see cref="FeatureProfiler"/>. Target: profiling at most 2× reading.
/// </summary>
internal static class ProfileBench
{
    public static async Task<int> RunAsync(int rows, int columns, int rowGroupSize, int repeat, string? file, TextWriter output, TextWriter progress, CancellationToken ct)
    {
        var path = file ?? Path.Combine(Path.GetTempPath(), $"cairn-bench-profile-{Environment.ProcessId}.parquet");
        try
        {
            var written = Stopwatch.StartNew();
            await WriteAsync(path, rows, columns, rowGroupSize, ct);
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"profile: wrote {rows:N0} rows × {columns} columns in row groups of {rowGroupSize:N0} ({new FileInfo(path).Length / 1e6:F1} MB) in {written.Elapsed.TotalSeconds:F1} s"));

            // One unmeasured run of each: page cache, JIT (tiered compilation reaches its optimised code after it).
            await ReadAsync(path, ct);
            await ProfileAsync(path, ct);

            // Wall time, and this process's CPU time (less sensitive to other load on a shared machine), per run.
            List<double> reads = [], profiles = [], readCpu = [], profileCpu = [], pairRatios = [];
            var sketched = 0;
            var process = Process.GetCurrentProcess();
            for (var r = 0; r < repeat; r++)
            {
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var read = Stopwatch.StartNew();
                await ReadAsync(path, ct);
                reads.Add(read.Elapsed.TotalMilliseconds);
                process.Refresh();
                readCpu.Add((process.TotalProcessorTime - cpu).TotalMilliseconds);
                cpu = process.TotalProcessorTime;
                var profile = Stopwatch.StartNew();
                sketched = await ProfileAsync(path, ct);
                profiles.Add(profile.Elapsed.TotalMilliseconds);
                process.Refresh();
                profileCpu.Add((process.TotalProcessorTime - cpu).TotalMilliseconds);
                pairRatios.Add(profiles[^1] / reads[^1]);
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"profile: run {r + 1}/{repeat}: read {reads[^1]:F0} ms ({readCpu[^1]:F0} ms CPU), profile {profiles[^1]:F0} ms ({profileCpu[^1]:F0} ms CPU)"));
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rows {rows}, columns {columns}, row group {rowGroupSize}, runs {repeat}, sketched columns {sketched}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"read (Parquet.Net alone)  median {Median(reads):F0} ms, CPU {Median(readCpu):F0} ms  [{List(reads)}]"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"profile (FeatureProfiler) median {Median(profiles):F0} ms, CPU {Median(profileCpu):F0} ms  [{List(profiles)}]"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratio profile / read: of the medians {Median(profiles) / Median(reads):F2}, median of each run's pair {Median(pairRatios):F2}, of CPU medians {Median(profileCpu) / Median(readCpu):F2} (target ≤ 2)"));
            return 0;
        }
        finally
        {
            if (file is null)
                File.Delete(path);
        }
    }

    /// <summary>Reading alone: every column chunk decoded into Parquet.Net's raw buffers, its values summed so none is skipped.</summary>
    private static async Task ReadAsync(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream, null, false, ct);
        var fields = reader.Schema.GetDataFields();
        var checksum = 0.0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var group = reader.OpenRowGroupReader(g);
            foreach (var field in fields)
            {
                using var data = (RawColumnData<double>)await group.ReadRawColumnDataBaseAsync(field, ct);
                foreach (var v in data.Values)
                    checksum += v;
            }
        }
        GC.KeepAlive(checksum);
    }

    private static async Task<int> ProfileAsync(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        var profile = await FeatureProfiler.ProfileParquetAsync(stream, ProfileOptions.Default, ct);
        return profile.Features.Count(f => !f.Exact);
    }

    /// <summary>
    /// Twenty kinds of column, repeated past 20: continuous (normal, log-normal, uniform, exponential, a bimodal
    /// mixture, Student-like heavy tails), rounded (prices with two decimals, so tens of thousands of distinct values),
    /// discrete (counts, codes 0–99, a 0/1 flag: exact profiles) and two with 5 % nulls.
    /// </summary>
    private static async Task WriteAsync(string path, int rows, int columns, int rowGroupSize, CancellationToken ct)
    {
        var fields = Enumerable.Range(0, columns).Select(c => new DataField<double?>($"f{c:D2}_{Kinds[c % Kinds.Length]}")).ToArray();
        var random = new Random(20261206);
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields.Cast<Field>().ToArray()), stream, null, false, ct);
        var buffer = new double?[rowGroupSize];
        for (var start = 0; start < rows; start += rowGroupSize)
        {
            var length = Math.Min(rowGroupSize, rows - start);
            using var group = writer.CreateRowGroup();
            for (var c = 0; c < columns; c++)
            {
                var kind = Kinds[c % Kinds.Length];
                for (var i = 0; i < length; i++)
                    buffer[i] = Value(kind, random);
                await group.WriteAsync<double>(fields[c], buffer.AsMemory(0, length), null, null, ct);
            }
        }
    }

    private static readonly string[] Kinds =
    [
        "normal", "lognormal", "uniform", "exponential", "bimodal", "heavy", "price", "count", "code", "flag",
        "normal_nulls", "price_nulls", "normal_wide", "lognormal_small", "uniform_int", "exponential_rate", "percent", "age", "latency", "score",
    ];

    private static double? Value(string kind, Random random) => kind switch
    {
        "normal" => Normal(random),
        "lognormal" => Math.Exp(Normal(random)),
        "uniform" => random.NextDouble(),
        "exponential" => -Math.Log(1 - random.NextDouble()),
        "bimodal" => random.Next(2) == 0 ? Normal(random) - 3 : Normal(random) + 3,
        "heavy" => Normal(random) / Math.Sqrt(Math.Max(1e-9, -2 * Math.Log(1 - random.NextDouble()) / 3)),
        "price" => Math.Round(Math.Exp(3 + Normal(random)), 2),
        "count" => Math.Floor(-Math.Log(1 - random.NextDouble()) * 4),
        "code" => random.Next(100),
        "flag" => random.Next(2),
        "normal_nulls" => random.Next(20) == 0 ? null : Normal(random),
        "price_nulls" => random.Next(20) == 0 ? null : Math.Round(Math.Exp(3 + Normal(random)), 2),
        "normal_wide" => 1e6 * Normal(random),
        "lognormal_small" => 1e-3 * Math.Exp(Normal(random)),
        "uniform_int" => random.Next(1_000_000),
        "exponential_rate" => -Math.Log(1 - random.NextDouble()) / 50,
        "percent" => Math.Round(100 * random.NextDouble(), 1),
        "age" => Math.Clamp(Math.Round(40 + 15 * Normal(random)), 18, 99),
        "latency" => Math.Exp(4 + 0.5 * Normal(random)) + (random.Next(100) == 0 ? 1_000 * random.NextDouble() : 0),
        _ => 0.5 + 0.2 * Normal(random),
    };

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static string List(List<double> values) => string.Join(", ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
