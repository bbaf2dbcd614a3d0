using Cairn.Governance.Compliance;
using Cairn.Server.Api;

namespace Cairn.Server.Ui.Pages.Reports;

/// <summary>
/// The compliance report downloaded from the UI with the signed-in session's caller (a browser link cannot send the
/// API's Authorization header): the same formats as <c>GET /api/v1/reports/compliance</c>, as attachments.
/// </summary>
internal static class ComplianceDownloads
{
    public static void MapComplianceDownloads(this WebApplication app) =>
        app.MapGet("/reports/compliance/download", DownloadAsync).WithMetadata(new UiEndpointAttribute()).ExcludeFromDescription();

    private static async Task<IResult> DownloadAsync(HttpContext http, ComplianceReports reports, string? scope = null, string? at = null, string? format = null)
    {
        var kind = ComplianceFormats.Parse(format);
        var report = await reports.BuildAsync(http.UiCaller(), scope, ReportsApi.Instant(at), http.RequestAborted);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{ComplianceFormats.FileName(report, kind)}\"";
        return ComplianceFormats.Result(report, kind);
    }
}
