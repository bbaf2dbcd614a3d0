using System.CommandLine;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn stage set | history</c>: lifecycle stages of versions.</summary>
internal static class StageCommands
{
    public static Command Create() => new("stage", "Move versions between None, Staging, Production and Archived")
    {
        SetCommand(),
        HistoryCommand(),
    };

    private static Command SetCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var stage = new Argument<Stage>("stage")
        {
            Description = "The stage to move it to: none, staging, production (needs the approver role) or archived",
            HelpName = "stage",
            CustomParser = Arguments.ParseEnum<Stage>,
        };
        var archiveExisting = new Option<bool>("--archive-existing")
        {
            Description = "Also move the versions already in that stage to Archived, in the same transaction",
        };
        var comment = new Option<string>("--comment") { Description = "Why, kept in the stage history", HelpName = "text" };
        var command = new Command("set", "Move a version to a stage") { model, version, stage, archiveExisting, comment };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var moved = await client.TransitionStageAsync(
                name, number, result.GetValue(stage), result.GetValue(archiveExisting), result.GetValue(comment), cancellationToken);
            output.Write(moved, v => Output.Line($"{v.Model} version {v.Version} is now in {v.Stage}."));
        });
        return command;
    }

    private static Command HistoryCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var command = new Command("history", "Show every stage transition of a version") { model, version };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var transitions = await client.GetStageHistoryAsync(name, number, cancellationToken);
            output.Write(new { transitions }, _ =>
            {
                var table = Output.Table("CHANGED", "BY", "FROM", "TO", "COMMENT");
                foreach (var t in transitions)
                {
                    table.AddRow(Output.Cell(Output.Time(t.ChangedAt)), Output.Cell(t.ChangedBy), Output.Cell(t.FromStage.ToString()),
                        Output.Cell(t.ToStage.ToString()), Output.Cell(t.Comment));
                }
                output.Render(table);
            });
        });
        return command;
    }
}
