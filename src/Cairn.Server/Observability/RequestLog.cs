using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;

namespace Cairn.Server.Observability;

/// <summary>
/// One structured log line per request, in the category <see cref="Category"/>: method, path, route template, status,
/// duration, actor and trace id. First in the pipeline, so that it sees what every other part answered (refusals before
/// routing, problem details from the exception handler); the actor, resolved later in the pipeline, is read once the
/// request is done.
/// </summary>
internal sealed partial class RequestLogMiddleware(RequestDelegate next, ILoggerFactory loggers)
{
    /// <summary>The request log's category, for filtering (<c>Logging:LogLevel:Cairn.Requests</c>).</summary>
    public const string Category = "Cairn.Requests";

    private readonly ILogger _logger = loggers.CreateLogger(Category);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_logger.IsEnabled(LogLevel.Information))
        {
            await next(context);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            // What escapes the exception handler (a response already started) ends the connection: a 500 for the log.
            failed = true;
            throw;
        }
        finally
        {
            var endpoint = context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
            Completed(
                _logger,
                context.Request.Method,
                context.Request.Path.Value ?? "/",
                (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? "-",
                failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode,
                Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1),
                CallerMiddleware.Find(context)?.Name ?? "-",
                Activity.Current?.TraceId.ToHexString() ?? "-");
        }
    }

    [LoggerMessage(2801, LogLevel.Information, "{Method} {Path} ({Route}) answered {Status} in {DurationMs} ms for {Actor}, trace {TraceId}")]
    private static partial void Completed(ILogger logger, string method, string path, string route, int status, double durationMs, string actor, string traceId);
}
