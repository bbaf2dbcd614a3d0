namespace Cairn.Artifacts;

/// <summary>
/// Relative paths of files inside a version. Validated once at the edge so that no path can leave its
/// version's folder or mean different things on different stores.
/// </summary>
public static class ArtifactPath
{
    private const int MaxLength = 1024;
    private const int MaxSegmentBytes = 255;

    /// <summary>Returns the path unchanged when it is a safe relative path, else throws with the reason.</summary>
    public static string Check(string? path) =>
        Problem(path) is { } problem ? throw new InvalidParameterException($"File path '{Printable(path)}' {problem}.") : path!;

    private static string? Problem(string? path) =>
        path switch
        {
            null or "" => "is empty",
            { Length: > MaxLength } => $"is longer than {MaxLength} characters",
            _ when path.Contains('\0', StringComparison.Ordinal) => "contains a NUL character",
            _ when path.Contains('\\', StringComparison.Ordinal) => "contains a backslash (use '/')",
            _ when path.StartsWith('/') || (path.Length > 1 && path[1] == ':') => "is absolute",
            _ when path.Split('/').Any(s => s is "" or "." or "..") => "has an empty, '.' or '..' segment",
            _ when path.Any(char.IsControl) => "contains a control character",
            // A file name longer than this fails on the file systems a store runs on (ext4, NTFS, APFS) after the upload.
            _ when path.Split('/').Any(s => System.Text.Encoding.UTF8.GetByteCount(s) > MaxSegmentBytes) => $"has a segment longer than {MaxSegmentBytes} bytes",
            _ => null,
        };

    /// <summary>Whether <see cref="Check"/> would accept the path.</summary>
    public static bool IsSafe(string? path) => Problem(path) is null;

    private static string Printable(string? path) =>
        path is null ? "" : new string(path.Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
