using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Encryption;

/// <summary>Data Protection key rings kept in a directory, as <c>Cairn:KeyRingDirectory</c> keeps the server's.</summary>
internal static class KeyRings
{
    /// <summary>A key ring read from (and written to) <paramref name="directory"/>, as a fresh process would open it.</summary>
    public static ServiceProvider InDirectory(string directory) =>
        new ServiceCollection()
            .AddDataProtection().SetApplicationName("Cairn").PersistKeysToFileSystem(new DirectoryInfo(directory))
            .Services.BuildServiceProvider();

    public static IDataProtectionProvider Provider(this ServiceProvider services) => services.GetRequiredService<IDataProtectionProvider>();

    /// <summary>Makes a new default key now, as a rotation does.</summary>
    public static void Rotate(this ServiceProvider services)
    {
        var now = DateTimeOffset.UtcNow;
        services.GetRequiredService<IKeyManager>().CreateNewKey(now, now.AddDays(90));
    }
}
