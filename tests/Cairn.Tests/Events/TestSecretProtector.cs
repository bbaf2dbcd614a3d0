using Cairn.Events;
using Microsoft.AspNetCore.DataProtection;

namespace Cairn.Tests.Events;

/// <summary>
/// The tests' <see cref="ISecretProtector"/>: Data Protection with an ephemeral key ring, one for the whole test run so
/// that two servers over one store (a restart, a second replica) read each other's secrets. The server registers the
/// real one (keys in the database) where it is built; a test host adds this one only where none is registered.
/// </summary>
internal sealed class TestSecretProtector : ISecretProtector
{
    private readonly IDataProtector _protector = new EphemeralDataProtectionProvider().CreateProtector("Cairn.Tests.WebhookSecrets");

    public static TestSecretProtector Instance { get; } = new();

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string stored) => _protector.Unprotect(stored);
}
