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
    public static string ToSql(string? orderBy, FilterSchema schema, string defaultOrderBy) => ToSql(orderBy, schema, defaultOrderBy, null);

    /// <summary>
    /// As <see cref="ToSql(string?, FilterSchema, string)"/>, and with <paramref name="parameters"/> also orders by a keyed
    /// collection's value (<c>metrics.accuracy DESC</c>, <c>tags.team</c>): the key travels as a parameter added there, and
    /// entities without the key come last in either direction and on either database (SQLite and PostgreSQL place NULL
    /// at opposite ends), as MLflow orders runs without a metric.
    /// </summary>
    /// <exception cref="FilterSyntaxException">An unknown attribute, prefix or direction, or a misplaced comma.</exception>
    public static string ToSql(string? orderBy, FilterSchema schema, string defaultOrderBy, IDictionary<string, object?>? parameters)
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
            string column;
            if (parameters is not null && name.Kind == FilterTokenKind.Name && name.Key is not null && schema.FindCollection(name.Value) is { } collection)
            {
                var parameter = $"o{terms.Count}";
                parameters[parameter] = name.Key;
                var alias = $"ob{terms.Count}";
                column = $"(SELECT {alias}.{collection.ValueColumn} FROM {collection.Table} {alias} WHERE {alias}.{collection.OwnerColumn} = "
                    + $"{collection.EntityColumn ?? schema.IdColumn} AND {alias}.{collection.KeyColumn} = @{parameter})";
                terms.Add($"CASE WHEN {column} IS NULL THEN 1 ELSE 0 END ASC");
            }
            else
            {
                var attribute = (name.Kind == FilterTokenKind.Name && name.Key is null ? schema.FindAttribute(name.Value) : null)
                    ?? throw Unexpected(name, parameters is null || schema.Collections.Count == 0
                        ? $"an attribute ({schema.DescribeAttributes()})"
                        : $"an attribute ({schema.DescribeAttributes()}) or {schema.DescribePrefixes()}");
                column = attribute.OrderColumn ?? attribute.Column;
                ordersById |= attribute.Column == schema.IdColumn;
            }

            // The direction is written from constants: only schema text and keywords reach the SQL.
            var explicitDirection = tokens[index].IsKeyword("ASC") || tokens[index].IsKeyword("DESC");
            var direction = explicitDirection && tokens[index++].IsKeyword("DESC") ? "DESC" : "ASC";
            terms.Add($"{column} {direction}");

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
