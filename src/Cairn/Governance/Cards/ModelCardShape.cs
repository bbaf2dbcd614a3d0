using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Governance.Cards;

/// <summary>
/// The shape people-written sections must have: the Model Card Toolkit v0.0.2 schema's objects (each field a string, a
/// list of strings, or an object of a named kind), closed at every level so that a misspelt field is refused rather
/// than lost, plus Cairn's <c>intended_uses</c>. Strings and lists are bounded. Checked before the write lock, naming
/// the path of the first thing wrong.
/// </summary>
internal static class ModelCardShape
{
    /// <summary>Items in one list of a card.</summary>
    internal const int MaxListItems = 1000;

    /// <summary>Characters of a graphic's base64 image (about 3 MB of PNG).</summary>
    internal const int MaxImageLength = 4 * 1024 * 1024;

    private abstract record Field;

    private sealed record Text(TextKind Kind = TextKind.Plain) : Field;

    private sealed record Many(Field Item) : Field;

    private sealed record Shape(string Kind) : Field;

    private enum TextKind
    {
        Plain,
        Uri,
        Date,
        Image,
    }

    private static readonly Text S = new();

    private static readonly Dictionary<string, Dictionary<string, Field>> Kinds = new(StringComparer.Ordinal)
    {
        [ModelCardSections.ModelDetails] = new()
        {
            ["name"] = S,
            ["overview"] = S,
            ["documentation"] = S,
            ["owners"] = new Many(new Shape("owner")),
            ["version"] = new Shape("version"),
            ["licenses"] = new Many(new Shape("license")),
            ["references"] = new Many(new Shape("reference")),
            ["citations"] = new Many(new Shape("citation")),
            ["path"] = S,
        },
        [ModelCardSections.ModelParameters] = new()
        {
            ["model_architecture"] = S,
            ["data"] = new Many(new Shape("dataset")),
            ["input_format"] = S,
            ["input_format_map"] = new Many(new Shape("keyval")),
            ["output_format"] = S,
            ["output_format_map"] = new Many(new Shape("keyval")),
        },
        [ModelCardSections.QuantitativeAnalysis] = new()
        {
            ["performance_metrics"] = new Many(new Shape("performance_metric")),
            ["graphics"] = new Shape("graphics_collection"),
        },
        [ModelCardSections.Considerations] = new()
        {
            ["users"] = new Many(new Shape("description")),
            ["use_cases"] = new Many(new Shape("description")),
            ["limitations"] = new Many(new Shape("description")),
            ["tradeoffs"] = new Many(new Shape("description")),
            ["ethical_considerations"] = new Many(new Shape("risk")),
        },
        [ModelCardSections.IntendedUses] = new()
        {
            ["primary_uses"] = new Many(S),
            ["primary_users"] = new Many(S),
            ["out_of_scope_uses"] = new Many(S),
        },
        ["owner"] = new() { ["name"] = S, ["contact"] = S },
        ["version"] = new() { ["name"] = S, ["date"] = new Text(TextKind.Date), ["diff"] = S },
        ["license"] = new() { ["identifier"] = S, ["custom_text"] = S },
        ["reference"] = new() { ["reference"] = new Text(TextKind.Uri) },
        ["citation"] = new() { ["style"] = S, ["citation"] = S },
        ["keyval"] = new() { ["key"] = S, ["value"] = S },
        ["dataset"] = new()
        {
            ["name"] = S,
            ["link"] = new Text(TextKind.Uri),
            ["sensitive"] = new Shape("sensitive_data"),
            ["graphics"] = new Shape("graphics_collection"),
            ["description"] = S,
        },
        ["sensitive_data"] = new() { ["sensitive_data"] = new Many(S) },
        ["graphics_collection"] = new() { ["description"] = S, ["collection"] = new Many(new Shape("graphic")) },
        ["graphic"] = new() { ["name"] = S, ["image"] = new Text(TextKind.Image) },
        ["performance_metric"] = new()
        {
            ["type"] = S,
            ["value"] = S,
            ["slice"] = S,
            ["confidence_interval"] = new Shape("confidence_interval"),
        },
        ["confidence_interval"] = new() { ["lower_bound"] = S, ["upper_bound"] = S },
        ["description"] = new() { ["description"] = S },
        ["risk"] = new() { ["name"] = S, ["mitigation_strategy"] = S },
    };

