using System.Globalization;
using System.Text.Json;
using Cairn.Monitoring.Performance;

namespace Cairn.Tests.Monitoring;

/// <summary>Every performance figure equals scikit-learn's on the same data (python3-sklearn from the OS packages), to 1e-9 relative.</summary>
[Trait("Store", "none")]
public sealed class PerformanceCalculatorTests
{
    private static string Json(object value) => JsonSerializer.Serialize(value);

    internal static (List<PredictionOutcome> Outcomes, object Data) Binary(int n, int seed, bool ties = false)
    {
        var random = new Random(seed);
        var outcomes = new List<PredictionOutcome>();
        var y = new List<int>();
        var p = new List<double>();
        var predicted = new List<int>();
        for (var i = 0; i < n; i++)
        {
            var actual = random.NextDouble() < 0.4 ? 1 : 0;
            var score = ties ? Math.Round(Math.Clamp(0.3 * actual + random.NextDouble() * 0.7, 0, 1), 1) : Math.Clamp(0.3 * actual + random.NextDouble() * 0.7, 0, 1);
            if (i == 3)
            {
                score = 1.0; // clipped by log loss
            }
            var label = score >= 0.5 ? 1 : 0;
            y.Add(actual);
            p.Add(score);
            predicted.Add(label);
            outcomes.Add(new PredictionOutcome(Json(label), Json(actual), Json(new Dictionary<string, double> { ["1"] = score, ["0"] = 1 - score })));
        }
        return (outcomes, new { y, predicted, p });
    }

    [SkippableFact]
    public async Task Binary_classification_figures_equal_scikit_learns()
    {
        foreach (var ties in new[] { false, true })
        {
            var (outcomes, data) = Binary(500, 7, ties);
            var figures = PerformanceCalculator.Compute(outcomes, PerformanceCalculator.InferTask(outcomes));
            var expected = await SklearnOracle.RunAsync(data, """
                from sklearn import metrics as m
                y, yp, p = d['y'], d['predicted'], d['p']
                out = dict(accuracy=m.accuracy_score(y, yp), precision=m.precision_score(y, yp), recall=m.recall_score(y, yp),
                           f1=m.f1_score(y, yp), roc_auc=m.roc_auc_score(y, p), log_loss=m.log_loss(y, p))
                """);
            SklearnOracle.AssertClose(expected, figures);
        }
    }

    [SkippableFact]
    public async Task Multiclass_figures_are_macro_averages_equal_to_scikit_learns()
    {
        var random = new Random(11);
        var labels = new[] { "cat", "dog", "fox" };
        var outcomes = new List<PredictionOutcome>();
        var y = new List<string>();
        var yp = new List<string>();
        var p = new List<double[]>();
        for (var i = 0; i < 400; i++)
        {
            var actual = random.Next(3);
            var raw = new double[3];
            for (var c = 0; c < 3; c++)
            {
                raw[c] = random.NextDouble() + (c == actual ? 0.8 : 0);
            }
            var sum = raw.Sum();
            var row = raw.Select(x => x / sum).ToArray();
            var predicted = Array.IndexOf(row, row.Max());
            y.Add(labels[actual]);
            yp.Add(labels[predicted]);
            p.Add(row);
            outcomes.Add(new PredictionOutcome(Json(labels[predicted]), Json(labels[actual]),
                Json(labels.Select((l, c) => (l, c)).ToDictionary(x => x.l, x => row[x.c]))));
        }
        var figures = PerformanceCalculator.Compute(outcomes, PerformanceCalculator.InferTask(outcomes));
        var expected = await SklearnOracle.RunAsync(new { y, yp, p, labels }, """
            from sklearn import metrics as m
            y, yp, p, labels = d['y'], d['yp'], d['p'], d['labels']
            out = dict(accuracy=m.accuracy_score(y, yp), precision=m.precision_score(y, yp, average='macro'),
                       recall=m.recall_score(y, yp, average='macro'), f1=m.f1_score(y, yp, average='macro'),
                       roc_auc=m.roc_auc_score(y, p, multi_class='ovr', average='macro', labels=labels), log_loss=m.log_loss(y, p, labels=labels))
            """);
        SklearnOracle.AssertClose(expected, figures);
    }

    [SkippableFact]
    public async Task Regression_figures_equal_scikit_learns()
    {
        var random = new Random(5);
        var y = Enumerable.Range(0, 300).Select(_ => random.NextDouble() * 100).ToList();
        var yp = y.Select(v => v + (random.NextDouble() - 0.5) * 20).ToList();
        var outcomes = y.Zip(yp, (a, b) => new PredictionOutcome(b.ToString("R", CultureInfo.InvariantCulture), a.ToString("R", CultureInfo.InvariantCulture), null)).ToList();
        Assert.Equal(PerformanceTask.Regression, PerformanceCalculator.InferTask(outcomes));
        var figures = PerformanceCalculator.Compute(outcomes, PerformanceTask.Regression);
        var expected = await SklearnOracle.RunAsync(new { y, yp }, """
            from sklearn import metrics as m
            import math
            y, yp = d['y'], d['yp']
            out = dict(mae=m.mean_absolute_error(y, yp), rmse=math.sqrt(m.mean_squared_error(y, yp)), r2=m.r2_score(y, yp))
            """);
        SklearnOracle.AssertClose(expected, figures);
    }

    [Fact]
    public void The_positive_label_defaults_to_1_then_true_then_the_larger()
    {
        Assert.Equal("1", PerformanceCalculator.DefaultPositive(["0", "1"]));
        Assert.Equal("True", PerformanceCalculator.DefaultPositive(["False", "True"]));
        Assert.Equal("10", PerformanceCalculator.DefaultPositive(["9", "10"]));
        Assert.Equal("spam", PerformanceCalculator.DefaultPositive(["ham", "spam"]));
    }

    [Fact]
    public void A_figure_undefined_on_the_data_is_left_out()
    {
        var outcomes = new List<PredictionOutcome> { new("1", "1", """{"1":0.9}"""), new("1", "1", """{"1":0.8}""") };
        var figures = PerformanceCalculator.Compute(outcomes, PerformanceTask.Classification);
        Assert.Equal(1.0, figures[PerformanceMetricNames.Accuracy]);
        Assert.False(figures.ContainsKey(PerformanceMetricNames.RocAuc));
    }
}
