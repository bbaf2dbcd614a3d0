using System.Net;
using System.Net.Sockets;
using Cairn.Storage;

namespace Cairn.Server;

/// <summary>A setting that cannot work, found before the server touched any store; its message is one line naming the setting.</summary>
public sealed class StartupException(string message) : Exception(message);

/// <summary>
/// What <c>cairn serve</c> checks before it starts: the addresses to listen on (well-formed, and free), then the
/// directories it writes (created if missing, and written to with a probe file that is removed). The addresses come
/// first so that a server that cannot listen leaves nothing on disk; the directories before the stores are opened (which creates the data directory), so that an
/// unwritable artifacts directory stops the server now rather than failing the first upload with a 500.
/// </summary>
public static class StartupChecks
{
    /// <summary>Throws <see cref="StartupException"/> naming the first setting that cannot work.</summary>
    public static void Check(IConfiguration configuration)
    {
        CheckUrls(configuration["urls"] ?? CairnServer.DefaultUrls);
        CairnOptions options;
        try
        {
            options = configuration.GetSection(CairnOptions.Section).Get<CairnOptions>() ?? new CairnOptions();
            _ = options.DatabasePath;
        }
        catch (InvalidOperationException)
        {
            // A setting that does not even bind is reported, naming it, by the options' validation at start.
            return;
        }
        CheckDirectory(options.DataDir, "data directory", "--data-dir or CAIRN_DATA_DIR");
        if (!CairnDatabase.IsPostgres(options.DatabasePath) && Path.GetDirectoryName(Path.GetFullPath(options.DatabasePath)) is { } databaseDirectory)
        {
            CheckDirectory(databaseDirectory, "database's directory", "--database or CAIRN_DATABASE");
        }
        if (Tracking.TrackingArtifacts.Scheme(options.ArtifactsPath) is null)
        {
            CheckDirectory(options.ArtifactsPath, "artifacts directory", "--artifacts or CAIRN_ARTIFACTS");
        }
        if (Tracking.TrackingArtifacts.LocalPath(options.ArtifactsDestinationLocation) is { } destination)
        {
            CheckDirectory(destination, "MLflow artifacts destination", "--artifacts-destination");
        }
    }

    /// <summary>Each of <paramref name="urls"/> (separated by ';') is an http(s) URL with a host and a port that is free.</summary>
    public static void CheckUrls(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (address, port) = Parse(url);
            if (port == 0 || address is null)
            {
                // Port 0 takes any free port; a host name is resolved by Kestrel, which reports its own failure.
                continue;
            }
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Bind(new IPEndPoint(address, port));
                probe.Listen();
            }
            catch (SocketException e)
            {
                var reason = e.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse => "the port is in use by another process",
                    SocketError.AddressNotAvailable => "that address is not one of this machine's",
                    SocketError.AccessDenied => "listening there needs privileges this process lacks (ports below 1024)",
                    _ => e.Message,
                };
                throw new StartupException($"cannot listen on {url} (--urls or CAIRN_URLS): {reason}.");
            }
        }
    }

    // The address to try for a URL as Kestrel reads it: '*', '+' and an empty host mean every IPv4 address; localhost
    // is tried on the IPv4 loopback (Kestrel binds both loopbacks and only warns when IPv6's is missing).
    private static (IPAddress? Address, int Port) Parse(string url)
    {
        const string Example = "give a scheme, a host and a port, such as http://127.0.0.1:5000";
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? "" : url[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            throw new StartupException($"'{url}' (--urls or CAIRN_URLS) is not a URL to listen on: {Example}.");
        }
        var rest = url[(schemeEnd + 3)..];
        var hostEnd = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = hostEnd < 0 ? rest : rest[..hostEnd];
        var wildcard = authority.StartsWith('*') || authority.StartsWith('+');
        if (!Uri.TryCreate($"{scheme}://{(wildcard ? "0.0.0.0" + authority[1..] : authority)}/", UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new StartupException($"'{url}' (--urls or CAIRN_URLS) is not a URL to listen on: {Example}.");
        }
        var address = wildcard ? IPAddress.Any
            : string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(uri.Host, out var literal) ? literal
            : null;
        return (address, uri.Port);
    }

    private static void CheckDirectory(string path, string what, string setting)
    {
        var full = Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".cairn-probe-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new StartupException($"the {what} '{full}' ({setting}) cannot be written: {e.Message.Split('\n', 2)[0].Trim()}");
        }
    }
}
