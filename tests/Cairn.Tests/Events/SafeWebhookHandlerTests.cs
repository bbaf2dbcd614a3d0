using System.Net;
using System.Net.Sockets;
using System.Text;
using Cairn.Events;
using Cairn.Tests.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Cairn.Tests.Events;

/// <summary>Issue 16 item 6: deliveries reach only public addresses unless an allow-list says otherwise, checked after DNS.</summary>
public sealed class SafeWebhookHandlerTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.0.9", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("10.255.255.255", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.254", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("fc00::1", "private")]
    [InlineData("fdab:cd::7", "private")]
    [InlineData("169.254.1.1", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("febf:ffff::1", "link-local")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("100.127.255.254", "carrier-grade NAT")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("0.1.2.3", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("239.255.255.250", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("169.254.169.254", "metadata")]
    [InlineData("fd00:ec2::254", "metadata")]
    [InlineData("100.100.100.200", "metadata")]
    [InlineData("192.0.0.192", "metadata")]
    // The IPv6 forms that reach an IPv4 address are judged by that address.
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:10.1.2.3", "private")]
    [InlineData("::ffff:172.20.0.1", "private")]
    [InlineData("::ffff:192.168.0.10", "private")]
    [InlineData("::ffff:169.254.169.254", "metadata")]
    [InlineData("::ffff:100.64.1.1", "carrier-grade NAT")]
    [InlineData("::ffff:0.0.0.0", "unspecified")]
    [InlineData("::ffff:224.0.0.251", "multicast")]
    [InlineData("::ffff:255.255.255.255", "broadcast")]
    [InlineData("::127.0.0.1", "loopback")]
    [InlineData("64:ff9b::7f00:1", "loopback")]
    [InlineData("64:ff9b::a9fe:a9fe", "metadata")]
    [InlineData("2002:c0a8:101::1", "private")]
    public void Addresses_that_are_not_public_are_refused_by_default(string address, string kind)
    {
        var ip = IPAddress.Parse(address);
        Assert.Contains(kind, WebhookNetworks.RefusalReason(ip), StringComparison.Ordinal);
        Assert.False(WebhookNetworks.PublicOnly.Permits(ip));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.4.4")]
    [InlineData("64:ff9b::808:808")]
    public void Public_addresses_are_permitted(string address)
    {
        Assert.Null(WebhookNetworks.RefusalReason(IPAddress.Parse(address)));
        Assert.True(WebhookNetworks.PublicOnly.Permits(IPAddress.Parse(address)));
    }

    [Fact]
    public void The_allow_list_permits_its_networks_in_every_form_and_nothing_else()
    {
        var networks = WebhookNetworks.Parse(" 127.0.0.0/8, ::1/128 ,10.1.0.0/16,192.168.5.5");
        Assert.Equal(4, networks.Allowed.Count);
        Assert.True(networks.Permits(IPAddress.Parse("127.0.0.1")));
        Assert.True(networks.Permits(IPAddress.Parse("::ffff:127.3.2.1")));
        Assert.True(networks.Permits(IPAddress.Parse("::1")));
        Assert.True(networks.Permits(IPAddress.Parse("10.1.200.3")));
        Assert.True(networks.Permits(IPAddress.Parse("192.168.5.5")));
        Assert.False(networks.Permits(IPAddress.Parse("192.168.5.6")));
        Assert.False(networks.Permits(IPAddress.Parse("10.2.0.1")));
        Assert.False(networks.Permits(IPAddress.Parse("169.254.169.254")));
        Assert.Same(WebhookNetworks.PublicOnly, WebhookNetworks.Parse(""));
        Assert.Same(WebhookNetworks.PublicOnly, WebhookNetworks.Parse(null));
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("127.0.0.1/8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/8,fe80::/129")]
    [InlineData("localhost/8")]
    public void A_malformed_allow_list_entry_is_named_with_the_option(string setting)
    {
        var error = Assert.Throws<FormatException>(() => WebhookNetworks.Parse(setting));
        var bad = setting.Split(',')[^1];
        Assert.Contains($"'{bad}' is not a network in CIDR notation", error.Message, StringComparison.Ordinal);
        Assert.Contains("CAIRN_WEBHOOK_ALLOWED_NETWORKS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_server_does_not_start_with_a_malformed_allow_list()
    {
        using var app = new BadNetworksApp();
        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<WebhookNetworks>());
        Assert.Contains("'10.0.0.1/8' is not a network in CIDR notation", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address")]
    [InlineData("https://[::1]/hook", "::1 is a loopback address")]
    [InlineData("https://[::ffff:169.254.169.254]/latest", "is a cloud metadata service address")]
    [InlineData("https://10.0.0.7/", "10.0.0.7 is a private address")]
    public void A_webhook_url_naming_a_refused_address_is_refused_when_it_is_saved(string url, string message)
    {
        var error = Assert.Throws<InvalidParameterException>(() => WebhookTargets.CheckLiteral(new Uri(url), WebhookNetworks.PublicOnly));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("CAIRN_WEBHOOK_ALLOWED_NETWORKS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_and_allowed_literals_pass_the_early_check()
    {
        // A name is checked when a delivery connects, after DNS; the early check does no lookup.
        WebhookTargets.CheckLiteral(new Uri("https://hooks.internal.example/x"), WebhookNetworks.PublicOnly);
        WebhookTargets.CheckLiteral(new Uri("https://93.184.215.14/x"), WebhookNetworks.PublicOnly);
        WebhookTargets.CheckLiteral(new Uri("http://127.0.0.1:8080/x"), WebhookNetworks.Parse("127.0.0.0/8"));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task A_local_receiver_is_not_reached_without_the_allow_list(string host)
    {
        using var receiver = new TinyReceiver("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        using var client = new HttpClient(WebhookTargets.CreateHandler(WebhookNetworks.PublicOnly));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync($"http://{host}:{receiver.Port}/hook", new StringContent("{}")));

        // The handler's own message reaches the caller (the delivery log's error) as it is.
        var message = error.Message;
        Assert.Contains($"Webhook delivery to '{host}' refused", message, StringComparison.Ordinal);
        Assert.Contains("is a loopback address", message, StringComparison.Ordinal);
        Assert.Contains("CAIRN_WEBHOOK_ALLOWED_NETWORKS", message, StringComparison.Ordinal);
        Assert.Equal(0, receiver.Connections);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task A_local_receiver_is_reached_when_the_allow_list_names_loopback(string host)
    {
        using var receiver = new TinyReceiver("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        using var client = new HttpClient(WebhookTargets.CreateHandler(WebhookNetworks.Parse("127.0.0.0/8")));

        using var response = await client.PostAsync($"http://{host}:{receiver.Port}/hook", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.Equal(["POST /hook HTTP/1.1"], receiver.RequestLines);
    }

    [Fact]
    public async Task A_redirect_is_not_followed()
    {
        using var receiver = new TinyReceiver("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        using var client = new HttpClient(WebhookTargets.CreateHandler(WebhookNetworks.Parse("127.0.0.0/8")));

        using var response = await client.PostAsync($"http://127.0.0.1:{receiver.Port}/hook", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(["POST /hook HTTP/1.1"], receiver.RequestLines);
    }

    private sealed class BadNetworksApp : CairnApp
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Cairn:WebhookAllowedNetworks", "127.0.0.0/8, 10.0.0.1/8");
        }
    }

    /// <summary>An HTTP/1.1 server on 127.0.0.1 that gives every request the same raw answer and counts what reached it.</summary>
    private sealed class TinyReceiver : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly byte[] _answer;
        private readonly List<string> _requestLines = [];
        private int _connections;

        public TinyReceiver(string answer)
        {
            _answer = Encoding.ASCII.GetBytes(answer);
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public IReadOnlyList<string> RequestLines
        {
            get
            {
                lock (_requestLines)
                {
                    return [.. _requestLines];
                }
            }
        }

        public void Dispose() => _listener.Stop();

        private async Task AcceptAsync()
        {
            while (true)
            {
                TcpClient connection;
                try
                {
                    connection = await _listener.AcceptTcpClientAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                Interlocked.Increment(ref _connections);
                using (connection)
                {
                    var stream = connection.GetStream();
                    var head = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(buffer);
                        if (read == 0)
                        {
                            break;
                        }
                        head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }
                    lock (_requestLines)
                    {
                        _requestLines.Add(head.ToString().Split("\r\n")[0]);
                    }
                    await stream.WriteAsync(_answer);
                }
            }
        }
    }
}
