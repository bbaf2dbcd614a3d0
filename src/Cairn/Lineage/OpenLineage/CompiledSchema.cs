using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Lineage.OpenLineage;

/// <summary>
/// A set of JSON Schema documents (draft 2020-12) compiled for the keywords OpenLineage's published schemas use, so that
/// an event is checked by walking its parsed document (<see cref="JsonElement"/>) once, without building an evaluation tree: a general validator spent
/// 200-600 µs on a typical Spark event, and ingestion has well under 40. <c>format</c> is an annotation, as 2020-12
/// defines it, and is not checked; a keyword outside the supported set fails the load, so that an updated schema is
/// never half-checked in silence. References resolve within the set by <c>$id</c>: nothing is fetched.
/// </summary>
internal sealed class SchemaSet
{
    // Keywords that say nothing about validity (format included: 2020-12 makes it an annotation).
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "$schema", "$id", "$defs", "definitions", "$comment", "description", "example", "examples", "format", "deprecated", "title", "default",
    };

    private readonly Dictionary<string, JsonObject> _documents = new(StringComparer.Ordinal);
    private readonly Dictionary<JsonNode, SchemaNode> _compiled = new(ReferenceEqualityComparer.Instance);

    /// <summary>Adds a document under its <c>$id</c> (or <paramref name="id"/> when given, for a modified copy).</summary>
    public void Add(JsonObject document, string? id = null) =>
        _documents[id ?? (string?)document["$id"] ?? throw new InvalidOperationException("A schema document needs an $id.")] = document;

    /// <summary>The compiled schema at <paramref name="uri"/>: a document's <c>$id</c>, with a JSON pointer fragment or none.</summary>
    public SchemaNode Get(string uri)
    {
        lock (_compiled)
        {
            var (document, target) = Resolve(uri, null);
            return Compile(target, document);
        }
    }

    private (string Document, JsonObject Target) Resolve(string reference, string? current)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var documentId = hash < 0 ? reference : reference[..hash];
        var pointer = hash < 0 ? "" : reference[(hash + 1)..];
        if (documentId.Length == 0)
        {
            documentId = current ?? throw new InvalidOperationException($"A relative reference '{reference}' outside a document.");
        }
        if (!_documents.TryGetValue(documentId, out var document))
        {
            throw new InvalidOperationException($"The schema '{documentId}' is not vendored.");
        }
        JsonNode target = document;
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var key = Uri.UnescapeDataString(segment).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            target = (target as JsonObject)?[key] ?? throw new InvalidOperationException($"The reference '{reference}' points nowhere.");
        }
        return (documentId, target as JsonObject ?? throw new InvalidOperationException($"The reference '{reference}' is not a schema object."));
    }

    private SchemaNode Compile(JsonNode? schema, string document)
    {
        if (schema is JsonValue boolean && boolean.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return boolean.GetValue<bool>() ? SchemaNode.Anything : SchemaNode.Nothing;
        }
        var json = schema as JsonObject ?? throw new InvalidOperationException($"A schema must be an object or a boolean; got {schema?.ToJsonString() ?? "null"}.");
        if (_compiled.TryGetValue(json, out var known))
        {
            return known;
        }
        // Registered before its children compile, so that a recursive reference finds it.
        var node = new SchemaNode();
        _compiled[json] = node;
        foreach (var (keyword, value) in json)
        {
            switch (keyword)
            {
                case "type":
                    node.Types = value is JsonArray types ? types.Aggregate(Kinds.None, (all, t) => all | KindOf((string)t!)) : KindOf((string)value!);
                    break;
                case "properties":
                    node.Properties = ((JsonObject)value!).ToDictionary(p => p.Key, p => Compile(p.Value, document), StringComparer.Ordinal);
                    break;
                case "required":
                    node.Required = value!.AsArray().Select(r => (string)r!).ToArray();
                    break;
                case "additionalProperties":
                    node.Additional = Compile(value!, document);
                    break;
                case "items":
                    node.Items = Compile(value!, document);
                    break;
                case "allOf":
                    node.AllOf = value!.AsArray().Select(s => Compile(s, document)).ToArray();
                    break;
                case "anyOf":
                    node.AnyOf = value!.AsArray().Select(s => Compile(s, document)).ToArray();
                    break;
                case "oneOf":
                    node.OneOf = value!.AsArray().Select(s => Compile(s, document)).ToArray();
                    break;
                case "not":
                    node.Not = Compile(value!, document);
                    break;
                case "enum":
                    node.Enum = value!.AsArray().Select(e => JsonSerializer.SerializeToElement(e)).ToArray();
                    node.EnumStrings = node.Enum.All(e => e.ValueKind == JsonValueKind.String) ? node.Enum.Select(e => e.GetString()!).ToArray() : null;
                    break;
                case "minimum":
                    node.Minimum = (double)value!;
                    break;
                case "$ref":
                    var reference = (string)value!;
                    if (reference.StartsWith("facets/", StringComparison.Ordinal))
                    {
                        // Event schemas 1-0-4 to 2-0-1 list facet files by a relative path that resolves to no published
                        // document (…/spec/1-0-4/facets/…), always as an alternative to the generic facet in an anyOf:
                        // matching nothing, they leave the generic facet's rule, which is what the spec means.
                        node.Ref = SchemaNode.Nothing;
                        break;
                    }
                    var (target, at) = Resolve(reference, document);
                    node.Ref = Compile(at, target);
                    break;
                default:
                    if (!Annotations.Contains(keyword))
                    {
                        throw new InvalidOperationException($"The schema keyword '{keyword}' is not supported by Cairn's OpenLineage validator.");
                    }
                    break;
            }
        }
        return node;
    }

    private static Kinds KindOf(string type) => type switch
    {
        "object" => Kinds.Object,
        "array" => Kinds.Array,
        "string" => Kinds.String,
        "number" => Kinds.Number | Kinds.Integer,
        "integer" => Kinds.Integer,
        "boolean" => Kinds.Boolean,
        "null" => Kinds.Null,
        _ => throw new InvalidOperationException($"The schema type '{type}' is not a JSON Schema type."),
    };
}

