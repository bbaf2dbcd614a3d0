namespace Cairn.Monitoring.Drift;

/// <summary>
/// Counts of each value on both sides, over the union of both sides' values in a fixed order (categories by code point,
/// numbers ascending): what chi-squared, the Z-test, per-value Jensen-Shannon and categorical PSI compare.
/// </summary>
internal sealed class FrequencyTable
{
    private FrequencyTable(double[] reference, double[] current, double referenceRows, double currentRows)
    {
        Reference = reference;
        Current = current;
        ReferenceRows = referenceRows;
        CurrentRows = currentRows;
    }

    /// <summary>Reference count per value.</summary>
    public double[] Reference { get; }

    /// <summary>Current count per value.</summary>
    public double[] Current { get; }

    /// <summary>Reference rows (the sum of its counts).</summary>
    public double ReferenceRows { get; }

    /// <summary>Current rows (the sum of its counts).</summary>
    public double CurrentRows { get; }

    /// <summary>Number of distinct values over both sides.</summary>
    public int Keys => Reference.Length;

    /// <summary>Each value's share of the reference rows.</summary>
    public double[] ReferenceShares() => Shares(Reference, ReferenceRows);

    /// <summary>Each value's share of the current rows.</summary>
    public double[] CurrentShares() => Shares(Current, CurrentRows);

    private static double[] Shares(double[] counts, double rows)
    {
        var shares = new double[counts.Length];
        for (var i = 0; i < counts.Length; i++)
            shares[i] = counts[i] / rows;
        return shares;
    }

    /// <summary>The table of two categorical profiles; categories with no rows are left out.</summary>
    public static FrequencyTable FromCategories(IReadOnlyDictionary<string, long>? reference, IReadOnlyDictionary<string, long>? current)
    {
        var keys = new SortedSet<string>(CodePointComparer.Instance);
        if (reference is not null)
            foreach (var (k, v) in reference)
                if (v > 0)
                    keys.Add(k);
        if (current is not null)
            foreach (var (k, v) in current)
                if (v > 0)
                    keys.Add(k);
        var r = new double[keys.Count];
        var c = new double[keys.Count];
        var i = 0;
        double rRows = 0, cRows = 0;
        foreach (var key in keys)
        {
            r[i] = reference is not null && reference.TryGetValue(key, out var rv) && rv > 0 ? rv : 0;
            c[i] = current is not null && current.TryGetValue(key, out var cv) && cv > 0 ? cv : 0;
            rRows += r[i];
            cRows += c[i];
            i++;
        }
        return new FrequencyTable(r, c, rRows, cRows);
    }

    /// <summary>The table of two numerical samples, each distinct value a category.</summary>
    public static FrequencyTable FromSamples(WeightedSample reference, WeightedSample current)
    {
        var a = reference.Values;
        var b = current.Values;
        var r = new List<double>(a.Length + b.Length);
        var c = new List<double>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            if (j == b.Length || (i < a.Length && a[i] < b[j]))
            {
                r.Add(reference.Weights[i++]);
                c.Add(0);
            }
            else if (i == a.Length || b[j] < a[i])
            {
                r.Add(0);
                c.Add(current.Weights[j++]);
            }
            else
            {
                r.Add(reference.Weights[i++]);
                c.Add(current.Weights[j++]);
            }
        }
        return new FrequencyTable([.. r], [.. c], reference.Total, current.Total);
    }

    /// <summary>Orders strings by Unicode code point, as Python sorts them (ordinal UTF-16 order differs above U+FFFF).</summary>
    private sealed class CodePointComparer : IComparer<string>
    {
        public static readonly CodePointComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            if (x is null || y is null)
                return x is null ? (y is null ? 0 : -1) : 1;
            var n = Math.Min(x.Length, y.Length);
            for (var i = 0; i < n; i++)
            {
                if (x[i] == y[i])
                    continue;
                return Rank(x[i]).CompareTo(Rank(y[i]));
            }
            return x.Length.CompareTo(y.Length);
        }

        // Surrogates encode code points above U+FFFF: rank them above every other UTF-16 unit.
        private static int Rank(char c) => char.IsSurrogate(c) ? c + 0x10000 : c;
    }
}
