using Cairn.Governance;

namespace Cairn.Tests.Governance;

/// <summary>
/// A policy's gates are checked when the policy is set, naming the field: for metric thresholds the rules of MLflow's
/// MetricThreshold constructor (tests/evaluate/test_validation.py, test_metric_threshold_class_should_fail), and for the
/// other gates the bounds that keep their evaluation cheap.
/// </summary>
[Trait("Store", "none")]
public sealed class GateSpecValidationTests
{
    private static string Refusal(GateSpec gate) =>
        Assert.Throws<InvalidParameterException>(() => new Policy([new ProtectedTarget(Stage: "Production", Gates: [gate])]).Validate()).Message;

    [Fact]
    public void A_negative_absolute_change_is_refused_as_mlflow_refuses_it()
    {
        Assert.Contains("'protected_targets[0].gates[0].min_absolute_change' must be a positive number", Refusal(new GateSpec("metric_threshold", Metric: "auc", MinAbsoluteChange: -1)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(2.0)]
    public void A_relative_change_outside_zero_to_one_is_refused(double change)
    {
        Assert.Contains("min_relative_change' must be between 0 and 1", Refusal(new GateSpec("metric_threshold", Metric: "auc", MinRelativeChange: change)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_metric_gate_without_any_threshold_is_refused()
    {
        Assert.Contains("needs at least one of 'threshold', 'min_absolute_change', 'min_relative_change'", Refusal(new GateSpec("metric_threshold", Metric: "auc")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_tags_gate_naming_more_tags_than_are_checked_is_refused()
    {
        var tags = Enumerable.Range(0, QualityGates.MaxTags + 1).ToDictionary(i => $"k{i}", _ => (string?)null);

        Assert.Contains($"names {QualityGates.MaxTags + 1} tags; a gate may name at most {QualityGates.MaxTags}", Refusal(new GateSpec("required_tags", Tags: tags)), StringComparison.Ordinal);
    }
}
