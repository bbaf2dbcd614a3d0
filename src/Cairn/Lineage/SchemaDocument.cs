using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Cairn.Lineage;

/// <summary>
/// A custom metadata schema as a document: checked for the keywords Cairn enforces (JSON Schema drafts 4 to 7, with
/// draft 2020-12's <c>$defs</c> read as <c>definitions</c>), normalised for NJsonSchema, compiled, and used to validate
/// an entity's properties into JSON-pointer error paths.
/// </summary>
internal static class SchemaDocument
{
    /// <summary>The largest schema document accepted, in UTF-8 bytes.</summary>
    public const int MaxBytes = 256 * 1024;

    private static readonly HashSet<string> TypeNames = new(StringComparer.Ordinal) { "object", "array", "string", "integer", "number", "boolean", "null" };

    // Keywords NJsonSchema's validator does not enforce: a schema that relies on them would let violating writes pass,
    // so it is refused rather than half-applied.
    private static readonly HashSet<string> Unenforced = new(StringComparer.Ordinal)
    {
        "if", "then", "else", "contains", "minContains", "maxContains", "propertyNames", "dependencies", "dependentRequired",
        "dependentSchemas", "prefixItems", "unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$dynamicAnchor",
        "$recursiveRef", "$recursiveAnchor", "$anchor",
    };

    private static readonly string[] NonNegativeIntegers = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"];

    private static readonly string[] Numbers = ["minimum", "maximum", "multipleOf"];

