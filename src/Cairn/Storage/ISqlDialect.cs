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

    /// <summary>
    /// SQL for the JSON object (text) <paramref name="existing"/> with the members of <paramref name="added"/> put over
    /// it, each replaced whole (not RFC 7396's deep merge, which would drop nulls and mix two versions of a member):
    /// how facets, sent whole by every event, accumulate.
    /// </summary>
    string JsonMergeObjects(string existing, string added);

    /// <summary>
    /// SQL testing <paramref name="column"/> against a list parameter. Dapper expands a list into <c>IN (@p1, @p2, …)</c>
    /// on SQLite but sends it to PostgreSQL as one array, which needs <c>= ANY(@p)</c>.
    /// </summary>
    string InList(string column, string parameter);

    /// <summary>
    /// A table expression (aliased <c>r</c>) over the rows of a JSON array of objects sent as one text parameter:
    /// how set-based writes send many rows. One parameter instead of one per value: SQLite caps a statement's
    /// variables, and binding thousands of them cost more than the statement's work.
    /// <paramref name="columns"/> are the objects' keys with their SQL types (<c>text</c> or <c>bigint</c>).
    /// </summary>
    string JsonRows(string parameter, IReadOnlyList<(string Name, string Type)> columns);

    /// <summary>
    /// A one-column table expression (<c>value</c>, of SQL <paramref name="type"/>: <c>TEXT</c> or <c>BIGINT</c>) over
    /// the values of one parameter made by <see cref="ValueSetParameter{T}"/>: how a query tests membership in a set of
    /// any size with one parameter, where Dapper's list expansion binds and prepares one parameter per value.
    /// </summary>
    string ValueSet(string parameter, string type);

    /// <summary>The value of a <see cref="ValueSet"/> parameter: a JSON array on SQLite (read by json_each), an array on PostgreSQL.</summary>
    object ValueSetParameter<T>(IEnumerable<T> values);

    /// <summary>
    /// What follows a row-selecting subquery so that concurrent lessees each take other rows: <c>FOR UPDATE SKIP LOCKED</c>
    /// on PostgreSQL; nothing on SQLite, whose single writer holds the whole database.
    /// </summary>
    string SkipLocked { get; }

    /// <summary>True when the exception is a unique-constraint violation (translated to 409 once, here).</summary>
    bool IsUniqueViolation(DbException exception);

    /// <summary>
    /// True when the engine refused a text value it cannot hold: PostgreSQL keeps no NUL character (U+0000) in text or
    /// jsonb; SQLite keeps any. The request that carried it gets a 400, translated once, here.
    /// </summary>
    bool IsUnstorableText(DbException exception);

    /// <summary>
    /// Serialises appends to the audit chain within <paramref name="transaction"/>. Both engines' write
    /// transactions already hold the store-wide write lock (see <see cref="BeginWriteAsync"/>), so this is a no-op
    /// kept as the one place a finer-grained scheme would lock the chain.
    /// </summary>
    Task LockAuditChainAsync(DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a write transaction that holds the store's write lock until it ends: SQLite's BEGIN IMMEDIATE, PostgreSQL's
    /// transaction-scoped advisory lock. Every mutation appends to the one audit chain, so writes are serial at the chain
    /// anyway; taking the lock first makes read-then-write sequences (counters, the chain's head) safe across processes
    /// and replicas, with no deadlocks between them.
    /// </summary>
    Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);
}
