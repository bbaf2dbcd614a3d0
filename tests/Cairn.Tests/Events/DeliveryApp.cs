using Cairn.Tests.Api;
using Microsoft.AspNetCore.Hosting;

namespace Cairn.Tests.Events;

/// <summary>
/// The server with plain-http webhooks allowed and delivery timings short enough for tests (retries after tens of
/// milliseconds, a lease of a few seconds), each overridable; optionally over the store of another app (a restart, a
/// second replica).
/// </summary>
public sealed class DeliveryApp : CairnApp
{
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly CairnApp? _store;

    public DeliveryApp(IReadOnlyDictionary<string, string>? settings = null, string auth = "none", CairnApp? store = null) : base(auth)
    {
        _settings = settings ?? new Dictionary<string, string>();
        _store = store;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Cairn:WebhookAllowedSchemes", "http,https");
        // The receivers listen on loopback, which deliveries refuse unless allowed.
        builder.UseSetting("Cairn:WebhookAllowedNetworks", "127.0.0.0/8");
        builder.UseSetting("Cairn:Webhooks:RetryBaseDelay", "00:00:00.050");
        builder.UseSetting("Cairn:Webhooks:RetryMaxDelay", "00:00:00.200");
        builder.UseSetting("Cairn:Webhooks:LeaseTime", "00:00:05");
        builder.UseSetting("Cairn:Webhooks:PollInterval", "00:00:00.100");
        builder.UseSetting("Cairn:Webhooks:Timeout", "00:00:05");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting("Cairn:Webhooks:" + key, value);
        }
        if (_store is not null)
        {
            builder.UseSetting("Cairn:DataDir", _store.DataDir);
            if (_store.PostgresDatabase is not null)
            {
                builder.UseSetting("Cairn:Database", _store.PostgresDatabase);
            }
        }
    }
}
