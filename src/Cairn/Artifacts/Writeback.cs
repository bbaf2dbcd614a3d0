using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Cairn.Artifacts;

/// <summary>
/// Starts the kernel's writeback of a just-written range without waiting for it (Linux <c>sync_file_range</c>), so a
/// large file's disk writes overlap its upload and the closing fsync has little left to do. Elsewhere it does nothing:
/// the fsync before commit is what makes a file durable, this only moves the work earlier.
/// </summary>
internal static partial class Writeback
{
    private const uint SyncFileRangeWrite = 2;

    public static void Start(SafeFileHandle file, long offset, long length)
    {
        if (OperatingSystem.IsLinux())
        {
            // Advisory: a failure here (an old kernel, a filesystem without it) changes only when bytes reach the disk.
            _ = SyncFileRange(file, offset, length, SyncFileRangeWrite);
        }
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range")]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);
}
