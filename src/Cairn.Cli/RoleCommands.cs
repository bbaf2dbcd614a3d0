using System.CommandLine;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn role grant | revoke | list</c>: role bindings of API tokens, users and groups (docs/auth.md).</summary>
internal static class RoleCommands
{
    public static Command Create() => new("role", "Give, take and list roles of API tokens and of the identity provider's users and groups (admin)")
    {
        GrantCommand(),
        RevokeCommand(),
        ListCommand(),
    };

    // Exactly one of --token-name, --user, --group names the principal (or none, for list). Not --token: that is the
    // global option carrying the API token the command authenticates with.
    private sealed class PrincipalOptions(bool required)
    {
        private readonly Option<string> _token = new("--token-name") { Description = "An API token, by its name", HelpName = "name" };
        private readonly Option<string> _user = new("--user") { Description = "A user of the identity provider, by the server's user claim (preferred_username by default)", HelpName = "user" };
        private readonly Option<string> _group = new("--group") { Description = "A group of the identity provider, as the groups claim names it", HelpName = "group" };

        public static PrincipalOptions Create(bool required) => new(required);

        public void AddTo(Command command)
        {
            command.Options.Add(_token);
            command.Options.Add(_user);
            command.Options.Add(_group);
            command.Validators.Add(result =>
            {
                var given = new[] { _token, _user, _group }.Count(o => result.GetResult(o) is not null);
                if (given > 1 || (required && given == 0))
                {
                    result.AddError("Name the principal with exactly one of --token-name, --user or --group.");
                }
            });
        }

        public (PrincipalKind Kind, string Name)? Read(ParseResult result) =>
            result.GetValue(_token) is { } token ? (PrincipalKind.Token, token)
            : result.GetValue(_user) is { } user ? (PrincipalKind.User, user)
            : result.GetValue(_group) is { } group ? (PrincipalKind.Group, group)
            : null;
    }

    private static Option<string> NamespaceOption(string description) => new("--namespace") { Description = description, HelpName = "namespace" };

    private static Command GrantCommand()
    {
        var principal = PrincipalOptions.Create(required: true);
        var role = new Option<Role>("--role")
        {
            Description = "reader, writer, approver or admin",
            HelpName = "role",
            Required = true,
            CustomParser = Arguments.ParseEnum<Role>,
        };
        var ns = NamespaceOption("Where the role applies, such as /abc_corp; sub-namespaces inherit it (default: /, everything)");
        var command = new Command("grant", "Give a token, user or group a role on a namespace (replacing the role it had there)") { role, ns };
        principal.AddTo(command);
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            var (kind, name) = principal.Read(result)!.Value;
            using var client = ClientFactory.Create(result);
            var binding = await client.GrantRoleAsync(kind, name, result.GetValue(role), result.GetValue(ns), cancellationToken);
            output.Write(binding, b => Output.Line($"{Describe(b)}."));
        });
        return command;
    }

    private static Command RevokeCommand()
    {
        var principal = PrincipalOptions.Create(required: true);
        var ns = NamespaceOption("The binding's namespace (default: /)");
        var command = new Command("revoke", "Take a token's, user's or group's role on a namespace away") { ns };
        principal.AddTo(command);
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            var (kind, name) = principal.Read(result)!.Value;
            using var client = ClientFactory.Create(result);
            var binding = await client.RevokeRoleAsync(kind, name, result.GetValue(ns), cancellationToken);
            output.Write(binding, b => Output.Line($"Revoked: {Describe(b)}."));
        });
        return command;
    }

    private static Command ListCommand()
    {
        var principal = PrincipalOptions.Create(required: false);
        var ns = NamespaceOption("Only bindings on this namespace");
        var command = new Command("list", "List role bindings on the namespaces you administer") { ns };
        principal.AddTo(command);
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            var named = principal.Read(result);
            using var client = ClientFactory.Create(result);
            var bindings = await client.ListRoleBindingsAsync(named?.Kind, named?.Name, result.GetValue(ns), cancellationToken);
            output.Write(new { role_bindings = bindings }, _ =>
            {
                var table = Output.Table("KIND", "PRINCIPAL", "ROLE", "NAMESPACE", "GRANTED", "BY");
                foreach (var b in bindings)
                {
                    table.AddRow(Output.Cell(Text(b.PrincipalKind)), Output.Cell(b.Principal), Output.Cell(Text(b.Role)), Output.Cell(b.Namespace),
                        Output.Cell(Output.Time(b.CreatedAt)), Output.Cell(b.CreatedBy));
                }
                output.Render(table, "No role bindings.");
            });
        });
        return command;
    }

    private static string Describe(RoleBinding b) => $"{Text(b.PrincipalKind)} '{b.Principal}' is {Text(b.Role)} on {b.Namespace}";

    private static string Text<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
