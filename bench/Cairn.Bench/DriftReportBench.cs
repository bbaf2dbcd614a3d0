using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cairn.Bench.Workloads;
using Cairn.Monitoring;
using Cairn.Monitoring.Drift;
using Cairn.Monitoring.Profiling;

namespace Cairn.Bench;

/// <summary>
/// <c>drift-sections</c> (issue 18, item 7): the drift report's work in this process, section by section, on the profiles
/// <see cref="DriftReportWorkload"/> stores (a reference and 24 hourly windows of 100 features): parsing the stored
/// JSON, merging the windows, comparing with the reference. The merge is timed both ways in the same run: pairwise, one
/// window after another (as the report merged before), and in one pass; CPU time of this process, medians (<see cref="FeatureProfiler.Merge(IEnumerable{DatasetProfile}, ProfileOptions?)"/>).
/// </summary>
internal static class DriftReportBench
{
    private const int Warmup = 3;

    public static int Run(int repeat, TextWriter output, TextWriter progress)
    {
        var referenceProfile = DriftReportWorkload.Profile(new Random(1), 100_000, 0);
        var random = new Random(2);
        var windowProfiles = Enumerable.Range(0, DriftReportWorkload.Windows).Select(w => DriftReportWorkload.Profile(random, 5_000, 0.05 * w)).ToList();
        // As stored before (the API's JSON, points as [value, weight] arrays) and now (points packed).
        var reference = JsonSerializer.Serialize(referenceProfile, CairnJson.Options);
        var windows = windowProfiles.Select(p => JsonSerializer.Serialize(p, CairnJson.Options)).ToList();
        var storedReference = StoredProfiles.Serialize(referenceProfile);
        var stored = windowProfiles.Select(StoredProfiles.Serialize).ToList();
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"drift-sections: a window is {windows[0].Length / 1e3:F0} kB as JSON arrays, {stored[0].Length / 1e3:F0} kB packed"));
        var settings = new DriftSettings();
        foreach (var count in new[] { 1, DriftReportWorkload.Windows })
        {
            List<double> parse = [], parsePacked = [], pairwise = [], onePass = [], compare = [];
            for (var r = 0; r < repeat + Warmup; r++)
            {
                var clock = CpuClock.StartNew();
                var parsedReference = JsonSerializer.Deserialize<DatasetProfile>(reference, CairnJson.Options)!;
                var profiles = windows.TakeLast(count).Select(w => JsonSerializer.Deserialize<DatasetProfile>(w, CairnJson.Options)!).ToList();
                var parsed = clock.ElapsedMilliseconds;
                clock.Restart();
                parsedReference = StoredProfiles.Deserialize(storedReference);
                profiles = [.. stored.TakeLast(count).Select(StoredProfiles.Deserialize)];
                var unpacked = clock.ElapsedMilliseconds;
                clock.Restart();
                var folded = profiles[0];
                foreach (var p in profiles.Skip(1))
                {
                    folded = FeatureProfiler.Merge(folded, p);
                }
                var folding = clock.ElapsedMilliseconds;
                clock.Restart();
                var merged = FeatureProfiler.Merge(profiles);
                var merging = clock.ElapsedMilliseconds;
                clock.Restart();
                var drift = DriftCalculator.Compare(parsedReference, merged, settings);
                var comparing = clock.ElapsedMilliseconds;
                GC.KeepAlive(drift);
                GC.KeepAlive(folded);
                if (r < Warmup)
                {
                    continue; // JIT: tiered compilation reaches optimised code after a few calls
                }
                parse.Add(parsed);
                parsePacked.Add(unpacked);
                pairwise.Add(folding);
                onePass.Add(merging);
                compare.Add(comparing);
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{count} window(s), {repeat} runs, median CPU ms: parse reference + windows as JSON arrays {Median(parse):F1}, packed {Median(parsePacked):F1}, merge pairwise {Median(pairwise):F1}, merge in one pass {Median(onePass):F1}, compare {Median(compare):F1}"));
        }
        return 0;
    }

    /// <summary>
    /// This process's CPU time (user + system) since the last restart: on a machine shared with other work, wall time
    /// measures mostly the queue for a core.
    /// </summary>
    private sealed class CpuClock
    {
        private readonly Process _process = Process.GetCurrentProcess();
        private TimeSpan _start;

        public static CpuClock StartNew()
        {
            var clock = new CpuClock();
            clock.Restart();
            return clock;
        }

        public double ElapsedMilliseconds
        {
            get
            {
                _process.Refresh();
                return (_process.TotalProcessorTime - _start).TotalMilliseconds;
            }
        }

        public void Restart()
        {
            _process.Refresh();
            _start = _process.TotalProcessorTime;
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
