using System.Globalization;
using System.Runtime.InteropServices;

namespace Cairn.Monitoring.Drift;

/// <summary>
/// A numerical feature's distribution as sorted distinct values with weights. From an exact profile the weights are
/// the values' counts, and every figure computed from it equals the one computed from the expanded rows. Anything else
/// becomes an approximation of the same shape: a sketch's centroid spreads its weight evenly over an interval centred on
/// it that reaches the nearer mid-point with a neighbour, and a histogram each bin's count over its bin, both as <see cref="SubPoints"/> points at the
/// mid-points of equal sub-intervals (a piecewise-uniform density); quantiles give a piecewise-linear CDF through (min, 0), each (quantile, probability) and (max, 1), spread
/// the same way between consecutive knots.
/// </summary>
internal sealed class WeightedSample
{
    /// <summary>How many points stand for one histogram bin or one interval between two quantiles.</summary>
    public const int SubPoints = 16;

    private WeightedSample(double[] values, double[] weights, long rows, bool exact)
    {
        Values = values;
        Weights = weights;
        Rows = rows;
        Exact = exact;
        Cumulative = new double[values.Length];
        var running = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            running += weights[i];
            Cumulative[i] = running;
        }
        Total = running;
    }

    /// <summary>Distinct values, ascending.</summary>
    public double[] Values { get; }

    /// <summary>Each value's count (exact) or weight.</summary>
    public double[] Weights { get; }

    /// <summary>Running sum of <see cref="Weights"/>: the count of rows at or below each value.</summary>
    public double[] Cumulative { get; }

    /// <summary>Sum of the weights.</summary>
    public double Total { get; }

    /// <summary>The number of rows the sample stands for: the sum of counts when exact, the profile's count otherwise.</summary>
    public long Rows { get; }

    /// <summary>True when built from every distinct value with its exact count.</summary>
    public bool Exact { get; }

    /// <summary>
    /// The sample of a numerical profile, or null (with the reason) when the profile carries no distribution or no
    /// value. Non-finite values are dropped as Evidently drops them (±∞ become missing).
    /// </summary>
    public static WeightedSample? From(FeatureProfile profile, out string? reason)
    {
        reason = null;
        var values = new List<double>();
        var weights = new List<double>();
        bool exact;
        long rows;
        if (profile.Points is { Count: > 0 } points)
        {
            exact = profile.Exact;
            values.Capacity = weights.Capacity = points.Count;
            for (var i = 0; i < points.Count; i++)
            {
                var p = points[i];
                if (double.IsFinite(p.Value) && p.Weight > 0 && double.IsFinite(p.Weight))
                {
                    values.Add(p.Value);
                    weights.Add(p.Weight);
                }
            }
            SortAndMerge(values, weights);
            rows = exact ? (long)Math.Round(weights.Sum()) : profile.Count;
            if (!exact && values.Count >= 2)
            {
                // A lone centroid stays a point (below).
                var (spreadValues, spreadWeights) = SpreadCentroids(values, weights);
                return spreadValues.Length == 0 || rows <= 0 ? null : new WeightedSample(spreadValues, spreadWeights, rows, exact);
            }
        }
        else if (profile.Histogram is { } histogram)
        {
            exact = false;
            rows = profile.Count;
            for (var i = 0; i < histogram.Counts.Count && i + 1 < histogram.Edges.Count; i++)
                Spread(histogram.Edges[i], histogram.Edges[i + 1], histogram.Counts[i], values, weights);
            SortAndMerge(values, weights);
        }
        else if (profile.Quantiles is { Count: > 0 } quantiles)
        {
            exact = false;
            rows = profile.Count;
            var knots = new List<(double P, double X)>();
            foreach (var (key, x) in quantiles)
                if (double.TryParse(key, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 1 && double.IsFinite(x))
                    knots.Add((p, x));
            if (profile.Min is { } min && double.IsFinite(min) && !knots.Any(k => k.P == 0))
                knots.Add((0, min));
            if (profile.Max is { } max && double.IsFinite(max) && !knots.Any(k => k.P == 1))
                knots.Add((1, max));
            knots.Sort((a, b) => a.P != b.P ? a.P.CompareTo(b.P) : a.X.CompareTo(b.X));
            for (var i = 0; i + 1 < knots.Count; i++)
                Spread(knots[i].X, Math.Max(knots[i].X, knots[i + 1].X), (knots[i + 1].P - knots[i].P) * profile.Count, values, weights);
            SortAndMerge(values, weights);
        }
        else
        {
            reason = profile.Count > 0 ? "the profile carries no distribution (points, histogram or quantiles)" : null;
            return null;
        }
        if (values.Count == 0 || rows <= 0)
            return null;
        return new WeightedSample([.. values], [.. weights], rows, exact);
    }

    /// <summary>An exact sample from raw values (tests and callers holding rows).</summary>
    public static WeightedSample FromValues(IEnumerable<double> raw)
    {
        var values = new List<double>();
        var weights = new List<double>();
        foreach (var v in raw)
            if (double.IsFinite(v))
            {
                values.Add(v);
                weights.Add(1);
            }
        SortAndMerge(values, weights);
        return new WeightedSample([.. values], [.. weights], (long)weights.Sum(), true);
    }

    /// <summary>
    /// A sketch's centroid stands for rows around it: its weight is spread evenly over an interval centred on it, as
    /// wide as the nearer of the mid-points with its neighbours allows (so the centroid stays the mean of its rows and the
    /// spread never crosses a neighbour's).
    /// </summary>
    private static (double[] Values, double[] Weights) SpreadCentroids(List<double> centroids, List<double> masses)
    {
        // Arrays sized once and kept by the sample: a day's merged sketch spreads into ~25,000 points, and growing lists
        // then copying them cost more than the spreading (the allocations showed as most of the report's CPU time).
        var count = 0;
        for (var i = 0; i < centroids.Count; i++)
        {
            var half = HalfWidth(centroids, i);
            count += SpreadCount(centroids[i] - half, centroids[i] + half, masses[i]);
        }
        var values = new double[count];
        var weights = new double[count];
        var at = 0;
        for (var i = 0; i < centroids.Count; i++)
        {
            var half = HalfWidth(centroids, i);
            at += SpreadInto(centroids[i] - half, centroids[i] + half, masses[i], values.AsSpan(at), weights.AsSpan(at));
        }
        var sorted = true;
        for (var i = 1; i < values.Length && sorted; i++)
            sorted = values[i - 1] < values[i];
        if (sorted)
            return (values, weights);
        List<double> v = [.. values], w = [.. weights];
        SortAndMerge(v, w);
        return ([.. v], [.. w]);
    }

    private static double HalfWidth(List<double> centroids, int i)
    {
        var left = i == 0 ? double.PositiveInfinity : (centroids[i] - centroids[i - 1]) / 2;
        var right = i == centroids.Count - 1 ? double.PositiveInfinity : (centroids[i + 1] - centroids[i]) / 2;
        return Math.Min(left, right);
    }

    private static void Spread(double low, double high, double mass, List<double> values, List<double> weights)
    {
        var start = values.Count;
        var count = SpreadCount(low, high, mass);
        CollectionsMarshal.SetCount(values, start + count);
        CollectionsMarshal.SetCount(weights, start + count);
        SpreadInto(low, high, mass, CollectionsMarshal.AsSpan(values)[start..], CollectionsMarshal.AsSpan(weights)[start..]);
    }

    /// <summary>How many points <see cref="SpreadInto"/> writes: none for no mass or an unbounded interval, one for an empty one.</summary>
    private static int SpreadCount(double low, double high, double mass) =>
        !(mass > 0) || !double.IsFinite(low) || !double.IsFinite(high) ? 0 : high <= low ? 1 : SubPoints;

    private static int SpreadInto(double low, double high, double mass, Span<double> values, Span<double> weights)
    {
        var count = SpreadCount(low, high, mass);
        if (count == 1)
        {
            values[0] = low;
            weights[0] = mass;
        }
        else if (count == SubPoints)
        {
            var width = (high - low) / SubPoints;
            for (var j = 0; j < SubPoints; j++)
            {
                values[j] = low + (j + 0.5) * width;
                weights[j] = mass / SubPoints;
            }
        }
        return count;
    }

    /// <summary>Sorts by value and merges equal values, in place (profiles are sorted already; this only checks).</summary>
    private static void SortAndMerge(List<double> values, List<double> weights)
    {
        var sorted = true;
        for (var i = 1; i < values.Count && sorted; i++)
            sorted = values[i - 1] < values[i];
        if (sorted)
            return;
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var v = new List<double>(values.Count);
        var w = new List<double>(values.Count);
        foreach (var i in order)
        {
            if (v.Count > 0 && v[^1] == values[i])
                w[^1] += weights[i];
            else
            {
                v.Add(values[i]);
                w.Add(weights[i]);
            }
        }
        values.Clear();
        values.AddRange(v);
        weights.Clear();
        weights.AddRange(w);
    }

    /// <summary>Weight at or below <paramref name="x"/>.</summary>
    public double WeightAtOrBelow(double x)
    {
        var i = UpperBound(x);
        return i == 0 ? 0 : Cumulative[i - 1];
    }

    /// <summary>Weight strictly below <paramref name="x"/>.</summary>
    public double WeightBelow(double x)
    {
        var i = Array.BinarySearch(Values, x);
        if (i < 0)
            i = ~i;
        return i == 0 ? 0 : Cumulative[i - 1];
    }

    /// <summary>Index of the first value greater than <paramref name="x"/>.</summary>
    private int UpperBound(double x)
    {
        var i = Array.BinarySearch(Values, x);
        return i >= 0 ? i + 1 : ~i;
    }

    /// <summary>
    /// The value of rank <paramref name="rank"/> (0-based) in the expanded sorted rows of an exact sample; for a weighted
    /// one, the value at which the cumulative weight first exceeds the rank scaled to the weight.
    /// </summary>
    public double AtRank(long rank)
    {
        var target = Exact ? rank : (rank + 0.5) * Total / Rows;
        var lo = 0;
        var hi = Cumulative.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (Cumulative[mid] > target)
                hi = mid;
            else
                lo = mid + 1;
        }
        return Values[lo];
    }

    /// <summary>numpy's <c>mean</c> and <c>std</c> (ddof 0) of the rows, two-pass.</summary>
    public (double Mean, double Std) Moments()
    {
        Span<double> scratch = Values.Length <= 256 ? stackalloc double[Values.Length] : new double[Values.Length];
        for (var i = 0; i < Values.Length; i++)
            scratch[i] = Values[i] * Weights[i];
        var mean = NumpyArithmetic.CompensatedSum(scratch) / Total;
        for (var i = 0; i < Values.Length; i++)
        {
            var d = Values[i] - mean;
            scratch[i] = d * d * Weights[i];
        }
        return (mean, Math.Sqrt(NumpyArithmetic.CompensatedSum(scratch) / Total));
    }
}
