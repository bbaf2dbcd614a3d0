using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Cairn.Storage;

/// <summary>
/// ASP.NET Core Data Protection's key ring kept in the metadata database (table <c>data_protection_keys</c>), so that
/// every replica on the same database, and the same server after a restart, unprotects what another protected: the
/// web UI's session and anti-forgery cookies and the webhook secrets. Without it each process would make keys of its
/// own in a local folder and a cookie or secret would stop working on the next replica or host.
/// </summary>
/// <remarks>
/// Data Protection's repository interface is synchronous, so the queries here are too. They are rare: the key ring
/// is read at the first use and then about once a day, and a key is written about every 90 days.
/// The XML is stored as Data Protection hands it over: unencrypted unless the host configures key encryption
/// (<c>ProtectKeysWith…</c>; <c>cairn serve</c> takes a certificate, see docs/operations.md).
/// </remarks>
public sealed class DatabaseKeyRepository(CairnDatabase database, TimeProvider clock) : IXmlRepository
{
    /// <inheritdoc />
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = database.Open();
        return connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY created_at, name")
            .Select(xml => XElement.Parse(xml))
            .ToList();
    }

    /// <inheritdoc />
    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        using var connection = database.Open();
        // Two replicas may write the same element (the same name) at once; the second insert is a no-op, not a failure.
        connection.Execute(
            "INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@name, @xml, @at) ON CONFLICT (name) DO NOTHING",
            new
            {
                name = string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName,
                xml = element.ToString(SaveOptions.DisableFormatting),
                at = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            });
    }
}

/// <summary>Wires <see cref="DatabaseKeyRepository"/> into Data Protection.</summary>
public static class DatabaseKeyRepositoryExtensions
{
    /// <summary>
    /// Keeps the key ring in the <see cref="CairnDatabase"/> registered in the container (see
    /// <see cref="DatabaseKeyRepository"/>).
    /// </summary>
    public static IDataProtectionBuilder PersistKeysToCairnDatabase(this IDataProtectionBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new DatabaseKeyRepository(
                services.GetRequiredService<CairnDatabase>(), services.GetService<TimeProvider>() ?? TimeProvider.System)));
        return builder;
    }
}
