using System.Diagnostics;
using System.Text;

namespace Cairn.IntegrationTests.Readme;

/// <summary>
/// What the README's examples run against, made once for the whole class: the <c>Cairn</c> and <c>Cairn.Client</c>
/// packages packed into a local folder (under a version of their own, so that no cached copy of an earlier pack is
/// taken), a NuGet.config beside the outside projects that adds that folder to the user's own sources, and a fresh
/// <c>cairn serve</c> on a free port with an empty data directory.
/// </summary>
public sealed class PackedReadmeFixture : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("cairn-readme-").FullName;

    /// <summary>The version both packages are packed under: unique per run, so NuGet's global cache never serves a stale one.</summary>
    public string PackageVersion { get; } = $"0.0.0-readme.g{Guid.NewGuid():N}";

    /// <summary>The configuration this test assembly was built in, and so the one the packed assemblies were built in.</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    /// <summary>Where the built <c>cairn</c> executable is (the CLI's output directory), for PATH.</summary>
    public static string CliDirectory { get; } = Path.Combine(Repository.Root, "src", "Cairn.Cli", "bin", Configuration, "net10.0");

    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var feed = Path.Combine(Root, "packages");
        // The outside projects must see nothing of this repository: no Directory.Build.props or central package
        // versions of a parent directory, only the packages and what they declare.
        await File.WriteAllTextAsync(Path.Combine(Root, "Directory.Build.props"), "<Project />\n");
        await File.WriteAllTextAsync(Path.Combine(Root, "Directory.Packages.props"), "<Project />\n");
        // Adds the local folder; the user's configured sources stay, for the packages' own dependencies.
        await File.WriteAllTextAsync(Path.Combine(Root, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="cairn-readme-test" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        var dataDir = Path.Combine(Root, "server");
        Directory.CreateDirectory(dataDir);
        var server = ServerProcess.StartAsync(["--data-dir", Path.Combine(dataDir, ".cairn")], workingDirectory: dataDir);
        // --no-build: the test project's build has just built both (same configuration); packing reads those outputs.
        var packs = new[] { "Cairn", "Cairn.Client" }.Select(project => Tool.RunCheckedAsync(Repository.Root, "dotnet",
            ["pack", Path.Combine("src", project), "-c", Configuration, "--no-build", "-nologo", "-v", "q",
             "-o", feed, $"-p:MinVerVersionOverride={PackageVersion}"]));
        await Task.WhenAll(packs);
        Server = await server;
    }

    /// <summary>
    /// Writes a console project (as <c>dotnet new console</c> makes it) referencing <paramref name="package"/>
    /// from the local folder, with <paramref name="program"/> as its Program.cs, and builds it.
    /// </summary>
    /// <returns>The built program's path.</returns>
    public async Task<string> BuildAppAsync(string name, string package, string program)
    {
        var directory = Path.Combine(Root, name);
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{package}" Version="{PackageVersion}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(directory, "Program.cs"), program);
        await Tool.RunCheckedAsync(directory, "dotnet", ["build", "-nologo", "-v", "q"]);
        return Path.Combine(directory, "bin", "Debug", "net10.0", name + ".dll");
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
        // The packs went into NuGet's global cache under their one-off version; take them out again.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "cairn", "cairn.client" })
        {
            var cached = Path.Combine(cache, id, PackageVersion);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>Runs a program to its end, with the test's own CAIRN_* settings kept out of it.</summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    public static async Task<Result> RunAsync(
        string workingDirectory, string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, int timeoutSeconds = 180)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CAIRN_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeoutSeconds} s.");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    public static async Task<Result> RunCheckedAsync(
        string workingDirectory, string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var arguments = args.ToList();
        var result = await RunAsync(workingDirectory, file, arguments, env);
        return result.ExitCode == 0 ? result
            : throw new InvalidOperationException(new StringBuilder($"{file} {string.Join(' ', arguments)} failed in {workingDirectory}: ").Append(result).ToString());
    }
}
