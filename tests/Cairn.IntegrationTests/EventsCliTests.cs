using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests;

/// <summary><c>cairn events tail</c> against a real server: a page to the head, a resumable cursor, following and Ctrl-C.</summary>
public sealed class EventsCliTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cairn-events-cli-").FullName;
    private ServerProcess? _server;

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(["--data-dir", _dataDir]);
    }

    public async Task DisposeAsync()
    {
        await _server!.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private async Task ModelAsync(string ns, string name)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_server!.Url) };
        (await http.PostAsJsonAsync("/api/v1/models", new { @namespace = ns, model_name = name })).EnsureSuccessStatusCode();
    }

    /// <summary>
    /// The CLI started with SIGINT's default action when this process ignores it: a shell's background job ignores SIGINT
    /// (a script's <c>command &amp;</c>, <c>nohup … &amp;</c>), children inherit that, and .NET leaves an ignored SIGINT
    /// ignored, as a background job should; Ctrl-C would never reach the CLI.
    /// </summary>
    private static ProcessStartInfo WithSigIntHandled(ProcessStartInfo info)
    {
        var ignored = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))["SigIgn:".Length..].Trim();
        if ((Convert.ToUInt64(ignored, 16) & (1UL << 1)) == 0)
        {
            return info;
        }
        info.ArgumentList.Insert(0, info.FileName);
        info.ArgumentList.Insert(0, "--default-signal=INT");
        info.FileName = "env";
        return info;
    }

    private static string Cursor(string stderr) => stderr.Split("cursor: ")[1].Split(' ')[0];

    [Fact]
    public async Task Tail_without_follow_prints_one_json_event_per_line_and_a_cursor_that_resumes()
    {
        await ModelAsync("/cli_tail", "one");
        await ModelAsync("/cli_tail", "two");

        var first = await Cli.RunAsync("events", "tail", "--no-follow", "--json", "--namespace", "/cli_tail", "--server", _server!.Url);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var lines = first.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["models/cli_tail.one", "models/cli_tail.two"], lines.Select(l => (string?)JsonNode.Parse(l)!["resource"]));
        Assert.Equal((string?)JsonNode.Parse(lines[1])!["cursor"], Cursor(first.Stderr));

        await ModelAsync("/cli_tail", "three");
        var resumed = await Cli.RunAsync("events", "tail", "--no-follow", "--types", "registered_model.*", "--after", Cursor(first.Stderr), "--server", _server.Url);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("registered_model.created", resumed.Stdout, StringComparison.Ordinal);
        Assert.Contains("models/cli_tail.three", resumed.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("cli_tail.two", resumed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_follows_new_events_and_stops_cleanly_on_ctrl_c_with_its_cursor()
    {
        using var process = Process.Start(WithSigIntHandled(Cli.StartInfo(["events", "tail", "--json", "--namespace", "/cli_follow", "--server", _server!.Url])))!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await ModelAsync("/cli_follow", "m");
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        Assert.Equal("models/cli_follow.m", (string?)JsonNode.Parse(line!)!["resource"]);

        using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync(timeout.Token);
        }
        // A minute of its own from Ctrl-C; a CLI that does not stop by then fails the test with what it printed on stderr.
        using var stopping = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(stopping.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"cairn events tail did not stop within a minute of SIGINT; its stderr: {await stderr}");
        }
        Assert.Equal(0, process.ExitCode);
        Assert.Equal((string?)JsonNode.Parse(line!)!["cursor"], Cursor(await stderr));
    }
}
