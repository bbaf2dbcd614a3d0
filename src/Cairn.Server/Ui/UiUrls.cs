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

    /// <summary>A version's file, downloaded with the UI session (each path segment escaped).</summary>
    /// <summary>A version's model card page.</summary>
    public static string ModelCard(string fullName, int version) => $"{Version(fullName, version)}/card";

    /// <summary>A version's model card rendered as md, html, pdf or mct, downloaded with the session.</summary>
    public static string ModelCardDownload(string fullName, int version, string format) => $"{Version(fullName, version)}/card/download/{format}";

    public static string VersionFile(string fullName, int version, string path) =>
        $"{Version(fullName, version)}/files/{string.Join('/', path.Split('/').Select(Segment))}";

    /// <summary>Versions side by side; <paramref name="onlyDifferences"/> hides the rows where they agree.</summary>
    public static string Compare(string fullName, IEnumerable<int> versions, bool onlyDifferences) =>
        onlyDifferences ? Compare(fullName, versions) + "&only=diff" : Compare(fullName, versions);

    /// <summary>The deployments page, per environment; filtered to one environment or to a model's version when given.</summary>
    public static string Deployments(string? environment = null, string? model = null, int? version = null, string? page = null) =>
        With("/deployments", ("env", environment), ("model", model), ("version", version?.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("page", page));

    /// <summary>One deployment's page.</summary>
    public static string Deployment(string id) => $"/deployments/{Segment(id)}";

    public static string Experiments() => "/experiments";

    public static string Experiment(string id) => $"/experiments/{Segment(id)}";

    public static string Run(string runId) => $"/runs/{Segment(runId)}";

    public static string Lineage(string? node = null, int? depth = null) =>
        With("/lineage", ("node", node), ("depth", depth?.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public static string Datasets() => "/datasets";

    /// <summary>The lineage explorer around <paramref name="node"/>; both directions (the default) is left out.</summary>
    public static string LineageExplorer(string? node = null, int? depth = null, string? dir = null, string? q = null, string? page = null) =>
        With("/lineage", ("node", node), ("depth", depth?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("dir", dir is null or "both" ? null : dir), ("q", q), ("page", page));

    public static string LineagePath(string? from = null, string? to = null) => With("/lineage/path", ("from", from), ("to", to));

    public static string DatasetList(string? q = null, string? page = null) => With("/datasets", ("q", q), ("page", page));

    public static string FeatureList(string? q = null, string? page = null) => With("/features", ("q", q), ("page", page));

    /// <summary>A dataset's page; namespaces and names hold slashes and colons, so both are query values.</summary>
    public static string Dataset(string @namespace, string name, string? versionsPage = null) =>
        With("/datasets/view", ("ns", @namespace), ("name", name), ("versions", versionsPage));

    public static string Audit() => "/audit";

    /// <summary>The experiments list, searched by name.</summary>
    public static string ExperimentList(string? q = null, string? page = null) => With("/experiments", ("q", q), ("page", page));

    /// <summary>An experiment's runs table: its filter, order, chosen columns (comma-separated) and page token.</summary>
    public static string Runs(string experimentId, string? filter = null, string? order = null, string? cols = null, string? page = null) =>
        With(Experiment(experimentId), ("filter", filter), ("order", order), ("cols", cols), ("page", page));

    /// <summary>A run's page: the x axis of its charts ("step" or "time") and the artifact shown.</summary>
    public static string RunView(string runId, string? x = null, string? artifact = null) =>
        With(Run(runId), ("x", x), ("artifact", artifact)) + (artifact is null ? "" : "#artifacts");

    /// <summary>A run's artifact file, downloaded through the UI's session.</summary>
    public static string RunFile(string runId, string path) => With($"{Run(runId)}/artifacts/file", ("path", path));

    /// <summary>Runs side by side: the metric whose curves are overlaid and the scatter's two axes.</summary>
    public static string CompareRuns(IEnumerable<string> runIds, string? metric = null, string? x = null, string? y = null) =>
        With(QueryHelpers.AddQueryString("/runs/compare", runIds.Select(r => KeyValuePair.Create("r", (string?)r))), ("metric", metric), ("x", x), ("y", y));

    public static string AuditLog(string? actor = null, string? action = null, string? resource = null, string? from = null, string? to = null, string? page = null) =>
        With("/audit", ("actor", actor), ("action", action), ("resource", resource), ("from", from), ("to", to), ("page", page));

    public static string AuditVerify() => "/audit/verify";

    public static string AdminTokens() => "/admin/tokens";

    public static string AdminTokensPage(string page) => With("/admin/tokens", ("page", page));

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

    // Compliance report (issue 17).
    public static string ComplianceReport(string? scope = null, string? at = null) => With("/reports/compliance", ("scope", scope), ("at", at));

    public static string ComplianceDownload(string scope, DateTimeOffset? at, string format) =>
        With("/reports/compliance/download", ("scope", scope), ("at", at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)), ("format", format));

    public static string Approvals() => "/approvals";

    /// <summary>The monitoring overview: deployments with unresolved alerts, recent drift verdicts.</summary>
    public static string Monitoring() => "/monitoring";

    /// <summary>One deployment's monitoring page; <paramref name="feature"/> selects the feature whose distributions are drawn.</summary>
    public static string MonitoringDeployment(string deploymentId, string? feature = null) =>
        With($"/monitoring/{Segment(deploymentId)}", ("feature", feature));
}
