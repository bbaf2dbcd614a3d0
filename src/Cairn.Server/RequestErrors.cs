using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Cairn.Server;

/// <summary>
/// What ASP.NET Core's request binding refuses (malformed JSON, a wrong type, an unknown field, an empty or null body,
/// a wrong content type, a query value that does not parse) as the same errors as every other: the field and the reason,
/// in the request's own names (JSON paths, snake_case query names), never the .NET type or parameter names.
/// </summary>
internal static partial class RequestErrors
{
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";

    /// <summary>The caller's mistake behind a binding failure, or null when it is not one that binding reports.</summary>
    public static CairnException? Translate(HttpContext context, BadHttpRequestException exception)
    {
        if (exception.InnerException is JsonException json)
        {
            return FromJson(json);
        }
        if (exception.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return new CairnException(UnsupportedMediaType, 415, JsonBodyNeeded(context.Request));
        }
        if (exception.StatusCode != StatusCodes.Status400BadRequest)
        {
            return null;
        }
        if (ImplicitBodyMissing().IsMatch(exception.Message) || RequiredMissing().Match(exception.Message) is { Success: true, Groups: var g } && g["source"].Value == "body")
        {
            return Body("The request body is empty or JSON null; this endpoint takes a JSON object.", "request body missing");
        }
        if (RequiredMissing().Match(exception.Message) is { Success: true } required)
        {
            return new InvalidParameterException($"Missing value for required parameter '{WireName(context, required.Groups["name"].Value)}'.");
        }
        if (BindFailed().Match(exception.Message) is { Success: true } bind)
        {
            return new InvalidParameterException(
                $"Invalid value '{bind.Groups["value"].Value}' for parameter '{WireName(context, bind.Groups["name"].Value)}': expected {Expected(bind.Groups["type"].Value)}.");
        }
        return new InvalidParameterException(exception.Message);
    }

    /// <summary>
    /// Gives the problem details that ASP.NET Core writes for a bare status (routing's 404, 405 and 415, which no
    /// exception carries) an <c>error_code</c> and a <c>detail</c> like every other error.
    /// </summary>
    public static void Complete(ProblemDetailsContext problem)
    {
        var details = problem.ProblemDetails;
        if (details.Extensions.ContainsKey("error_code"))
        {
            return;
        }
        var request = problem.HttpContext.Request;
        var (code, detail) = details.Status switch
        {
            StatusCodes.Status404NotFound => ("ENDPOINT_NOT_FOUND", $"No endpoint {request.Method} {request.Path}."),
            StatusCodes.Status405MethodNotAllowed => ("METHOD_NOT_ALLOWED", $"{request.Method} is not allowed on {request.Path}."),
            StatusCodes.Status415UnsupportedMediaType => (UnsupportedMediaType, JsonBodyNeeded(request)),
            StatusCodes.Status400BadRequest => (ErrorCodes.InvalidParameterValue, UnparsedValue(problem.HttpContext) ?? "The request is not valid for this endpoint."),
            _ => ((string?)null, (string?)null),
        };
        if (code is not null)
        {
            details.Extensions["error_code"] = code;
            details.Detail ??= detail;
        }
    }

    /// <summary>A JSON body that does not fit the endpoint's request: where (a JSON path), why, and at which line and byte.</summary>
    public static SchemaValidationException FromJson(JsonException json)
    {
        var path = json.Path ?? "$";
        var reason = Reason(json);
        var where = json.LineNumber is { } line ? $" (line {line + 1}, byte {json.BytePositionInLine + 1})" : "";
        return new SchemaValidationException($"The request body is not valid JSON for this endpoint at {path}: {reason}{where}.", [new ErrorDetail(Pointer(path), reason)]);
    }

