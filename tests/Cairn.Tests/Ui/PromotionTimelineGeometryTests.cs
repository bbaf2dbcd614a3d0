using Cairn.Governance;
using Cairn.Governance.Compliance;
using Cairn.Server.Ui.Graphics;

namespace Cairn.Tests.Ui;

/// <summary>Issue 17: the layout of a model's promotion timeline: one lane per target, one bar per holding, ticks by day.</summary>
[Trait("Store", "none")]
public sealed class PromotionTimelineGeometryTests
{
    private static readonly DateTimeOffset Day0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static Holding Held(int version, double fromDay, double? untilDay) =>
        new(version, Day0.AddDays(fromDay), untilDay is { } u ? Day0.AddDays(u) : null, "someone", null, null, true, "direct", null);

    private static TargetHistory Target(string target, bool isProtected, params Holding[] holdings) =>
        new(target, target.StartsWith('@') ? PromotionTargetKind.Alias : PromotionTargetKind.Stage, target.TrimStart('@'), isProtected, null, null, null, holdings);

    private static PromotionTimeline Layout(params TargetHistory[] targets) =>
        PromotionTimeline.For(new ModelCompliance("risk.fraud", "/risk", null, null, targets, [], []), Day0.AddDays(10));

    [Fact]
    public void Each_target_with_a_holding_or_a_policy_is_a_lane_in_order_and_an_idle_unprotected_one_is_left_out()
    {
        var timeline = Layout(
            Target("Production", true, Held(1, 0, 4), Held(2, 4, null)),
            Target("Staging", false),
            Target("@champion", true),
            Target("@candidate", false, Held(3, 6, 8)));

        Assert.Equal(["Production", "@champion", "@candidate"], timeline.Lanes.Select(l => l.Target));
        Assert.Equal([true, true, false], timeline.Lanes.Select(l => l.Protected));
        Assert.Equal(
            [PromotionTimeline.AxisHeight, PromotionTimeline.AxisHeight + PromotionTimeline.LaneHeight, PromotionTimeline.AxisHeight + (2 * PromotionTimeline.LaneHeight)],
            timeline.Lanes.Select(l => l.Y));
        Assert.Equal(PromotionTimeline.AxisHeight + (3 * PromotionTimeline.LaneHeight) + 8, timeline.Height);
    }

    [Fact]
    public void Holdings_are_bars_in_time_order_that_meet_where_one_version_replaced_another_and_the_current_one_stays_open()
    {
        var timeline = Layout(Target("Production", true, Held(1, 0, 4), Held(2, 4, null)), Target("@candidate", false, Held(3, 6, 8)));

        var (first, second) = (timeline.Bars.Single(b => b.Version == 1), timeline.Bars.Single(b => b.Version == 2));
        Assert.Equal(first.X + first.Width, second.X, 6);
        Assert.False(first.Open);
        Assert.True(second.Open);
        Assert.Equal(PromotionTimeline.Width - 16, second.X + second.Width, 6);
        Assert.All(timeline.Bars, b => Assert.InRange(b.X, PromotionTimeline.LabelWidth, PromotionTimeline.Width));
        // Four days of ten (plus a little room before the first) are a bit under four tenths of the plotting width.
        var plot = PromotionTimeline.Width - PromotionTimeline.LabelWidth - 16;
        Assert.InRange(first.Width / plot, 0.38, 0.40);
        var candidate = timeline.Bars.Single(b => b.Version == 3);
        Assert.Equal(timeline.Lanes[1].Y + 5, candidate.Y);
        Assert.Contains("v3 in @candidate from 2026-11-07 00:00 until 2026-11-09 00:00, changed directly", candidate.Title, StringComparison.Ordinal);
    }

    [Fact]
    public void Ticks_fall_on_whole_days_left_to_right_and_hours_for_a_short_span()
    {
        var days = Layout(Target("Production", true, Held(1, 0, null)));
        Assert.InRange(days.Ticks.Count, 4, 12);
        Assert.All(days.Ticks, t => Assert.Matches(@"^2026-11-\d\d$", t.Label));
        Assert.True(days.Ticks.Zip(days.Ticks.Skip(1)).All(p => p.First.X < p.Second.X));

        var hours = PromotionTimeline.For(
            new ModelCompliance("risk.fraud", "/risk", null, null, [Target("Production", true, Held(1, 0, null))], [], []), Day0.AddHours(10));
        Assert.All(hours.Ticks, t => Assert.Matches(@"^11-01 \d\d:00$", t.Label));
    }
}
