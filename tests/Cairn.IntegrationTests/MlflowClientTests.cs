using System.Diagnostics;

namespace Cairn.IntegrationTests;

/// <summary>
/// The real MLflow protocol end to end: an independent MLflow client (the <c>mlflow</c> npm package, driven by
/// tests/mlflow-e2e/workflow.js) against a real <c>cairn serve</c> process with token auth.
/// </summary>
public sealed class MlflowClientTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cairn-mlflow-e2e-").FullName;
    private ServerProcess? _server;
    private string _token = "";

    public async Task InitializeAsync()
    {
        var created = await Cli.RunAsync("token", "create", "--init", "--data-dir", _dataDir, "--name", "mlflow-e2e", "--role", "admin");
        Assert.True(created.ExitCode == 0, created.Stderr);
        _token = created.LastWord;
        _server = await ServerProcess.StartAsync([], new Dictionary<string, string> { ["CAIRN_DATA_DIR"] = _dataDir, ["CAIRN_AUTH"] = "token" });
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task The_mlflow_client_runs_a_whole_workflow_with_a_bearer_token()
    {
        var result = await Node.RunWorkflowAsync(new Dictionary<string, string>
        {
            ["MLFLOW_TRACKING_URI"] = _server!.Url,
            ["MLFLOW_TRACKING_TOKEN"] = _token,
        });

        Assert.True(result.ExitCode == 0, $"{result.Stdout}\n{result.Stderr}\n--- server log ---\n{_server.Log}");
        Assert.Contains("workflow ok", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_mlflow_client_runs_a_whole_workflow_with_basic_auth_and_the_token_as_password()
    {
        var result = await Node.RunWorkflowAsync(new Dictionary<string, string>
        {
            ["MLFLOW_TRACKING_URI"] = _server!.Url,
            ["MLFLOW_TRACKING_USERNAME"] = "ci",
            ["MLFLOW_TRACKING_PASSWORD"] = _token,
        });

        Assert.True(result.ExitCode == 0, $"{result.Stdout}\n{result.Stderr}\n--- server log ---\n{_server.Log}");
    }

    [Fact]
    public async Task Without_a_token_the_mlflow_client_is_refused_at_the_first_step()
    {
        var result = await Node.RunWorkflowAsync(new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = _server!.Url });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAIL create an experiment", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("UNAUTHENTICATED", result.Stdout, StringComparison.Ordinal);
    }
}

/// <summary>Runs tests/mlflow-e2e with Node.js, installing its pinned packages first when they are missing.</summary>
internal static class Node
{
    private static readonly SemaphoreSlim Install = new(1, 1);

    public static async Task<Cli.Result> RunWorkflowAsync(IReadOnlyDictionary<string, string> env)
    {
        var directory = Path.Combine(Repository.Root, "tests", "mlflow-e2e");
        await Install.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(directory, "node_modules", "mlflow")))
            {
                var installed = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], directory, new Dictionary<string, string>());
                Assert.True(installed.ExitCode == 0, $"npm ci in {directory} failed:\n{installed.Stdout}\n{installed.Stderr}");
            }
        }
        finally
        {
            Install.Release();
        }
        return await RunAsync("node", ["workflow.js"], directory, env);
    }

    private static async Task<Cli.Result> RunAsync(string program, IEnumerable<string> args, string directory, IReadOnlyDictionary<string, string> env)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MLFLOW_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }
        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}: is Node.js installed?");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return new Cli.Result(process.ExitCode, await stdout, await stderr);
    }
}
