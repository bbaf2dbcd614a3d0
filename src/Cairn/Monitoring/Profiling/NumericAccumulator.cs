using System.Numerics;
using System.Runtime.InteropServices;

namespace Cairn.Monitoring.Profiling;

/// <summary>
/// One numerical feature's running profile: count, range, moments (per batch two-pass, batches combined by Chan,
/// Golub and LeVeque's formula: stable, and the per-value loops vectorise) and its distribution, exact while the
/// distinct values stay within the limit and a t-digest after. Memory: the limit's dictionary or the digest, whatever
/// the number of values.
/// </summary>
internal sealed class NumericAccumulator(int exactLimit, double compression, SortScratch scratch)
{
    private long _count;
    private double _min = double.PositiveInfinity;
    private double _max = double.NegativeInfinity;
    private double _mean;
    private double _m2;
    private Dictionary<double, long>? _exact = [];
    private TDigest? _digest;

    /// <summary>Rows without a value (null, a missing-value token, NaN, ±∞).</summary>
    public long Missing { get; set; }

    /// <summary>Adds values that may include NaN or infinities, which count as missing.</summary>
    public void AddAny(ReadOnlySpan<double> values)
    {
        var firstBad = -1;
        var i = 0;
        // Whole vectors first (v − v is 0 exactly when v is finite); the scalar loop finds the first bad value from there.
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= values.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var v = new Vector<double>(values[i..]);
                if (!Vector.EqualsAll(v - v, Vector<double>.Zero))
                    break;
            }
        }
        for (; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                firstBad = i;
                break;
            }
        }
        if (firstBad < 0)
        {
            AddFinite(values);
            return;
        }

        // Rare: copy the finite values out in runs.
        AddFinite(values[..firstBad]);
        var start = firstBad;
        for (var j = firstBad; j < values.Length; j++)
        {
            if (double.IsFinite(values[j]))
                continue;
            AddFinite(values[start..j]);
            Missing++;
            start = j + 1;
        }
        AddFinite(values[start..]);
    }

    /// <summary>Adds finite values.</summary>
    public void AddFinite(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
            return;

        // The batch's own mean and squared deviations (two passes over data in cache), then combined with the total.
        double sum = 0, min = _min, max = _max, m2 = 0;
        var n = values.Length;
        var width = Vector<double>.Count;
        var whole = Vector.IsHardwareAccelerated ? n - n % width : 0;
        if (whole > 0)
        {
            // Lanes of sums, minima and maxima (one pass over the batch for each statistic, no branch per value).
            var sums = Vector<double>.Zero;
            var mins = new Vector<double>(min);
            var maxs = new Vector<double>(max);
            for (var i = 0; i < whole; i += width)
            {
                var v = new Vector<double>(values[i..]);
                sums += v;
                mins = Vector.Min(mins, v);
                maxs = Vector.Max(maxs, v);
            }
            sum = Vector.Sum(sums);
            for (var k = 0; k < width; k++)
            {
                min = Math.Min(min, mins[k]);
                max = Math.Max(max, maxs[k]);
            }
        }
        for (var i = whole; i < n; i++)
        {
            var v = values[i];
            sum += v;
            if (v < min)
                min = v;
            if (v > max)
                max = v;
        }
        var batchMean = sum / n;
        if (whole > 0)
        {
            var mean = new Vector<double>(batchMean);
            var squares = Vector<double>.Zero;
            for (var i = 0; i < whole; i += width)
            {
                var d = new Vector<double>(values[i..]) - mean;
                squares += d * d;
            }
            m2 = Vector.Sum(squares);
        }
        for (var i = whole; i < n; i++)
        {
            var d = values[i] - batchMean;
            m2 += d * d;
        }
        var total = _count + n;
        var delta = batchMean - _mean;
        _mean += delta * n / total;
        _m2 += m2 + delta * delta * ((double)_count * n / total);
        _count = total;
        _min = min;
        _max = max;

        if (_exact is null)
        {
            _digest!.Add(values);
            return;
        }
        for (var i = 0; i < values.Length; i++)
        {
            // +0.0 for −0.0: one value, as numpy.unique counts it.
            ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_exact, values[i] + 0.0, out var existed);
            count++;
            if (!existed && _exact.Count > exactLimit)
            {
                SwitchToSketch();
                _digest!.Add(values[(i + 1)..]);
                return;
            }
        }
    }

    private void SwitchToSketch()
    {
        _digest = new TDigest(compression, scratch);
        foreach (var (value, count) in _exact!)
            _digest.Add(value, count);
        _exact = null;
    }

    /// <summary>The profile so far.</summary>
    public FeatureProfile ToProfile(string name)
    {
        if (_count == 0)
            return new FeatureProfile(name, FeatureKind.Numerical, 0, Missing, Points: [], Exact: true);
        IReadOnlyList<WeightedValue> points;
        if (_exact is not null)
        {
            var exact = new WeightedValue[_exact.Count];
            var i = 0;
            foreach (var (value, count) in _exact)
                exact[i++] = new WeightedValue(value, count);
            Array.Sort(exact, static (a, b) => a.Value.CompareTo(b.Value));
            points = exact;
        }
        else
        {
            points = _digest!.Centroids();
        }
        return new FeatureProfile(
            name, FeatureKind.Numerical, _count, Missing, _min, _max, _mean, Math.Sqrt(Math.Max(0, _m2 / _count)),
            points, Exact: _exact is not null);
    }
}

/// <summary>
/// One categorical feature's running counts: the first <c>limit</c> distinct values by name, later new ones under
/// <see cref="FeatureProfiler.OtherCategory"/>. Looks up spans without allocating a string for values already seen.
/// </summary>
internal sealed class CategoryCounter
{
    private readonly int _limit;
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private long _other;
    private bool _truncated;

    public CategoryCounter(int limit)
    {
        _limit = limit;
        _lookup = _counts.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Rows without a value.</summary>
    public long Missing { get; set; }

    /// <summary>Rows with a value.</summary>
    public long Count { get; private set; }

    public void Add(ReadOnlySpan<char> value)
    {
        Count++;
        if (_lookup.TryGetValue(value, out var count))
        {
            _lookup[value] = count + 1;
        }
        else if (value.SequenceEqual(FeatureProfiler.OtherCategory))
        {
            _other++;
        }
        else if (_counts.Count < _limit)
        {
            _lookup[value] = 1;
        }
        else
        {
            _other++;
            _truncated = true;
        }
    }

    public void Add(string value) => Add(value.AsSpan());

    public FeatureProfile ToProfile(string name)
    {
        var categories = new SortedDictionary<string, long>(_counts, StringComparer.Ordinal);
        if (_other > 0)
            categories[FeatureProfiler.OtherCategory] = _other;
        return new FeatureProfile(name, FeatureKind.Categorical, Count, Missing, Categories: categories)
        {
            CategoriesTruncated = _truncated,
        };
    }
}
