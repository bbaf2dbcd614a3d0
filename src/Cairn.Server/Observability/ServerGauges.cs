using System.Data.Common;
using System.Diagnostics.Metrics;
using Cairn.Events;

namespace Cairn.Server.Observability;

/// <summary>
/// Gauges read from this server's store when scraped, on its own host's meter (the library's counters are process-wide;
/// a store belongs to a host).
/// </summary>
internal sealed partial class ServerGauges
{
    public ServerGauges(IMeterFactory meters, OutboxLag lag, ILogger<ServerGauges> logger)
    {
        var meter = meters.Create(CairnTelemetry.Name);
        meter.CreateObservableGauge("cairn.webhook.delivery.lag", () => DeliveryLag(lag, logger), "s",
            "Age of the oldest event an active webhook has not received yet (0 when none waits).");
    }

    private static IEnumerable<Measurement<double>> DeliveryLag(OutboxLag lag, ILogger logger)
    {
        try
        {
            return [new Measurement<double>(lag.OldestUndelivered().TotalSeconds)];
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
        {
            // A store unreachable at a scrape leaves the gauge out of that scrape (the scrape itself still answers).
            ScrapeFailed(logger, e);
            return [];
        }
    }

    [LoggerMessage(2804, LogLevel.Warning, "Reading webhook delivery lag for /metrics failed; the gauge is left out of this scrape")]
    private static partial void ScrapeFailed(ILogger logger, Exception exception);
}
