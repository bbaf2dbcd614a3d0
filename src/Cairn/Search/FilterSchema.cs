using System.Diagnostics.CodeAnalysis;

namespace Cairn.Search;

/// <summary>Which grammar and names a search's filter and order_by are written in.</summary>
public enum FilterGrammar
{
    /// <summary>Cairn's filter language and attribute names.</summary>
    Cairn,

    /// <summary>MLflow's grammar (AND only, its prefixes) and MLflow's field names, for the MLflow API.</summary>
    Mlflow,
}

/// <summary>How a field's values compare, and so which literals a filter may hold for it.</summary>
public enum FilterValueType
{
    [SuppressMessage("Naming", "CA1720", Justification = "The filter language's own word for the type.")]
    String,
    Number,

    /// <summary>Stored as Unix epoch milliseconds; filters may also write ISO-8601 date/times.</summary>
    Timestamp,
}

/// <summary>
/// An attribute usable in filters and order_by: its filter name, the SQL expression it maps to, its type, when its
/// values do not sort in a useful order as text (a stage) the SQL expression order_by sorts it by, and, when its values
/// are a fixed set of names written in any case (a stage), how a literal compared with = != IN NOT IN becomes the
/// stored name (LIKE patterns are left as written).
/// </summary>
[SuppressMessage("Naming", "CA1711", Justification = "An attribute of a searchable entity, not a .NET attribute.")]
public sealed record FilterAttribute(string Name, string Column, FilterValueType Type, string? OrderColumn = null, Func<string, string>? Canonical = null);

/// <summary>
/// A keyed collection such as tags: rows of <paramref name="Table"/> whose <paramref name="OwnerColumn"/> equals the
/// entity's <paramref name="EntityColumn"/> (its id column when null).
/// </summary>
[SuppressMessage("Naming", "CA1711", Justification = "Describes a keyed collection; it is not itself one.")]
public sealed record FilterCollection(
    string Prefix,
    string Table,
    string OwnerColumn,
    string KeyColumn,
    string ValueColumn,
    FilterValueType ValueType,
    string? EntityColumn = null);

/// <summary>
/// What one entity (models, versions) exposes to search. Every piece of SQL a filter or order_by
/// can produce comes from here, never from the user's text.
/// </summary>
public sealed record FilterSchema(
    string IdColumn,
    IReadOnlyList<FilterAttribute> Attributes,
    IReadOnlyList<FilterCollection> Collections)
{
    internal FilterAttribute? FindAttribute(string name) =>
        Attributes.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    internal FilterCollection? FindCollection(string prefix) =>
        Collections.FirstOrDefault(c => string.Equals(c.Prefix, prefix, StringComparison.OrdinalIgnoreCase));

    /// <summary>"name, version or created_at": for error messages that list what is allowed.</summary>
    internal string DescribeAttributes() => JoinAlternatives(Attributes.Select(a => a.Name));

    internal string DescribePrefixes() => JoinAlternatives(Collections.Select(c => c.Prefix + ".<key>"));

    internal static string JoinAlternatives(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count switch
        {
            0 => "(none)",
            1 => list[0],
            _ => string.Join(", ", list.Take(list.Count - 1)) + " or " + list[^1],
        };
    }
}
