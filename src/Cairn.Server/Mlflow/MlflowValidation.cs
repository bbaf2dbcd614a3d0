using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow's request validation (the <c>schema</c> its handlers pass to <c>_get_request_message</c>), with its wording:
/// <c>Missing value for required parameter 'x'.</c> and <c>Invalid value 31 for parameter 'x' supplied. Hint: Value was of
/// type 'int'.</c>, each followed by MLflow's pointer to the API docs. As in MLflow, the type checks run only when the
/// body does not parse as the protobuf message (a field of the wrong JSON type); the other checks always run, in the
/// schema's order. A GET with a query string is not validated (MLflow reads those without the schema).
/// </summary>
public static class MlflowValidation
{
    private const string Docs = " See the API docs for more information about request parameters.";

    /// <summary>The message MLflow gives for an absent or empty required parameter.</summary>
    public static InvalidParameterException Missing(string parameter) =>
        new($"Missing value for required parameter '{parameter}'.{Docs}");

    /// <summary>The message MLflow gives for a value that fails a check, the value written as Python writes it.</summary>
    public static InvalidParameterException Invalid(string parameter, JsonElement? value) =>
        new($"Invalid value {Python(value, quoted: false)} for parameter '{parameter}' supplied. Hint: Value was of type '{PythonType(value)}'.{Docs}");

    /// <summary>The message MLflow's <c>validate_path_is_safe</c> gives for any unsafe path.</summary>
    public static InvalidParameterException InvalidPath() => new("Invalid path");

    /// <summary>Checks a request body against a schema; throws MLflow's error for the first failing check.</summary>
    public static void Validate(JsonElement body, MlflowSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (body.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        var parsesAsMessage = schema.Fields.All(f => !body.TryGetProperty(f.Name, out var v) || Fits(f.Type, v));
        foreach (var field in schema.Fields)
        {
            JsonElement? value = body.TryGetProperty(field.Name, out var present) ? present : null;
            // MLflow reads run_uuid, the deprecated name, where run_id is absent.
            if (field.Name == "run_id" && (value is null || value.Value.ValueKind == JsonValueKind.Null) && body.TryGetProperty("run_uuid", out var uuid))
            {
                value = uuid;
            }
            if (value is null && !field.Required)
            {
                continue;
            }
            foreach (var check in field.Checks)
            {
                if (check == Check.Type && parsesAsMessage)
                {
                    continue;
                }
                var passes = check switch
                {
                    Check.Required => value is { ValueKind: not JsonValueKind.Null } v && !(v.ValueKind == JsonValueKind.String && v.GetString()!.Length == 0),
                    Check.Type => value is { } v && Is(field.Type, v),
                    Check.AtMost => value is { } v && AtMost(v, field.Max),
                    Check.EachHas => value is { ValueKind: JsonValueKind.Array } v && v.EnumerateArray().All(item => field.ItemFields.All(f => Has(item, f))),
                    _ => true,
                };
                if (!passes)
                {
                    throw check == Check.Required ? Missing(field.Name) : Invalid(field.Name, value);
                }
            }
        }
    }

    /// <summary>Whether protobuf's JSON parser takes the value for a field of this type (null clears any field).</summary>
    private static bool Fits(FieldType type, JsonElement value) => value.ValueKind == JsonValueKind.Null || type switch
    {
        FieldType.Text => value.ValueKind == JsonValueKind.String,
        FieldType.WholeNumber => value.ValueKind == JsonValueKind.Number ? IsIntegral(value) : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        FieldType.RealNumber => value.ValueKind == JsonValueKind.Number || (value.ValueKind == JsonValueKind.String && IsFloatText(value.GetString()!)),
        FieldType.Choice => value.ValueKind == JsonValueKind.String || (value.ValueKind == JsonValueKind.Number && IsIntegral(value)),
        FieldType.TextList => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(i => i.ValueKind == JsonValueKind.String),
        FieldType.MessageList => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(i => i.ValueKind is JsonValueKind.Object or JsonValueKind.Null),
        _ => true,
    };

    /// <summary>MLflow's type assertions (<c>_assert_string</c>, <c>_assert_intlike</c>, <c>_assert_floatlike</c>, <c>_assert_array</c>).</summary>
    private static bool Is(FieldType type, JsonElement value) => type switch
    {
        FieldType.Text => value.ValueKind == JsonValueKind.String,
        // Python's int() takes any number and an integer's text.
        FieldType.WholeNumber or FieldType.Choice => value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
            || (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString()!.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)),
        FieldType.RealNumber => value.ValueKind == JsonValueKind.Number || (value.ValueKind == JsonValueKind.String && IsFloatText(value.GetString()!)),
        FieldType.TextList => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(i => i.ValueKind == JsonValueKind.String),
        FieldType.MessageList => value.ValueKind == JsonValueKind.Array,
        _ => true,
    };

