using System.Text.Json.Nodes;
using Cairn.Tests.Api;

namespace Cairn.Tests.Governance;

/// <summary>
/// One test's people and model, each person with their own token: an admin of the root, a requester (writer on the
/// namespace), a version creator (writer and approver), three approvers and a plain writer. Every namespace is new, so
/// tests sharing a server do not see each other's policies.
/// </summary>
public sealed class GovernedTeam
{
    private GovernedTeam(TokenAuthApp app, string ns, string model, string suffix)
    {
        App = app;
        Namespace = ns;
        Model = model;
        Suffix = suffix;
    }

    public TokenAuthApp App { get; }

    /// <summary>The namespace, <c>/gov_xxxxxxxx</c>.</summary>
    public string Namespace { get; }

    /// <summary>The model's full name, <c>gov_xxxxxxxx.fraud</c>.</summary>
    public string Model { get; }

    public string Suffix { get; }

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Requester { get; private set; } = null!;

    public HttpClient Creator { get; private set; } = null!;

    public HttpClient Writer { get; private set; } = null!;

    public IReadOnlyList<HttpClient> Approvers { get; private set; } = [];

    public string Name(string role) => $"{role}-{Suffix}";

    /// <summary>The path segment of the namespace in <c>/api/v1/policies/…</c>.</summary>
    public string PolicyPath => "/api/v1/policies/" + Namespace[1..];

    public string VersionPath(int version) => $"/api/v1/models/{Model}/versions/{version}";

    /// <summary>A team with a model of <paramref name="versions"/> versions, all registered by the creator.</summary>
    public static async Task<GovernedTeam> CreateAsync(TokenAuthApp app, int versions = 3, int approvers = 3)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var team = new GovernedTeam(app, $"/gov_{suffix}", $"gov_{suffix}.fraud", suffix);
        team.Admin = app.ClientWithToken(await app.TokenAsync(team.Name("admin"), "admin"));
        team.Requester = app.ClientWithToken(await app.TokenAsync(team.Name("requester"), "writer", team.Namespace));
        team.Creator = app.ClientWithToken(await app.TokenAsync(team.Name("creator"), "approver", team.Namespace));
        team.Writer = app.ClientWithToken(await app.TokenAsync(team.Name("writer"), "writer", team.Namespace));
        var list = new List<HttpClient>();
        for (var i = 1; i <= approvers; i++)
        {
            list.Add(app.ClientWithToken(await app.TokenAsync(team.Name($"approver{i}"), "approver", team.Namespace)));
        }
        team.Approvers = list;
        await (await team.Admin.PostJsonAsync("/api/v1/models", new { @namespace = team.Namespace, model_name = "fraud" })).ExpectAsync(201);
        for (var i = 0; i < versions; i++)
        {
            await (await team.Creator.PostJsonAsync($"/api/v1/models/{team.Model}/versions", new { })).ExpectAsync(201);
        }
        return team;
    }

    /// <summary>Sets the namespace's policy (as admin) to the given rules.</summary>
    public async Task ProtectAsync(params object[] rules) =>
        await (await Admin.PutJsonAsync(PolicyPath, new { protected_targets = rules })).ExpectAsync(200);

    /// <summary>Asks (as the requester) for <paramref name="target"/> to move to <paramref name="version"/>; returns the 201 body.</summary>
    public async Task<JsonObject> RequestAsync(int version, string target, string? comment = null) =>
        await (await Requester.PostJsonAsync($"{VersionPath(version)}/promotions", new { target, comment })).ExpectAsync(201);

    public static async Task<HttpResponseMessage> ApproveAsync(HttpClient who, string id, string? comment = null) =>
        await who.PostJsonAsync($"/api/v1/promotions/{id}/approve", new { comment });

    public async Task<JsonObject> VersionAsync(int version) => await (await Admin.GetAsync(VersionPath(version))).ExpectAsync(200);

    /// <summary>Audit entries of <paramref name="action"/> on resources under the model, as the root admin reads them.</summary>
    public async Task<JsonArray> AuditAsync(string action, string? resource = null)
    {
        var r = Uri.EscapeDataString(resource ?? $"models/{Model}");
        return (await (await Admin.GetAsync($"/api/v1/audit?action={action}&resource={r}")).ExpectAsync(200))["entries"]!.AsArray();
    }
}
