using Cairn.Artifacts;
using Cairn.Artifacts.Encryption;
using Cairn.Encryption;
using Cairn.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace Cairn.Server;

/// <summary>
/// Encryption at rest (issue 19, decision 0030, docs/encryption.md): where the Data Protection key ring lives and how
/// long its keys protect, the sealing of secrets in the database, the encryption of files in a directory store and the
/// object stores' own encryption settings.
/// </summary>
internal static class EncryptionAtRest
{
    /// <summary>
    /// The key ring in <c>Cairn:KeyRingDirectory</c> when set (instead of the database), keys made every
    /// <c>Cairn:KeyLifetimeDays</c>; the services that seal secrets and files with it, and the one-time sealing of
    /// secrets stored in clear before.
    /// </summary>
    public static IServiceCollection AddCairnEncryption(this IServiceCollection services)
    {
        // After PersistKeysToCairnDatabase's configuration, so that a directory replaces the database.
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(keys =>
        {
            var o = sp.GetRequiredService<IOptions<CairnOptions>>().Value;
            if (!string.IsNullOrWhiteSpace(o.KeyRingDirectory))
            {
                keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.GetFullPath(o.KeyRingDirectory)), sp.GetRequiredService<ILoggerFactory>());
            }
            keys.NewKeyLifetime = TimeSpan.FromDays(o.KeyLifetimeDays);
        }));
        services.AddSingleton(sp => new StoredSecrets(sp.GetRequiredService<IDataProtectionProvider>()));
        services.AddSingleton(sp => new FileEncryption(sp.GetRequiredService<IDataProtectionProvider>(), sp.GetRequiredService<IOptions<CairnOptions>>().Value.EncryptFiles));
        services.AddSingleton<KeyRing>();
        services.AddHostedService<SecretSealingService>();
        return services;
    }

    /// <summary>
    /// A store at <paramref name="location"/> with this server's encryption: files encrypted (when
    /// <c>Cairn:EncryptFiles</c>) and read with the key ring in a directory, the S3 and Azure settings on object stores.
    /// </summary>
    public static IArtifactStore OpenStore(IServiceProvider services, CairnOptions o, string location, string localStaging) =>
        ArtifactStores.Open(location, localStaging, o.S3.ToSettings(),
            o.AzureConnectionString ?? Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING"),
            services.GetRequiredService<FileEncryption>(), o.AzureEncryptionScope);

    /// <summary>Seals, once, the secrets stored in clear before encryption (after the migrations, which the server starts first).</summary>
    private sealed class SecretSealingService(CairnDatabase database, StoredSecrets secrets, TimeProvider clock, ILogger<SecretSealingService> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var sealedRows = await secrets.SealExistingAsync(database, clock, cancellationToken);
            if (sealedRows > 0)
            {
                Log.SecretsSealed(logger, sealedRows);
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>The key ring's admin routes: <c>/api/v1/admin/keys</c>.</summary>
public static class KeysApi
{
    public static RouteGroupBuilder MapKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/admin/keys").WithTags("Encryption");
        keys.MapGet("/", List).WithSummary("The keys of the key ring that encrypts secrets and files at rest, never their material (admin)");
        keys.MapPost("/rotate", RotateAsync).WithSummary("Make a new key now (or after activate_in_hours); older keys still decrypt (admin, audited)");
        return api;
    }

    public static Microsoft.AspNetCore.Http.HttpResults.Ok<KeyRingKeys> List(HttpContext http, KeyRing ring) =>
        TypedResults.Ok(new KeyRingKeys(ring.List(http.Caller())));

    public static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<KeyRingKey>> RotateAsync(
        HttpContext http, KeyRing ring, RotateKeyRequest? request, CancellationToken cancellationToken) =>
        TypedResults.Ok(await ring.RotateAsync(http.Caller(), ActivationDelay(request?.ActivateInHours), cancellationToken));

    // Checked as a number first: TimeSpan.FromHours throws on hours beyond its range (-1e300 was a 500).
    private static TimeSpan? ActivationDelay(double? hours) => hours switch
    {
        null => null,
        >= 0 and <= KeyRing.MaxActivationDelayHours => TimeSpan.FromHours(hours.Value),
        _ => throw new InvalidParameterException(KeyRing.ActivationDelayMessage(hours.Value)),
    };
}

/// <summary>The keys of the key ring, the newest first.</summary>
public sealed record KeyRingKeys(IReadOnlyList<KeyRingKey> Keys);

/// <summary>A rotation: the new key protects from now on, or after <paramref name="ActivateInHours"/> (so that every replica has read it first).</summary>
public sealed record RotateKeyRequest(double? ActivateInHours = null);

internal static partial class Log
{
    [LoggerMessage(1901, LogLevel.Information, "Encrypted the secrets of {Count} rows stored in clear before encryption at rest")]
    public static partial void SecretsSealed(ILogger logger, int count);
}
