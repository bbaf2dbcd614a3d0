using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Cairn.Storage;

/// <summary>
/// The metadata database: opens connections for the active dialect and runs each mutation as one
/// transaction. Features receive the open connection and transaction and write plain SQL.
/// </summary>
public sealed class CairnDatabase : IDisposable, IAsyncDisposable
{
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Prepared = new();
    private static readonly object Marker = new();
    private static readonly ConditionalWeakTable<DbTransaction, List<Action>> AfterCommitActions = new();
    private readonly string _connectionString;
    private readonly NpgsqlDataSource? _postgres;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly string _system;
    private readonly ILogger _logger;
    private readonly int _checkpointFrames;
    private TaskCompletionSource _nextCommit = NewCommitSource();
    private SqliteWriteConnection? _sqliteWriter;
    private SqliteCheckpointer? _checkpointer;

    static CairnDatabase() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    private CairnDatabase(string connectionString, ISqlDialect dialect, string description, NpgsqlDataSource? postgres = null,
        ILogger? logger = null, int checkpointFrames = SqliteCheckpointer.DefaultThreshold)
    {
        _connectionString = connectionString;
        _postgres = postgres;
        _logger = logger ?? NullLogger.Instance;
        _checkpointFrames = checkpointFrames;
        Dialect = dialect;
        Description = description;
        _system = CairnTelemetry.DatabaseSystem(dialect);
    }

    public ISqlDialect Dialect { get; }

    /// <summary>Which database this is, for people and logs, without its password: <c>SQLite /path/cairn.db</c>, <c>PostgreSQL host:port/db as user</c>.</summary>
    public string Description { get; }

    /// <summary>Closes the database; on SQLite, after stopping its checkpointer, which may hold the write gate.</summary>
    public void Dispose()
    {
        // Sync over async once, at the end of the database's life: the checkpointer's loop runs on a thread of its own
        // and never waits on the caller's context.
        _checkpointer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Close();
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (_checkpointer is not null)
        {
            await _checkpointer.DisposeAsync();
        }
        Close();
    }

    private void Close()
    {
        _checkpointer = null;
        _sqliteWriter?.Dispose();
        _sqliteWriter = null;
        _writeGate.Dispose();
        _postgres?.Dispose();
    }

    /// <summary>
    /// Whether a database setting names PostgreSQL: a key/value connection string with a host
    /// (<c>Host=db;Database=cairn;…</c>) or a <c>postgres://</c> / <c>postgresql://</c> URI.
    /// Anything else is a SQLite file path.
    /// </summary>
    public static bool IsPostgres(string setting) =>
        setting.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || setting.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || setting.Contains("Host=", StringComparison.OrdinalIgnoreCase) || setting.Contains("Server=", StringComparison.OrdinalIgnoreCase);

    /// <summary>The file of an MLflow-style <c>sqlite:///path</c> URI (three slashes, then a relative path, or a fourth for an absolute one); null for anything else.</summary>
    public static string? SqliteUriPath(string uri) =>
        uri.StartsWith("sqlite:///", StringComparison.Ordinal) && uri.Length > "sqlite:///".Length ? uri["sqlite:///".Length..] : null;

    /// <summary>
    /// SQLite for a file path, PostgreSQL for a connection string or URI (see <see cref="IsPostgres"/>); the database
    /// logs what goes wrong in the background (SQLite's checkpoints) to <paramref name="logger"/>.
    /// </summary>
    public static CairnDatabase Open(string setting, ILogger? logger = null) => IsPostgres(setting) ? Postgres(setting) : Sqlite(setting, logger);

    /// <summary>A PostgreSQL database, by Npgsql connection string or <c>postgresql://user:password@host:port/database</c> URI.</summary>
    public static CairnDatabase Postgres(string connection)
    {
        var connectionString = connection.Contains("://", StringComparison.Ordinal) ? FromUri(connection) : connection;
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        return new CairnDatabase(connectionString, PostgresDialect.Instance,
            $"PostgreSQL {settings.Host}:{settings.Port}/{settings.Database} as {settings.Username}", builder.Build());
    }

