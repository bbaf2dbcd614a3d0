namespace Cairn.Search;

/// <summary>Turns a user's order_by (<c>name ASC, version DESC</c>) into a SQL ORDER BY list over a <see cref="FilterSchema"/>.</summary>
public static class OrderByClause
{
    private const string Subject = "order_by";

    /// <summary>
    /// Parses comma-separated <c>attribute [ASC|DESC]</c> terms (ASC by default, keywords case-insensitive) into SQL
    /// such as <c>m.name ASC, v.version DESC, v.id ASC</c>. The schema's id column always comes last (unless already
    /// ordered on) so that rows with equal keys keep one order and paging neither skips nor repeats them.
    /// A null or whitespace <paramref name="orderBy"/> means <paramref name="defaultOrderBy"/>.
    /// </summary>
    /// <exception cref="FilterSyntaxException">An unknown attribute or direction, or a misplaced comma.</exception>
    public static string ToSql(string? orderBy, FilterSchema schema, string defaultOrderBy)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(defaultOrderBy);

        var tokens = FilterLexer.Tokenize(string.IsNullOrWhiteSpace(orderBy) ? defaultOrderBy : orderBy, Subject);
        var terms = new List<string>();
        var ordersById = false;
        var index = 0;
        for (var more = tokens[0].Kind != FilterTokenKind.End; more;)
        {
            var name = tokens[index++];
            var attribute = (name.Kind == FilterTokenKind.Name && name.Key is null ? schema.FindAttribute(name.Value) : null)
                ?? throw Unexpected(name, $"an attribute ({schema.DescribeAttributes()})");

            // The direction is written from constants: only schema text and keywords reach the SQL.
            var explicitDirection = tokens[index].IsKeyword("ASC") || tokens[index].IsKeyword("DESC");
            var direction = explicitDirection && tokens[index++].IsKeyword("DESC") ? "DESC" : "ASC";
            terms.Add($"{attribute.OrderColumn ?? attribute.Column} {direction}");
            ordersById |= attribute.Column == schema.IdColumn;

            var separator = tokens[index++];
            more = separator.Kind == FilterTokenKind.Comma;
            if (!more && separator.Kind != FilterTokenKind.End)
            {
                throw Unexpected(separator, explicitDirection ? "',' or end of order_by" : "ASC, DESC, ',' or end of order_by");
            }
        }

        if (!ordersById)
        {
            terms.Add($"{schema.IdColumn} ASC");
        }

        return string.Join(", ", terms);
    }

    private static FilterSyntaxException Unexpected(FilterToken token, string expected) =>
        FilterSyntaxException.Unexpected(Subject, token.Position, expected, token.Describe(Subject));
}
