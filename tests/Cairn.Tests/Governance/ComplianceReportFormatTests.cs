using System.Text;
using Cairn.Tests.Api;

namespace Cairn.Tests.Compliance;

/// <summary>The report in HTML (every text encoded) and PDF, from the same facts as the JSON.</summary>
public sealed class ComplianceReportFormatTests : IDisposable
{
    private readonly ClockedApp _app = new();
    private readonly HttpClient _client;

    public ComplianceReportFormatTests() => _client = _app.CreateClient();

    public void Dispose() => _app.Dispose();

    private async Task SeedAsync()
    {
        await (await _client.PostJsonAsync("/api/v1/models", new { @namespace = "/risk", model_name = "m", description = "<script>alert(1)</script> & co" })).ExpectAsync(201);
        await (await _client.PostJsonAsync("/api/v1/models/risk.m/versions", new { description = "<img src=x onerror=alert(2)>" })).ExpectAsync(201);
        _app.Clock.Set(ClockedApp.Day(1));
        await (await _client.PostJsonAsync("/api/v1/models/risk.m/versions/1/stage", new { stage = "Production", comment = "<b>go</b>" })).ExpectAsync(200);
    }

    [Fact]
    public async Task The_html_report_encodes_every_text_and_shows_the_audit_head()
    {
        await SeedAsync();
        var json = await ComplianceReportHistoryTests.ReportAsync(_client, "/risk");

        var response = await _client.GetAsync("/api/v1/reports/compliance?scope=/risk&at=2026-03-01T12:00:00Z&format=html");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co", html, StringComparison.Ordinal);
        Assert.Contains((string)json["audit"]!["head_hash"]!, html, StringComparison.Ordinal);
        Assert.Contains("changed directly (no request)", html, StringComparison.Ordinal);
        Assert.Contains("Annex IV", html, StringComparison.Ordinal);
        Assert.Contains("Not recorded by Cairn.", html, StringComparison.Ordinal);
        Assert.Contains("Held at 2026-03-01 12:00:00 UTC", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pdf_report_is_a_pdf_offered_as_a_download()
    {
        await SeedAsync();

        var response = await _client.GetAsync("/api/v1/reports/compliance?scope=risk.m&format=pdf");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("compliance-risk.m-", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), StringComparison.Ordinal);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("%PDF", Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.True(bytes.Length > 1000);
    }
}
