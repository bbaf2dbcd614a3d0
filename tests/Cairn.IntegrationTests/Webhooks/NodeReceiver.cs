using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests.Webhooks;

/// <summary>
/// The webhook receiver of tests/webhook-receiver run by Node.js on 127.0.0.1: every delivery it gets is verified
/// with the <c>standardwebhooks</c> npm package and with MLflow's scheme written independently in JavaScript, and
/// recorded. Installs its pinned packages first when they are missing (scripts/test installs them too).
/// </summary>
public sealed class NodeReceiver : IAsyncDisposable
{
    private static readonly SemaphoreSlim Install = new(1, 1);
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly HttpClient _http;

    private NodeReceiver(Process process, int port)
    {
        _process = process;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public int Port { get; }

    /// <summary>A URL of this receiver; every POST to a path other than its control paths is a delivery.</summary>
    public string Url(string path = "/hook") => $"http://127.0.0.1:{Port}{path}";

    /// <summary>What the receiver printed on stderr, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the receiver with <paramref name="secret"/> for verifying, and waits until it listens.</summary>
    public static async Task<NodeReceiver> StartAsync(string secret)
    {
        var directory = Path.Combine(Repository.Root, "tests", "webhook-receiver");
        await EnsureInstalledAsync(directory);
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("receiver.mjs");
        info.ArgumentList.Add("0");
        info.Environment["RECEIVER_SECRET"] = secret;
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start node: is Node.js installed?");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? first;
        try
        {
            first = await process.StandardOutput.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The webhook receiver did not start listening within 30 s.");
        }
        if (first is null)
        {
            var error = await process.StandardError.ReadToEndAsync();
            throw new InvalidOperationException($"The webhook receiver exited before listening:\n{error}");
        }
        var receiver = new NodeReceiver(process, (int)JsonNode.Parse(first)!["port"]!);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (receiver._log)
            {
                receiver._log.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        return receiver;
    }

    /// <summary>
    /// How the next deliveries are answered, rules used in order (each for <c>times</c> deliveries), then 200:
    /// <c>new { status = 500, times = 2 }</c>, <c>new { status = 429, retry_after = "2", times = 1 }</c>, <c>new { delay_ms = 5000, times = 1 }</c>.
    /// </summary>
    public async Task BehaveAsync(params object[] rules) =>
        (await _http.PostAsJsonAsync("/behaviour", rules)).EnsureSuccessStatusCode();

    /// <summary>The secrets deliveries are verified with (any one verifying is enough).</summary>
    public async Task SecretsAsync(params string[] secrets) =>
        (await _http.PostAsJsonAsync("/secret", new { secrets })).EnsureSuccessStatusCode();

    public async Task ResetAsync() => (await _http.PostAsync("/reset", null)).EnsureSuccessStatusCode();

    /// <summary>Every delivery received so far, in arrival order.</summary>
    public async Task<IReadOnlyList<Delivery>> DeliveriesAsync()
    {
        var all = (await _http.GetFromJsonAsync<JsonObject>("/deliveries"))!["deliveries"]!.AsArray();
        return all.Select(d => new Delivery(
            (string?)d!["id"], (string)d["path"]!, d["headers"]!.AsObject(), (string)d["body"]!,
            (bool)d["standard_verified"]!, (string?)d["standard_error"], (bool)d["mlflow_verified"]!, (string?)d["mlflow_error"],
            DateTimeOffset.FromUnixTimeMilliseconds((long)d["received_at"]!), (int)d["answered"]!)).ToList();
    }

    /// <summary>Polls until <paramref name="done"/> holds for the deliveries received, or fails after <paramref name="within"/>.</summary>
    public async Task<IReadOnlyList<Delivery>> WaitForAsync(Func<IReadOnlyList<Delivery>, bool> done, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var deliveries = await DeliveriesAsync();
            if (done(deliveries))
            {
                return deliveries;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {within.TotalSeconds} s for {what}; the receiver got {deliveries.Count}:\n"
                    + string.Join("\n", deliveries.Select(d => $"{d.ReceivedAt:HH:mm:ss.fff} {d.Id} answered {d.Answered}: {d.Body[..Math.Min(d.Body.Length, 200)]}")));
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static async Task EnsureInstalledAsync(string directory)
    {
        await Install.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(directory, "node_modules", "standardwebhooks")))
            {
                return;
            }
            var info = new ProcessStartInfo("npm") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "ci", "--no-audit", "--no-fund" })
            {
                info.ArgumentList.Add(arg);
            }
            using var npm = Process.Start(info) ?? throw new InvalidOperationException("Could not start npm: is Node.js installed?");
            var stdout = npm.StandardOutput.ReadToEndAsync();
            var stderr = npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync();
            Assert.True(npm.ExitCode == 0, $"npm ci in {directory} failed:\n{await stdout}\n{await stderr}");
        }
        finally
        {
            Install.Release();
        }
    }

    /// <summary>One delivery as the receiver recorded it; both verified flags come from the receiver's own checks.</summary>
    public sealed record Delivery(
        string? Id, string Path, JsonObject Headers, string Body, bool StandardVerified, string? StandardError, bool MlflowVerified,
        string? MlflowError, DateTimeOffset ReceivedAt, int Answered)
    {
        public JsonNode Json => JsonNode.Parse(Body)!;

        public string? Header(string name) => (string?)Headers[name.ToLowerInvariant()];

        public override string ToString() => $"{Id} {Path} standard={StandardVerified} ({StandardError}) mlflow={MlflowVerified} ({MlflowError}) answered {Answered}";
    }
}
