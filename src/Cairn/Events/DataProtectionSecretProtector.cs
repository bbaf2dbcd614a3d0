using Microsoft.AspNetCore.DataProtection;

namespace Cairn.Events;

/// <summary>
/// Webhook secrets encrypted at rest with ASP.NET Core Data Protection. With the key ring in the metadata database
/// (<see cref="Storage.DatabaseKeyRepositoryExtensions.PersistKeysToCairnDatabase"/>) every replica unprotects what
/// another protected, and a key rotated out still unprotects what it protected.
/// </summary>
public sealed class DataProtectionSecretProtector(IDataProtectionProvider provider) : ISecretProtector
{
    /// <summary>
    /// The purpose that isolates webhook secrets from every other use of the key ring (a cookie cannot be unprotected
    /// as a secret). Versioned: a change of the stored form gets a new purpose, not a silent reinterpretation.
    /// </summary>
    public const string Purpose = "Cairn.Webhooks.Secret.v1";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    /// <inheritdoc />
    public string Protect(string secret) => _protector.Protect(secret);

    /// <inheritdoc />
    public string Unprotect(string stored) => _protector.Unprotect(stored);
}
