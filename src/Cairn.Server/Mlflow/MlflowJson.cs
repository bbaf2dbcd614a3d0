using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Cairn.Server.Mlflow;

/// <summary>
/// MLflow's JSON as its server writes it (protobuf's JSON with the proto field names): snake_case, int64s as numbers,
/// NaN and infinities as "NaN"/"Infinity", absent fields left out. Requests are read as protobuf's JSON parser reads
/// them: int64s as numbers or strings.
/// </summary>
public static class MlflowJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    public static IResult Ok(object value) => Results.Json(value, Options);

    /// <summary>MLflow answers most writes with an empty object.</summary>
    public static IResult Empty { get; } = Results.Json(new { }, Options);

    /// <summary>
    /// The request message: the JSON body of a POST/PATCH/DELETE, or the query string of a GET (repeated keys become
    /// lists, as MLflow's server reads them). An empty body is an empty message; malformed JSON is INVALID_PARAMETER_VALUE.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="tooLarge">With a size limit: the error for a body larger than it, given the body's size.</param>
    /// <param name="schema">MLflow's checks of the message (see <see cref="MlflowValidation"/>), made before it is read.</param>
    public static async Task<T> ReadAsync<T>(HttpContext context, (long MaxBytes, Func<long, Exception> Error)? tooLarge = null, MlflowSchema? schema = null)
        where T : new()
    {
        var request = context.Request;
        try
        {
            if (HttpMethods.IsGet(request.Method))
            {
                // MLflow reads a GET's query string without its schema, but checks an empty one as an empty body.
                var query = FromQuery(request.Query, Options.GetTypeInfo(typeof(T)));
                if (schema is not null && !request.QueryString.HasValue)
                {
                    MlflowValidation.Validate(JsonSerializer.SerializeToElement(query), schema);
                }
                return query.Deserialize<T>(Options) ?? new T();
            }
            if (tooLarge is var (max, error) && request.ContentLength > max)
            {
                throw error(request.ContentLength.Value);
            }
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            if (tooLarge is var (limit, refuse) && body.Length > limit)
            {
                // A chunked body has no declared length: it is measured once read.
                throw refuse(body.Length);
            }
            // Some clients send a DELETE's message in the query string instead of a body.
            if (body.Length == 0)
            {
                var query = FromQuery(request.Query, Options.GetTypeInfo(typeof(T)));
                if (schema is not null)
                {
                    MlflowValidation.Validate(JsonSerializer.SerializeToElement(query), schema);
                }
                return query.Deserialize<T>(Options) ?? new T();
            }
            var json = body.GetBuffer().AsMemory(0, (int)body.Length);
            CheckStrings(json.Span);
            using (var document = JsonDocument.Parse(json))
            {
                RefuseNullItems(document.RootElement);
                if (schema is not null)
                {
                    MlflowValidation.Validate(document.RootElement, schema);
                }
            }
            return JsonSerializer.Deserialize<T>(json.Span, Options) ?? new T();
        }
        catch (JsonException e)
        {
            throw new InvalidParameterException($"Malformed request: {e.Message}");
        }
    }

    /// <summary>
    /// Refuses a string that is not valid UTF-8 (or an escaped unpaired surrogate) or holds a NUL character, naming where
    /// it is: nothing later can read it as text, and PostgreSQL cannot store a NUL. MLflow's server (Flask's get_json) drops such a body; an error saying where is more use.
    /// </summary>
    private static void CheckStrings(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        // The open containers: an object's current property name, or an array's current index.
        var path = new List<(string? Name, int Index)>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    var name = Text(ref reader, path);
                    path[^1] = (name, -1);
                    continue;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    path.RemoveAt(path.Count - 1);
                    continue;
            }
            if (path.Count > 0 && path[^1].Name is null)
            {
                path[^1] = (null, path[^1].Index + 1);
            }
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    path.Add((string.Empty, -1));
                    break;
                case JsonTokenType.StartArray:
                    path.Add((null, -1));
                    break;
                case JsonTokenType.String:
                    Text(ref reader, path);
                    break;
            }
        }

        static string Text(ref Utf8JsonReader reader, List<(string? Name, int Index)> path)
        {
            try
            {
                var text = reader.GetString()!;
                return text.Contains('\0', StringComparison.Ordinal) ? throw new InvalidOperationException() : text;
            }
            catch (InvalidOperationException)
            {
                var where = new System.Text.StringBuilder("$");
                foreach (var (name, index) in reader.TokenType == JsonTokenType.PropertyName ? path[..^1] : path)
                {
                    where.Append(name is null ? $"[{index}]" : $".{name}");
                }
                var what = reader.TokenType == JsonTokenType.PropertyName ? "a field name in" : "the string at";
                throw new InvalidParameterException($"Malformed request: {what} {where} is not valid UTF-8 text without NUL characters.");
            }
        }
    }

    /// <summary>
    /// A null inside a repeated field (<c>"tags": [null]</c>) fails protobuf's JSON parsing, and MLflow then answers that
    /// the parameter's value is invalid; nothing after this reads a null item.
    /// </summary>
    private static void RefuseNullItems(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var field in message.EnumerateObject())
        {
            if (field.Value.ValueKind == JsonValueKind.Array && field.Value.EnumerateArray().Any(item => item.ValueKind == JsonValueKind.Null))
            {
                throw MlflowValidation.Invalid(field.Name, field.Value);
            }
        }
    }

    /// <summary>Query values are strings: lists and booleans are shaped after the message's own fields so that they bind.</summary>
    private static JsonObject FromQuery(IQueryCollection query, JsonTypeInfo message)
    {
        var typed = new JsonObject();
        foreach (var (key, values) in query)
        {
            var type = message.Properties.FirstOrDefault(p => p.Name == key)?.PropertyType;
            if (type is null)
            {
                continue;
            }
            if (type != typeof(string) && type.IsAssignableTo(typeof(System.Collections.IEnumerable)))
            {
                typed[key] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            }
            else if ((type == typeof(bool) || type == typeof(bool?)) && bool.TryParse(values[^1], out var flag))
            {
                typed[key] = flag;
            }
            else
            {
                typed[key] = values[^1];
            }
        }
        return typed;
    }

    /// <summary>
    /// A string field that clients also send as a number: protobuf's JSON reads enums by name or number, and MLflow's
    /// clients send a model version (a string in its protos) either way.
    /// </summary>
    public sealed class NumberOrStringConverter : JsonConverter<string?>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => reader.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            JsonTokenType.Null => null,
            _ => throw new JsonException("Expected a string or a number."),
        };

        public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}
