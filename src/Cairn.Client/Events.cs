using System.Text.Json.Nodes;

namespace Cairn.Client;

/// <summary>One event of the feed: a committed change.</summary>
/// <param name="Seq">Its number: commit order.</param>
/// <param name="Cursor">The cursor just past it: pass it as <c>after</c> to resume after this event.</param>
/// <param name="Type">The event type, <c>entity.action</c> (<c>model_version.created</c>); docs/events.md lists them.</param>
/// <param name="Time">When the change committed.</param>
/// <param name="Actor">Who made the change.</param>
/// <param name="Resource">What changed, as the audit log names it (<c>models/a.b/versions/3</c>).</param>
/// <param name="Namespace">The namespace governing the resource.</param>
/// <param name="Payload">The resource's new state, or its last state when it was removed.</param>
public sealed record FeedEvent(long Seq, string Cursor, string Type, DateTimeOffset Time, string Actor, string Resource, string Namespace, JsonNode? Payload);

/// <summary>A page of the feed.</summary>
/// <param name="Events">The events the caller may read, in commit order.</param>
/// <param name="NextCursor">Where to resume: it moves past events the caller may not read too.</param>
public sealed record FeedPage(IReadOnlyList<FeedEvent> Events, string NextCursor);
