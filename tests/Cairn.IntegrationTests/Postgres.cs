using Npgsql;

namespace Cairn.IntegrationTests;

/// <summary>
/// A test that needs the PostgreSQL server scripts/test starts (<c>CAIRN_TEST_POSTGRES</c>). Run without it (a plain
/// <c>dotnet test</c> on a machine without PostgreSQL) it is reported as skipped, saying why, not as passed.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (Postgres.Server is null)
        {
            Skip = "needs PostgreSQL: run scripts/test, or set CAIRN_TEST_POSTGRES to a server where tests may create databases";
        }
    }
}

/// <summary>Throwaway databases on the test PostgreSQL server.</summary>
public sealed class Postgres : IDisposable
{
    private Postgres(string connectionString) => ConnectionString = connectionString;

    public static string? Server { get; } = Environment.GetEnvironmentVariable("CAIRN_TEST_POSTGRES") is { Length: > 0 } value ? value : null;

    public string ConnectionString { get; }

    public static Postgres CreateDatabase()
    {
        var name = "cairn_it_" + Guid.NewGuid().ToString("N")[..16];
        Execute($"CREATE DATABASE {name}");
        return new Postgres(new NpgsqlConnectionStringBuilder(Server) { Database = name, Pooling = false }.ConnectionString);
    }

    public void Dispose() => Execute($"DROP DATABASE IF EXISTS {new NpgsqlConnectionStringBuilder(ConnectionString).Database} WITH (FORCE)");

    private static void Execute(string sql)
    {
        using var admin = new NpgsqlConnection(Server ?? throw new InvalidOperationException("CAIRN_TEST_POSTGRES is not set."));
        admin.Open();
        using var command = admin.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
