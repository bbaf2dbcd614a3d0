using System.CommandLine;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary>
/// <c>cairn webhook create | list | get | update | delete | test | deliveries | redeliver</c>: webhooks, their delivery
/// log and redelivery, through the server.
/// </summary>
internal static class WebhookCommands
{
    public static Command Create() => new("webhook", "Manage webhooks (admin of the namespace they watch), read their delivery log, redeliver events")
    {
        CreateCommand(),
        ListCommand(),
        GetCommand(),
        UpdateCommand(),
        DeleteCommand(),
        TestCommand(),
        DeliveriesCommand(),
        RedeliverCommand(),
    };

    private static Option<string[]> EventsOption(bool required) => new("--event")
    {
        Description = "An event type pattern, such as model_version.created or model_version.* (repeatable)",
        HelpName = "pattern",
        AllowMultipleArgumentsPerToken = true,
        Required = required,
    };

    private static Argument<string> IdArgument() => new("id") { Description = "The webhook's id" };

    private static Command CreateCommand()
    {
        var name = new Option<string>("--name") { Description = "The webhook's name", HelpName = "name", Required = true };
        var url = new Option<string>("--url") { Description = "Where deliveries are posted", HelpName = "url", Required = true };
        var events = EventsOption(required: true);
        var ns = new Option<string>("--namespace") { Description = "The namespace watched, with those below it (default: /)", HelpName = "namespace" };
        var model = new Option<string>("--model") { Description = "Only this model's events (full name)", HelpName = "model" };
        var secret = new Option<string>("--secret") { Description = "The signing secret (never shown again)", HelpName = "secret" };
        var format = new Option<string>("--format") { Description = "mlflow (default) or cloudevents", HelpName = "format" };
        var description = new Option<string>("--description") { Description = "What it is for", HelpName = "text" };
        var command = new Command("create", "Create a webhook") { name, url, events, ns, model, secret, format, description };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var created = await client.CreateWebhookAsync(new WebhookRequest(
                result.GetRequiredValue(name), result.GetValue(description), result.GetRequiredValue(url), result.GetRequiredValue(events),
                result.GetValue(ns), result.GetValue(model), result.GetValue(secret), Format: result.GetValue(format)), cancellationToken);
            output.Write(created, w => Output.Line($"Created webhook '{w.Name}' ({w.Id})."));
        });
        return command;
    }

    private static Command ListCommand()
    {
        var command = new Command("list", "List the webhooks you administer, newest first");
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var webhooks = new List<Webhook>();
            string? token = null;
            do
            {
                var page = await client.ListWebhooksAsync(null, token, cancellationToken);
                webhooks.AddRange(page.Webhooks);
                token = page.NextPageToken;
            }
            while (token is not null);
            output.Write(new { webhooks }, _ =>
            {
                var table = Output.Table("ID", "NAME", "STATUS", "NAMESPACE", "EVENTS", "URL");
                foreach (var w in webhooks)
                {
                    table.AddRow(Output.Cell(w.Id), Output.Cell(w.Name), Output.Cell(w.Status), Output.Cell(w.Model ?? w.Namespace),
                        Output.Cell(string.Join(", ", w.Events)), Output.Cell(w.Url));
                }
                output.Render(table, "No webhooks yet.");
            });
        });
        return command;
    }

    private static Command GetCommand()
    {
        var id = IdArgument();
        var command = new Command("get", "Show a webhook (never its secret)") { id };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            output.Write(await client.GetWebhookAsync(result.GetRequiredValue(id), cancellationToken), Details);
        });
        return command;
    }

    private static Command UpdateCommand()
    {
        var id = IdArgument();
        var name = new Option<string>("--name") { Description = "A new name", HelpName = "name" };
        var url = new Option<string>("--url") { Description = "A new URL", HelpName = "url" };
        var events = EventsOption(required: false);
        var secret = new Option<string>("--secret") { Description = "A new signing secret; the old one keeps signing for the grace period", HelpName = "secret" };
        var grace = new Option<long?>("--grace-seconds") { Description = "How long the old secret keeps signing (default 86400)", HelpName = "seconds" };
        var status = new Option<string>("--status") { Description = "ACTIVE or DISABLED (re-enabling resumes where it stopped)", HelpName = "status" };
        var format = new Option<string>("--format") { Description = "mlflow or cloudevents", HelpName = "format" };
        var description = new Option<string>("--description") { Description = "A new description", HelpName = "text" };
        var command = new Command("update", "Change a webhook") { id, name, url, events, secret, grace, status, format, description };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var changed = await client.UpdateWebhookAsync(result.GetRequiredValue(id), new WebhookRequest(
                result.GetValue(name), result.GetValue(description), result.GetValue(url), result.GetValue(events) is { Length: > 0 } patterns ? patterns : null,
                Secret: result.GetValue(secret), SecretGraceSeconds: result.GetValue(grace), Status: result.GetValue(status), Format: result.GetValue(format)), cancellationToken);
            output.Write(changed, Details);
        });
        return command;
    }

    private static Command DeleteCommand()
    {
        var id = IdArgument();
        var command = new Command("delete", "Delete a webhook and its delivery log") { id };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var webhook = result.GetRequiredValue(id);
            await client.DeleteWebhookAsync(webhook, cancellationToken);
            output.Write(new { deleted = webhook }, _ => Output.Line($"Deleted webhook {webhook}."));
        });
        return command;
    }

    private static Command TestCommand()
    {
        var id = IdArgument();
        var type = new Option<string>("--event") { Description = "The event type whose example to send (default: the webhook's first)", HelpName = "type" };
        var command = new Command("test", "Send an example event, signed, and show the receiver's answer") { id, type };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var tested = await client.TestWebhookAsync(result.GetRequiredValue(id), result.GetValue(type), cancellationToken);
            output.Write(tested, t => Output.Line(t.ResponseStatus is { } status
                ? $"{(t.Success ? "Delivered" : "Refused")}: HTTP {Output.Invariant(status)} {t.ResponseBody}"
                : $"Not delivered: {t.ErrorMessage}"));
        });
        return command;
    }

    private static Command DeliveriesCommand()
    {
        var id = IdArgument();
        var delivery = new Option<string>("--delivery") { Description = "Show this delivery with every attempt", HelpName = "delivery-id" };
        var state = new Option<string>("--state") { Description = "Only PENDING, SUCCEEDED or FAILED deliveries", HelpName = "state" };
        var max = new Option<int?>("--max") { Description = "How many to show (default 100)", HelpName = "n" };
        var command = new Command("deliveries", "The webhook's delivery log, newest first, or one delivery's attempts") { id, delivery, state, max };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            if (result.GetValue(delivery) is { } deliveryId)
            {
                var one = await client.GetWebhookDeliveryAsync(result.GetRequiredValue(id), deliveryId, cancellationToken);
                output.Write(one, d =>
                {
                    Output.Details(("Delivery", d.Id), ("Event", $"{Output.Invariant(d.EventSeq)} {d.EventType}"), ("State", d.State),
                        ("Created", Output.Time(d.CreatedAt)), ("Next attempt", Output.Time(d.NextAttemptAt)), ("Redelivery of", d.RedeliveryOf));
                    var table = Output.Table("#", "AT", "STATUS", "MS", "RESPONSE / ERROR");
                    foreach (var a in d.AttemptLog ?? [])
                    {
                        table.AddRow(Output.Cell(Output.Invariant(a.Attempt)), Output.Cell(Output.Time(a.At)), Output.Cell(a.Status is { } s ? Output.Invariant(s) : null),
                            Output.Cell(Output.Invariant(a.LatencyMs)), Output.Cell(a.Error ?? a.ResponseExcerpt));
                    }
                    output.Render(table, "No attempt yet.");
                });
                return;
            }
            var page = await client.ListWebhookDeliveriesAsync(result.GetRequiredValue(id), result.GetValue(state), result.GetValue(max), null, cancellationToken);
            output.Write(page, p =>
            {
                var table = Output.Table("DELIVERY", "EVENT", "TYPE", "STATE", "ATTEMPTS", "LAST", "CREATED");
                foreach (var d in p.Deliveries)
                {
                    table.AddRow(Output.Cell(d.Id), Output.Cell(Output.Invariant(d.EventSeq)), Output.Cell(d.EventType), Output.Cell(d.State),
                        Output.Cell(Output.Invariant(d.Attempts)), Output.Cell(d.LastStatus is { } s ? Output.Invariant(s) : d.LastError), Output.Cell(Output.Time(d.CreatedAt)));
                }
                output.Render(table, "No deliveries yet.");
            });
        });
        return command;
    }

    private static Command RedeliverCommand()
    {
        var id = IdArgument();
        var seq = new Option<long?>("--event-seq") { Description = "The seq of a past event to send again", HelpName = "seq" };
        var delivery = new Option<string>("--delivery") { Description = "A delivery whose event to send again", HelpName = "delivery-id" };
        var command = new Command("redeliver", "Send a past event to the webhook again, as a new delivery") { id, seq, delivery };
        command.Validators.Add(r =>
        {
            if ((r.GetValue(seq) is null) == (r.GetValue(delivery) is null))
            {
                r.AddError("Give either --event-seq or --delivery.");
            }
        });
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var webhook = result.GetRequiredValue(id);
            var created = result.GetValue(seq) is { } eventSeq
                ? await client.RedeliverEventAsync(webhook, eventSeq, cancellationToken)
                : await client.RedeliverAsync(webhook, result.GetValue(delivery)!, cancellationToken);
            output.Write(created, d => Output.Line($"Queued delivery {d.Id} of event {Output.Invariant(d.EventSeq)} ({d.EventType})."));
        });
        return command;
    }

    private static void Details(Webhook w) => Output.Details(
        ("Id", w.Id), ("Name", w.Name), ("Description", w.Description), ("URL", w.Url), ("Events", string.Join(", ", w.Events)),
        ("Namespace", w.Namespace), ("Model", w.Model), ("Status", w.Status), ("Disabled because", w.DisabledReason), ("Format", w.Format),
        ("Signed", w.HasSecret ? "yes" : "no"), ("Created", $"{Output.Time(w.CreatedAt)} by {w.CreatedBy}"), ("Updated", Output.Time(w.UpdatedAt)));
}
