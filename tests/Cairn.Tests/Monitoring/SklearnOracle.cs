using System.Text.Json;

namespace Cairn.Tests.Monitoring;

/// <summary>
/// scikit-learn (python3-sklearn, from the OS packages) as the oracle of the performance figures, through the SciPy
/// oracle runner: a snippet reads the test's data as <c>d</c> and leaves its figures in a dict <c>out</c>.
/// </summary>
internal static class SklearnOracle
{
    public static Task<Dictionary<string, double>> RunAsync(object data, string snippet)
    {
        var body = string.Join('\n', snippet.Split('\n').Select(l => l.TrimEnd()));
        var answer = ScipyOracle.Run($"import json, sys\nd = json.load(open(sys.argv[1]))\n{body}\nprint(json.dumps({{k: float(v) for k, v in out.items()}}))\n", data);
        return Task.FromResult(answer.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble()));
    }

    public static void AssertClose(IReadOnlyDictionary<string, double> expected, IReadOnlyDictionary<string, double> actual)
    {
        foreach (var (metric, value) in expected)
        {
            Assert.True(actual.TryGetValue(metric, out var got), $"{metric} missing");
            Assert.True(Math.Abs(got - value) <= 1e-9 * Math.Max(Math.Abs(value), 1e-300), $"{metric}: Cairn {got:R}, scikit-learn {value:R}");
        }
    }
}
