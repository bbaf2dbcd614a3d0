using System.Globalization;
using Cairn.Deployments;

namespace Cairn.Server.Ui.Graphics;

/// <summary>
/// A deployment's traffic allocation as one stacked bar: each serving version a segment as wide as its share, left to
/// right as the allocation lists them (largest first), and below it a thinner row with each shadow's mirrored share.
/// Geometry only; the SVG is drawn by <c>TrafficBarSvg.razor</c>.
/// </summary>
public sealed class TrafficBar
{
    public const double Width = 480;
    public const double BarHeight = 22;
    public const double ShadowHeight = 8;
    private const double Gap = 4;

    /// <summary>How many colours segments cycle through (<c>seg-0</c> … in the CSS), by position in the bar.</summary>
    public const int Colours = 6;

    public sealed record Segment(int Version, decimal Share, bool Shadow, double X, double Y, double Width, double Height, int Colour, string Label, string Title);

    public required IReadOnlyList<Segment> Segments { get; init; }

    public required double Height { get; init; }

    /// <summary>Lays out <paramref name="traffic"/>; shares are percent, so 100 fills <see cref="Width"/>.</summary>
    public static TrafficBar For(IReadOnlyList<TrafficShare> traffic)
    {
        ArgumentNullException.ThrowIfNull(traffic);
        var segments = new List<Segment>(traffic.Count);
        var x = 0.0;
        var colour = 0;
        foreach (var share in traffic.Where(t => !t.Shadow))
        {
            var width = Width * (double)share.Share / 100;
            segments.Add(new Segment(share.Version, share.Share, false, x, 0, width, BarHeight, colour++ % Colours,
                $"v{share.Version.ToString(CultureInfo.InvariantCulture)} {Percent(share.Share)}", $"version {share.Version.ToString(CultureInfo.InvariantCulture)}: {Percent(share.Share)} of the traffic"));
            x += width;
        }
        var shadows = traffic.Where(t => t.Shadow).ToList();
        var y = BarHeight + Gap;
        foreach (var share in shadows)
        {
            segments.Add(new Segment(share.Version, share.Share, true, 0, y, Width * (double)share.Share / 100, ShadowHeight, colour++ % Colours,
                $"v{share.Version.ToString(CultureInfo.InvariantCulture)} shadow {Percent(share.Share)}",
                $"version {share.Version.ToString(CultureInfo.InvariantCulture)}: shadow, mirrors {Percent(share.Share)} of the traffic"));
            y += ShadowHeight + Gap;
        }
        return new TrafficBar { Segments = segments, Height = shadows.Count == 0 ? BarHeight : y - Gap };
    }

    /// <summary>A share as people read it: <c>90%</c>, <c>33.33%</c>.</summary>
    public static string Percent(decimal share) => share.ToString("0.##", CultureInfo.InvariantCulture) + "%";
}
