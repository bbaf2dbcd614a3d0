using System.Data.Common;
using System.Reflection;
using Dapper;

namespace Cairn.Storage;

/// <summary>
/// One numbered, append-only SQL file per dialect, embedded in the library. A SQLite file that begins with
/// <see cref="Migrator.ForeignKeysOff"/> rebuilds a table that others reference (SQLite's way to change a primary key:
/// create, copy, drop, rename), which with foreign keys on would cascade the drop into every child row.
/// </summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    public bool NeedsForeignKeysOff => Sql.StartsWith(Migrator.ForeignKeysOff, StringComparison.Ordinal);
}

/// <summary>Applies the dialect's migrations in order, each in its own transaction, and reports what is applied.</summary>
public static class Migrator
{
    /// <summary>The first line of a SQLite migration that runs with foreign keys off; they are checked before it commits.</summary>
    public const string ForeignKeysOff = "-- cairn: foreign_keys = OFF";

    private const string CreateLedger = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT    NOT NULL,
            applied_at BIGINT  NOT NULL
        )
        """;

    public static IReadOnlyList<Migration> Available(ISqlDialect dialect)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = $"{assembly.GetName().Name}.Storage.Migrations.{dialect.Name}.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Load(assembly, n, n[prefix.Length..^4]))
            .OrderBy(m => m.Version)
            .ToList();
    }

    /// <summary>Applies what is missing; returns the versions applied now.</summary>
    public static async Task<IReadOnlyList<int>> MigrateAsync(CairnDatabase database, TimeProvider clock, CancellationToken cancellationToken)
    {
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            if (database.Dialect is SqliteDialect)
            {
                // WAL is a property of the file, set once: readers never block the writer.
                await connection.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL", cancellationToken: cancellationToken));
            }
        }
        // Under the store's write lock: replicas starting together must not race to create it (PostgreSQL would
        // refuse the second CREATE with a unique violation on its catalog).
        await database.WriteAsync((connection, transaction) =>
            connection.ExecuteAsync(new CommandDefinition(CreateLedger, transaction: transaction, cancellationToken: cancellationToken)), cancellationToken);

        var applied = new List<int>();
        foreach (var migration in Available(database.Dialect))
        {
            // Checked inside the write transaction so two processes starting together apply it once.
            Func<DbConnection, DbTransaction, Task<bool>> apply = async (connection, transaction) =>
            {
                var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM schema_migrations WHERE version = @Version", new { migration.Version }, transaction, cancellationToken: cancellationToken));
                if (exists > 0)
                {
                    return false;
                }
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));
                if (migration.NeedsForeignKeysOff
                    && (await connection.QueryAsync(new CommandDefinition("PRAGMA foreign_key_check", transaction: transaction, cancellationToken: cancellationToken))).Any())
                {
                    throw new InvalidOperationException($"Migration {migration.Version} ({migration.Name}) would leave rows whose foreign keys name no row; it was rolled back.");
                }
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @At)",
                    new { migration.Version, migration.Name, At = clock.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
                return true;
            };
            var ran = await (migration.NeedsForeignKeysOff
                ? database.WriteWithoutForeignKeysAsync(apply, cancellationToken)
                : database.WriteAsync(apply, cancellationToken));
            if (ran)
            {
                applied.Add(migration.Version);
            }
        }
        return applied;
    }

    /// <summary>Versions the database lacks (empty when ready).</summary>
    public static async Task<IReadOnlyList<int>> PendingAsync(CairnDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var done = (await connection.QueryAsync<int>(new CommandDefinition("SELECT version FROM schema_migrations", cancellationToken: cancellationToken))).ToHashSet();
        return Available(database.Dialect).Where(m => !done.Contains(m.Version)).Select(m => m.Version).ToList();
    }

    private static Migration Load(Assembly assembly, string resource, string fileName)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        var underscore = fileName.IndexOf('_', StringComparison.Ordinal);
        var version = int.Parse(fileName[..underscore], System.Globalization.CultureInfo.InvariantCulture);
        return new Migration(version, fileName[(underscore + 1)..], reader.ReadToEnd());
    }
}
