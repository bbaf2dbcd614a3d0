using System.Net.Http.Json;
using System.Text.Json;

namespace Cairn.IntegrationTests.Readme;

/// <summary>
/// The README works as written for someone outside this repository: its C# examples compile and run in console
/// projects that reference the packed packages (not the projects), and its quickstarts' shell lines run in order,
/// unchanged but for the port, against a real <c>cairn serve</c> on a fresh data directory.
/// </summary>
public sealed class ReadmeTests(PackedReadmeFixture fixture) : IClassFixture<PackedReadmeFixture>
{
    private const string EmbeddedSection = "The embedded library";
    private const string ClientSection = "The .NET client";
    private const string CurlSection = "Quickstart with curl";
    private const string CliSection = "Quickstart with the CLI";

    [Fact]
    public void Every_csharp_block_of_the_readme_is_one_these_tests_run()
    {
        var blocks = ReadmeBlocks.All.Where(b => b.Language is "csharp" or "cs" or "c#").Select(b => b.Section).ToList();

        Assert.Equal([EmbeddedSection, ClientSection], blocks);
    }

    [Fact]
    public async Task The_embedded_example_runs_in_an_outside_project_referencing_the_packed_Cairn_package()
    {
        var app = await fixture.BuildAppAsync("Embedded", "Cairn", ReadmeBlocks.Only(EmbeddedSection, "csharp"));
        var work = Path.Combine(fixture.Root, "embedded-run");
        Directory.CreateDirectory(work);
        await File.WriteAllBytesAsync(Path.Combine(work, "model.onnx"), SampleModel());

        var run = await Tool.RunAsync(work, "dotnet", [app]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("champion: team.fraud_detector v1, model.onnx", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 classifier(s); 1 model(s), 1 version(s)", run.Stdout, StringComparison.Ordinal);
        // The data dir the library wrote is the server's layout.
        Assert.True(File.Exists(Path.Combine(work, ".cairn", "cairn.db")));
    }

    [Fact]
    public async Task The_quickstarts_run_line_by_line_on_a_fresh_server_and_then_the_client_example_against_it()
    {
        var work = Path.Combine(fixture.Root, "quickstart");
        Directory.CreateDirectory(Path.Combine(work, "tokenizer"));
        await File.WriteAllBytesAsync(Path.Combine(work, "model.onnx"), SampleModel());
        await File.WriteAllTextAsync(Path.Combine(work, "tokenizer", "vocab.txt"), "[PAD]\n[UNK]\nclaim\n");
        await File.WriteAllTextAsync(Path.Combine(work, "tokenizer", "config.json"), """{"lowercase": true}""");
        var port = new Uri(fixture.Server.Url).Port;
        // The README's lines as they are; the only substitution is the documented one, the port. Any failing
        // line stops the script: curl fails on an HTTP error status (showing the problem details), cairn exits non-zero.
        var script = $"""
            set -euo pipefail
            curl() {"{"} command curl --fail-with-body "$@"; {"}"}
            {ReadmeBlocks.In(CurlSection, "sh")[0].Text.Replace("localhost:5000", $"localhost:{port}", StringComparison.Ordinal)}
            {ReadmeBlocks.In(CliSection, "sh")[0].Text}
            """;
        await File.WriteAllTextAsync(Path.Combine(work, "quickstart.sh"), script);
        var env = new Dictionary<string, string>
        {
            ["CAIRN_SERVER"] = fixture.Server.Url,
            ["PATH"] = PackedReadmeFixture.CliDirectory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
        };

        var run = await Tool.RunAsync(work, "bash", ["quickstart.sh"], env);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("\"valid\":true", run.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(work, "champion", "model.onnx")), run.ToString());
        // --dir keeps paths below the directory: tokenizer/vocab.txt is the version's vocab.txt.
        Assert.True(File.Exists(Path.Combine(work, "champion", "vocab.txt")), run.ToString());

        // The client example, in an outside project referencing the packed Cairn.Client, on what the quickstarts made.
        var app = await fixture.BuildAppAsync("Client", "Cairn.Client", ReadmeBlocks.Only(ClientSection, "csharp"));
        var client = await Tool.RunAsync(work, "dotnet", [app], env);

        Assert.True(client.ExitCode == 0, client.ToString());
        Assert.Contains("abc_corp.claim.doc_classification", client.Stdout, StringComparison.Ordinal);
        using var http = new HttpClient();
        var champion = await http.GetFromJsonAsync<JsonElement>($"{fixture.Server.Url}/api/v1/models/abc_corp.claim.doc_classification/aliases/champion");
        Assert.Equal(3, champion.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Cairn_version_health_and_the_openapi_document_name_the_same_version()
    {
        var cli = await Tool.RunCheckedAsync(fixture.Root, Path.Combine(PackedReadmeFixture.CliDirectory, "cairn"), ["--version"]);
        using var http = new HttpClient();
        var health = await http.GetFromJsonAsync<JsonElement>(fixture.Server.Url + "/health");
        var openApi = await http.GetFromJsonAsync<JsonElement>(fixture.Server.Url + "/openapi/v1.json");

        var version = health.GetProperty("version").GetString()!;
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$", version);
        Assert.Equal(version.Split('+')[0], cli.Stdout.Trim().Split('+')[0]);
        Assert.Equal(version.Split('+')[0], openApi.GetProperty("info").GetProperty("version").GetString());
    }

    /// <summary>Bytes standing in for a model file (the registry keeps any file; its format is then "unknown").</summary>
    private static byte[] SampleModel() => [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))];
}
