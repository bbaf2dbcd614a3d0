using System.Globalization;
using System.Text.RegularExpressions;

namespace Cairn.Tracking;

/// <summary>
/// MLflow's validation rules for tracking data (mlflow/utils/validation.py), with its messages, so that clients that
/// log to Cairn fail exactly where they would fail against MLflow.
/// </summary>
public static partial class TrackingLimits
{
    public const int MaxMetricsPerBatch = 1000;
    public const int MaxParamsTagsPerBatch = 100;
    public const int MaxEntitiesPerBatch = 1000;
    public const int MaxKeyLength = 250;
    public const int MaxParamValueLength = 6000;
    public const int MaxTagValueLength = 8000;
    public const int MaxExperimentTagValueLength = 5000;
    public const int MaxExperimentNameLength = 500;

    /// <summary>MLflow's MAX_BATCH_LOG_REQUEST_SIZE: the largest log-batch body, in bytes.</summary>
    public const int MaxBatchRequestBytes = 1_000_000;

    // Alphanumerics, underscores, dashes, periods, spaces, colons and slashes, as MLflow allows in keys.
    [GeneratedRegex(@"\A[/\w.\- :]*\z")]
    private static partial Regex ValidKey();

    public static InvalidParameterException Missing(string parameter) =>
        new($"Missing value for required parameter '{parameter}'. See the API docs for more information about request parameters.");

    public static InvalidParameterException BatchTooLarge(long size) =>
        new($"Batched logging API requests must be at most {MaxBatchRequestBytes} bytes, got a request of size {size}.");

    public static void CheckBatch(int metrics, int parameters, int tags)
    {
        if (metrics > MaxMetricsPerBatch)
        {
            throw new InvalidParameterException(
                $"A batch logging request can contain at most {MaxMetricsPerBatch} metrics. Got {metrics} metrics. Please split up metrics across multiple requests and try again.");
        }
        if (parameters > MaxParamsTagsPerBatch)
        {
            throw new InvalidParameterException(
                $"A batch logging request can contain at most {MaxParamsTagsPerBatch} params. Got {parameters} params. Please split up params across multiple requests and try again.");
        }
        if (tags > MaxParamsTagsPerBatch)
        {
            throw new InvalidParameterException(
                $"A batch logging request can contain at most {MaxParamsTagsPerBatch} tags. Got {tags} tags. Please split up tags across multiple requests and try again.");
        }
        var total = metrics + parameters + tags;
        if (total > MaxEntitiesPerBatch)
        {
            throw new InvalidParameterException(
                $"A batch logging request can contain at most {MaxEntitiesPerBatch} metrics, params and tags in total. Got {total}. Please split up entities across multiple requests and try again.");
        }
    }

    public static void CheckKey(string kind, string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw Missing("key");
        }
        if (key.Length > MaxKeyLength)
        {
            throw new InvalidParameterException($"{kind} name '{key[..32]}…' had length {key.Length}, which exceeded length limit of {MaxKeyLength}.");
        }
        if (!ValidKey().IsMatch(key))
        {
            throw new InvalidParameterException(
                $"Invalid {kind.ToLowerInvariant()} name: '{key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).");
        }
        if (key.Split('/').Any(part => part == "..") || key.StartsWith('/'))
        {
            throw new InvalidParameterException($"Invalid {kind.ToLowerInvariant()} name: '{key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such.");
        }
    }

    public static void CheckParam(KeyValue param) => CheckPair("Param", param, MaxParamValueLength);

    public static void CheckTag(KeyValue tag) => CheckPair("Tag", tag, MaxTagValueLength);

    /// <summary>Experiment tags have a shorter value limit than run tags in MLflow.</summary>
    public static void CheckExperimentTag(KeyValue tag) => CheckPair("Tag", tag, MaxExperimentTagValueLength);

    private static void CheckPair(string kind, KeyValue pair, int maxValueLength)
    {
        CheckKey(kind, pair.Key);
        if (pair.Value is null)
        {
            throw Missing("value");
        }
        if (pair.Value.Length > maxValueLength)
        {
            throw new InvalidParameterException(
                $"{kind} value '{pair.Value[..32]}…' had length {pair.Value.Length}, which exceeded length limit of {maxValueLength}.");
        }
    }

    /// <summary>
    /// A create request that gives one tag key twice is refused, in the words of MLflow's check of log_batch's params
    /// (MLflow's own store fails such a create on the tag table's primary key): which value was meant is unknowable.
    /// </summary>
    public static void CheckUniqueTags(IEnumerable<KeyValue> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = tags.Where(t => !seen.Add(t.Key)).Select(t => t.Key).Distinct(StringComparer.Ordinal).ToList();
        if (duplicates.Count > 0)
        {
            throw new InvalidParameterException(
                $"Duplicate tag keys have been submitted: [{string.Join(", ", duplicates.Select(k => $"'{k}'"))}]. Please ensure the request contains only one tag value per tag key.");
        }
    }

    public static void CheckMetric(Metric metric)
    {
        CheckKey("Metric", metric.Key);
    }

    /// <summary>MLflow's experiment ids are integers written as strings.</summary>
    public static long ExperimentId(string? id, string parameter = "experiment_id")
    {
        if (string.IsNullOrEmpty(id))
        {
            throw Missing(parameter);
        }
        return long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidParameterException($"Invalid value '{id}' for parameter '{parameter}': experiment ids are integers.");
    }

    public static string RunId(string? runId) => string.IsNullOrEmpty(runId) ? throw Missing("run_id") : runId;

    public static ViewType ParseViewType(string? value) => value?.ToUpperInvariant() switch
    {
        null or "" or "ACTIVE_ONLY" or "1" => ViewType.ActiveOnly,
        "DELETED_ONLY" or "2" => ViewType.DeletedOnly,
        "ALL" or "3" => ViewType.All,
        _ => throw new InvalidParameterException($"Invalid view type '{value}': expected ACTIVE_ONLY, DELETED_ONLY or ALL."),
    };
}
