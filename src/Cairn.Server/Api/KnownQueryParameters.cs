using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.IO.Pipelines;
using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Cairn.Server.Api;

/// <summary>
/// Marks a route under <c>/api/v1</c> that speaks another system's protocol (Marquez's lineage reads) and so keeps that
/// system's rule for query parameters: unknown ones are ignored, as Marquez (Jersey) ignores them.
/// </summary>
public sealed class LenientQueryMetadata
{
    public static LenientQueryMetadata Instance { get; } = new();

    private LenientQueryMetadata()
    {
    }
}

/// <summary>
/// The native API refuses a query parameter it does not know (<c>GET /api/v1/models?filters=…</c> is a 400 naming
/// <c>filters</c>), where it used to ignore it and answer as if unfiltered. What each endpoint knows is read once from
/// its handler's own parameters (<c>[FromQuery]</c> names, <c>[AsParameters]</c> records), so a new endpoint is checked
/// without a list to keep. The MLflow API, the UI and everything outside <c>/api/v1</c> are left alone: MLflow's server
/// reads only the fields of each request message and ignores the rest (mlflow/server/handlers.py,
/// <c>_get_request_message</c>), and its clients rely on that. See docs/decisions/0031-cli.md.
/// </summary>
public static class KnownQueryParameters
{
    private const string NativePrefix = "/api/v1/";

    // Bound from the request or the host, never from the query string.
    private static readonly FrozenSet<Type> NotFromQuery = new[]
    {
        typeof(HttpContext), typeof(HttpRequest), typeof(HttpResponse), typeof(CancellationToken), typeof(ClaimsPrincipal),
        typeof(Stream), typeof(PipeReader), typeof(IFormFile), typeof(IFormFileCollection), typeof(IFormCollection),
    }.ToFrozenSet();

    private static readonly ConcurrentDictionary<Endpoint, FrozenSet<string>?> Known = new();

    /// <summary>Refuses unknown query parameters on the native API's routes. Call after <c>UseRouting</c>.</summary>
    public static IApplicationBuilder UseKnownQueryParameters(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.Request.Query.Count > 0 && context.GetEndpoint() is RouteEndpoint endpoint
                && Known.GetOrAdd(endpoint, e => Describe((RouteEndpoint)e, context.RequestServices)) is { } known)
            {
                foreach (var name in context.Request.Query.Keys)
                {
                    if (!known.Contains(name))
                    {
                        var takes = known.Count == 0 ? "takes no query parameters" : "takes " + string.Join(", ", known.Order(StringComparer.Ordinal));
                        throw new InvalidParameterException(
                            $"Unknown query parameter '{name}': {context.Request.Method} {endpoint.RoutePattern.RawText} {takes}.");
                    }
                }
            }
            return next(context);
        });

    /// <summary>Lets a native route ignore query parameters it does not know, as the protocol it imitates does.</summary>
    public static TBuilder AllowUnknownQueryParameters<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(LenientQueryMetadata.Instance);

    /// <summary>
    /// The query parameters an endpoint binds, or null when it is not checked (not the native API, a lenient route, or
    /// a handler that reads the request itself).
    /// </summary>
    public static FrozenSet<string>? Describe(RouteEndpoint endpoint, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(services);
        var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
        if (!pattern.StartsWith(NativePrefix, StringComparison.OrdinalIgnoreCase)
            || endpoint.Metadata.GetMetadata<LenientQueryMetadata>() is not null
            || endpoint.Metadata.GetMetadata<MethodInfo>() is not { } handler)
        {
            return null;
        }
        var isService = services.GetService<IServiceProviderIsService>();
        var routeNames = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var names = new List<string>();
        foreach (var parameter in handler.GetParameters())
        {
            Add(parameter, parameter.ParameterType, parameter.Name);
        }
        return names.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

        void Add(ICustomAttributeProvider member, Type type, string? name)
        {
            if (member.IsDefined(typeof(AsParametersAttribute), inherit: false))
            {
                // A record of parameters: its constructor's parameters (or, without one, its settable properties) bind one by one.
                var constructor = type.GetConstructors().MaxBy(c => c.GetParameters().Length);
                if (constructor is { } c && c.GetParameters().Length > 0)
                {
                    foreach (var p in c.GetParameters())
                    {
                        var property = type.GetProperty(p.Name!, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                        Add(property is null ? p : new Both(p, property), p.ParameterType, p.Name);
                    }
                }
                else
                {
                    foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
                    {
                        Add(property, property.PropertyType, property.Name);
                    }
                }
                return;
            }
            if (Attribute<IFromQueryMetadata>(member) is { } fromQuery)
            {
                names.Add(fromQuery.Name ?? name!);
                return;
            }
            if (Attribute<IFromRouteMetadata>(member) is not null || Attribute<IFromBodyMetadata>(member) is not null
                || Attribute<IFromServiceMetadata>(member) is not null || Attribute<IFromHeaderMetadata>(member) is not null
                || Attribute<IFromFormMetadata>(member) is not null || name is null || routeNames.Contains(name)
                || NotFromQuery.Contains(type) || isService?.IsService(type) == true || !IsSimple(type))
            {
                return;
            }
            names.Add(name);
        }
    }

    private static T? Attribute<T>(ICustomAttributeProvider member) where T : class =>
        member.GetCustomAttributes(inherit: false).OfType<T>().FirstOrDefault();

    /// <summary>What minimal APIs bind from a string (and so from the query when no other source says otherwise).</summary>
    private static bool IsSimple(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsArray)
        {
            return IsSimple(type.GetElementType()!);
        }
        return type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(decimal)
            || type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), type.MakeByRefType()]) is not null
            || type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider), type.MakeByRefType()]) is not null;
    }

    /// <summary>An [AsParameters] member: its attributes may sit on the constructor parameter or on the property.</summary>
    private sealed class Both(ICustomAttributeProvider first, ICustomAttributeProvider second) : ICustomAttributeProvider
    {
        public object[] GetCustomAttributes(bool inherit) => [.. first.GetCustomAttributes(inherit), .. second.GetCustomAttributes(inherit)];

        public object[] GetCustomAttributes(Type attributeType, bool inherit) =>
            [.. first.GetCustomAttributes(attributeType, inherit), .. second.GetCustomAttributes(attributeType, inherit)];

        public bool IsDefined(Type attributeType, bool inherit) => first.IsDefined(attributeType, inherit) || second.IsDefined(attributeType, inherit);
    }
}
