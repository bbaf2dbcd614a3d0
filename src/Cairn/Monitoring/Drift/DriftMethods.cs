namespace Cairn.Monitoring.Drift;

/// <summary>
/// The drift methods by their Evidently names, each with its default threshold, the comparison that makes a score a
/// drift, and the feature kinds it applies to.
/// </summary>
public static class DriftMethods
{
    /// <summary>Two-sample Kolmogorov-Smirnov p-value; drift when p ≤ threshold (as Evidently's <c>ks</c>).</summary>
    public const string KolmogorovSmirnov = "ks";

    /// <summary>Pearson chi-squared p-value against the reference's shares; drift when p &lt; threshold.</summary>
    public const string ChiSquare = "chisquare";

    /// <summary>Two-proportion Z-test p-value (the first value's share); drift when p &lt; threshold.</summary>
    public const string Z = "z";

    /// <summary>Wasserstein-1 distance over the reference's standard deviation (floored at 0.001); drift when ≥ threshold.</summary>
    public const string Wasserstein = "wasserstein";

    /// <summary>Jensen-Shannon distance (natural log) over Evidently's bins; drift when ≥ threshold.</summary>
    public const string JensenShannon = "jensenshannon";

    /// <summary>Population stability index over the reference's deciles or the categories; drift when ≥ threshold.</summary>
    public const string Psi = "psi";

    /// <summary>Every method name, in the order the documentation lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [KolmogorovSmirnov, ChiSquare, Z, Wasserstein, JensenShannon, Psi];

    /// <summary>The threshold a method uses when none is set: 0.05 for p-values, 0.1 for distances (Evidently's).</summary>
    public static double DefaultThreshold(string method) => IsPValue(method) ? 0.05 : 0.1;

    /// <summary>True for methods whose score is a p-value (drift when small).</summary>
    public static bool IsPValue(string method) => method is KolmogorovSmirnov or ChiSquare or Z;

    /// <summary>
    /// Whether <paramref name="method"/> applies to <paramref name="kind"/>. <c>ks</c> and <c>wasserstein</c> need numbers;
    /// the others take both (Evidently itself applies <c>chisquare</c> and <c>z</c> to numerical features with few values).
    /// </summary>
    public static bool Allows(string method, FeatureKind kind) =>
        method switch
        {
            KolmogorovSmirnov or Wasserstein => kind == FeatureKind.Numerical,
            ChiSquare or Z or JensenShannon or Psi => true,
            _ => false,
        };

    /// <summary>Whether <paramref name="score"/> is a drift for <paramref name="method"/> at <paramref name="threshold"/>.</summary>
    public static bool IsDrift(string method, double score, double threshold) =>
        method switch
        {
            KolmogorovSmirnov => score <= threshold,
            ChiSquare or Z => score < threshold,
            _ => score >= threshold,
        };
}

/// <summary>Checks drift settings before they are stored, naming the offending field.</summary>
public static class DriftSettingsValidator
{
    /// <summary>
    /// Throws <see cref="InvalidParameterException"/> when a method is unknown, a threshold is not a finite
    /// non-negative number (p-value thresholds at most 1), a feature name is blank, or the drift share is outside (0, 1].
    /// Whether a method suits a feature's kind is checked when the feature is compared (the kind is known then).
    /// </summary>
    public static void Validate(DriftSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!(settings.DriftShare > 0 && settings.DriftShare <= 1))
            throw new InvalidParameterException($"drift_share must be above 0 and at most 1, not {settings.DriftShare}");
        if (settings.Default is { } d)
            Validate(d, "default");
        if (settings.Features is { } features)
            foreach (var (name, feature) in features)
            {
                if (string.IsNullOrWhiteSpace(name))
                    throw new InvalidParameterException("features: a feature name must not be blank");
                if (feature is null)
                    throw new InvalidParameterException($"features.{name}: settings must not be null");
                Validate(feature, $"features.{name}");
            }
    }

    private static void Validate(FeatureDriftSettings settings, string field)
    {
        if (settings.Method is { } method && !DriftMethods.All.Contains(method))
            throw new InvalidParameterException(
                $"{field}.method: unknown drift method '{method}' (one of {string.Join(", ", DriftMethods.All)})");
        if (settings.Threshold is { } threshold)
        {
            if (!double.IsFinite(threshold) || threshold < 0)
                throw new InvalidParameterException($"{field}.threshold must be a finite number at least 0, not {threshold}");
            if (settings.Method is { } m && DriftMethods.IsPValue(m) && threshold > 1)
                throw new InvalidParameterException($"{field}.threshold is a p-value for '{m}' and must be at most 1, not {threshold}");
        }
    }
}
