using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Lineage;

/// <summary>
/// Whether a new version of a metadata schema is backward compatible with the one before: every properties object
/// valid under the old version must stay valid under the new. Compared keyword by keyword, recursively through
/// properties, additional properties and items (local <c>$ref</c>s followed); a change Cairn cannot prove safe
/// (composition keywords, pattern properties, tuples) is refused rather than guessed. Each reason names the place
/// in the new document (a JSON pointer) and what changed.
/// </summary>
internal sealed class SchemaCompatibility
{
    // Bounds that only ever tighten in one direction: a smaller maximum or a larger minimum narrows what passes.
    private static readonly string[] Upper = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];
    private static readonly string[] Lower = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];

    // Keywords whose changes are refused unless the value stays exactly the same.
    private static readonly string[] Opaque = ["allOf", "anyOf", "oneOf", "not", "patternProperties", "additionalItems"];

    private readonly JsonObject _oldRoot;
    private readonly JsonObject _newRoot;
    private readonly List<ErrorDetail> _reasons = [];
    private readonly HashSet<(JsonNode?, JsonNode?)> _visited = new(new PairComparer());

    private SchemaCompatibility(JsonObject oldRoot, JsonObject newRoot)
    {
        _oldRoot = oldRoot;
        _newRoot = newRoot;
    }

    /// <summary>Every reason <paramref name="newer"/> would refuse something <paramref name="older"/> accepts (both normalised).</summary>
    public static IReadOnlyList<ErrorDetail> Check(JsonObject older, JsonObject newer)
    {
        var check = new SchemaCompatibility(older, newer);
        check.Compare(older, newer, "", "");
        return check._reasons;
    }

    private void Reason(string pointer, string message) => _reasons.Add(new ErrorDetail(pointer, message));

    private static string Subject(string name) => name.Length == 0 ? "the top level" : $"property '{name}'";

    private static string Of(string keyword, string name) => name.Length == 0 ? keyword : $"{keyword} of '{name}'";

    private static string Child(string name, string property) => name.Length == 0 ? property : $"{name}.{property}";

    /// <param name="older">The old subschema.</param>
    /// <param name="newer">The new subschema at the same place.</param>
    /// <param name="pointer">Where <paramref name="newer"/> is in the new document.</param>
    /// <param name="name">The property path the subschema describes (<c>config.lr</c>, <c>layers[]</c>), empty at the top.</param>
    private void Compare(JsonNode? older, JsonNode? newer, string pointer, string name)
    {
        older = Follow(_oldRoot, older);
        newer = Follow(_newRoot, newer);
        // A recursive schema would recurse forever; a pair already under comparison is being checked.
        if (!_visited.Add((older, newer)))
        {
            return;
        }
        if (IsFalse(older))
        {
            return;
        }
        if (IsFalse(newer))
        {
            Reason(pointer, $"{Subject(name)} accepted values and now accepts none");
            return;
        }
        var old = older as JsonObject ?? [];
        var @new = newer as JsonObject ?? [];

        CompareTypes(old, @new, pointer, name);
        CompareEnums(old, @new, pointer, name);
        CompareBounds(old, @new, pointer, name);
        CompareStrings(old, @new, pointer, name);
        foreach (var keyword in Opaque.Where(k => @new.ContainsKey(k) && !JsonNode.DeepEquals(old[k], @new[k])))
        {
            Reason($"{pointer}/{keyword}", $"{Of(keyword, name)} was {(old.ContainsKey(keyword) ? "changed" : "added")}; Cairn cannot prove such a change compatible");
        }
        CompareObjects(old, @new, pointer, name);
        CompareItems(old, @new, pointer, name);
    }

    private void CompareTypes(JsonObject old, JsonObject @new, string pointer, string name)
    {
        var newTypes = Types(@new);
        if (newTypes is null)
        {
            return;
        }
        var oldTypes = Types(old);
        if (oldTypes is null && old["enum"] is JsonArray values)
        {
            // An untyped enum already limited the values: only those the new type refuses are lost.
            oldTypes = values.Select(TypeOf).Distinct(StringComparer.Ordinal).ToList();
        }
        if (oldTypes is null)
        {
            Reason($"{pointer}/type", $"{Subject(name)} was restricted to type {string.Join(" or ", newTypes)}");
            return;
        }
        // An integer is a number: widening integer to number loses nothing, narrowing the other way does.
        var lost = oldTypes.Where(t => !newTypes.Contains(t) && !(t == "integer" && newTypes.Contains("number"))).ToList();
        if (lost.Count > 0)
        {
            Reason($"{pointer}/type", $"{Subject(name)} changed type from {string.Join(" or ", oldTypes)} to {string.Join(" or ", newTypes)}");
        }
    }

    private void CompareEnums(JsonObject old, JsonObject @new, string pointer, string name)
    {
        if (@new["enum"] is not JsonArray newValues)
        {
            return;
        }
        if (old["enum"] is not JsonArray oldValues)
        {
            Reason($"{pointer}/enum", $"{Subject(name)} gained an enum: only {string.Join(", ", newValues.Select(Show))} are allowed now");
            return;
        }
        foreach (var dropped in oldValues.Where(v => !newValues.Any(n => JsonNode.DeepEquals(v, n))))
        {
            Reason($"{pointer}/enum", $"enum of '{(name.Length == 0 ? "the top level" : name)}' dropped {Show(dropped)}");
        }
    }

    private void CompareBounds(JsonObject old, JsonObject @new, string pointer, string name)
    {
        foreach (var keyword in Upper.Concat(Lower))
        {
            var newValue = @new[keyword];
            if (newValue is null)
            {
                continue;
            }
            var oldValue = old[keyword];
            // Draft 4's exclusiveMaximum/exclusiveMinimum are booleans that sharpen maximum/minimum.
            if (newValue.GetValueKind() is JsonValueKind.True or JsonValueKind.False || oldValue?.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                if (newValue.GetValueKind() == JsonValueKind.True && oldValue?.GetValueKind() != JsonValueKind.True)
                {
                    Reason($"{pointer}/{keyword}", $"{Of(keyword, name)} became true");
                }
                continue;
            }
            if (oldValue is null || oldValue.GetValueKind() != JsonValueKind.Number)
            {
                Reason($"{pointer}/{keyword}", $"{Of(keyword, name)} was added ({Show(newValue)})");
                continue;
            }
            var before = Numeric(oldValue);
            var after = Numeric(newValue);
            if (Upper.Contains(keyword) ? after < before : after > before)
            {
                Reason($"{pointer}/{keyword}", $"{Of(keyword, name)} tightened from {Show(oldValue)} to {Show(newValue)}");
            }
        }
        if (@new["multipleOf"] is JsonValue newStep)
        {
            // Multiples of 10 stay multiples of 5: the old step must be a multiple of the new one.
            if (old["multipleOf"] is not JsonValue oldStep || !newStep.TryGetValue<decimal>(out var step) || !oldStep.TryGetValue<decimal>(out var was) || was % step != 0)
            {
                Reason($"{pointer}/multipleOf", $"{Of("multipleOf", name)} was {(old.ContainsKey("multipleOf") ? "changed" : "added")} ({Show(newStep)})");
            }
        }
    }

    private void CompareStrings(JsonObject old, JsonObject @new, string pointer, string name)
    {
        foreach (var keyword in new[] { "pattern", "format" })
        {
            if (@new[keyword] is { } value && !JsonNode.DeepEquals(old[keyword], value))
            {
                Reason($"{pointer}/{keyword}", old[keyword] is { } was
                    ? $"{Of(keyword, name)} changed from {Show(was)} to {Show(value)}"
                    : $"{Of(keyword, name)} was added ({Show(value)})");
            }
        }
        if (@new["uniqueItems"]?.GetValueKind() == JsonValueKind.True && old["uniqueItems"]?.GetValueKind() != JsonValueKind.True)
        {
            Reason($"{pointer}/uniqueItems", $"{Of("uniqueItems", name)} became true");
        }
    }

    private void CompareObjects(JsonObject old, JsonObject @new, string pointer, string name)
    {
        var oldRequired = Names(old["required"]);
        foreach (var property in Names(@new["required"]).Where(p => !oldRequired.Contains(p)))
        {
            Reason($"{pointer}/required", $"property '{Child(name, property)}' became required");
        }

        var oldExtra = old["additionalProperties"];
        var newExtra = @new["additionalProperties"];
        if (IsFalse(newExtra) && !IsFalse(oldExtra))
        {
            Reason($"{pointer}/additionalProperties", $"{Of("additionalProperties", name)} was allowed and is now false");
        }
        else if (newExtra is JsonObject)
        {
            Compare(oldExtra ?? JsonValue.Create(true), newExtra, $"{pointer}/additionalProperties", Child(name, "*"));
        }

        var oldProperties = old["properties"] as JsonObject ?? [];
        var newProperties = @new["properties"] as JsonObject ?? [];
        foreach (var (property, oldSchema) in oldProperties)
        {
            var at = $"{pointer}/properties/{SchemaDocument.Escape(property)}";
            if (newProperties.TryGetPropertyValue(property, out var newSchema))
            {
                Compare(oldSchema, newSchema, at, Child(name, property));
            }
            else if (IsFalse(newExtra))
            {
                Reason(at, $"property '{Child(name, property)}' was removed while additionalProperties is false");
            }
            else if (newExtra is JsonObject)
            {
                // The property's values must now meet the schema of additional properties.
                Compare(oldSchema, newExtra, $"{pointer}/additionalProperties", Child(name, property));
            }
        }
        foreach (var (property, newSchema) in newProperties.Where(p => !oldProperties.ContainsKey(p.Key)))
        {
            // A new property where the old version allowed any extra key is accepted by this check: whether stored
            // entities already use that key otherwise is what the check of stored entities finds. Where the old
            // version constrained extra keys, the new property must accept what that schema did.
            if (oldExtra is JsonObject)
            {
                Compare(oldExtra, newSchema, $"{pointer}/properties/{SchemaDocument.Escape(property)}", Child(name, property));
            }
        }
    }

    private void CompareItems(JsonObject old, JsonObject @new, string pointer, string name)
    {
        var newItems = @new["items"];
        if (newItems is null)
        {
            return;
        }
        if (newItems is JsonArray || old["items"] is JsonArray)
        {
            if (!JsonNode.DeepEquals(old["items"], newItems))
            {
                Reason($"{pointer}/items", $"{Of("items", name)} (a tuple) was changed; Cairn cannot prove such a change compatible");
            }
            return;
        }
        Compare(old["items"] ?? JsonValue.Create(true), newItems, $"{pointer}/items", name + "[]");
    }

    /// <summary>The schema a <c>$ref</c> points to (siblings of <c>$ref</c> are ignored, as drafts 4 to 7 say).</summary>
    private static JsonNode? Follow(JsonObject root, JsonNode? node)
    {
        for (var hops = 0; hops < 32 && node is JsonObject o && o["$ref"] is JsonValue r && r.GetValueKind() == JsonValueKind.String; hops++)
        {
            node = SchemaDocument.Resolve(root, r.GetValue<string>());
        }
        return node;
    }

    private static string TypeOf(JsonNode? value) => value?.GetValueKind() switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => value.AsValue().TryGetValue<decimal>(out var n) && n % 1 == 0 ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        _ => "null",
    };

    // Exact where decimal reaches; beyond it (1e300) a double is precise enough to order two bounds.
    private static double Numeric(JsonNode value) =>
        value.AsValue().TryGetValue<decimal>(out var exact) ? (double)exact : value.GetValue<double>();

    private static bool IsFalse(JsonNode? node) => node?.GetValueKind() == JsonValueKind.False;

    private static List<string>? Types(JsonObject schema) => schema["type"] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
        JsonArray a => a.Select(n => (string)n!).ToList(),
        _ => null,
    };

    private static HashSet<string> Names(JsonNode? required) =>
        required is JsonArray a ? a.Select(n => (string)n!).ToHashSet(StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal);

    private static string Show(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? $"'{v.GetValue<string>()}'" : value?.ToJsonString() ?? "null";

    private sealed class PairComparer : IEqualityComparer<(JsonNode?, JsonNode?)>
    {
        public bool Equals((JsonNode?, JsonNode?) x, (JsonNode?, JsonNode?) y) => ReferenceEquals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2);

        public int GetHashCode((JsonNode?, JsonNode?) obj) =>
            HashCode.Combine(obj.Item1 is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item1),
                obj.Item2 is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item2));
    }
}
