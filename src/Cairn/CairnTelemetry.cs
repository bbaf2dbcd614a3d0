using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Cairn;

/// <summary>
/// The library's metrics and traces, through .NET's own <see cref="System.Diagnostics.Metrics.Meter"/> and
/// <see cref="System.Diagnostics.ActivitySource"/> (no OpenTelemetry dependency): a host exports them by listening to
/// <see cref="Name"/> (the server does so at <c>/metrics</c> and over OTLP; docs/operations.md lists every instrument).
/// Nobody listening, recording costs a check.
/// </summary>
public static class CairnTelemetry
{
    /// <summary>The meter's and the activity source's name.</summary>
    public const string Name = "Cairn";

    /// <summary>The meter of the library's instruments.</summary>
    public static Meter Meter { get; } = new(Name);

    /// <summary>Spans of store operations: database reads and writes, file uploads.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    // Seconds, from a millisecond up to a minute: what a database call and a wait for the write lock span.
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Time a database read or write held its connection, by <c>operation</c> (read, write) and <c>db.system.name</c>.</summary>
    public static Histogram<double> DatabaseDuration { get; } = Meter.CreateHistogram(
        "cairn.db.operation.duration", "s", "Time a database read or write held its connection (for a write: from taking the write lock to its commit).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>Time a write waited for the store-wide write lock (this process's queue, then the database's lock).</summary>
    public static Histogram<double> WriteLockWait { get; } = Meter.CreateHistogram(
        "cairn.db.write_lock.wait", "s", "Time a write waited for the store-wide write lock.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>Bytes of files stored by uploads (version files and MLflow artifacts), counted when their upload commits.</summary>
    public static Counter<long> BytesUploaded { get; } = Meter.CreateCounter<long>(
        "cairn.files.uploaded", "By", "Bytes of files stored by uploads (version files and MLflow artifacts).");

    /// <summary>Bytes of files sent by downloads (ranges count what they sent).</summary>
    public static Counter<long> BytesDownloaded { get; } = Meter.CreateCounter<long>(
        "cairn.files.downloaded", "By", "Bytes of files sent by downloads.");

    /// <summary>Webhook delivery attempts, by <c>outcome</c>: succeeded, retrying (failed, tried again later), failed (for good).</summary>
    public static Counter<long> DeliveryAttempts { get; } = Meter.CreateCounter<long>(
        "cairn.webhook.delivery.attempts", "{attempt}", "Webhook delivery attempts by outcome: succeeded, retrying, failed.");

    /// <summary>Monitoring windows stored, by <c>source</c> (profile, csv, parquet) and <c>drifted</c> (true, false, unknown: no reference).</summary>
    public static Counter<long> WindowsIngested { get; } = Meter.CreateCounter<long>(
        "cairn.monitoring.windows", "{window}", "Monitoring windows stored, by source and drift verdict.");

    /// <summary>Alerts raised, by <c>kind</c> (the rule's: drift, psi, metric, …) and <c>severity</c>.</summary>
    public static Counter<long> AlertsRaised { get; } = Meter.CreateCounter<long>(
        "cairn.alerts.raised", "{alert}", "Alerts raised by monitoring rules, by rule kind and severity.");

    /// <summary>The instruments' <c>db.system.name</c> value for a dialect.</summary>
    internal static string DatabaseSystem(Storage.ISqlDialect dialect) => dialect.Name == "postgres" ? "postgresql" : "sqlite";
}
