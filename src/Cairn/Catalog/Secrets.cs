using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cairn.Catalog;

/// <summary>Connection settings are stored as given but never shown: secret-looking values are masked on the way out.</summary>
public static partial class Secrets
{
    public const string Mask = "****";

    [GeneratedRegex("pass|secret|token|key|credential", RegexOptions.IgnoreCase)]
    private static partial Regex SecretKey();

    public static bool IsSecretKey(string key) => SecretKey().IsMatch(key);

    // user:password@ after a URI scheme (postgres://, jdbc:mysql://, s3a://), and password-like query parameters.
    [GeneratedRegex(@"(?<prefix>[A-Za-z][A-Za-z0-9+.\-]*://[^/?#@:\s]*:)[^/?#@\s]+@|(?<param>[?&;](?:password|passwd|pwd|secret|token|access_?key|secret_?key|sig)=)[^&;#\s]*", RegexOptions.IgnoreCase)]
    private static partial Regex UriSecret();

    /// <summary>
    /// Text with the credentials of any URI in it masked: <c>postgres://user:password@host</c> becomes
    /// <c>postgres://user:****@host</c>, <c>?password=…</c> becomes <c>?password=****</c>. Text without a URI secret
    /// comes back as the same instance.
    /// </summary>
    public static string MaskUri(string text) =>
        !text.Contains('@', StringComparison.Ordinal) && !text.Contains('=', StringComparison.Ordinal) ? text
        : UriSecret().Replace(text, m => m.Groups["prefix"].Success ? m.Groups["prefix"].Value + Mask + "@" : m.Groups["param"].Value + Mask);

    public static IReadOnlyList<DataSource> MaskAll(IReadOnlyList<DataSource> sources) =>
        sources.Select(s => s.Connection is null ? s : s with { Connection = MaskObject(s.Connection) }).ToList();

    /// <summary>
    /// Carries stored secrets into an update that echoes them back masked, so that a read-modify-write
    /// of a model does not overwrite passwords with "****".
    /// </summary>
    public static IReadOnlyList<DataSource> KeepMasked(IReadOnlyList<DataSource> updated, IReadOnlyList<DataSource> stored) =>
        updated.Select(s =>
        {
            var old = stored.FirstOrDefault(o => o.Name == s.Name)?.Connection;
            if (s.Connection is null || old is null)
            {
                return s;
            }
            return s with { Connection = KeepMaskedObject(s.Connection, old) };
        }).ToList();

    /// <summary>
    /// Settings (a deployment's environment variables) with secret-looking values masked as connection settings are:
    /// the value of a key that names a secret (<c>DB_PASSWORD</c>, <c>API_TOKEN</c>, <c>AWS_SECRET_ACCESS_KEY</c>)
    /// becomes <see cref="Mask"/>, and a URI's credentials inside any other value are masked.
    /// </summary>
    public static IReadOnlyDictionary<string, string> MaskValues(IReadOnlyDictionary<string, string> values) =>
        values.ToDictionary(pair => pair.Key, pair => IsSecretKey(pair.Key) ? Mask : MaskUri(pair.Value), StringComparer.Ordinal);

    /// <summary>
    /// Carries stored secrets into settings that echo them back masked (see <see cref="MaskValues"/>), as
    /// <see cref="KeepMasked"/> does for data sources: a read-modify-write does not overwrite secrets with "****".
    /// </summary>
    public static IReadOnlyDictionary<string, string> KeepMaskedValues(IReadOnlyDictionary<string, string> updated, IReadOnlyDictionary<string, string> stored)
    {
        var merged = KeepMaskedObject(ToObject(updated), ToObject(stored));
        return updated.ToDictionary(pair => pair.Key, pair => merged[pair.Key]!.GetValue<string>(), StringComparer.Ordinal);

        static JsonObject ToObject(IReadOnlyDictionary<string, string> values)
        {
            var json = new JsonObject();
            foreach (var (key, value) in values)
            {
                json[key] = value;
            }
            return json;
        }
    }

