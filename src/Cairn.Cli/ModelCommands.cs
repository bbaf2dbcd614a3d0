using System.CommandLine;
using Cairn.Catalog;
using Cairn.Client;
using Spectre.Console;
using CreateModelRequest = Cairn.Client.CreateModelRequest;
using Model = Cairn.Client.Model;

namespace Cairn.Cli;

/// <summary><c>cairn model create | list | search | show</c>: the catalog.</summary>
internal static class ModelCommands
{
    public static Command Create() => new("model", "Create, find and inspect models in the catalog")
    {
        CreateCommand(),
        ListCommand(),
        SearchCommand(),
        ShowCommand(),
    };

    private static Command CreateCommand()
    {
        var name = new Argument<string>("full-name")
        {
            Description = "The new model's full name: its namespace's segments and its name joined with dots, such as "
                + "abc_corp.claim.doc_classification (namespace /abc_corp/claim); a name without dots lives in the root namespace /",
        };
        var description = new Option<string>("--description") { Description = "What the model does", HelpName = "text" };
        var owner = new Option<string>("--owner") { Description = "Who answers for the model", HelpName = "owner" };
        var url = new Option<string>("--url") { Description = "Where its implementation or documentation lives", HelpName = "url" };
        var tags = Arguments.Pairs("--tag", "A tag to set");

        var command = new Command("create", "Create a model in the catalog") { name, description, owner, url, tags };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            // Split (and validated) locally with the server's own rules, so a bad name fails before any request.
            var (ns, modelName) = NamespacePath.Split(result.GetRequiredValue(name));
            using var client = ClientFactory.Create(result);
            var model = await client.CreateModelAsync(new CreateModelRequest(
                ns, modelName, result.GetValue(description), result.GetValue(owner), result.GetValue(url), Tags: result.GetValue(tags)), cancellationToken);
            output.Write(model, m => Output.Line($"Created model {m.FullName} (namespace {m.Namespace})."));
        });
        return command;
    }

    private static Command ListCommand()
    {
        var filter = Arguments.Filter();
        var orderBy = Arguments.OrderBy();
        var max = Arguments.Max("models");
        var command = new Command("list", "List models, optionally filtered") { filter, orderBy, max };
        command.SetCairnAction((result, output, cancellationToken) =>
            WriteModelsAsync(result, output, null, result.GetValue(filter), result.GetValue(orderBy), result.GetValue(max), cancellationToken));
        return command;
    }

    private static Command SearchCommand()
    {
        var query = new Argument<string?>("query")
        {
            Description = "Free text matched against model names and descriptions, case-insensitively",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var filter = Arguments.Filter();
        var orderBy = Arguments.OrderBy();
        var max = Arguments.Max("models");
        var command = new Command("search", "Search models by free text and/or a filter expression") { query, filter, orderBy, max };
        command.SetCairnAction((result, output, cancellationToken) =>
            WriteModelsAsync(result, output, result.GetValue(query), result.GetValue(filter), result.GetValue(orderBy), result.GetValue(max), cancellationToken));
        return command;
    }

    private static Command ShowCommand()
    {
        var name = Arguments.Model();
        var command = new Command("show", "Show one model: its metadata, tags, aliases, data sources and inference contract") { name };
        command.Aliases.Add("get");
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            output.Write(await client.GetModelAsync(result.GetRequiredValue(name), cancellationToken), model => Show(output, model));
        });
        return command;
    }

    private static async Task WriteModelsAsync(
        ParseResult result, Output output, string? q, string? filter, string? orderBy, int max, CancellationToken cancellationToken)
    {
        using var client = ClientFactory.Create(result);
        // One more than asked for, in one request, tells whether there are more.
        var models = await Output.CollectAsync(client.SearchModelsAsync(filter, q, orderBy, Math.Min(max + 1, 1000), cancellationToken), max, "models", cancellationToken);
        output.Write(new { models }, _ =>
        {
            var table = Output.Table("MODEL", "LATEST", "OWNER", "ALIASES", "TAGS", "DESCRIPTION");
            foreach (var m in models)
            {
                table.AddRow(Output.Cell(m.FullName), Output.Cell(Output.Invariant(m.LatestVersion)), Output.Cell(m.Owner),
                    Output.Cell(Output.Pairs(m.Aliases)), Output.Cell(Output.Pairs(m.Tags)), Output.Cell(m.Description));
            }
            output.Render(table, "No models match.");
        });
    }

    private static void Show(Output output, Model model)
    {
        Output.Details(
            ("Model", model.FullName),
            ("Namespace", model.Namespace),
            ("Name", model.ModelName),
            ("Description", model.Description),
            ("Owner", model.Owner),
            ("URL", model.Url),
            ("Latest version", Output.Invariant(model.LatestVersion)),
            ("Created", $"{Output.Time(model.CreatedAt)} by {model.CreatedBy}"),
            ("Updated", $"{Output.Time(model.UpdatedAt)} by {model.UpdatedBy}"));
        output.Section("Tags", model.Tags, value => value);
        output.Section("Aliases", model.Aliases, version => Output.Invariant(version));
        if (model.DataSources.Count > 0)
        {
            Output.Line("");
            Output.Line("Data sources:");
            var table = Output.Table("NAME", "TYPE", "OWNER", "DESCRIPTION", "CONNECTION");
            foreach (var source in model.DataSources)
            {
                var connection = source.Connection is null ? null : string.Join(", ", source.Connection.Select(p => $"{p.Key}={p.Value}"));
                table.AddRow(Output.Cell(source.Name), Output.Cell(source.Type), Output.Cell(source.Owner), Output.Cell(source.Description), Output.Cell(connection));
            }
            output.Render(table);
        }
        if (model.Inference is { } inference)
        {
            Output.Line("");
            Output.Line("Inference:");
            var table = Output.Table("SIDE", "DESCRIPTION", "SCHEMA");
            foreach (var (side, schema) in new[] { ("input", inference.Input), ("output", inference.Output) })
            {
                if (schema is not null)
                {
                    table.AddRow(Output.Cell(side), Output.Cell(schema.Description), Output.Cell(schema.Schema?.ToJsonString()));
                }
            }
            output.Render(table);
        }
    }
}
