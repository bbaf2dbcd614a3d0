using Cairn.Events;
using Cairn.Governance;
using Cairn.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Events;

/// <summary>
/// A webhook created by a user of the identity provider (the caller OIDC sign-in makes: a user with its groups) delivers
/// by that user's role bindings and those of its groups, read again at each fan-out, so taking a binding away stops it.
/// </summary>
public sealed class WebhookUserCreatorTests
{
    [Fact]
    public async Task A_webhook_created_by_an_oidc_user_delivers_by_its_bindings_and_stops_when_they_are_revoked()
    {
        using var app = new DeliveryApp(auth: "token");
        var admin = app.ClientWithToken(await app.TokenAsync("root-admin", "admin"));
        var bindings = app.Services.GetRequiredService<RoleBindings>();
        var hooks = app.Services.GetRequiredService<Webhooks>();
        var setup = Caller.Admin("setup");
        await bindings.GrantAsync(setup, "user", "alice", "/a", "admin", CancellationToken.None);
        await bindings.GrantAsync(setup, "group", "ml-team", "/a", "admin", CancellationToken.None);
        // As OidcAuthentication resolves a bearer token's or a session's user: bindings of the user and its groups.
        var alice = await bindings.UserCallerAsync("alice", [], CancellationToken.None);
        var bob = await bindings.UserCallerAsync("bob", ["ml-team", "other"], CancellationToken.None);
        await using var aliceReceiver = ScriptedReceiver.Start();
        await using var bobReceiver = ScriptedReceiver.Start();
        // alice administers /a only, not the root.
        await Assert.ThrowsAsync<PermissionDeniedException>(() =>
            hooks.CreateAsync(alice, new CreateWebhookRequest("by-alice", aliceReceiver.Url, ["registered_model.created"], Namespace: "/"), CancellationToken.None));
        var byAlice = await hooks.CreateAsync(alice, new CreateWebhookRequest("by-alice", aliceReceiver.Url, ["registered_model.created"], Namespace: "/a"), CancellationToken.None);
        var byBob = await hooks.CreateAsync(bob, new CreateWebhookRequest("by-bob", bobReceiver.Url, ["registered_model.created"], Namespace: "/a"), CancellationToken.None);
        Assert.Equal("alice", byAlice.CreatedBy);

        await CreateModelAsync(admin, "shown");
        Assert.Equal("a.shown", (string?)Assert.Single(await aliceReceiver.WaitForAsync(1)).Json["data"]!["name"]);
        Assert.Equal("a.shown", (string?)Assert.Single(await bobReceiver.WaitForAsync(1)).Json["data"]!["name"]);

        await bindings.RevokeAsync(setup, "user", "alice", "/a", CancellationToken.None);
        await bindings.RevokeAsync(setup, "group", "ml-team", "/a", CancellationToken.None);
        await CreateModelAsync(admin, "unseen");

        var head = await app.ScalarAsync<long>("SELECT MAX(seq) FROM events");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await app.ScalarAsync<long>($"SELECT MIN(cursor_seq) FROM webhooks WHERE id IN ('{byAlice.Id}', '{byBob.Id}')") < head)
        {
            Assert.True(DateTime.UtcNow < deadline, "The dispatcher did not consider the last event in time.");
            await Task.Delay(50);
        }
        Assert.Equal(2L, await app.ScalarAsync<long>($"SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id IN ('{byAlice.Id}', '{byBob.Id}')"));
        Assert.Single(aliceReceiver.Requests);
        Assert.Single(bobReceiver.Requests);
    }

    private static async Task CreateModelAsync(HttpClient client, string name) =>
        await (await client.PostJsonAsync("/api/v1/models", new { @namespace = "/a", model_name = name })).ExpectAsync(201);
}
