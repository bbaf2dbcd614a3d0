using System.Data.Common;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage;

/// <summary>The dialect of a connection, for static helpers that write inside a caller's transaction; the value of a rows parameter.</summary>
public static class SqlDialects
{
    private static readonly JsonSerializerOptions RowJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The value of an <see cref="ISqlDialect.JsonRows"/> parameter: the rows as a JSON array, their properties in snake_case as the columns are named.</summary>
    public static string RowsParameter<T>(IEnumerable<T> rows) => JsonSerializer.Serialize(rows, RowJson);

    public static ISqlDialect Of(DbTransaction transaction) =>
        transaction.Connection is SqliteConnection ? SqliteDialect.Instance : PostgresDialect.Instance;
}
