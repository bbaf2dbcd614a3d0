using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Client;

namespace Cairn.Cli;

/// <summary><c>cairn card show | set | submit | approve | return | render</c>: a version's model card.</summary>
internal static class CardCommands
{
    public static Command Create() => new("card", "A version's model card: write it, review it, render it")
    {
        ShowCommand(),
        SetCommand(),
        StepCommand("submit", "Send a Draft card for review (writer)", (c, m, v, text, ct) => c.SubmitModelCardAsync(m, v, text, ct), commentRequired: false),
        StepCommand("approve", "Approve a card under review (approver; not its last editor or its submitter)", (c, m, v, text, ct) => c.ApproveModelCardAsync(m, v, text, ct), commentRequired: false),
        StepCommand("return", "Return a card under review to Draft, saying why (approver)", (c, m, v, text, ct) => c.ReturnModelCardAsync(m, v, text ?? "", ct), commentRequired: true),
        RenderCommand(),
    };

    private static Command ShowCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var command = new Command("show", "Show a version's model card: status, risk rating, filled sections and what the registry knows") { model, version };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var card = await client.GetModelCardAsync(name, number, cancellationToken);
            output.Write(card, Print);
        });
        return command;
    }

    private static void Print(ModelCard card)
    {
        var facts = card.Registry;
        Output.Details(
            ("model", card.Model), ("version", Output.Invariant(card.Version)), ("status", card.Status), ("risk rating", card.RiskRating),
            ("filled", string.Join(", ", card.Filled.Where(f => f.Value).Select(f => f.Key))),
            ("missing", string.Join(", ", card.Filled.Where(f => !f.Value).Select(f => f.Key))),
            ("owners", string.Join(", ", facts.Owners)), ("framework", facts.Framework), ("stage", facts.Stage),
            ("metrics", Output.Pairs(facts.Metrics)),
            ("training data", string.Join(", ", facts.TrainingDatasets.Select(d => d.Id))),
            ("evaluation data", string.Join(", ", facts.EvaluationDatasets.Select(d => d.Id))),
            ("last edited", card.Review.UpdatedBy is null ? null : $"{Output.Time(card.Review.UpdatedAt)} by {card.Review.UpdatedBy}"),
            ("submitted", card.Review.SubmittedBy is null ? null : $"{Output.Time(card.Review.SubmittedAt)} by {card.Review.SubmittedBy}"),
            ("approved", card.Review.ApprovedBy is null ? null : $"{Output.Time(card.Review.ApprovedAt)} by {card.Review.ApprovedBy}"),
            ("review comment", card.Review.Comment));
    }

    private static Command SetCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var file = new Argument<FileInfo>("file")
        {
            Description = "A JSON file: {\"sections\": {...}, \"risk_rating\": \"High\"} (as 'card show --json' prints them), or the sections object alone",
            HelpName = "file.json",
        };
        var risk = new Option<string>("--risk-rating") { Description = "High, Medium, Low or Unknown (overrides the file's)", HelpName = "rating" };
        var command = new Command("set", "Replace a card's sections and risk rating from a JSON file (writer); a reviewed card goes back to Draft") { model, version, file, risk };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var path = result.GetRequiredValue(file);
            JsonObject document;
            try
            {
                document = JsonNode.Parse(await File.ReadAllTextAsync(path.FullName, cancellationToken)) as JsonObject
                    ?? throw new InvalidDataException($"{path.Name} must hold a JSON object.");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path.Name} is not JSON: {e.Message}");
            }
            // The whole card as 'show --json' prints it, or {"sections", "risk_rating"}, or the sections alone.
            var sections = document["sections"] is JsonObject s ? (JsonObject)s.DeepClone() : document.ContainsKey("risk_rating") ? [] : document;
            var rating = result.GetValue(risk) ?? (string?)document["risk_rating"];
            var card = await client.PutModelCardAsync(name, number, new PutModelCardRequest(sections, rating), cancellationToken);
            output.Write(card, c => Output.Line($"The model card of {c.Model} version {c.Version} is {c.Status}, risk {c.RiskRating}."));
        });
        return command;
    }

    private static Command StepCommand(
        string step, string description, Func<CairnClient, string, int, string?, CancellationToken, Task<ModelCard>> act, bool commentRequired)
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var comment = new Option<string>("--comment") { Description = commentRequired ? "Why (required)" : "A note kept with the card", HelpName = "text", Required = commentRequired };
        var command = new Command(step, description) { model, version, comment };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var card = await act(client, name, number, result.GetValue(comment), cancellationToken);
            output.Write(card, c => Output.Line($"The model card of {c.Model} version {c.Version} is {c.Status}."));
        });
        return command;
    }

    private static Command RenderCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var format = new Option<ModelCardFormat>("--format")
        {
            Description = "md (default), html, pdf or mct (the Model Card Toolkit's v0.0.2 JSON)",
            HelpName = "format",
            DefaultValueFactory = _ => ModelCardFormat.Md,
            CustomParser = Arguments.ParseEnum<ModelCardFormat>,
        };
        var outputFile = new Option<FileInfo>("--output", "-o") { Description = "Write to this file instead of standard output", HelpName = "file" };
        var command = new Command("render", "Render a card as Markdown, HTML, PDF or Model Card Toolkit JSON") { model, version, format, outputFile };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var chosen = result.GetValue(format);
            if (result.GetValue(outputFile) is { } target)
            {
                await using var stream = target.Create();
                await client.RenderModelCardAsync(name, number, chosen, stream, cancellationToken);
                Output.Note($"Wrote {target.FullName}.");
                return;
            }
            if (chosen == ModelCardFormat.Pdf && !Console.IsOutputRedirected)
            {
                throw new InvalidDataException("A PDF is not for the terminal: name a file with -o, or redirect the output.");
            }
            await using var stdout = Console.OpenStandardOutput();
            await client.RenderModelCardAsync(name, number, chosen, stdout, cancellationToken);
        });
        return command;
    }
}
