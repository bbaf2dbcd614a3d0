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

    private static Task<int> Main(string[] args) => RunAsync(args);

    /// <summary>Parses and runs one command line, as the <c>cairn</c> executable does.</summary>
    internal static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRoot();
        // No response files: '@champion' is a version given by alias, not a file of arguments.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Action is ParseErrorAction && parsed.GetResult(Output.JsonOption) is not null)
        {
            // Scripts asked for JSON: the usage error is problem details on stderr too, not help text.
            Output.WriteProblem(new Output.Problem("Invalid usage", null, string.Join(" ", parsed.Errors.Select(e => e.Message)), "INVALID_USAGE"));
            return UsageError;
        }
        var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { Output = CliHost.Out, Error = CliHost.Error });
        return parsed.Action is ParseErrorAction ? UsageError : exitCode;
    }

    internal static Command BuildRoot()
    {
        var serve = ServeCommand.Create();
        var help = new HelpOption();
        // A Command, not a RootCommand: RootCommand takes its name from the assembly (Cairn.Cli), and help should say cairn.
        var root = new Command("cairn", "Cairn: a model registry and ML metadata store. 'cairn serve' starts the server; the other commands talk to one.")
        {
            help,
            new VersionOption(),
            ClientFactory.ServerOption,
            ClientFactory.TokenOption,
            Output.JsonOption,
            serve,
            ModelCommands.Create(),
            VersionCommands.Create(),
            AliasCommands.Create(),
            StageCommands.Create(),
            CardCommands.Create(),
            TokenCommands.Create(),
            RoleCommands.Create(),
            KeyCommands.Create(),
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
            TrackingCommands.Experiments(),
            TrackingCommands.Runs(),
        };
        root.Subcommands.Add(CompletionCommand.Create(root));
        // The client's options reach every command (Recursive), but serve talks to no server: its help leaves them out.
        help.Action = new ScopedHelpAction((SynchronousCommandLineAction)help.Action!, serve, [ClientFactory.ServerOption, ClientFactory.TokenOption, Output.JsonOption]);
        return root;
    }

    /// <summary>Help that hides, for one command, global options that do not apply to it.</summary>
    private sealed class ScopedHelpAction(SynchronousCommandLineAction inner, Command command, Option[] notApplying) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            if (parseResult.CommandResult.Command != command)
            {
                return inner.Invoke(parseResult);
            }
            // The global options are shared by every command; help is the last thing this command line does.
            foreach (var option in notApplying)
            {
                option.Hidden = true;
            }
            try
            {
                return inner.Invoke(parseResult);
            }
            finally
            {
                foreach (var option in notApplying)
                {
                    option.Hidden = false;
                }
            }
        }
    }
}
