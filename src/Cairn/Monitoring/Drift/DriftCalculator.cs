namespace Cairn.Monitoring.Drift;

/// <summary>
/// Compares a current profile with a reference profile, feature by feature, with Evidently's default tests and
/// thresholds (overridable) and the population stability index for every feature. From exact profiles every figure
/// equals SciPy's and numpy's on the expanded rows; from sketches, histograms or quantiles the same methods run on an
/// approximation of the distribution (<see cref="WeightedSample"/>) and the result says <c>Approximate</c>.
/// A result never holds NaN or an infinity: where the mathematics has none (an empty side, a single category for
/// chi-squared, a category the reference never saw) the result says so in its <c>Note</c>.
/// </summary>
public static class DriftCalculator
{
    /// <summary>Evidently's switch: up to this many reference rows, statistical tests; above, distances.</summary>
    public const long SmallReferenceRows = 1000;

    /// <summary>PSI's floor for an empty bin's share, on both sides.</summary>
    public const double PsiFloor = 0.0001;

    /// <summary>
    /// Compares every feature of <paramref name="current"/> with the reference's feature of the same name. A feature on
    /// one side only is reported with a note and not counted; the dataset drifts when the drifted share of the compared
    /// features reaches <see cref="DriftSettings.DriftShare"/>.
    /// </summary>
    public static DatasetDrift Compare(DatasetProfile reference, DatasetProfile current, DriftSettings? settings)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        settings ??= new DriftSettings();
        var currentByName = new Dictionary<string, FeatureProfile>(StringComparer.Ordinal);
        foreach (var feature in current.Features)
            currentByName.TryAdd(feature.Name, feature);
        var referenceNames = new HashSet<string>(StringComparer.Ordinal);
        var results = new List<FeatureDrift>(Math.Max(reference.Features.Count, current.Features.Count));
        var compared = 0;
        var drifted = 0;
        foreach (var feature in reference.Features)
        {
            if (!referenceNames.Add(feature.Name))
                continue;
            var featureSettings = SettingsFor(settings, feature.Name);
            if (!currentByName.TryGetValue(feature.Name, out var currentFeature))
            {
                results.Add(NotCompared(feature.Name, feature.Kind, featureSettings, "the current data has no such feature"));
                continue;
            }
            var result = CompareFeature(feature, currentFeature, featureSettings);
            results.Add(result);
            // Compared when both sides had values (a compared feature always has its PSI).
            if (result.Psi is not null)
            {
                compared++;
                if (result.Drifted)
                    drifted++;
            }
        }
        foreach (var feature in current.Features)
            if (!referenceNames.Contains(feature.Name))
            {
                referenceNames.Add(feature.Name);
                results.Add(NotCompared(feature.Name, feature.Kind, SettingsFor(settings, feature.Name), "the reference has no such feature"));
            }
        var share = compared == 0 ? 0.0 : (double)drifted / compared;
        return new DatasetDrift(results, drifted, share, settings.DriftShare, compared > 0 && share >= settings.DriftShare);
    }

    /// <summary>
    /// One feature's drift. <paramref name="settings"/> null or without a method takes Evidently's default for the
    /// feature's kind, the reference's size and the number of distinct values. Throws
    /// <see cref="InvalidParameterException"/> for an unknown method or one that does not apply to the feature's kind.
    /// </summary>
    public static FeatureDrift CompareFeature(FeatureProfile reference, FeatureProfile current, FeatureDriftSettings? settings)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        var name = reference.Name;
        var kind = reference.Kind;
        if (settings?.Method is { } requested)
        {
            if (!DriftMethods.All.Contains(requested))
                throw new InvalidParameterException(
                    $"feature '{name}': unknown drift method '{requested}' (one of {string.Join(", ", DriftMethods.All)})");
            if (!DriftMethods.Allows(requested, kind))
                throw new InvalidParameterException(
                    $"feature '{name}': drift method '{requested}' does not apply to a {kind.ToString().ToLowerInvariant()} feature");
        }
        if (current.Kind != kind)
            return NotCompared(name, kind, settings,
                $"the reference is {kind.ToString().ToLowerInvariant()} but the current data is {current.Kind.ToString().ToLowerInvariant()}");
        return kind == FeatureKind.Categorical
            ? CompareCategorical(reference, current, settings)
            : CompareNumerical(reference, current, settings);
    }

    private static FeatureDriftSettings? SettingsFor(DriftSettings settings, string feature)
    {
        var own = settings.Features is { } features && features.TryGetValue(feature, out var f) ? f : null;
        var fallback = settings.Default;
        if (own is null)
            return fallback;
        // A feature's own method brings its own default threshold, not the one set for the default method.
        return new FeatureDriftSettings(
            own.Method ?? fallback?.Method,
            own.Threshold ?? (own.Method is null ? fallback?.Threshold : null));
    }

    private static FeatureDrift NotCompared(string name, FeatureKind kind, FeatureDriftSettings? settings, string note)
    {
        var method = settings?.Method ?? "none";
        var threshold = settings?.Threshold ?? (settings?.Method is { } m ? DriftMethods.DefaultThreshold(m) : 0);
        var neutral = settings?.Method is { } pm && DriftMethods.IsPValue(pm) ? 1.0 : 0.0;
        return new FeatureDrift(name, kind, method, neutral, null, threshold, false, null, null, false, note);
    }

    /// <summary>Evidently's <c>_get_default_stattest</c>.</summary>
    internal static string DefaultMethod(FeatureKind kind, long referenceRows, long distinctValues)
    {
        if (referenceRows <= SmallReferenceRows)
        {
            if (kind == FeatureKind.Numerical && distinctValues > 5)
                return DriftMethods.KolmogorovSmirnov;
            return distinctValues > 2 ? DriftMethods.ChiSquare : DriftMethods.Z;
        }
        return kind == FeatureKind.Numerical && distinctValues > 5 ? DriftMethods.Wasserstein : DriftMethods.JensenShannon;
    }

    private static FeatureDrift Result(
        string name, FeatureKind kind, string method, double? threshold, double score, double? statistic,
        double? psi, bool approximate, string? note)
    {
        var t = threshold ?? DriftMethods.DefaultThreshold(method);
        return new FeatureDrift(name, kind, method, score, statistic, t, DriftMethods.IsDrift(method, score, t),
            psi, psi is { } p ? PsiBand(p) : null, approximate, note);
    }

    /// <summary>PSI's band: stable below 0.1, moderate from 0.1 to 0.25, significant above 0.25.</summary>
    public static string PsiBand(double psi) => psi < 0.1 ? "stable" : psi <= 0.25 ? "moderate" : "significant";

    // ---------------------------------------------------------------- categorical

    private static FeatureDrift CompareCategorical(FeatureProfile reference, FeatureProfile current, FeatureDriftSettings? settings)
    {
        var table = FrequencyTable.FromCategories(reference.Categories, current.Categories);
        if (table.ReferenceRows == 0 || table.CurrentRows == 0)
            return Empty(reference, settings, table.ReferenceRows == 0);
        var method = settings?.Method ?? DefaultMethod(FeatureKind.Categorical, (long)table.ReferenceRows, table.Keys);
        var psi = Psi(table.ReferenceShares(), table.CurrentShares());
        return FromTable(reference.Name, FeatureKind.Categorical, method, settings?.Threshold, table, psi, approximate: false);
    }

    private static FeatureDrift FromTable(
        string name, FeatureKind kind, string method, double? threshold, FrequencyTable table, double psi, bool approximate)
    {
        switch (method)
        {
            case DriftMethods.ChiSquare:
                {
                    var (statistic, p, note) = ChiSquare(table);
                    return Result(name, kind, method, threshold, p, statistic, psi, approximate, note);
                }
            case DriftMethods.Z:
                {
                    var (statistic, p, note) = ZTest(table);
                    return Result(name, kind, method, threshold, p, statistic, psi, approximate, note);
                }
            case DriftMethods.JensenShannon:
                return Result(name, kind, method, threshold, JensenShannon(table.ReferenceShares(), table.CurrentShares()), null, psi, approximate, null);
            case DriftMethods.Psi:
                return Result(name, kind, method, threshold, psi, null, psi, approximate, null);
            default:
                throw new InvalidParameterException($"feature '{name}': drift method '{method}' does not apply to a table of values");
        }
    }

    private static FeatureDrift Empty(FeatureProfile reference, FeatureDriftSettings? settings, bool referenceEmpty) =>
        NotCompared(reference.Name, reference.Kind, settings,
            referenceEmpty ? "the reference has no values for this feature" : "the current data has no values for this feature");

    /// <summary>
    /// Pearson's chi-squared of the current counts against the reference's counts scaled to the current total (Evidently's
    /// <c>chisquare</c>, SciPy's <c>chisquare</c>). A category the reference never saw makes the statistic infinite: the
    /// p-value is 0 and the statistic is left out. With a single category there is nothing to test: p-value 1.
    /// </summary>
    internal static (double? Statistic, double PValue, string? Note) ChiSquare(FrequencyTable table)
    {
        var k = table.Keys;
        if (k < 2)
            return (0.0, 1.0, "a single value on both sides: nothing to test, p-value 1");
        var scale = (double)table.CurrentRows / table.ReferenceRows;
        var terms = new double[k];
        for (var i = 0; i < k; i++)
        {
            var expected = table.Reference[i] * scale;
            var observed = table.Current[i];
            if (expected == 0)
                return (null, 0.0, "a value absent from the reference appears in the current data: chi-squared is infinite, p-value 0");
            var diff = observed - expected;
            terms[i] = diff * diff / expected;
        }
        var statistic = NumpyArithmetic.PairwiseSum(terms);
        return (statistic, NumpyArithmetic.ChiSquaredSurvival(statistic, k - 1), null);
    }

    /// <summary>
    /// Evidently's two-proportion Z-test on the share of rows that are not the first value (values sorted), two-sided
    /// with the normal CDF. The same single value on both sides gives p-value 1, as Evidently; a pooled share of 0 or 1
    /// otherwise (possible only when overridden onto more than two values) gives p-value 1 with a note.
    /// </summary>
    internal static (double? Statistic, double PValue, string? Note) ZTest(FrequencyTable table)
    {
        var n1 = table.ReferenceRows;
        var n2 = table.CurrentRows;
        if (table.Keys == 1)
            return (null, 1.0, null);
        var others1 = n1 - table.Reference[0];
        var others2 = n2 - table.Current[0];
        var p1 = others1 / n1;
        var p2 = others2 / n2;
        var pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
        var variance = pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2);
        if (!(variance > 0))
            return (null, 1.0, "the first value's share is 0 or 1 on both sides: the Z-test has nothing to compare, p-value 1");
        var z = (p1 - p2) / Math.Sqrt(variance);
        return (z, 2 * (1 - NumpyArithmetic.NormalCdf(Math.Abs(z))), null);
    }

    /// <summary>SciPy's <c>jensenshannon(p, q)</c> (natural log) of two share vectors: each renormalised to sum 1.</summary>
    internal static double JensenShannon(double[] p, double[] q)
    {
        var sp = NumpyArithmetic.PairwiseSum(p);
        var sq = NumpyArithmetic.PairwiseSum(q);
        var left = new double[p.Length];
        var right = new double[p.Length];
        for (var i = 0; i < p.Length; i++)
        {
            var pi = p[i] / sp;
            var qi = q[i] / sq;
            var m = (pi + qi) / 2.0;
            left[i] = RelativeEntropy(pi, m);
            right[i] = RelativeEntropy(qi, m);
        }
        var js = NumpyArithmetic.PairwiseSum(left) + NumpyArithmetic.PairwiseSum(right);
        return Math.Sqrt(Math.Max(js, 0) / 2.0);
    }

    // SciPy's rel_entr: x log(x/y), 0 for x = 0; y is a mixture of x, so never 0 where x is not.
    private static double RelativeEntropy(double x, double y) => x > 0 ? x * Math.Log(x / y) : 0.0;

    /// <summary>PSI = Σ (ref − cur)·ln(ref / cur) over shares, each empty share floored at 0.0001.</summary>
    internal static double Psi(double[] reference, double[] current)
    {
        var terms = new double[reference.Length];
        for (var i = 0; i < reference.Length; i++)
        {
            var r = reference[i] == 0 ? PsiFloor : reference[i];
            var c = current[i] == 0 ? PsiFloor : current[i];
            terms[i] = (r - c) * Math.Log(r / c);
        }
        return NumpyArithmetic.CompensatedSum(terms);
    }

    // ---------------------------------------------------------------- numerical

    private static FeatureDrift CompareNumerical(FeatureProfile reference, FeatureProfile current, FeatureDriftSettings? settings)
    {
        var refSample = WeightedSample.From(reference, out var refReason);
        var curSample = WeightedSample.From(current, out var curReason);
        if (refSample is null || curSample is null)
        {
            var note = refSample is null
                ? refReason is null ? "the reference has no values for this feature" : $"the reference: {refReason}"
                : curReason is null ? "the current data has no values for this feature" : $"the current data: {curReason}";
            return NotCompared(reference.Name, FeatureKind.Numerical, settings, note);
        }
        var approximate = !refSample.Exact || !curSample.Exact;
        // Distinct values decide Evidently's choice; a sketch or histogram counts as continuous.
        var distinct = approximate ? long.MaxValue : DistinctUnion(refSample.Values, curSample.Values);
        var method = settings?.Method ?? DefaultMethod(FeatureKind.Numerical, refSample.Rows, distinct);
        var psi = NumericalPsi(refSample, curSample);
        var name = reference.Name;
        switch (method)
        {
            case DriftMethods.KolmogorovSmirnov:
                {
                    var (d, p) = KolmogorovSmirnovTest(refSample, curSample);
                    return Result(name, FeatureKind.Numerical, method, settings?.Threshold, p, d, psi, approximate, null);
                }
            case DriftMethods.Wasserstein:
                {
                    var distance = Wasserstein(refSample, curSample);
                    var std = !refSample.Exact && reference.Std is { } s && double.IsFinite(s) ? s : refSample.Moments().Std;
                    var norm = Math.Max(std, 0.001);
                    return Result(name, FeatureKind.Numerical, method, settings?.Threshold, distance / norm, distance, psi, approximate, null);
                }
            case DriftMethods.JensenShannon:
                {
                    var (p, q) = BinnedShares(refSample, curSample);
                    return Result(name, FeatureKind.Numerical, method, settings?.Threshold, JensenShannon(p, q), null, psi, approximate, null);
                }
            case DriftMethods.Psi:
                return Result(name, FeatureKind.Numerical, method, settings?.Threshold, psi, null, psi, approximate, null);
            default:
                return FromTable(name, FeatureKind.Numerical, method, settings?.Threshold,
                    FrequencyTable.FromSamples(refSample, curSample), psi, approximate);
        }
    }

    private static long DistinctUnion(double[] a, double[] b)
    {
        long count = 0;
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            if (j == b.Length || (i < a.Length && a[i] < b[j]))
                i++;
            else if (i == a.Length || b[j] < a[i])
                j++;
            else
            {
                i++;
                j++;
            }
            count++;
        }
        return count;
    }

    /// <summary>
    /// SciPy's <c>ks_2samp</c>: the largest gap between the two empirical CDFs over every value of either side, and
    /// its p-value for the sides' row counts.
    /// </summary>
    internal static (double Statistic, double PValue) KolmogorovSmirnovTest(WeightedSample reference, WeightedSample current)
    {
        double maxPlus = 0, maxMinus = 0;
        int i = 0, j = 0;
        double cum1 = 0, cum2 = 0;
        var a = reference.Values;
        var b = current.Values;
        while (i < a.Length || j < b.Length)
        {
            var x = j == b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            while (i < a.Length && a[i] == x)
                cum1 = reference.Cumulative[i++];
            while (j < b.Length && b[j] == x)
                cum2 = current.Cumulative[j++];
            var diff = cum1 / reference.Total - cum2 / current.Total;
            if (diff > maxPlus)
                maxPlus = diff;
            if (-diff > maxMinus)
                maxMinus = -diff;
        }
        var d = Math.Min(Math.Max(maxPlus, maxMinus), 1.0);
        var p = KolmogorovSmirnov.PValue(ref d, reference.Rows, current.Rows);
        return (d, p);
    }

    /// <summary>SciPy's <c>wasserstein_distance</c>: ∫ |F − G| over the merged values.</summary>
    internal static double Wasserstein(WeightedSample reference, WeightedSample current)
    {
        int i = 0, j = 0;
        double cum1 = 0, cum2 = 0;
        var a = reference.Values;
        var b = current.Values;
        var sum = 0.0;
        var compensation = 0.0;
        var previous = double.NaN;
        double gap = 0;
        while (i < a.Length || j < b.Length)
        {
            var x = j == b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            if (!double.IsNaN(previous))
            {
                var term = gap * (x - previous);
                var next = sum + term;
                compensation += sum - next + term;
                sum = next;
            }
            while (i < a.Length && a[i] == x)
                cum1 = reference.Cumulative[i++];
            while (j < b.Length && b[j] == x)
                cum2 = current.Cumulative[j++];
            gap = Math.Abs(cum1 / reference.Total - cum2 / current.Total);
            previous = x;
        }
        return sum + compensation;
    }

    /// <summary>
    /// Evidently's <c>get_binned_data</c> without zero-filling: with more than 20 distinct reference values, the shares
    /// of each side in the Sturges bins of both sides' range (numpy's histogram: bins closed on the left, the last on
    /// both sides); otherwise per distinct value of either side.
    /// </summary>
    internal static (double[] Reference, double[] Current) BinnedShares(WeightedSample reference, WeightedSample current)
    {
        var distinctReference = reference.Exact ? reference.Values.Length : long.MaxValue;
        if (distinctReference <= 20)
        {
            var table = FrequencyTable.FromSamples(reference, current);
            return (table.ReferenceShares(), table.CurrentShares());
        }
        var min = Math.Min(reference.Values[0], current.Values[0]);
        var max = Math.Max(reference.Values[^1], current.Values[^1]);
        var edges = NumpyArithmetic.SturgesEdges(min, max, reference.Rows + current.Rows);
        return (HistogramShares(reference, edges), HistogramShares(current, edges));
    }

    private static double[] HistogramShares(WeightedSample sample, double[] edges)
    {
        var bins = edges.Length - 1;
        var shares = new double[bins];
        var below = sample.WeightBelow(edges[0]);
        for (var k = 0; k < bins; k++)
        {
            var upTo = k == bins - 1 ? sample.WeightAtOrBelow(edges[k + 1]) : sample.WeightBelow(edges[k + 1]);
            shares[k] = (upTo - below) / sample.Total;
            below = upTo;
        }
        return shares;
    }

    /// <summary>
    /// PSI over the reference's deciles (numpy's linear quantiles at 0.1 … 0.9, equal edges collapsed): bins
    /// (−∞, q₁], (q₁, q₂], …, (q₉, +∞), closed on the right.
    /// </summary>
    internal static double NumericalPsi(WeightedSample reference, WeightedSample current)
    {
        var edges = Deciles(reference);
        var refShares = new double[edges.Length + 1];
        var curShares = new double[edges.Length + 1];
        double refBelow = 0, curBelow = 0;
        for (var k = 0; k <= edges.Length; k++)
        {
            var refUpTo = k == edges.Length ? reference.Total : reference.WeightAtOrBelow(edges[k]);
            var curUpTo = k == edges.Length ? current.Total : current.WeightAtOrBelow(edges[k]);
            refShares[k] = (refUpTo - refBelow) / reference.Total;
            curShares[k] = (curUpTo - curBelow) / current.Total;
            refBelow = refUpTo;
            curBelow = curUpTo;
        }
        return Psi(refShares, curShares);
    }

    internal static double[] Deciles(WeightedSample reference)
    {
        var deciles = new double[9];
        for (var k = 1; k <= 9; k++)
            deciles[k - 1] = NumpyArithmetic.Quantile(reference.Rows, k / 10.0, reference.AtRank);
        Array.Sort(deciles);
        var edges = new List<double>(9);
        foreach (var q in deciles)
            if (edges.Count == 0 || edges[^1] != q)
                edges.Add(q);
        return [.. edges];
    }
}
