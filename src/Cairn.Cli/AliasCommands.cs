using System.CommandLine;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn alias set | get | delete | history | rollback</c>: named pointers to versions.</summary>
internal static class AliasCommands
{
    public static Command Create() => new("alias", "Point names such as 'champion' at versions, and move them back")
    {
        SetCommand(),
        GetCommand(),
        DeleteCommand(),
        HistoryCommand(),
        RollbackCommand(),
    };

    private static Command SetCommand()
    {
        var (model, alias) = (Arguments.Model(), Arguments.Alias());
        var version = Arguments.Version();
        var command = new Command("set", "Point an alias at a version, creating or moving it") { model, alias, version };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var target = await client.SetAliasAsync(name, result.GetRequiredValue(alias), number, cancellationToken);
            output.Write(target, t => Output.Line($"{name}@{t.Alias} -> version {t.Version}"));
        });
        return command;
    }

    private static Command GetCommand()
    {
        var (model, alias) = (Arguments.Model(), Arguments.Alias());
        var command = new Command("get", "Show the version an alias points to") { model, alias };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var target = await client.GetAliasAsync(name, result.GetRequiredValue(alias), cancellationToken);
            output.Write(target, t => Output.Line($"{name}@{t.Alias} -> version {t.Version}"));
        });
        return command;
    }

    private static Command DeleteCommand()
    {
        var (model, alias) = (Arguments.Model(), Arguments.Alias());
        var command = new Command("delete", "Remove an alias (its history is kept)") { model, alias };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            await client.DeleteAliasAsync(name, result.GetRequiredValue(alias), cancellationToken);
            // The API answers 204 with no body, so --json prints nothing.
            if (!output.Json)
            {
                Output.Line($"Removed alias {result.GetRequiredValue(alias)} of {name}.");
            }
        });
        return command;
    }

    private static Command HistoryCommand()
    {
        var (model, alias) = (Arguments.Model(), Arguments.Alias());
        var command = new Command("history", "Show every change of an alias, newest first") { model, alias };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var changes = await client.GetAliasHistoryAsync(result.GetRequiredValue(model), result.GetRequiredValue(alias), cancellationToken);
            output.Write(new { changes }, _ =>
            {
                var table = Output.Table("CHANGED", "BY", "VERSION", "PREVIOUS");
                foreach (var change in changes)
                {
                    table.AddRow(Output.Cell(Output.Time(change.ChangedAt)), Output.Cell(change.ChangedBy),
                        Output.Cell(change.Version is null ? "(removed)" : Output.Invariant(change.Version)), Output.Cell(Output.Invariant(change.PreviousVersion)));
                }
                output.Render(table);
            });
        });
        return command;
    }

    private static Command RollbackCommand()
    {
        var (model, alias) = (Arguments.Model(), Arguments.Alias());
        var command = new Command("rollback", "Point an alias back at the version it named before its latest change") { model, alias };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var target = await client.RollbackAliasAsync(name, result.GetRequiredValue(alias), cancellationToken);
            output.Write(target, t => Output.Line($"{name}@{t.Alias} -> version {t.Version} (rolled back)"));
        });
        return command;
    }
}
