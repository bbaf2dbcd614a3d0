using Cairn.Search;
using Cairn.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Search;

/// <summary>Schemas shaped like the registry's: models with tags, versions (joined to their model) with metrics.</summary>
public static class SearchSchemas
{
    public static FilterSchema Models { get; } = new(
        "m.id",
        [
            new FilterAttribute("name", "m.name", FilterValueType.String),
            new FilterAttribute("description", "m.description", FilterValueType.String),
            new FilterAttribute("created_at", "m.created_at", FilterValueType.Timestamp),
        ],
        [new FilterCollection("tags", "model_tags", "model_id", "key", "value", FilterValueType.String)]);

    public static FilterSchema Versions { get; } = new(
        "v.id",
        [
            new FilterAttribute("name", "m.name", FilterValueType.String),
            new FilterAttribute("version", "v.version", FilterValueType.Number),
            new FilterAttribute("created_at", "v.created_at", FilterValueType.Timestamp),
        ],
        [new FilterCollection("metrics", "version_metrics", "version_id", "key", "value", FilterValueType.Number)]);
}

/// <summary>An in-memory SQLite database with a few models and versions, configured as the real store configures SQLite.</summary>
public sealed class SearchDatabase : IDisposable
{
    public SearchDatabase()
    {
        Connection = new SqliteConnection("Data Source=:memory:");
        Connection.Open();
        Connection.Execute("""
            PRAGMA case_sensitive_like = ON;
            CREATE TABLE models (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT, created_at INTEGER NOT NULL);
            CREATE TABLE model_tags (model_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (model_id, key));
            CREATE TABLE model_versions (id INTEGER PRIMARY KEY, model_id INTEGER NOT NULL, version INTEGER NOT NULL, created_at INTEGER NOT NULL);
            CREATE TABLE version_metrics (version_id INTEGER NOT NULL, key TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (version_id, key));
            """);
        Connection.Execute(
            "INSERT INTO models VALUES (@Id, @Name, @Description, @CreatedAt)",
            new[]
            {
                new { Id = 1, Name = "fraud-detector", Description = (string?)"Detects card fraud", CreatedAt = Ms("2026-01-01T00:00:00Z") },
                new { Id = 2, Name = "Fraud-scorer", Description = (string?)null, CreatedAt = Ms("2026-02-01T00:00:00Z") },
                new { Id = 3, Name = "churn", Description = (string?)"Predicts churn", CreatedAt = Ms("2025-06-15T12:00:00Z") },
                new { Id = 4, Name = "x' OR '1'='1", Description = (string?)"An unlucky name", CreatedAt = Ms("2025-01-01T00:00:00Z") },
            });
        Connection.Execute(
            "INSERT INTO model_tags VALUES (@ModelId, @Key, @Value)",
            new[]
            {
                new { ModelId = 1, Key = "team", Value = "risk" },
                new { ModelId = 1, Key = "owner", Value = "alice" },
                new { ModelId = 2, Key = "team", Value = "ops" },
                new { ModelId = 3, Key = "team", Value = "growth" },
                new { ModelId = 3, Key = "my key.x", Value = "yes" },
            });
        Connection.Execute(
            "INSERT INTO model_versions VALUES (@Id, @ModelId, @Version, @CreatedAt)",
            new[]
            {
                new { Id = 10, ModelId = 1, Version = 1, CreatedAt = Ms("2026-01-02T00:00:00Z") },
                new { Id = 11, ModelId = 1, Version = 2, CreatedAt = Ms("2026-01-10T00:00:00Z") },
                new { Id = 12, ModelId = 2, Version = 1, CreatedAt = Ms("2026-02-02T00:00:00Z") },
                new { Id = 13, ModelId = 3, Version = 1, CreatedAt = Ms("2025-06-16T00:00:00Z") },
                new { Id = 14, ModelId = 3, Version = 2, CreatedAt = Ms("2025-07-01T00:00:00Z") },
            });
        Connection.Execute(
            "INSERT INTO version_metrics VALUES (@VersionId, @Key, @Value)",
            new[]
            {
                new { VersionId = 10, Key = "accuracy", Value = 0.91 },
                new { VersionId = 11, Key = "accuracy", Value = 0.95 },
                new { VersionId = 11, Key = "f1", Value = 0.8 },
                new { VersionId = 12, Key = "accuracy", Value = 0.7 },
                new { VersionId = 14, Key = "accuracy", Value = 0.99 },
                new { VersionId = 14, Key = "loss", Value = 2.0 },
            });
    }

    public SqliteConnection Connection { get; }

    public static long Ms(string isoTimestamp) => DateTimeOffset.Parse(isoTimestamp, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    /// <summary>Ids of the models matching <paramref name="filter"/>, in id order, checking that the SQL holds no user text.</summary>
    public long[] Models(string filter, string? orderBy = null) =>
        Query(filter, SearchSchemas.Models, "SELECT m.id FROM models m", orderBy);

    public long[] Versions(string filter) =>
        Query(filter, SearchSchemas.Versions, "SELECT v.id FROM model_versions v JOIN models m ON m.id = v.model_id", null);

    private long[] Query(string filter, FilterSchema schema, string select, string? orderBy)
    {
        var parameters = new Dictionary<string, object?>();
        var expression = FilterParser.Parse(filter) ?? throw new ArgumentException("Expected a filter.", nameof(filter));
        var where = FilterCompiler.Compile(expression, schema, SqliteDialect.Instance, parameters);
        // Literals only ever travel as parameters: no quote or statement separator can come from the filter text.
        Assert.DoesNotContain("'", where, StringComparison.Ordinal);
        Assert.DoesNotContain(";", where, StringComparison.Ordinal);
        var sql = $"{select} WHERE {where} ORDER BY {OrderByClause.ToSql(orderBy, schema, "")}";
        return Connection.Query<long>(sql, new DynamicParameters(parameters)).ToArray();
    }

    public void Dispose() => Connection.Dispose();
}
