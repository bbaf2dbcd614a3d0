using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Mlflow;

namespace Cairn.Tests.Events;

/// <summary>
/// A webhook receiver on 127.0.0.1 whose answers a test scripts (500 then 200, 429 with Retry-After, a slow answer),
/// keeping every request with its arrival time. Signatures are checked here, independently of the server's code: the
/// MLflow scheme (one <c>v1,</c> signature in X-MLflow-Signature) and Standard Webhooks' (any of the space-separated
/// <c>v1,</c> signatures in webhook-signature, keyed with the secret's raw bytes).
/// </summary>
public sealed class ScriptedReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly Task _loop;
    private readonly int _port;
    private int _count;

    public sealed record Answer(int Status, TimeSpan Delay = default, string? RetryAfter = null, string Body = "ok");

    public sealed record Request(int Number, DateTimeOffset At, string Body, string? ContentType, System.Collections.Specialized.NameValueCollection Headers)
    {
        public JsonNode Json => JsonNode.Parse(Body)!;

        public string DeliveryId => Headers["webhook-id"]!;

        /// <summary>Whether X-MLflow-Signature verifies with <paramref name="secret"/>, as MLflow's documentation says.</summary>
        public bool MlflowSignatureVerifies(string secret) =>
            Headers["X-MLflow-Signature"] is { } signature && signature.StartsWith("v1,", StringComparison.Ordinal)
            && Matches(signature["v1,".Length..], Expected(secret, Headers["X-MLflow-Delivery-Id"]!, Headers["X-MLflow-Timestamp"]!));

        /// <summary>Whether any signature of webhook-signature verifies with <paramref name="secret"/>, as Standard Webhooks says.</summary>
        public bool StandardSignatureVerifies(string secret) =>
            (Headers["webhook-signature"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Any(s => s.StartsWith("v1,", StringComparison.Ordinal) && Matches(s["v1,".Length..], Expected(secret, Headers["webhook-id"]!, Headers["webhook-timestamp"]!)));

        public int StandardSignatureCount => (Headers["webhook-signature"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

        private byte[] Expected(string secret, string id, string timestamp) =>
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{id}.{timestamp}.{Body}"));

        private static bool Matches(string base64, byte[] expected)
        {
            try
            {
                return CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(base64), expected);
            }
            catch (FormatException)
            {
                return false;
            }
        }
    }

    private ScriptedReceiver(Func<int, Answer> script)
    {
        Script = script;
        _port = WebhookReceiver.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The answer to the n-th request (1-based); changeable while running.</summary>
    public Func<int, Answer> Script { get; set; }

    public static ScriptedReceiver Start(Func<int, Answer>? script = null) => new(script ?? (_ => new Answer(200)));

    public string Url => $"http://127.0.0.1:{_port}/hook";

    public IReadOnlyList<Request> Requests => [.. _requests.OrderBy(r => r.Number)];

    /// <summary>Waits (polling, with a deadline) until <paramref name="condition"/> holds over the requests so far.</summary>
    public async Task<IReadOnlyList<Request>> WaitUntilAsync(Func<IReadOnlyList<Request>, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition(Requests))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The receiver's requests did not reach the expected state in time; it got {_requests.Count}.");
            await Task.Delay(25);
        }
        return Requests;
    }

    public Task<IReadOnlyList<Request>> WaitForAsync(int count, TimeSpan? timeout = null) => WaitUntilAsync(r => r.Count >= count, timeout);

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
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var number = Interlocked.Increment(ref _count);
            _requests.Enqueue(new Request(number, DateTimeOffset.UtcNow, body, context.Request.ContentType, context.Request.Headers));
            var answer = Script(number);
            if (answer.Delay > TimeSpan.Zero)
            {
                await Task.Delay(answer.Delay);
            }
            context.Response.StatusCode = answer.Status;
            if (answer.RetryAfter is not null)
            {
                context.Response.Headers["Retry-After"] = answer.RetryAfter;
            }
            var bytes = Encoding.UTF8.GetBytes(answer.Body);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            // The sender gave up (a timeout) or the receiver is stopping.
        }
    }
}
