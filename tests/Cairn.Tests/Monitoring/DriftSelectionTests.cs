using Cairn.Monitoring;
using Cairn.Monitoring.Drift;

namespace Cairn.Tests.Monitoring;

/// <summary>Evidently's default choice of test on each boundary, overrides, validation and the dataset verdict.</summary>
public sealed class DriftSelectionTests
{
    private static FeatureProfile Numbers(string name, int rows, int distinct, double shift = 0) =>
        DriftCase.ExactProfile(name, [.. Enumerable.Range(0, rows).Select(i => (double)(i % distinct) + shift)]);

    private static FeatureProfile Labels(string name, int rows, int distinct) =>
        DriftCase.CategoricalProfile(name, [.. Enumerable.Range(0, rows).Select(i => ((char)('a' + i % distinct)).ToString())]);

    [Theory]
    [InlineData(1000, 6, "ks")]
    [InlineData(1000, 5, "chisquare")]
    [InlineData(1000, 3, "chisquare")]
    [InlineData(1000, 2, "z")]
    [InlineData(1001, 6, "wasserstein")]
    [InlineData(1001, 5, "jensenshannon")]
    [InlineData(1001, 2, "jensenshannon")]
    public void A_numerical_feature_gets_Evidentlys_default_test(int referenceRows, int distinct, string expected)
    {
        var drift = DriftCalculator.CompareFeature(Numbers("x", referenceRows, distinct), Numbers("x", 500, distinct), null);
        Assert.Equal(expected, drift.Method);
    }

    [Fact]
    public void Distinct_values_are_counted_over_both_sides()
    {
        // Five values in the reference and a sixth in the current data make six: KS, not chi-squared.
        var drift = DriftCalculator.CompareFeature(Numbers("x", 100, 5), Numbers("x", 100, 5, shift: 1), null);
        Assert.Equal("ks", drift.Method);
    }

    [Theory]
    [InlineData(1000, 2, "z")]
    [InlineData(1000, 3, "chisquare")]
    [InlineData(1000, 1, "z")]
    [InlineData(1001, 2, "jensenshannon")]
    [InlineData(1001, 3, "jensenshannon")]
    public void A_categorical_feature_gets_Evidentlys_default_test(int referenceRows, int distinct, string expected)
    {
        var drift = DriftCalculator.CompareFeature(Labels("c", referenceRows, distinct), Labels("c", 300, distinct), null);
        Assert.Equal(expected, drift.Method);
    }

    [Fact]
    public void Thresholds_default_per_method_and_can_be_overridden()
    {
        var small = DriftCalculator.CompareFeature(Numbers("x", 100, 50), Numbers("x", 100, 50), null);
        Assert.Equal(0.05, small.Threshold);
        var large = DriftCalculator.CompareFeature(Numbers("x", 2000, 50), Numbers("x", 100, 50), null);
        Assert.Equal(0.1, large.Threshold);
        var psi = DriftCalculator.CompareFeature(Numbers("x", 100, 50), Numbers("x", 100, 50, 20), new FeatureDriftSettings("psi", 0.3));
        Assert.Equal("psi", psi.Method);
        Assert.Equal(0.3, psi.Threshold);
        Assert.Equal(psi.Psi, psi.Score);
        Assert.True(psi.Drifted);
    }

    [Fact]
    public void An_unknown_method_or_one_not_for_the_kind_names_the_feature_and_method()
    {
        var unknown = Assert.Throws<InvalidParameterException>(() =>
            DriftCalculator.CompareFeature(Numbers("age", 10, 5), Numbers("age", 10, 5), new FeatureDriftSettings("anderson")));
        Assert.Contains("age", unknown.Message);
        Assert.Contains("anderson", unknown.Message);
        var wrongKind = Assert.Throws<InvalidParameterException>(() =>
            DriftCalculator.CompareFeature(Labels("colour", 10, 3), Labels("colour", 10, 3), new FeatureDriftSettings("ks")));
        Assert.Contains("colour", wrongKind.Message);
        Assert.Contains("ks", wrongKind.Message);
    }

