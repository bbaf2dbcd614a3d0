using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Cairn.Encryption;

/// <summary>One key of the Data Protection key ring, as admins see it (never its material).</summary>
/// <param name="Id">The key's id, which every payload it protected names.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="ActivatesAt">From when it protects new payloads.</param>
/// <param name="ExpiresAt">From when it no longer protects new payloads; it still unprotects old ones.</param>
/// <param name="Revoked">Whether it was revoked (it then unprotects nothing).</param>
public sealed record KeyRingKey(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset ExpiresAt, bool Revoked);

/// <summary>
/// The key ring that encrypts secrets and files' data keys at rest (docs/encryption.md): its keys, and rotation on
/// demand beside Data Protection's own (a new key every <c>Cairn:KeyLifetimeDays</c>). A rotated-out key keeps
/// decrypting what it encrypted; only new payloads use the new key.
/// </summary>
public sealed class KeyRing(IKeyManager keys, IOptions<KeyManagementOptions> options, CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    /// <summary>Every key of the ring, the newest first; root admins only.</summary>
    public IReadOnlyList<KeyRingKey> List(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        caller.Require(Role.Admin, NamespacePath.Root);
        return keys.GetAllKeys().Select(ToKey).OrderByDescending(k => k.CreatedAt).ToList();
    }

    /// <summary>The longest wait before a new key becomes the one that protects: 30 days.</summary>
    public const double MaxActivationDelayHours = 30 * 24;

    /// <summary>The refusal of an activation delay outside 0 to <see cref="MaxActivationDelayHours"/>.</summary>
    public static string ActivationDelayMessage(double hours) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"'activate_in_hours' must be between 0 and {MaxActivationDelayHours} (30 days); got {hours}.");

    /// <summary>
    /// Makes a new key that protects everything written from <paramref name="activateIn"/> from now on (immediately by
    /// default), and records the rotation in the audit log; root admins only. With several replicas, a replica learns of
    /// the key when it next reads the ring (at start, then daily): activate it later than that, or restart the replicas.
    /// </summary>
    /// <remarks>
    /// The key is written to the ring before the audit entry's transaction: the ring may live outside the database
    /// (<c>Cairn:KeyRingDirectory</c>), and on SQLite its writes take their own connection. A failure between the two
    /// leaves an unaudited key, never an audited rotation that did not happen.
    /// </remarks>
    public async Task<KeyRingKey> RotateAsync(Caller caller, TimeSpan? activateIn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        caller.Require(Role.Admin, NamespacePath.Root);
        if (activateIn is { } delay && (delay < TimeSpan.Zero || delay > TimeSpan.FromHours(MaxActivationDelayHours)))
        {
            throw new InvalidParameterException(ActivationDelayMessage(delay.TotalHours));
        }
        var activation = clock.GetUtcNow() + (activateIn ?? TimeSpan.Zero);
        var key = ToKey(keys.CreateNewKey(activation, activation + options.Value.NewKeyLifetime));
        await database.WriteAsync(async (_, transaction) =>
        {
            await audit.AppendAsync(transaction, caller.Name, "keys.rotate", $"keys/{key.Id}", null, key, cancellationToken);
            return 0;
        }, cancellationToken);
        return key;
    }

    private static KeyRingKey ToKey(IKey key) => new(key.KeyId, key.CreationDate, key.ActivationDate, key.ExpirationDate, key.IsRevoked);
}
