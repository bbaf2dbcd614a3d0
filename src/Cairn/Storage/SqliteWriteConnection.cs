using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage;

/// <summary>
/// The SQLite connection a <see cref="CairnDatabase"/> writes through: opened once and kept, so that the statements of
/// its writes stay prepared. Microsoft.Data.Sqlite prepares a command's SQL anew for every new command, and closing a
/// pooled connection finalises every statement prepared on it; a write of an OpenLineage group runs the same dozen
/// statements each time (inserts from JSON rows with their conflict clauses, costly to compile), so here each SQL text
/// keeps one prepared command, which later commands with the same text execute with their own parameters.
/// Only the holder of the store's write gate uses it, one command at a time.
/// </summary>
internal sealed class SqliteWriteConnection(string connectionString) : SqliteConnection(connectionString)
{
    // Dapper expands list parameters into the SQL text (IN (@ids1, @ids2, …)), so texts are not a closed set: the cache
    // stops growing at this size and further texts are prepared per command as before.
    private const int MaxCached = 256;

    private readonly Dictionary<string, SqliteCommand> _cached = new(StringComparer.Ordinal);
    private readonly HashSet<SqliteCommand> _inUse = [];

    protected override DbCommand CreateDbCommand() => new ReusedCommand(this);

    /// <summary>The prepared command for <paramref name="text"/>, or a new one when it is in use or the cache is full.</summary>
    private SqliteCommand Take(string text)
    {
        if (!_cached.TryGetValue(text, out var command))
        {
            command = base.CreateCommand();
            command.CommandText = text;
            if (_cached.Count < MaxCached)
            {
                _cached[text] = command;
            }
        }
        else if (_inUse.Contains(command))
        {
            command = base.CreateCommand();
            command.CommandText = text;
        }
        _inUse.Add(command);
        return command;
    }

    private void Return(SqliteCommand command)
    {
        _inUse.Remove(command);
        command.Parameters.Clear();
        command.Transaction = null;
        if (!_cached.TryGetValue(command.CommandText, out var cached) || !ReferenceEquals(cached, command))
        {
            command.Dispose();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var command in _cached.Values)
            {
                command.Dispose();
            }
            _cached.Clear();
            _inUse.Clear();
        }
        base.Dispose(disposing);
    }

    /// <summary>
    /// A command as ADO.NET callers (Dapper) use one: its SQL is set first, then its parameters, then it runs once and is
    /// disposed. It runs on the connection's prepared command for its SQL and hands that back when disposed.
    /// </summary>
    private sealed class ReusedCommand(SqliteWriteConnection connection) : DbCommand
    {
        private SqliteCommand? _inner;
        private int? _timeout;

        [AllowNull]
        public override string CommandText
        {
            get => _inner?.CommandText ?? "";
            set
            {
                var text = value ?? "";
                if (_inner is not null && _inner.CommandText == text)
                {
                    return;
                }
                // Set again (Dapper rewrites the text of a list parameter after adding the others): the parameters move along.
                var previous = _inner;
                _inner = connection.Take(text);
                if (previous is not null)
                {
                    var parameters = previous.Parameters.Cast<SqliteParameter>().ToList();
                    connection.Return(previous);
                    _inner.Parameters.AddRange(parameters);
                }
            }
        }

        public override int CommandTimeout { get => _timeout ?? connection.DefaultTimeout; set => _timeout = value; }

        public override CommandType CommandType
        {
            get => CommandType.Text;
            set => _ = value == CommandType.Text ? value : throw new ArgumentException("Only CommandType.Text is supported.", nameof(value));
        }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection { get => connection; set => throw new NotSupportedException("A write command stays on its connection."); }

        protected override DbParameterCollection DbParameterCollection => Inner.Parameters;

        protected override DbTransaction? DbTransaction { get; set; }

        private SqliteCommand Inner => _inner ?? throw new InvalidOperationException("Set CommandText before using the command.");

        public override void Cancel() => Inner.Cancel();

        public override void Prepare() => Inner.Prepare();

        protected override DbParameter CreateDbParameter() => new SqliteParameter();

        private SqliteCommand Ready()
        {
            var inner = Inner;
            inner.Transaction = (SqliteTransaction?)DbTransaction;
            inner.CommandTimeout = CommandTimeout;
            return inner;
        }

        public override int ExecuteNonQuery() => Ready().ExecuteNonQuery();

        public override object? ExecuteScalar() => Ready().ExecuteScalar();

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => Ready().ExecuteReader(behavior);

        public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) => Ready().ExecuteNonQueryAsync(cancellationToken);

        public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) => Ready().ExecuteScalarAsync(cancellationToken);

        protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
            await Ready().ExecuteReaderAsync(behavior, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing && _inner is not null)
            {
                connection.Return(_inner);
                _inner = null;
            }
            base.Dispose(disposing);
        }
    }
}
