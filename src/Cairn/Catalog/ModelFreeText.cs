using Cairn.Storage;

namespace Cairn.Catalog;

/// <summary>
/// Free text over models (<c>q</c>: the text anywhere in the full name or the description, any case) in a form each
/// database answers from the trigram indexes of migration 0025 (decision 0032) instead of reading every model.
/// </summary>
internal static class ModelFreeText
{
    /// <summary>A trigram index finds texts of at least this many characters; shorter ones are matched by the scan alone.</summary>
    private const int Trigram = 3;

    /// <summary>
    /// The WHERE clause for <paramref name="q"/>, with the same matches as <see cref="Paging.FreeText"/> over
    /// <c>m.full_name</c> and <c>m.description</c>: on SQLite that very condition, behind the FTS5 trigram table's
    /// candidates (a superset: it folds case at least as widely as LIKE does); on PostgreSQL ILIKE on the bare columns,
    /// which pg_trgm's GIN indexes answer (a NULL description fails the pattern as the empty string does).
    /// </summary>
    public static string Condition(string q, ISqlDialect dialect, IDictionary<string, object?> parameters)
    {
        var exact = Paging.FreeText(q, dialect, parameters, "m.full_name", "m.description");
        var text = q.Trim();
        if (dialect.Name == "postgres")
        {
            return "(m.full_name ILIKE @q ESCAPE '\\' OR m.description ILIKE @q ESCAPE '\\')";
        }
        if (text.EnumerateRunes().Count() < Trigram)
        {
            return exact;
        }
        // One FTS5 phrase (quotes doubled inside): its trigrams in sequence, which is the text as a substring.
        parameters["qtext"] = "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        return $"m.id IN (SELECT rowid FROM models_text WHERE models_text MATCH @qtext) AND {exact}";
    }
}
