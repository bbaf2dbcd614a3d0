namespace Cairn.Monitoring.Profiling;

/// <summary>Combines profiles of disjoint sets of rows (<see cref="FeatureProfiler.Merge(FeatureProfile, FeatureProfile, ProfileOptions?)"/>).</summary>
internal static class ProfileMerge
{
    public static DatasetProfile Merge(DatasetProfile a, DatasetProfile b, ProfileOptions options)
    {
        var byName = b.Features.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var features = new List<FeatureProfile>(a.Features.Count + b.Features.Count);
        foreach (var fa in a.Features)
        {
            // A feature one window lacks: that window's rows had no value for it.
            features.Add(byName.Remove(fa.Name, out var fb) ? Merge(fa, fb, options) : fa with { Missing = fa.Missing + b.Rows });
        }
        foreach (var fb in b.Features)
        {
            if (byName.ContainsKey(fb.Name))
                features.Add(fb with { Missing = fb.Missing + a.Rows });
        }
        IReadOnlyList<string>? notes = (a.Notes, b.Notes) switch
        {
            (null, null) => null,
            (null, var n) => n,
            (var n, null) => n,
            var (na, nb) => na.Union(nb).ToList(),
        };
        return new DatasetProfile(a.Rows + b.Rows, features) { Notes = notes };
    }

    public static FeatureProfile Merge(FeatureProfile a, FeatureProfile b, ProfileOptions options)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Name != b.Name)
            throw new InvalidParameterException($"Profiles of '{a.Name}' and '{b.Name}' cannot be merged: they are different features.");
        if (a.Kind != b.Kind)
        {
            throw new InvalidParameterException(
                $"Profiles of '{a.Name}' cannot be merged: one is {a.Kind.ToString().ToLowerInvariant()}, the other {b.Kind.ToString().ToLowerInvariant()}.");
        }
        return a.Kind == FeatureKind.Categorical ? MergeCategories(a, b, options) : MergeNumbers(a, b, options);
    }

    private static FeatureProfile MergeCategories(FeatureProfile a, FeatureProfile b, ProfileOptions options)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var side in new[] { a.Categories, b.Categories })
        {
            foreach (var (key, count) in side ?? new Dictionary<string, long>())
                counts[key] = counts.GetValueOrDefault(key) + count;
        }
        var truncated = a.CategoriesTruncated || b.CategoriesTruncated;
        var other = counts.Remove(FeatureProfiler.OtherCategory, out var o) ? o : 0;
        var kept = counts;
        if (counts.Count > options.CategoryLimit)
        {
            // Keep the most frequent (ties by name, so the result does not depend on the merge order).
            var ranked = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
            kept = ranked.Take(options.CategoryLimit).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            other += ranked.Skip(options.CategoryLimit).Sum(p => p.Value);
            truncated = true;
        }
        var categories = new SortedDictionary<string, long>(kept, StringComparer.Ordinal);
        if (other > 0)
            categories[FeatureProfiler.OtherCategory] = other;
        return new FeatureProfile(a.Name, FeatureKind.Categorical, a.Count + b.Count, a.Missing + b.Missing, Categories: categories)
        {
            CategoriesTruncated = truncated,
        };
    }

    private static FeatureProfile MergeNumbers(FeatureProfile a, FeatureProfile b, ProfileOptions options)
    {
        if (b.Count == 0)
            return a with { Missing = a.Missing + b.Missing };
        if (a.Count == 0)
            return b with { Missing = a.Missing + b.Missing };

        var count = a.Count + b.Count;
        double? mean = null, std = null;
        if (a is { Mean: { } ma, Std: { } sa } && b is { Mean: { } mb, Std: { } sb })
        {
            // Chan, Golub and LeVeque: the sums of squared deviations of both parts, and the shift between their means.
            var delta = mb - ma;
            mean = ma + delta * b.Count / count;
            var m2 = sa * sa * a.Count + sb * sb * b.Count + delta * delta * ((double)a.Count * b.Count / count);
            std = Math.Sqrt(m2 / count);
        }
        var min = a.Min is { } amin && b.Min is { } bmin ? Math.Min(amin, bmin) : (double?)null;
        var max = a.Max is { } amax && b.Max is { } bmax ? Math.Max(amax, bmax) : (double?)null;

        if (a.Points is null || b.Points is null)
        {
            // Reported histograms merge when their bins agree; anything else has no common form to merge into.
            if (a.Histogram is { } ha && b.Histogram is { } hb && ha.Edges.SequenceEqual(hb.Edges))
            {
                var histogram = new Lineage.Histogram(ha.Edges, ha.Counts.Zip(hb.Counts, (x, y) => x + y).ToList());
                return new FeatureProfile(a.Name, FeatureKind.Numerical, count, a.Missing + b.Missing, min, max, mean, std, Histogram: histogram);
            }
            throw new InvalidParameterException(
                $"Profiles of '{a.Name}' cannot be merged: one has no points, and their histograms are absent or binned differently.");
        }

        IReadOnlyList<WeightedValue> points;
        var exact = false;
        if (a.Exact && b.Exact && MergeExact(a.Points, b.Points, options.ExactValueLimit) is { } union)
        {
            points = union;
            exact = true;
        }
        else
        {
            var digest = new TDigest(options.SketchCompression);
            foreach (var p in a.Points)
                digest.Add(p.Value, p.Weight);
            foreach (var p in b.Points)
                digest.Add(p.Value, p.Weight);
            points = digest.Centroids();
        }
        return new FeatureProfile(a.Name, FeatureKind.Numerical, count, a.Missing + b.Missing, min, max, mean, std, points, exact);
    }

    /// <summary>The sorted union of two sorted exact point lists, or null when it has more than <paramref name="limit"/> values.</summary>
    private static List<WeightedValue>? MergeExact(IReadOnlyList<WeightedValue> a, IReadOnlyList<WeightedValue> b, int limit)
    {
        var result = new List<WeightedValue>(Math.Min(a.Count + b.Count, limit + 1));
        int i = 0, j = 0;
        while (i < a.Count || j < b.Count)
        {
            if (result.Count == limit)
                return null;
            if (j == b.Count || (i < a.Count && a[i].Value < b[j].Value))
            {
                result.Add(a[i++]);
            }
            else if (i == a.Count || b[j].Value < a[i].Value)
            {
                result.Add(b[j++]);
            }
            else
            {
                result.Add(new WeightedValue(a[i].Value, a[i].Weight + b[j].Weight));
                i++;
                j++;
            }
        }
        return result;
    }
}
