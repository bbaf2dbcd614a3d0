using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// A webhook receiver on 127.0.0.1 (HttpListener on a free port) in the manner of MLflow's test app: /insecure-webhook
/// accepts anything, /secure-webhook verifies the signature with the shared secret, any other path is 404.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly Task _loop;
    private readonly int _port;
    private readonly string _secret;

    private WebhookReceiver(string secret)
    {
        _secret = secret;
        _port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public sealed record Delivery(string Path, string Body, string? ContentType, System.Collections.Specialized.NameValueCollection Headers, string Outcome);

    public IReadOnlyList<Delivery> Deliveries => [.. _deliveries];

    /// <summary>Waits (polling, with a deadline) until at least <paramref name="count"/> deliveries have arrived.</summary>
    public async Task<IReadOnlyList<Delivery>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (_deliveries.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.True(_deliveries.Count >= count, $"Expected {count} deliveries, got {_deliveries.Count}.");
        return Deliveries;
    }

    public static WebhookReceiver Start(string secret = "receiver-shared-secret") => new(secret);

    public string Url(string path) => $"http://127.0.0.1:{_port}{path}";

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var path = context.Request.Url!.AbsolutePath;
            var (status, outcome, answer) = path switch
            {
                "/insecure-webhook" => (200, "received", "received"),
                "/secure-webhook" => Verify(context.Request.Headers, body),
                _ => (404, "not found", "not found"),
            };
            _deliveries.Enqueue(new Delivery(path, body, context.Request.ContentType, context.Request.Headers, outcome));
            context.Response.StatusCode = status;
            var bytes = Encoding.UTF8.GetBytes(answer);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    /// <summary>What MLflow tells receivers to do: recompute the HMAC over id, timestamp and raw body, compare in constant time.</summary>
    private (int, string, string) Verify(System.Collections.Specialized.NameValueCollection headers, string body)
    {
        var signature = headers["X-MLflow-Signature"];
        var timestamp = headers["X-MLflow-Timestamp"];
        var deliveryId = headers["X-MLflow-Delivery-Id"];
        if (signature is null)
        {
            return (400, "Missing signature header", "Missing signature header");
        }
        if (timestamp is null || deliveryId is null || !signature.StartsWith("v1,", StringComparison.Ordinal))
        {
            return (400, "Malformed", "Malformed");
        }
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(_secret), Encoding.UTF8.GetBytes($"{deliveryId}.{timestamp}.{body}"));
        byte[] provided;
        try
        {
            provided = Convert.FromBase64String(signature["v1,".Length..]);
        }
        catch (FormatException)
        {
            return (401, "Invalid signature", "Invalid signature");
        }
        return CryptographicOperations.FixedTimeEquals(expected, provided)
            ? (200, "verified", "received")
            : (401, "Invalid signature", "Invalid signature");
    }
}
