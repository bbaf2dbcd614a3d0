using System.Text.Json.Nodes;
using Cairn.Governance;

namespace Cairn.Events;

/// <summary>
/// One event: a committed mutation, as the feed returns it and webhooks receive it. <see cref="Seq"/> is the audit
/// entry's number, so events are in commit order and a consumer resumes after the last one it handled.
/// </summary>
/// <param name="Seq">The audit entry's number: commit order, and the feed's cursor.</param>
/// <param name="At">When the change committed.</param>
/// <param name="Type">The event type from <see cref="EventCatalogue"/>.</param>
/// <param name="Actor">Who made the change.</param>
/// <param name="Resource">What changed, as the audit log names it (<c>models/a.b/versions/3</c>).</param>
/// <param name="Namespace">The namespace of that resource.</param>
/// <param name="ReadRole">The least role on <paramref name="Namespace"/> that may see the event.</param>
/// <param name="Payload">The resource's new state (its last state when it was removed), as its audit entry holds it.</param>
public sealed record CairnEvent(
    long Seq, DateTimeOffset At, string Type, string Actor, string Resource, string Namespace, Role ReadRole, JsonNode? Payload)
{
    /// <summary>Whether <paramref name="caller"/> may see this event: its read role on the event's namespace.</summary>
    public bool VisibleTo(Caller caller) => caller.Has(ReadRole, Namespace);
}

/// <summary>Keeps webhook secrets encrypted at rest; every replica must be able to unprotect what another protected.</summary>
public interface ISecretProtector
{
    /// <summary>The stored form of <paramref name="secret"/>.</summary>
    string Protect(string secret);

    /// <summary>The secret back from its stored form.</summary>
    string Unprotect(string stored);
}
