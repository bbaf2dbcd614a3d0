using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Cairn.Server.Ui;

/// <summary>
/// The UI's own styles, script and icon, written here and embedded in the server assembly, so that every host of the
/// server (<c>cairn serve</c>, the tests, a dotnet tool install) serves them with nothing on disk and no build step.
/// URLs carry the content hash, so a browser keeps a file until it changes.
/// </summary>
public sealed class UiAssets
{
    private const string Prefix = "Cairn.Ui.";
    private readonly FrozenDictionary<string, Asset> _assets;

    private sealed record Asset(byte[] Content, string ContentType, string Hash);

    public UiAssets()
    {
        var assembly = typeof(UiAssets).Assembly;
        _assets = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
            .ToFrozenDictionary(n => n[Prefix.Length..], n => Load(assembly, n), StringComparer.Ordinal);
    }

    private static Asset Load(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var content = copy.ToArray();
        var type = Path.GetExtension(resource) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => "application/octet-stream",
        };
        return new Asset(content, type, Convert.ToHexStringLower(SHA256.HashData(content))[..16]);
    }

    /// <summary>The URL of an asset, versioned by its content.</summary>
    public string Url(string name) => $"/ui/assets/{name}?v={_assets[name].Hash}";

    internal IResult Serve(HttpContext context, string name)
    {
        if (!_assets.TryGetValue(name, out var asset))
        {
            return Results.NotFound();
        }
        var etag = $"\"{asset.Hash}\"";
        context.Response.Headers.ETag = etag;
        context.Response.Headers.CacheControl = context.Request.Query["v"] == asset.Hash ? "public, max-age=31536000, immutable" : "no-cache";
        return context.Request.Headers.IfNoneMatch == etag
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(asset.Content, asset.ContentType);
    }
}
