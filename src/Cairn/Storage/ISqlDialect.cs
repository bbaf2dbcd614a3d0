using System.Data.Common;

namespace Cairn.Storage;

/// <summary>
/// Everything that differs between the SQL engines Cairn runs on. Features write portable SQL
/// (parameters as <c>@name</c>, <c>RETURNING</c>, <c>LIMIT/OFFSET</c>) and ask the dialect for the rest.
/// </summary>
public interface ISqlDialect
{
    /// <summary>Engine name as used for the migrations folder: <c>sqlite</c> or <c>postgres</c>.</summary>
    string Name { get; }

    /// <summary>SQL for a case-insensitive LIKE of <paramref name="column"/> against a pattern parameter.</summary>
    string CaseInsensitiveLike(string column, string parameter);

    /// <summary>SQL for a case-sensitive LIKE of <paramref name="column"/> against a pattern parameter.</summary>
    string CaseSensitiveLike(string column, string parameter);

    /// <summary>
    /// SQL aggregating <paramref name="key"/>/<paramref name="value"/> rows into one JSON object (text);
    /// lets a listing fetch an entity's tags in the same query as the entity.
    /// </summary>
    string JsonObjectAggregate(string key, string value);

    /// <summary>True when the exception is a unique-constraint violation (translated to 409 once, here).</summary>
    bool IsUniqueViolation(DbException exception);

    /// <summary>
    /// Serialises appends to the audit chain within <paramref name="transaction"/>. SQLite's write
    /// transactions are already serial; PostgreSQL takes a transaction-scoped advisory lock.
    /// </summary>
    Task LockAuditChainAsync(DbTransaction transaction, CancellationToken cancellationToken);
}
