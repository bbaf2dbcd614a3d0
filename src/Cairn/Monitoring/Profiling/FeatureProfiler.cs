using System.Globalization;
using System.Text.Json;
using Cairn.Lineage;

namespace Cairn.Monitoring.Profiling;

/// <summary>
/// Profiles raw rows (CSV or Parquet) into a <see cref="DatasetProfile"/> in one streaming pass with memory bounded per
/// column (the exact-value limit, a t-digest, the category limit), merges profiles of successive windows, and turns a
/// dataset's column statistics into reference profiles. Malformed input is an <see cref="InvalidParameterException"/>
/// naming the row or column and why. See docs/monitoring.md ("Profiles") and docs/decisions/0025-profiles.md.
/// </summary>
public static class FeatureProfiler
{
    /// <summary>The category under which a categorical profile counts the values past its limit.</summary>
    public const string OtherCategory = "__other__";

    /// <summary>
    /// Profiles CSV: RFC 4180 (comma, double quotes, quotes doubled inside quoted fields), UTF-8, a header row naming every
    /// column. A column is numerical when every non-missing value parses as a double (invariant culture), categorical
    /// otherwise, unless <see cref="ProfileOptions.Categorical"/> or <see cref="ProfileOptions.Numerical"/> names it.
    /// </summary>
    public static Task<DatasetProfile> ProfileCsvAsync(Stream csv, ProfileOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(options);
        return CsvProfiler.ProfileAsync(csv, options, ct);
    }

    /// <summary>
    /// Profiles a Parquet file. A stream that cannot seek (a request body) is first copied to a temporary file, deleted
    /// when done. Numbers, decimals, dates and timestamps (Unix epoch seconds) and times (seconds) are numerical; strings
    /// and booleans categorical; binary, nested and repeated columns are left out, with a note in <see cref="DatasetProfile.Notes"/>.
    /// </summary>
    public static Task<DatasetProfile> ProfileParquetAsync(Stream parquet, ProfileOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parquet);
        ArgumentNullException.ThrowIfNull(options);
        return ParquetProfiler.ProfileAsync(parquet, options, ct);
    }

    /// <summary>
    /// The profile of two sets of rows together (windows combined over time). Counts and moments combine exactly; two exact
    /// distributions stay exact while their union has at most <see cref="ProfileOptions.ExactValueLimit"/> distinct values,
    /// and become a t-digest otherwise (as does anything merged with a sketch). Categories add up; past the category limit
    /// the least frequent go to <see cref="OtherCategory"/>.
    /// </summary>
    public static FeatureProfile Merge(FeatureProfile a, FeatureProfile b, ProfileOptions? options = null) =>
        ProfileMerge.Merge(a, b, options ?? ProfileOptions.Default);

    /// <summary>
    /// The profile of several sets of rows together: features matched by name, a feature missing from one profile counts
    /// that profile's rows as missing.
    /// </summary>
    public static DatasetProfile Merge(IEnumerable<DatasetProfile> profiles, ProfileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        return ProfileMerge.MergeMany(profiles as IReadOnlyList<DatasetProfile> ?? [.. profiles], options ?? ProfileOptions.Default);
    }

    /// <summary>The profile of two sets of rows together; see <see cref="Merge(IEnumerable{DatasetProfile}, ProfileOptions?)"/>.</summary>
    public static DatasetProfile Merge(DatasetProfile a, DatasetProfile b, ProfileOptions? options = null) =>
        ProfileMerge.Merge(a, b, options ?? ProfileOptions.Default);

    /// <summary>
    /// A numerical, non-exact profile from a dataset column's statistics (a training dataset's, as OpenLineage's
    /// <c>dataQualityMetrics</c> or <c>PUT /datasets</c> gave them): values = count − nulls, missing = nulls, range and
    /// moments as given (a min or max that is not a number is left out), the histogram and quantiles carried as they are.
    /// </summary>
    public static FeatureProfile FromStatistics(string name, ColumnStatistics stats)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(stats);
        var nulls = stats.Nulls ?? 0;
        var count = stats.Count is { } total ? total - nulls : stats.Histogram?.Counts.Sum() ?? 0;
        if (count < 0)
            throw new InvalidParameterException($"Statistics of '{name}': nulls ({nulls}) exceed the count ({stats.Count}).");
        return new FeatureProfile(
            name, FeatureKind.Numerical, count, nulls, Number(stats.Min), Number(stats.Max), stats.Mean, stats.Stddev,
            Points: null, Exact: false, stats.Histogram, stats.Quantiles);
    }

    private static double? Number(JsonElement? value) =>
        value is { ValueKind: JsonValueKind.Number } n && n.TryGetDouble(out var d) && double.IsFinite(d) ? d
        : value is { ValueKind: JsonValueKind.String } s && double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && double.IsFinite(p) ? p
        : null;

    /// <summary>Every column the options name must exist: a misspelt name would otherwise silently profile nothing.</summary>
    internal static void CheckNames(ProfileOptions options, IEnumerable<string> available, string where)
    {
        var names = available as ICollection<string> ?? available.ToList();
        foreach (var (list, option) in new[] { (options.Columns, "columns"), (options.Categorical, "categorical"), (options.Numerical, "numerical") })
        {
            if (list is null)
                continue;
            foreach (var name in list)
            {
                if (!names.Contains(name))
                    throw new InvalidParameterException($"'{option}' names column '{name}', which the {where} lacks.");
            }
        }
    }
}