    /// <summary>A <c>postgresql://user:password@host:port/database?k=v</c> URI as an Npgsql connection string.</summary>
    private static string FromUri(string uri)
    {
        var parsed = new Uri(uri);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = parsed.Host,
            Port = parsed.IsDefaultPort || parsed.Port < 0 ? 5432 : parsed.Port,
            Database = Uri.UnescapeDataString(parsed.AbsolutePath.TrimStart('/')),
        };
        var user = parsed.UserInfo.Split(':', 2);
        if (user[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(user[0]);
        }
        if (user.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(user[1]);
        }
        foreach (var pair in parsed.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            builder[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
        }
        return builder.ConnectionString;
    }

    /// <summary>A SQLite database file (created if missing) in WAL mode; checkpoint failures are logged to <paramref name="logger"/>.</summary>
    public static CairnDatabase Sqlite(string path, ILogger? logger = null) => Sqlite(path, logger, SqliteCheckpointer.DefaultThreshold);

    /// <summary>A SQLite database whose writes are checkpointed every <paramref name="checkpointFrames"/> frames of the log (tests use few).</summary>
    internal static CairnDatabase Sqlite(string path, ILogger? logger, int checkpointFrames)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            // Waiting writers retry for this long on SQLITE_BUSY before failing.
            DefaultTimeout = 30,
        };
        return new CairnDatabase(builder.ToString(), SqliteDialect.Instance, $"SQLite {full}", logger: logger, checkpointFrames: checkpointFrames);
    }

    // LIKE is case-sensitive as in MLflow (ILIKE is the insensitive one), and FULL sync makes every committed mutation
    // survive power loss, not only a killed process. Pages are read through a memory map: SQLite's default 2 MB page
    // cache per connection made busy writers spend a fifth of their time in read() system calls copying pages the OS
    // already had.
    private const string SqlitePragmas =
        "PRAGMA case_sensitive_like = ON; PRAGMA synchronous = FULL; PRAGMA mmap_size = 1073741824; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 8192;";

    // The kept write connection leaves checkpoints to the database's checkpointer (SqliteCheckpointer): SQLite's
    // automatic one runs in the commit that crosses it, on the writers' serial path. Other connections keep it: they
    // read, or write rarely (migrations, another process on the same file), and then checkpoint their own writes.
    internal const string SqliteWriterPragmas = SqlitePragmas + " PRAGMA wal_autocheckpoint = 0;";

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken);
        }
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // Pooled connections keep their native handle, and pragmas live on the handle: set them once per
        // handle, not on every open (that extra statement cost a third of a cached read's time).
        if (!Prepared.TryGetValue(connection.Handle!, out _))
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = SqlitePragmas;
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            Prepared.AddOrUpdate(connection.Handle!, Marker);
        }
        return connection;
    }

    /// <summary>
    /// A connection opened synchronously, for the few callers whose interface is synchronous (ASP.NET Core Data
    /// Protection's key repository); everything else uses <see cref="OpenAsync"/>.
    /// </summary>
    public DbConnection Open()
    {
        if (_postgres is not null)
        {
            return _postgres.OpenConnection();
        }
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        if (!Prepared.TryGetValue(connection.Handle!, out _))
        {
            using var pragma = connection.CreateCommand();
            pragma.CommandText = SqlitePragmas;
            pragma.ExecuteNonQuery();
            Prepared.AddOrUpdate(connection.Handle!, Marker);
        }
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction; commits only if it returns.</summary>
    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        WriteGatedAsync(work, foreignKeysOff: false, cancellationToken);

    /// <summary>
    /// <see cref="WriteAsync"/> with SQLite's foreign keys off for this transaction (a migration that rebuilds a table
    /// others reference): the pragma has no effect inside a transaction, so it is set on the write connection before.
    /// </summary>
    internal Task<T> WriteWithoutForeignKeysAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        WriteGatedAsync(work, foreignKeysOff: _postgres is null, cancellationToken);

    private async Task<T> WriteGatedAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, bool foreignKeysOff, CancellationToken cancellationToken)
    {
        // One writer at a time holds the store's lock. Queueing this process's writers here, rather than letting
        // them collide on it, spares SQLite SQLITE_BUSY retries that sleep (seconds at the tail under load) and
        // PostgreSQL a pooled connection per waiter; other processes and replicas queue on the lock itself.
        using var activity = CairnTelemetry.ActivitySource.StartActivity("cairn.db.write");
        var waiting = Stopwatch.GetTimestamp();
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            if (!foreignKeysOff)
            {
                return await WriteLockedAsync(work, waiting, activity, cancellationToken);
            }
            var writer = await SqliteWriterAsync(cancellationToken);
            await writer.ExecuteAsync(new CommandDefinition("PRAGMA foreign_keys = OFF", cancellationToken: cancellationToken));
            try
            {
                return await WriteLockedAsync(work, waiting, activity, cancellationToken);
            }
            finally
            {
                // A failed write may have dropped the kept connection; a new one opens with foreign keys on.
                if (_sqliteWriter is { State: ConnectionState.Open } open)
                {
                    await open.ExecuteAsync(new CommandDefinition("PRAGMA foreign_keys = ON", cancellationToken: CancellationToken.None));
                }
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task<T> WriteLockedAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, long waiting, Activity? activity, CancellationToken cancellationToken)
    {
        // SQLite writes go through one connection kept open for them, whose statements stay prepared; PostgreSQL's come
        // from the pool (Npgsql prepares on its own).
        await using var pooled = _postgres is null ? null : await OpenAsync(cancellationToken);
        var connection = pooled ?? await SqliteWriterAsync(cancellationToken);
        // The store's write lock is taken up front, so read-then-write sequences (next version number, audit
        // head) are serial, across processes too.
        await using var transaction = await Dialect.BeginWriteAsync(connection, cancellationToken);
        var locked = Stopwatch.GetTimestamp();
        var waited = Stopwatch.GetElapsedTime(waiting, locked).TotalSeconds;
        CairnTelemetry.WriteLockWait.Record(waited);
        activity?.SetTag("db.system.name", _system).SetTag("cairn.write_lock.wait_ms", waited * 1000);
        try
        {
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            if (pooled is null)
            {
                CountFrames((SqliteConnection)connection);
            }
            Interlocked.Exchange(ref _nextCommit, NewCommitSource()).TrySetResult();
            RunAfterCommit(transaction);
            return result;
        }
        catch (DbException ex) when (Dialect.IsUniqueViolation(ex))
        {
            throw new AlreadyExistsException("A resource with the same unique key already exists.");
        }
        catch (DbException ex) when (Dialect.IsUnstorableText(ex))
        {
            throw UnstorableText();
        }
        catch (DbException) when (pooled is null)
        {
            // A database error may leave the kept connection unusable (an I/O error, a file gone): the next write opens a new one.
            DropSqliteWriter();
            throw;
        }
        finally
        {
            CairnTelemetry.DatabaseDuration.Record(Stopwatch.GetElapsedTime(locked).TotalSeconds, new("operation", "write"), new("db.system.name", _system));
        }
    }

    /// <summary>The SQLite connection writes go through (under the write gate), opened with the store's pragmas on first use.</summary>
    private async Task<DbConnection> SqliteWriterAsync(CancellationToken cancellationToken)
    {
        if (_sqliteWriter is { State: ConnectionState.Open } writer)
        {
            return writer;
        }
        DropSqliteWriter();
        // Not pooled: a connection dropped after an error is closed, not handed to a reader.
        writer = new SqliteWriteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        try
        {
            await writer.OpenAsync(cancellationToken);
            if (!Prepared.TryGetValue(writer.Handle!, out _))
            {
                await using var pragma = writer.CreateCommand();
                pragma.CommandText = SqliteWriterPragmas;
                await pragma.ExecuteNonQueryAsync(cancellationToken);
                Prepared.AddOrUpdate(writer.Handle!, Marker);
            }
        }
        catch
        {
            await writer.DisposeAsync();
            throw;
        }
        return _sqliteWriter = writer;
    }

    /// <summary>
    /// Hands the frames the kept write connection appended to the log since its last commit (its pager's page writes,
    /// read and reset without I/O) to the checkpointer, started by the first write.
    /// </summary>
    private void CountFrames(SqliteConnection writer)
    {
        SQLitePCL.raw.sqlite3_db_status(writer.Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_WRITE, out var frames, out _, 1);
        _checkpointer ??= new SqliteCheckpointer(_connectionString, _writeGate, _checkpointFrames, _logger);
        _checkpointer.Committed(frames);
    }

    private void DropSqliteWriter()
    {
        _sqliteWriter?.Dispose();
        _sqliteWriter = null;
    }

    /// <summary>
    /// Runs <paramref name="action"/> once the write transaction <paramref name="transaction"/> (of <see cref="WriteAsync"/>)
    /// has committed, and never if it does not: what counts committed changes (metrics) counts no rolled-back one.
    /// </summary>
    internal static void AfterCommit(DbTransaction transaction, Action action)
    {
        var actions = AfterCommitActions.GetOrCreateValue(transaction);
        actions.Add(action);
    }

    private static void RunAfterCommit(DbTransaction transaction)
    {
        if (AfterCommitActions.TryGetValue(transaction, out var actions))
        {
            AfterCommitActions.Remove(transaction);
            foreach (var action in actions)
            {
                action();
            }
        }
    }

    /// <summary>
    /// Completes when this process next commits a write: what waits for new events (the webhook dispatcher, the
    /// event feed's long polls) wakes at once instead of polling. Writes of other processes or replicas do not signal
    /// here; those waiters still look again on a timer.
    /// </summary>
    public Task NextCommitAsync(CancellationToken cancellationToken) => Volatile.Read(ref _nextCommit).Task.WaitAsync(cancellationToken);

    private static TaskCompletionSource NewCommitSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        using var activity = CairnTelemetry.ActivitySource.StartActivity("cairn.db.read");
        activity?.SetTag("db.system.name", _system);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            return await work(connection);
        }
        catch (DbException ex) when (Dialect.IsUnstorableText(ex))
        {
            throw UnstorableText();
        }
        finally
        {
            CairnTelemetry.DatabaseDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new("operation", "read"), new("db.system.name", _system));
        }
    }

    // The API's edges refuse NUL where they parse text (naming the field); this covers what reaches the store another way.
    private static InvalidParameterException UnstorableText() =>
        new("The request holds text with a NUL character (U+0000), which Cairn does not store; remove it.");
}
