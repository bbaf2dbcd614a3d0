using System.Globalization;
using System.Text.Json.Nodes;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cairn.Tests.Events;

/// <summary>The feed (<c>GET /api/v1/events</c>): order, cursors, filters, permissions, long poll and server-sent events.</summary>
public sealed class EventFeedTests(TokenAuthApp app) : IClassFixture<TokenAuthApp>
{
    private async Task<HttpClient> ClientAsync(string role, string ns = "/") =>
        app.ClientWithToken(await app.TokenAsync($"{role}-{Guid.NewGuid():N}", role, ns));

    private Task<long> HeadAsync() => app.ScalarAsync<long>("SELECT COALESCE(MAX(seq), 0) FROM events");

    private static async Task<JsonObject> FeedAsync(HttpClient client, string query) =>
        await (await client.GetAsync(new Uri("/api/v1/events?" + query, UriKind.Relative))).ExpectAsync(200);

    private static IEnumerable<string?> Resources(JsonObject page) => page["events"]!.AsArray().Select(e => (string?)e!["resource"]);

    private static async Task ModelAsync(HttpClient client, string ns, string name) =>
        await (await client.PostJsonAsync("/api/v1/models", new { @namespace = ns, model_name = name })).ExpectAsync(201);

    [Fact]
    public async Task Events_come_in_commit_order_and_a_cursor_resumes_after_the_last_one_handled()
    {
        var admin = await ClientAsync("admin");
        var head = await HeadAsync();
        foreach (var name in new[] { "one", "two", "three" })
        {
            await ModelAsync(admin, "/fd/order", name);
        }

        var first = await FeedAsync(admin, $"after={head}&namespace=/fd/order&max_results=2");
        Assert.Equal(["models/fd.order.one", "models/fd.order.two"], Resources(first));
        var seqs = first["events"]!.AsArray().Select(e => (long)e!["seq"]!).ToList();
        Assert.True(seqs[0] < seqs[1]);
        Assert.Equal(seqs[1].ToString(CultureInfo.InvariantCulture), (string?)first["next_cursor"]);

        var rest = await FeedAsync(admin, $"after={first["next_cursor"]}&namespace=/fd/order");
        Assert.Equal(["models/fd.order.three"], Resources(rest));
        var none = await FeedAsync(admin, $"after={rest["next_cursor"]}&namespace=/fd/order");
        Assert.Empty(none["events"]!.AsArray());
        Assert.Equal((string?)rest["next_cursor"], (string?)none["next_cursor"]);
    }

    [Fact]
    public async Task Type_patterns_and_a_namespace_with_its_sub_namespaces_select_events()
    {
        var admin = await ClientAsync("admin");
        var head = await HeadAsync();
        await ModelAsync(admin, "/fd/ns", "m");
        await ModelAsync(admin, "/fd/ns/sub", "m");
        await ModelAsync(admin, "/fd/nsx", "m");
        await (await admin.PostJsonAsync("/api/v1/models/fd.ns.m/versions", new { })).ExpectAsync(201);
        await (await admin.PutJsonAsync("/api/v1/models/fd.ns.m/tags/k", new { value = "v" })).ExpectAsync(200);

        var inNs = await FeedAsync(admin, $"after={head}&namespace=/fd/ns");
        Assert.Equal(["models/fd.ns.m", "models/fd.ns.sub.m", "models/fd.ns.m/versions/1", "models/fd.ns.m"], Resources(inNs));

        var versions = await FeedAsync(admin, $"after={head}&types=model_version.*");
        Assert.Equal(["model_version.created"], versions["events"]!.AsArray().Select(e => (string?)e!["type"]));
        var two = await FeedAsync(admin, $"after={head}&types=*_tag.set,registered_model.created&namespace=/fd/ns/");
        Assert.Equal(["registered_model.created", "registered_model.created", "registered_model_tag.set"],
            two["events"]!.AsArray().Select(e => (string?)e!["type"]));
    }

    [Fact]
    public async Task A_reader_sees_the_events_of_its_namespace_and_below_and_an_admin_sees_tokens_too()
    {
        var admin = await ClientAsync("admin");
        var reader = await ClientAsync("reader", "/fp/a");
        var head = await HeadAsync();
        await ModelAsync(admin, "/fp/a", "m");
        await ModelAsync(admin, "/fp/c", "m");
        await ModelAsync(admin, "/fp/a/b", "m");
        await (await admin.PostJsonAsync("/api/v1/tokens", new { name = $"fp-{Guid.NewGuid():N}", role = "reader", @namespace = "/fp/a" })).ExpectAsync(201);
        await ModelAsync(admin, "/fp/c", "n");

        var seen = await FeedAsync(reader, $"after={head}");
        Assert.Equal(["models/fp.a.m", "models/fp.a.b.m"], Resources(seen));
        // The cursor moves past what the reader may not see, so resuming does not examine it again.
        Assert.Equal(await HeadAsync(), long.Parse((string)seen["next_cursor"]!, CultureInfo.InvariantCulture));

        // A page is full of visible events even when invisible ones come between them.
        var one = await FeedAsync(reader, $"after={head}&max_results=1");
        Assert.Equal(["models/fp.a.m"], Resources(one));
        var next = await FeedAsync(reader, $"after={one["next_cursor"]}&max_results=1");
        Assert.Equal(["models/fp.a.b.m"], Resources(next));

        var all = await FeedAsync(admin, $"after={head}");
        Assert.Equal(5, all["events"]!.AsArray().Count);
        Assert.Contains(all["events"]!.AsArray(), e => (string?)e!["type"] == "token.created");
    }

