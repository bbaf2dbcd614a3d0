using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Events;

/// <summary>
/// A page of the feed: the events in commit order, and the cursor to resume from. <see cref="Cursor"/> is the seq of the
/// last event examined, which may be one the caller could not see: resuming from it never examines those again.
/// </summary>
/// <param name="Events">The events the caller may see, in seq (commit) order.</param>
/// <param name="Cursor">The seq to pass as <c>after</c> next time (the <c>after</c> given when nothing was examined).</param>
public sealed record EventPage(IReadOnlyList<CairnEvent> Events, long Cursor);

/// <summary>
/// The event feed: the committed events after a cursor, in commit order, filtered by type patterns, by namespace (with
/// its sub-namespaces) and by what the caller may read. Because every writer holds the store's write lock from its first
/// statement to its commit, seq order is commit order and no event can later appear below a cursor already handed out.
/// </summary>
public sealed class EventFeed(CairnDatabase database, TimeProvider clock)
{
    /// <summary>The page size when none is asked for.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The largest page.</summary>
    public const int MaxLimit = 1000;

    /// <summary>The longest a long poll waits.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    // At most this many patterns in one request, so the query stays a handful of LIKEs.
    private const int MaxPatterns = 50;

    /// <summary>
    /// How often a waiting poll looks at the store even when this process committed nothing: other replicas write to
    /// the same store without signalling this one.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record Row
    {
        public long Seq { get; init; }
        public long At { get; init; }
        public string Type { get; init; } = "";
        public string Actor { get; init; } = "";
        public string Resource { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string ReadRole { get; init; } = "";
        public string? Payload { get; init; }
    }

    /// <summary>
    /// Checks a feed request before the store is touched: <paramref name="after"/> not negative, every pattern naming
    /// some event type, a valid namespace, <paramref name="limit"/> within 1..<see cref="MaxLimit"/>. Returns the
    /// normalised namespace (null for all).
    /// </summary>
    public static string? Check(long? after, IReadOnlyList<string> typePatterns, string? @namespace, int limit)
    {
        if (after is < 0)
        {
            throw new InvalidParameterException($"'after' must be a cursor (a seq, 0 or more) from an earlier page; got {after}.");
        }
        if (typePatterns.Count > MaxPatterns)
        {
            throw new InvalidParameterException($"'types' holds {typePatterns.Count} patterns; send at most {MaxPatterns}.");
        }
        foreach (var pattern in typePatterns)
        {
            EventCatalogue.CheckPattern(pattern, "types");
        }
        if (limit is < 1 or > MaxLimit)
        {
            throw new InvalidParameterException($"'max_results' must be between 1 and {MaxLimit}; got {limit}.");
        }
        return @namespace is null ? null : NamespacePath.Normalize(@namespace);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="after"/> (null: from the first) whose type matches one
    /// of <paramref name="typePatterns"/> (none: every type) in <paramref name="namespace"/> or below it (null: all), that
    /// <paramref name="caller"/> may see. Reads on past events the caller may not see until the page is full or the head
    /// is reached, so a page is empty only when nothing visible is left.
    /// </summary>
    public async Task<EventPage> ReadAsync(
        Caller caller, long? after, IReadOnlyList<string> typePatterns, string? @namespace, int limit, CancellationToken cancellationToken)
    {
        var ns = Check(after, typePatterns, @namespace, limit);
        RequireSomeRead(caller);
        var (sql, parameters) = Query(caller, typePatterns, ns);
        var cursor = after ?? 0;
        var events = new List<CairnEvent>();
        // Rows the caller's role cannot see are skipped in memory (namespace and type are already filtered in SQL), so
        // chunks are read until the page is full or a chunk comes back short: the head.
        var chunk = Math.Max(limit, 100);
        while (true)
        {
            parameters.Add("after", cursor);
            parameters.Add("chunk", chunk);
            var (head, rows) = await database.ReadAsync(async c =>
            {
                await using var results = await c.QueryMultipleAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
                return (await results.ReadSingleAsync<long>(), (await results.ReadAsync<Row>()).AsList());
            }, cancellationToken);
            foreach (var row in rows)
            {
                cursor = row.Seq;
                var e = ToEvent(row);
                // SQLite's LIKE ignores ASCII case, so the filters are applied once more, exactly, to what it returned.
                if (e.VisibleTo(caller) && (ns is null || NamespacePath.Covers(ns, e.Namespace))
                    && (typePatterns.Count == 0 || typePatterns.Any(p => EventCatalogue.Matches(p, e.Type))))
                {
                    events.Add(e);
                    if (events.Count == limit)
                    {
                        return new EventPage(events, cursor);
                    }
                }
            }
            if (rows.Count < chunk)
            {
                // Everything up to the head read first had committed before the rows were read (seq order is commit
                // order), so no event at or below it is still to come: the cursor moves there even past events the
                // filters left out, and resuming does not examine them again.
                return new EventPage(events, Math.Max(cursor, head));
            }
        }
    }

    /// <summary>
    /// As <see cref="ReadAsync"/>, but when no event is there yet waits up to <paramref name="wait"/> (at most
    /// <see cref="MaxWait"/>) for one: woken by this process's next commit, and every <see cref="PollInterval"/> for
    /// commits of other replicas. Returns as soon as a page holds events, or what is there (possibly nothing) when the
    /// wait is over, or at once when <paramref name="stopWaiting"/> fires (the server is stopping); the cursor advances
    /// past what was examined either way.
    /// </summary>
    public async Task<EventPage> WaitAsync(
        Caller caller, long? after, IReadOnlyList<string> typePatterns, string? @namespace, int limit, TimeSpan wait, CancellationToken cancellationToken,
        CancellationToken stopWaiting = default)
    {
        if (wait < TimeSpan.Zero || wait > MaxWait)
        {
            throw new InvalidParameterException($"'wait' must be between 0 and {MaxWait.TotalSeconds} seconds; got {wait.TotalSeconds.ToString(CultureInfo.InvariantCulture)}.");
        }
        var deadline = clock.GetUtcNow() + wait;
        var cursor = after;
        while (true)
        {
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopWaiting);
            // Taken before reading, so a commit between the read and the wait still wakes it.
            var committed = database.NextCommitAsync(waiting.Token);
            var page = await ReadAsync(caller, cursor, typePatterns, @namespace, limit, cancellationToken);
            var left = deadline - clock.GetUtcNow();
            if (page.Events.Count > 0 || left <= TimeSpan.Zero)
            {
                await waiting.CancelAsync();
                return page;
            }
            cursor = page.Cursor;
            await Task.WhenAny(committed, Task.Delay(left < PollInterval ? left : PollInterval, clock, waiting.Token));
            await waiting.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
            if (stopWaiting.IsCancellationRequested)
            {
                // Nothing more is read: a stopping server may already be letting go of the store.
                return page;
            }
        }
    }

    // A caller with no role anywhere has nothing to read; one with a role on some namespace reads that part of the feed.
    private static void RequireSomeRead(Caller caller)
    {
        if (!caller.Grants.Any(g => g.Role >= Role.Reader))
        {
            caller.Require(Role.Reader, NamespacePath.Root);
        }
    }

    // The SELECT for one chunk: the namespace and type filters, and the namespaces the caller reads (the role is checked
    // per row afterwards, since tokens and webhooks need admin). Patterns become LIKE patterns bound as parameters.
    private static (string Sql, DynamicParameters Parameters) Query(Caller caller, IReadOnlyList<string> typePatterns, string? ns)
    {
        var parameters = new DynamicParameters();
        var where = new StringBuilder("seq > @after");
        if (ns is not null && ns != NamespacePath.Root)
        {
            where.Append(" AND (namespace = @ns OR namespace LIKE @nsBelow ESCAPE '\\')");
            parameters.Add("ns", ns);
            parameters.Add("nsBelow", Paging.EscapeLike(ns) + "/%");
        }
        if (typePatterns.Count > 0 && !typePatterns.Contains("*"))
        {
            where.Append(" AND (");
            for (var i = 0; i < typePatterns.Count; i++)
            {
                where.Append(i == 0 ? "" : " OR ").Append(CultureInfo.InvariantCulture, $"type LIKE @type{i} ESCAPE '\\'");
                parameters.Add($"type{i}", Paging.EscapeLike(typePatterns[i]).Replace('*', '%'));
            }
            where.Append(')');
        }
        if (caller.ReadableNamespaces() is { } readable)
        {
            where.Append(" AND (");
            for (var i = 0; i < readable.Count; i++)
            {
                where.Append(i == 0 ? "" : " OR ").Append(CultureInfo.InvariantCulture, $"namespace = @read{i} OR namespace LIKE @readBelow{i} ESCAPE '\\'");
                parameters.Add($"read{i}", readable[i]);
                parameters.Add($"readBelow{i}", Paging.EscapeLike(readable[i]) + "/%");
            }
            where.Append(')');
        }
        return ($"""
            SELECT COALESCE(MAX(seq), 0) FROM events;
            SELECT seq, at, type, actor, resource, namespace, read_role, payload FROM events WHERE {where} ORDER BY seq LIMIT @chunk
            """, parameters);
    }

    private static CairnEvent ToEvent(Row row) => new(
        row.Seq, DateTimeOffset.FromUnixTimeMilliseconds(row.At), row.Type, row.Actor, row.Resource, row.Namespace,
        Enum.Parse<Role>(row.ReadRole), row.Payload is null ? null : JsonNode.Parse(row.Payload));
}
