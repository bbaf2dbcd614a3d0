using System.Net;
using System.Net.Sockets;

namespace Cairn.Events;

/// <summary>
/// Which addresses a webhook may reach. Loopback, private, link-local, shared (CGNAT), unspecified, multicast,
/// broadcast, reserved and cloud metadata addresses are refused, in IPv4, IPv6 and the IPv6 forms that embed an IPv4
/// address, unless an allow-list of networks (<c>Cairn:WebhookAllowedNetworks</c>) names them: a registry inside a
/// company network must not become a way to reach that network's internal services (SSRF).
/// </summary>
public sealed class WebhookNetworks
{
    /// <summary>The configuration key of the allow-list, and its environment variable, as error messages name them.</summary>
    public const string OptionName = "Cairn:WebhookAllowedNetworks (CAIRN_WEBHOOK_ALLOWED_NETWORKS)";

    // Metadata services first: they are also link-local, shared or unique-local, but their own name tells an operator
    // more about why a delivery was refused.
    private static readonly (IPNetwork Network, string Kind)[] Refused =
    [
        (IPNetwork.Parse("169.254.169.254/32"), "a cloud metadata service address"),
        (IPNetwork.Parse("169.254.170.2/32"), "a cloud metadata service address"),
        (IPNetwork.Parse("100.100.100.200/32"), "a cloud metadata service address"),
        (IPNetwork.Parse("192.0.0.192/32"), "a cloud metadata service address"),
        (IPNetwork.Parse("fd00:ec2::254/128"), "a cloud metadata service address"),
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified (this-network) address"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private address"),
        (IPNetwork.Parse("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private address"),
        (IPNetwork.Parse("192.0.0.0/24"), "an IETF protocol assignment address"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private address"),
        (IPNetwork.Parse("198.18.0.0/15"), "a benchmarking address"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("255.255.255.255/32"), "the broadcast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved address"),
        (IPNetwork.Parse("::/128"), "the unspecified address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        (IPNetwork.Parse("fc00::/7"), "a private (unique local) address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        (IPNetwork.Parse("fec0::/10"), "a site-local address"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
    ];

    // IPv6 prefixes whose last (or, for 6to4, second and third) 32 bits are an IPv4 address that the packet reaches.
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork V4Compatible = IPNetwork.Parse("::/96");

    private WebhookNetworks(IReadOnlyList<IPNetwork> allowed) => Allowed = allowed;

    /// <summary>No network allowed beyond the public internet: the default.</summary>
    public static WebhookNetworks PublicOnly { get; } = new([]);

    /// <summary>Networks that deliveries may reach although their addresses are refused by default.</summary>
    public IReadOnlyList<IPNetwork> Allowed { get; }

    /// <summary>
    /// The allow-list from its setting: comma-separated CIDR networks (<c>127.0.0.0/8, 10.1.0.0/16, fd00::/8</c>); a
    /// bare address is a network of that one address. Empty allows none.
    /// </summary>
    /// <exception cref="FormatException">An entry is not a network; the message names it and the option.</exception>
    public static WebhookNetworks Parse(string? setting)
    {
        var allowed = new List<IPNetwork>();
        foreach (var entry in (setting ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // .NET accepts "10.0.0.1/8" as 10.0.0.0/8; an entry with bits after its prefix is refused here instead, as
            // it more likely names one host with a wrong length than a whole network.
            if (IPNetwork.TryParse(entry, out var network) && IPAddress.TryParse(entry[..entry.IndexOf('/', StringComparison.Ordinal)], out var written)
                && network.BaseAddress.Equals(written))
            {
                allowed.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address) && !entry.Contains('/', StringComparison.Ordinal))
            {
                allowed.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new FormatException(
                    $"{OptionName}: '{entry}' is not a network in CIDR notation (an address, '/', a prefix length, with no bits set after it; e.g. 127.0.0.0/8, 10.1.0.0/16, fd00::/8).");
            }
        }
        return allowed.Count == 0 ? PublicOnly : new WebhookNetworks(allowed);
    }

    /// <summary>
    /// Why <paramref name="address"/> is refused by default ("a loopback address"), or null for a public address. An
    /// IPv6 address that embeds an IPv4 one (mapped, compatible, NAT64, 6to4) is judged by the IPv4 address it reaches.
    /// </summary>
    public static string? RefusalReason(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var reached = Reached(address);
        foreach (var (network, kind) in Refused)
        {
            if (network.Contains(reached))
            {
                return kind;
            }
        }
        return null;
    }

    /// <summary>Whether a delivery may connect to <paramref name="address"/>: a public address, or one in <see cref="Allowed"/>.</summary>
    public bool Permits(IPAddress address) =>
        RefusalReason(address) is null || Allowed.Any(n => n.Contains(address) || n.Contains(Reached(address)));

    /// <summary>The error for a refused address, naming it, why, the host it came from and the option that would allow it.</summary>
    public static string Refusal(IPAddress address, string host) =>
        $"Webhook delivery to '{host}' refused: {address} is {RefusalReason(address) ?? "not allowed"}. "
        + $"Webhooks reach only public addresses unless {OptionName} lists a network that includes it (e.g. {Example(address)}).";

    private static string Example(IPAddress address) =>
        Reached(address) is { AddressFamily: AddressFamily.InterNetwork } v4 ? $"{v4}/32" : $"{address}/128";

    /// <summary>The address a packet to <paramref name="address"/> reaches: the IPv4 address an IPv6 form embeds, else itself.</summary>
    private static IPAddress Reached(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }
        var bytes = address.GetAddressBytes();
        if (Nat64.Contains(address) || (V4Compatible.Contains(address) && !address.Equals(IPAddress.IPv6None) && !address.Equals(IPAddress.IPv6Loopback)))
        {
            return new IPAddress(bytes.AsSpan(12, 4));
        }
        return SixToFour.Contains(address) ? new IPAddress(bytes.AsSpan(2, 4)) : address;
    }
}

/// <summary>How deliveries reach a webhook's URL safely.</summary>
public static class WebhookTargets
{
    /// <summary>
    /// Refuses early, when a webhook is created or changed, a URL whose host is a literal IP address the delivery would
    /// refuse anyway. Names are checked only when a delivery connects (<see cref="CreateHandler"/>), after DNS: what a
    /// name resolves to may change.
    /// </summary>
    /// <exception cref="InvalidParameterException">The host is a refused address.</exception>
    public static void CheckLiteral(Uri url, WebhookNetworks networks)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(networks);
        if (url.IsAbsoluteUri && IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var address) && !networks.Permits(address))
        {
            throw new InvalidParameterException(WebhookNetworks.Refusal(address, url.Host));
        }
    }

    /// <summary>
    /// The HTTP handler deliveries go through. It resolves the host itself, refuses addresses <paramref name="networks"/>
    /// does not permit and connects to the address it checked, so a name that resolves to a public address when checked
    /// and to an internal one a moment later (DNS rebinding) cannot reach the internal one. It follows no redirect (a
    /// signed body goes only to the URL the webhook names) and uses no proxy from the environment.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(WebhookNetworks networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = (context, cancellationToken) => ConnectAsync(networks, context.DnsEndPoint, cancellationToken),
        };
    }

    private static async ValueTask<Stream> ConnectAsync(WebhookNetworks networks, DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var host = endpoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var permitted = addresses.Where(networks.Permits).ToList();
        if (permitted.Count == 0)
        {
            throw addresses.Length == 0
                ? new HttpRequestException($"Webhook delivery to '{endpoint.Host}' failed: the name resolves to no address.")
                : new HttpRequestException(WebhookNetworks.Refusal(addresses[0], endpoint.Host));
        }
        SocketException? last = null;
        foreach (var address in permitted)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw new HttpRequestException($"Webhook delivery to '{endpoint.Host}' failed: no connection to {string.Join(", ", permitted)} port {endpoint.Port}: {last!.Message}", last);
    }
}
