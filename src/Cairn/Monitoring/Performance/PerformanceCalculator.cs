using System.Globalization;
using System.Text.Json;

namespace Cairn.Monitoring.Performance;

/// <summary>The metric names Cairn computes, as the API and the stored rows spell them.</summary>
public static class PerformanceMetricNames
{
    public const string Accuracy = "accuracy";
    public const string Precision = "precision";
    public const string Recall = "recall";
    public const string F1 = "f1";
    public const string RocAuc = "roc_auc";
    public const string LogLoss = "log_loss";
    public const string Mae = "mae";
    public const string Rmse = "rmse";
    public const string R2 = "r2";

    /// <summary>Every computed metric: classification's, then regression's.</summary>
    public static IReadOnlyList<string> Computed { get; } = [Accuracy, Precision, Recall, F1, RocAuc, LogLoss, Mae, Rmse, R2];
}

/// <summary>What kind of model the predictions come from, which decides the metrics.</summary>
public enum PerformanceTask
{
    /// <summary>Labels (and optionally class probabilities): accuracy, precision, recall, F1, ROC AUC, log loss.</summary>
    Classification,

    /// <summary>Numbers: MAE, RMSE, R².</summary>
    Regression,
}

/// <summary>One prediction joined with its ground truth: JSON values as stored, probabilities a JSON object or null.</summary>
public readonly record struct PredictionOutcome(string Prediction, string Actual, string? Probabilities);

/// <summary>
/// The performance figures of a set of predictions with their ground truth, as scikit-learn 1.2 computes them (each figure
/// equals <c>sklearn.metrics</c>' on the same data):
/// <list type="bullet">
/// <item>accuracy: <c>accuracy_score</c>.</item>
/// <item>precision, recall, F1: over two labels or fewer <c>average='binary'</c> with the positive label (given, else
/// <c>"1"</c>, else <c>"true"</c>, else the larger label); over more, <c>average='macro'</c> over every label seen in
/// predictions or ground truth. A zero denominator counts 0 (<c>zero_division</c>'s default).</item>
/// <item>ROC AUC: binary from the positive label's probability (<c>roc_auc_score(y, p)</c>); multiclass one-vs-rest,
/// macro-averaged over the labels that have both positive and negative rows (<c>multi_class='ovr'</c>). Only when every
/// row has probabilities and the ground truth holds two labels or more.</item>
/// <item>log loss: <c>log_loss</c> with <c>labels</c> the probability keys and ground-truth labels, probabilities clipped to
/// [ε, 1−ε] (ε the double's machine epsilon, sklearn's <c>eps='auto'</c>) and renormalised per row. A label a row gives no
/// probability for has 0, except with two labels where the one given implies the other (1 − p).</item>
/// <item>MAE, RMSE (the root of <c>mean_squared_error</c>), R² (<c>r2_score</c>: 1 when the ground truth is constant and
/// every prediction right, 0 when it is constant otherwise).</item>
/// </list>
/// Labels compare as text: a JSON string as itself, a number in its shortest round-trip form (<c>1</c> and <c>1.0</c> are
/// the same label), a boolean as <c>true</c>/<c>false</c>.
/// </summary>
public static class PerformanceCalculator
{
    // numpy.finfo(float64).eps, sklearn's clipping bound for float64 probabilities.
    private static readonly double Epsilon = Math.BitIncrement(1.0) - 1.0;

    /// <summary>
    /// The task the outcomes suggest when the caller named none: classification when any row has probabilities or any
    /// value is not a number, or when every value is a whole number (labels coded 0, 1, 2); regression otherwise.
    /// </summary>
    public static PerformanceTask InferTask(IReadOnlyList<PredictionOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var allWhole = true;
        foreach (var outcome in outcomes)
        {
            if (outcome.Probabilities is not null)
            {
                return PerformanceTask.Classification;
            }
            foreach (var value in (ReadOnlySpan<string>)[outcome.Prediction, outcome.Actual])
            {
                if (!TryNumber(value, out var number))
                {
                    return PerformanceTask.Classification;
                }
                allWhole &= number == Math.Floor(number);
            }
        }
        return allWhole ? PerformanceTask.Classification : PerformanceTask.Regression;
    }

