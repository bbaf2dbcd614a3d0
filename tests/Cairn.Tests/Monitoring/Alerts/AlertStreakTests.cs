using Cairn.Monitoring.Alerts;

namespace Cairn.Tests.Monitoring.Alerts;

/// <summary>When a rule raises, over sequences of windows alone: K consecutive breaches, one alert per run, the cool-down.</summary>
[Trait("Store", "none")]
public sealed class AlertStreakTests
{
    private const long Hour = 3_600_000;

    // Hourly windows, oldest first as a serving side reports them; the decision reads them newest first.
    private static List<AlertObservation> Hourly(params bool[] breaches) =>
        [.. breaches.Select((b, i) => new AlertObservation(i * Hour, (i + 1) * Hour, b)).Reverse()];

    /// <summary>Feeds windows one by one as they arrive, keeping the alerts raised (as the evaluator does): the indexes of the windows that raised.</summary>
    private static List<int> Replay(int k, long cooldownMs, params bool[] breaches)
    {
        var raisedAt = new List<int>();
        PreviousAlert? previous = null;
        for (var n = 1; n <= breaches.Length; n++)
        {
            var series = Hourly(breaches[..n]);
            if (AlertStreak.Raises(k, cooldownMs, series, previous))
            {
                raisedAt.Add(n - 1);
                previous = new PreviousAlert(series[0].StartsAt, series[0].EndsAt);
            }
        }
        return raisedAt;
    }

    [Fact]
    public void With_K_1_a_breaching_window_raises_and_a_calm_one_does_not()
    {
        Assert.True(AlertStreak.Raises(1, 0, Hourly(true), null));
        Assert.False(AlertStreak.Raises(1, 0, Hourly(false), null));
        Assert.False(AlertStreak.Raises(1, 0, Hourly(true, false), null));
    }

    [Fact]
    public void K_consecutive_breaches_are_needed_and_a_calm_window_breaks_the_run()
    {
        Assert.False(AlertStreak.Raises(3, 0, Hourly(true, true), null));
        Assert.False(AlertStreak.Raises(3, 0, Hourly(true, false, true, true), null));
        Assert.True(AlertStreak.Raises(3, 0, Hourly(false, true, true, true), null));
        Assert.Equal([5], Replay(3, 0, true, true, false, true, true, true));
    }

    [Fact]
    public void A_run_of_breaches_raises_once_per_K_new_windows()
    {
        // Without a cool-down a window still counts toward one alert only: K = 2 over six breaching windows raises at the 2nd, 4th and 6th.
        Assert.Equal([1, 3, 5], Replay(2, 0, true, true, true, true, true, true));
        Assert.Equal([0, 1, 2], Replay(1, 0, true, true, true));
    }

    [Fact]
    public void The_cool_down_holds_back_alerts_until_that_much_data_time_has_passed()
    {
        // K = 1, cool-down 2 hours: the 1st raises; the 2nd ends 1 h after it (held back); the 3rd ends 2 h after (raises).
        Assert.Equal([0, 2, 4], Replay(1, 2 * Hour, true, true, true, true, true));
        // A cool-down of 3 hours over a run broken by calm windows.
        Assert.Equal([0, 4], Replay(1, 3 * Hour, true, false, true, false, true));
    }

    [Fact]
    public void A_window_that_was_evidence_of_the_previous_alert_does_not_count_again()
    {
        var previous = new PreviousAlert(LastStart: 2 * Hour, DataTo: 3 * Hour);
        // Windows 2, 3 and 4 breach; window 2 was the previous alert's newest.
        var series = Hourly(true, true, true, true, true);
        Assert.False(AlertStreak.Raises(3, 0, series, previous));
        Assert.True(AlertStreak.Raises(2, 0, series, previous));
    }

    [Fact]
    public void K_must_be_at_least_one() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AlertStreak.Raises(0, 0, Hourly(true), null));
}
