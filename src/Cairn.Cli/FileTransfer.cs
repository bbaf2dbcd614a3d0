using System.Security.Cryptography;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary>
/// Uploads and downloads of version files, with a progress bar (bytes, rate, time left) on stderr for people.
/// Nothing is retried or resumed silently: a failure says which files were stored and which were not.
/// </summary>
internal static class FileTransfer
{
    /// <summary>A file to upload: where it is on disk and the path it gets inside the version.</summary>
    public sealed record LocalFile(string FullPath, string VersionPath, long Size);

    /// <summary>The files named by --file (kept by name) and under --dir (kept by their path below it).</summary>
    public static List<LocalFile> Collect(IEnumerable<string> files, string? directory)
    {
        var collected = files.Select(f => new FileInfo(f))
            .Select(f => f.Exists ? new LocalFile(f.FullName, f.Name, f.Length) : throw new FileNotFoundException($"No such file: {f.FullName}"))
            .ToList();
        if (directory is not null)
        {
            var root = new DirectoryInfo(directory);
            if (!root.Exists)
            {
                throw new DirectoryNotFoundException($"No such directory: {root.FullName}");
            }
            collected.AddRange(root.EnumerateFiles("*", SearchOption.AllDirectories)
                .OrderBy(f => f.FullName, StringComparer.Ordinal)
                .Select(f => new LocalFile(f.FullName, Path.GetRelativePath(root.FullName, f.FullName).Replace(Path.DirectorySeparatorChar, '/'), f.Length)));
        }
        var clash = collected.GroupBy(f => f.VersionPath).FirstOrDefault(g => g.Count() > 1);
        return clash is null ? collected : throw new ArgumentException($"Two files would both be stored as '{clash.Key}'.");
    }

    /// <summary>Uploads each file; returns the stored files, or throws after saying what was and was not stored.</summary>
    public static async Task<List<VersionFile>> UploadAsync(CairnClient client, string model, int version, IReadOnlyList<LocalFile> files, bool quiet, CancellationToken cancellationToken)
    {
        var stored = new List<VersionFile>();
        try
        {
            await Run(quiet, async context =>
            {
                foreach (var file in files)
                {
                    var task = context?.AddTask(file.VersionPath, maxValue: Math.Max(1, file.Size));
                    // Hashed first, so that the server can refuse bytes that changed on the way.
                    string sha;
                    await using (var read = File.OpenRead(file.FullPath))
                    {
                        sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(read, cancellationToken));
                    }
                    await using var content = File.OpenRead(file.FullPath);
                    stored.Add(await client.UploadFileAsync(model, version, file.VersionPath, content, sha,
                        task is null ? null : new Progress<long>(sent => task.Value = sent), cancellationToken));
                    task?.StopTask();
                }
            });
            return stored;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var missing = files.Skip(stored.Count).Select(f => f.VersionPath).ToList();
            Output.Note($"Stored {stored.Count} of {files.Count} files of {model} version {version}" +
                (stored.Count > 0 ? ": " + string.Join(", ", stored.Select(f => f.Path)) : "") + ".");
            Output.Note($"Not stored: {string.Join(", ", missing)}. The version stays PENDING_REGISTRATION; upload the rest with the API or delete it.");
            throw;
        }
    }

    /// <summary>Downloads every file of a version under <paramref name="directory"/>, verifying each SHA-256.</summary>
    public static async Task<List<VersionFile>> DownloadAsync(CairnClient client, string model, int version, string directory, bool quiet, CancellationToken cancellationToken)
    {
        var files = await client.ListFilesAsync(model, version, cancellationToken);
        var root = Path.GetFullPath(directory);
        await Run(quiet, async context =>
        {
            foreach (var file in files)
            {
                var target = Path.GetFullPath(Path.Combine(root, file.Path));
                if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"The server named a file outside the output directory: '{file.Path}'.");
                }
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var task = context?.AddTask(file.Path, maxValue: Math.Max(1, file.Size));
                var partial = target + ".partial";
                string sha;
                await using (var output = File.Create(partial))
                {
                    sha = await client.DownloadFileAsync(model, version, file.Path, output,
                        task is null ? null : new Progress<long>(received => task.Value = received), cancellationToken);
                }
                if (sha != file.Sha256)
                {
                    File.Delete(partial);
                    throw new InvalidDataException($"'{file.Path}' arrived with SHA-256 {sha}, but the server recorded {file.Sha256}; it was not kept.");
                }
                File.Move(partial, target, overwrite: true);
                task?.StopTask();
            }
        });
        return files.ToList();
    }

    private static async Task Run(bool quiet, Func<ProgressContext?, Task> work)
    {
        if (quiet || Console.IsErrorRedirected)
        {
            await work(null);
            return;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context => await work(context));
    }
}