    [Fact]
    public void Settings_are_validated_before_they_are_stored()
    {
        DriftSettingsValidator.Validate(new DriftSettings(new FeatureDriftSettings("psi", 0.2),
            new Dictionary<string, FeatureDriftSettings> { ["age"] = new("ks", 0.01) }, 0.3));
        Assert.Contains("features.age.method", Assert.Throws<InvalidParameterException>(() => DriftSettingsValidator.Validate(
            new DriftSettings(Features: new Dictionary<string, FeatureDriftSettings> { ["age"] = new("kss") }))).Message);
        Assert.Contains("default.threshold", Assert.Throws<InvalidParameterException>(() => DriftSettingsValidator.Validate(
            new DriftSettings(new FeatureDriftSettings("ks", 1.5)))).Message);
        Assert.Contains("default.threshold", Assert.Throws<InvalidParameterException>(() => DriftSettingsValidator.Validate(
            new DriftSettings(new FeatureDriftSettings(null, double.NaN)))).Message);
        Assert.Contains("drift_share", Assert.Throws<InvalidParameterException>(() => DriftSettingsValidator.Validate(
            new DriftSettings(DriftShare: 0))).Message);
    }

    [Fact]
    public void The_dataset_drifts_when_the_drifted_share_reaches_the_setting()
    {
        var reference = new DatasetProfile(100, [Numbers("a", 100, 50), Numbers("b", 100, 50), Numbers("c", 100, 50), Numbers("d", 100, 50)]);
        var current = new DatasetProfile(100, [Numbers("a", 100, 50, 40), Numbers("b", 100, 50, 40), Numbers("c", 100, 50), Numbers("d", 100, 50)]);
        var half = DriftCalculator.Compare(reference, current, null);
        Assert.Equal(2, half.DriftedFeatures);
        Assert.Equal(0.5, half.DriftedShare);
        Assert.True(half.Drifted);
        var stricter = DriftCalculator.Compare(reference, current, new DriftSettings(DriftShare: 0.75));
        Assert.False(stricter.Drifted);
        Assert.Equal(0.75, stricter.DriftShareThreshold);
    }

    [Fact]
    public void Per_feature_overrides_win_over_the_default_and_bring_their_own_threshold()
    {
        var reference = new DatasetProfile(100, [Numbers("a", 100, 50), Numbers("b", 100, 50)]);
        var current = new DatasetProfile(100, [Numbers("a", 100, 50, 1), Numbers("b", 100, 50, 1)]);
        var settings = new DriftSettings(new FeatureDriftSettings("wasserstein", 0.5),
            new Dictionary<string, FeatureDriftSettings> { ["b"] = new("ks") });
        var drift = DriftCalculator.Compare(reference, current, settings);
        Assert.Equal(("wasserstein", 0.5), (drift.Features[0].Method, drift.Features[0].Threshold));
        Assert.Equal(("ks", 0.05), (drift.Features[1].Method, drift.Features[1].Threshold));
    }

    [Fact]
    public void A_feature_on_one_side_only_is_reported_with_a_note_and_not_counted()
    {
        var reference = new DatasetProfile(100, [Numbers("a", 100, 50), Numbers("gone", 100, 50)]);
        var current = new DatasetProfile(100, [Numbers("a", 100, 50, 40), Labels("new", 100, 3)]);
        var drift = DriftCalculator.Compare(reference, current, null);
        Assert.Equal(["a", "gone", "new"], drift.Features.Select(f => f.Feature));
        Assert.NotNull(drift.Features[1].Note);
        Assert.NotNull(drift.Features[2].Note);
        Assert.False(drift.Features[1].Drifted);
        Assert.Equal(1, drift.DriftedFeatures);
        Assert.Equal(1.0, drift.DriftedShare);
    }

    [Fact]
    public void An_empty_side_gives_a_note_and_no_drift_never_an_exception()
    {
        var empty = new FeatureProfile("x", FeatureKind.Numerical, 0, Missing: 10);
        var drift = DriftCalculator.CompareFeature(Numbers("x", 100, 50), empty, null);
        Assert.False(drift.Drifted);
        Assert.NotNull(drift.Note);
        var emptyCategories = new FeatureProfile("c", FeatureKind.Categorical, 0, Categories: new Dictionary<string, long>());
        var categorical = DriftCalculator.CompareFeature(emptyCategories, Labels("c", 10, 2), null);
        Assert.False(categorical.Drifted);
        Assert.NotNull(categorical.Note);
    }

    [Fact]
    public void Psi_bands_are_stable_moderate_and_significant()
    {
        Assert.Equal("stable", DriftCalculator.PsiBand(0.0999));
        Assert.Equal("moderate", DriftCalculator.PsiBand(0.1));
        Assert.Equal("moderate", DriftCalculator.PsiBand(0.25));
        Assert.Equal("significant", DriftCalculator.PsiBand(0.2501));
    }
}
