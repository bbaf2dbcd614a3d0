using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cairn.IntegrationTests;

/// <summary>Runs the real <c>cairn</c> executable (the CLI's build output) as a child process.</summary>
public static class Cli
{
    private static readonly string CairnDll = Locate();

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string LastWord => Stdout.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[^1];
    }

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CairnDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // The test's own CAIRN_* settings must not leak into the child unless a test says so.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CAIRN_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        return info;
    }

    public static async Task<Result> RunAsync(params string[] args) => await RunAsync(args, null);

    public static async Task<Result> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env)
    {
        using var process = Process.Start(StartInfo(args, env))!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    private static string Locate()
    {
        // This assembly runs from tests/Cairn.IntegrationTests/bin/<Configuration>/net10.0/; the CLI built
        // with the same configuration sits at src/Cairn.Cli/bin/<Configuration>/net10.0/Cairn.Cli.dll.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(Repository.Root, "src", "Cairn.Cli", "bin", configuration, "net10.0", "Cairn.Cli.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build src/Cairn.Cli first.", dll);
    }
}

/// <summary>The checkout these tests run from: the directory holding Cairn.slnx.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Cairn.slnx")))
        {
            root = root.Parent;
        }
        return root?.FullName ?? throw new InvalidOperationException("Cairn.slnx not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A <c>cairn serve</c> process on a free loopback port; stopped and cleaned up on dispose.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerProcess(Process process, string url)
    {
        _process = process;
        Url = url;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Url { get; }

    /// <summary>The server's process id (what it names itself by where it leases work, e.g. webhook deliveries).</summary>
    public int ProcessId => _process.Id;

    /// <summary>The server's resident memory now, from /proc (Linux).</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("VmRSS not found.");
    }

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

    /// <summary>Starts <c>cairn serve</c> and waits until it is ready.</summary>
    /// <param name="args">The arguments after <c>serve</c>.</param>
    /// <param name="env">Environment variables for the process.</param>
    /// <param name="workingDirectory">The process's working directory (default: this one).</param>
    /// <param name="url">Where <paramref name="args"/> already tell the server to listen (as --host/--port do); without it a free port is chosen and passed as --urls.</param>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null, string? url = null)
    {
        string[] listen = url is null ? ["--urls", url = FreeUrl()] : [];
        var info = Cli.StartInfo(["serve", .. listen, .. args], env);
        info.WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory;
        var server = new ServerProcess(Process.Start(info)!, url);
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (server._process.HasExited)
            {
                throw new InvalidOperationException($"cairn serve exited with {server._process.ExitCode}:\n{server.Log}");
            }
            try
            {
                if ((await http.GetAsync(url + "/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new TimeoutException($"cairn serve did not become ready at {url}:\n{server.Log}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Stops the server the hard way, as a crash or OOM kill would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    /// <summary>An http URL on 127.0.0.1 with a port free now.</summary>
    public static string FreeUrl() => $"http://127.0.0.1:{FreePort()}";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
