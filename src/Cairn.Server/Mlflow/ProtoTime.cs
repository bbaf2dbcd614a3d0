using System.Globalization;

namespace Cairn.Server.Mlflow;

/// <summary>
/// google.protobuf.Timestamp and Duration in protobuf's JSON, which MLflow's 3.x messages use for trace times: an
/// RFC 3339 time in UTC (<c>2025-01-01T00:00:00.123Z</c>) and seconds with an <c>s</c> (<c>1.500s</c>), each with 0, 3,
/// 6 or 9 fractional digits. Cairn keeps both as milliseconds.
/// </summary>
internal static class ProtoTime
{
    public static string FormatTimestamp(long epochMilliseconds)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(epochMilliseconds).UtcDateTime;
        var format = time.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
        return time.ToString(format, CultureInfo.InvariantCulture);
    }

    public static string FormatDuration(long milliseconds)
    {
        var sign = milliseconds < 0 ? "-" : "";
        var magnitude = Math.Abs(milliseconds);
        return magnitude % 1000 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{sign}{magnitude / 1000}s")
            : string.Create(CultureInfo.InvariantCulture, $"{sign}{magnitude / 1000}.{magnitude % 1000:D3}s");
    }

    /// <summary>Epoch milliseconds of a Timestamp (fractions beyond milliseconds are dropped, as protobuf's ToMilliseconds does); 0 when absent.</summary>
    /// <exception cref="InvalidParameterException">Not an RFC 3339 time.</exception>
    public static long ParseTimestamp(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }
        // .NET parses at most 7 fractional digits; protobuf writes up to 9.
        var text = value;
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }
            if (end - dot - 1 > 7)
            {
                text = string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end));
            }
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time.ToUnixTimeMilliseconds()
            : throw new InvalidParameterException($"Invalid value '{value}' for parameter '{field}': expected an RFC 3339 time such as 2025-01-01T00:00:00.123Z.");
    }

    /// <summary>Milliseconds of a Duration such as <c>1.5s</c>.</summary>
    /// <exception cref="InvalidParameterException">Not a duration in seconds.</exception>
    public static long ParseDuration(string value, string field) =>
        value.EndsWith('s') && decimal.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            ? (long)decimal.Truncate(seconds * 1000)
            : throw new InvalidParameterException($"Invalid value '{value}' for parameter '{field}': expected a duration in seconds such as 1.500s.");
}
