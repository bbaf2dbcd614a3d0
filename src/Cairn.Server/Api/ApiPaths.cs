namespace Cairn.Server.Api;

/// <summary>
/// Paths the API answers with (the <c>Location</c> of what it created): every segment percent-encoded, so that a name
/// with a space, a '/', or non-ASCII letters makes a valid header that leads back to it.
/// </summary>
internal static class ApiPaths
{
    /// <summary><c>/{prefix}/{segment}/…</c>, the prefix as given and each segment encoded whole (a '/' in it too).</summary>
    public static string Of(string prefix, params ReadOnlySpan<string> segments)
    {
        var path = new System.Text.StringBuilder("/").Append(prefix);
        foreach (var segment in segments)
        {
            path.Append('/').Append(Uri.EscapeDataString(segment));
        }
        return path.ToString();
    }

    /// <summary>A relative file path with each of its '/'-separated segments encoded, the separators kept.</summary>
    public static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
}
