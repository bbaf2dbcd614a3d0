using System.Text;
using System.Text.Json.Nodes;
using Cairn.Client;

namespace Cairn.Tests.Cards;

/// <summary>The typed client's card methods against the in-process server, with a writer's and two approvers' tokens.</summary>
public sealed class ModelCardClientTests(CardPeople people) : IClassFixture<CardPeople>
{
    [Fact]
    public async Task The_client_writes_reviews_and_renders_a_card()
    {
        var model = await people.ModelWithLineageAsync();
        using var writer = new CairnClient(people.App.CreateClient(), await people.App.TokenAsync("client-card-writer", "writer"));
        using var approver = new CairnClient(people.App.CreateClient(), await people.App.TokenAsync("client-card-approver", "approver"));

        var written = await writer.PutModelCardAsync(model, 1, new PutModelCardRequest(
            new JsonObject { ["intended_uses"] = new JsonObject { ["primary_uses"] = new JsonArray("triage") } }, "medium"));
        Assert.Equal("Medium", written.RiskRating);
        Assert.True(written.Filled["intended_uses"]);
        Assert.Equal("fraud-team", Assert.Single(written.Registry.Owners));
        Assert.Equal("claims/train", Assert.Single(written.Registry.TrainingDatasets).Name);

        Assert.Equal("PendingReview", (await writer.SubmitModelCardAsync(model, 1, "please review")).Status);
        var refused = await Assert.ThrowsAsync<CairnApiException>(() => writer.ApproveModelCardAsync(model, 1));
        Assert.Equal("PERMISSION_DENIED", refused.ErrorCode);
        Assert.Equal("Draft", (await approver.ReturnModelCardAsync(model, 1, "add users")).Status);
        await writer.SubmitModelCardAsync(model, 1);
        var approved = await approver.ApproveModelCardAsync(model, 1, "ok");
        Assert.Equal("Approved", approved.Status);
        Assert.Equal("client-card-approver", approved.Review.ApprovedBy);
        Assert.Equal("Approved", (await writer.GetModelCardAsync(model, 1)).Status);

        using var markdown = new MemoryStream();
        await writer.RenderModelCardAsync(model, 1, ModelCardFormat.Md, markdown);
        Assert.Contains("Card: **Approved**", Encoding.UTF8.GetString(markdown.ToArray()), StringComparison.Ordinal);
        using var pdf = new MemoryStream();
        await writer.RenderModelCardAsync(model, 1, ModelCardFormat.Pdf, pdf);
        Assert.Equal("%PDF", Encoding.ASCII.GetString(pdf.ToArray(), 0, 4));
        using var mct = new MemoryStream();
        await writer.RenderModelCardAsync(model, 1, ModelCardFormat.Mct, mct);
        Assert.Equal("0.0.2", (string?)JsonNode.Parse(mct.ToArray())!["schema_version"]);
    }
}