    /// <summary>Every reason <paramref name="document"/> is not a usable schema for entity properties; empty when it is.</summary>
    public static IReadOnlyList<ErrorDetail> Check(JsonNode? document)
    {
        var errors = new List<ErrorDetail>();
        if (document is not JsonObject root)
        {
            errors.Add(new ErrorDetail("", "a metadata schema must be a JSON object"));
            return errors;
        }
        if (root["type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String || type.GetValue<string>() != "object")
        {
            errors.Add(new ErrorDetail("/type", "the top level must declare \"type\": \"object\": an entity's properties are a JSON object"));
        }
        if (root.ContainsKey("$defs") && root.ContainsKey("definitions"))
        {
            errors.Add(new ErrorDetail("/$defs", "use either $defs or definitions, not both"));
        }
        CheckSchema(root, "", root, errors);
        return errors;
    }

    private static void CheckSchema(JsonNode? node, string pointer, JsonObject root, List<ErrorDetail> errors)
    {
        if (node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return;
        }
        if (node is not JsonObject schema)
        {
            errors.Add(new ErrorDetail(pointer, "a schema must be a JSON object or a boolean"));
            return;
        }
        foreach (var (key, child) in schema)
        {
            var at = $"{pointer}/{Escape(key)}";
            if (Unenforced.Contains(key))
            {
                errors.Add(new ErrorDetail(at, $"'{key}' is not enforced by Cairn's validator (JSON Schema drafts 4 to 7, plus $defs); express the rule without it"));
                continue;
            }
            switch (key)
            {
                case "type":
                    CheckType(child, at, errors);
                    break;
                case "properties" or "patternProperties" or "definitions" or "$defs":
                    if (child is not JsonObject map)
                    {
                        errors.Add(new ErrorDetail(at, $"'{key}' must be an object of schemas"));
                        break;
                    }
                    foreach (var (name, sub) in map)
                    {
                        if (key == "patternProperties" && LinearRegex(name, out var keyReason) is null)
                        {
                            errors.Add(new ErrorDetail($"{at}/{Escape(name)}", $"'{name}' {keyReason}"));
                        }
                        CheckSchema(sub, $"{at}/{Escape(name)}", root, errors);
                    }
                    break;
                case "additionalProperties" or "additionalItems" or "not":
                    CheckSchema(child, at, root, errors);
                    break;
                case "items":
                    if (child is JsonArray tuple)
                    {
                        for (var i = 0; i < tuple.Count; i++)
                        {
                            CheckSchema(tuple[i], $"{at}/{i}", root, errors);
                        }
                    }
                    else
                    {
                        CheckSchema(child, at, root, errors);
                    }
                    break;
                case "allOf" or "anyOf" or "oneOf":
                    if (child is not JsonArray { Count: > 0 } all)
                    {
                        errors.Add(new ErrorDetail(at, $"'{key}' must be a non-empty array of schemas"));
                        break;
                    }
                    for (var i = 0; i < all.Count; i++)
                    {
                        CheckSchema(all[i], $"{at}/{i}", root, errors);
                    }
                    break;
                case "required":
                    if (child is not JsonArray names || names.Any(n => n is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                        || names.Select(n => (string)n!).Distinct(StringComparer.Ordinal).Count() != names.Count)
                    {
                        errors.Add(new ErrorDetail(at, "'required' must be an array of distinct property names"));
                    }
                    break;
                case "enum":
                    if (child is not JsonArray { Count: > 0 })
                    {
                        errors.Add(new ErrorDetail(at, "'enum' must be a non-empty array"));
                    }
                    break;
                case "exclusiveMinimum" or "exclusiveMaximum":
                    if (child is not JsonValue ex || ex.GetValueKind() is not (JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
                    {
                        errors.Add(new ErrorDetail(at, $"'{key}' must be a number (or, as in draft 4, a boolean)"));
                    }
                    break;
                case "pattern":
                    if (child is not JsonValue p || p.GetValueKind() != JsonValueKind.String)
                    {
                        errors.Add(new ErrorDetail(at, "'pattern' must be a string holding a regular expression"));
                    }
                    else if (LinearRegex(p.GetValue<string>(), out var reason) is null)
                    {
                        errors.Add(new ErrorDetail(at, $"'pattern' {reason}"));
                    }
                    break;
                case "format":
                    if (child is not JsonValue f || f.GetValueKind() != JsonValueKind.String)
                    {
                        errors.Add(new ErrorDetail(at, "'format' must be a string"));
                    }
                    break;
                case "uniqueItems":
                    if (child is not JsonValue u || u.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        errors.Add(new ErrorDetail(at, "'uniqueItems' must be a boolean"));
                    }
                    break;
                case "$ref":
                    CheckReference(child, at, root, errors);
                    break;
                default:
                    if (NonNegativeIntegers.Contains(key) && !(child is JsonValue n && n.GetValueKind() == JsonValueKind.Number && n.TryGetValue<long>(out var count) && count >= 0))
                    {
                        errors.Add(new ErrorDetail(at, $"'{key}' must be a non-negative integer"));
                    }
                    else if (Numbers.Contains(key) && !(child is JsonValue number && number.GetValueKind() == JsonValueKind.Number))
                    {
                        errors.Add(new ErrorDetail(at, $"'{key}' must be a number"));
                    }
                    else if (key == "multipleOf" && !(child!.AsValue().TryGetValue<double>(out var step) && step > 0 && double.IsFinite(step)))
                    {
                        errors.Add(new ErrorDetail(at, "'multipleOf' must be greater than 0"));
                    }
                    // Any other keyword is an annotation (title, description, default, examples…) or unknown, which
                    // JSON Schema ignores.
                    break;
            }
        }
        if (Number(schema, "minimum") is { } min && Number(schema, "maximum") is { } max && min > max)
        {
            errors.Add(new ErrorDetail($"{pointer}/minimum", $"minimum {min.ToString(CultureInfo.InvariantCulture)} is above maximum {max.ToString(CultureInfo.InvariantCulture)}: no value could pass"));
        }
        if (Number(schema, "minLength") is { } shortest && Number(schema, "maxLength") is { } longest && shortest > longest)
        {
            errors.Add(new ErrorDetail($"{pointer}/minLength", "minLength is above maxLength: no value could pass"));
        }
    }

    private static void CheckType(JsonNode? type, string at, List<ErrorDetail> errors)
    {
        var names = type switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
            JsonArray { Count: > 0 } a when a.All(n => n is JsonValue s && s.GetValueKind() == JsonValueKind.String) => a.Select(n => (string)n!).ToList(),
            _ => null,
        };
        if (names is null)
        {
            errors.Add(new ErrorDetail(at, "'type' must be a type name or a non-empty array of them"));
            return;
        }
        foreach (var name in names.Where(n => !TypeNames.Contains(n)))
        {
            errors.Add(new ErrorDetail(at, $"'{name}' is not a JSON Schema type: use object, array, string, integer, number, boolean or null"));
        }
    }

    private static void CheckReference(JsonNode? reference, string at, JsonObject root, List<ErrorDetail> errors)
    {
        // Only references inside the document: NJsonSchema would fetch any other URL or file, from the server.
        if (reference is not JsonValue v || v.GetValueKind() != JsonValueKind.String || !v.GetValue<string>().StartsWith('#'))
        {
            errors.Add(new ErrorDetail(at, "'$ref' must point inside this document (#/definitions/… or #/$defs/…)"));
            return;
        }
        if (Resolve(root, v.GetValue<string>()) is null)
        {
            errors.Add(new ErrorDetail(at, $"'$ref' {v.GetValue<string>()} points at nothing in this document"));
        }
    }

    /// <summary>The node a local reference (<c>#</c>, <c>#/definitions/x</c>) names in <paramref name="root"/>, or null.</summary>
    public static JsonNode? Resolve(JsonObject root, string reference)
    {
        if (reference == "#")
        {
            return root;
        }
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }
        JsonNode? at = root;
        foreach (var raw in reference[2..].Split('/'))
        {
            var part = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            at = at switch
            {
                JsonObject o => o.TryGetPropertyValue(part, out var next) ? next : null,
                JsonArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => null,
            };
            if (at is null)
            {
                return null;
            }
        }
        return at;
    }

    /// <summary>
    /// The document as NJsonSchema reads it: <c>$defs</c> renamed <c>definitions</c> (and references to them
    /// rewritten), <c>const</c> as a one-value <c>enum</c>. Works on a copy.
    /// </summary>
    public static JsonObject Normalise(JsonObject document)
    {
        var copy = (JsonObject)document.DeepClone();
        NormaliseSchema(copy);
        return copy;
    }

    private static void NormaliseSchema(JsonNode? node)
    {
        if (node is not JsonObject schema)
        {
            return;
        }
        if (schema.ContainsKey("$defs") && !schema.ContainsKey("definitions"))
        {
            var defs = schema["$defs"];
            schema.Remove("$defs");
            schema["definitions"] = defs;
        }
        if (schema["$ref"] is JsonValue r && r.GetValueKind() == JsonValueKind.String && r.GetValue<string>().StartsWith("#/$defs/", StringComparison.Ordinal))
        {
            schema["$ref"] = "#/definitions/" + r.GetValue<string>()["#/$defs/".Length..];
        }
        if (schema.TryGetPropertyValue("const", out var constant))
        {
            schema.Remove("const");
            if (schema.ContainsKey("enum"))
            {
                var all = schema["allOf"] as JsonArray ?? [];
                all.Add(new JsonObject { ["enum"] = new JsonArray(constant) });
                schema["allOf"] = all;
            }
            else
            {
                schema["enum"] = new JsonArray(constant);
            }
        }
        foreach (var sub in Subschemas(schema).ToList())
        {
            NormaliseSchema(sub);
        }
    }

    /// <summary>The schemas directly inside <paramref name="schema"/>, under the keywords that hold schemas.</summary>
    private static IEnumerable<JsonNode?> Subschemas(JsonObject schema)
    {
        foreach (var (key, child) in schema)
        {
            switch (key)
            {
                case "properties" or "patternProperties" or "definitions" or "$defs" when child is JsonObject map:
                    foreach (var (_, sub) in map)
                    {
                        yield return sub;
                    }
                    break;
                case "items" or "allOf" or "anyOf" or "oneOf" when child is JsonArray list:
                    foreach (var sub in list)
                    {
                        yield return sub;
                    }
                    break;
                case "additionalProperties" or "additionalItems" or "not" or "items":
                    yield return child;
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>
    /// Compiles a normalised document; a document NJsonSchema cannot load is an invalid schema. NJsonSchema runs
    /// <c>pattern</c> and <c>patternProperties</c> with the backtracking engine, so both are taken out of what it sees
    /// (marked by extension keywords it ignores) and applied by <see cref="LinearPatternValidator"/> with linear-time
    /// regular expressions; a pattern property's schema (and its object's additionalProperties, which apply only to
    /// the names no pattern matches) moves to a definition, so that its references still resolve.
    /// </summary>
    public static async Task<CompiledMetadataSchema> CompileAsync(JsonObject normalised, CancellationToken cancellationToken)
    {
        var copy = (JsonObject)normalised.DeepClone();
        var rules = new List<PropertyRules>();
        var regexes = new Dictionary<string, Regex>(StringComparer.Ordinal);
        var moved = new JsonObject();
        TakePatterns(copy, rules, regexes, moved);
        if (moved.Count > 0)
        {
            var definitions = copy["definitions"] as JsonObject ?? [];
            foreach (var (name, schema) in moved.ToList())
            {
                moved.Remove(name);
                definitions[name] = schema;
            }
            copy["definitions"] = definitions;
        }
        try
        {
            var schema = await JsonSchema.FromJsonAsync(copy.ToJsonString(), cancellationToken);
            return new CompiledMetadataSchema(schema, new LinearPatternValidator(schema, regexes, rules));
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or Newtonsoft.Json.JsonException or InvalidOperationException or NotSupportedException or ArgumentException or OverflowException or FormatException)
        {
            throw new InvalidSchemaException($"The schema could not be loaded as a JSON Schema: {ex.Message}", [new ErrorDetail("", ex.Message)]);
        }
    }

    private static void TakePatterns(JsonNode? node, List<PropertyRules> rules, Dictionary<string, Regex> regexes, JsonObject moved)
    {
        if (node is not JsonObject schema)
        {
            return;
        }
        foreach (var sub in Subschemas(schema).ToList())
        {
            TakePatterns(sub, rules, regexes, moved);
        }
        if (schema["pattern"] is JsonValue p && p.GetValueKind() == JsonValueKind.String)
        {
            var pattern = p.GetValue<string>();
            schema.Remove("pattern");
            schema[LinearPatternValidator.PatternKeyword] = pattern;
            regexes.TryAdd(pattern, Compile(pattern));
        }
        if (schema["patternProperties"] is JsonObject patterns)
        {
            schema.Remove("patternProperties");
            var patternRules = new List<(Regex Regex, string Definition)>();
            foreach (var (pattern, sub) in patterns.ToList())
            {
                patterns.Remove(pattern);
                var definition = $"x-cairn-pattern-property-{moved.Count}";
                moved[definition] = sub;
                patternRules.Add((Compile(pattern), definition));
            }
            // additionalProperties: absent or true allows any other name; false refuses it; a schema holds it.
            string? additional = null;
            var allowOthers = true;
            if (schema.TryGetPropertyValue("additionalProperties", out var others))
            {
                schema.Remove("additionalProperties");
                if (others is JsonObject)
                {
                    additional = $"x-cairn-additional-properties-{moved.Count}";
                    moved[additional] = others;
                }
                else
                {
                    allowOthers = others is not JsonValue flag || flag.GetValueKind() != JsonValueKind.False;
                }
            }
            schema[LinearPatternValidator.PropertiesKeyword] = rules.Count.ToString(CultureInfo.InvariantCulture);
            rules.Add(new PropertyRules(patternRules, additional, allowOthers));
        }
    }

    /// <summary>How long a pattern stored before patterns had to run in linear time may take on one value.</summary>
    internal static readonly TimeSpan LegacyMatchTimeout = TimeSpan.FromMilliseconds(50);

    // Check refuses a pattern the linear engine cannot run; one stored before that rule runs with a short match timeout
    // instead (a timeout counts as a mismatch), so that its namespace keeps working and no value can hold a writer long.
    private static Regex Compile(string pattern) =>
        LinearRegex(pattern, out _) ?? new Regex(pattern, RegexOptions.None, LegacyMatchTimeout);

    /// <summary>What is wrong with <paramref name="propertiesJson"/> under <paramref name="schema"/>: one entry per failing place.</summary>
    public static IReadOnlyList<ErrorDetail> Validate(CompiledMetadataSchema schema, string propertiesJson)
    {
        JToken token;
        try
        {
            // Dates stay strings and numbers stay numbers: a schema's "type": "string" must see what the JSON says.
            using var reader = new JsonTextReader(new StringReader(propertiesJson)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Double };
            token = JToken.ReadFrom(reader);
        }
        catch (JsonReaderException ex)
        {
            return [new ErrorDetail("", $"the properties are not valid JSON: {ex.Message}")];
        }
        return Flatten(schema.Validator.Validate(token, schema.Schema))
            .Select(e => new ErrorDetail(Pointer(e), Describe(e)))
            .DistinctBy(e => (e.Path, e.Message))
            .OrderBy(e => e.Path, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// An item or additional property that fails is reported by what fails inside it (<c>/layers/0/units: expected
    /// integer</c>), not as "an item is not valid"; a failed anyOf/oneOf stays one error, as no branch is the right one.
    /// </summary>
    private static IEnumerable<ValidationError> Flatten(IEnumerable<ValidationError> errors)
    {
        foreach (var error in errors)
        {
            if (error is ChildSchemaValidationError child
                && error.Kind is ValidationErrorKind.ArrayItemNotValid or ValidationErrorKind.AdditionalItemNotValid or ValidationErrorKind.AdditionalPropertiesNotValid
                && child.Errors.Values.Any(e => e.Count > 0))
            {
                foreach (var inner in Flatten(child.Errors.Values.SelectMany(e => e)))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return error;
            }
        }
    }

    private static string Pointer(ValidationError error)
    {
        var parts = new List<string>();
        for (var token = error.Token; token is not null; token = token.Parent)
        {
            if (token is JProperty own && token == error.Token)
            {
                parts.Add(own.Name);
            }
            if (token.Parent is JProperty property)
            {
                parts.Add(property.Name);
            }
            else if (token.Parent is JArray array)
            {
                parts.Add(array.IndexOf(token).ToString(CultureInfo.InvariantCulture));
            }
        }
        parts.Reverse();
        // A missing or unexpected property is reported on its object; the path names the property itself.
        if (error.Kind is ValidationErrorKind.PropertyRequired or ValidationErrorKind.NoAdditionalPropertiesAllowed or ValidationErrorKind.AdditionalPropertiesNotValid
            && error.Property is { } name && (parts.Count == 0 || parts[^1] != name))
        {
            parts.Add(name);
        }
        return string.Concat(parts.Select(p => "/" + Escape(p)));
    }

    private static string Describe(ValidationError error)
    {
        var schema = error.Schema;
        return error.Kind switch
        {
            ValidationErrorKind.StringExpected => "expected string",
            ValidationErrorKind.IntegerExpected => "expected integer",
            ValidationErrorKind.NumberExpected => "expected number",
            ValidationErrorKind.BooleanExpected => "expected boolean",
            ValidationErrorKind.ObjectExpected => "expected object",
            ValidationErrorKind.ArrayExpected => "expected array",
            ValidationErrorKind.NullExpected => "expected null",
            ValidationErrorKind.NoTypeValidates => $"expected {TypeList(schema?.Type ?? JsonObjectType.None)}",
            ValidationErrorKind.PropertyRequired => "required property is missing",
            ValidationErrorKind.NoAdditionalPropertiesAllowed => "property is not allowed (additionalProperties is false)",
            ValidationErrorKind.AdditionalPropertiesNotValid => "property does not meet the schema of additional properties",
            ValidationErrorKind.NotInEnumeration => schema is null
                ? "is not one of the allowed values"
                : $"is not one of the allowed values: {string.Join(", ", schema.Enumeration.Select(v => JsonConvert.SerializeObject(v)))}",
            ValidationErrorKind.NumberTooBig or ValidationErrorKind.IntegerTooBig => schema?.ExclusiveMaximum is { } xmax ? $"must be below {Invariant(xmax)}"
                : schema?.Maximum is { } max ? (schema.IsExclusiveMaximum ? $"must be below {Invariant(max)}" : $"must be at most {Invariant(max)}") : "is too large",
            ValidationErrorKind.NumberTooSmall => schema?.ExclusiveMinimum is { } xmin ? $"must be above {Invariant(xmin)}"
                : schema?.Minimum is { } min ? (schema.IsExclusiveMinimum ? $"must be above {Invariant(min)}" : $"must be at least {Invariant(min)}") : "is too small",
            ValidationErrorKind.StringTooShort => $"must be at least {schema?.MinLength} characters long",
            ValidationErrorKind.StringTooLong => $"must be at most {schema?.MaxLength} characters long",
            ValidationErrorKind.PatternMismatch => $"does not match the pattern '{LinearPatternValidator.PatternOf(schema)}'",
            ValidationErrorKind.TooManyItems => $"must have at most {schema?.MaxItems} items",
            ValidationErrorKind.TooFewItems => $"must have at least {schema?.MinItems} items",
            ValidationErrorKind.ItemsNotUnique => "items must be unique",
            ValidationErrorKind.TooManyProperties => $"must have at most {schema?.MaxProperties} properties",
            ValidationErrorKind.TooFewProperties => $"must have at least {schema?.MinProperties} properties",
            ValidationErrorKind.NumberNotMultipleOf or ValidationErrorKind.IntegerNotMultipleOf => $"must be a multiple of {schema?.MultipleOf?.ToString(CultureInfo.InvariantCulture)}",
            ValidationErrorKind.NotAnyOf => "matches none of the schemas of anyOf",
            ValidationErrorKind.NotAllOf => "does not match every schema of allOf",
            ValidationErrorKind.NotOneOf => "does not match exactly one schema of oneOf",
            ValidationErrorKind.ExcludedSchemaValidates => "matches the schema of 'not'",
            ValidationErrorKind.TooManyItemsInTuple => "has more items than the tuple allows",
            ValidationErrorKind.ArrayItemNotValid or ValidationErrorKind.AdditionalItemNotValid => "an item does not meet the schema of items",
            ValidationErrorKind.DateTimeExpected or ValidationErrorKind.DateExpected or ValidationErrorKind.TimeExpected or ValidationErrorKind.TimeSpanExpected
                or ValidationErrorKind.UriExpected or ValidationErrorKind.IpV4Expected or ValidationErrorKind.IpV6Expected or ValidationErrorKind.GuidExpected
                or ValidationErrorKind.EmailExpected or ValidationErrorKind.HostnameExpected or ValidationErrorKind.Base64Expected or ValidationErrorKind.UuidExpected
                => $"is not a valid '{schema?.Format}' string",
            _ => error.Kind.ToString(),
        };
    }

    private static string TypeList(JsonObjectType type)
    {
        var names = Enum.GetValues<JsonObjectType>()
            .Where(t => t != JsonObjectType.None && t != JsonObjectType.File && type.HasFlag(t))
            .Select(t => t.ToString().ToLowerInvariant())
            .ToList();
        return names.Count == 0 ? "another type" : string.Join(" or ", names);
    }

    private static string Invariant(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static double? Number(JsonObject schema, string key) =>
        schema[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) ? d : null;

    /// <summary>
    /// <paramref name="pattern"/> compiled for .NET's linear-time engine, or null with the reason it cannot be. A schema
    /// is caller input run against other callers' values on every write: a backtracking engine lets a pattern such as
    /// <c>^(a+)+$</c> take exponential time, so only patterns the non-backtracking engine accepts are allowed.
    /// </summary>
    internal static Regex? LinearRegex(string pattern, out string? reason)
    {
        try
        {
            reason = null;
            return new Regex(pattern, RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException ex)
        {
            reason = "must be a regular expression Cairn can match in linear time (no backreferences, lookarounds, atomic groups or conditionals): " + ex.Message;
        }
        catch (ArgumentException ex)
        {
            reason = "must be a valid regular expression: " + ex.Message;
        }
        return null;
    }

    /// <summary>A JSON-pointer segment: <c>~</c> and <c>/</c> escaped (RFC 6901).</summary>
    public static string Escape(string segment) => segment.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}

/// <summary>A schema as compiled for validation: NJsonSchema's model, and the validator that applies its patterns.</summary>
internal sealed record CompiledMetadataSchema(JsonSchema Schema, LinearPatternValidator Validator);

/// <summary>The patternProperties of one object schema: each pattern with the definition holding its schema, then what other names meet.</summary>
internal sealed record PropertyRules(IReadOnlyList<(Regex Regex, string Definition)> Patterns, string? Additional, bool AllowOthers);

/// <summary>
/// NJsonSchema's validator with <c>pattern</c> and <c>patternProperties</c> applied here, by linear-time regular
/// expressions: <see cref="SchemaDocument.CompileAsync"/> moved them into extension keywords NJsonSchema ignores.
/// Every schema NJsonSchema applies (properties, items, allOf/anyOf/oneOf/not branches) passes through
/// <see cref="Validate(JToken, JsonSchema, SchemaType, string, string)"/>, so the patterns hold wherever they stand.
/// </summary>
internal sealed class LinearPatternValidator(JsonSchema root, IReadOnlyDictionary<string, Regex> regexes, IReadOnlyList<PropertyRules> rules) : JsonSchemaValidator
{
    public const string PatternKeyword = "x-cairn-pattern";
    public const string PropertiesKeyword = "x-cairn-pattern-properties";

    /// <summary>The pattern a failing schema held, for the message.</summary>
    public static string? PatternOf(JsonSchema? schema) =>
        schema?.Pattern ?? (schema?.ExtensionData?.TryGetValue(PatternKeyword, out var pattern) == true ? Convert.ToString(pattern, CultureInfo.InvariantCulture) : null);

    protected override ICollection<ValidationError> Validate(JToken token, JsonSchema schema, SchemaType schemaType, string? propertyName, string propertyPath)
    {
        var errors = base.Validate(token, schema, schemaType, propertyName, propertyPath);
        if (schema.ExtensionData is not { Count: > 0 } extension)
        {
            return errors;
        }
        if (token.Type == JTokenType.String && PatternOf(schema) is { } pattern && regexes.TryGetValue(pattern, out var regex) && !Matches(regex, token.Value<string>()!))
        {
            errors.Add(new ValidationError(ValidationErrorKind.PatternMismatch, propertyName, propertyPath, token, schema));
        }
        if (token is JObject obj && extension.TryGetValue(PropertiesKeyword, out var index)
            && int.TryParse(Convert.ToString(index, CultureInfo.InvariantCulture), NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < rules.Count)
        {
            ValidatePatternProperties(obj, schema, schemaType, rules[i], errors);
        }
        return errors;
    }

    private static bool Matches(Regex regex, string value)
    {
        try
        {
            return regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    // As NJsonSchema applies them: a name the schema's properties do not list meets the first pattern it matches, or
    // else additionalProperties.
    private void ValidatePatternProperties(JObject obj, JsonSchema schema, SchemaType schemaType, PropertyRules rule, ICollection<ValidationError> errors)
    {
        foreach (var property in obj.Properties())
        {
            if (schema.Properties.ContainsKey(property.Name))
            {
                continue;
            }
            var definition = rule.Patterns.FirstOrDefault(p => Matches(p.Regex, property.Name)).Definition ?? rule.Additional;
            if (definition is not null)
            {
                var child = root.Definitions[definition];
                var childErrors = Validate(property.Value, child.ActualSchema, schemaType, null, property.Path);
                if (childErrors.Count > 0)
                {
                    errors.Add(new ChildSchemaValidationError(ValidationErrorKind.AdditionalPropertiesNotValid, property.Name, property.Path,
                        new Dictionary<JsonSchema, ICollection<ValidationError>> { [child] = childErrors }, property.Value, child));
                }
            }
            else if (!rule.AllowOthers)
            {
                errors.Add(new ValidationError(ValidationErrorKind.NoAdditionalPropertiesAllowed, property.Name, property.Path, property, schema));
            }
        }
    }
}
