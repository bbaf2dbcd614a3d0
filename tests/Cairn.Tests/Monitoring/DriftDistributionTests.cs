using System.Globalization;
using System.Text;
using Cairn.Monitoring.Drift;

namespace Cairn.Tests.Monitoring;

/// <summary>
/// The distributions under the p-values, on grids that reach every branch SciPy takes, against SciPy itself:
/// MathNet's chi-squared and normal tails, the exact two-sample KS distribution, Kolmogorov's (kstwo) and Smirnov's.
/// </summary>
[Trait("Store", "none")]
public sealed class DriftDistributionTests
{
    private const string Script = """
        import json, sys, math
        from math import gcd
        from scipy import stats, special
        from scipy.stats import _stats_py
        data = json.load(open(sys.argv[1]))
        def fin(x):
            x = float(x)
            return x if math.isfinite(x) else None
        out = {
            "chi2": [fin(stats.chi2.sf(x, df)) for df, x in data["chi2"]],
            "ndtr": [fin(special.ndtr(x)) for x in data["ndtr"]],
            "kstwo": [fin(stats.kstwo.sf(x, n)) for n, x in data["kstwo"]],
            "smirnov": [fin(special.smirnov(n, x)) for n, x in data["smirnov"]],
            "exact": [],
        }
        for n1, n2, d in data["exact"]:
            ok, dd, p = _stats_py._attempt_exact_2kssamp(n1, n2, gcd(n1, n2), d, "two-sided")
            out["exact"].append([bool(ok), fin(dd), fin(p)])
        print(json.dumps(out))
        """;

    [SkippableFact]
    public void Special_functions_equal_SciPy_on_grids_through_every_branch()
    {
        var chi2 = new List<double[]>();
        foreach (var df in new[] { 1, 2, 3, 4, 5, 7, 10, 25, 50, 99, 250, 1000 })
            foreach (var x in new[] { 1e-6, 0.01, 0.5, 1, 2, 3.84, 5, 10, 20, 50, 100, 200, 500, 1000, 1500, 3000 })
                chi2.Add([df, x]);
        double[] ndtr = [.. Enumerable.Range(-80, 161).Select(i => i / 10.0), 0.3, -0.7071, 0.7072, 12, -12, 37];
        var kstwo = new List<double[]>();
        foreach (var n in new[] { 1, 2, 5, 10, 40, 100, 140, 141, 500, 1000, 5000, 20000, 100_000, 100_001, 400_000 })
            foreach (var x in new[] { 0.0005, 0.001, 0.003, 0.005, 0.008, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.45, 0.5, 0.6, 0.8, 0.95, 0.99 })
                kstwo.Add([n, x]);
        var smirnov = new List<double[]>();
        foreach (var n in new[] { 1, 2, 3, 10, 50, 140, 1000, 5000, 20000 })
            foreach (var x in new[] { 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.51, 0.7, 0.9, 0.999 })
                smirnov.Add([n, x]);
        var exact = new List<double[]>();
        foreach (var (n1, n2) in new[] { (3, 4), (10, 10), (20, 35), (50, 60), (100, 100), (300, 200), (999, 1000), (1000, 4000), (37, 9000), (10000, 10000), (7000, 10000) })
            foreach (var d in new[] { 0.001, 0.01, 0.03, 0.05, 0.1, 0.2, 0.5, 0.9, 1.0 })
                exact.Add([n1, n2, d]);

        var answer = ScipyOracle.Run(Script, new { chi2, ndtr, kstwo, smirnov, exact });
        var failures = new StringBuilder();
        void Check(string what, double? expected, double actual)
        {
            if (expected is not { } e || !DriftOracle.Close(e, actual))
                failures.AppendLine(CultureInfo.InvariantCulture, $"{what}: SciPy {expected?.ToString("R", CultureInfo.InvariantCulture) ?? "null"}, Cairn {actual.ToString("R", CultureInfo.InvariantCulture)}");
        }
        var chiOut = answer.GetProperty("chi2");
        for (var i = 0; i < chi2.Count; i++)
            Check($"chi2.sf({chi2[i][1]}, {chi2[i][0]})", Value(chiOut[i]), NumpyArithmetic.ChiSquaredSurvival(chi2[i][1], (int)chi2[i][0]));
        var ndtrOut = answer.GetProperty("ndtr");
        for (var i = 0; i < ndtr.Length; i++)
            Check($"ndtr({ndtr[i]})", Value(ndtrOut[i]), NumpyArithmetic.NormalCdf(ndtr[i]));
        var kstwoOut = answer.GetProperty("kstwo");
        for (var i = 0; i < kstwo.Count; i++)
            Check($"kstwo.sf({kstwo[i][1]}, {kstwo[i][0]})", Value(kstwoOut[i]), KolmogorovSmirnov.KolmogorovSurvival((long)kstwo[i][0], kstwo[i][1]));
        var smirnovOut = answer.GetProperty("smirnov");
        for (var i = 0; i < smirnov.Count; i++)
            Check($"smirnov({smirnov[i][0]}, {smirnov[i][1]})", Value(smirnovOut[i]), KolmogorovSmirnov.SmirnovSurvival((long)smirnov[i][0], smirnov[i][1]));
        var exactOut = answer.GetProperty("exact");
        for (var i = 0; i < exact.Count; i++)
        {
            var d = exact[i][2];
            var p = KolmogorovSmirnov.PValue(ref d, (long)exact[i][0], (long)exact[i][1]);
            if (exactOut[i][0].GetBoolean())
            {
                Check($"exact KS D ({exact[i][0]}, {exact[i][1]}, {exact[i][2]})", Value(exactOut[i][1]), d);
                Check($"exact KS p ({exact[i][0]}, {exact[i][1]}, {exact[i][2]})", Value(exactOut[i][2]), p);
            }
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    private static double? Value(System.Text.Json.JsonElement e) =>
        e.ValueKind == System.Text.Json.JsonValueKind.Number ? e.GetDouble() : null;
}
