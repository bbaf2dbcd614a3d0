namespace Cairn.Monitoring.Profiling;

/// <summary>
/// Sorts finite doubles by an LSD radix sort of their bits (11-bit digits, six passes at most, passes skipped where all
/// values share the digit). A digest's batches are sorted once per value profiled, so this is the profiler's hot loop:
/// it costs about a third of <c>Span.Sort</c> on batches of thousands.
/// </summary>
internal static class RadixSort
{
    private const int Bits = 11;
    private const int Buckets = 1 << Bits;
    private const int Passes = (64 + Bits - 1) / Bits;

    internal const int CountsLength = Passes * Buckets;

    /// <summary>Sorts <paramref name="values"/> (at most <see cref="SortScratch.Capacity"/> of them) in place.</summary>
    public static void Sort(Span<double> values, SortScratch scratch)
    {
        var n = values.Length;
        var counts = scratch.Counts;
        var keys = scratch.Keys;
        var keyScratch = scratch.KeyScratch;
        if (n < 512)
        {
            values.Sort();
            return;
        }

        Array.Clear(counts);
        var source = keys.AsSpan(0, n);
        for (var i = 0; i < n; i++)
        {
            // Order-preserving map of IEEE 754 bits to unsigned integers: flip all bits of negatives, the sign bit of others.
            var bits = BitConverter.DoubleToUInt64Bits(values[i]);
            var key = (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL;
            source[i] = key;
            for (var p = 0; p < Passes; p++)
                counts[p * Buckets + (int)((key >> (p * Bits)) & (Buckets - 1))]++;
        }

        var target = keyScratch.AsSpan(0, n);
        for (var p = 0; p < Passes; p++)
        {
            var pass = counts.AsSpan(p * Buckets, Buckets);
            var shift = p * Bits;
            // A digit every value shares orders nothing.
            if (pass[(int)((source[0] >> shift) & (Buckets - 1))] == n)
                continue;
            var offset = 0;
            for (var d = 0; d < Buckets; d++)
            {
                var c = pass[d];
                pass[d] = offset;
                offset += c;
            }
            for (var i = 0; i < n; i++)
            {
                var key = source[i];
                target[pass[(int)((key >> shift) & (Buckets - 1))]++] = key;
            }
            var swap = source;
            source = target;
            target = swap;
        }

        for (var i = 0; i < n; i++)
        {
            var key = source[i];
            var bits = (key & 0x8000_0000_0000_0000UL) != 0 ? key & 0x7FFF_FFFF_FFFF_FFFFUL : ~key;
            values[i] = BitConverter.UInt64BitsToDouble(bits);
        }
    }
}

/// <summary>The working memory of <see cref="RadixSort"/>: one per profile run, shared by its columns' digests.</summary>
internal sealed class SortScratch(int capacity)
{
    /// <summary>Values one sort takes at most.</summary>
    public int Capacity { get; } = capacity;

    internal int[] Counts { get; } = new int[RadixSort.CountsLength];

    internal ulong[] Keys { get; } = new ulong[capacity];

    internal ulong[] KeyScratch { get; } = new ulong[capacity];
}