    [Fact]
    public async Task Reading_the_feed_needs_a_token()
    {
        await (await app.CreateClient().GetAsync(new Uri("/api/v1/events", UriKind.Relative))).ExpectAsync(401, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task A_long_poll_returns_with_the_event_that_commits_while_it_waits()
    {
        var admin = await ClientAsync("admin");
        var head = await HeadAsync();
        var poll = admin.GetAsync(new Uri($"/api/v1/events?after={head}&namespace=/fd/poll&wait=60", UriKind.Relative));
        await ModelAsync(admin, "/fd/poll", "m");
        var page = await (await poll).ExpectAsync(200);
        Assert.Equal(["models/fd.poll.m"], Resources(page));
    }

    [Fact]
    public async Task A_long_poll_with_nothing_to_return_ends_empty_with_its_cursor()
    {
        var admin = await ClientAsync("admin");
        var head = await HeadAsync();
        var page = await FeedAsync(admin, $"after={head}&namespace=/fd/quiet&wait=0.2");
        Assert.Empty(page["events"]!.AsArray());
    }

    [Fact]
    public async Task A_waiting_long_poll_answers_at_once_with_its_cursor_when_the_server_starts_stopping()
    {
        // A server of its own: this test stops it.
        await using var stopping = new CairnApp();
        var client = stopping.CreateClient();
        var head = await stopping.ScalarAsync<long>("SELECT COALESCE(MAX(seq), 0) FROM events");
        // A first request builds the routes, so that the poll below is past them and into its wait when the stop comes.
        await FeedAsync(client, $"after={head}");
        var poll = client.GetAsync(new Uri($"/api/v1/events?after={head}&namespace=/fd/stopping&wait=60", UriKind.Relative));
        Assert.NotSame(poll, await Task.WhenAny(poll, Task.Delay(500)));

        stopping.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        // Well before the minute it asked to wait (without the stop it would still be waiting at 30 s).
        var page = await (await poll.WaitAsync(TimeSpan.FromSeconds(30))).ExpectAsync(200);

        Assert.Empty(page["events"]!.AsArray());
        Assert.NotNull(page["next_cursor"]);
    }

    [Fact]
    public async Task Server_sent_events_stream_what_commits_after_connecting_and_resume_from_last_event_id()
    {
        var admin = await ClientAsync("admin");
        var head = await HeadAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var received = await StreamAsync(admin, $"after={head}&namespace=/fd/sse", null, 1, () => ModelAsync(admin, "/fd/sse", "first"), cancel.Token);
        var (id, type, data) = Assert.Single(received);
        Assert.Equal("registered_model.created", type);
        Assert.Equal("models/fd.sse.first", (string?)JsonNode.Parse(data)!["resource"]);
        Assert.Equal(id, (string?)JsonNode.Parse(data)!["cursor"]);

        await ModelAsync(admin, "/fd/sse", "second");
        var resumed = await StreamAsync(admin, "namespace=/fd/sse", id, 1, () => Task.CompletedTask, cancel.Token);
        Assert.Equal("models/fd.sse.second", (string?)JsonNode.Parse(Assert.Single(resumed).Data)!["resource"]);
    }

    /// <summary>Opens a stream, runs <paramref name="afterConnect"/> once the response has started, and reads <paramref name="count"/> events.</summary>
    private static async Task<List<(string Id, string Type, string Data)>> StreamAsync(
        HttpClient client, string query, string? lastEventId, int count, Func<Task> afterConnect, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/v1/events?" + query, UriKind.Relative));
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        // The stream opens with a comment naming its cursor: the server is listening from here on.
        Assert.StartsWith(": cursor ", await reader.ReadLineAsync(cancellationToken), StringComparison.Ordinal);
        await afterConnect();
        var events = new List<(string, string, string)>();
        string? id = null, type = null, data = null;
        while (events.Count < count && await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    events.Add((id!, type!, data));
                }
                (id, type, data) = (null, null, null);
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
        }
        return events;
    }

    [Theory]
    [InlineData("after=abc", "'after'")]
    [InlineData("after=-1", "'after'")]
    [InlineData("types=nothing.like.this", "'types'")]
    [InlineData("max_results=0", "'max_results'")]
    [InlineData("max_results=1001", "'max_results'")]
    [InlineData("max_results=many", "'max_results'")]
    [InlineData("wait=61", "'wait'")]
    [InlineData("wait=soon", "'wait'")]
    [InlineData("namespace=no-slash", "'namespace'")]
    public async Task Bad_input_is_a_400_naming_the_field(string query, string field)
    {
        var admin = await ClientAsync("admin");
        var problem = await (await admin.GetAsync(new Uri("/api/v1/events?" + query, UriKind.Relative))).ExpectAsync(400, "INVALID_PARAMETER_VALUE");
        Assert.Contains(field, (string?)problem["detail"], StringComparison.Ordinal);
    }
}
