using Microsoft.AspNetCore.WebUtilities;

namespace Cairn.Server.Ui;

/// <summary>
/// Every UI address in one place, so that a view's whole state is in its URL and links are built one way. Path
/// segments are escaped; empty query values are left out.
/// </summary>
public static class UiUrls
{
    public static string Models(string? filter = null, string? q = null, string? order = null, string? page = null, string? under = null) =>
        With("/models", ("filter", filter), ("q", q), ("order", order), ("page", page), ("ns", under));

    public static string Model(string fullName) => $"/models/{Segment(fullName)}";

    public static string Version(string fullName, int version) => $"{Model(fullName)}/versions/{version}";

    public static string Compare(string fullName, IEnumerable<int> versions) =>
        QueryHelpers.AddQueryString($"{Model(fullName)}/compare", versions.Select(v => KeyValuePair.Create("v", (string?)v.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    public static string Experiments() => "/experiments";

    public static string Experiment(string id) => $"/experiments/{Segment(id)}";

    public static string Run(string runId) => $"/runs/{Segment(runId)}";

    public static string Lineage(string? node = null, int? depth = null) =>
        With("/lineage", ("node", node), ("depth", depth?.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public static string Datasets() => "/datasets";

    public static string Audit() => "/audit";

    public static string AuditLog(string? actor = null, string? action = null, string? resource = null, string? from = null, string? to = null, string? page = null) =>
        With("/audit", ("actor", actor), ("action", action), ("resource", resource), ("from", from), ("to", to), ("page", page));

    public static string AuditVerify() => "/audit/verify";

    public static string AdminTokens() => "/admin/tokens";

    /// <summary>
    /// The page of what an audit entry's resource names (a model, version, run, experiment or token), or null when the
    /// UI has no page for it. Resources are written as <c>models/{full name}/versions/{n}/…</c>, <c>runs/{id}</c> and so on.
    /// </summary>
    public static string? ForResource(string resource)
    {
        var parts = resource.Split('/');
        return parts switch
        {
            ["models", var model, "versions", var v, ..] when model.Length > 0 && int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) => Version(model, version),
            ["models", var model, ..] when model.Length > 0 => Model(model),
            ["runs", var run, ..] when run.Length > 0 => Run(run),
            ["experiments", var experiment, ..] when experiment.Length > 0 => Experiment(experiment),
            ["tokens", _, ..] => AdminTokens(),
            _ => null,
        };
    }

    /// <summary>A filter that finds models with a tag (the filter language's quoting).</summary>
    public static string TagFilter(string key, string value) =>
        $"tags.{(IsPlainKey(key) ? key : Quote(key, '`'))} = {Quote(value, '\'')}";

    /// <summary>Text between quotes as the filter lexer reads it: the quote doubled, a backslash escaped.</summary>
    private static string Quote(string text, char quote) =>
        quote + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(quote.ToString(), new string(quote, 2), StringComparison.Ordinal) + quote;

    /// <summary>A path with the query values that are set.</summary>
    public static string With(string path, params (string Key, string? Value)[] query) =>
        QueryHelpers.AddQueryString(path, query.Where(q => !string.IsNullOrEmpty(q.Value)).Select(q => KeyValuePair.Create(q.Key, q.Value)));

    private static string Segment(string value) => Uri.EscapeDataString(value);

    private static bool IsPlainKey(string key) => key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
