using System.Diagnostics;
using System.Text.Json;

namespace Cairn.Tests.Monitoring;

/// <summary>
/// Runs SciPy (from the OS packages) as the independent reference for the monitoring figures: a Python script of the
/// test's own, given its input as JSON on a file, prints its answer as JSON. The interpreter is the first of
/// <c>CAIRN_TEST_PYTHON</c>, <c>python3</c> on the PATH and <c>/usr/bin/python3</c> that imports numpy and scipy.
/// Without one the test is skipped, unless <c>CAIRN_TEST_REQUIRE_ORACLE</c> is set (as scripts/test sets it): then it fails.
/// </summary>
public static class ScipyOracle
{
    private static readonly Lazy<string?> Interpreter = new(FindInterpreter);

    /// <summary>Skips the calling <c>[SkippableFact]</c> when no interpreter with SciPy exists and none is required.</summary>
    public static void RequireOrSkip()
    {
        if (Interpreter.Value is not null)
            return;
        var required = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CAIRN_TEST_REQUIRE_ORACLE"));
        if (required)
            throw new InvalidOperationException(
                "CAIRN_TEST_REQUIRE_ORACLE is set but no python3 imports numpy and scipy (apt-get install python3-scipy)");
        Skip.If(true, "no python3 with numpy and scipy: the SciPy oracle is unavailable");
    }

    /// <summary>
    /// Runs <paramref name="script"/>, which finds its input's JSON file path in <c>sys.argv[1]</c> and prints one JSON
    /// document, and returns that document.
    /// </summary>
    public static JsonElement Run(string script, object? input)
    {
        RequireOrSkip();
        var dir = Directory.CreateTempSubdirectory("cairn-oracle-");
        try
        {
            var scriptPath = Path.Combine(dir.FullName, "oracle.py");
            var inputPath = Path.Combine(dir.FullName, "input.json");
            File.WriteAllText(scriptPath, script);
            File.WriteAllText(inputPath, JsonSerializer.Serialize(input));
            var start = new ProcessStartInfo(Interpreter.Value!)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(scriptPath);
            start.ArgumentList.Add(inputPath);
            using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("the SciPy oracle ran for more than 5 minutes");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"the SciPy oracle failed ({process.ExitCode}): {stderr.Result}");
            using var document = JsonDocument.Parse(stdout);
            return document.RootElement.Clone();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string? FindInterpreter()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("CAIRN_TEST_PYTHON") is { Length: > 0 } configured)
            candidates.Add(configured);
        candidates.Add("python3");
        candidates.Add("/usr/bin/python3");
        foreach (var candidate in candidates)
        {
            try
            {
                var start = new ProcessStartInfo(candidate)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add("import numpy, scipy.stats, scipy.spatial");
                using var process = Process.Start(start);
                if (process is null)
                    continue;
                _ = process.StandardError.ReadToEndAsync();
                process.StandardOutput.ReadToEnd();
                if (process.WaitForExit(TimeSpan.FromSeconds(60)) && process.ExitCode == 0)
                    return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under that name: try the next.
            }
        }
        return null;
    }
}
