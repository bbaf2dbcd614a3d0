using System.CommandLine;
using System.Globalization;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn keys list | rotate</c>: the key ring that encrypts secrets and files at rest (docs/encryption.md).</summary>
internal static class KeyCommands
{
    public static Command Create() => new("keys", "List and rotate the keys that encrypt secrets and files at rest (admin of /)")
    {
        ListCommand(),
        RotateCommand(),
    };

    private static Command ListCommand()
    {
        var command = new Command("list", "List the key ring's keys, newest first (never their material)");
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var keys = await client.ListKeysAsync(cancellationToken);
            output.Write(new { keys }, _ =>
            {
                var table = Output.Table("ID", "CREATED", "ACTIVATES", "EXPIRES", "REVOKED");
                foreach (var key in keys)
                {
                    table.AddRow(Output.Cell(key.Id.ToString()), Output.Cell(Output.Time(key.CreatedAt)), Output.Cell(Output.Time(key.ActivatesAt)),
                        Output.Cell(Output.Time(key.ExpiresAt)), Output.Cell(key.Revoked ? "yes" : "no"));
                }
                output.Render(table, "No keys yet.");
            });
        });
        return command;
    }

    private static Command RotateCommand()
    {
        var activateIn = new Option<double?>("--activate-in-hours")
        {
            Description = "Make the new key protect new data only after this many hours (0 to 720), so that every replica has read it first (default: at once)",
            HelpName = "hours",
        };
        var command = new Command("rotate", "Make a new key that protects what is written from now on; older keys still decrypt (audited)") { activateIn };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var hours = result.GetValue(activateIn);
            var key = await client.RotateKeyAsync(hours is { } h ? TimeSpan.FromHours(h) : null, cancellationToken);
            output.Write(key, k => Output.Line(string.Create(CultureInfo.InvariantCulture,
                $"New key {k.Id}: protects new data from {Output.Time(k.ActivatesAt)} until {Output.Time(k.ExpiresAt)}.")));
        });
        return command;
    }
}
