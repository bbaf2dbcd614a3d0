using System.Text.Json.Nodes;

namespace Cairn.Governance;

/// <summary>
/// Whether a section of a model card document is filled: it holds at least one non-blank string or non-empty list
/// somewhere inside (numbers and booleans alone fill nothing: they are what a form's defaults leave).
/// The same rule as the cards feature's <c>ModelCardSections.IsFilled</c>; kept here until both branches meet.
/// </summary>
internal static class CardSectionCheck
{
    public static bool IsFilled(JsonObject? document, string section) =>
        document is not null && document.TryGetPropertyValue(section, out var value) && Holds(value);

    private static bool Holds(JsonNode? node) => node switch
    {
        JsonArray array => array.Count > 0,
        JsonObject obj => obj.Any(member => Holds(member.Value)),
        JsonValue value => value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text),
        _ => false,
    };
}
