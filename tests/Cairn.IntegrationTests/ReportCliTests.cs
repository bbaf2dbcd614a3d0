using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cairn.IntegrationTests;

/// <summary><c>cairn report compliance</c> on a real server: its audit head is the one <c>cairn audit verify</c> reports.</summary>
public sealed class ReportCliTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cairn-report-cli-").FullName;
    private ServerProcess? _server;

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(["--data-dir", _dataDir]);
        using var http = new HttpClient { BaseAddress = new Uri(_server.Url) };
        (await http.PostAsJsonAsync("/api/v1/models", new { @namespace = "/risk", model_name = "fraud" })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/api/v1/models/risk.fraud/versions", new { })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/api/v1/models/risk.fraud/versions/1/stage", new { stage = "Production" })).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await _server!.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task The_reports_audit_head_is_what_cairn_audit_verify_reports_and_the_pdf_is_written_to_a_file()
    {
        var report = await Cli.RunAsync(["report", "compliance", "/risk", "--at", "2099-01-01", "--json", "--server", _server!.Url], null);
        var verify = await Cli.RunAsync(["audit", "verify", "--json", "--server", _server.Url], null);
        var table = await Cli.RunAsync(["report", "compliance", "risk.fraud", "--server", _server.Url], null);
        var pdf = Path.Combine(_dataDir, "report.pdf");
        var written = await Cli.RunAsync(["report", "compliance", "risk.fraud", "--format", "pdf", "-o", pdf, "--server", _server.Url], null);

        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.True(verify.ExitCode == 0, verify.Stderr);
        var audit = JsonNode.Parse(report.Stdout)!["audit"]!;
        var verified = JsonNode.Parse(verify.Stdout)!;
        Assert.Equal((long)verified["checked"]!, (long)audit["head_seq"]!);
        Assert.Equal((string?)verified["head_hash"], (string?)audit["head_hash"]);
        Assert.Equal(1, (int)JsonNode.Parse(report.Stdout)!["models"]![0]!["targets"]!.AsArray().Single(t => (string?)t!["target"] == "Production")!["held_at"]![0]!);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("direct (no request)", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("Audit chain verified", table.Stdout, StringComparison.Ordinal);
        Assert.True(written.ExitCode == 0, written.Stderr);
        Assert.Equal("%PDF"u8.ToArray(), (await File.ReadAllBytesAsync(pdf))[..4]);
    }
}
