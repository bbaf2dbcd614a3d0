using System.Buffers;

namespace Cairn.Monitoring.Profiling;

/// <summary>
/// A merging t-digest (Dunning and Ertl, "Computing extremely accurate quantiles using t-digests", 2019) with the
/// arcsine scale function k1: centroids near the tails stay small, so ranks there are nearly exact, and the number of
/// centroids stays below π·δ/2 (δ the compression) whatever the number of values. Values are buffered and merged in
/// sorted batches, so insertion costs a radix sort of the batch and one linear merge rather than a search per value.
/// Mergeable: the centroids of one digest are weighted points for another.
/// </summary>
internal sealed class TDigest
{
    private readonly double _compression;
    private readonly SortScratch _scratch;
    private readonly double[] _buffer;
    private int _buffered;

    // Centroids sorted by mean; a merge writes the next ones into the other pair of arrays, then they swap.
    private double[] _means;
    private double[] _weights;
    private int _count;
    private double[] _nextMeans;
    private double[] _nextWeights;

    // Weighted points added one by one (another digest's centroids, an exact profile's values) wait here.
    private readonly List<WeightedValue> _weighted = [];

    /// <summary>
    /// A digest of compression <paramref name="compression"/>, buffering <paramref name="bufferSize"/> values; digests
    /// used one at a time (a profile's columns) share one <paramref name="scratch"/> for their sorts.
    /// </summary>
    public TDigest(double compression, SortScratch? scratch = null, int bufferSize = 8_192)
    {
        _compression = compression;
        _scratch = scratch ?? new SortScratch(bufferSize);
        _buffer = new double[Math.Min(bufferSize, _scratch.Capacity)];
        var capacity = (int)Math.Ceiling(compression * Math.PI / 2) + 16;
        _means = new double[capacity];
        _weights = new double[capacity];
        _nextMeans = new double[capacity];
        _nextWeights = new double[capacity];
    }

    /// <summary>Total weight of the values added.</summary>
    public double TotalWeight { get; private set; }

    /// <summary>Adds values of weight 1.</summary>
    public void Add(ReadOnlySpan<double> values)
    {
        while (!values.IsEmpty)
        {
            var take = Math.Min(values.Length, _buffer.Length - _buffered);
            values[..take].CopyTo(_buffer.AsSpan(_buffered));
            _buffered += take;
            TotalWeight += take;
            values = values[take..];
            if (_buffered == _buffer.Length)
                Flush();
        }
    }

    /// <summary>Adds a value with a weight (a centroid of another digest, a distinct value with its count).</summary>
    public void Add(double value, double weight)
    {
        if (weight <= 0)
            return;
        _weighted.Add(new WeightedValue(value, weight));
        TotalWeight += weight;
        if (_weighted.Count >= _buffer.Length)
            Flush();
    }

    /// <summary>The centroids, sorted by mean, no two with the same mean.</summary>
    public IReadOnlyList<WeightedValue> Centroids()
    {
        Flush();
        var result = new List<WeightedValue>(_count);
        for (var i = 0; i < _count; i++)
        {
            // Centroids of one repeated value (a discrete feature past the exact limit) become one point; a mean
            // rounded onto or below its neighbour's (sums of many values) joins it: points are distinct and ascending.
            if (result.Count > 0 && _means[i] <= result[^1].Value)
            {
                var previous = result[^1];
                var weight = previous.Weight + _weights[i];
                var mean = _means[i] == previous.Value ? previous.Value : (previous.Value * previous.Weight + _means[i] * _weights[i]) / weight;
                result[^1] = new WeightedValue(Math.Min(mean, previous.Value), weight);
            }
            else
            {
                result.Add(new WeightedValue(_means[i], _weights[i]));
            }
        }
        return result;
    }

    /// <summary>
    /// Adds the points of several runs, each sorted by value (other digests' centroids, exact profiles' values): the same
    /// as adding every point with <see cref="Add(double, double)"/> in the same order, but the runs are merged instead of
    /// sorted, and compressed in one pass however many points they hold. On equal values an earlier run's point comes
    /// first (a sort would leave their order to chance).
    /// </summary>
    public void AddSortedRuns(IReadOnlyList<IReadOnlyList<WeightedValue>> runs)
    {
        Flush();
        var length = _count;
        foreach (var run in runs)
            length += run.Count;
        var pool = ArrayPool<double>.Shared;
        double[] values = pool.Rent(length), weights = pool.Rent(length), nextValues = pool.Rent(length), nextWeights = pool.Rent(length);
        var bounds = new List<int>(runs.Count + 2) { 0 };
        try
        {
            // The centroids so far are the first run: they come first on equal values, as in a flush.
            _means.AsSpan(0, _count).CopyTo(values);
            _weights.AsSpan(0, _count).CopyTo(weights);
            var n = _count;
            if (n > 0)
                bounds.Add(n);
            foreach (var run in runs)
            {
                var start = n;
                var sorted = true;
                for (var i = 0; i < run.Count; i++)
                {
                    var (value, weight) = run[i];
                    if (weight <= 0)
                        continue;
                    // Written so that NaN counts as out of order: a run that is not ascending is sorted as Add would.
                    if (n > start && !(value >= values[n - 1]))
                        sorted = false;
                    values[n] = value;
                    weights[n++] = weight;
                    TotalWeight += weight;
                }
                if (!sorted)
                    Array.Sort(values, weights, start, n - start);
                if (n > start)
                    bounds.Add(n);
            }
            // Adjacent runs merge two by two until one is left: log2(runs) linear passes.
            while (bounds.Count > 2)
            {
                var merged = 1;
                for (var r = 0; r + 1 < bounds.Count; r += 2)
                {
                    var end = r + 2 < bounds.Count ? bounds[r + 2] : bounds[r + 1];
                    MergeRuns(values, weights, bounds[r], bounds[r + 1], end, nextValues, nextWeights);
                    bounds[merged++] = end;
                }
                bounds.RemoveRange(merged, bounds.Count - merged);
                (values, nextValues) = (nextValues, values);
                (weights, nextWeights) = (nextWeights, weights);
            }
            Compress(values.AsSpan(0, n), weights.AsSpan(0, n), []);
        }
        finally
        {
            pool.Return(values);
            pool.Return(weights);
            pool.Return(nextValues);
            pool.Return(nextWeights);
        }
    }

