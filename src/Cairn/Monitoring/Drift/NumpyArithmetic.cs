using MathNet.Numerics;

namespace Cairn.Monitoring.Drift;

/// <summary>
/// The few numerical conventions of numpy and SciPy that decide a drift figure's last digits or a value's bin: numpy's
/// pairwise summation (so that an ill-conditioned sum, such as Jensen-Shannon's for nearly equal distributions, rounds
/// as numpy's does), <c>numpy.quantile</c>'s linear interpolation, <c>numpy.linspace</c>, the Sturges bin edges of
/// <c>numpy.histogram_bin_edges</c>, and the normal and chi-squared tails as SciPy's <c>ndtr</c> and <c>chdtrc</c>.
/// </summary>
internal static class NumpyArithmetic
{
    /// <summary>numpy's <c>sum</c> of a float64 array: blocks of eight accumulators up to 128 items, halves above.</summary>
    public static double PairwiseSum(ReadOnlySpan<double> a)
    {
        var n = a.Length;
        if (n < 8)
        {
            var res = 0.0;
            for (var i = 0; i < n; i++)
                res += a[i];
            return res;
        }
        if (n <= 128)
        {
            Span<double> r = stackalloc double[8];
            a[..8].CopyTo(r);
            var i = 8;
            for (; i < n - n % 8; i += 8)
                for (var j = 0; j < 8; j++)
                    r[j] += a[i + j];
            var res = (r[0] + r[1] + (r[2] + r[3])) + (r[4] + r[5] + (r[6] + r[7]));
            for (; i < n; i++)
                res += a[i];
            return res;
        }
        var n2 = n / 2;
        n2 -= n2 % 8;
        return PairwiseSum(a[..n2]) + PairwiseSum(a[n2..]);
    }

    /// <summary>
    /// <c>numpy.quantile(x, q)</c> with the default linear method, over a sorted sample given by its size and an accessor
    /// of its i-th smallest value (so that a profile's distinct values and counts never need expanding).
    /// </summary>
    public static double Quantile(long n, double q, Func<long, double> at)
    {
        var virtualIndex = (n - 1) * q;
        if (virtualIndex >= n - 1)
            return at(n - 1);
        var previous = Math.Floor(virtualIndex);
        var lower = at((long)previous);
        var upper = at((long)previous + 1);
        var gamma = virtualIndex - previous;
        var diff = upper - lower;
        // numpy interpolates from the nearer end, which keeps the result within [lower, upper].
        return gamma >= 0.5 ? upper - diff * (1 - gamma) : lower + diff * gamma;
    }

    /// <summary>
    /// <c>numpy.histogram_bin_edges(x, bins="sturges")</c> for data of <paramref name="size"/> values between
    /// <paramref name="min"/> and <paramref name="max"/>: ⌈range / (range / (log₂ size + 1))⌉ equal bins.
    /// </summary>
    public static double[] SturgesEdges(double min, double max, long size)
    {
        var width = (max - min) / (Math.Log2(size) + 1.0);
        double first = min, last = max;
        if (first == last)
        {
            first -= 0.5;
            last += 0.5;
        }
        var bins = width != 0 ? (int)Math.Ceiling((last - first) / width) : 1;
        return Linspace(first, last, bins + 1);
    }

    /// <summary><c>numpy.linspace(start, stop, num)</c>: i·step + start, the last one exactly <paramref name="stop"/>.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        var div = num - 1;
        var delta = stop - start;
        var step = delta / div;
        for (var i = 0; i < num; i++)
            y[i] = (step == 0 ? i / (double)div * delta : i * step) + start;
        y[num - 1] = stop;
        return y;
    }

    private const double SqrtHalf = 0.70710678118654752440;

    /// <summary>The standard normal CDF as SciPy's <c>ndtr</c> composes it from erf and erfc.</summary>
    public static double NormalCdf(double a)
    {
        var x = a * SqrtHalf;
        var z = Math.Abs(x);
        if (z < SqrtHalf)
            return 0.5 + 0.5 * SpecialFunctions.Erf(x);
        var y = 0.5 * SpecialFunctions.Erfc(z);
        return x > 0 ? 1.0 - y : y;
    }

    /// <summary>The chi-squared survival function, SciPy's <c>chi2.sf(x, df)</c> = Q(df/2, x/2).</summary>
    public static double ChiSquaredSurvival(double x, int degreesOfFreedom)
    {
        if (x <= 0)
            return 1.0;
        if (double.IsPositiveInfinity(x))
            return 0.0;
        return SpecialFunctions.GammaUpperRegularized(degreesOfFreedom / 2.0, x / 2.0);
    }

    /// <summary>An accurate sum of terms of one sign (compensated), where numpy's exact rounding does not matter.</summary>
    public static double CompensatedSum(ReadOnlySpan<double> terms)
    {
        double sum = 0, compensation = 0;
        foreach (var t in terms)
        {
            var next = sum + t;
            compensation += Math.Abs(sum) >= Math.Abs(t) ? sum - next + t : t - next + sum;
            sum = next;
        }
        return sum + compensation;
    }
}