    /// <summary>
    /// The figures of <paramref name="outcomes"/> by metric name (<see cref="PerformanceMetricNames"/>); a metric that is
    /// undefined on them (ROC AUC with one label, regression on labels) is left out.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Compute(IReadOnlyList<PredictionOutcome> outcomes, PerformanceTask task, string? positiveLabel = null)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        if (outcomes.Count == 0)
        {
            return figures;
        }
        if (task == PerformanceTask.Regression)
        {
            Regression(outcomes, figures);
        }
        else
        {
            Classification(outcomes, positiveLabel, figures);
        }
        return figures;
    }

    /// <summary>A stored JSON value (string, number or boolean) as a label; null for anything else.</summary>
    public static string? Label(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static string Label(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Label(document.RootElement) ?? json;
    }

    private static bool TryNumber(string json, out double number)
    {
        number = 0;
        if (json.Length == 0 || !(json[0] is '-' || char.IsAsciiDigit(json[0])))
        {
            return false;
        }
        return double.TryParse(json, NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }

    private static void Regression(IReadOnlyList<PredictionOutcome> outcomes, Dictionary<string, double> figures)
    {
        var n = outcomes.Count;
        var predicted = new double[n];
        var actual = new double[n];
        for (var i = 0; i < n; i++)
        {
            if (!TryNumber(outcomes[i].Prediction, out predicted[i]) || !TryNumber(outcomes[i].Actual, out actual[i]))
            {
                // Labels are not numbers: no regression figure means anything.
                return;
            }
        }
        double absolute = 0, squared = 0, mean = 0;
        for (var i = 0; i < n; i++)
        {
            var error = actual[i] - predicted[i];
            absolute += Math.Abs(error);
            squared += error * error;
            mean += actual[i];
        }
        mean /= n;
        double total = 0;
        for (var i = 0; i < n; i++)
        {
            var deviation = actual[i] - mean;
            total += deviation * deviation;
        }
        figures[PerformanceMetricNames.Mae] = absolute / n;
        figures[PerformanceMetricNames.Rmse] = Math.Sqrt(squared / n);
        // r2_score's force_finite: a constant ground truth scores 1 when matched exactly, 0 otherwise.
        figures[PerformanceMetricNames.R2] = total == 0 ? (squared == 0 ? 1.0 : 0.0) : 1 - squared / total;
    }

    private static void Classification(IReadOnlyList<PredictionOutcome> outcomes, string? positiveLabel, Dictionary<string, double> figures)
    {
        var n = outcomes.Count;
        var predicted = new string[n];
        var actual = new string[n];
        var probabilities = new Dictionary<string, double>?[n];
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        var correct = 0;
        for (var i = 0; i < n; i++)
        {
            predicted[i] = Label(outcomes[i].Prediction);
            actual[i] = Label(outcomes[i].Actual);
            probabilities[i] = outcomes[i].Probabilities is { } p ? JsonSerializer.Deserialize<Dictionary<string, double>>(p) : null;
            labels.Add(predicted[i]);
            labels.Add(actual[i]);
            if (predicted[i] == actual[i])
            {
                correct++;
            }
        }
        figures[PerformanceMetricNames.Accuracy] = (double)correct / n;

        if (labels.Count <= 2)
        {
            var positive = positiveLabel ?? DefaultPositive(labels);
            var (precision, recall, f1) = Scores(predicted, actual, positive);
            figures[PerformanceMetricNames.Precision] = precision;
            figures[PerformanceMetricNames.Recall] = recall;
            figures[PerformanceMetricNames.F1] = f1;
        }
        else
        {
            double precision = 0, recall = 0, f1 = 0;
            foreach (var label in labels)
            {
                var scores = Scores(predicted, actual, label);
                precision += scores.Precision;
                recall += scores.Recall;
                f1 += scores.F1;
            }
            figures[PerformanceMetricNames.Precision] = precision / labels.Count;
            figures[PerformanceMetricNames.Recall] = recall / labels.Count;
            figures[PerformanceMetricNames.F1] = f1 / labels.Count;
        }

        if (Array.Exists(probabilities, p => p is null))
        {
            return;
        }
        var classes = new SortedSet<string>(actual, StringComparer.Ordinal);
        foreach (var p in probabilities)
        {
            classes.UnionWith(p!.Keys);
        }
        if (classes.Count < 2)
        {
            return;
        }
        var classList = classes.ToList();
        var matrix = new double[n][];
        for (var i = 0; i < n; i++)
        {
            matrix[i] = Row(probabilities[i]!, classList);
        }
        figures[PerformanceMetricNames.LogLoss] = LogLoss(matrix, actual, classList);
        if (classList.Count == 2)
        {
            var positive = positiveLabel ?? DefaultPositive(labels);
            var column = classList.IndexOf(positive);
            if (column >= 0 && RocAuc(matrix, actual, positive, column) is { } auc)
            {
                figures[PerformanceMetricNames.RocAuc] = auc;
            }
        }
        else
        {
            double sum = 0;
            var counted = 0;
            for (var c = 0; c < classList.Count; c++)
            {
                if (RocAuc(matrix, actual, classList[c], c) is { } auc)
                {
                    sum += auc;
                    counted++;
                }
            }
            if (counted > 0)
            {
                figures[PerformanceMetricNames.RocAuc] = sum / counted;
            }
        }
    }

    /// <summary>"1" when it is a label, else "true", else the larger label (by number when all are numbers).</summary>
    internal static string DefaultPositive(IReadOnlyCollection<string> labels)
    {
        if (labels.Contains("1"))
        {
            return "1";
        }
        if (labels.FirstOrDefault(l => string.Equals(l, "true", StringComparison.OrdinalIgnoreCase)) is { } truth)
        {
            return truth;
        }
        var numbers = labels.Select(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : (double?)null).ToList();
        return numbers.TrueForAll(x => x is not null)
            ? labels.ElementAt(numbers.IndexOf(numbers.Max()))
            : labels.Max(StringComparer.Ordinal)!;
    }

    private static (double Precision, double Recall, double F1) Scores(string[] predicted, string[] actual, string label)
    {
        long tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < predicted.Length; i++)
        {
            var p = predicted[i] == label;
            var a = actual[i] == label;
            tp += p && a ? 1 : 0;
            fp += p && !a ? 1 : 0;
            fn += !p && a ? 1 : 0;
        }
        var precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp);
        var recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return (precision, recall, f1);
    }

    private static double[] Row(Dictionary<string, double> given, List<string> classes)
    {
        var row = new double[classes.Count];
        for (var c = 0; c < classes.Count; c++)
        {
            row[c] = given.TryGetValue(classes[c], out var p) ? p
                : classes.Count == 2 && given.Count == 1 && given.TryGetValue(classes[1 - c], out var other) ? 1 - other
                : 0;
        }
        return row;
    }

    private static double LogLoss(double[][] matrix, string[] actual, List<string> classes)
    {
        double total = 0;
        for (var i = 0; i < matrix.Length; i++)
        {
            double sum = 0;
            var clipped = new double[classes.Count];
            for (var c = 0; c < classes.Count; c++)
            {
                clipped[c] = Math.Clamp(matrix[i][c], Epsilon, 1 - Epsilon);
                sum += clipped[c];
            }
            total -= Math.Log(clipped[classes.IndexOf(actual[i])] / sum);
        }
        return total / matrix.Length;
    }

    /// <summary>The area under the ROC curve of <paramref name="label"/> against the rest, by the rank-sum (ties share their mean rank); null without both.</summary>
    private static double? RocAuc(double[][] matrix, string[] actual, string label, int column)
    {
        var order = Enumerable.Range(0, matrix.Length).OrderBy(i => matrix[i][column]).ToArray();
        double positives = 0, rankSum = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && matrix[order[end + 1]][column] == matrix[order[start]][column])
            {
                end++;
            }
            var rank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
            {
                if (actual[order[k]] == label)
                {
                    positives++;
                    rankSum += rank;
                }
            }
            start = end + 1;
        }
        var negatives = order.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return null;
        }
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
    }
}
