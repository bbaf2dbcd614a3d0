using System.Text.Json;
using Cairn.Monitoring;
using Cairn.Monitoring.Profiling;
using CsCheck;

namespace Cairn.Tests.Monitoring;

/// <summary>Merging many profiles in one pass (the drift report over a range) against folding them two at a time.</summary>
[Trait("Store", "none")]
public sealed class ProfileMergeTests
{
    private static string Json(DatasetProfile profile) => JsonSerializer.Serialize(profile, CairnJson.Options);

    private static DatasetProfile Fold(IEnumerable<DatasetProfile> profiles) => profiles.Aggregate((a, b) => FeatureProfiler.Merge(a, b));

    [Fact]
    public void Exact_profiles_merge_in_one_pass_as_they_fold_with_a_feature_one_window_lacks_counted_missing()
    {
        var lacking = MonitoringWindowsApiTests.ExactProfile(120, 4);
        lacking = lacking with { Features = [.. lacking.Features.Where(f => f.Name != "flag")] };
        DatasetProfile[] profiles = [MonitoringWindowsApiTests.ExactProfile(100, 1), lacking, MonitoringWindowsApiTests.ExactProfile(200, 2), MonitoringWindowsApiTests.ExactProfile(150, 3, shift: 5)];
        var merged = FeatureProfiler.Merge(profiles);
        Assert.Equal(Json(Fold(profiles)), Json(merged));
        Assert.Equal(120, merged.Features.Single(f => f.Name == "flag").Missing);
        Assert.True(merged.Features.Single(f => f.Name == "amount").Exact);
    }

    [Fact]
    public void Sketches_merge_into_one_digest_with_the_folds_counts_and_moments()
    {
        var random = new Random(7);
        var profiles = Enumerable.Range(0, 6).Select(w => new DatasetProfile(5_000,
        [
            new FeatureProfile("x", FeatureKind.Numerical, 5_000, 0, -4 + w, 4 + w, w * 0.1, 1.5,
                [.. Enumerable.Range(0, 300).Select(c => new WeightedValue(w + (c - 150) / 40.0 + random.NextDouble() * 0.01, 5_000 / 300.0))], Exact: false),
        ])).ToList();
        var merged = FeatureProfiler.Merge(profiles).Features.Single();
        var folded = Fold(profiles).Features.Single();
        Assert.Equal((folded.Count, folded.Mean, folded.Std, folded.Min, folded.Max), (merged.Count, merged.Mean, merged.Std, merged.Min, merged.Max));
        Assert.False(merged.Exact);
        Assert.Equal(30_000, merged.Points!.Sum(p => p.Weight), 6);
        Assert.True(merged.Points!.Zip(merged.Points!.Skip(1)).All(p => p.First.Value < p.Second.Value));
        Assert.InRange(merged.Points!.Count, 300, 1_600);
    }

    [Fact]
    public void Stored_profiles_pack_their_points_bit_for_bit_and_rows_stored_as_json_arrays_still_read()
    {
        var profile = MonitoringWindowsApiTests.ExactProfile(300, 5);
        var stored = StoredProfiles.Serialize(profile);
        Assert.DoesNotContain("[[", stored, StringComparison.Ordinal);
        Assert.Equal(Json(profile), Json(StoredProfiles.Deserialize(stored)));
        Assert.Equal(Json(profile), Json(StoredProfiles.Deserialize(Json(profile))));
    }

    [Fact]
    public void Sorted_runs_merge_into_the_digest_that_adding_every_point_one_by_one_gives_bit_for_bit()
    {
        // Windows of centroids, each ascending as stored (or now and then not), no value shared between windows: a sort
        // then has one order to give, so merging the runs must give what adding the points one at a time gives. Under
        // 8,192 points in all the point-by-point digest compresses once, as the merged runs do.
        Gen.Select(Gen.Int[1, 27], Gen.Int[1, 300], Gen.Double[20, 2_000], Gen.Int[0, 1_000_000]).Sample((windows, centroids, compression, seed) =>
        {
            var random = new Random(seed);
            var runs = Enumerable.Range(0, windows).Select(w => Centroids(random, random.Next(1, centroids + 1), shift: w * 0.1)).ToList();
            if (random.Next(4) == 0)
            {
                var shuffled = random.Next(windows);
                runs[shuffled] = [.. runs[shuffled].OrderBy(_ => random.Next())];
            }
            var byPoint = new TDigest(compression);
            foreach (var run in runs)
            {
                foreach (var p in run)
                    byPoint.Add(p.Value, p.Weight);
            }
            var byRuns = new TDigest(compression);
            byRuns.AddSortedRuns(runs);
            Assert.Equal(byPoint.TotalWeight, byRuns.TotalWeight);
            Assert.Equal(byPoint.Centroids(), byRuns.Centroids());
        });
    }

    [Fact]
    public void Sorted_runs_past_one_batch_merge_in_one_pass_with_the_quantiles_of_every_point()
    {
        // 40 windows of 300 centroids: the point-by-point digest compresses in two batches, the merged runs in one; both
        // must keep every quantile within the digest's accuracy of the points' own.
        var random = new Random(11);
        var runs = Enumerable.Range(0, 40).Select(w => Centroids(random, 300, shift: w * 0.05)).ToList();
        var byRuns = new TDigest(1_000);
        byRuns.AddSortedRuns(runs);
        var byPoint = new TDigest(1_000);
        foreach (var p in runs.SelectMany(r => r))
            byPoint.Add(p.Value, p.Weight);
        var points = runs.SelectMany(r => r).OrderBy(p => p.Value).ToList();
        var total = points.Sum(p => p.Weight);
        Assert.Equal(total, byRuns.TotalWeight, 6);
        foreach (var q in new[] { 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999 })
        {
            var exact = RankOf(points, Quantile(points, q)) / total;
            Assert.InRange(RankOf(points, Quantile(byRuns.Centroids(), q)) / total, exact - 0.002, exact + 0.002);
            Assert.InRange(RankOf(points, Quantile(byPoint.Centroids(), q)) / total, exact - 0.002, exact + 0.002);
        }
    }

    /// <summary>A window's centroids: ascending, distinct, with weights of 0 now and then (a point that adds nothing).</summary>
    private static List<WeightedValue> Centroids(Random random, int count, double shift) =>
        [.. Enumerable.Range(0, count)
            .Select(_ => shift + Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))
            .Distinct()
            .Order()
            .Select(v => new WeightedValue(v, random.Next(50) == 0 ? 0 : 1 + random.NextDouble() * 30))];

    private static double Quantile(IReadOnlyList<WeightedValue> points, double q)
    {
        var target = q * points.Sum(p => p.Weight);
        var running = 0.0;
        foreach (var p in points)
        {
            running += p.Weight;
            if (running >= target)
                return p.Value;
        }
        return points[^1].Value;
    }

    private static double RankOf(List<WeightedValue> sorted, double value) => sorted.TakeWhile(p => p.Value <= value).Sum(p => p.Weight);
}
