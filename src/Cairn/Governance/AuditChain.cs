using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cairn.Storage;
using Dapper;

namespace Cairn.Governance;

/// <summary>One audit entry: who did what to which resource, with the state before and after.</summary>
public sealed record AuditEntry(
    long Seq, DateTimeOffset At, string Actor, string Action, string Resource,
    JsonNode? Before, JsonNode? After, string PrevHash, string Hash);

public sealed record AuditQuery(string? Actor, string? Action, string? Resource, DateTimeOffset? Since, DateTimeOffset? Until, int? MaxResults, string? PageToken);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, string? NextPageToken);

/// <summary>
/// The result of walking the chain: valid, or the first entry that breaks it and why. When valid, <see cref="HeadHash"/>
/// is the hash of the newest entry (entry <see cref="Checked"/>; the genesis hash for an empty log): the value to note
/// down elsewhere, so that a later rewrite of the whole chain can be told apart from it.
/// </summary>
public sealed record AuditVerification(bool Valid, long Checked, long? BrokenAt, string? Reason, string? HeadHash = null);

/// <summary>
/// The hash-chained audit log. Each entry's hash covers its content and the previous entry's hash,
/// so an edited, removed or reordered row breaks the chain at that row. Entries are appended by the
/// mutation's own transaction: no mutation without its entry, no entry without its mutation.
/// </summary>
public sealed partial class AuditChain(CairnDatabase database, TimeProvider clock)
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record Head
    {
        public long Seq { get; init; }
        public string Hash { get; init; } = "";
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record StampedRow
    {
        public string Kind { get; init; } = "";
        public string Name { get; init; } = "";
        public long AuditSeq { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record Row
    {
        public long Seq { get; init; }
        public long At { get; init; }
        public string Actor { get; init; } = "";
        public string Action { get; init; } = "";
        public string Resource { get; init; } = "";
        public string? Before { get; init; }
        public string? After { get; init; }
        public string PrevHash { get; init; } = "";
        public string Hash { get; init; } = "";
    }

    public async Task AppendAsync(
        DbTransaction transaction, string actor, string action, string resource, object? before, object? after,
        CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        await database.Dialect.LockAuditChainAsync(transaction, cancellationToken);
        var head = await connection.QuerySingleOrDefaultAsync<Head>(new CommandDefinition(
            "SELECT seq, hash FROM audit_head WHERE id = 1", transaction: transaction, cancellationToken: cancellationToken));
        var seq = (head?.Seq ?? 0) + 1;
        var prev = head?.Hash ?? Genesis;
        var at = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var beforeJson = before is null ? null : JsonSerializer.Serialize(before, CairnJson.Options);
        var afterJson = after is null ? null : JsonSerializer.Serialize(after, CairnJson.Options);
        var hash = ComputeHash(seq, at, actor, action, resource, beforeJson, afterJson, prev);
        // The entry's event goes with it (same seq, same transaction): no mutation can record one without the other.
        // Its payload is the resource's new state, or its last state when it was removed.
        var kind = Events.EventCatalogue.Describe(action, resource, beforeJson, afterJson);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO audit_log (seq, at, actor, action, resource, before, after, prev_hash, hash)
            VALUES (@seq, @at, @actor, @action, @resource, @beforeJson, @afterJson, @prev, @hash);
            INSERT INTO audit_head (id, seq, hash) VALUES (1, @seq, @hash)
            ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
            INSERT INTO events (seq, at, type, actor, resource, namespace, read_role, payload)
            VALUES (@seq, @at, @type, @actor, @resource, @ns, @readRole, @payload);
            """,
            new
            {
                seq,
                at,
                actor,
                action,
                resource,
                beforeJson,
                afterJson,
                prev,
                hash,
                type = kind.Type,
                ns = kind.Namespace,
                readRole = kind.ReadRole.ToString(),
                payload = afterJson ?? beforeJson,
            },
            transaction, cancellationToken: cancellationToken));
        await StampAsync(transaction, resource, seq, cancellationToken);
    }

    /// <summary>
    /// Records <paramref name="seq"/> on the row the entry's resource names, when it is one of the rows whose
    /// <c>audit_seq</c> <see cref="VerifyAsync"/> checks (models, versions, aliases, tokens): so the rows themselves say
    /// how far the chain reached, and a log emptied or cut short under them is seen. Read from the resource (each
    /// entry's one statement of what it wrote) so no mutation can forget it. A resource that names no such row, or a row
    /// since renamed or deleted, updates nothing: a row keeps the number of the last entry that named it, never a
    /// number beyond the head.
    /// </summary>
    private static async Task StampAsync(DbTransaction transaction, string resource, long seq, CancellationToken cancellationToken)
    {
        string? sql = null;
        object? parameters = null;
        if (resource.StartsWith(TokensPrefix, StringComparison.Ordinal))
        {
            (sql, parameters) = ("UPDATE api_tokens SET audit_seq = @seq WHERE name = @name", new { seq, name = resource[TokensPrefix.Length..] });
        }
        else if (resource.StartsWith(ModelsPrefix, StringComparison.Ordinal))
        {
            var rest = resource[ModelsPrefix.Length..];
            const string InModel = "model_id = (SELECT id FROM models WHERE full_name = @model)";
            if (VersionResource().Match(rest) is { Success: true } version
                && int.TryParse(version.Groups["version"].ValueSpan, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
            {
                (sql, parameters) = ($"UPDATE model_versions SET audit_seq = @seq WHERE version = @number AND {InModel}", new { seq, number, model = version.Groups["model"].Value });
            }
            else if (AliasResource().Match(rest) is { Success: true } alias)
            {
                (sql, parameters) = ($"UPDATE aliases SET audit_seq = @seq WHERE alias = @alias AND {InModel}", new { seq, alias = alias.Groups["alias"].Value, model = alias.Groups["model"].Value });
            }
            else if (!rest.Contains('/', StringComparison.Ordinal))
            {
                (sql, parameters) = ("UPDATE models SET audit_seq = @seq WHERE full_name = @model", new { seq, model = rest });
            }
        }
        if (sql is not null)
        {
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
        }
    }

    private const string ModelsPrefix = "models/";
    private const string TokensPrefix = "tokens/";

    // models/<full name>/versions/<n>, or one of its files (…/files/<path>).
    [GeneratedRegex(@"\A(?<model>[^/]+)/versions/(?<version>[0-9]{1,9})(?:/files/.*)?\z", RegexOptions.Singleline)]
    private static partial Regex VersionResource();

    // models/<full name>/aliases/<alias>
    [GeneratedRegex(@"\A(?<model>[^/]+)/aliases/(?<alias>[^/]+)\z")]
    private static partial Regex AliasResource();

    public async Task<AuditPage> ListAsync(Caller caller, AuditQuery query, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, Catalog.NamespacePath.Root);
        var size = Paging.PageSize(query.MaxResults, DefaultPageSize, MaxPageSize);
        var before = query.PageToken is null ? (long?)null : Paging.DecodeCursor(query.PageToken);
        var (sql, parameters) = ListQuery(database.Dialect, query, before, size + 1);
        var rows = await database.ReadAsync(c => c.QueryAsync<Row>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)), cancellationToken);
        var entries = rows.Select(ToEntry).ToList();
        string? next = null;
        if (entries.Count > size)
        {
            entries.RemoveAt(size);
            next = Paging.EncodeCursor(entries[^1].Seq);
        }
        return new AuditPage(entries, next);
    }

    /// <summary>The statement of one page of <see cref="ListAsync"/>: entries before <paramref name="before"/>, newest first.</summary>
    internal static (string Sql, DynamicParameters Parameters) ListQuery(ISqlDialect dialect, AuditQuery query, long? before, int limit)
    {
        // Only the filters given, so that each can use its index: "@x IS NULL OR …" hid them from the planner, and a
        // version's trail was a walk of the whole log, newest first (170 ms at 520,000 entries).
        var parameters = new DynamicParameters(new { limit });
        var where = new List<string>();
        Filter("actor = @actor", "actor", query.Actor);
        Filter("action = @action", "action", query.Action);
        Filter("at >= @since", "since", query.Since?.ToUnixTimeMilliseconds());
        Filter("at < @until", "until", query.Until?.ToUnixTimeMilliseconds());
        Filter("seq < @before", "before", before);
        if (query.Resource is { } resource)
        {
            // The resource and everything under it. In byte order "under it" is the range from "<resource>/" up to
            // "<resource>0" ('0' follows '/'), which the (resource, seq) index answers: SQLite compares text bytewise;
            // PostgreSQL's index is in the "C" collation (migration 0027), which the comparisons must name to use it
            // whatever the database's collation. A range of parameters, unlike a LIKE, stays an index range in a
            // prepared statement's generic plan.
            var column = dialect is PostgresDialect ? "resource COLLATE \"C\"" : "resource";
            parameters.Add("resource", resource);
            parameters.Add("resourceFrom", resource + "/");
            parameters.Add("resourceTo", resource + "0");
            where.Add($"({column} = @resource OR ({column} >= @resourceFrom AND {column} < @resourceTo))");
        }
        var sql = "SELECT seq, at, actor, action, resource, before, after, prev_hash, hash FROM audit_log"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY seq DESC LIMIT @limit";
        return (sql, parameters);

        void Filter(string condition, string name, object? value)
        {
            if (value is not null)
            {
                parameters.Add(name, value);
                where.Add(condition);
            }
        }
    }

    /// <summary>Walks the whole chain in order and reports the first entry that breaks it.</summary>
    public async Task<AuditVerification> VerifyAsync(Caller caller, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, Catalog.NamespacePath.Root);
        return await VerifyChainAsync(cancellationToken);
    }

    /// <summary>
    /// The walk <see cref="VerifyAsync"/> makes, without its role check: for a compliance report, whose reader sees the
    /// verdict and the head but no entry.
    /// </summary>
    internal async Task<AuditVerification> VerifyChainAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var head = await connection.QuerySingleOrDefaultAsync<Head>(new CommandDefinition(
            "SELECT seq, hash FROM audit_head WHERE id = 1", cancellationToken: cancellationToken));
        var expectedSeq = 1L;
        var prev = Genesis;
        // Unbuffered: the chain is walked as it streams, never held whole in memory.
        var rows = connection.QueryUnbufferedAsync<Row>(
            "SELECT seq, at, actor, action, resource, before, after, prev_hash, hash FROM audit_log ORDER BY seq");
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            if (row.Seq != expectedSeq)
            {
                return Broken(expectedSeq, $"entry {expectedSeq} is missing: the log jumps from {expectedSeq - 1} to {row.Seq}.");
            }
            if (row.PrevHash != prev)
            {
                return Broken(row.Seq, $"entry {row.Seq} does not link to entry {row.Seq - 1}: its prev_hash differs from that entry's hash.");
            }
            if (ComputeHash(row.Seq, row.At, row.Actor, row.Action, row.Resource, row.Before, row.After, row.PrevHash) != row.Hash)
            {
                return Broken(row.Seq, $"entry {row.Seq} was modified: its content no longer matches its hash.");
            }
            prev = row.Hash;
            expectedSeq++;
        }
        var last = expectedSeq - 1;
        if (head is not null && (head.Seq != last || head.Hash != prev))
        {
            return Broken(last + 1, $"the chain ends at entry {last} but the head records entry {head.Seq}: entries after {last} were removed or the head was altered.");
        }
        if (head is null && last > 0)
        {
            return Broken(last, "the chain's head record is missing.");
        }
        // The rows vouch for entries the chain and its head no longer show: a log cut short, or emptied, with its head
        // rewritten to match (decision 0002).
        var beyond = await connection.QueryFirstOrDefaultAsync<StampedRow>(new CommandDefinition(
            """
            SELECT kind, name, audit_seq FROM (
                SELECT 'model' AS kind, full_name AS name, audit_seq FROM models WHERE audit_seq > @last
                UNION ALL
                SELECT 'version', m.full_name || ' version ' || CAST(v.version AS TEXT), v.audit_seq
                FROM model_versions v JOIN models m ON m.id = v.model_id WHERE v.audit_seq > @last
                UNION ALL
                SELECT 'alias', m.full_name || '@' || a.alias, a.audit_seq FROM aliases a JOIN models m ON m.id = a.model_id WHERE a.audit_seq > @last
                UNION ALL
                SELECT 'token', name, audit_seq FROM api_tokens WHERE audit_seq > @last
            ) stamped
            ORDER BY audit_seq DESC
            LIMIT 1
            """, new { last }, cancellationToken: cancellationToken));
        if (beyond is not null)
        {
            return Broken(last + 1,
                $"the {beyond.Kind} '{beyond.Name}' was last written by audit entry {beyond.AuditSeq}, but the chain ends at entry {last}"
                + (last == 0 ? " (the log is empty)" : "") + $": entries after {last} were removed and the head rewritten to match.");
        }
        if (last == 0)
        {
            // Rows written before audit_seq existed carry none; a store that holds any registry row has had audited writes.
            var held = await connection.QuerySingleAsync<long>(new CommandDefinition(
                "SELECT (SELECT COUNT(*) FROM models) + (SELECT COUNT(*) FROM model_versions) + (SELECT COUNT(*) FROM api_tokens)",
                cancellationToken: cancellationToken));
            if (held > 0)
            {
                return Broken(1, $"the audit log is empty, yet the store holds {held} models, versions and tokens, each of which was written with an audit entry: the log was emptied.");
            }
        }
        return new AuditVerification(true, last, null, null, prev);

        AuditVerification Broken(long seq, string reason) => new(false, expectedSeq - 1, seq, reason);
    }

    internal static string ComputeHash(long seq, long at, string actor, string action, string resource, string? before, string? after, string prevHash)
    {
        // A JSON array is an unambiguous encoding of the fields (no separator can be forged inside a value).
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new object?[] { seq, at, actor, action, resource, before, after, prevHash });
        return Convert.ToHexStringLower(SHA256.HashData(canonical));
    }

    private static AuditEntry ToEntry(Row r) => new(
        r.Seq, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Actor, r.Action, r.Resource,
        r.Before is null ? null : JsonNode.Parse(r.Before), r.After is null ? null : JsonNode.Parse(r.After), r.PrevHash, r.Hash);
}
