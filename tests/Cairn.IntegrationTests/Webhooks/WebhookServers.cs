using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests.Webhooks;

/// <summary>
/// <c>cairn serve</c> set up for the webhook tests, and what they ask it: plain http to loopback allowed (the receiver
/// listens on 127.0.0.1), short leases, retries and timeouts so a crash or a failing receiver plays out in seconds.
/// </summary>
internal static class WebhookServers
{
    public const string Secret = "it-webhook-secret-7f3a";

    /// <summary>How long a replica holds a webhook's deliveries: what a survivor waits before taking over.</summary>
    public static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(3);

    /// <summary>The first retry's longest wait; it doubles per attempt.</summary>
    public static readonly TimeSpan RetryBaseDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>How long one attempt waits for the receiver.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    public static Dictionary<string, string> Environment(bool allowLoopback = true)
    {
        var env = new Dictionary<string, string>
        {
            ["CAIRN_WEBHOOK_ALLOWED_SCHEMES"] = "http",
            // Cairn:Webhooks:* (the delivery engine's settings) have no CAIRN_* names; .NET reads them as Cairn__Webhooks__*.
            ["Cairn__Webhooks__LeaseTime"] = LeaseTime.ToString("c"),
            ["Cairn__Webhooks__RetryBaseDelay"] = RetryBaseDelay.ToString("c"),
            ["Cairn__Webhooks__RetryMaxDelay"] = "00:00:05",
            ["Cairn__Webhooks__Timeout"] = AttemptTimeout.ToString("c"),
            ["Cairn__Webhooks__PollInterval"] = "00:00:00.200",
        };
        if (allowLoopback)
        {
            env["CAIRN_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8";
        }
        return env;
    }

    public static Task<ServerProcess> StartAsync(string dataDir, string? database = null, bool allowLoopback = true) =>
        ServerProcess.StartAsync(["--data-dir", dataDir, .. database is null ? Array.Empty<string>() : ["--database", database]], Environment(allowLoopback));

    public static HttpClient Client(ServerProcess server) => new() { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Creates a webhook through the native API (MLflow's format, signed with <see cref="Secret"/>); returns its id.</summary>
    public static async Task<string> CreateWebhookAsync(HttpClient api, string url, params string[] events)
    {
        using var response = await api.PostAsJsonAsync("/api/v1/webhooks", new
        {
            name = $"it-{Guid.NewGuid():N}"[..20],
            url,
            events = events.Length == 0 ? ["*"] : events,
            secret = Secret,
            format = "mlflow",
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 201, $"Creating the webhook answered {(int)response.StatusCode}: {body}");
        return (string)JsonNode.Parse(body)!["id"]!;
    }

    /// <summary>A model with <paramref name="versions"/> versions and the alias champion on the last: 2 + versions events.</summary>
    public static async Task RegisterAsync(HttpClient api, string ns, string model, int versions)
    {
        (await api.PostAsJsonAsync("/api/v1/models", new { @namespace = ns, model_name = model })).EnsureSuccessStatusCode();
        var full = ns.Trim('/').Replace('/', '.') + "." + model;
        for (var i = 0; i < versions; i++)
        {
            (await api.PostAsJsonAsync($"/api/v1/models/{full}/versions", new { description = $"cut {i + 1}" })).EnsureSuccessStatusCode();
        }
        (await api.PutAsJsonAsync($"/api/v1/models/{full}/aliases/champion", new { version = versions })).EnsureSuccessStatusCode();
    }

    /// <summary>The audit log's entries' seqs (= event seqs) after <paramref name="after"/>, ascending.</summary>
    public static async Task<List<long>> EventSeqsAfterAsync(HttpClient api, long after)
    {
        var seqs = new List<long>();
        string? token = null;
        do
        {
            var page = (await api.GetFromJsonAsync<JsonObject>("/api/v1/audit?max_results=1000" + (token is null ? "" : $"&page_token={Uri.EscapeDataString(token)}")))!;
            seqs.AddRange(page["entries"]!.AsArray().Select(e => (long)e!["seq"]!).Where(s => s > after));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        seqs.Sort();
        return seqs;
    }

    /// <summary>The newest audit entry's seq.</summary>
    public static async Task<long> HeadAsync(HttpClient api) =>
        (await api.GetFromJsonAsync<JsonObject>("/api/v1/audit?max_results=1"))!["entries"]!.AsArray().Select(e => (long)e!["seq"]!).DefaultIfEmpty(0).Max();

    /// <summary>Every delivery of the webhook, as its delivery log lists them.</summary>
    public static async Task<List<JsonObject>> DeliveryLogAsync(HttpClient api, string webhookId)
    {
        var all = new List<JsonObject>();
        string? token = null;
        do
        {
            var page = (await api.GetFromJsonAsync<JsonObject>($"/api/v1/webhooks/{webhookId}/deliveries?max_results=1000" + (token is null ? "" : $"&page_token={Uri.EscapeDataString(token)}")))!;
            all.AddRange(page["deliveries"]!.AsArray().Select(d => d!.AsObject()));
            token = (string?)page["next_page_token"];
        }
        while (token is not null);
        return all;
    }

    /// <summary>One delivery with its attempts (<c>attempt_log</c>).</summary>
    public static async Task<JsonObject> DeliveryAsync(HttpClient api, string webhookId, string deliveryId) =>
        (await api.GetFromJsonAsync<JsonObject>($"/api/v1/webhooks/{webhookId}/deliveries/{deliveryId}"))!;

    /// <summary>Polls the delivery log until <paramref name="done"/> holds, or fails after <paramref name="within"/>.</summary>
    public static async Task<List<JsonObject>> WaitForLogAsync(HttpClient api, string webhookId, Func<List<JsonObject>, bool> done, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var log = await DeliveryLogAsync(api, webhookId);
            if (done(log))
            {
                return log;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {within.TotalSeconds} s for {what}; the delivery log holds:\n" + string.Join("\n", log.Select(d => d.ToJsonString())));
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// What "nothing lost" means, checked from both ends: the webhook has a delivery for every event committed after it
    /// was created, each SUCCEEDED; the receiver got every one of them, verified in both schemes, answered 200 at least
    /// once; and where it got one more than once, the body was the same every time (receivers deduplicate by id).
    /// </summary>
    /// <param name="after">The head when the webhook was created (whether the webhook's own creation reaches it is not at stake here).</param>
    /// <param name="eventSeqs">The events committed after <paramref name="after"/>.</param>
    /// <param name="log">The webhook's delivery log.</param>
    /// <param name="received">What the receiver got.</param>
    public static void AssertEveryEventDelivered(long after, IReadOnlyList<long> eventSeqs, IReadOnlyList<JsonObject> log, IReadOnlyList<NodeReceiver.Delivery> received)
    {
        log = log.Where(d => (long)d["event_seq"]! > after).ToList();
        Assert.Equal(eventSeqs, log.Select(d => (long)d["event_seq"]!).Order().ToList());
        Assert.All(log, d => Assert.Equal("SUCCEEDED", (string?)d["state"]));
        var byId = received.GroupBy(d => d.Id ?? "").ToDictionary(g => g.Key, g => g.ToList());
        foreach (var delivery in log)
        {
            var id = (string)delivery["id"]!;
            Assert.True(byId.TryGetValue(id, out var copies), $"Delivery {id} (event {delivery["event_seq"]}) never reached the receiver.");
            Assert.Contains(copies, c => c.Answered == 200);
            Assert.All(copies, c => Assert.True(c.StandardVerified && c.MlflowVerified, c.ToString()));
            Assert.Single(copies.Select(c => c.Body).Distinct());
        }
    }
}
