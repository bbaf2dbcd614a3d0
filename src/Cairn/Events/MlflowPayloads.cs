using System.Globalization;
using System.Text.Json.Nodes;

namespace Cairn.Events;

/// <summary>
/// MLflow 3.5's webhook <c>data</c> for the six events MLflow fires, built from Cairn's event (the audit entry's state
/// after the change, and before it), so that a receiver written for MLflow parses Cairn's deliveries unchanged.
/// </summary>
public static class MlflowPayloads
{
    /// <summary>Whether <paramref name="type"/> is one of MLflow's events, whose payload is translated.</summary>
    public static bool IsMlflowEvent(string type) => type is "registered_model.created" or "model_version.created"
        or "model_version_tag.set" or "model_version_tag.deleted" or "model_version_alias.created" or "model_version_alias.deleted";

    /// <summary>
    /// MLflow's <c>data</c> for an event of <paramref name="type"/> on <paramref name="resource"/>, from the resource's
    /// state <paramref name="after"/> and <paramref name="before"/> the change; null when the type is not one of
    /// MLflow's, or (a tag set to the value it already had) the change names no tag to report.
    /// </summary>
    public static JsonObject? Translate(string type, string resource, JsonNode? after, JsonNode? before)
    {
        switch (type)
        {
            case "registered_model.created" when after is JsonObject model:
                return new JsonObject
                {
                    ["name"] = Text(model["full_name"]),
                    ["tags"] = Tags(model["tags"]),
                    ["description"] = Text(model["description"]) ?? "",
                };
            case "model_version.created" when after is JsonObject version:
                return new JsonObject
                {
                    ["name"] = Text(version["model"]),
                    ["version"] = Number(version["version"]),
                    ["source"] = Text(version["source"]) ?? "",
                    ["run_id"] = NullIfEmpty(Text(version["run_id"])),
                    ["tags"] = Tags(version["tags"]),
                    ["description"] = NullIfEmpty(Text(version["description"])),
                };
            case "model_version_tag.set" when after is JsonObject version:
                {
                    var tags = version["tags"] as JsonObject ?? [];
                    var previous = before?["tags"] as JsonObject ?? [];
                    // The changed tag is the one whose value differs from before (MutateAsync records whole versions).
                    var changed = tags.FirstOrDefault(t => Text(previous[t.Key]) != Text(t.Value));
                    return changed.Key is null ? null : new JsonObject
                    {
                        ["name"] = Text(version["model"]),
                        ["version"] = Number(version["version"]),
                        ["key"] = changed.Key,
                        ["value"] = Text(changed.Value),
                    };
                }
            case "model_version_tag.deleted" when after is JsonObject version:
                {
                    var tags = version["tags"] as JsonObject ?? [];
                    var removed = (before?["tags"] as JsonObject ?? []).FirstOrDefault(t => !tags.ContainsKey(t.Key));
                    return removed.Key is null ? null : new JsonObject
                    {
                        ["name"] = Text(version["model"]),
                        ["version"] = Number(version["version"]),
                        ["key"] = removed.Key,
                    };
                }
            case "model_version_alias.created" when after is JsonObject alias:
                return new JsonObject { ["name"] = AliasModel(resource), ["alias"] = Text(alias["alias"]), ["version"] = Number(alias["version"]) };
            case "model_version_alias.deleted" when (after ?? before) is JsonObject alias:
                return new JsonObject { ["name"] = AliasModel(resource), ["alias"] = Text(alias["alias"]) };
            default:
                return null;
        }
    }

    // models/<full name>/aliases/<alias>
    private static string AliasModel(string resource)
    {
        const string Models = "models/";
        var end = resource.IndexOf("/aliases/", StringComparison.Ordinal);
        return end > Models.Length ? resource[Models.Length..end] : resource;
    }

    private static JsonObject Tags(JsonNode? tags)
    {
        var json = new JsonObject();
        if (tags is JsonObject map)
        {
            foreach (var (key, value) in map)
            {
                json[key] = Text(value);
            }
        }
        return json;
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node?.ToJsonString();

    // MLflow sends version numbers as strings.
    private static string? Number(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<long>(out var number) ? number.ToString(CultureInfo.InvariantCulture) : Text(node);

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
