using System.Text.Json.Nodes;

namespace Cairn.Tests.Cli;

/// <summary>Runs a <c>cairn</c> command line in this process, its output captured and its client sent to a test server.</summary>
public static class CliRun
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public JsonNode Json => JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("No JSON on stdout: " + Stderr);

        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    /// <param name="handler">Where the command's client sends its requests (a test server's handler); null for commands that need none.</param>
    /// <param name="args">The command line after <c>cairn</c>.</param>
    public static async Task<Result> RunAsync(HttpMessageHandler? handler, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        // Set in this method, so it flows into the command and is undone when the method returns.
        Cairn.Cli.CliHost.Redirect(stdout, stderr, handler);
        var exitCode = await Cairn.Cli.Program.RunAsync(args);
        return new Result(exitCode, stdout.ToString(), stderr.ToString());
    }
}
