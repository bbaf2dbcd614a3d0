using System.Globalization;
using Cairn.Governance.Compliance;

namespace Cairn.Server.Api;

/// <summary>Compliance reports: <c>/api/v1/reports/compliance</c> (decision 0022).</summary>
public static class ReportsApi
{
    public static RouteGroupBuilder MapReportsApi(this RouteGroupBuilder api)
    {
        var reports = api.MapGroup("/reports").WithTags("Reports");
        reports.MapGet("/compliance", ComplianceAsync)
            .WithSummary("A compliance report for a model or a namespace: who held each stage and alias when, who allowed it, with evidence (reader)")
            .Produces<ComplianceReport>(StatusCodes.Status200OK, "application/json")
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf");
        return api;
    }

    public static async Task<IResult> ComplianceAsync(
        HttpContext http, ComplianceReports reports, CancellationToken cancellationToken,
        string? scope = null, string? at = null, string? format = null)
    {
        var kind = ComplianceFormats.Parse(format);
        var report = await reports.BuildAsync(http.Caller(), scope, Instant(at), cancellationToken);
        return ComplianceFormats.Result(report, kind);
    }

    /// <summary>An ISO 8601 instant; a date alone is its midnight UTC, a time without an offset is UTC.</summary>
    internal static DateTimeOffset? Instant(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time.ToUniversalTime()
        : throw new InvalidParameterException($"'at' must be an ISO 8601 time such as 2026-01-31 or 2026-01-31T12:00:00Z; got '{value}'.");
}

/// <summary>The formats a compliance report is written in.</summary>
internal static class ComplianceFormats
{
    public static string Parse(string? format) => (format ?? "json").ToLowerInvariant() switch
    {
        "json" => "json",
        "html" => "html",
        "pdf" => "pdf",
        _ => throw new InvalidParameterException($"'format' must be json, html or pdf; got '{format}'."),
    };

    public static IResult Result(ComplianceReport report, string format) => format switch
    {
        "json" => TypedResults.Json(report, CairnJson.Options),
        "html" => TypedResults.Text(Documents.HtmlRenderer.Render(ComplianceDocument.From(report)), "text/html; charset=utf-8"),
        _ => TypedResults.File(Documents.PdfRenderer.Render(ComplianceDocument.From(report)), "application/pdf", FileName(report, "pdf")),
    };

    /// <summary>A file name for a download: the scope and the instant, in characters any file system takes.</summary>
    public static string FileName(ComplianceReport report, string extension)
    {
        var scope = new string(report.Scope.Trim('/').Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        var when = (report.At ?? report.GeneratedAt).UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        return $"compliance-{(scope.Length == 0 ? "root" : scope)}-{when}.{extension}";
    }
}
