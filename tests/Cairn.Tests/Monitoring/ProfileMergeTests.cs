using System.Text.Json;
using Cairn.Monitoring;
using Cairn.Monitoring.Profiling;

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
}
