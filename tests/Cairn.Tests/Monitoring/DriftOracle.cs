using System.Globalization;
using System.Text.Json;
using Cairn.Monitoring;

namespace Cairn.Tests.Monitoring;

/// <summary>
/// One dataset pair for the SciPy oracle: raw rows on both sides, as the oracle sees them; the calculator sees their
/// exact profiles.
/// </summary>
public sealed record DriftCase(string Id, FeatureKind Kind, double[]? NumericReference = null, double[]? NumericCurrent = null,
    string[]? CategoricalReference = null, string[]? CategoricalCurrent = null)
{
    public static DriftCase Numerical(string id, IEnumerable<double> reference, IEnumerable<double> current) =>
        new(id, FeatureKind.Numerical, NumericReference: [.. reference], NumericCurrent: [.. current]);

    public static DriftCase Categorical(string id, IEnumerable<string> reference, IEnumerable<string> current) =>
        new(id, FeatureKind.Categorical, CategoricalReference: [.. reference], CategoricalCurrent: [.. current]);

    public FeatureProfile ReferenceProfile => Kind == FeatureKind.Numerical ? ExactProfile(Id, NumericReference!) : CategoricalProfile(Id, CategoricalReference!);

    public FeatureProfile CurrentProfile => Kind == FeatureKind.Numerical ? ExactProfile(Id, NumericCurrent!) : CategoricalProfile(Id, CategoricalCurrent!);

    /// <summary>The exact profile of raw numbers: every distinct value with its count.</summary>
    public static FeatureProfile ExactProfile(string name, IReadOnlyCollection<double> values)
    {
        var points = values.GroupBy(v => v).OrderBy(g => g.Key).Select(g => new WeightedValue(g.Key, g.Count())).ToList();
        return new FeatureProfile(name, FeatureKind.Numerical, values.Count,
            Min: values.Count > 0 ? values.Min() : null, Max: values.Count > 0 ? values.Max() : null,
            Points: points, Exact: true);
    }

    public static FeatureProfile CategoricalProfile(string name, IReadOnlyCollection<string> values) =>
        new(name, FeatureKind.Categorical, values.Count,
            Categories: values.GroupBy(v => v, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal));
}

/// <summary>What SciPy and numpy say about one <see cref="DriftCase"/>, method by method.</summary>
public sealed record OracleFigures(IReadOnlyDictionary<string, (double? Score, double? Statistic)> Methods, double Psi);

