using Cairn.Client;
using Cairn.Tests.Api;

namespace Cairn.Tests.Compliance;

/// <summary>The typed client's report calls: the records, and each format as bytes.</summary>
public sealed class ComplianceReportClientTests : IDisposable
{
    private readonly ClockedApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task The_client_reads_the_report_whose_head_audit_verify_reports_and_downloads_each_format()
    {
        using var cairn = new CairnClient(_app.CreateClient());
        await cairn.CreateModelAsync(new CreateModelRequest("/risk", "m"));
        await cairn.CreateVersionAsync("risk.m");
        _app.Clock.Set(ClockedApp.Day(1));
        await cairn.SetAliasAsync("risk.m", "champion", 1);

        var report = await cairn.GetComplianceReportAsync("/risk", ClockedApp.Day(2));
        var verification = await cairn.VerifyAuditAsync();

        Assert.Equal(verification.Checked, report.Audit.HeadSeq);
        Assert.Equal(verification.HeadHash, report.Audit.HeadHash);
        Assert.True(report.Audit.Verification.Valid);
        var champion = report.Models.Single().Targets.Single(t => t.Target == "@champion");
        Assert.Equal([1], champion.HeldAt!);
        Assert.Equal("direct", champion.Holdings.Single().How);
        Assert.Equal(ClockedApp.Day(2), report.At);
        Assert.Equal(9, report.AnnexIv.Count);

        foreach (var (format, start) in new[] { ("pdf", "%PDF"), ("html", "<!DOCTYPE html>"), ("json", "{") })
        {
            using var bytes = new MemoryStream();
            await cairn.DownloadComplianceReportAsync("risk.m", null, format, bytes);
            Assert.StartsWith(start, System.Text.Encoding.UTF8.GetString(bytes.ToArray()), StringComparison.OrdinalIgnoreCase);
        }
        var error = await Assert.ThrowsAsync<CairnApiException>(() => cairn.GetComplianceReportAsync("risk.none"));
        Assert.Equal(404, (int)error.StatusCode);
    }
}
