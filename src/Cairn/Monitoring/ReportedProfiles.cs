using Cairn.Lineage;

namespace Cairn.Monitoring;

/// <summary>
/// Checks a <see cref="DatasetProfile"/> a caller sent (a window's, a reference's) before anything is computed or
/// stored: the first incoherence is a 400 naming its JSON path and why.
/// </summary>
internal static class ReportedProfiles
{
    public static DatasetProfile Check(DatasetProfile? profile, string at, LimitsOptions limits)
    {
        if (profile is null)
        {
            throw new InvalidParameterException($"'{at}' is required: a profile with rows and features.");
        }
        if (profile.Rows < 0)
        {
            throw new InvalidParameterException($"'{at}.rows' is {profile.Rows}; a count is 0 or more.");
        }
        if (profile.Features is null || profile.Features.Count == 0)
        {
            throw new InvalidParameterException($"'{at}.features' is required: at least one feature's profile.");
        }
        limits.List($"{at}.features", profile.Features.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < profile.Features.Count; i++)
        {
            var path = $"{at}.features[{i}]";
            var feature = profile.Features[i] ?? throw new InvalidParameterException($"'{path}' is null.");
            if (string.IsNullOrWhiteSpace(feature.Name) || feature.Name.Length > limits.MaxTagKeyLength)
            {
                throw new InvalidParameterException($"'{path}.name' is required: 1 to {limits.MaxTagKeyLength} characters.");
            }
            NameRules.Check(feature.Name, $"{path}.name");
            if (!names.Add(feature.Name))
            {
                throw new InvalidParameterException($"'{path}.name': feature '{feature.Name}' appears twice.");
            }
            Check(feature, path);
        }
        return profile;
    }

    private static void Check(FeatureProfile feature, string path)
    {
        if (!Enum.IsDefined(feature.Kind))
        {
            throw new InvalidParameterException($"'{path}.kind' must be numerical or categorical.");
        }
        if (feature.Count < 0 || feature.Missing < 0)
        {
            throw new InvalidParameterException($"'{path}': count and missing may not be negative.");
        }
        if (feature.Std is < 0)
        {
            throw new InvalidParameterException($"'{path}.std' may not be negative.");
        }
        if (feature is { Min: { } min, Max: { } max } && min > max)
        {
            throw new InvalidParameterException($"'{path}.min' is above '{path}.max'.");
        }
        if (feature.Points is { } points)
        {
            for (var k = 0; k < points.Count; k++)
            {
                if (!(points[k].Weight >= 0) || double.IsInfinity(points[k].Weight))
                {
                    throw new InvalidParameterException($"'{path}.points[{k}]': a weight is a finite number, 0 or more.");
                }
                if (k > 0 && !(points[k - 1].Value < points[k].Value))
                {
                    throw new InvalidParameterException($"'{path}.points' must be sorted by value, ascending, without repeats (at [{k}]).");
                }
            }
        }
        if (MetadataStore.StatisticsProblem(new ColumnStatistics(Histogram: feature.Histogram, Quantiles: feature.Quantiles), path) is { } problem)
        {
            throw new InvalidParameterException(problem);
        }
        foreach (var (category, count) in feature.Categories ?? new Dictionary<string, long>())
        {
            if (count < 0)
            {
                throw new InvalidParameterException($"'{path}.categories.{category}' is {count}; a count is 0 or more.");
            }
        }
    }
}
