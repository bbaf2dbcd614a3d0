using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage;

/// <summary>SQLite: the embedded default. Connections run with <c>case_sensitive_like</c> on, so LIKE means what it means in MLflow.</summary>
public sealed class SqliteDialect : ISqlDialect
{
    // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY (extended result codes).
    private const int ConstraintUnique = 2067;
    private const int ConstraintPrimaryKey = 1555;

    public static SqliteDialect Instance { get; } = new();

    public string Name => "sqlite";

    public string CaseInsensitiveLike(string column, string parameter) => $"lower({column}) LIKE lower({parameter})";

    public string CaseSensitiveLike(string column, string parameter) => $"{column} LIKE {parameter}";

    public string JsonObjectAggregate(string key, string value) => $"json_group_object({key}, {value})";

    // json_each gives an object's members as rows; json() keeps an object or array member JSON in the aggregate.
    public string JsonMergeObjects(string existing, string added) => $"""
        (SELECT json_group_object(key, json(CASE WHEN type IN ('object', 'array') THEN value WHEN type = 'true' THEN 'true' WHEN type = 'false' THEN 'false' WHEN type = 'null' THEN 'null' ELSE json_quote(value) END))
         FROM (SELECT key, value, type FROM json_each({existing}) WHERE key NOT IN (SELECT key FROM json_each({added}))
               UNION ALL SELECT key, value, type FROM json_each({added})))
        """;

    public string InList(string column, string parameter) => $"{column} IN {parameter}";

    public string JsonRows(string parameter, IReadOnlyList<(string Name, string Type)> columns) =>
        $"(SELECT {string.Join(", ", columns.Select(c => $"value ->> '$.{c.Name}' AS {c.Name}"))} FROM json_each({parameter})) AS r";

    public string ValueSet(string parameter, string type) => $"(SELECT value FROM json_each({parameter}))";

    public object ValueSetParameter<T>(IEnumerable<T> values) => System.Text.Json.JsonSerializer.Serialize(values);

    public string SkipLocked => "";

    public bool IsUnstorableText(DbException exception) => false;

    public bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: ConstraintUnique or ConstraintPrimaryKey };

    public Task LockAuditChainAsync(DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    // Microsoft.Data.Sqlite starts BEGIN IMMEDIATE for a non-deferred transaction: the write lock is taken up front.
    public async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
}
