namespace Cairn.Monitoring.Profiling;

/// <summary>
/// Sorts finite doubles by an LSD radix sort of the top 33 bits of their order-preserving keys (sign, exponent and 21
/// bits of mantissa: three passes of 11 bits, a pass skipped where every value shares its digit), then an insertion
/// pass that orders the few values those bits do not tell apart. Where that pass would move more than a few values
/// per value (many values within 2⁻²¹ of each other, as timestamps can be), the keys are sorted whole instead. A
/// digest's batches are sorted once per value profiled: this is the profiler's hot loop.
/// </summary>
internal static class RadixSort
{
    private const int Bits = 11;
    private const int Buckets = 1 << Bits;
    private const int Passes = 3;
    private const int LowestShift = 64 - Passes * Bits;
    private const ulong Sign = 0x8000_0000_0000_0000UL;

    internal const int CountsLength = Passes * Buckets;

    /// <summary>Sorts <paramref name="values"/> (at most <see cref="SortScratch.Capacity"/> of them) in place.</summary>
    public static void Sort(Span<double> values, SortScratch scratch)
    {
        var n = values.Length;
        if (n < 512)
        {
            values.Sort();
            return;
        }

        var counts = scratch.Counts;
        Array.Clear(counts);
        var source = scratch.Keys.AsSpan(0, n);
        for (var i = 0; i < n; i++)
        {
            // Order-preserving map of IEEE 754 bits to unsigned integers: flip all bits of negatives, the sign bit of others.
            var bits = BitConverter.DoubleToUInt64Bits(values[i]);
            var key = (bits & Sign) != 0 ? ~bits : bits | Sign;
            source[i] = key;
            counts[(int)((key >> LowestShift) & (Buckets - 1))]++;
            counts[Buckets + (int)((key >> (LowestShift + Bits)) & (Buckets - 1))]++;
            counts[2 * Buckets + (int)(key >> (LowestShift + 2 * Bits))]++;
        }

        var target = scratch.KeyScratch.AsSpan(0, n);
        for (var p = 0; p < Passes; p++)
        {
            var pass = counts.AsSpan(p * Buckets, Buckets);
            var shift = LowestShift + p * Bits;
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

        // The low 31 bits: an insertion pass over the nearly sorted keys, within a budget of moves.
        var budget = 4L * n;
        for (var i = 1; i < n && budget >= 0; i++)
        {
            var key = source[i];
            var j = i - 1;
            while (j >= 0 && source[j] > key)
            {
                source[j + 1] = source[j];
                j--;
                budget--;
            }
            source[j + 1] = key;
        }
        if (budget < 0)
            source.Sort();

        for (var i = 0; i < n; i++)
        {
            var key = source[i];
            var bits = (key & Sign) != 0 ? key & ~Sign : ~key;
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
