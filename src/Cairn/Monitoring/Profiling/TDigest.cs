namespace Cairn.Monitoring.Profiling;

/// <summary>
/// A merging t-digest (Dunning and Ertl, "Computing extremely accurate quantiles using t-digests", 2019) with the
/// arcsine scale function k1: centroids near the tails stay small, so ranks there are nearly exact, and the number of
/// centroids stays below about <c>compression</c> whatever the number of values. Values are buffered and merged in
/// sorted batches, so insertion costs a sort of the batch and one linear merge rather than a search per value.
/// Mergeable: the centroids of one digest are weighted points for another.
/// </summary>
internal sealed class TDigest
{
    private readonly double _compression;
    private readonly SortScratch _scratch;
    private readonly double[] _buffer;
    private int _buffered;

    // Centroids sorted by mean; the scratch arrays receive the next merge and are then swapped in.
    private double[] _means;
    private double[] _weights;
    private int _count;
    private double[] _nextMeans;
    private double[] _nextWeights;

    // Weighted points added in bulk (another digest's centroids, an exact profile's values) wait here.
    private readonly List<WeightedValue> _weighted = [];

    /// <summary>
    /// A digest of about <paramref name="compression"/> centroids at most, buffering <paramref name="bufferSize"/> values;
    /// digests used one at a time (a profile's columns) share one <paramref name="scratch"/> for their sorts.
    /// </summary>
    public TDigest(double compression, SortScratch? scratch = null, int bufferSize = 4_096)
    {
        _compression = compression;
        _scratch = scratch ?? new SortScratch(bufferSize);
        _buffer = new double[Math.Min(bufferSize, _scratch.Capacity)];
        // k1 yields at most about π·δ/2 centroids; one merge may emit a few more before the limit applies.
        var capacity = (int)Math.Ceiling(compression * Math.PI / 2) + 16;
        _means = new double[capacity];
        _weights = new double[capacity];
        _nextMeans = new double[capacity];
        _nextWeights = new double[capacity];
    }

    /// <summary>Total weight of the values added.</summary>
    public double TotalWeight { get; private set; }

    /// <summary>Adds one value of weight 1.</summary>
    public void Add(double value)
    {
        _buffer[_buffered++] = value;
        TotalWeight += 1;
        if (_buffered == _buffer.Length)
            Flush();
    }

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

    /// <summary>The centroids, sorted by mean, with their weights.</summary>
    public IReadOnlyList<WeightedValue> Centroids()
    {
        Flush();
        var result = new List<WeightedValue>(_count);
        for (var i = 0; i < _count; i++)
        {
            // Centroids of one repeated value (a discrete feature past the exact limit) become one point: points are distinct.
            if (result.Count > 0 && result[^1].Value == _means[i])
                result[^1] = new WeightedValue(_means[i], result[^1].Weight + _weights[i]);
            else
                result.Add(new WeightedValue(_means[i], _weights[i]));
        }
        return result;
    }

    private void Flush()
    {
        if (_buffered == 0 && _weighted.Count == 0)
            return;
        var values = _buffer.AsSpan(0, _buffered);
        RadixSort.Sort(values, _scratch);
        if (_weighted.Count > 0)
            _weighted.Sort(static (a, b) => a.Value.CompareTo(b.Value));

        var total = TotalWeight;
        // The weight merged so far, the centroid being built, and the cumulative weight at which it must close.
        double before = 0, mean = 0, weight = 0;
        var limit = 0.0;
        var emitted = 0;
        int c = 0, b = 0, w = 0;
        var weightedCount = _weighted.Count;
        while (c < _count || b < values.Length || w < weightedCount)
        {
            // The smallest of the three sorted inputs is next.
            double v, vw;
            var fromCentroid = c < _count ? _means[c] : double.PositiveInfinity;
            var fromBuffer = b < values.Length ? values[b] : double.PositiveInfinity;
            var fromWeighted = w < weightedCount ? _weighted[w].Value : double.PositiveInfinity;
            if (c < _count && fromCentroid <= fromBuffer && fromCentroid <= fromWeighted)
            {
                v = fromCentroid;
                vw = _weights[c++];
            }
            else if (b < values.Length && fromBuffer <= fromWeighted)
            {
                v = fromBuffer;
                vw = 1;
                b++;
            }
            else
            {
                v = fromWeighted;
                vw = _weighted[w++].Weight;
            }

            if (weight > 0 && before + weight + vw <= limit)
            {
                weight += vw;
                mean += vw * (v - mean) / weight;
                continue;
            }

            if (weight > 0)
            {
                Emit(ref emitted, mean, weight);
                before += weight;
            }
            mean = v;
            weight = vw;
            limit = total * InverseScale(Scale(before / total) + 1);
        }
        if (weight > 0)
            Emit(ref emitted, mean, weight);

        (_means, _nextMeans) = (_nextMeans, _means);
        (_weights, _nextWeights) = (_nextWeights, _weights);
        _count = emitted;
        _buffered = 0;
        _weighted.Clear();
    }


    private void Emit(ref int emitted, double mean, double weight)
    {
        if (emitted == _nextMeans.Length)
        {
            Array.Resize(ref _nextMeans, emitted * 2);
            Array.Resize(ref _nextWeights, emitted * 2);
            Array.Resize(ref _means, emitted * 2);
            Array.Resize(ref _weights, emitted * 2);
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
