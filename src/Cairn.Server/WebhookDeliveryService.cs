using Cairn.Events;
using Cairn.Storage;

namespace Cairn.Server;

/// <summary>
/// Runs this replica's <see cref="WebhookDispatcher"/>: a cycle whenever there is work, else it sleeps until this
/// process commits a write (<see cref="CairnDatabase.NextCommitAsync"/>, so an idle server's first attempt follows the
/// commit at once), the next retry falls due, or <see cref="WebhookOptions.PollInterval"/> passes (other replicas'
/// writes). First it protects the webhook secrets stored in plaintext before migration 0014.
/// </summary>
internal sealed class WebhookDeliveryService(
    WebhookDispatcher dispatcher, Webhooks webhooks, CairnDatabase database, WebhookOptions options, TimeProvider clock, ILogger<WebhookDeliveryService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var secretsProtected = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            try
            {
                if (!secretsProtected)
                {
                    await webhooks.ProtectPlainSecretsAsync(stoppingToken);
                    secretsProtected = true;
                }
                // Taken before looking, so that a commit made while looking is not missed.
                var commit = database.NextCommitAsync(wake.Token);
                var next = await dispatcher.NextWorkAsync(stoppingToken);
                var now = clock.GetUtcNow();
                if (next <= now)
                {
                    await dispatcher.RunOnceAsync(stoppingToken);
                    continue;
                }
                var wait = next is { } due && due - now < options.PollInterval ? due - now : options.PollInterval;
                await Task.WhenAny(commit, Task.Delay(wait, clock, wake.Token));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException or CairnException)
            {
                // A store briefly unreachable must not stop deliveries for good: they wait in webhook_deliveries.
                Log.WebhookDispatchFailed(logger, e);
                await Task.Delay(options.PollInterval, clock, stoppingToken);
            }
            finally
            {
                await wake.CancelAsync();
            }
        }
    }
}
