namespace Cairn.Monitoring;

/// <summary>The formats raw rows arrive in (a window's, a reference sample's), each profiled while it streams.</summary>
public static class RowFormats
{
    public const string Csv = "csv";
    public const string Parquet = "parquet";

    /// <summary>The format a request's content type names: <c>text/csv</c>, <c>application/vnd.apache.parquet</c>, or <paramref name="format"/> for <c>application/octet-stream</c>; null for JSON.</summary>
    public static string? FromContentType(string? contentType, string? format)
    {
        var media = (contentType ?? "").Split(';', 2)[0].Trim().ToLowerInvariant();
        var named = format?.Trim().ToLowerInvariant();
        if (named is not (null or Csv or Parquet))
        {
            throw new InvalidParameterException($"'format' must be csv or parquet; got '{format}'.");
        }
        return media switch
        {
            "" or "application/json" => named is null ? null : throw new InvalidParameterException("'format' is for a body of rows (text/csv, application/vnd.apache.parquet or application/octet-stream), not JSON."),
            "text/csv" => named is null or Csv ? Csv : throw Mismatch(media, named),
            "application/vnd.apache.parquet" or "application/x-parquet" => named is null or Parquet ? Parquet : throw Mismatch(media, named),
            "application/octet-stream" => named ?? throw new InvalidParameterException("A body of application/octet-stream needs '?format=csv' or '?format=parquet'."),
            _ => throw new CairnException("UNSUPPORTED_MEDIA_TYPE", 415,
                $"Content-Type '{media}' is not accepted here: send application/json, text/csv, application/vnd.apache.parquet, or application/octet-stream with ?format=."),
        };
    }

    private static InvalidParameterException Mismatch(string media, string format) => new($"'format' is {format} but the body's Content-Type is {media}.");
}
