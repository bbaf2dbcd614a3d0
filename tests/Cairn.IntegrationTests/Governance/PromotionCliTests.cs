using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Cairn.IntegrationTests.Governance;

/// <summary>
/// <c>cairn policy</c> and <c>cairn promote</c> against a token-protected <c>cairn serve</c>, each person with their own
/// token; a direct <c>cairn stage set</c> or <c>cairn alias set</c> on a protected target fails with the policy's words.
/// </summary>
public sealed class PromotionCliTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cairn-promote-cli-").FullName;
    private ServerProcess? _server;
    private string _admin = "";

    public async Task InitializeAsync()
    {
        var created = await Cli.RunAsync("token", "create", "--init", "--data-dir", _dataDir, "--name", "admin", "--role", "admin");
        Assert.True(created.ExitCode == 0, created.Stderr);
        _admin = created.LastWord;
        _server = await ServerProcess.StartAsync(["--data-dir", _dataDir, "--auth", "token"]);
    }

    public async Task DisposeAsync()
    {
        await _server!.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDir, recursive: true);
    }

    private async Task<string> TokenAsync(string name, string role, string ns)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_server!.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _admin);
        var response = await http.PostAsJsonAsync("/api/v1/tokens", new { name, role, @namespace = ns });
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!;
    }

    private Task<Cli.Result> AsAsync(string token, params string[] args) => Cli.RunAsync([.. args, "--server", _server!.Url, "--token", token], null);

    private static JsonNode Json(Cli.Result result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");
        return JsonNode.Parse(result.Stdout)!;
    }

    private static void Succeeds(Cli.Result result) => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");

    [Fact]
    public async Task A_policy_is_set_from_a_file_direct_changes_are_refused_and_a_request_is_approved_through_the_cli()
    {
        var requester = await TokenAsync("requester", "writer", "/risk");
        var approver = await TokenAsync("approver", "approver", "/risk");
        Succeeds(await AsAsync(_admin, "model", "create", "risk.fraud"));
        Succeeds(await AsAsync(_admin, "version", "create", "risk.fraud"));
        Succeeds(await AsAsync(_admin, "version", "create", "risk.fraud"));

        var file = Path.Combine(_dataDir, "policy.json");
        await File.WriteAllTextAsync(file, """{"protected_targets":[{"stage":"Production","approvals":1},{"alias":"champion","approvals":1,"expires_after_hours":24}]}""");
        var set = await AsAsync(_admin, "policy", "set", "/risk", "--file", file);
        Succeeds(set);
        Assert.Contains("Set the policy of namespace /risk.", set.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, (int)Json(await AsAsync(requester, "policy", "get", "/risk", "--json"))["policy"]!["protected_targets"]![0]!["approvals"]!);
        var effective = await AsAsync(requester, "policy", "get", "--model", "risk.fraud", "--effective");
        Succeeds(effective);
        Assert.Contains("@champion", effective.Stdout, StringComparison.Ordinal);
        Assert.Contains("namespace /risk", effective.Stdout, StringComparison.Ordinal);
        // A misspelt field is named by the server, not dropped on the way.
        await File.WriteAllTextAsync(file, """{"protected_targets":[{"stage":"Production","aprovals":2}]}""");
        var typo = await AsAsync(_admin, "policy", "set", "/risk", "--file", file);
        Assert.Equal(1, typo.ExitCode);
        Assert.Contains("aprovals", typo.Stderr, StringComparison.Ordinal);

        var stage = await AsAsync(_admin, "stage", "set", "risk.fraud", "2", "production");
        Assert.Equal(1, stage.ExitCode);
        Assert.Contains("Stage 'Production' of model 'risk.fraud' is protected by the policy of namespace '/risk' (1 approval)", stage.Stderr, StringComparison.Ordinal);
        Assert.Contains("`cairn promote request risk.fraud 2 Production`", stage.Stderr, StringComparison.Ordinal);
        Assert.Contains("PERMISSION_DENIED, HTTP 403", stage.Stderr, StringComparison.Ordinal);
        var alias = await AsAsync(requester, "alias", "set", "risk.fraud", "champion", "2");
        Assert.Equal(1, alias.ExitCode);
        Assert.Contains("Alias 'champion' of model 'risk.fraud' is protected", alias.Stderr, StringComparison.Ordinal);

        var id = (string)Json(await AsAsync(requester, "promote", "request", "risk.fraud", "2", "Production", "--comment", "better recall", "--json"))["id"]!;
        var inbox = await AsAsync(approver, "promote", "list", "--mine");
        Succeeds(inbox);
        Assert.Contains(id, inbox.Stdout, StringComparison.Ordinal);
        Assert.Contains("Nothing waits for you.", (await AsAsync(requester, "promote", "list", "--actionable")).Stdout, StringComparison.Ordinal);

        var approved = await AsAsync(approver, "promote", "approve", id, "--comment", "ok");
        Succeeds(approved);
        Assert.Contains($"Request {id} is applied: risk.fraud version 2 holds Production.", approved.Stdout, StringComparison.Ordinal);
        var shown = await AsAsync(requester, "promote", "show", id);
        Succeeds(shown);
        Assert.Contains("APPLIED", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("approver", shown.Stdout, StringComparison.Ordinal);
        Assert.Equal("Production", (string?)Json(await AsAsync(requester, "version", "show", "risk.fraud", "2", "--json"))["stage"]);

        // Alias requests: one rejected, one cancelled.
        var second = (string)Json(await AsAsync(requester, "promote", "request", "risk.fraud", "1", "champion", "--json"))["id"]!;
        Assert.Contains("REJECTED", (await AsAsync(approver, "promote", "reject", second, "-m", "not this one")).Stdout, StringComparison.Ordinal);
        var third = (string)Json(await AsAsync(requester, "promote", "request", "risk.fraud", "2", "@champion", "--json"))["id"]!;
        Assert.Contains("CANCELLED", (await AsAsync(requester, "promote", "cancel", third)).Stdout, StringComparison.Ordinal);
        var listed = Json(await AsAsync(requester, "promote", "list", "--model", "risk.fraud", "--status", "applied", "--json"))["requests"]!.AsArray();
        Assert.Equal([id], listed.Select(r => (string?)r!["id"]));

        Succeeds(await AsAsync(_admin, "policy", "delete", "/risk"));
        Succeeds(await AsAsync(requester, "alias", "set", "risk.fraud", "champion", "2"));
        var verify = await AsAsync(_admin, "audit", "verify");
        Succeeds(verify);
    }
}
