using System.Globalization;

namespace Cairn.Server.Ui.Graphics;

/// <summary>A point of a chart in data units.</summary>
public readonly record struct ChartPoint(double X, double Y);

/// <summary>
/// A linear map from a data interval to a pixel interval (the pixel interval may run backwards, as a y axis does).
/// A degenerate data interval maps everything to the middle of the pixels.
/// </summary>
public sealed record LinearScale(double DomainMin, double DomainMax, double RangeMin, double RangeMax)
{
    public double Map(double value) => DomainMax == DomainMin
        ? (RangeMin + RangeMax) / 2
        : RangeMin + ((value - DomainMin) / (DomainMax - DomainMin) * (RangeMax - RangeMin));
}

/// <summary>The arithmetic of the server-drawn charts: nice ticks, domains, downsampling and number formatting.</summary>
public static class ChartMath
{
    /// <summary>
    /// Round tick values (1, 2 or 5 times a power of ten apart) covering [min, max] with about
    /// <paramref name="target"/> ticks (Heckbert's "nice numbers"): the first at or below min, the last at or above max.
    /// </summary>
    public static IReadOnlyList<double> NiceTicks(double min, double max, int target = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max))
        {
            return [];
        }
        if (min > max)
        {
            (min, max) = (max, min);
        }
        if (min == max)
        {
            // One value: a tick either side of it, a round step apart.
            var spread = min == 0 ? 1 : NiceNumber(Math.Abs(min) / 10, round: true);
            (min, max) = (min - spread, max + spread);
        }
        var step = TickStep(min, max, target);
        var first = Math.Floor(min / step) * step;
        var last = Math.Ceiling(max / step) * step;
        // Ticks are rounded to the step's decimals, so the float error of i * step (0.30000000000000004) goes away.
        var digits = Math.Clamp(1 - (int)Math.Floor(Math.Log10(step)), 0, 15);
        var ticks = new List<double>();
        for (var i = 0; ; i++)
        {
            var tick = first + (i * step);
            if (tick > last + (step / 2) || i > 100)
            {
                break;
            }
            ticks.Add(Math.Round(tick, digits));
        }
        return ticks;
    }

    /// <summary>The distance between nice ticks for [min, max].</summary>
    public static double TickStep(double min, double max, int target = 5)
    {
        var range = NiceNumber(max - min, round: false);
        return NiceNumber(range / Math.Max(1, target - 1), round: true);
    }

    /// <summary>A number of the form 1, 2, 5 (or, not rounding, 1, 2, 5, 10) times a power of ten near <paramref name="value"/>.</summary>
    public static double NiceNumber(double value, bool round)
    {
        if (value <= 0 || !double.IsFinite(value))
        {
            return 1;
        }
        var exponent = Math.Floor(Math.Log10(value));
        var power = Math.Pow(10, exponent);
        var fraction = value / power;
        var nice = round
            ? fraction switch { < 1.5 => 1, < 3 => 2, < 7 => 5, _ => 10 }
            : fraction switch { <= 1 => 1, <= 2 => 2, <= 5 => 5, _ => 10 };
        return nice * power;
    }

    /// <summary>Only the points whose coordinates are both finite (NaN and ±∞ cannot be placed on an axis).</summary>
    public static IReadOnlyList<ChartPoint> Finite(IEnumerable<ChartPoint> points) =>
        points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();

    /// <summary>
    /// At most <paramref name="max"/> points of a series ordered by x: the series is cut into max/2 runs of consecutive
    /// points and each run keeps its lowest and highest point (in their order), so spikes and the extremes survive.
    /// </summary>
    public static IReadOnlyList<ChartPoint> Downsample(IReadOnlyList<ChartPoint> points, int max)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count <= max || max < 2)
        {
            return points;
        }
        var buckets = max / 2;
        var result = new List<ChartPoint>(buckets * 2);
        for (var b = 0; b < buckets; b++)
        {
            var start = (int)((long)b * points.Count / buckets);
            var end = (int)((long)(b + 1) * points.Count / buckets);
            if (end <= start)
            {
                continue;
            }
            var low = start;
            var high = start;
            for (var i = start + 1; i < end; i++)
            {
                if (points[i].Y < points[low].Y)
                {
                    low = i;
                }
                if (points[i].Y > points[high].Y)
                {
                    high = i;
                }
            }
            result.Add(points[Math.Min(low, high)]);
            if (low != high)
            {
                result.Add(points[Math.Max(low, high)]);
            }
        }
        return result;
    }

    /// <summary>The data interval an axis shows: the nice ticks' span around the values, or around one value.</summary>
    public static (double Min, double Max, IReadOnlyList<double> Ticks) Axis(IEnumerable<double> values, int target = 5)
    {
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        foreach (var value in values)
        {
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }
        if (!double.IsFinite(min))
        {
            (min, max) = (0, 1);
        }
        var ticks = NiceTicks(min, max, target);
        return (ticks[0], ticks[^1], ticks);
    }

    /// <summary>A value for a label or a tooltip: invariant, at most 6 significant digits, NaN and ∞ spelled out.</summary>
    public static string Format(double value) => value switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "∞",
        double.NegativeInfinity => "−∞",
        _ when value == Math.Floor(value) && Math.Abs(value) < 1e15 => value.ToString("0", CultureInfo.InvariantCulture),
        _ => value.ToString("G6", CultureInfo.InvariantCulture),
    };

    /// <summary>A tick label: as many decimals as the tick step needs, no more.</summary>
    public static string FormatTick(double value, double step)
    {
        if (Math.Abs(value) >= 1e6 || (Math.Abs(value) < 1e-4 && value != 0))
        {
            return value.ToString("0.##E+0", CultureInfo.InvariantCulture);
        }
        var decimals = step >= 1 || step <= 0 ? 0 : Math.Min(10, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>A pixel coordinate for SVG: invariant, one decimal.</summary>
    public static string Px(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
