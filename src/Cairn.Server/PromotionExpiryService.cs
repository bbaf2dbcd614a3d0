using Cairn.Governance;
using Microsoft.Extensions.Options;

namespace Cairn.Server;

/// <summary>
/// Writes EXPIRED (with its audit entry and event) on promotion requests past their time, every
/// <c>Cairn:Governance:ExpirySweepInterval</c>. Reads show such requests as expired before the sweep reaches them; the
/// sweep records it. Every replica sweeps; the store's write lock makes each expiry happen once.
/// </summary>
internal sealed class PromotionExpiryService(
    PromotionRequests promotions, IOptions<CairnOptions> options, TimeProvider clock, ILogger<PromotionExpiryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Governance.ExpirySweepInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var expired = await promotions.ExpireDueAsync(stoppingToken);
                if (expired > 0)
                {
                    Log.PromotionsExpired(logger, expired);
                }
                await Task.Delay(interval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException or CairnException)
            {
                // A store briefly unreachable must not stop the sweeps for good; reads show the expiry meanwhile.
                Log.PromotionExpiryFailed(logger, e);
                await Task.Delay(interval, clock, stoppingToken);
            }
        }
    }
}