[Flags]
internal enum Kinds
{
    None = 0,
    Object = 1,
    Array = 2,
    String = 4,
    Number = 8,
    Integer = 16,
    Boolean = 32,
    Null = 64,
}

/// <summary>One compiled schema object; <see cref="Check"/> says whether a value meets it, and why not.</summary>
internal sealed class SchemaNode
{
    public static readonly SchemaNode Anything = new();
    public static readonly SchemaNode Nothing = new() { Types = Kinds.None, RejectsAll = true };

    public Kinds Types { get; set; }
    public bool RejectsAll { get; init; }
    public Dictionary<string, SchemaNode>? Properties { get; set; }
    public string[] Required { get; set; } = [];
    public SchemaNode? Additional { get; set; }
    public SchemaNode? Items { get; set; }
    public SchemaNode[] AllOf { get; set; } = [];
    public SchemaNode[] AnyOf { get; set; } = [];
    public SchemaNode[] OneOf { get; set; } = [];
    public SchemaNode? Not { get; set; }
    public JsonElement[]? Enum { get; set; }

    /// <summary>The enum's values when they are all strings, as OpenLineage's are: compared in place, without a deep comparison or a string per value.</summary>
    public string[]? EnumStrings { get; set; }
    public double? Minimum { get; set; }
    public SchemaNode? Ref { get; set; }

