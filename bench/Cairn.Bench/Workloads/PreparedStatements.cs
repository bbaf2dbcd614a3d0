using Cairn.Governance;
using Microsoft.Data.Sqlite;

namespace Cairn.Bench.Workloads;

/// <summary>The SQLite baselines' statements: prepared once on their connection, their named parameters set before each run.</summary>
internal static class PreparedStatements
{
    public static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
        }
        command.Prepare();
        return command;
    }

    public static void Set(SqliteCommand command, string name, object? value) => command.Parameters[name].Value = value ?? DBNull.Value;

    /// <summary>The next audit entry's sequence number and the hash it chains to, read by <paramref name="auditHead"/> (<c>SELECT seq, hash FROM audit_head</c>).</summary>
    public static (long Seq, string Prev) NextAuditLink(SqliteCommand auditHead)
    {
        using var reader = auditHead.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0) + 1, reader.GetString(1)) : (1, AuditChain.Genesis);
    }
}
