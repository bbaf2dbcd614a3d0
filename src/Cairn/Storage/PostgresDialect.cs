using System.Data;
using System.Data.Common;
using Npgsql;

namespace Cairn.Storage;

/// <summary>PostgreSQL: for teams that run several replicas on one database.</summary>
public sealed class PostgresDialect : ISqlDialect
{
    /// <summary>The advisory lock key every write transaction takes ("cairn" in ASCII): one lock for the store.</summary>
    private const long WriteLock = 0x636169726E;

    public static PostgresDialect Instance { get; } = new();

    public string Name => "postgres";

    public string CaseInsensitiveLike(string column, string parameter) => $"{column} ILIKE {parameter}";

    public string CaseSensitiveLike(string column, string parameter) => $"{column} LIKE {parameter}";

    // json_object_agg is NULL over no rows, where SQLite's json_group_object gives {}: readers expect an object.
    public string JsonObjectAggregate(string key, string value) => $"COALESCE(json_object_agg({key}, {value})::text, '{{}}')";

    public string JsonMergeObjects(string existing, string added) => $"CAST(CAST({existing} AS jsonb) || CAST({added} AS jsonb) AS TEXT)";

    public string InList(string column, string parameter) => $"{column} = ANY({parameter})";

    public string JsonRows(string parameter, IReadOnlyList<(string Name, string Type)> columns) =>
        $"jsonb_to_recordset(CAST({parameter} AS jsonb)) AS r({string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"))})";

    public string ValueSet(string parameter, string type) => $"(SELECT unnest(CAST({parameter} AS {type}[])))";

    public object ValueSetParameter<T>(IEnumerable<T> values) => values.ToArray();

    public string SkipLocked => "FOR UPDATE SKIP LOCKED";

    public bool IsUniqueViolation(DbException exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public bool IsUnstorableText(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter };

    public Task LockAuditChainAsync(DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// READ COMMITTED plus the store's advisory lock, held until commit or rollback: writers from every replica queue
    /// on it in order, so each one reads what the previous committed.
    /// </summary>
    public async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT pg_advisory_xact_lock({WriteLock})";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }
}
