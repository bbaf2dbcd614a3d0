using System.Diagnostics;
using System.Text.Json;

namespace Cairn.Tests.Monitoring;

/// <summary>Runs a scikit-learn snippet over JSON data (<c>d</c>) and reads back its <c>out</c> dict of figures.</summary>
internal static class SklearnOracle
{
    public static async Task<Dictionary<string, double>> RunAsync(object data, string script)
    {
        var dir = Directory.CreateTempSubdirectory("cairn-sklearn-").FullName;
        try
        {
            var input = Path.Combine(dir, "data.json");
            await File.WriteAllTextAsync(input, JsonSerializer.Serialize(data));
            var program = Path.Combine(dir, "oracle.py");
            var body = string.Join('\n', script.Split('\n').Select(l => l.TrimEnd()));
            await File.WriteAllTextAsync(program,
                $"import json, sys\nd = json.load(open(sys.argv[1]))\n{body}\nprint(json.dumps({{k: float(v) for k, v in out.items()}}))\n");
            var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
            using var process = Process.Start(new ProcessStartInfo(python, [program, input]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = await process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, error);
            return JsonSerializer.Deserialize<Dictionary<string, double>>(output)!;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
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
