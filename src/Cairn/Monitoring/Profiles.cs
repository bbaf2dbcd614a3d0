using System.Text.Json;
using System.Text.Json.Serialization;
using Cairn.Lineage;

namespace Cairn.Monitoring;

/// <summary>Whether a feature's values are numbers or categories (labels, booleans, small integer codes).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FeatureKind>))]
public enum FeatureKind
{
    /// <summary>Numbers: compared by their distributions (KS, Wasserstein, binned distances).</summary>
    Numerical,

    /// <summary>Categories: compared by their frequencies (chi-squared, Z-test, Jensen-Shannon).</summary>
    Categorical,
}

/// <summary>A value and how many rows had it (exact), or a quantile sketch's centroid and its weight.</summary>
[JsonConverter(typeof(WeightedValueJsonConverter))]
public readonly record struct WeightedValue(double Value, double Weight);

/// <summary>
/// What is known of one feature over a set of rows. A numerical feature has its moments and its distribution as sorted
/// <see cref="Points"/> (every distinct value with its count when <see cref="Exact"/>; a quantile sketch's centroids
/// otherwise), or as a serving side reported it (a <see cref="Histogram"/> or <see cref="Quantiles"/>). A categorical
/// feature has its <see cref="Categories"/> with their counts. Drift figures computed from an exact profile equal those
/// computed from the rows themselves; from anything else they are approximations and say so.
/// </summary>
/// <param name="Name">The feature (column) name.</param>
/// <param name="Kind">Numerical or categorical.</param>
/// <param name="Count">Rows with a value (missing ones excluded).</param>
/// <param name="Missing">Rows without a value (null, empty, NaN).</param>
/// <param name="Min">Smallest value (numerical).</param>
/// <param name="Max">Largest value (numerical).</param>
/// <param name="Mean">Mean (numerical).</param>
/// <param name="Std">Population standard deviation, ddof = 0 as <c>numpy.std</c> (numerical).</param>
/// <param name="Points">Sorted by value; ascending, no duplicate values.</param>
/// <param name="Exact">True when <see cref="Points"/> holds every distinct value with its exact count.</param>
/// <param name="Histogram">A histogram as reported by a serving side.</param>
/// <param name="Quantiles">Quantiles keyed by probability ("0.5" the median), as reported by a serving side.</param>
/// <param name="Categories">Category → count (categorical).</param>
public sealed record FeatureProfile(
    string Name,
    FeatureKind Kind,
    long Count,
    long Missing = 0,
    double? Min = null,
    double? Max = null,
    double? Mean = null,
    double? Std = null,
    IReadOnlyList<WeightedValue>? Points = null,
    bool Exact = false,
    Histogram? Histogram = null,
    IReadOnlyDictionary<string, double>? Quantiles = null,
    IReadOnlyDictionary<string, long>? Categories = null)
{
    /// <summary>
    /// True when <see cref="Categories"/> reached its limit and later new categories were counted together under
    /// <c>"__other__"</c> (<see cref="Profiling.FeatureProfiler.OtherCategory"/>).
    /// </summary>
    public bool CategoriesTruncated { get; init; }
}

/// <summary>The profile of a set of rows: how many, and each feature's profile.</summary>
public sealed record DatasetProfile(long Rows, IReadOnlyList<FeatureProfile> Features)
{
    /// <summary>What the profiler left out and why (a binary or nested Parquet column), one sentence each.</summary>
    public IReadOnlyList<string>? Notes { get; init; }
}

/// <summary>Writes a <see cref="WeightedValue"/> as a compact <c>[value, weight]</c> pair: profiles hold thousands.</summary>
internal sealed class WeightedValueJsonConverter : JsonConverter<WeightedValue>
{
    public override WeightedValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new JsonException("a point is a [value, weight] pair");
        reader.Read();
        var value = reader.GetDouble();
        reader.Read();
        var weight = reader.GetDouble();
        reader.Read();
        if (reader.TokenType != JsonTokenType.EndArray)
            throw new JsonException("a point is a [value, weight] pair");
        return new WeightedValue(value, weight);
    }

    public override void Write(Utf8JsonWriter writer, WeightedValue value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(value.Value);
        writer.WriteNumberValue(value.Weight);
        writer.WriteEndArray();
    }
}
