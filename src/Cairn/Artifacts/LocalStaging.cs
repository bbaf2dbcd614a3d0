namespace Cairn.Artifacts;

/// <summary>
/// Staged files on local disk that a killed process left behind. A file counts as abandoned once nothing has written to
/// it for <see cref="AbandonedAfter"/>: an upload in flight keeps writing its file, and replicas may share the directory
/// (a filesystem store on a shared volume), so a process starting must not take another's upload.
/// </summary>
public static class LocalStaging
{
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    /// <summary>Deletes the abandoned files directly in <paramref name="directory"/>; returns how many.</summary>
    public static int RemoveAbandoned(string directory)
    {
        // Through a link, the "abandoned" files would be someone else's.
        if (!Directory.Exists(directory) || new DirectoryInfo(directory).LinkTarget is not null)
        {
            return 0;
        }
        var cutoff = DateTime.UtcNow - AbandonedAfter;
        var removed = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles().Where(f => f.LastWriteTimeUtc < cutoff))
        {
            file.Delete();
            removed++;
        }
        return removed;
    }
}
