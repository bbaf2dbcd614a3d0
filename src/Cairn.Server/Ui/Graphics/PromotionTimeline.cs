using System.Globalization;
using Cairn.Governance.Compliance;

namespace Cairn.Server.Ui.Graphics;

/// <summary>
/// The promotion history of one model as a timeline: each target (a stage or an alias) a lane, each holding a bar
/// from when the version took the target until it left it (or now), labelled with the version, and a marker for
/// every request: applied, rejected, or other (pending, cancelled, expired). Geometry only; the SVG is drawn by
/// <c>PromotionTimelineSvg.razor</c>.
/// </summary>
public sealed class PromotionTimeline
{
    public const double Width = 900;
    public const double LabelWidth = 120;
    public const double LaneHeight = 30;
    public const double AxisHeight = 26;
    private const double RightPad = 16;

    public sealed record Bar(string Lane, int Version, double X, double Width, double Y, bool Open, string Title);

    public sealed record Marker(string Kind, double X, double Y, string Title);

    public sealed record Tick(double X, string Label);

    public sealed record Lane(string Target, bool Protected, double Y);

    public required IReadOnlyList<Lane> Lanes { get; init; }

    public required IReadOnlyList<Bar> Bars { get; init; }

    public required IReadOnlyList<Marker> Markers { get; init; }

    public required IReadOnlyList<Tick> Ticks { get; init; }

    public double Height => AxisHeight + Lanes.Count * LaneHeight + 8;

    /// <summary>Lays out <paramref name="model"/>'s targets that have held anything (or are protected) from its first holding or request until <paramref name="now"/>.</summary>
    public static PromotionTimeline For(ModelCompliance model, DateTimeOffset now)
    {
        var targets = model.Targets.Where(t => t.Holdings.Count > 0 || t.Protected).ToList();
        var requests = targets.SelectMany(t => t.Holdings).Where(h => h.Request is not null).Select(h => h.Request!).Concat(model.Requests).ToList();
        var times = targets.SelectMany(t => t.Holdings).Select(h => h.From).Concat(requests.Select(r => r.RequestedAt)).ToList();
        var start = times.Count == 0 ? now.AddDays(-1) : times.Min();
        var end = now > start ? now : start.AddHours(1);
        // A little room before the first event so that its marker is not on the axis.
        start -= TimeSpan.FromTicks(Math.Max((end - start).Ticks / 50, TimeSpan.TicksPerMinute));
        double X(DateTimeOffset t) => LabelWidth + (Width - LabelWidth - RightPad) * ((t - start).Ticks / (double)(end - start).Ticks);

        var lanes = targets.Select((t, i) => new Lane(t.Target, t.Protected, AxisHeight + i * LaneHeight)).ToList();
        var byTarget = lanes.ToDictionary(l => l.Target, StringComparer.Ordinal);
        var bars = targets.SelectMany(t => t.Holdings.Select(h =>
        {
            var x = X(h.From);
            var right = X(h.Until ?? end);
            return new Bar(t.Target, h.Version, x, Math.Max(2, right - x), byTarget[t.Target].Y + 5, h.Until is null,
                $"v{h.Version.ToString(CultureInfo.InvariantCulture)} in {t.Target} from {Stamp(h.From)} {(h.Until is { } u ? "until " + Stamp(u) : "until now")}"
                + (h.Request is { } r ? $", request {r.Id} by {r.RequestedBy}" : ", changed directly"));
        })).ToList();
        var markers = requests
            .Where(r => byTarget.ContainsKey(Label(r)))
            .Select(r => new Marker(
                r.Status switch { Governance.PromotionStatus.Applied => "applied", Governance.PromotionStatus.Rejected => "rejected", _ => "other" },
                X(r.RequestedAt), byTarget[Label(r)].Y + LaneHeight - 6,
                $"request {r.Id}: v{r.Version.ToString(CultureInfo.InvariantCulture)} to {Label(r)} by {r.RequestedBy} at {Stamp(r.RequestedAt)}, {r.Status.ToString().ToLowerInvariant()}"))
            .ToList();
        return new PromotionTimeline { Lanes = lanes, Bars = bars, Markers = markers, Ticks = TicksFor(start, end, X) };
    }

    /// <summary>About five ticks at whole days (or hours, for a span under two days), labelled with their date.</summary>
    internal static IReadOnlyList<Tick> TicksFor(DateTimeOffset start, DateTimeOffset end, Func<DateTimeOffset, double> x)
    {
        var span = end - start;
        var step = span < TimeSpan.FromDays(2)
            ? TimeSpan.FromHours(Math.Max(1, Math.Ceiling(span.TotalHours / 5)))
            : TimeSpan.FromDays(Math.Max(1, Math.Ceiling(span.TotalDays / 5)));
        var first = step < TimeSpan.FromDays(1)
            ? new DateTimeOffset(start.UtcDateTime.Date.AddHours(start.UtcDateTime.Hour + 1), TimeSpan.Zero)
            : new DateTimeOffset(start.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        var format = step < TimeSpan.FromDays(1) ? "MM-dd HH:mm" : "yyyy-MM-dd";
        var ticks = new List<Tick>();
        for (var t = first; t <= end && ticks.Count < 12; t += step)
        {
            ticks.Add(new Tick(x(t), t.UtcDateTime.ToString(format, CultureInfo.InvariantCulture)));
        }
        return ticks;
    }

    private static string Label(Governance.PromotionRequest r) => r.TargetKind == Governance.PromotionTargetKind.Stage ? r.Target : "@" + r.Target;

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
