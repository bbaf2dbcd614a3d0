using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Cairn.Server.Observability;

/// <summary>
/// Once the server listens: its version, where it listens, where the API reference is and how callers authenticate
/// (the stores are named by the migrations' first line, <c>Log.Stores</c>); and a warning when authentication is off
/// while it listens beyond this machine.
/// </summary>
internal sealed partial class StartupLog(
    IHostApplicationLifetime lifetime, IServer server, IConfiguration configuration, IOptions<CairnOptions> options, ILogger<StartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Write);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Write()
    {
        // Kestrel knows the addresses it bound (a port 0 made real); a test server has none, and the setting stands in.
        var urls = server.Features.Get<IServerAddressesFeature>()?.Addresses is { Count: > 0 } bound
            ? bound.ToList()
            : (configuration["urls"] ?? CairnServer.DefaultUrls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var auth = options.Value.Auth;
        Started(logger, Telemetry.Version, string.Join(", ", urls), urls.Count > 0 ? urls[0].TrimEnd('/') + "/docs" : "/docs", auth);
        if (!options.Value.TokenAuth && urls.FirstOrDefault(u => !Telemetry.IsLoopback(u)) is { } open)
        {
            Unprotected(logger, open);
        }
    }

    [LoggerMessage(2802, LogLevel.Information, "Cairn {Version} listening on {Urls}; API reference at {Docs}; authentication: {Auth}")]
    private static partial void Started(ILogger logger, string version, string urls, string docs, string auth);

    [LoggerMessage(2803, LogLevel.Warning,
        "AUTHENTICATION IS OFF (--auth none) AND CAIRN LISTENS BEYOND THIS MACHINE ({Url}): anyone who can reach it is an administrator, "
        + "able to change and delete every model. Use --auth token, or listen on 127.0.0.1 only.")]
    private static partial void Unprotected(ILogger logger, string url);
}
