namespace Cairn.Client;

/// <summary>The key ring that encrypts secrets and files at rest (docs/encryption.md): its keys, and rotation.</summary>
public sealed partial class CairnClient
{
    /// <summary>The keys of the server's key ring, newest first; never their material. Needs admin on <c>/</c>.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The keys.</returns>
    public async Task<IReadOnlyList<KeyRingKey>> ListKeysAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "api/v1/admin/keys", null, Json.KeyRingKeyList, cancellationToken)).Keys;

    /// <summary>
    /// Makes a new key, active at once or after <paramref name="activateIn"/> (give replicas a day to read it first).
    /// Older keys keep decrypting what they protected. Needs admin on <c>/</c>; audited as <c>keys.rotate</c>.
    /// </summary>
    /// <param name="activateIn">When the new key starts protecting; null for now.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new key.</returns>
    public Task<KeyRingKey> RotateKeyAsync(TimeSpan? activateIn = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/admin/keys/rotate", Body(new RotateKeyBody(activateIn?.TotalHours), Json.RotateKeyBody), Json.KeyRingKey, cancellationToken);
}

/// <summary>A key of the key ring, without its material.</summary>
/// <param name="Id">The key's id.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="ActivatesAt">From when it protects new data.</param>
/// <param name="ExpiresAt">Until when it protects new data (it decrypts for ever).</param>
/// <param name="Revoked">Whether it was revoked.</param>
public sealed record KeyRingKey(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset ExpiresAt, bool Revoked);

internal sealed record KeyRingKeyList(IReadOnlyList<KeyRingKey> Keys);

internal sealed record RotateKeyBody(double? ActivateInHours);
