using Cairn.Events;

namespace Cairn.Server;

/// <summary>
/// Runs the <see cref="WebhookDispatcher"/>: whenever the outbox holds undelivered events it delivers them, batch after
/// batch; otherwise it looks again after <see cref="WebhookOptions.PollInterval"/>. Failed deliveries are logged with
/// the webhook's id, never its URL's secrets or the webhook's secret.
/// </summary>
internal sealed class WebhookDeliveryService(WebhookDispatcher dispatcher, WebhookOptions options, TimeProvider clock, ILogger<WebhookDeliveryService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await dispatcher.HasPendingAsync(stoppingToken))
                {
                    foreach (var delivery in await dispatcher.DispatchAsync(stoppingToken))
                    {
                        if (!delivery.Succeeded)
                        {
                            Log.WebhookDeliveryFailed(logger, delivery.WebhookId, delivery.Event.ToString(), delivery.EventId,
                                delivery.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? delivery.Error ?? "");
                        }
                    }
                }
                await Task.Delay(options.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                // A store that is briefly unreachable must not stop deliveries for good: the events wait in the outbox.
                Log.WebhookDispatchFailed(logger, e);
                await Task.Delay(options.PollInterval, clock, stoppingToken);
            }
        }
    }
}
