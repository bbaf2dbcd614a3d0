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

    /// <summary>
    /// Several profiles in one pass, feature by feature: what folding <see cref="Merge(DatasetProfile, DatasetProfile, ProfileOptions)"/>
    /// over them gives for counts, moments (combined in the same order), ranges, exact points and histograms, but sketches
    /// built once from every profile's points (not re-digested at each step) and categories cut to the limit once.
    /// </summary>
    public static DatasetProfile MergeMany(IReadOnlyList<DatasetProfile> profiles, ProfileOptions options)
    {
        if (profiles.Count <= 2)
        {
            return profiles.Count switch
            {
                0 => new DatasetProfile(0, []),
                1 => profiles[0],
                _ => Merge(profiles[0], profiles[1], options),
            };
        }
        // Each feature's profiles in order, and the rows of the profiles that lack it (their rows had no value for it).
        var byName = new Dictionary<string, (List<FeatureProfile> Parts, long Absent)>(StringComparer.Ordinal);
        var order = new List<string>();
        long rows = 0;
        List<string>? notes = null;
        foreach (var profile in profiles)
        {
            foreach (var feature in profile.Features)
            {
                if (!byName.TryGetValue(feature.Name, out var entry))
                {
                    entry = ([], 0);
                    order.Add(feature.Name);
                }
                entry.Parts.Add(feature);
                byName[feature.Name] = entry;
            }
            rows += profile.Rows;
            if (profile.Notes is { } n)
                (notes ??= []).AddRange(n);
        }
        foreach (var profile in profiles)
        {
            if (profile.Features.Count == order.Count)
                continue;
            var present = profile.Features.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in order)
            {
                if (!present.Contains(name))
                {
                    var entry = byName[name];
                    byName[name] = (entry.Parts, entry.Absent + profile.Rows);
                }
            }
        }
        var scratch = new SortScratch(8_192);
        var features = new List<FeatureProfile>(order.Count);
        foreach (var name in order)
        {
            var (parts, absent) = byName[name];
            var merged = MergeFeature(parts, options, scratch);
            features.Add(merged with { Missing = merged.Missing + absent });
        }
        return new DatasetProfile(rows, features) { Notes = notes?.Distinct().ToList() };
    }

    private static FeatureProfile MergeFeature(List<FeatureProfile> parts, ProfileOptions options, SortScratch scratch)
    {
        var first = parts[0];
        foreach (var part in parts)
        {
            if (part.Kind != first.Kind)
            {
                throw new InvalidParameterException(
                    $"Profiles of '{first.Name}' cannot be merged: one is {first.Kind.ToString().ToLowerInvariant()}, the other {part.Kind.ToString().ToLowerInvariant()}.");
            }
        }
        if (parts.Count == 1)
            return first;
        return first.Kind == FeatureKind.Categorical ? MergeCategories(parts, options) : MergeNumbers(parts, options, scratch);
    }

    private static FeatureProfile MergeCategories(List<FeatureProfile> parts, ProfileOptions options)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long count = 0, missing = 0;
        var truncated = false;
        foreach (var part in parts)
        {
            foreach (var (key, n) in part.Categories ?? new Dictionary<string, long>())
                counts[key] = counts.GetValueOrDefault(key) + n;
            count += part.Count;
            missing += part.Missing;
            truncated |= part.CategoriesTruncated;
        }
        return Categories(parts[0].Name, count, missing, counts, truncated, options);
    }

    private static FeatureProfile Categories(string name, long count, long missing, Dictionary<string, long> counts, bool truncated, ProfileOptions options)
    {
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
        return new FeatureProfile(name, FeatureKind.Categorical, count, missing, Categories: categories) { CategoriesTruncated = truncated };
    }

    private static FeatureProfile MergeNumbers(List<FeatureProfile> parts, ProfileOptions options, SortScratch scratch)
    {
        // As the fold: a part without values adds its missing count only; moments combine in order (Chan, Golub and LeVeque).
        long count = 0, missing = 0;
        double? mean = null, std = null, min = null, max = null;
        var first = true;
        var exact = true;
        var withPoints = new List<FeatureProfile>(parts.Count);
        foreach (var part in parts)
        {
            missing += part.Missing;
            if (part.Count == 0)
                continue;
            if (first)
            {
                (count, mean, std, min, max, first) = (part.Count, part.Mean, part.Std, part.Min, part.Max, false);
            }
            else
            {
                var total = count + part.Count;
                if (mean is { } ma && std is { } sa && part is { Mean: { } mb, Std: { } sb })
                {
                    var delta = mb - ma;
                    var m2 = sa * sa * count + sb * sb * part.Count + delta * delta * ((double)count * part.Count / total);
                    mean = ma + delta * part.Count / total;
                    std = Math.Sqrt(m2 / total);
                }
                else
                {
                    (mean, std) = (null, null);
                }
                min = min is { } amin && part.Min is { } bmin ? Math.Min(amin, bmin) : null;
                max = max is { } amax && part.Max is { } bmax ? Math.Max(amax, bmax) : null;
                count = total;
            }
            withPoints.Add(part);
            exact &= part.Exact;
        }
        var name = parts[0].Name;
        if (withPoints.Count <= 1)
        {
            var only = withPoints.Count == 1 ? withPoints[0] : parts[0];
            return only with { Missing = missing };
        }
        if (withPoints.Any(p => p.Points is null))
        {
            // Reported histograms merge when their bins agree; anything else has no common form to merge into.
            var edges = withPoints[0].Histogram?.Edges;
            if (edges is not null && withPoints.All(p => p.Histogram is { } h && h.Edges.SequenceEqual(edges)))
            {
                var sums = new long[withPoints[0].Histogram!.Counts.Count];
                foreach (var p in withPoints)
                {
                    for (var i = 0; i < sums.Length; i++)
                        sums[i] += p.Histogram!.Counts[i];
                }
                return new FeatureProfile(name, FeatureKind.Numerical, count, missing, min, max, mean, std, Histogram: new Lineage.Histogram(edges, sums));
            }
            throw new InvalidParameterException(
                $"Profiles of '{name}' cannot be merged: one has no points, and their histograms are absent or binned differently.");
        }
        if (exact)
        {
            IReadOnlyList<WeightedValue>? union = withPoints[0].Points!;
            for (var i = 1; i < withPoints.Count && union is not null; i++)
                union = MergeExact(union, withPoints[i].Points!, options.ExactValueLimit);
            if (union is not null)
                return new FeatureProfile(name, FeatureKind.Numerical, count, missing, min, max, mean, std, union, Exact: true);
        }
        // One digest of every part's points, digested once: each part's points are sorted already, so they merge as runs.
        var digest = new TDigest(options.SketchCompression, scratch);
        digest.AddSortedRuns([.. withPoints.Select(p => p.Points!)]);
        return new FeatureProfile(name, FeatureKind.Numerical, count, missing, min, max, mean, std, digest.Centroids(), Exact: false);
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
        return Categories(a.Name, a.Count + b.Count, a.Missing + b.Missing, counts, a.CategoriesTruncated || b.CategoriesTruncated, options);
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
            digest.AddSortedRuns([a.Points, b.Points]);
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
