using System.Globalization;
using System.Text.RegularExpressions;

namespace Cairn.Lineage.OpenLineage;

/// <summary>
/// An event's <c>eventTime</c>, read as the schema's <c>date-time</c> format means it: RFC 3339 (<c>T</c> and <c>Z</c> in
/// either case, any number of fractional digits, offsets up to ±23:59). Two forms are accepted and normalised as Java's
/// instant parser (Marquez's runtime) reads them: a leap second <c>23:59:60</c> becomes the last millisecond of its
/// minute (<c>23:59:59.999</c>, so it still sorts after :59 and before the next minute), and ISO 8601's end of day
/// <c>24:00:00</c> becomes the next day's <c>00:00:00</c>. A time without offset is taken as UTC, as Cairn always did.
/// A day the calendar lacks (<c>2021-02-30</c>), an hour past 24 or a year Cairn cannot hold is refused.
/// </summary>
public static partial class OpenLineageTime
{
    /// <summary>The instant <paramref name="text"/> names, or the reason it names none.</summary>
    public static bool TryParse(string text, out DateTimeOffset instant, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        instant = default;
        var match = DateTime().Match(text);
        if (!match.Success)
        {
            error = "must be an RFC 3339 date-time such as 2026-11-23T10:00:00Z";
            return false;
        }
        int Part(string name) => int.Parse(match.Groups[name].Value, NumberStyles.None, CultureInfo.InvariantCulture);
        var (year, month, day, hour, minute, second) = (Part("year"), Part("month"), Part("day"), Part("hour"), Part("minute"), Part("second"));
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > System.DateTime.DaysInMonth(year, month))
        {
            error = $"names a day the calendar does not have ({match.Groups["year"].Value}-{match.Groups["month"].Value}-{match.Groups["day"].Value})";
            return false;
        }
        var endOfDay = hour == 24;
        if (hour > 24 || endOfDay && (minute != 0 || second != 0 || match.Groups["fraction"].Value.Trim('.', '0').Length > 0) || minute > 59 || second > 60)
        {
            error = "must be a time of day from 00:00:00 to 23:59:60 (or 24:00:00, the end of the day)";
            return false;
        }
        // Ticks are 100 ns: digits past the seventh are dropped.
        var fraction = match.Groups["fraction"].Value is { Length: > 1 } digits
            ? long.Parse(digits[1..Math.Min(digits.Length, 8)].PadRight(7, '0'), NumberStyles.None, CultureInfo.InvariantCulture)
            : 0L;
        var leap = second == 60;
        var offset = TimeSpan.Zero;
        if (match.Groups["offset"].Value is { Length: > 1 } zone)
        {
            var (hours, minutes) = (int.Parse(zone[1..3], CultureInfo.InvariantCulture), int.Parse(zone[4..6], CultureInfo.InvariantCulture));
            if (hours > 23 || minutes > 59)
            {
                error = "has an offset beyond ±23:59";
                return false;
            }
            offset = new TimeSpan(hours, minutes, 0) * (zone[0] == '-' ? -1 : 1);
        }
        var local = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Unspecified).Ticks
            + (endOfDay ? TimeSpan.TicksPerDay : 0)
            + (endOfDay ? 0 : hour * TimeSpan.TicksPerHour + minute * TimeSpan.TicksPerMinute)
            + (leap ? 60 * TimeSpan.TicksPerSecond - TimeSpan.TicksPerMillisecond : second * TimeSpan.TicksPerSecond + fraction);
        var utc = local - offset.Ticks;
        if (utc < System.DateTime.MinValue.Ticks || utc > System.DateTime.MaxValue.Ticks)
        {
            error = "is outside the years 0001 to 9999";
            return false;
        }
        instant = new DateTimeOffset(utc, TimeSpan.Zero);
        error = null;
        return true;
    }

    [GeneratedRegex(@"^(?<year>[0-9]{4})-(?<month>[0-9]{2})-(?<day>[0-9]{2})[Tt](?<hour>[0-9]{2}):(?<minute>[0-9]{2}):(?<second>[0-9]{2})(?<fraction>\.[0-9]+)?(?<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex DateTime();
}
