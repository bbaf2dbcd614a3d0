using Cairn.Client;

namespace Cairn.Tests.Events;

/// <summary>The typed client's webhook calls against the real server: routes, bodies and shapes, the delivery log included.</summary>
public sealed class WebhookClientTests
{
    [Fact]
    public async Task A_webhook_is_managed_tested_and_its_deliveries_read_and_redelivered_through_the_client()
    {
        using var app = new DeliveryApp();
        using var cairn = new CairnClient(app.CreateClient());
        await using var receiver = ScriptedReceiver.Start();

        var created = await cairn.CreateWebhookAsync(new WebhookRequest("client-hook", Url: receiver.Url, Events: ["registered_model.*"], Secret: "s", Format: "cloudevents"));
        Assert.Equal(("ACTIVE", "cloudevents", "/", true), (created.Status, created.Format, created.Namespace, created.HasSecret));
        Assert.Equal(created.Id, (await cairn.GetWebhookAsync(created.Id)).Id);
        Assert.Single((await cairn.ListWebhooksAsync()).Webhooks);

        var tested = await cairn.TestWebhookAsync(created.Id);
        Assert.True(tested.Success);
        Assert.Equal(200, tested.ResponseStatus);

        await cairn.CreateModelAsync(new CreateModelRequest("/", "watched"));
        await receiver.WaitForAsync(2);
        WebhookDeliveryPage page;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((page = await cairn.ListWebhookDeliveriesAsync(created.Id, "SUCCEEDED")).Deliveries.Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline);
            await Task.Delay(50);
        }
        var delivery = Assert.Single(page.Deliveries);
        Assert.Equal("registered_model.created", delivery.EventType);
        Assert.Equal(200, Assert.Single((await cairn.GetWebhookDeliveryAsync(created.Id, delivery.Id)).AttemptLog!).Status);
        Assert.Equal(delivery.Id, (await cairn.RedeliverAsync(created.Id, delivery.Id)).RedeliveryOf);
        Assert.Equal("PENDING", (await cairn.RedeliverEventAsync(created.Id, delivery.EventSeq)).State);
        await receiver.WaitForAsync(4);

        var disabled = await cairn.UpdateWebhookAsync(created.Id, new WebhookRequest(Status: "DISABLED", Secret: "t", SecretGraceSeconds: 0));
        Assert.Equal("DISABLED", disabled.Status);
        await cairn.DeleteWebhookAsync(created.Id);
        Assert.Empty((await cairn.ListWebhooksAsync()).Webhooks);
    }
}
