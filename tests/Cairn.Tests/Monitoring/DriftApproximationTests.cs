using Cairn.Lineage;
using Cairn.Monitoring;
using Cairn.Monitoring.Drift;
using Xunit.Abstractions;

namespace Cairn.Tests.Monitoring;

/// <summary>
/// Drift from non-exact profiles (a sketch's centroids, a histogram, quantiles) against the exact figures on the same
/// large samples: the approximation is marked and stays within the tolerances documented in docs/monitoring.md.
/// </summary>
[Trait("Store", "none")]
public sealed class DriftApproximationTests(ITestOutputHelper output)
{
    private static double[] Sample(Random rng, int n, double mean, double sd, bool skewed) =>
        [.. Enumerable.Range(0, n).Select(_ =>
        {
            var z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            return skewed ? mean + sd * Math.Exp(z / 2) : mean + sd * z;
        })];

    private static (double Mean, double Std) Moments(double[] values)
    {
        var mean = values.Average();
        return (mean, Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length));
    }

    /// <summary>A sketch: the sorted rows in groups of equal count, each group's mean weighted by its size.</summary>
    private static FeatureProfile Sketch(string name, double[] values, int centroids)
    {
        var sorted = values.Order().ToArray();
        var points = new List<WeightedValue>();
        for (var c = 0; c < centroids; c++)
        {
            var from = (int)((long)c * sorted.Length / centroids);
            var to = (int)((long)(c + 1) * sorted.Length / centroids);
            if (to > from)
                points.Add(new WeightedValue(sorted.AsSpan(from, to - from).ToArray().Average(), to - from));
        }
        var (mean, std) = Moments(values);
        return new FeatureProfile(name, FeatureKind.Numerical, values.Length, Min: sorted[0], Max: sorted[^1], Mean: mean, Std: std,
            Points: points, Exact: false);
    }

    private static FeatureProfile Histogram(string name, double[] values, int bins)
    {
        var min = values.Min();
        var max = values.Max();
        var edges = Enumerable.Range(0, bins + 1).Select(i => min + (max - min) * i / bins).ToArray();
        var counts = new long[bins];
        foreach (var v in values)
            counts[Math.Min(bins - 1, (int)((v - min) / (max - min) * bins))]++;
        var (mean, std) = Moments(values);
        return new FeatureProfile(name, FeatureKind.Numerical, values.Length, Min: min, Max: max, Mean: mean, Std: std,
            Histogram: new Histogram(edges, counts));
    }

    private static FeatureProfile Quantiles(string name, double[] values, int count)
    {
        var sorted = values.Order().ToArray();
        var quantiles = new Dictionary<string, double>();
        for (var i = 1; i < count; i++)
        {
            var p = (double)i / count;
            quantiles[p.ToString("R", System.Globalization.CultureInfo.InvariantCulture)] = sorted[(int)(p * (sorted.Length - 1))];
        }
        var (mean, std) = Moments(values);
        return new FeatureProfile(name, FeatureKind.Numerical, values.Length, Min: sorted[0], Max: sorted[^1], Mean: mean, Std: std,
            Quantiles: quantiles);
    }

    public static TheoryData<string, double, double, bool> Shapes => new()
    {
        { "same", 0, 1, false },
        { "small-shift", 0.05, 1, false },
        { "shift", 0.3, 1, false },
        { "wider", 0, 1.5, false },
        { "skewed-shift", 0.2, 1, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Figures_from_sketches_histograms_and_quantiles_stay_close_to_the_exact_ones(string shape, double shift, double scale, bool skewed)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CAIRN_TEST_DRIFT_SEED"), out var s) ? s : 18;
        var rng = new Random(seed * 31 + shape.Length);
        var reference = Sample(rng, 20_000, 10, 2, skewed);
        var current = Sample(rng, 15_000, 10 + 2 * shift, 2 * scale, skewed);
        var exactRef = DriftCase.ExactProfile("x", reference);
        var exactCur = DriftCase.ExactProfile("x", current);
        var approximations = new (string Name, FeatureProfile Ref, FeatureProfile Cur)[]
        {
            ("sketch-200", Sketch("x", reference, 200), Sketch("x", current, 200)),
            ("histogram-50", Histogram("x", reference, 50), Histogram("x", current, 50)),
            ("quantiles-100", Quantiles("x", reference, 100), Quantiles("x", current, 100)),
        };
        foreach (var method in new[] { "ks", "wasserstein", "jensenshannon", "psi" })
        {
            var exact = DriftCalculator.CompareFeature(exactRef, exactCur, new FeatureDriftSettings(method));
            Assert.False(exact.Approximate);
            foreach (var (name, r, c) in approximations)
            {
                var approximate = DriftCalculator.CompareFeature(r, c, new FeatureDriftSettings(method));
                Assert.True(approximate.Approximate);
                var (figure, exactFigure) = method == "ks" ? (approximate.Statistic!.Value, exact.Statistic!.Value) : (approximate.Score, exact.Score);
                var error = Math.Abs(figure - exactFigure);
                output.WriteLine($"{shape} {method} {name}: exact {exactFigure:G6}, approximate {figure:G6}, error {error:G3}");
                Assert.True(error <= (method == "psi" ? Math.Max(Tolerance(method, name), 0.1 * exactFigure) : Tolerance(method, name)), $"{shape} {method} {name}: exact {exactFigure}, approximate {figure}");
                Assert.True(Math.Abs(approximate.Psi!.Value - exact.Psi!.Value) <= Math.Max(Tolerance("psi", name), 0.1 * exact.Psi!.Value), $"{shape} psi {name}: exact {exact.Psi}, approximate {approximate.Psi}");
            }
        }
    }

    /// <summary>
    /// The absolute tolerances docs/monitoring.md states: the largest errors measured over six seeds (set
    /// CAIRN_TEST_DRIFT_SEED) and these five shapes were KS D 0.004, Wasserstein 0.002 (0.037 from quantiles, whose
    /// tails beyond the outer quantiles are unknown), Jensen-Shannon 0.029, PSI 0.018 (0.028, 9 %, for a skewed shift
    /// seen through 50 wide bins: PSI is held to 0.025 or 10 %, whichever is larger).
    /// </summary>
    private static double Tolerance(string method, string representation) => method switch
    {
        "ks" => 0.01,
        "wasserstein" => representation.StartsWith("quantiles", StringComparison.Ordinal) ? 0.05 : 0.01,
        "jensenshannon" => 0.035,
        _ => 0.025,
    };

    [Fact]
    public void Categorical_profiles_are_always_exact()
    {
        var reference = DriftCase.CategoricalProfile("c", ["a", "b", "b"]);
        Assert.False(DriftCalculator.CompareFeature(reference, reference, null).Approximate);
    }
}
