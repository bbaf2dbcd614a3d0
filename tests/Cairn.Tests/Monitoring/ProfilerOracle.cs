using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cairn.Tests.Monitoring;

/// <summary>
/// numpy as the profiler tests' independent reference: the values go to a temporary file (each as its shortest
/// round-trip text, so numpy reads the same doubles), a python script computes what the profiler should, and prints
/// JSON. Skips, saying why, where numpy is missing and CAIRN_TEST_REQUIRE_ORACLE is unset (scripts/test sets it).
/// </summary>
internal static class ProfilerOracle
{
    // The pyenv python3 first on PATH may lack the OS packages that /usr/bin/python3 has.
    private static readonly Lazy<string?> Python = new(() =>
        new[] { "python3", "/usr/bin/python3" }.FirstOrDefault(p => Run(p, "import numpy", null).Code == 0));

    /// <summary>Runs <paramref name="script"/> with the values' file as <c>sys.argv[1]</c>; returns its JSON output.</summary>
    public static JsonElement Evaluate(IEnumerable<double> values, string script)
    {
        var python = Python.Value;
        if (python is null)
        {
            Skip.If(Environment.GetEnvironmentVariable("CAIRN_TEST_REQUIRE_ORACLE") is null, "numpy is not installed (apt-get install python3-scipy)");
            throw new InvalidOperationException("numpy is required (CAIRN_TEST_REQUIRE_ORACLE is set) but no python3 imports it");
        }
        var path = Path.Combine(Path.GetTempPath(), $"cairn-oracle-{Guid.NewGuid():N}.txt");
        try
        {
            var text = new StringBuilder();
            foreach (var v in values)
                text.Append(v.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            File.WriteAllText(path, text.ToString());
            var (code, output, error) = Run(python, script, path);
            if (code != 0)
                throw new InvalidOperationException($"the oracle failed: {error}");
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>count, min, max, mean, std (ddof=0) and numpy.unique's values and counts.</summary>
    public const string Moments = """
        import sys, json, numpy as np
        x = np.loadtxt(sys.argv[1], dtype=np.float64, ndmin=1)
        u, c = np.unique(x, return_counts=True)
        print(json.dumps({"count": int(x.size), "min": float(x.min()), "max": float(x.max()), "mean": float(x.mean()),
                          "std": float(x.std(ddof=0)), "values": [float(v) for v in u], "counts": [int(n) for n in c]}))
        """;

    private static (int Code, string Output, string Error) Run(string python, string script, string? argument)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        if (argument is not null)
            start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return (process.ExitCode, output.Result, error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", e.Message);
        }
    }
}
