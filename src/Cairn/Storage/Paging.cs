using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Cairn.Storage;

/// <summary>Opaque page tokens and page sizes shared by every listing.</summary>
public static class Paging
{
    /// <summary>Clamps a requested page size; 0 or negative is an error, above the cap is capped.</summary>
    public static int PageSize(int? requested, int defaultSize, int maxSize) => requested switch
    {
        null => defaultSize,
        <= 0 => throw new InvalidParameterException($"'max_results' must be between 1 and {maxSize}; got {requested}."),
        _ => Math.Min(requested.Value, maxSize),
    };

    /// <summary>A token for keyset paging: the last key seen.</summary>
    public static string EncodeCursor(long key) => Encode("k" + key.ToString(CultureInfo.InvariantCulture));

    public static long DecodeCursor(string token) =>
        Decode(token) is ['k', .. var rest] && long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var key)
            ? key
            : throw Invalid();

    /// <summary>
    /// A token for offset paging, bound to the query it came from (<paramref name="queryShape"/>):
    /// reusing it with another filter or order is refused rather than silently skipping rows.
    /// </summary>
    public static string EncodeOffset(int offset, string queryShape) =>
        Encode(FormattableString.Invariant($"o{offset}:{Fingerprint(queryShape)}"));

    public static int DecodeOffset(string? token, string queryShape)
    {
        if (token is null)
        {
            return 0;
        }
        var text = Decode(token);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 2 || text[0] != 'o' || !int.TryParse(text.AsSpan(1, colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            throw Invalid();
        }
        if (text[(colon + 1)..] != Fingerprint(queryShape))
        {
            throw new InvalidParameterException("'page_token' belongs to a different query: repeat the filter and order_by it was issued for.");
        }
        return offset;
    }

    /// <summary>
    /// The WHERE clause of a free-text search (<c>q</c>): the text, wildcards escaped, anywhere in any of
    /// <paramref name="columns"/>, case-insensitively; its parameter <c>@q</c> is added to <paramref name="parameters"/>.
    /// </summary>
    public static string FreeText(string q, ISqlDialect dialect, IDictionary<string, object?> parameters, params string[] columns)
    {
        parameters["q"] = "%" + EscapeLike(q.Trim()) + "%";
        return "(" + string.Join(" OR ", columns.Select(c => dialect.CaseInsensitiveLike($"COALESCE({c}, '')", "@q") + " ESCAPE '\\'")) + ")";
    }

    /// <summary>Escapes LIKE wildcards so the text matches itself (use with <c>ESCAPE '\'</c>).</summary>
    public static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private static string Decode(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw Invalid();
        }
    }

    private static string Fingerprint(string shape) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(shape)))[..16];

    private static InvalidParameterException Invalid() => new("'page_token' is not a token this server issued.");
}

/// <summary>
/// One page of an offset listing: <see cref="Sql"/> ends the statement, <c>AddTo</c> binds its parameters (one
/// row more than the page, to tell whether another page follows), <see cref="Cut{T}"/> makes the page and the next token.
/// </summary>
public readonly record struct OffsetPage(int Size, int Offset, string Shape)
{
    public const string Sql = " LIMIT @limit OFFSET @offset";

    /// <summary>The page <paramref name="token"/> asks for, of a query whose filter, order and scope <paramref name="shape"/> names.</summary>
    public static OffsetPage Start(int size, string? token, string shape) => new(size, Paging.DecodeOffset(token, shape), shape);

    public void AddTo(IDictionary<string, object?> parameters)
    {
        parameters["limit"] = (long)Size + 1;
        parameters["offset"] = Offset;
    }

    public void AddTo(Dapper.DynamicParameters parameters)
    {
        parameters.Add("limit", (long)Size + 1);
        parameters.Add("offset", Offset);
    }

    public (List<T> Rows, string? Next) Cut<T>(IEnumerable<T> rows)
    {
        var list = rows as List<T> ?? rows.ToList();
        if (list.Count <= Size)
        {
            return (list, null);
        }
        list.RemoveRange(Size, list.Count - Size);
        return (list, Paging.EncodeOffset(Offset + Size, Shape));
    }
}
