using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage;

/// <summary>The dialect of a connection, for static helpers that write inside a caller's transaction.</summary>
public static class SqlDialects
{
    public static ISqlDialect Of(DbTransaction transaction) =>
        transaction.Connection is SqliteConnection ? SqliteDialect.Instance : PostgresDialect.Instance;
}
