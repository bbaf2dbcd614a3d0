using Cairn.Client;
using Cairn.Tests.Api;

namespace Cairn.Tests.Events;

/// <summary>The typed client's feed calls against the real server in-process.</summary>
public sealed class EventFeedClientTests(CairnApp app) : IClassFixture<CairnApp>, IDisposable
{
    private readonly CairnClient _cairn = new(app.CreateClient());

    public void Dispose() => _cairn.Dispose();

    [Fact]
    public async Task A_page_of_events_and_its_cursor_round_trip_through_the_client()
    {
        var head = (await _cairn.ReadEventsAsync(maxResults: 1000)).NextCursor;
        await _cairn.CreateModelAsync(new CreateModelRequest("/client_feed", "m"));
        await _cairn.CreateVersionAsync("client_feed.m");

        var page = await _cairn.ReadEventsAsync(head, ["registered_model.*", "model_version.created"], "/client_feed");
        Assert.Equal(["registered_model.created", "model_version.created"], page.Events.Select(e => e.Type));
        var version = page.Events[1];
        Assert.Equal("models/client_feed.m/versions/1", version.Resource);
        Assert.Equal("/client_feed", version.Namespace);
        Assert.Equal(1, (int)version.Payload!["version"]!);
        Assert.Equal(TimeSpan.Zero, version.Time.Offset);
        Assert.Equal(version.Cursor, page.NextCursor);
        Assert.Empty((await _cairn.ReadEventsAsync(page.NextCursor, @namespace: "/client_feed")).Events);

        var bad = await Assert.ThrowsAsync<CairnApiException>(() => _cairn.ReadEventsAsync(types: ["no_such.thing"]));
        Assert.Equal("INVALID_PARAMETER_VALUE", bad.ErrorCode);
    }

    [Fact]
    public async Task Following_the_feed_yields_an_event_committed_after_it_started()
    {
        var head = (await _cairn.ReadEventsAsync(maxResults: 1000)).NextCursor;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var events = _cairn.FollowEventsAsync(head, @namespace: "/client_follow", cancellationToken: cancel.Token).GetAsyncEnumerator(cancel.Token);
        var next = events.MoveNextAsync().AsTask();
        await _cairn.CreateModelAsync(new CreateModelRequest("/client_follow", "m"));
        Assert.True(await next);
        Assert.Equal("models/client_follow.m", events.Current.Resource);
    }
}
