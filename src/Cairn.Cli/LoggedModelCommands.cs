using System.CommandLine;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn logged-model show ID</c> and <c>cairn logged-model list --experiment ID | --run ID</c>: the models runs produced.</summary>
internal static class LoggedModelCommands
{
    public static Command Create() => new("logged-model", "Read the models that runs produced (MLflow 3's logged models)") { ShowCommand(), ListCommand() };

    private static Command ShowCommand()
    {
        var id = new Argument<string>("id") { Description = "The logged model's id, m-…" };
        var command = new Command("show", "Show one logged model: status, source run, params, tags, linked metrics and registered versions") { id };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            output.Write(await client.GetLoggedModelAsync(result.GetRequiredValue(id), cancellationToken), m => Show(output, m));
        });
        return command;
    }

    private static Command ListCommand()
    {
        var experiment = new Option<string?>("--experiment") { Description = "List the models of this experiment (newest first)", HelpName = "id" };
        var run = new Option<string?>("--run") { Description = "List the models this run produced", HelpName = "id" };
        var command = new Command("list", "List logged models by experiment or by run") { experiment, run };
        command.Validators.Add(r =>
        {
            if (r.GetValue(experiment) is null == r.GetValue(run) is null)
            {
                r.AddError("Give either --experiment or --run.");
            }
        });
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var page = await client.ListLoggedModelsAsync(result.GetValue(experiment), result.GetValue(run), cancellationToken: cancellationToken);
            output.Write(page, p =>
            {
                var table = Output.Table("ID", "NAME", "STATUS", "TYPE", "SOURCE RUN", "CREATED");
                foreach (var m in p.Models)
                {
                    table.AddRow(Output.Cell(m.ModelId), Output.Cell(m.Name), Output.Cell(m.Status), Output.Cell(m.ModelType), Output.Cell(m.SourceRunId),
                        Output.Cell(Output.Time(DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt))));
                }
                output.Render(table, "No logged models.");
                if (p.NextPageToken is not null)
                {
                    Output.Note("More models follow; narrow the listing with the MLflow API's search.");
                }
            });
        });
        return command;
    }

    private static void Show(Output output, LoggedModel model)
    {
        Output.Details(
            ("Id", model.ModelId),
            ("Name", model.Name),
            ("Experiment", model.ExperimentId),
            ("Status", model.Status),
            ("Type", model.ModelType),
            ("Source run", model.SourceRunId),
            ("Artifacts", model.ArtifactLocation),
            ("Registered as", string.Join(", ", model.Registrations.Select(r => $"{r.Model} v{Output.Invariant(r.Version)}"))),
            ("Created", $"{Output.Time(DateTimeOffset.FromUnixTimeMilliseconds(model.CreatedAt))} by {model.CreatedBy}"),
            ("Updated", Output.Time(DateTimeOffset.FromUnixTimeMilliseconds(model.UpdatedAt))));
        output.Section("Params", model.Params.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), value => value);
        output.Section("Tags", model.Tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal), value => value);
        // Each key's latest point, by timestamp then step, as MLflow orders a model's metrics.
        output.Section("Metrics", model.Metrics.GroupBy(m => m.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(m => m.Timestamp).ThenBy(m => m.Step).Last().Value, StringComparer.Ordinal), value => Output.Invariant(value));
    }
}
