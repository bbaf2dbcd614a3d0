namespace Cairn.Monitoring.Profiling;

/// <summary>
/// How <see cref="FeatureProfiler"/> profiles rows. The defaults suit a serving window of any size: exact distributions
/// up to 10,000 distinct values per numerical feature, a t-digest past that; 1,000 categories per categorical feature,
/// the rest counted under <see cref="FeatureProfiler.OtherCategory"/>.
/// </summary>
public sealed record ProfileOptions
{
    /// <summary>The defaults.</summary>
    public static ProfileOptions Default { get; } = new();

    /// <summary>
    /// Distinct values a numerical feature's profile keeps exactly (each with its count). Past it the profile switches to
    /// a t-digest of <see cref="SketchCompression"/>, and <see cref="FeatureProfile.Exact"/> is false.
    /// </summary>
    public int ExactValueLimit { get; init; } = 10_000;

    /// <summary>Categories a categorical feature's profile keeps by name; later new ones are counted under <see cref="FeatureProfiler.OtherCategory"/>.</summary>
    public int CategoryLimit { get; init; } = 1_000;

    /// <summary>
    /// The t-digest's compression δ. At the default 1,000, a million distinct values keep about 560 centroids, and a
    /// quantile read from them is within 6.3·10⁻⁴ of its rank in the middle of the distribution and 5·10⁻⁵ in the tails
    /// (measured in docs/decisions/0025-profiles.md); the bound is π·δ/2 centroids.
    /// </summary>
    public double SketchCompression { get; init; } = 1_000;

    /// <summary>The columns to profile; null profiles every column the profiler can read.</summary>
    public IReadOnlyCollection<string>? Columns { get; init; }

    /// <summary>Columns profiled as categorical whatever their values look like (numeric codes, ids).</summary>
    public IReadOnlyCollection<string>? Categorical { get; init; }

    /// <summary>Columns profiled as numerical; a CSV value or a Parquet string in them that is not a number is an error.</summary>
    public IReadOnlyCollection<string>? Numerical { get; init; }

    /// <summary>
    /// CSV fields read as missing (compared exactly, case-sensitive): by default pandas' <c>read_csv</c> defaults, so a
    /// window written by pandas reads back with the same missing values. The empty field is always missing.
    /// </summary>
    public IReadOnlyCollection<string> MissingValues { get; init; } =
    [
        "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
        "NULL", "NaN", "None", "n/a", "nan", "null",
    ];

    internal void Validate()
    {
        if (ExactValueLimit < 0)
            throw new InvalidParameterException($"'exact_value_limit' must be 0 or more; got {ExactValueLimit}.");
        if (CategoryLimit < 1)
            throw new InvalidParameterException($"'category_limit' must be at least 1; got {CategoryLimit}.");
        if (!(SketchCompression >= 20 && SketchCompression <= 10_000))
            throw new InvalidParameterException($"'sketch_compression' must be between 20 and 10000; got {SketchCompression}.");
        if (Categorical is not null && Numerical is not null)
        {
            foreach (var name in Categorical)
            {
                if (Numerical.Contains(name))
                    throw new InvalidParameterException($"Column '{name}' is named both categorical and numerical.");
            }
        }
    }
}
