using Microsoft.Extensions.Logging;

namespace Cairn;

/// <summary>The library's log messages, with stable event ids (the server's are in Cairn.Server's <c>Log</c>).</summary>
internal static partial class Log
{
    [LoggerMessage(3801, LogLevel.Warning, "Checkpointing the SQLite write-ahead log failed; its frames stay in the log and the next commits try again")]
    public static partial void CheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(3802, LogLevel.Debug, "Restarting the SQLite write-ahead log waited too long for readers ({Log} frames, {Copied} copied); the next pass tries again")]
    public static partial void CheckpointRestartBusy(ILogger logger, long log, long copied);
}
