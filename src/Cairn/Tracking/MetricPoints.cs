using System.Data;
using System.Data.Common;

namespace Cairn.Tracking;

/// <summary>One metric point as stored: NaN kept as 0 with a flag (a SQL REAL cannot hold NaN in SQLite), as MLflow does.</summary>
internal readonly record struct MetricPoint(long RunId, string Key, long Step, long Timestamp, double Value, bool IsNan)
{
    public static MetricPoint Of(long runId, Metric metric) =>
        new(runId, metric.Key, metric.Step, metric.Timestamp, double.IsNaN(metric.Value) ? 0 : metric.Value, double.IsNaN(metric.Value));
}

/// <summary>
/// Inserts metric history with one prepared statement run once per point: SQLite and PostgreSQL compile it once per
/// transaction and bind six values per row, which is several times faster than multi-row VALUES lists whose thousands
/// of parameters must be named, bound and parsed anew on every request. A point logged twice is kept once.
/// </summary>
internal static class MetricPoints
{
    public static async Task<long> InsertAsync(DbTransaction transaction, IEnumerable<MetricPoint> rows, CancellationToken cancellationToken)
    {
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO run_metrics (run_id, key, step, timestamp, value, is_nan) VALUES (@run, @key, @step, @timestamp, @value, @nan)
            ON CONFLICT DO NOTHING
            """;
        var run = Parameter(command, "run", DbType.Int64);
        var key = Parameter(command, "key", DbType.String);
        var step = Parameter(command, "step", DbType.Int64);
        var timestamp = Parameter(command, "timestamp", DbType.Int64);
        var value = Parameter(command, "value", DbType.Double);
        var nan = Parameter(command, "nan", DbType.Int32);
        await command.PrepareAsync(cancellationToken);
        long inserted = 0;
        foreach (var row in rows)
        {
            run.Value = row.RunId;
            key.Value = row.Key;
            step.Value = row.Step;
            timestamp.Value = row.Timestamp;
            value.Value = row.Value;
            nan.Value = row.IsNan ? 1 : 0;
            inserted += await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return inserted;
    }

    private static DbParameter Parameter(DbCommand command, string name, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
