using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Cairn.Cli;

// A named class rather than top-level statements: the server's public top-level Program would otherwise clash
// with this one in any project (tests) that references both.
internal static class Program
{
    /// <summary>Exit code for bad usage, as sysexits and most CLIs have it; System.CommandLine itself returns 1.</summary>
    private const int UsageError = 2;

    private static async Task<int> Main(string[] args)
    {
        // A Command, not a RootCommand: RootCommand takes its name from the assembly (Cairn.Cli), and help should say cairn.
        var root = new Command("cairn", "Cairn: a model registry and ML metadata store. 'cairn serve' starts the server; the other commands talk to one.")
        {
            new HelpOption(),
            new VersionOption(),
            ClientFactory.ServerOption,
            ClientFactory.TokenOption,
            Output.JsonOption,
            ServeCommand.Create(),
            ModelCommands.Create(),
            VersionCommands.Create(),
            AliasCommands.Create(),
            StageCommands.Create(),
            CardCommands.Create(),
            TokenCommands.Create(),
            RoleCommands.Create(),
            WebhookCommands.Create(),
            AuditCommands.Create(),
            ReportCommands.Create(),
            ImportCommands.Create(),
            MigrateCommand.Create(),
            LineageCommands.Create(),
            LoggedModelCommands.Create(),
            EventCommands.Create(),
            PolicyCommands.Create(),
            PromoteCommands.Create(),
            DeployCommands.Create(),
            EnvCommands.Create(),
            MonitorCommands.Create(),
        };
        // No response files: '@champion' is a version given by alias, not a file of arguments.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var exitCode = await parsed.InvokeAsync();
        return parsed.Action is ParseErrorAction ? UsageError : exitCode;
    }
}
