namespace Cairn.Governance;

/// <summary>
/// The verdicts of one metric against a <c>metric_threshold</c> gate: each check is null when the gate does not ask
/// for it (or, for the changes, when there is no baseline to compare with).
/// </summary>
/// <param name="ThresholdPassed">The value against <c>threshold</c>.</param>
/// <param name="AbsolutePassed">The value against the baseline moved by <c>min_absolute_change</c>.</param>
/// <param name="RelativePassed">The relative change against <c>min_relative_change</c> (or, for a zero baseline, the value against the baseline moved by 1e-10).</param>
/// <param name="AbsoluteChange">Candidate minus baseline, when there is a baseline.</param>
/// <param name="RelativeChange">The relative change as MLflow computes it (improvement over the baseline, divided by the baseline); null for a zero baseline or no relative check.</param>
/// <param name="ZeroBaseline">True when the relative check fell back to "better than the baseline" because the baseline is 0.</param>
/// <param name="NotANumber">True when the candidate, the baseline or the relative change is NaN: every check it enters fails.</param>
public sealed record MetricThresholdVerdict(
    bool? ThresholdPassed, bool? AbsolutePassed, bool? RelativePassed, double? AbsoluteChange, double? RelativeChange, bool ZeroBaseline, bool NotANumber)
{
    /// <summary>True when every check asked for passed.</summary>
    public bool Passed => ThresholdPassed is not false && AbsolutePassed is not false && RelativePassed is not false;
}

/// <summary>
/// MLflow's <c>MetricThreshold</c> comparison (<c>mlflow/models/evaluation/validation.py</c>, <c>_validate</c>), ported
/// check for check: "better" is <c>&gt;=</c> when greater is better and <c>&lt;=</c> otherwise, equality passing;
/// the absolute check compares the candidate with <c>baseline ± min_absolute_change</c>; the relative change is
/// <c>(candidate − baseline) / baseline</c> (<c>(baseline − candidate) / baseline</c> when lower is better) and fails
/// when it is less than <c>min_relative_change</c>; a baseline of 0 falls back to "better than the baseline by 1e-10".
/// One deliberate difference: a NaN never passes (MLflow's relative check lets a NaN change through, since
/// <c>NaN &lt; x</c> is false).
/// </summary>
public static class MetricThresholdCheck
{
    /// <summary>The margin MLflow asks of a candidate over a zero baseline in place of a relative change.</summary>
    public const double ZeroBaselineMargin = 1e-10;

    /// <summary>
    /// Compares <paramref name="candidate"/> with <paramref name="threshold"/> and, when <paramref name="baseline"/> is
    /// given, with the baseline by <paramref name="minAbsoluteChange"/> and <paramref name="minRelativeChange"/>.
    /// </summary>
    public static MetricThresholdVerdict Compare(
        double candidate, double? baseline, double? threshold, double? minAbsoluteChange, double? minRelativeChange, bool greaterIsBetter)
    {
        var nan = double.IsNaN(candidate);
        bool? thresholdPassed = threshold is { } t ? !nan && Better(candidate, t, greaterIsBetter) : null;
        if (baseline is not { } b || (minAbsoluteChange is null && minRelativeChange is null))
        {
            return new MetricThresholdVerdict(thresholdPassed, null, null, null, null, false, nan);
        }
        nan |= double.IsNaN(b);
        bool? absolutePassed = null;
        if (minAbsoluteChange is { } absolute)
        {
            absolutePassed = !nan && Better(candidate, greaterIsBetter ? b + absolute : b - absolute, greaterIsBetter);
        }
        bool? relativePassed = null;
        double? relativeChange = null;
        var zero = false;
        if (minRelativeChange is { } relative)
        {
            // MLflow tests `baseline == 0` (so -0.0 too) and then asks only that the candidate be better by 1e-10.
            if (b == 0)
            {
                zero = true;
                relativePassed = !nan && Better(candidate, greaterIsBetter ? b + ZeroBaselineMargin : b - ZeroBaselineMargin, greaterIsBetter);
            }
            else
            {
                var change = greaterIsBetter ? (candidate - b) / b : (b - candidate) / b;
                relativeChange = change;
                nan |= double.IsNaN(change);
                relativePassed = !nan && !(change < relative);
            }
        }
        return new MetricThresholdVerdict(thresholdPassed, absolutePassed, relativePassed, candidate - b, relativeChange, zero, nan);
    }

    private static bool Better(double value, double bound, bool greaterIsBetter) => greaterIsBetter ? value >= bound : value <= bound;
}
