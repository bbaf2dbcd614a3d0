namespace Cairn.Monitoring.Alerts;

/// <summary>One window (or metric bucket) of a series, in data time (Unix milliseconds), and whether it breached a rule.</summary>
public readonly record struct AlertObservation(long StartsAt, long EndsAt, bool Breached);

/// <summary>The last alert a rule raised on a deployment: the newest window it cited starts at <see cref="LastStart"/>, and its evidence ends at <see cref="DataTo"/>.</summary>
public readonly record struct PreviousAlert(long LastStart, long DataTo);

/// <summary>
/// When a rule raises: the decision over a series, apart from where the series comes from, so that it is tested over
/// sequences alone. A rule raises when (1) the newest <c>K</c> observations all breach; (2) none of them was evidence of
/// the rule's previous alert on the deployment, so a run of breaches raises once and a new alert needs K new breaches;
/// and (3) the new evidence ends at least the cool-down after the previous alert's did. Time is data time (the windows'
/// own), so a backfill of old windows alerts as it would have live.
/// </summary>
public static class AlertStreak
{
    /// <summary>Whether a rule with <paramref name="consecutive"/> (K) and <paramref name="cooldownMs"/> raises now.</summary>
    /// <param name="consecutive">K, at least 1.</param>
    /// <param name="cooldownMs">The cool-down in milliseconds of data time.</param>
    /// <param name="newestFirst">The series' latest observations, newest first (at least K of them to raise).</param>
    /// <param name="previous">The rule's previous alert on the same deployment, if any.</param>
    public static bool Raises(int consecutive, long cooldownMs, IReadOnlyList<AlertObservation> newestFirst, PreviousAlert? previous)
    {
        ArgumentNullException.ThrowIfNull(newestFirst);
        ArgumentOutOfRangeException.ThrowIfLessThan(consecutive, 1);
        if (newestFirst.Count < consecutive)
        {
            return false;
        }
        for (var i = 0; i < consecutive; i++)
        {
            if (!newestFirst[i].Breached)
            {
                return false;
            }
        }
        if (previous is not { } last)
        {
            return true;
        }
        return newestFirst[consecutive - 1].StartsAt > last.LastStart && newestFirst[0].EndsAt - last.DataTo >= cooldownMs;
    }
}
