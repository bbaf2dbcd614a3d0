using System.Text.Json.Serialization;

namespace Cairn.Monitoring;

/// <summary>
/// How one feature is tested. <see cref="Method"/> is one of Evidently's names (<c>ks</c>, <c>chisquare</c>, <c>z</c>,
/// <c>wasserstein</c>, <c>jensenshannon</c>, <c>psi</c>); null picks Evidently's default for the feature's kind and
/// the reference's size. <see cref="Threshold"/> null takes the method's default (0.05 for p-values, 0.1 for distances).
/// </summary>
public sealed record FeatureDriftSettings(string? Method = null, double? Threshold = null);

/// <summary>
/// A model's drift settings: the default for every feature, overrides per feature, and the share of drifted features at
/// which the dataset counts as drifted.
/// </summary>
public sealed record DriftSettings(
    FeatureDriftSettings? Default = null,
    IReadOnlyDictionary<string, FeatureDriftSettings>? Features = null,
    double DriftShare = 0.5);

/// <summary>
/// One feature's drift between a reference and a current profile. <see cref="Score"/> is what was compared with the
/// threshold: a p-value for <c>ks</c>, <c>chisquare</c> and <c>z</c> (drift when below), a distance for
/// <c>wasserstein</c>, <c>jensenshannon</c> and <c>psi</c> (drift when at or above). <see cref="Statistic"/> is the
/// test's statistic where it has one (KS D, chi-squared, z). <see cref="Psi"/> is always computed (reference deciles,
/// empty bins floored at 0.0001) with its band: <c>stable</c> below 0.1, <c>moderate</c> to 0.25, <c>significant</c>
/// above. <see cref="Approximate"/> is true when a profile was not exact (a sketch, a histogram).
/// </summary>
public sealed record FeatureDrift(
    string Feature,
    FeatureKind Kind,
    string Method,
    double Score,
    double? Statistic,
    double Threshold,
    bool Drifted,
    double? Psi,
    string? PsiBand,
    bool Approximate,
    string? Note = null);

/// <summary>Every feature's drift and the dataset-level verdict: drifted when the drifted share reaches the setting.</summary>
public sealed record DatasetDrift(
    IReadOnlyList<FeatureDrift> Features,
    int DriftedFeatures,
    double DriftedShare,
    double DriftShareThreshold,
    bool Drifted);
