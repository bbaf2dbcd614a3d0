using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Cairn.Storage;

/// <summary>
/// Copies the frames a <see cref="CairnDatabase"/>'s SQLite writes append to the write-ahead log back into the database
/// file, on a connection of its own and off the writer's serial path. SQLite's automatic checkpoint runs inside the
/// commit that crosses its threshold, so every few OpenLineage groups one commit also copied thousands of pages while the
/// next writers queued; the kept write connection therefore does not checkpoint, and this does instead, as its commits
/// report the frames they wrote (<see cref="Committed"/>).
/// A passive checkpoint runs beside the writer and never blocks it, but while writes continue it never copies the whole
/// log, so the log never starts over from its beginning and would grow without end: once the log holds
/// <see cref="Bound"/> frames, the checkpointer takes the write gate and runs a restart checkpoint, which copies only the
/// frames committed since its passive pass and leaves the log for the next writer to start over. A checkpoint is
/// crash-safe in SQLite (the log stays authoritative until the copy is synced), so a killed process loses nothing it
/// committed.
/// </summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    /// <summary>Frames appended between checkpoints: the <c>wal_autocheckpoint</c> the other connections keep.</summary>
    public const int DefaultThreshold = 8192;

    internal const string Passive = "PRAGMA wal_checkpoint(PASSIVE)";
    internal const string Restart = "PRAGMA wal_checkpoint(RESTART)";

    // A restart waits for readers to leave the log while holding the write gate; a reader that stays longer costs the
    // writers this long at most, and the next pass tries again.
    private const int RestartBusyTimeoutMs = 1000;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate;
    private readonly ILogger _logger;
    private readonly ManualResetEventSlim _due = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _running;
    private SqliteConnection? _connection;
    private long _framesSincePass;

    public SqliteCheckpointer(string connectionString, SemaphoreSlim writeGate, int threshold, ILogger logger)
    {
        // Not pooled: the connection carries its own busy timeout and is closed with the checkpointer.
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        _writeGate = writeGate;
        _logger = logger;
        Threshold = threshold;
        // A thread of its own, not the pool's: Microsoft.Data.Sqlite runs its async calls synchronously, so a pass
        // blocks its thread for its whole copy, and the writers (synchronous too) must not keep it waiting for one.
        _running = Task.Factory.StartNew(() => Run(_stopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Frames appended to the log since the last pass that start the next one.</summary>
    public int Threshold { get; }

    /// <summary>Frames in the log past which a pass restarts it under the write gate.</summary>
    public int Bound => 4 * Threshold;

    /// <summary>Called by the writer after each commit, under the write gate, with the frames it appended: cheap.</summary>
    public void Committed(long frames)
    {
        if (Interlocked.Add(ref _framesSincePass, frames) >= Threshold && !_due.IsSet)
        {
            _due.Set();
        }
    }

    private void Run(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                _due.Wait(stopping);
                // Reset before counting afresh: frames committed from here on either count toward this pass or set the
                // event again for the next.
                _due.Reset();
                Interlocked.Exchange(ref _framesSincePass, 0);
                try
                {
                    Pass(stopping);
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    // The log keeps what was not copied; the next commits start another pass, on a new connection.
                    Log.CheckpointFailed(_logger, e);
                    DropConnection();
                }
            }
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // Stopping interrupts a pass (SQLITE_INTERRUPT or a cancellation): what it copied stays valid.
        }
        finally
        {
            DropConnection();
        }
    }

    private void Pass(CancellationToken stopping)
    {
        var connection = Connection();
        var (_, log, _) = Checkpoint(connection, Passive, stopping);
        if (log < Bound)
        {
            return;
        }
        // A restart copies what was committed during the passive pass, waits for readers to leave the log, and leaves
        // it for the next writer to start over from its beginning (which a passive pass cannot promise while writes go
        // on: the next writer starts the log over only if it finds every frame copied).
        // Queued as the writers queue (WaitAsync): the gate hands itself to its async waiters in turn, whereas a synchronous
        // Wait lost it to each next writer while writes went on back to back, and the log grew meanwhile.
        _writeGate.WaitAsync(stopping).GetAwaiter().GetResult();
        try
        {
            var (busy, restartedLog, copied) = Checkpoint(connection, Restart, stopping);
            if (busy)
            {
                Log.CheckpointRestartBusy(_logger, restartedLog, copied);
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Runs a <c>wal_checkpoint</c> pragma: whether it stopped short (SQLITE_BUSY), frames in the log, frames copied.</summary>
    internal static (bool Busy, long Log, long Copied) Checkpoint(DbConnection connection, string pragma, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = pragma;
        // SQLite stops a copy between pages when interrupted.
        using var interrupt = cancellationToken.Register(command.Cancel);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0) != 0, reader.GetInt64(1), reader.GetInt64(2));
    }

    private SqliteConnection Connection()
    {
        if (_connection is not null)
        {
            return _connection;
        }
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout = {RestartBusyTimeoutMs}";
            pragma.ExecuteNonQuery();
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return _connection = connection;
    }

    private void DropConnection()
    {
        _connection?.Dispose();
        _connection = null;
    }

    /// <summary>Stops the checkpointer: a pass under way is interrupted (what it copied stays valid) and awaited.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _running;
        _stopping.Dispose();
        _due.Dispose();
    }
}
