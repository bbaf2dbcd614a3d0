using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Cairn.Lineage;

/// <summary>
/// OpenLineage facets merged as text: each facet is copied as its stored or sent bytes, never parsed into a tree and
/// written again. Members keep their order: the stored ones in place (replaced where a newer one is given), then the new
/// ones as given; where a name is given twice, the last wins.
/// </summary>
internal static class FacetJson
{
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    /// <summary><paramref name="added"/>'s members put over <paramref name="existing"/>'s, each replaced whole: how facets, sent whole by every event, accumulate.</summary>
    public static string PutOver(string? existing, string added) => Merge(existing, added, depth: 1);

    /// <summary>Facets by place (<c>{"run":{…},"job":{…}}</c>): each place's facets put over the stored ones of that place.</summary>
    public static string PutOverByPlace(string? existing, string added) => Merge(existing, added, depth: 2);

    private static string Merge(string? existing, string added, int depth)
    {
        using var stored = JsonDocument.Parse(existing ?? "{}");
        using var given = JsonDocument.Parse(added);
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, Relaxed))
        {
            Write(writer, stored.RootElement, given.RootElement, depth);
        }
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity > 1024 * 1024)
        {
            // A huge facet does not keep its buffer alive on the thread.
            _buffer = null;
        }
        return text;
    }

    private static void Write(Utf8JsonWriter writer, JsonElement stored, JsonElement given, int depth)
    {
        var newer = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in given.EnumerateObject())
        {
            newer[member.Name] = member.Value;
        }
        writer.WriteStartObject();
        var written = new HashSet<string>(StringComparer.Ordinal);
        if (stored.ValueKind == JsonValueKind.Object)
        {
            foreach (var member in stored.EnumerateObject())
            {
                if (!written.Add(member.Name))
                {
                    continue;
                }
                writer.WritePropertyName(member.Name);
                if (!newer.TryGetValue(member.Name, out var value))
                {
                    Raw(writer, member.Value);
                }
                else if (depth > 1 && value.ValueKind == JsonValueKind.Object)
                {
                    Write(writer, member.Value, value, depth - 1);
                }
                else if (depth > 1)
                {
                    // A place given as something other than an object leaves the stored one as it was.
                    Raw(writer, member.Value);
                }
                else
                {
                    Raw(writer, value);
                }
            }
        }
        foreach (var (name, value) in newer)
        {
            if (written.Add(name) && (depth == 1 || value.ValueKind == JsonValueKind.Object))
            {
                writer.WritePropertyName(name);
                if (depth > 1)
                {
                    Write(writer, default, value, depth - 1);
                }
                else
                {
                    Raw(writer, value);
                }
            }
        }
        writer.WriteEndObject();
    }

    private static void Raw(Utf8JsonWriter writer, JsonElement value) => writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
}
