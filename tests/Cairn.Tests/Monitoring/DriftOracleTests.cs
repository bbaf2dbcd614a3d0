using System.Globalization;
using System.Text;
using Cairn.Monitoring;
using Cairn.Monitoring.Drift;
using CsCheck;

namespace Cairn.Tests.Monitoring;

/// <summary>
/// Every drift method, from exact profiles, against SciPy and numpy on the same rows: to 1e-9 relative (1e-12 absolute
/// near 0), on hand-picked regimes and on CsCheck-generated datasets.
/// </summary>
[Trait("Store", "none")]
public sealed class DriftOracleTests
{
    private static readonly string[] NumericalMethods = ["ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi"];
    private static readonly string[] CategoricalMethods = ["chisquare", "z", "jensenshannon", "psi"];

    private static double[] Normal(Random rng, int n, double mean = 0, double sd = 1) =>
        [.. Enumerable.Range(0, n).Select(_ => mean + sd * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))];

    private static double[] Integers(Random rng, int n, int low, int high) => [.. Enumerable.Range(0, n).Select(_ => (double)rng.Next(low, high + 1))];

    private static string[] Letters(Random rng, int n, string pool, double[]? weights = null)
    {
        weights ??= [.. pool.Select(_ => 1.0)];
        var total = weights.Sum();
        return [.. Enumerable.Range(0, n).Select(_ =>
        {
            var u = rng.NextDouble() * total;
            for (var i = 0; i < pool.Length; i++)
                if ((u -= weights[i]) < 0)
                    return pool[i].ToString();
            return pool[^1].ToString();
        })];
    }

    /// <summary>Hand-picked regimes: small and large, ties, identical, disjoint, unequal sizes, constants, categories.</summary>
    private static List<DriftCase> Regimes()
    {
        var rng = new Random(18);
        var same = Normal(rng, 400);
        return
        [
            DriftCase.Numerical("small-shift", Normal(rng, 50), Normal(rng, 60, 0.5)),
            DriftCase.Numerical("tiny", [1.5, 2.5, 0.5], [3.0, 1.0, 2.0, 0.25]),
            DriftCase.Numerical("ties", Integers(rng, 200, 0, 9), Integers(rng, 150, 1, 10)),
            DriftCase.Numerical("identical", same, same),
            DriftCase.Numerical("disjoint", Normal(rng, 80), Normal(rng, 90, 100)),
            DriftCase.Numerical("unequal-sizes", Normal(rng, 30), Normal(rng, 47, 0.2, 1.3)),
            DriftCase.Numerical("equal-sizes", Normal(rng, 300), Normal(rng, 300, 0.15)),
            DriftCase.Numerical("constant-reference", Enumerable.Repeat(3.0, 120), Normal(rng, 100, 3)),
            DriftCase.Numerical("both-constant", Enumerable.Repeat(7.0, 50), Enumerable.Repeat(7.0, 70)),
            DriftCase.Numerical("constant-apart", Enumerable.Repeat(1.0, 50), Enumerable.Repeat(2.0, 70)),
            DriftCase.Numerical("five-values", Integers(rng, 300, 1, 5), Integers(rng, 280, 1, 5)),
            DriftCase.Numerical("six-values", Integers(rng, 300, 1, 6), Integers(rng, 280, 2, 6)),
            DriftCase.Numerical("binary", Integers(rng, 500, 0, 1), Integers(rng, 400, 0, 1)),
            DriftCase.Numerical("large", Normal(rng, 2000), Normal(rng, 1500, 0.05)),
            DriftCase.Numerical("large-ties", Integers(rng, 3000, 0, 40), Integers(rng, 2500, 0, 45)),
            DriftCase.Numerical("one-side-large", Normal(rng, 20), Normal(rng, 12000, 0.3)),
            DriftCase.Numerical("asymptotic-shift", Normal(rng, 12000), Normal(rng, 15000, 0.03)),
            DriftCase.Numerical("asymptotic-same", Normal(rng, 11000), Normal(rng, 11000)),
            DriftCase.Numerical("asymptotic-far", Normal(rng, 10001), Normal(rng, 10500, 0.2)),
            DriftCase.Numerical("exact-10000", Normal(rng, 10000), Normal(rng, 9000, 0.02)),
            DriftCase.Categorical("two-categories", Letters(rng, 300, "ab", [3, 1]), Letters(rng, 200, "ab", [1, 1])),
            DriftCase.Categorical("single-category", Letters(rng, 40, "x"), Letters(rng, 30, "x")),
            DriftCase.Categorical("single-each", Letters(rng, 40, "x"), Letters(rng, 30, "y")),
            DriftCase.Categorical("three-categories", Letters(rng, 500, "abc", [5, 3, 2]), Letters(rng, 450, "abc", [4, 3, 3])),
            DriftCase.Categorical("unseen-current", Letters(rng, 300, "abc"), Letters(rng, 300, "abcd")),
            DriftCase.Categorical("vanished", Letters(rng, 300, "abcd"), Letters(rng, 300, "abc")),
            DriftCase.Categorical("many", Letters(rng, 5000, "abcdefghijklmnopqrstuvwxyz"), Letters(rng, 4000, "abcdefghijklmnopqrstuvwxyz")),
        ];
    }

    [SkippableFact]
    public void Every_method_on_exact_profiles_equals_SciPy_across_the_regimes() => AssertAgainstOracle(Regimes());

    [SkippableFact]
    public void Every_method_on_generated_datasets_equals_SciPy()
    {
        ScipyOracle.RequireOrSkip();
        var cases = new List<DriftCase>();
        var numbers = Gen.Select(Gen.Int[1, 400], Gen.Int[1, 400], Gen.Int[0, 3], Gen.Int[0, 1_000_000]);
        numbers.Sample((n1, n2, shape, seed) =>
        {
            var rng = new Random(seed);
            double[] Draw(int n, double shift) => shape switch
            {
                0 => Normal(rng, n, shift),
                1 => Integers(rng, n, 0, 3 + (int)(shift * 4)),
                2 => Integers(rng, n, -30, 30 + (int)(shift * 10)),
                _ => [.. Normal(rng, n, shift).Select(v => Math.Round(v, 1))],
            };
            lock (cases)
                cases.Add(DriftCase.Numerical($"gen-num-{cases.Count}", Draw(n1, 0), Draw(n2, rng.NextDouble() * 0.5)));
        }, iter: 60, threads: 1);
        var categories = Gen.Select(Gen.Int[1, 600], Gen.Int[1, 600], Gen.Int[1, 8], Gen.Int[0, 1_000_000]);
        categories.Sample((n1, n2, k, seed) =>
        {
            var rng = new Random(seed);
            const string pool = "abcdefghij";
            var reference = Letters(rng, n1, pool[..k]);
            var current = Letters(rng, n2, pool[..Math.Min(pool.Length, k + rng.Next(0, 2))]);
            lock (cases)
                cases.Add(DriftCase.Categorical($"gen-cat-{cases.Count}", reference, current));
        }, iter: 40, threads: 1);
        AssertAgainstOracle(cases);
    }

    private static void AssertAgainstOracle(IReadOnlyList<DriftCase> cases)
    {
        var oracle = DriftOracle.Evaluate(cases);
        var failures = new StringBuilder();
        var checkedFigures = 0;
        foreach (var c in cases)
        {
            var expected = oracle[c.Id];
            var methods = c.Kind == FeatureKind.Numerical ? NumericalMethods : CategoricalMethods;
            foreach (var method in methods)
            {
                var actual = DriftCalculator.CompareFeature(c.ReferenceProfile, c.CurrentProfile, new FeatureDriftSettings(method));
                var (score, statistic) = expected.Methods[method];
                Assert.NotNull(score);
                Check(c.Id, method, "score", score!.Value, actual.Score);
                if (method is "ks" or "chisquare" or "z" or "wasserstein")
                {
                    if (statistic is { } s)
                        Check(c.Id, method, "statistic", s, actual.Statistic ?? double.NaN);
                    else if (actual.Statistic is not null && method is not "chisquare")
                        failures.AppendLine(CultureInfo.InvariantCulture, $"{c.Id} {method}: statistic {actual.Statistic} where SciPy has none");
                }
                Check(c.Id, method, "psi", expected.Psi, actual.Psi ?? double.NaN);
                Assert.False(actual.Approximate);
            }
        }
        Assert.True(failures.Length == 0, $"{failures}\n({checkedFigures} figures checked)");

        void Check(string id, string method, string what, double e, double a)
        {
            checkedFigures++;
            if (!DriftOracle.Close(e, a))
                failures.AppendLine(CultureInfo.InvariantCulture, $"{id} {method} {what}: SciPy {DriftOracle.Describe(e)}, Cairn {DriftOracle.Describe(a)}");
        }
    }
}
