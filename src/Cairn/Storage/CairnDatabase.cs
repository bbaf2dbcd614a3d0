using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage;

/// <summary>
/// The metadata database: opens connections for the active dialect and runs each mutation as one
/// transaction. Features receive the open connection and transaction and write plain SQL.
/// </summary>
public sealed class CairnDatabase : IDisposable
{
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Prepared = new();
    private static readonly object Marker = new();
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    static CairnDatabase() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    private CairnDatabase(string connectionString, ISqlDialect dialect)
    {
        _connectionString = connectionString;
        Dialect = dialect;
    }

    public ISqlDialect Dialect { get; }

    public void Dispose() => _writeGate.Dispose();

    /// <summary>A SQLite database file (created if missing) in WAL mode.</summary>
    public static CairnDatabase Sqlite(string path)
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
        return new CairnDatabase(builder.ToString(), SqliteDialect.Instance);
    }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // Pooled connections keep their native handle, and pragmas live on the handle: set them once per
        // handle, not on every open (that extra statement cost a third of a cached read's time).
        if (!Prepared.TryGetValue(connection.Handle!, out _))
        {
            await using var pragma = connection.CreateCommand();
            // LIKE is case-sensitive as in MLflow (ILIKE is the insensitive one), and FULL sync makes every
            // committed mutation survive power loss, not only a killed process.
            pragma.CommandText = "PRAGMA case_sensitive_like = ON; PRAGMA synchronous = FULL;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            Prepared.AddOrUpdate(connection.Handle!, Marker);
        }
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction; commits only if it returns.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        // SQLite has one writer at a time. Queueing this process's writers here, rather than letting them
        // collide on BEGIN IMMEDIATE, spares them SQLITE_BUSY retries that sleep (seconds at the tail under
        // load); other processes on the same file are still handled by the busy timeout.
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            return await WriteLockedAsync(work, cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task<T> WriteLockedAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // Microsoft.Data.Sqlite starts BEGIN IMMEDIATE for a non-deferred transaction: the write lock is
        // taken up front, so read-then-write sequences (next version number, audit head) are serial.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
        try
        {
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        catch (DbException ex) when (Dialect.IsUniqueViolation(ex))
        {
            throw new AlreadyExistsException("A resource with the same unique key already exists.");
        }
    }

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await work(connection);
    }
}