    /// <summary>Merges the sorted runs [start, middle) and [middle, end) into the same places of the target, stably.</summary>
    private static void MergeRuns(double[] values, double[] weights, int start, int middle, int end, double[] targetValues, double[] targetWeights)
    {
        int i = start, j = middle, k = start;
        while (i < middle && j < end)
        {
            if (values[j] < values[i])
            {
                targetValues[k] = values[j];
                targetWeights[k++] = weights[j++];
            }
            else
            {
                targetValues[k] = values[i];
                targetWeights[k++] = weights[i++];
            }
        }
        values.AsSpan(i, middle - i).CopyTo(targetValues.AsSpan(k));
        weights.AsSpan(i, middle - i).CopyTo(targetWeights.AsSpan(k));
        k += middle - i;
        values.AsSpan(j, end - j).CopyTo(targetValues.AsSpan(k));
        weights.AsSpan(j, end - j).CopyTo(targetWeights.AsSpan(k));
    }

    private void Flush()
    {
        if (_buffered == 0 && _weighted.Count == 0)
            return;

        // Weighted points join the centroids first (a sorted union, uncompressed); the merge below compresses all.
        var means = _means;
        var weights = _weights;
        var count = _count;
        if (_weighted.Count > 0)
            (means, weights, count) = UnionWithWeighted();

        var values = _buffer.AsSpan(0, _buffered);
        RadixSort.Sort(values, _scratch);
        Compress(means.AsSpan(0, count), weights.AsSpan(0, count), values);
        _buffered = 0;
    }

    /// <summary>
    /// Merges weighted points sorted by value with sorted values of weight 1 and compresses them into the next centroids,
    /// which become the digest's.
    /// </summary>
    private void Compress(ReadOnlySpan<double> means, ReadOnlySpan<double> weights, ReadOnlySpan<double> values)
    {
        var total = TotalWeight;
        // Weight merged before the centroid being built, the centroid's weight and weighted sum, the cumulative
        // weight at which it must close (k may grow by 1 at most across a centroid).
        double before = 0, weight = 0, sum = 0, limit = 0;
        var emitted = 0;
        int c = 0, b = 0;
        var count = means.Length;
        var n = values.Length;
        while (true)
        {
            double v, w;
            if (c < count && (b == n || means[c] <= values[b]))
            {
                v = means[c];
                w = weights[c++];
            }
            else if (b < n)
            {
                v = values[b++];
                w = 1;
            }
            else
            {
                break;
            }

            if (before + weight + w <= limit)
            {
                weight += w;
                sum += v * w;
                continue;
            }
            if (weight > 0)
            {
                Emit(ref emitted, sum / weight, weight);
                before += weight;
            }
            weight = w;
            sum = v * w;
            limit = total * InverseScale(Scale(before / total) + 1);
        }
        if (weight > 0)
            Emit(ref emitted, sum / weight, weight);

        (_means, _nextMeans) = (_nextMeans, _means.Length >= _nextMeans.Length ? _means : new double[_nextMeans.Length]);
        (_weights, _nextWeights) = (_nextWeights, _weights.Length >= _nextWeights.Length ? _weights : new double[_nextWeights.Length]);
        _count = emitted;
    }

    private (double[] Means, double[] Weights, int Count) UnionWithWeighted()
    {
        _weighted.Sort(static (x, y) => x.Value.CompareTo(y.Value));
        var length = _count + _weighted.Count;
        var means = new double[length];
        var weights = new double[length];
        int i = 0, j = 0, k = 0;
        while (i < _count || j < _weighted.Count)
        {
            if (j == _weighted.Count || (i < _count && _means[i] <= _weighted[j].Value))
            {
                means[k] = _means[i];
                weights[k++] = _weights[i++];
            }
            else
            {
                means[k] = _weighted[j].Value;
                weights[k++] = _weighted[j++].Weight;
            }
        }
        _weighted.Clear();
        return (means, weights, length);
    }

    private void Emit(ref int emitted, double mean, double weight)
    {
        if (emitted == _nextMeans.Length)
        {
            Array.Resize(ref _nextMeans, emitted * 2);
            Array.Resize(ref _nextWeights, emitted * 2);
        }
        _nextMeans[emitted] = mean;
        _nextWeights[emitted] = weight;
        emitted++;
    }

    // k1(q) = δ / 2π · asin(2q − 1): a centroid spans at most one unit of k.
    private double Scale(double q) => _compression / (2 * Math.PI) * Math.Asin(Math.Clamp(2 * q - 1, -1, 1));

    private double InverseScale(double k)
    {
        var angle = k * 2 * Math.PI / _compression;
        return angle >= Math.PI / 2 ? 1 : (Math.Sin(angle) + 1) / 2;
    }
}
