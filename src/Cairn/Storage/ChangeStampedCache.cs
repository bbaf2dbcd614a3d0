using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;

namespace Cairn.Storage;

/// <summary>
/// A read cache that is never stale: each entry carries the audit chain's head sequence number at the time it
/// was read, and an entry is served only while the head has not moved. Every mutation appends an audit entry
/// in its own transaction, so any write — by this process, another process on the same SQLite file, or another
/// replica on the same database — invalidates everything at once. Checking the head is one indexed single-row
/// read, a fraction of loading an entity with its tags and aliases.
/// </summary>
internal sealed class ChangeStampedCache<T>(int capacity) where T : class
{
    private readonly ConcurrentDictionary<string, (long Stamp, T Value)> _entries = new(StringComparer.Ordinal);

    public async Task<T?> GetAsync(DbConnection connection, string key, Func<Task<T?>> load, CancellationToken cancellationToken)
    {
        // The stamp is read before the data: if a write lands in between, the entry is stamped older than its
        // data and is merely reloaded next time; it can never be stamped newer than what it holds.
        var stamp = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT seq FROM audit_head WHERE id = 1", cancellationToken: cancellationToken)) ?? 0;
        if (_entries.TryGetValue(key, out var entry) && entry.Stamp == stamp)
        {
            return entry.Value;
        }
        var value = await load();
        if (value is not null)
        {
            if (_entries.Count >= capacity)
            {
                _entries.Clear();
            }
            _entries[key] = (stamp, value);
        }
        return value;
    }
}