    /// <summary>
    /// Data sources with every value <see cref="MaskAll"/> would hide replaced by its stored form: a secret key's whole
    /// value by <paramref name="sealValue"/> (given the value's JSON text, or the stored string itself when it is one),
    /// a URI's credential in place by <paramref name="sealText"/>, so that the stored form still masks to what the
    /// plaintext did (<c>postgres://svc:****@db</c>) without being decrypted. Each function returns what is already
    /// sealed unchanged.
    /// </summary>
    public static IReadOnlyList<DataSource> SealAll(IReadOnlyList<DataSource> sources, Func<JsonNode, string> sealValue, Func<string, string> sealText) =>
        sources.Select(s => s.Connection is null ? s : s with { Connection = TransformObject(s.Connection, v => JsonValue.Create(sealValue(v)), sealText) }).ToList();

    /// <summary>Data sources as <see cref="SealAll"/> stored them, with <paramref name="revealValue"/> and <paramref name="revealText"/> undoing each seal.</summary>
    public static IReadOnlyList<DataSource> RevealAll(IReadOnlyList<DataSource> sources, Func<JsonNode, JsonNode?> revealValue, Func<string, string> revealText) =>
        sources.Select(s => s.Connection is null ? s : s with { Connection = TransformObject(s.Connection, revealValue, revealText) }).ToList();

    /// <summary>Settings (a deployment's environment variables) with each value <see cref="MaskValues"/> would hide passed through <paramref name="transform"/>.</summary>
    public static IReadOnlyDictionary<string, string> TransformValues(IReadOnlyDictionary<string, string> values, Func<string, string> transform) =>
        values.ToDictionary(pair => pair.Key, pair => IsSecretKey(pair.Key) ? transform(pair.Value) : TransformUri(pair.Value, transform), StringComparer.Ordinal);

    /// <summary>Text with the credential of every URI in it passed through <paramref name="transform"/>; the same instance when it holds none.</summary>
    public static string TransformUri(string text, Func<string, string> transform) =>
        !text.Contains('@', StringComparison.Ordinal) && !text.Contains('=', StringComparison.Ordinal) ? text
        : UriSecret().Replace(text, m =>
        {
            var user = m.Groups["prefix"].Success;
            var prefix = user ? m.Groups["prefix"].Value : m.Groups["param"].Value;
            var secret = user ? m.Value[prefix.Length..^1] : m.Value[prefix.Length..];
            return secret.Length == 0 ? m.Value : prefix + transform(secret) + (user ? "@" : "");
        });

    private static JsonObject TransformObject(JsonObject connection, Func<JsonNode, JsonNode?> secretValue, Func<string, string> uriSecret)
    {
        var result = new JsonObject();
        foreach (var (key, value) in connection)
        {
            result[key] = IsSecretKey(key) && value is not null ? secretValue(value)
                : value is JsonObject nested ? TransformObject(nested, secretValue, uriSecret)
                : value is JsonValue text && text.TryGetValue<string>(out var uri) ? JsonValue.Create(TransformUri(uri, uriSecret))
                : value?.DeepClone();
        }
        return result;
    }

    private static JsonObject KeepMaskedObject(JsonObject updated, JsonObject old)
    {
        var merged = (JsonObject)updated.DeepClone();
        foreach (var (key, value) in updated)
        {
            // "****" for a secret key, or a URI echoed back with its password masked.
            if (value is JsonValue v && v.TryGetValue<string>(out var text) && old.TryGetPropertyValue(key, out var kept)
                && (text == Mask || (kept is JsonValue k && k.TryGetValue<string>(out var stored) && stored != text && MaskUri(stored) == text)))
            {
                merged[key] = kept?.DeepClone();
            }
        }
        return merged;
    }

    private static JsonObject MaskObject(JsonObject connection)
    {
        var masked = new JsonObject();
        foreach (var (key, value) in connection)
        {
            // A URI's user:password@ is as secret as a password field (postgres://svc:hunter2@db): masked too, as the UI shows it.
            masked[key] = IsSecretKey(key) && value is not null ? Mask
                : value is JsonObject nested ? MaskObject(nested)
                : value is JsonValue text && text.TryGetValue<string>(out var uri) ? MaskUri(uri)
                : value?.DeepClone();
        }
        return masked;
    }
}
