using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Cli;

/// <summary>Issue 19 item 6: CLI behaviour that needs no server: offline token creation, help, completion scripts.</summary>
[Trait("Store", "none")]
public sealed class CliLocalTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cairn-cli-local-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private static Task<CliRun.Result> Cairn(params string[] args) => CliRun.RunAsync(null, args);

    [Fact]
    public async Task Token_create_on_a_data_dir_without_a_store_fails_in_one_line_and_creates_nothing()
    {
        var typo = Path.Combine(_root, "cairn-dta");

        var result = await Cairn("token", "create", "--data-dir", typo, "--name", "admin", "--role", "admin");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Contains("There is no Cairn store at " + Path.Combine(typo, "cairn.db"), result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--init", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(typo));
    }

    [Fact]
    public async Task Token_create_with_init_makes_a_new_store_and_says_so_only_then()
    {
        var dataDir = Path.Combine(_root, "new-store");

        var first = await Cairn("token", "create", "--init", "--data-dir", dataDir, "--name", "admin", "--role", "admin");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Created a new, empty Cairn store at " + Path.Combine(dataDir, "cairn.db"), first.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("cairn_", first.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);

        var second = await Cairn("token", "create", "--data-dir", dataDir, "--name", "ci", "--role", "writer", "--json");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.DoesNotContain("Created a new", second.Stderr, StringComparison.Ordinal);
        Assert.Equal("ci", (string?)second.Json["token"]!["name"]);

        var listed = await Cairn("token", "list", "--data-dir", dataDir, "--json");
        Assert.Equal(["admin", "ci"], listed.Json["tokens"]!.AsArray().Select(t => (string)t!["name"]!).Order(StringComparer.Ordinal));

        var initAlone = await Cairn("token", "create", "--init", "--name", "x", "--role", "reader");
        Assert.Equal(2, initAlone.ExitCode);
        Assert.Contains("--init", initAlone.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_help_shows_only_what_applies_to_serve()
    {
        var serve = await Cairn("serve", "--help");

        Assert.Equal(0, serve.ExitCode);
        foreach (var option in new[] { "--host", "--port", "--urls", "--data-dir", "--database", "--artifacts", "--auth" })
        {
            Assert.Contains(option, serve.Stdout, StringComparison.Ordinal);
        }
        foreach (var option in new[] { "--server", "--token", "--json" })
        {
            Assert.DoesNotContain(option, serve.Stdout, StringComparison.Ordinal);
        }
        // Other commands still list them, also right after serve's help has run.
        var list = await Cairn("model", "list", "--help");
        Assert.Contains("--server", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("--json", list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_bash_completion_script_is_valid_and_completes_commands_subcommands_options_and_values()
    {
        var script = Path.Combine(_root, "cairn.bash");
        await File.WriteAllTextAsync(script, (await Cairn("completion", "bash")).Stdout);
        Assert.Equal(0, (await ShellAsync("bash", "-n", script)).ExitCode);

        Assert.Superset(new HashSet<string> { "model", "monitor", "migrate" }, await CompleteAsync(script, "cairn", "m"));
        Assert.Superset(new HashSet<string> { "delete", "update", "files", "show", "list", "download" }, await CompleteAsync(script, "cairn", "version", ""));
        Assert.Superset(new HashSet<string> { "--filter", "--order-by", "--view", "--experiment" }, await CompleteAsync(script, "cairn", "runs", "list", "--"));
        Assert.Equal(new HashSet<string> { "none", "token" }, await CompleteAsync(script, "cairn", "serve", "--auth", ""));
        // Options before the command and values of options do not lose the place in the tree.
        Assert.Contains("compare", await CompleteAsync(script, "cairn", "--server", "http://x", "runs", "c"));
        Assert.Superset(new HashSet<string> { "bash", "zsh", "fish" }, await CompleteAsync(script, "cairn", "completion", ""));
    }

    [Fact]
    public async Task The_zsh_and_fish_scripts_are_valid_where_those_shells_are_installed()
    {
        foreach (var (shell, check) in new[] { ("zsh", new[] { "-n" }), ("fish", new[] { "--no-execute" }) })
        {
            var result = await Cairn("completion", shell);
            Assert.Equal(0, result.ExitCode);
            Assert.Contains("cairn", result.Stdout, StringComparison.Ordinal);
            if (Installed(shell))
            {
                var script = Path.Combine(_root, "cairn." + shell);
                await File.WriteAllTextAsync(script, result.Stdout);
                var checkedScript = await ShellAsync(shell, [.. check, script]);
                Assert.True(checkedScript.ExitCode == 0, $"{shell}: {checkedScript.Output}");
            }
        }
        Assert.Equal(2, (await Cairn("completion", "powershell")).ExitCode);
    }

    /// <summary>What bash offers for the last word of <paramref name="words"/>, through the script's own function.</summary>
    private static async Task<HashSet<string>> CompleteAsync(string script, params string[] words)
    {
        var array = string.Join(' ', words.Select(w => "'" + w.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var (exitCode, output) = await ShellAsync("bash", "-c",
            $"source '{script}'; COMP_WORDS=({array}); COMP_CWORD={words.Length - 1}; _cairn; printf '%s\\n' \"${{COMPREPLY[@]}}\"");
        Assert.True(exitCode == 0, output);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static bool Installed(string shell) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(directory => File.Exists(Path.Combine(directory, shell)));

    private static async Task<(int ExitCode, string Output)> ShellAsync(string shell, params string[] args)
    {
        var info = new ProcessStartInfo(shell) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