    /// <summary>
    /// Reads request strings without NUL characters: no name, value or description needs one and PostgreSQL cannot store
    /// one, so both backends refuse it where it is read, naming its JSON path.
    /// </summary>
    public sealed class NoNulStringConverter : System.Text.Json.Serialization.JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                // The serializer's own wording, which Reason turns into "expected string".
                throw new JsonException("The JSON value could not be converted to System.String.");
            }
            var text = reader.GetString();
            return text is not null && text.Contains('\0', StringComparison.Ordinal)
                ? throw new JsonException("text cannot contain a NUL character (U+0000)")
                : text;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    private static string JsonBodyNeeded(HttpRequest request) =>
        $"This endpoint takes a JSON body: send 'Content-Type: application/json' (got {(request.ContentType is { Length: > 0 } type ? $"'{type}'" : "no Content-Type")}).";

    private static SchemaValidationException Body(string detail, string reason) => new(detail, [new ErrorDetail("", reason)]);

    /// <summary>
    /// Refuses a body whose Content-Type names a charset .NET does not know (ASP.NET Core's JSON reading would throw
    /// InvalidOperationException, a 500). The MLflow API reads its bodies as bytes, as MLflow does, and is left alone.
    /// </summary>
    public static IApplicationBuilder UseRequestCharsetCheck(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (context.Request.ContentType is { Length: > 0 } contentType && !Mlflow.MlflowApi.IsMlflowPath(context.Request.Path)
            && MediaTypeHeaderValue.TryParse(contentType, out var mediaType) && mediaType.Charset.HasValue && mediaType.Encoding is null)
        {
            throw new CairnException(UnsupportedMediaType, 415,
                $"The Content-Type's charset '{mediaType.Charset.Value}' is not a known encoding; send the body as UTF-8.");
        }
        return next(context);
    });

    /// <summary>System.Text.Json's message without its location suffix and with .NET type names said as JSON types.</summary>
    private static string Reason(JsonException json)
    {
        var message = json.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        }
        message = (cut >= 0 ? message[..cut] : message).TrimEnd('.', ' ');
        if (UnmappedMember().Match(message) is { Success: true } unmapped)
        {
            return $"unknown field '{unmapped.Groups["name"].Value}'";
        }
        if (NotConvertible().Match(message) is { Success: true } convert)
        {
            return $"expected {Expected(convert.Groups["type"].Value)}";
        }
        return message;
    }

    /// <summary>A .NET type name (as in binding and serializer messages) said as the JSON or text the caller should send.</summary>
    private static string Expected(string typeName)
    {
        var name = typeName.Replace("System.Nullable`1[", "", StringComparison.Ordinal).TrimEnd(']').TrimEnd('?').Trim();
        return name switch
        {
            _ when name.Contains("Dictionary", StringComparison.Ordinal) => "an object",
            _ when name.Contains("List", StringComparison.Ordinal) || name.Contains("Enumerable", StringComparison.Ordinal) || name.EndsWith("[]", StringComparison.Ordinal) => "an array",
            "System.String" or "string" => "a string",
            "System.Int32" or "System.Int64" or "System.Int16" or "int" or "long" or "short" => "an integer",
            "System.Double" or "System.Single" or "System.Decimal" or "double" or "float" or "decimal" => "a number",
            "System.Boolean" or "bool" => "true or false",
            "System.DateTimeOffset" or "System.DateTime" or "DateTimeOffset" or "DateTime" => "an ISO 8601 date-time",
            "System.Guid" or "Guid" => "a UUID",
            _ when EnumNames(name) is { } names => $"one of {names}",
            _ => "an object",
        };
    }

    private static string? EnumNames(string typeName)
    {
        var type = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name?.StartsWith("Cairn", StringComparison.Ordinal) == true)
            .Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        return type is { IsEnum: true } ? string.Join(", ", Enum.GetNames(type)) : null;
    }

    /// <summary>
    /// Which query or route value did not parse as its handler parameter's type. The compile-time request delegates
    /// answer an optional (nullable) value that does not parse with a bare 400, without the exception the runtime ones
    /// throw; this names it the same way, trying each of the endpoint's values only once the request has failed.
    /// </summary>
    private static string? UnparsedValue(HttpContext context)
    {
        if (context.GetEndpoint() is not RouteEndpoint endpoint || endpoint.Metadata.GetMetadata<MethodInfo>() is not { } method)
        {
            return null;
        }
        var routeNames = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in method.GetParameters().SelectMany(BoundOneByOne))
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            type = type.IsArray ? type.GetElementType()! : type;
            if (type == typeof(string) || parameter.Name is not { } name)
            {
                continue;
            }
            var wire = parameter.GetCustomAttribute<FromQueryAttribute>()?.Name ?? parameter.GetCustomAttribute<FromRouteAttribute>()?.Name ?? name;
            var values = routeNames.Contains(wire) && parameter.GetCustomAttribute<FromQueryAttribute>() is null
                ? [context.GetRouteValue(wire)?.ToString()]
                : context.Request.Query[wire].ToArray();
            if (values.FirstOrDefault(v => !string.IsNullOrEmpty(v) && !Parses(type, v)) is { } bad)
            {
                return $"Invalid value '{bad}' for parameter '{wire}': expected {Expected(type.FullName!)}.";
            }
        }
        return null;

        static IEnumerable<ParameterInfo> BoundOneByOne(ParameterInfo parameter) =>
            parameter.IsDefined(typeof(AsParametersAttribute))
                ? parameter.ParameterType.GetConstructors().MaxBy(c => c.GetParameters().Length)?.GetParameters() ?? []
                : [parameter];
    }

    /// <summary>Whether <paramref name="value"/> parses as <paramref name="type"/> the way minimal APIs parse it.</summary>
    private static bool Parses(Type type, string value)
    {
        if (type.IsEnum)
        {
            return Enum.TryParse(type, value, ignoreCase: true, out _);
        }
        var withCulture = type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider), type.MakeByRefType()]);
        if (withCulture is not null)
        {
            return (bool)withCulture.Invoke(null, [value, System.Globalization.CultureInfo.InvariantCulture, null])!;
        }
        var plain = type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), type.MakeByRefType()]);
        // A type that does not parse from text is bound from elsewhere (services, the body): not this failure.
        return plain is null || (bool)plain.Invoke(null, [value, null])!;
    }

    /// <summary>The name a handler parameter has on the wire (<c>[FromQuery(Name = "max_results")]</c>), from the endpoint's method.</summary>
    private static string WireName(HttpContext context, string parameter)
    {
        // The exception handler clears the request's endpoint before it runs and keeps it on its feature.
        var endpoint = context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Endpoint ?? context.GetEndpoint();
        var method = endpoint?.Metadata.GetMetadata<MethodInfo>();
        var info = method?.GetParameters().FirstOrDefault(p => p.Name == parameter);
        return info?.GetCustomAttribute<FromQueryAttribute>()?.Name
            ?? info?.GetCustomAttribute<FromRouteAttribute>()?.Name
            ?? info?.GetCustomAttribute<FromHeaderAttribute>()?.Name
            ?? parameter;
    }

    /// <summary>A System.Text.Json path (<c>$.params['a b'][0]</c>) as a JSON pointer (<c>/params/a b/0</c>), the form of every <c>errors[].path</c>.</summary>
    private static string Pointer(string path)
    {
        var pointer = new System.Text.StringBuilder();
        foreach (Match segment in PathSegment().Matches(path))
        {
            var name = segment.Groups["name"].Success ? segment.Groups["name"].Value
                : segment.Groups["quoted"].Success ? segment.Groups["quoted"].Value
                : segment.Groups["index"].Value;
            pointer.Append('/').Append(name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
        }
        return pointer.ToString();
    }

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<quoted>(?:[^']|'')*)'\]|\[(?<index>\d+)\]")]
    private static partial Regex PathSegment();

    [GeneratedRegex(@"^The JSON property '(?<name>.*)' could not be mapped to any \.NET member", RegexOptions.Singleline)]
    private static partial Regex UnmappedMember();

    [GeneratedRegex(@"^The JSON value could not be converted to (?<type>.+)$", RegexOptions.Singleline)]
    private static partial Regex NotConvertible();

    [GeneratedRegex(@"^Implicit body inferred for parameter ")]
    private static partial Regex ImplicitBodyMissing();

    [GeneratedRegex(@"^Required parameter ""(?<type>.+) (?<name>\w+)"" was not provided from (?<source>[\w ]+)\.")]
    private static partial Regex RequiredMissing();

    [GeneratedRegex(@"^Failed to bind parameter ""(?<type>.+) (?<name>\w+)"" from ""(?<value>.*)""\.", RegexOptions.Singleline)]
    private static partial Regex BindFailed();
}