    /// <summary>
    /// Whether <paramref name="value"/> meets this schema. With <paramref name="errors"/> every violation is added there,
    /// at its path; without, the check stops at the first.
    /// </summary>
    public bool Check(JsonElement value, SchemaPath path, List<ErrorDetail>? errors)
    {
        if (RejectsAll)
        {
            return Fail(errors, path, "is not allowed here");
        }
        var valid = true;
        var kind = value.ValueKind;
        if (Types != Kinds.None && (Types & KindOf(value)) == 0)
        {
            // Nothing more can be said of a value of the wrong type.
            return Fail(errors, path, TypeMessage(Types));
        }
        if (Enum is { } allowed && !(kind == JsonValueKind.String && EnumStrings is { } strings ? IsOneOf(value, strings) : Allows(allowed, value)))
        {
            valid = Fail(errors, path, "must be one of " + string.Join(", ", allowed.Select(a => a.ValueKind == JsonValueKind.String ? a.GetString() : a.GetRawText())));
        }
        if (Minimum is { } minimum && kind == JsonValueKind.Number && NumberOf(value) < minimum)
        {
            valid = Fail(errors, path, $"must be at least {minimum.ToString(CultureInfo.InvariantCulture)}");
        }
        if (kind == JsonValueKind.Object)
        {
            foreach (var name in Required)
            {
                if (!value.TryGetProperty(name, out _))
                {
                    path.Push(name);
                    valid = Fail(errors, path, "is required");
                    path.Pop();
                }
                if (!valid && errors is null)
                {
                    return false;
                }
            }
            if (Properties is not null || Additional is not null)
            {
                foreach (var property in value.EnumerateObject())
                {
                    var name = property.Name;
                    var schema = Properties is not null && Properties.TryGetValue(name, out var declared) ? declared : Additional;
                    if (schema is null)
                    {
                        continue;
                    }
                    path.Push(name);
                    valid &= schema.Check(property.Value, path, errors);
                    path.Pop();
                    if (!valid && errors is null)
                    {
                        return false;
                    }
                }
            }
        }
        if (Items is not null && kind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                path.Push(i++);
                valid &= Items.Check(item, path, errors);
                path.Pop();
                if (!valid && errors is null)
                {
                    return false;
                }
            }
        }
        if (Ref is not null)
        {
            valid &= Ref.Check(value, path, errors);
        }
        foreach (var all in AllOf)
        {
            valid &= all.Check(value, path, errors);
        }
        if (AnyOf.Length == 1)
        {
            // OpenLineage wraps facet maps in an anyOf of one shape: its own errors say more than "none matched".
            valid &= AnyOf[0].Check(value, path, errors);
        }
        else if (AnyOf.Length > 1 && !AnyOf.Any(any => any.Check(value, path, null)))
        {
            valid = Fail(errors, path, "matches none of the shapes the schema allows");
        }
        if (OneOf.Length == 1)
        {
            valid &= OneOf[0].Check(value, path, errors);
        }
        else if (OneOf.Length > 1)
        {
            var matches = OneOf.Count(one => one.Check(value, path, null));
            if (matches != 1)
            {
                valid = Fail(errors, path, matches == 0 ? "matches none of the shapes the schema allows" : "matches more than one of the shapes the schema allows");
            }
        }
        if (Not is not null && Not.Check(value, path, null))
        {
            valid = Fail(errors, path, "matches a shape the schema excludes");
        }
        return valid;
    }

    private static bool IsOneOf(JsonElement value, string[] strings)
    {
        foreach (var allowed in strings)
        {
            if (value.ValueEquals(allowed))
            {
                return true;
            }
        }
        return false;
    }

    private static bool Allows(JsonElement[] allowed, JsonElement value)
    {
        foreach (var one in allowed)
        {
            if (JsonElement.DeepEquals(one, value))
            {
                return true;
            }
        }
        return false;
    }

    private static bool Fail(List<ErrorDetail>? errors, SchemaPath path, string message)
    {
        errors?.Add(new ErrorDetail(path.ToString(), message));
        return false;
    }

    /// <summary>A number's value as a double; beyond double's range (1e400) it is infinite, as its sign says.</summary>
    internal static double NumberOf(JsonElement number) =>
        number.TryGetDouble(out var value) ? value : double.Parse(number.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static Kinds KindOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => Kinds.Object,
        JsonValueKind.Array => Kinds.Array,
        JsonValueKind.String => Kinds.String,
        // 2020-12: a number with a zero fractional part is an integer (1.0, and 123456789012345678901234567890); beyond
        // double (1e400) it is still a number.
        JsonValueKind.Number => value.TryGetInt64(out _) || NumberOf(value) is var d && double.IsFinite(d) && Math.Floor(d) == d ? Kinds.Integer : Kinds.Number,
        JsonValueKind.True or JsonValueKind.False => Kinds.Boolean,
        JsonValueKind.Null => Kinds.Null,
        _ => Kinds.String,
    };

    private static string TypeMessage(Kinds types) => types switch
    {
        Kinds.Object => "must be an object",
        Kinds.Array => "must be an array",
        Kinds.String => "must be a string",
        Kinds.Integer => "must be an integer",
        Kinds.Number | Kinds.Integer => "must be a number",
        Kinds.Boolean => "must be true or false",
        Kinds.Null => "must be null",
        _ => "must be one of the types " + types.ToString().ToLowerInvariant(),
    };
}

/// <summary>Where a check is in a document, written as OpenLineage users read it: <c>outputs[0].facets.schema.fields[1].name</c>.</summary>
internal sealed class SchemaPath(string prefix = "")
{
    private readonly List<(string? Name, int Index)> _segments = [];

    public void Push(string name) => _segments.Add((name, -1));

    public void Push(int index) => _segments.Add((null, index));

    public void Pop() => _segments.RemoveAt(_segments.Count - 1);

    public override string ToString()
    {
        var text = new System.Text.StringBuilder(prefix);
        foreach (var (name, index) in _segments)
        {
            if (name is null)
            {
                text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                if (text.Length > 0)
                {
                    text.Append('.');
                }
                text.Append(name);
            }
        }
        return text.ToString();
    }
}