    private static bool AtMost(JsonElement value, long max) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble() <= max,
        JsonValueKind.String => double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed <= max,
        _ => false,
    };

    /// <summary>MLflow's <c>_assert_required</c> on one field of each item (log-batch's metrics, params and tags).</summary>
    private static bool Has(JsonElement item, string field) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null
        && !(v.ValueKind == JsonValueKind.String && v.GetString()!.Length == 0);

    private static bool IsIntegral(JsonElement value) => value.TryGetInt64(out _) || (value.TryGetDouble(out var d) && double.IsInteger(d) && !value.GetRawText().Contains('.', StringComparison.Ordinal));

    private static bool IsFloatText(string text) =>
        text is "NaN" or "Infinity" or "-Infinity" || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>A JSON value as Python's <c>str()</c> (top level) or <c>repr()</c> (inside a list or dict) writes it.</summary>
    private static string Python(JsonElement? value, bool quoted)
    {
        if (value is not { } v)
        {
            return "None";
        }
        switch (v.ValueKind)
        {
            case JsonValueKind.String:
                return quoted ? Repr(v.GetString()!) : v.GetString()!;
            case JsonValueKind.Number:
                if (v.TryGetInt64(out var integer) && !v.GetRawText().Contains('.', StringComparison.Ordinal) && !v.GetRawText().Contains('e', StringComparison.OrdinalIgnoreCase))
                {
                    return integer.ToString(CultureInfo.InvariantCulture);
                }
                var number = v.GetDouble();
                var written = number.ToString("R", CultureInfo.InvariantCulture);
                return written.Contains('.', StringComparison.Ordinal) || written.Contains('E', StringComparison.Ordinal) ? written.Replace("E", "e", StringComparison.Ordinal) : written + ".0";
            case JsonValueKind.True:
                return "True";
            case JsonValueKind.False:
                return "False";
            case JsonValueKind.Array:
                return "[" + string.Join(", ", v.EnumerateArray().Select(i => Python(i, quoted: true))) + "]";
            case JsonValueKind.Object:
                var builder = new StringBuilder("{");
                builder.AppendJoin(", ", v.EnumerateObject().Select(p => $"{Repr(p.Name)}: {Python(p.Value, quoted: true)}"));
                return builder.Append('}').ToString();
            default:
                return "None";
        }
    }

    /// <summary>Python's repr of a string: single quotes, unless it holds one and no double quote.</summary>
    private static string Repr(string text) =>
        text.Contains('\'', StringComparison.Ordinal) && !text.Contains('"', StringComparison.Ordinal) ? $"\"{text}\"" : $"'{text}'";

    private static string PythonType(JsonElement? value) => value?.ValueKind switch
    {
        JsonValueKind.String => "str",
        JsonValueKind.Number => value.Value.TryGetInt64(out _) && !value.Value.GetRawText().Contains('.', StringComparison.Ordinal) ? "int" : "float",
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Array => "list",
        JsonValueKind.Object => "dict",
        _ => "NoneType",
    };

    /// <summary>A check of MLflow's schemas.</summary>
    public enum Check
    {
        /// <summary>Present, not null, not empty (<c>_assert_required</c>).</summary>
        Required,

        /// <summary>The field's JSON type (skipped when the body parses as the message).</summary>
        Type,

        /// <summary>Not above <see cref="Field.Max"/> (<c>_assert_less_than_or_equal</c>).</summary>
        AtMost,

        /// <summary>Each item has every one of <see cref="Field.ItemFields"/> (log-batch's item checks).</summary>
        EachHas,
    }

    /// <summary>The protobuf type of a field, which decides what its JSON may be.</summary>
    public enum FieldType
    {
        Text,
        WholeNumber,
        RealNumber,
        Choice,
        TextList,
        MessageList,
    }

    /// <summary>One field of a schema: its checks in MLflow's order.</summary>
    public sealed record Field(string Name, FieldType Type, params Check[] Checks)
    {
        public long Max { get; init; }

        public IReadOnlyList<string> ItemFields { get; init; } = [];

        public bool Required => Checks.Contains(Check.Required);
    }

    /// <summary>Shorthands for schema fields.</summary>
    public static Field TextField(string name, bool required = false) => required ? new(name, FieldType.Text, Check.Required, Check.Type) : new(name, FieldType.Text, Check.Type);

    public static Field WholeField(string name, bool required = false) => required ? new(name, FieldType.WholeNumber, Check.Type, Check.Required) : new(name, FieldType.WholeNumber, Check.Type);
}

/// <summary>The schema of one MLflow request message: its validated fields in MLflow's order.</summary>
public sealed record MlflowSchema(params MlflowValidation.Field[] Fields);
