using System.Diagnostics;

namespace Cairn.Bench;

/// <summary>
/// One worker's latencies in <see cref="Stopwatch"/> ticks. Each worker owns its log, so recording is a
/// store into a preallocated array: no lock, no allocation until the array has to grow.
/// </summary>
internal sealed class LatencyLog(int initialCapacity = 1 << 15)
{
    private long[] _ticks = new long[initialCapacity];

    public int Count { get; private set; }

    public void Record(long ticks)
    {
        if (Count == _ticks.Length)
        {
            Array.Resize(ref _ticks, _ticks.Length * 2);
        }
        _ticks[Count++] = ticks;
    }

    public ReadOnlySpan<long> Ticks => _ticks.AsSpan(0, Count);

    /// <summary>All workers' latencies in one sorted array, for exact percentiles.</summary>
    public static long[] MergeSorted(IReadOnlyList<LatencyLog> logs)
    {
        var total = 0;
        foreach (var log in logs)
        {
            total += log.Count;
        }
        var all = new long[total];
        var at = 0;
        foreach (var log in logs)
        {
            log.Ticks.CopyTo(all.AsSpan(at));
            at += log.Count;
        }
        Array.Sort(all);
        return all;
    }

    /// <summary>Nearest-rank percentile of a sorted array, in milliseconds; 0 when empty.</summary>
    public static double PercentileMs(long[] sorted, double percentile)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return ToMs(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)]);
    }

    public static double MeanMs(long[] ticks)
    {
        if (ticks.Length == 0)
        {
            return 0;
        }
        double sum = 0;
        foreach (var t in ticks)
        {
            sum += t;
        }
        return ToMs(1) * sum / ticks.Length;
    }

    public static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
