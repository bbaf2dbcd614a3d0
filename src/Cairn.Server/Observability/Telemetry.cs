using System.Diagnostics.Metrics;
using System.Reflection;
using Cairn.Events;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cairn.Server.Observability;

/// <summary>Settings of <c>/metrics</c> (<c>Cairn:Metrics:*</c>).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Cairn:Metrics";

    /// <summary>Whether <c>/metrics</c> is served (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether scraping needs an API token, as any API call does with <c>--auth token</c> (default false: the figures
    /// are counts and timings by route template, and scrapers usually present none; see decision 0028).
    /// </summary>
    public bool RequireToken { get; set; }
}

/// <summary>
/// The server's observability (docs/operations.md, decision 0028): the library's and ASP.NET Core's metrics served to
/// Prometheus at <c>/metrics</c>, traces exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, a request log
/// line per request, the console log's format, and the start-up log.
/// </summary>
public static class Telemetry
{
    /// <summary>The setting that chooses the console log's format: <c>text</c> (the default) or <c>json</c>, one object per line.</summary>
    public const string LogFormatKey = "Cairn:LogFormat";

    /// <summary>The setting that switches the request log (default on).</summary>
    public const string RequestLogKey = "Cairn:RequestLog";

    /// <summary>The OpenTelemetry variable whose presence turns trace export on.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The service name in traces and metrics' <c>target_info</c> (OTEL_SERVICE_NAME overrides it).</summary>
    public const string ServiceName = "cairn";

    /// <summary>This build's version: the informational version the build stamped (from git tags), without its commit suffix.</summary>
    public static string Version { get; } = ReadVersion();

    /// <summary>Adds metrics, tracing (when configured), the log format and the start-up log to the server's services.</summary>
    public static void AddCairnTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        ConfigureLogFormat(builder.Logging, configuration[LogFormatKey]);
        var services = builder.Services;
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        services.AddSingleton<OutboxLag>();
        services.AddSingleton<ServerGauges>();
        services.AddHostedService<StartupLog>();

        var telemetry = services.AddOpenTelemetry()
            // Set first, so that OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read after, win.
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: Version).AddEnvironmentVariableDetector())
            .WithMetrics(metrics => metrics
                .AddMeter(CairnTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .OnBuild(OwnHostOnly)
                .AddPrometheusExporter(o =>
                {
                    // Every scrape sees the figures of that moment; a scrape costs far less than the scrape interval.
                    o.ScrapeResponseCacheDurationMilliseconds = 0;
                    o.DisableTotalNameSuffixForCounters = false;
                }));
        if (!string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]))
        {
            // The exporter reads OTEL_EXPORTER_OTLP_* itself (endpoint, protocol, headers, timeout).
            telemetry.WithTracing(tracing => tracing
                .AddSource(CairnTelemetry.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsScrapeOrProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddOtlpExporter());
        }
    }

    /// <summary>
    /// Meters made by a host's <see cref="IMeterFactory"/> (ASP.NET Core's, this server's gauges) are reported only by that
    /// host's provider: several servers in one process (tests, an embedding host) would otherwise each report the
    /// others' requests. The library's meter belongs to the process and is reported by every provider.
    /// </summary>
    private static MeterProviderBuilder OnBuild(this MeterProviderBuilder metrics, Action<IServiceProvider, MeterProviderBuilder> configure)
    {
        ((IDeferredMeterProviderBuilder)metrics).Configure(configure);
        return metrics;
    }

    private static void OwnHostOnly(IServiceProvider services, MeterProviderBuilder metrics)
    {
        var own = services.GetRequiredService<IMeterFactory>();
        metrics.AddView(instrument => instrument.Meter.Scope is { } scope && !ReferenceEquals(scope, own) ? MetricStreamConfiguration.Drop : null);
    }

    /// <summary>Serves <c>/metrics</c> (unless <c>Cairn:Metrics:Enabled</c> is false), behind a token when <c>Cairn:Metrics:RequireToken</c>.</summary>
    public static void MapCairnMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        // Created now, on this host's meter factory: the gauges report from this server's store.
        app.Services.GetRequiredService<ServerGauges>();
        if (!options.Enabled)
        {
            return;
        }
        app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: options.RequireToken
            ? pipeline => pipeline.Use(async (context, next) =>
            {
                // Refused as any API call without a valid token is: 401 problem details through the exception handler.
                await context.RequestServices.GetRequiredService<CallerResolver>().ResolveAsync(context.Request, context.RequestAborted);
                await next(context);
            })
            : null, optionsName: null);
    }

    /// <summary>Writes one log line per request (unless <c>Cairn:RequestLog</c> is false): first in the pipeline, so it sees every answer.</summary>
    public static void UseCairnRequestLog(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Configuration.GetValue(RequestLogKey, defaultValue: true))
        {
            app.UseMiddleware<RequestLogMiddleware>();
        }
    }

    private static void ConfigureLogFormat(ILoggingBuilder logging, string? format)
    {
        switch (format?.Trim().ToLowerInvariant())
        {
            case null or "" or "text":
                return;
            case "json":
                logging.AddJsonConsole(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
                });
                return;
            default:
                throw new StartupException($"'{format}' ({LogFormatKey}, --log-format or CAIRN_LOG_FORMAT) is not a log format: use text or json.");
        }
    }

    /// <summary>Scrapes and probes are not traced: every few seconds each, they would bury the requests worth reading.</summary>
    internal static bool IsScrapeOrProbe(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health") || path.StartsWithSegments("/ready");

    /// <summary>Whether a URL to listen on reaches only this machine: localhost or a loopback address (not *, +, 0.0.0.0, a name).</summary>
    public static bool IsLoopback(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var authority = schemeEnd < 0 ? url : url[(schemeEnd + 3)..];
        var slash = authority.IndexOf('/', StringComparison.Ordinal);
        authority = slash < 0 ? authority : authority[..slash];
        var host = authority.StartsWith('[') ? (authority.IndexOf(']', StringComparison.Ordinal) is var close and > 0 ? authority[1..close] : authority)
            : authority.LastIndexOf(':') is var colon and > 0 ? authority[..colon] : authority;
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address));
    }

    private static string ReadVersion()
    {
        var version = typeof(Telemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(Telemetry).Assembly.GetName().Version?.ToString() ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? version[..plus] : version;
    }
}
