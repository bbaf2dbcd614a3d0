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

        var total = TotalWeight;
        // Weight merged before the centroid being built, the centroid's weight and weighted sum, the cumulative
        // weight at which it must close (k may grow by 1 at most across a centroid).
        double before = 0, weight = 0, sum = 0, limit = 0;
        var emitted = 0;
        int c = 0, b = 0;
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
        _buffered = 0;
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
