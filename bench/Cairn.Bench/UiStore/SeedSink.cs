using System.Data.Common;
using Cairn.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Cairn.Bench.UiStore;

/// <summary>
/// Where the UI store's rows go, one table after the other: prepared single-row inserts in one transaction per table on
/// SQLite (the fastest way into SQLite: the statement is compiled once and only re-bound), binary COPY on PostgreSQL.
/// A row's values are <see cref="long"/>, <see cref="double"/>, <see cref="string"/> or null, in the columns' order.
/// </summary>
internal abstract class SeedSink : IAsyncDisposable
{
    public static async Task<SeedSink> OpenAsync(string database, CancellationToken cancellationToken) =>
        CairnDatabase.IsPostgres(database)
            ? await PostgresSink.ConnectAsync(database, cancellationToken)
            : await SqliteSink.ConnectAsync(database, cancellationToken);

    public abstract DbConnection Connection { get; }

    /// <summary>Rows written so far, all tables.</summary>
    public long Rows { get; protected set; }

    public abstract Task<ITableWriter> TableAsync(string table, string[] columns, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}

internal interface ITableWriter : IAsyncDisposable
{
    void Row(params object?[] values);
}

internal sealed class SqliteSink : SeedSink
{
    private readonly SqliteConnection _connection;

    private SqliteSink(SqliteConnection connection) => _connection = connection;

    public override DbConnection Connection => _connection;

    public static async Task<SeedSink> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        // A bulk load of a throwaway store on this connection only: no rollback journal and no fsync (a crash leaves a
        // store to delete, not to repair), no foreign-key probe per row (the generator only names rows it wrote), a
        // large page cache. The server sets WAL again when it opens the store (Migrator).
        pragma.CommandText = "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -2000000; PRAGMA temp_store = MEMORY;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return new SqliteSink(connection);
    }

    public override Task<ITableWriter> TableAsync(string table, string[] columns, CancellationToken cancellationToken) =>
        Task.FromResult<ITableWriter>(new Writer(this, table, columns));

    public override async ValueTask DisposeAsync() => await _connection.DisposeAsync();

    private sealed class Writer : ITableWriter
    {
        private readonly SqliteSink _sink;
        private readonly SqliteTransaction _transaction;
        private readonly SqliteCommand _command;
        private readonly SqliteParameter[] _parameters;

        public Writer(SqliteSink sink, string table, string[] columns)
        {
            _sink = sink;
            _transaction = sink._connection.BeginTransaction();
            _command = sink._connection.CreateCommand();
            _command.Transaction = _transaction;
            _command.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
            _parameters = columns.Select((_, i) => _command.Parameters.Add("$p" + i, SqliteType.Text)).ToArray();
            _command.Prepare();
        }

        public void Row(params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                var value = values[i];
                _parameters[i].SqliteType = value switch
                {
                    long => SqliteType.Integer,
                    double => SqliteType.Real,
                    _ => SqliteType.Text,
                };
                _parameters[i].Value = value ?? DBNull.Value;
            }
            _command.ExecuteNonQuery();
            _sink.Rows++;
        }

        public async ValueTask DisposeAsync()
        {
            await _transaction.CommitAsync();
            await _command.DisposeAsync();
            await _transaction.DisposeAsync();
        }
    }
}

internal sealed class PostgresSink : SeedSink
{
    private readonly NpgsqlConnection _connection;

    private PostgresSink(NpgsqlConnection connection) => _connection = connection;

    public override DbConnection Connection => _connection;

    public static async Task<SeedSink> ConnectAsync(string database, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { CommandTimeout = 0 }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // This session's commits do not wait for the WAL flush (the seed's equivalent of synchronous=OFF).
        command.CommandText = "SET synchronous_commit = off";
        await command.ExecuteNonQueryAsync(cancellationToken);
        // As a superuser, skip the per-row foreign-key triggers for this session (the generator only names rows it
        // writes); other roles keep them, which is slower but the same result.
        command.CommandText = "SELECT rolsuper FROM pg_roles WHERE rolname = current_user";
        if (await command.ExecuteScalarAsync(cancellationToken) is true)
        {
            command.CommandText = "SET session_replication_role = replica";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return new PostgresSink(connection);
    }

    public override async Task<ITableWriter> TableAsync(string table, string[] columns, CancellationToken cancellationToken) =>
        new Writer(this, await _connection.BeginBinaryImportAsync(
            $"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken));

    public override async ValueTask DisposeAsync() => await _connection.DisposeAsync();

    private sealed class Writer(PostgresSink sink, NpgsqlBinaryImporter importer) : ITableWriter
    {
        public void Row(params object?[] values)
        {
            importer.StartRow();
            foreach (var value in values)
            {
                switch (value)
                {
                    case null:
                        importer.WriteNull();
                        break;
                    case long l:
                        importer.Write(l, NpgsqlDbType.Bigint);
                        break;
                    case double d:
                        importer.Write(d, NpgsqlDbType.Double);
                        break;
                    case string s:
                        importer.Write(s, NpgsqlDbType.Text);
                        break;
                    default:
                        throw new ArgumentException($"Unexpected value type {value.GetType()}.", nameof(values));
                }
            }
            sink.Rows++;
        }

        public async ValueTask DisposeAsync()
        {
            await importer.CompleteAsync();
            await importer.DisposeAsync();
        }
    }
}
