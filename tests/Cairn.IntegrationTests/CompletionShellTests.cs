using System.Diagnostics;

namespace Cairn.IntegrationTests;

/// <summary>
/// The zsh and fish completion scripts that <c>cairn completion</c> prints, loaded in the real shells (scripts/test
/// installs zsh and fish from the OS packages) and asked for the completions of partial command lines. fish answers
/// with its own completion engine (<c>complete -C</c>). zsh completes only inside its line editor, so the script's
/// <c>_cairn</c> function is called with <c>words</c> and <c>CURRENT</c> set as the editor sets them, and
/// <c>compadd</c> replaced by a function that prints the candidates matching the word being completed, as compadd
/// offers them. (bash runs for real in tests/Cairn.Tests/Cli/CliLocalTests.)
/// </summary>
public sealed class CompletionShellTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cairn-completion-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<string> ScriptAsync(string shell)
    {
        var printed = await Cli.RunAsync("completion", shell);
        Assert.True(printed.ExitCode == 0, printed.Stderr);
        var path = Path.Combine(_root, "cairn." + shell);
        await File.WriteAllTextAsync(path, printed.Stdout);
        return path;
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task<HashSet<string>> RunAsync(string shell, params string[] args)
    {
        var info = new ProcessStartInfo(shell) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{shell} is not installed: scripts/test installs it (apt-get install {shell}).", e);
        }
        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"{shell} exited {process.ExitCode}: {await stderr}");
            // fish prints "candidate<TAB>description"; zsh's capture one candidate a line.
            return [.. (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')[0])];
        }
    }

    /// <summary>What zsh's <c>_cairn</c> offers for the last word of <paramref name="line"/> (split on spaces; a trailing space completes an empty word).</summary>
    private static Task<HashSet<string>> ZshAsync(string script, string line)
    {
        var words = line.Split(' ');
        var program = $$"""
            compdef() { : }
            _files() { print -r -- '<files>' }
            compadd() {
                local -a offered
                if [[ $1 == -a ]]; then shift; for name in "$@"; do offered+=("${(@P)name}"); done; else offered=("$@"); fi
                print -rl -- ${(M)offered:#${words[CURRENT]}*}
            }
            source {{Quote(script)}}
            words=({{string.Join(' ', words.Select(Quote))}})
            CURRENT={{words.Length}}
            _cairn
            """;
        return RunAsync("zsh", "-f", "-c", program);
    }

    /// <summary>What fish's own completion offers for <paramref name="line"/>.</summary>
    private static Task<HashSet<string>> FishAsync(string script, string line) =>
        RunAsync("fish", "--no-config", "-c", $"source {Quote(script)}; complete -C {Quote(line)}");

    [Fact]
    public async Task Zsh_completes_commands_subcommands_options_and_values_from_the_script()
    {
        var script = await ScriptAsync("zsh");

        var top = await ZshAsync(script, "cairn mo");
        Assert.Equal(new HashSet<string> { "model", "monitor" }, top);
        Assert.Superset(new HashSet<string> { "list", "rotate" }, await ZshAsync(script, "cairn keys "));
        Assert.Superset(new HashSet<string> { "--token-name", "--token" }, await ZshAsync(script, "cairn role grant --to"));
        Assert.Equal(new HashSet<string> { "none", "token" }, await ZshAsync(script, "cairn serve --auth "));
        // Options before the command keep the place in the tree.
        Assert.Equal(new HashSet<string> { "compare" }, await ZshAsync(script, "cairn --server http://x runs co"));
    }

    [Fact]
    public async Task Fish_completes_commands_subcommands_options_and_values_with_its_own_engine()
    {
        var script = await ScriptAsync("fish");

        Assert.Equal(new HashSet<string> { "model", "monitor" }, await FishAsync(script, "cairn mo"));
        Assert.Superset(new HashSet<string> { "list", "rotate" }, await FishAsync(script, "cairn keys "));
        Assert.Superset(new HashSet<string> { "--token-name", "--token" }, await FishAsync(script, "cairn role grant --to"));
        Assert.Equal(new HashSet<string> { "none", "token" }, await FishAsync(script, "cairn serve --auth "));
        Assert.Contains("compare", await FishAsync(script, "cairn --server http://x runs co"));
    }
}
