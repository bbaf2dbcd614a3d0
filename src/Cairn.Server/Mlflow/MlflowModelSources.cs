using System.Net;
using System.Text.RegularExpressions;

namespace Cairn.Server.Mlflow;

/// <summary>
/// What MLflow accepts as a model version's source (handlers.py <c>_validate_source</c>, MLflow 3.5's stricter form):
/// a local path or <c>file:</c> URI only inside the artifact directory of the run named by run_id, and any other URI
/// only with an absolute path free of <c>.</c>/<c>..</c> segments (after percent-decoding) and of NUL.
/// </summary>
internal static partial class MlflowModelSources
{
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex SchemePattern();

    [GeneratedRegex("/+")]
    private static partial Regex Slashes();

    /// <summary>The parts of a URI that Python's urlparse finds: scheme (lower-cased), host and path.</summary>
    internal readonly record struct ParsedUri(string Scheme, string Host, string Path);

    /// <summary>
    /// Checks <paramref name="source"/>; <paramref name="runArtifactUri"/> is asked for the artifact URI of the run only
    /// when a local source needs it (and fails as MLflow does when the run does not exist).
    /// </summary>
    public static async Task CheckAsync(string source, string? runId, Func<string, Task<string>> runArtifactUri)
    {
        if (IsLocal(source))
        {
            var shown = source;
            if (!string.IsNullOrEmpty(runId))
            {
                var artifactUri = await runArtifactUri(runId);
                var path = LocalPath(source);
                shown = path;
                if (IsLocal(artifactUri))
                {
                    var root = LocalPath(artifactUri);
                    if (path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
                    {
                        return;
                    }
                }
            }
            throw new InvalidParameterException(
                $"Invalid model version source: '{shown}'. To use a local path as a model version source, the run_id request parameter has to be "
                + "specified and the local path has to be contained within the artifact directory of the run specified by the run_id.");
        }
        CheckNoRelativePath(source);
    }

    /// <summary>Python's urlparse, as far as MLflow's checks look: scheme, network location and path.</summary>
    internal static ParsedUri Parse(string uri)
    {
        var scheme = "";
        var rest = uri;
        if (SchemePattern().Match(uri) is { Success: true } match)
        {
            scheme = match.Value[..^1].ToLowerInvariant();
            rest = uri[match.Length..];
        }
        var host = "";
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            var end = rest.IndexOfAny(['/', '?', '#'], 2);
            var netloc = end < 0 ? rest[2..] : rest[2..end];
            rest = end < 0 ? "" : rest[end..];
            var at = netloc.LastIndexOf('@');
            host = netloc[(at + 1)..];
            host = host.StartsWith('[') ? host[..(host.IndexOf(']', StringComparison.Ordinal) + 1)] : host.Split(':')[0];
            host = host.ToLowerInvariant();
        }
        var stop = rest.IndexOfAny(['?', '#']);
        var path = stop < 0 ? rest : rest[..stop];
        // urlparse keeps ";params" of the last segment apart from the path.
        var lastSlash = path.LastIndexOf('/');
        var semicolon = path.IndexOf(';', lastSlash + 1);
        return new ParsedUri(scheme, host, semicolon < 0 ? path : path[..semicolon]);
    }

    /// <summary>mlflow.utils.uri.is_local_uri on a POSIX server: no scheme, or <c>file:</c> on this host.</summary>
    private static bool IsLocal(string uri)
    {
        var parsed = Parse(uri);
        if (parsed.Scheme.Length == 0)
        {
            return true;
        }
        if (parsed.Scheme != "file")
        {
            return false;
        }
        var remote = parsed.Host.Length > 0 && parsed.Host != "." && !parsed.Host.StartsWith("localhost", StringComparison.Ordinal)
            && !parsed.Host.StartsWith("127.0.0.1", StringComparison.Ordinal);
        // MLflow answers this one with a 500; a caller's bad URI is a 400 here.
        return remote
            ? throw new InvalidParameterException($"{uri} is not a valid remote uri. For remote access on windows, please consider using a different scheme such as SMB (e.g. smb://<hostname>/<path>).")
            : true;
    }

    /// <summary>The absolute, normalised local path a local source names (relative paths against the server's directory).</summary>
    private static string LocalPath(string uri)
    {
        var path = uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? Uri.UnescapeDataString(Parse(uri).Path) : uri;
        return Path.GetFullPath(path).Replace('\\', '/');
    }

    private static void CheckNoRelativePath(string source)
    {
        var message = $"Invalid model version source: '{source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or "
            + "mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.";
        var decoded = source;
        for (var next = WebUtility.UrlDecode(decoded); next != decoded; next = WebUtility.UrlDecode(decoded))
        {
            decoded = next;
        }
        var path = Slashes().Replace(Parse(decoded).Path.TrimEnd('/'), "/");
        if (path.Contains('\0', StringComparison.Ordinal) || decoded.Split('/').Any(segment => segment == "..")
            || !path.StartsWith('/') || path.Split('/').Any(segment => segment is "." or ".."))
        {
            throw new InvalidParameterException(message);
        }
    }
}
