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

/// <summary>A test that needs both the PostgreSQL and the S3 server scripts/test starts.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresAndS3FactAttribute : FactAttribute
{
    public PostgresAndS3FactAttribute()
    {
        if (Postgres.Server is null || S3.Endpoint is null)
        {
            Skip = "needs PostgreSQL and an S3 server: run scripts/test, or set CAIRN_TEST_POSTGRES and CAIRN_TEST_S3_ENDPOINT";
        }
    }
}

/// <summary>A test that needs the S3 server scripts/test starts (<c>CAIRN_TEST_S3_ENDPOINT</c>); skipped, saying why, without it.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class S3FactAttribute : FactAttribute
{
    public S3FactAttribute()
    {
        if (S3.Endpoint is null)
        {
            Skip = "needs an S3 server: run scripts/test, or set CAIRN_TEST_S3_ENDPOINT to one with a bucket 'cairn-test'";
        }
    }
}

/// <summary>The test S3 server (s3rver, credentials S3RVER/S3RVER, bucket <c>cairn-test</c>) as <c>cairn serve</c> settings.</summary>
public static class S3
{
    public static string? Endpoint { get; } = Environment.GetEnvironmentVariable("CAIRN_TEST_S3_ENDPOINT") is { Length: > 0 } value ? value : null;

    /// <summary>A fresh prefix in the test bucket, and the CAIRN_S3_* variables that reach it.</summary>
    public static (string Location, Dictionary<string, string> Environment) Location() => (
        $"s3://cairn-test/{Guid.NewGuid():N}",
        new Dictionary<string, string>
        {
            ["CAIRN_S3_ENDPOINT"] = Endpoint ?? "",
            ["CAIRN_S3_REGION"] = "us-east-1",
            ["CAIRN_S3_ACCESS_KEY_ID"] = "S3RVER",
            ["CAIRN_S3_SECRET_ACCESS_KEY"] = "S3RVER",
        });
}

/// <summary>A test that needs the Azure Blob service scripts/test starts (Azurite); skipped, saying why, without it.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AzureFactAttribute : FactAttribute
{
    public AzureFactAttribute()
    {
        if (Azure.ConnectionString is null)
        {
            Skip = "needs an Azure Blob service: run scripts/test, or set CAIRN_TEST_AZURE_CONNECTION_STRING (Azurite's works)";
        }
    }
}

public static class Azure
{
    public static string? ConnectionString { get; } = Environment.GetEnvironmentVariable("CAIRN_TEST_AZURE_CONNECTION_STRING") is { Length: > 0 } value ? value : null;
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
