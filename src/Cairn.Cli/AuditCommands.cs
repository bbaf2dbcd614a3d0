using System.CommandLine;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn audit list | verify</c>: the hash-chained audit log (admin only).</summary>
internal static class AuditCommands
{
    /// <summary>The exit code of <c>audit verify</c> when the chain is broken: distinct from 1, "could not check".</summary>
    private const int ChainBroken = 3;

    public static Command Create() => new("audit", "Read and verify the audit log (admin only)")
    {
        ListCommand(),
        VerifyCommand(),
    };

    private static Command ListCommand()
    {
        var actor = new Option<string>("--actor") { Description = "Only entries by this actor (a token name, or the local user)", HelpName = "name" };
        var action = new Option<string>("--action") { Description = "Only entries with this action, such as alias.set or version.stage", HelpName = "action" };
        var resource = new Option<string>("--resource") { Description = "Only entries on this resource or below it, such as models/abc_corp.claim.doc_classification", HelpName = "resource" };
        var since = Arguments.Time("--since", "Only entries at or after this time");
        var until = Arguments.Time("--until", "Only entries before this time");
        var max = Arguments.Max("entries");
        var command = new Command("list", "List audit entries, newest first") { actor, action, resource, since, until, max };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var query = new AuditQuery(result.GetValue(actor), result.GetValue(action), result.GetValue(resource), result.GetValue(since), result.GetValue(until));
            var limit = result.GetValue(max);
            // One more than asked for, in one request, tells whether there are more.
            var entries = await Output.CollectAsync(client.ListAuditAsync(query, Math.Min(limit + 1, 1000), cancellationToken), limit, "entries", cancellationToken);
            output.Write(new { entries }, _ =>
            {
                var table = Output.Table("SEQ", "AT", "ACTOR", "ACTION", "RESOURCE");
                foreach (var e in entries)
                {
                    table.AddRow(Output.Cell(Output.Invariant(e.Seq)), Output.Cell(Output.Time(e.At)), Output.Cell(e.Actor), Output.Cell(e.Action), Output.Cell(e.Resource));
                }
                output.Render(table, "No audit entries match.");
            });
        });
        return command;
    }

    private static Command VerifyCommand()
    {
        var dataDir = LocalStore.DataDirOption();
        var command = new Command("verify", $"Walk the whole audit chain; exit 0 when intact, {ChainBroken} when an entry was edited, removed or reordered")
        {
            dataDir,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            AuditVerification verification;
            if (result.GetValue(dataDir) is { } directory)
            {
                verification = await (await LocalStore.OpenAsync(directory, create: false, cancellationToken)).Store.VerifyAuditAsync(cancellationToken);
            }
            else
            {
                using var client = ClientFactory.Create(result);
                verification = await client.VerifyAuditAsync(cancellationToken);
            }
            output.Write(verification, v =>
            {
                if (v.Valid)
                {
                    Output.Line($"The audit chain is intact: {v.Checked} entries verified.");
                }
            });
            if (verification.Valid)
            {
                return 0;
            }
            Output.Error($"the audit chain is broken at entry {verification.BrokenAt}: {verification.Reason} ({verification.Checked} entries before it verified)");
            return ChainBroken;
        });
        return command;
    }
}