/// <summary>The drift oracle: SciPy's tests and distances and a numpy PSI over the raw rows of each case.</summary>
public static class DriftOracle
{
    // Evidently's formulas written out over SciPy/numpy (its package is not installed): ks_2samp; chisquare against the
    // reference counts scaled to the current total; the two-proportion Z-test with norm.cdf; wasserstein_distance over
    // max(np.std(ref), 0.001); jensenshannon over get_binned_data without zero-filling; PSI over the reference's deciles
    // with bins closed on the right and empty shares floored at 0.0001. Keys are sorted (Evidently's set order is
    // arbitrary; the sums' rounding depends on the order).
    private const string Script = """
        import json, sys, math
        from collections import Counter
        import numpy as np
        from scipy import stats
        from scipy.spatial import distance

        def fin(x):
            x = float(x)
            return x if math.isfinite(x) else None

        def table(ref, cur):
            keys = sorted(set(ref) | set(cur))
            rc, cc = Counter(ref), Counter(cur)
            return keys, rc, cc

        def chisq(ref, cur):
            keys, rc, cc = table(ref, cur)
            if len(keys) < 2:
                return [1.0, 0.0]
            k_norm = len(cur) / len(ref)
            f_exp = [rc[k] * k_norm for k in keys]
            f_obs = [cc[k] for k in keys]
            if any(e == 0 for e in f_exp):
                return [0.0, None]
            stat, p = stats.chisquare(f_obs, f_exp)
            return [fin(p), fin(stat)]

        def ztest(ref, cur):
            if len(set(ref)) == 1 and len(set(cur)) == 1 and ref[0] == cur[0]:
                return [1.0, None]
            keys = sorted(set(ref) | set(cur))
            r = [0 if x == keys[0] else 1 for x in ref]
            c = [0 if x == keys[0] else 1 for x in cur]
            n1, n2 = len(r), len(c)
            p1 = float(sum(r)) / n1
            p2 = float(sum(c)) / n2
            P = float(p1 * n1 + p2 * n2) / (n1 + n2)
            den = P * (1 - P) * (1.0 / n1 + 1.0 / n2)
            if not den > 0:
                return [1.0, None]
            z = (p1 - p2) / np.sqrt(den)
            return [fin(2 * (1 - stats.norm.cdf(np.abs(z)))), fin(z)]

        def binned(ref, cur, numerical):
            if numerical and len(np.unique(ref)) > 20:
                combined = np.concatenate([np.asarray(ref, dtype=float), np.asarray(cur, dtype=float)])
                bins = np.histogram_bin_edges(combined, bins="sturges")
                return np.histogram(ref, bins)[0] / len(ref), np.histogram(cur, bins)[0] / len(cur)
            keys, rc, cc = table(ref, cur)
            return np.array([rc[k] / len(ref) for k in keys]), np.array([cc[k] / len(cur) for k in keys])

        def js(ref, cur, numerical):
            p, q = binned(ref, cur, numerical)
            return [fin(distance.jensenshannon(p, q)), None]

        def floored(shares):
            shares = np.array(shares, dtype=float)
            shares[shares == 0] = 0.0001
            return shares

        def psi(ref, cur, numerical):
            if numerical:
                r = np.asarray(ref, dtype=float)
                c = np.asarray(cur, dtype=float)
                edges = np.unique(np.quantile(r, [k / 10 for k in range(1, 10)]))
                rs = np.bincount(np.searchsorted(edges, r, side="left"), minlength=len(edges) + 1) / len(r)
                cs = np.bincount(np.searchsorted(edges, c, side="left"), minlength=len(edges) + 1) / len(c)
            else:
                keys, rc, cc = table(ref, cur)
                rs = np.array([rc[k] / len(ref) for k in keys])
                cs = np.array([cc[k] / len(cur) for k in keys])
            rs, cs = floored(rs), floored(cs)
            return float(np.sum((rs - cs) * np.log(rs / cs)))

        out = {}
        for case in json.load(open(sys.argv[1])):
            numerical = case["Kind"] in (0, "Numerical")
            ref = case["NumericReference"] if numerical else case["CategoricalReference"]
            cur = case["NumericCurrent"] if numerical else case["CategoricalCurrent"]
            m = {"chisquare": chisq(ref, cur), "z": ztest(ref, cur), "jensenshannon": js(ref, cur, numerical)}
            if numerical:
                ks = stats.ks_2samp(ref, cur)
                m["ks"] = [fin(ks.pvalue), fin(ks.statistic)]
                wd = stats.wasserstein_distance(ref, cur)
                m["wasserstein"] = [fin(wd / max(float(np.std(ref)), 0.001)), fin(wd)]
            p = psi(ref, cur, numerical)
            m["psi"] = [p, None]
            out[case["Id"]] = {"methods": m, "psi": p}
        print(json.dumps(out))
        """;

    /// <summary>The oracle's figures for every case, by case id.</summary>
    public static IReadOnlyDictionary<string, OracleFigures> Evaluate(IReadOnlyList<DriftCase> cases)
    {
        var answer = ScipyOracle.Run(Script, cases);
        var result = new Dictionary<string, OracleFigures>();
        foreach (var c in answer.EnumerateObject())
        {
            var methods = new Dictionary<string, (double?, double?)>();
            foreach (var m in c.Value.GetProperty("methods").EnumerateObject())
                methods[m.Name] = (Number(m.Value[0]), Number(m.Value[1]));
            result[c.Name] = new OracleFigures(methods, c.Value.GetProperty("psi").GetDouble());
        }
        return result;
    }

    private static double? Number(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : null;

    /// <summary>True when <paramref name="actual"/> equals <paramref name="expected"/> to 1e-9 relative, or 1e-12 absolute near 0.</summary>
    public static bool Close(double expected, double actual, double relative = 1e-9, double absolute = 1e-12) =>
        Math.Abs(expected - actual) <= Math.Max(relative * Math.Abs(expected), absolute);

    public static string Describe(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
