using Cairn.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Storage;

/// <summary>
/// On SQLite the kept write connection does not checkpoint the write-ahead log in its commits; the database's
/// checkpointer copies it beside the writer and keeps it bounded (<see cref="SqliteCheckpointer"/>). A few frames make a
/// checkpoint here (the store's is 8,192), so that the tests write megabytes, not hundreds.
/// </summary>
public sealed class SqliteCheckpointTests : IDisposable
{
    private const int Frames = 64;
    private const int FrameBytes = 4096 + 24;

    private readonly string _dir = Directory.CreateTempSubdirectory("cairn-checkpoint-").FullName;

    private string DatabaseFile => Path.Combine(_dir, "cairn.db");

    private string LogFile => DatabaseFile + "-wal";

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_writers_commits_do_not_checkpoint_the_log()
    {
        // A threshold no test reaches: nothing but the writer's own commits could copy the log into the database.
        using var database = await OpenAsync(1 << 30);
        var empty = new FileInfo(DatabaseFile).Length;

        // 10,000 frames and more, past the 8,192 at which SQLite's automatic checkpoint ran in the writer's commit.
        for (var i = 0; i < 100; i++)
        {
            await WriteAsync(database, pages: 100);
        }

        Assert.Equal(empty, new FileInfo(DatabaseFile).Length);
        var (_, log, copied) = await CheckpointAsync(database, SqliteCheckpointer.Passive);
        Assert.True(log >= 10_000, $"{log} frames in the log");
        Assert.Equal(log, copied);
    }

    [Fact]
    public async Task The_checkpointer_copies_the_log_into_the_database_while_writes_go_on()
    {
        using var database = await OpenAsync(Frames);
        var empty = new FileInfo(DatabaseFile).Length;
        using var stop = new CancellationTokenSource();
        var writes = 0;
        var writing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await WriteAsync(database, pages: 8);
                writes++;
            }
        });

        await Until(() => new FileInfo(DatabaseFile).Length > empty + (Frames * 4096L), "the database file grew by a checkpoint's pages");
        var copiedAfter = Volatile.Read(ref writes);
        await Until(() => Volatile.Read(ref writes) > copiedAfter + 10, "writes went on");
        await stop.CancelAsync();
        await writing;
    }

    [Fact]
    public async Task The_log_stays_bounded_under_continuous_writes()
    {
        using var database = await OpenAsync(Frames);

        // 12,800 frames and more, back to back; the log would hold them all if passive passes were all there were.
        for (var i = 0; i < 400; i++)
        {
            await WriteAsync(database, pages: 32);
        }

        var written = 400 * 32;
        var logFrames = (new FileInfo(LogFile).Length - 32) / FrameBytes;
        Assert.True(logFrames < written / 4, $"the log file holds {logFrames} frames after {written} written");
    }

    [Fact]
    public async Task Disposing_the_database_stops_its_checkpointer_and_closes_its_connection()
    {
        var database = await OpenAsync(Frames);
        for (var i = 0; i < 20; i++)
        {
            await WriteAsync(database, pages: 8);
        }
        await Until(() => new FileInfo(DatabaseFile).Length > Frames * 4096L, "the checkpointer ran");

        database.Dispose();
        SqliteConnection.ClearAllPools();

        // SQLite removes the log when the database's last connection closes: none is left open, the checkpointer's included.
        Assert.False(File.Exists(LogFile));
    }

    private async Task<CairnDatabase> OpenAsync(int checkpointFrames)
    {
        var database = CairnDatabase.Sqlite(DatabaseFile, logger: null, checkpointFrames);
        await using (var connection = await database.OpenAsync(default))
        {
            await connection.ExecuteAsync("PRAGMA journal_mode = WAL");
        }
        await database.WriteAsync((connection, transaction) =>
            connection.ExecuteAsync("CREATE TABLE payloads (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)", transaction: transaction), default);
        return database;
    }

    /// <summary>Commits a row that takes about <paramref name="pages"/> pages, each a frame of the log.</summary>
    private static Task<int> WriteAsync(CairnDatabase database, int pages) => database.WriteAsync((connection, transaction) =>
        connection.ExecuteAsync("INSERT INTO payloads (payload) VALUES (randomblob(@bytes))", new { bytes = pages * 4000 }, transaction), default);

    private static Task<(bool Busy, long Log, long Copied)> CheckpointAsync(CairnDatabase database, string pragma) =>
        database.ReadAsync(connection => Task.FromResult(SqliteCheckpointer.Checkpoint(connection, pragma, default)), default);

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited a minute for this, in vain: {what}");
            await Task.Delay(20);
        }
    }
}
