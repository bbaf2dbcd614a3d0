using Microsoft.AspNetCore.Http.Features;

namespace Cairn.Server;

/// <summary>
/// Refuses, before routing, any request whose target as sent has a dot segment (<c>.</c> or <c>..</c>, plain or
/// percent-encoded in any case). Kestrel removes dot segments from the path it hands on, so <c>DELETE …/tags/..</c>
/// would otherwise be routed as a DELETE of the model itself; the raw target is the only place they are still visible.
/// A target with an encoded NUL character is refused here too.
/// </summary>
internal static class RequestTargets
{
    public static IApplicationBuilder UseDotSegmentRefusal(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var path = string.IsNullOrEmpty(raw) ? (context.Request.PathBase + context.Request.Path).ToUriComponent() : PathOf(raw);
        // A NUL character (%00) is never part of a name or a filter, and PostgreSQL cannot store it.
        if ((raw?.Contains("%00", StringComparison.Ordinal) ?? false) || context.Request.Path.Value?.Contains('\0', StringComparison.Ordinal) == true
            || context.Request.QueryString.Value?.Contains("%00", StringComparison.Ordinal) == true)
        {
            throw new InvalidParameterException("The request target holds an encoded NUL character (%00); names, paths and query values cannot contain one.");
        }
        if (HasDotSegment(path))
        {
            // The error's shape (MLflow's or problem details) and its instance follow the path the caller sent, not what is left of it.
            context.Request.Path = PathString.FromUriComponent(path);
            throw new InvalidParameterException(
                $"The request path '{path}' has a dot segment ('.' or '..', plain or percent-encoded); paths are taken literally, so name the resource without one.");
        }
        return next(context);
    });

    /// <summary>The path of a request target: origin-form as is, absolute-form without scheme and authority, neither query nor fragment.</summary>
    internal static string PathOf(string target)
    {
        var path = target.AsSpan();
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && !path[..scheme].Contains('/'))
        {
            var afterAuthority = path[(scheme + 3)..];
            var slash = afterAuthority.IndexOf('/');
            path = slash < 0 ? [] : afterAuthority[slash..];
        }
        var end = path.IndexOfAny('?', '#');
        return (end < 0 ? path : path[..end]).ToString();
    }

    /// <summary>
    /// True when a segment of <paramref name="path"/>, once percent-decoded, is <c>.</c> or <c>..</c> or holds one between
    /// encoded separators (<c>a%2F..</c>), which a later decoding step could turn into a real one.
    /// </summary>
    internal static bool HasDotSegment(string path)
    {
        if (path.AsSpan().IndexOfAny('.', '%') < 0)
        {
            return false;
        }
        foreach (var segment in path.Split('/'))
        {
            var decoded = segment.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(segment) : segment;
            foreach (var part in decoded.Split('/', '\\'))
            {
                if (part is "." or "..")
                {
                    return true;
                }
            }
        }
        return false;
    }
}