    /// <summary>Checks <paramref name="sections"/>; throws a 400 naming the path (<c>sections.model_details.owners[0].nam</c>) and why.</summary>
    internal static void Check(JsonObject sections, int maxText)
    {
        foreach (var (name, value) in sections)
        {
            if (!ModelCardSections.DocumentSections.Contains(name))
            {
                throw new InvalidParameterException(
                    $"'sections.{name}' is not a section of a model card: the sections are {string.Join(", ", ModelCardSections.DocumentSections)} (the risk rating is 'risk_rating', beside 'sections').");
            }
            CheckObject(value, name, $"sections.{name}", maxText);
        }
    }

    private static void CheckObject(JsonNode? node, string kind, string path, int maxText)
    {
        if (node is not JsonObject obj)
        {
            throw new InvalidParameterException($"'{path}' must be an object; got {Describe(node)}.");
        }
        var fields = Kinds[kind];
        foreach (var (name, value) in obj)
        {
            if (!fields.TryGetValue(name, out var field))
            {
                throw new InvalidParameterException($"'{path}.{name}' is not a field here: the fields are {string.Join(", ", fields.Keys)}.");
            }
            if (value is null)
            {
                continue;
            }
            CheckField(value, field, $"{path}.{name}", maxText);
        }
        // The schema's license is oneOf identifier or custom_text: exactly one of them.
        if (kind == "license" && (obj["identifier"] is null) == (obj["custom_text"] is null))
        {
            throw new InvalidParameterException($"'{path}' must have exactly one of 'identifier' (an SPDX id or \"proprietary\") and 'custom_text'.");
        }
    }

    private static void CheckField(JsonNode value, Field field, string path, int maxText)
    {
        switch (field)
        {
            case Text text:
                if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                {
                    throw new InvalidParameterException($"'{path}' must be a string; got {Describe(value)}.");
                }
                var s = v.GetValue<string>();
                var max = text.Kind == TextKind.Image ? MaxImageLength : maxText;
                if (s.Length > max)
                {
                    throw new InvalidParameterException($"'{path}' has {s.Length} characters; at most {max} are allowed.");
                }
                CheckText(s, text.Kind, path);
                break;
            case Many many:
                if (value is not JsonArray array)
                {
                    throw new InvalidParameterException($"'{path}' must be a list; got {Describe(value)}.");
                }
                if (array.Count > MaxListItems)
                {
                    throw new InvalidParameterException($"'{path}' has {array.Count} items; at most {MaxListItems} are allowed.");
                }
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is null)
                    {
                        throw new InvalidParameterException($"'{path}[{i}]' is null.");
                    }
                    CheckField(array[i]!, many.Item, $"{path}[{i}]", maxText);
                }
                break;
            case Shape shape:
                CheckObject(value, shape.Kind, path, maxText);
                break;
        }
    }

    private static void CheckText(string s, TextKind kind, string path)
    {
        switch (kind)
        {
            case TextKind.Uri when s.Length > 0 && !Uri.TryCreate(s, UriKind.Absolute, out _):
                throw new InvalidParameterException($"'{path}' must be an absolute URI (https://…); got '{s}'.");
            case TextKind.Date when s.Length > 0 && !DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _):
                throw new InvalidParameterException($"'{path}' must be a date as yyyy-MM-dd; got '{s}'.");
            case TextKind.Image when s.Length > 0 && !IsBase64(s):
                throw new InvalidParameterException($"'{path}' must be a base64-encoded PNG.");
        }
    }

    private static bool IsBase64(string s)
    {
        var buffer = new byte[s.Length * 3 / 4 + 3];
        return Convert.TryFromBase64String(s, buffer, out _);
    }

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "a value",
        },
        _ => "a value",
    };
}
