using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Events;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

/// <summary>One event as the feed returns it.</summary>
/// <param name="Seq">Its number: commit order.</param>
/// <param name="Cursor">The cursor just past it (its seq, as text): pass it as <c>after</c> to resume after this event.</param>
/// <param name="Type">The event type, <c>entity.action</c>.</param>
/// <param name="Time">When the change committed (UTC).</param>
/// <param name="Actor">Who made the change.</param>
/// <param name="Resource">What changed, as the audit log names it.</param>
/// <param name="Namespace">The namespace governing the resource.</param>
/// <param name="Payload">The resource's new state, or its last state when it was removed.</param>
public sealed record FeedEvent(long Seq, string Cursor, string Type, DateTime Time, string Actor, string Resource, string Namespace, JsonNode? Payload)
{
    internal static FeedEvent Of(CairnEvent e) => new(
        e.Seq, e.Seq.ToString(CultureInfo.InvariantCulture), e.Type, e.At.UtcDateTime, e.Actor, e.Resource, e.Namespace, e.Payload);
}

/// <summary>A page of the feed and where to resume.</summary>
/// <param name="Events">The events, in commit order.</param>
/// <param name="NextCursor">Pass as <c>after</c> to read on; it moves past events the caller may not see too.</param>
public sealed record FeedPage(IReadOnlyList<FeedEvent> Events, string NextCursor);

/// <summary>The event feed: <c>/api/v1/events</c>, as JSON pages (optionally long-polled) or server-sent events.</summary>
public static class EventsApi
{
    // An idle stream sends a comment this often, so proxies and clients see the connection is alive.
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/events", ReadAsync).WithTags("Events")
            .WithSummary("Events after a cursor, in commit order, that the caller may read; long poll with wait, or a stream with Accept: text/event-stream")
            .WithDescription(
                "Query: after (a cursor: the next_cursor or an event's seq; omitted = from the first event), types (comma-separated event types, "
                + "'*' matching any characters, as model_version.*), namespace (that namespace and those below it), max_results (1-1000, default 100), "
                + "wait (seconds, 0-60: when nothing is there yet, wait this long for an event). With Accept: text/event-stream the response is a "
                + "stream of server-sent events (id: seq, event: type, data: the event's JSON) resuming from Last-Event-ID or after, with a "
                + "keep-alive comment every 15 s. docs/events.md lists the event types.")
            .Produces<FeedPage>(StatusCodes.Status200OK, "application/json", "text/event-stream");
        return api;
    }

    public static async Task<Results<Ok<FeedPage>, EmptyHttpResult>> ReadAsync(
        HttpContext http, EventFeed feed, IHostApplicationLifetime lifetime, CancellationToken cancellationToken,
        string? after = null, string? types = null, string? @namespace = null,
        [FromQuery(Name = "max_results")] string? maxResults = null, string? wait = null)
    {
        var stream = http.Request.Headers.Accept.Any(a => a is not null && a.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));
        // A reconnecting EventSource says where it was with Last-Event-ID; it wins over the after of the original URL.
        var lastEventId = stream && http.Request.Headers["Last-Event-ID"] is [{ Length: > 0 } id] ? id : null;
        var cursor = lastEventId is null ? Cursor(after, "after") : Cursor(lastEventId, "Last-Event-ID");
        var patterns = (types ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var limit = maxResults is null ? EventFeed.DefaultLimit : Number(maxResults, "max_results");
        var waitFor = wait is null ? TimeSpan.Zero : TimeSpan.FromSeconds(Seconds(wait));
        EventFeed.Check(cursor, patterns, @namespace, limit);
        var caller = http.Caller();
        if (!stream)
        {
            // A server that is stopping answers a waiting poll at once with what there is (its cursor), rather than holding
            // shutdown for up to a minute; the client polls again, from the same cursor, on whichever replica answers.
            var page = await feed.WaitAsync(caller, cursor, patterns, @namespace, limit, waitFor, cancellationToken, lifetime.ApplicationStopping);
            return TypedResults.Ok(ToPage(page));
        }
        // The first read happens before the response starts, so a caller who may read nothing gets its 403 as problem details.
        var first = await feed.ReadAsync(caller, cursor, patterns, @namespace, limit, cancellationToken);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        await StreamAsync(http, feed, caller, first, patterns, @namespace, limit, stopping.Token);
        return TypedResults.Empty;
    }

    private static async Task StreamAsync(
        HttpContext http, EventFeed feed, Governance.Caller caller, EventPage first, string[] patterns, string? @namespace, int limit,
        CancellationToken cancellationToken)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        // Tells nginx-style proxies not to buffer the stream.
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        var page = first;
        try
        {
            await WriteAsync(response, $": cursor {page.Cursor.ToString(CultureInfo.InvariantCulture)}\n\n", cancellationToken);
            while (true)
            {
                var text = new StringBuilder();
                foreach (var e in page.Events)
                {
                    text.Append(CultureInfo.InvariantCulture, $"id: {e.Seq}\nevent: {e.Type}\ndata: ")
                        .Append(JsonSerializer.Serialize(FeedEvent.Of(e), CairnJson.Options)).Append("\n\n");
                }
                if (text.Length > 0)
                {
                    await WriteAsync(response, text.ToString(), cancellationToken);
                }
                page = await feed.WaitAsync(caller, page.Cursor, patterns, @namespace, limit, KeepAlive, cancellationToken);
                if (page.Events.Count == 0)
                {
                    await WriteAsync(response, ": keep-alive\n\n", cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away or the server is stopping: the stream simply ends; the client resumes from its last id.
        }
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.WriteAsync(text, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static FeedPage ToPage(EventPage page) =>
        new([.. page.Events.Select(FeedEvent.Of)], page.Cursor.ToString(CultureInfo.InvariantCulture));

    private static long? Cursor(string? value, string field) =>
        value is null ? null
        : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq
        : throw new InvalidParameterException($"'{field}' must be a cursor from the feed (a next_cursor or an event's seq: digits); got '{value}'.");

    private static int Number(string value, string field) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number
        : throw new InvalidParameterException($"'{field}' must be a whole number between 1 and {EventFeed.MaxLimit}; got '{value}'.");

    private static double Seconds(string value) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds <= EventFeed.MaxWait.TotalSeconds
            ? seconds
            : throw new InvalidParameterException($"'wait' must be a number of seconds between 0 and {EventFeed.MaxWait.TotalSeconds}; got '{value}'.");
}
