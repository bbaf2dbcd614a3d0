using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Compliance;

/// <summary>
/// The report's audit head is what <c>cairn audit verify</c> (GET /api/v1/audit/verify) covers, a tampered store shows in
/// the report as a failed verification, and a reader of the scope — no more — may read the report.
/// </summary>
public sealed class ComplianceReportAuditTests : IDisposable
{
    private readonly ClockedApp _app = new("token");

    public void Dispose() => _app.Dispose();

    private async Task<(HttpClient Admin, HttpClient Reader)> SeedAsync()
    {
        var admin = _app.ClientWithToken(await _app.TokenAsync("root", "admin"));
        var reader = _app.ClientWithToken(await _app.TokenAsync("auditor", "reader", "/risk"));
        await (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/risk", model_name = "m" })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models", new { @namespace = "/other", model_name = "x" })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/risk.m/versions", new { })).ExpectAsync(201);
        await (await admin.PostJsonAsync("/api/v1/models/risk.m/versions/1/stage", new { stage = "Staging" })).ExpectAsync(200);
        await (await admin.PutJsonAsync("/api/v1/models/risk.m/aliases/champion", new { version = 1 })).ExpectAsync(200);
        return (admin, reader);
    }

    [Fact]
    public async Task The_reports_audit_head_is_the_head_audit_verify_reports()
    {
        var (admin, reader) = await SeedAsync();

        var report = await ComplianceReportHistoryTests.ReportAsync(reader, "/risk");
        var verify = await (await admin.GetAsync("/api/v1/audit/verify")).ExpectAsync(200);

        var audit = report["audit"]!;
        Assert.True((bool)verify["valid"]!);
        Assert.Equal((long)verify["checked"]!, (long)audit["head_seq"]!);
        Assert.Equal((string?)verify["head_hash"], (string?)audit["head_hash"]);
        Assert.True((bool)audit["head_verified"]!);
        Assert.True((bool)audit["verification"]!["valid"]!);
        Assert.Equal((long)verify["checked"]!, (long)audit["verification"]!["checked"]!);
        // Reading a report writes nothing: the head stays where it was.
        Assert.Equal((long)audit["head_seq"]!, (long)(await ComplianceReportHistoryTests.ReportAsync(reader, "/risk"))["audit"]!["head_seq"]!);
        Assert.Equal("auditor", (string?)report["generated_by"]);
    }

    [Fact]
    public async Task A_tampered_audit_entry_shows_in_the_report_as_a_failed_verification()
    {
        var (_, reader) = await SeedAsync();
        var seq = await _app.ScalarAsync<long>("SELECT MAX(seq) FROM audit_log WHERE action = 'version.stage'");
        await _app.ExecuteSqlAsync($"UPDATE audit_log SET actor = 'someone-else' WHERE seq = {seq}");

        var audit = (await ComplianceReportHistoryTests.ReportAsync(reader, "risk.m"))["audit"]!;
        var verification = audit["verification"]!;
        Assert.False((bool)verification["valid"]!);
        Assert.Equal(seq, (long)verification["broken_at"]!);
        Assert.Contains("modified", (string?)verification["reason"], StringComparison.Ordinal);
        Assert.False((bool)audit["head_verified"]!);
    }

    [Fact]
    public async Task A_reader_of_the_scope_reads_the_report_and_nothing_outside_it()
    {
        var (_, reader) = await SeedAsync();

        var report = await ComplianceReportHistoryTests.ReportAsync(reader, "/risk");
        Assert.Equal(["risk.m"], report["models"]!.AsArray().Select(m => (string?)m!["model"]));
        // Lineage needs reader on "/" (decision 0007): withheld from a reader of /risk only.
        Assert.Null(report["models"]![0]!["versions"]![0]!["lineage"]);
        await (await reader.GetAsync("/api/v1/reports/compliance?scope=/other")).ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.GetAsync("/api/v1/reports/compliance?scope=other.x")).ExpectAsync(403, "PERMISSION_DENIED");
        await (await reader.GetAsync("/api/v1/reports/compliance?scope=/")).ExpectAsync(403, "PERMISSION_DENIED");
        await (await _app.CreateClient().GetAsync("/api/v1/reports/compliance?scope=/risk")).ExpectAsync(401, "UNAUTHENTICATED");
        var writerElsewhere = _app.ClientWithToken(await _app.TokenAsync("other-writer", "writer", "/other"));
        await (await writerElsewhere.GetAsync("/api/v1/reports/compliance?scope=risk.m")).ExpectAsync(403, "PERMISSION_DENIED");
        var rootReader = _app.ClientWithToken(await _app.TokenAsync("root-reader", "reader"));
        Assert.NotNull((await ComplianceReportHistoryTests.ReportAsync(rootReader, "risk.m"))["models"]![0]!["versions"]![0]!["lineage"] as JsonObject);
    }
}
