using System.ComponentModel.DataAnnotations;

namespace Cairn;

/// <summary>
/// How much one caller may store in one field, map or list, and send in one request body: what one caller writes,
/// everyone reads (a 10 MB description made every model listing 32 MB). Bound from <c>Cairn:Limits</c>; the defaults
/// sit far above legitimate use (see docs/decisions/0016-limits.md). Over a limit is a 400 naming the field and the
/// limit; a body over <see cref="MaxRequestBodyBytes"/> is a 413. The MLflow API keeps MLflow's own, smaller limits.
/// </summary>
public sealed class LimitsOptions
{
    /// <summary>The configuration section: <c>Cairn:Limits:MaxDescriptionLength</c> and so on.</summary>
    public const string Section = "Cairn:Limits";

    /// <summary>Characters in a description (models, versions, datasets, features). Default 65,536.</summary>
    [Range(1, int.MaxValue)]
    public int MaxDescriptionLength { get; set; } = 64 * 1024;

    /// <summary>Characters in a tag key (and a version param's key). Default 250, MLflow's.</summary>
    [Range(1, int.MaxValue)]
    public int MaxTagKeyLength { get; set; } = 250;

    /// <summary>Characters in a tag value (and a version param's value). Default 5,000, MLflow's for registry tags.</summary>
    [Range(1, int.MaxValue)]
    public int MaxTagValueLength { get; set; } = 5000;

    /// <summary>Entries in one map a request sends: a version's metrics, params or tags, an entity's tags. Default 100,000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxMapEntries { get; set; } = 100_000;

    /// <summary>Elements in one list a request sends: an execution's inputs or outputs, a model's data sources. Default 10,000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxListLength { get; set; } = 10_000;

    /// <summary>Characters in a lineage node id a request names (<c>dataset:&lt;namespace&gt;:&lt;name&gt;</c>, a run id). Default 1,024.</summary>
    [Range(1, int.MaxValue)]
    public int MaxNodeIdLength { get; set; } = 1024;

    /// <summary>
    /// Bytes in a request body, except file uploads (limited by <c>Cairn:MaxFileBytes</c>, and streamed) and OpenLineage
    /// ingest (its own 64 MiB). Default 32 MiB.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary><paramref name="value"/> when it is no longer than <see cref="MaxDescriptionLength"/>; else a 400 naming <paramref name="field"/>.</summary>
    public string? Description(string field, string? value) => Text(field, value, MaxDescriptionLength, nameof(MaxDescriptionLength));

    /// <summary>
    /// <paramref name="tags"/> (empty when null) when it has at most <see cref="MaxMapEntries"/> entries, each key 1 to
    /// <see cref="MaxTagKeyLength"/> characters and not blank, each value at most <see cref="MaxTagValueLength"/>; else a
    /// 400 naming the entry.
    /// </summary>
    public IReadOnlyDictionary<string, string> Tags(string field, IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null)
        {
            return new Dictionary<string, string>();
        }
        Entries(field, tags.Count);
        foreach (var (key, value) in tags)
        {
            Key(field, key);
            NameRules.Check(key, $"{field} key");
            if (value is null || value.Length > MaxTagValueLength)
            {
                throw new InvalidParameterException(
                    $"'{field}.{Shorten(key)}' needs a value of at most {MaxTagValueLength} characters (Cairn:Limits:{nameof(MaxTagValueLength)}){(value is null ? "" : $"; got {value.Length}")}.");
            }
        }
        return tags;
    }

    /// <summary>A 400 naming <paramref name="field"/> when <paramref name="key"/>, a key of its map, is blank or longer than <see cref="MaxTagKeyLength"/>.</summary>
    public void Key(string field, string key)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length > MaxTagKeyLength)
        {
            throw new InvalidParameterException(
                $"'{field}' key '{Shorten(key)}' is invalid: a key must be 1 to {MaxTagKeyLength} characters long and not blank (Cairn:Limits:{nameof(MaxTagKeyLength)}).");
        }
    }

    /// <summary>A 400 naming <paramref name="field"/> when a map of <paramref name="count"/> entries is over <see cref="MaxMapEntries"/>.</summary>
    public void Entries(string field, int count)
    {
        if (count > MaxMapEntries)
        {
            throw new InvalidParameterException($"'{field}' has {count} entries; the limit is {MaxMapEntries} (Cairn:Limits:{nameof(MaxMapEntries)}).");
        }
    }

    /// <summary>A 400 naming <paramref name="field"/> when a list of <paramref name="count"/> elements is over <see cref="MaxListLength"/>.</summary>
    public void List(string field, int count)
    {
        if (count > MaxListLength)
        {
            throw new InvalidParameterException($"'{field}' has {count} elements; the limit is {MaxListLength} (Cairn:Limits:{nameof(MaxListLength)}).");
        }
    }

    /// <summary><paramref name="id"/> when it is no longer than <see cref="MaxNodeIdLength"/>; else a 400 naming <paramref name="field"/>.</summary>
    public string? NodeId(string field, string? id) => Text(field, id, MaxNodeIdLength, nameof(MaxNodeIdLength));

    private static string? Text(string field, string? value, int limit, string setting) =>
        value is null || value.Length <= limit
            ? value
            : throw new InvalidParameterException($"'{field}' is {value.Length} characters long; the limit is {limit} (Cairn:Limits:{setting}).");

    // A refused key may itself be huge: the message quotes its start.
    private static string Shorten(string? key) => key is null ? "" : key.Length <= 64 ? key : key[..64] + "…";
}
