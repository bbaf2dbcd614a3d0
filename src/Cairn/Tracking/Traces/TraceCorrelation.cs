namespace Cairn.Tracking.Traces;

/// <summary>
/// How strongly two trace filters go together over a set of traces: the four counts of their 2×2 table and the
/// normalised pointwise mutual information (NPMI, −1 never together … 0 independent … 1 always together), plain and
/// smoothed with Jeffreys' prior (½ added to each cell) so that small samples do not swing to the extremes. NaN where
/// NPMI is undefined: no traces, or one filter matching none.
/// </summary>
public sealed record TraceCorrelation(double Npmi, double NpmiSmoothed, int Filter1Count, int Filter2Count, int JointCount, int TotalCount)
{
    private const double JeffreysPrior = 0.5;

    /// <summary>The correlation of the counts, computed as MLflow 3.5's trace analytics computes it.</summary>
    public static TraceCorrelation FromCounts(int total, int filter1, int filter2, int joint)
    {
        var both = joint;
        var onlyFirst = filter1 - joint;
        var onlySecond = filter2 - joint;
        var neither = total - filter1 - filter2 + joint;
        if (total <= 0 || filter1 == 0 || filter2 == 0 || Math.Min(Math.Min(both, onlyFirst), Math.Min(onlySecond, neither)) < 0)
        {
            return new(double.NaN, double.NaN, filter1, filter2, joint, total);
        }
        // Filters that both match something but never the same trace are perfectly apart: -1 before smoothing.
        var plain = joint == 0 ? -1.0 : Compute(both, onlyFirst, onlySecond, neither, 0);
        return new(plain, Compute(both, onlyFirst, onlySecond, neither, JeffreysPrior), filter1, filter2, joint, total);
    }

    private static double Compute(double both, double onlyFirst, double onlySecond, double neither, double smoothing)
    {
        var (n11, n10, n01, n00) = (both + smoothing, onlyFirst + smoothing, onlySecond + smoothing, neither + smoothing);
        var n = n11 + n10 + n01 + n00;
        var (first, second) = (n11 + n10, n11 + n01);
        if (first <= 0 || second <= 0 || n11 <= 0)
        {
            return double.NaN;
        }
        if (onlyFirst == 0 && onlySecond == 0 && neither == 0)
        {
            return 1.0;
        }
        var pmi = Math.Log(n11) + Math.Log(n) - (Math.Log(first) + Math.Log(second));
        return Math.Clamp(pmi / -(Math.Log(n11) - Math.Log(n)), -1.0, 1.0);
    }
}
