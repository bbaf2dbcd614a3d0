using System.CommandLine;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn token create | list | revoke</c>: API tokens, through the server or offline on a data directory.</summary>
internal static class TokenCommands
{
    public static Command Create() => new("token", "Create, list and revoke API tokens (admin only); --data-dir works without a server")
    {
        CreateCommand(),
        ListCommand(),
        RevokeCommand(),
    };

    private static Command CreateCommand()
    {
        var name = new Option<string>("--name") { Description = "The token's unique name, such as ci", HelpName = "name", Required = true };
        var role = new Option<Role>("--role")
        {
            Description = "The role it grants on the namespace: reader, writer, approver or admin",
            HelpName = "role",
            Required = true,
            CustomParser = Arguments.ParseEnum<Role>,
        };
        var ns = new Option<string>("--namespace")
        {
            Description = "Where the role applies, such as /abc_corp; sub-namespaces inherit it (default: /, everything)",
            HelpName = "namespace",
        };
        var dataDir = LocalStore.DataDirOption();
        // A mistyped --data-dir must not quietly make an admin token for a new, empty store that no server uses.
        var init = new Option<bool>("--init") { Description = "With --data-dir: create the data directory's database if there is none yet (the first admin token of a new store)" };
        var command = new Command("create", "Create an API token and print its secret, which is shown only this once") { name, role, ns, dataDir, init };
        command.Validators.Add(result =>
        {
            if (result.GetResult(init) is not null && result.GetResult(dataDir) is null)
            {
                result.AddError("--init creates a new store on disk: it goes with --data-dir.");
            }
        });
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            var (tokenName, tokenRole, tokenNamespace) = (result.GetRequiredValue(name), result.GetValue(role), result.GetValue(ns));
            CreatedApiToken created;
            if (result.GetValue(dataDir) is { } directory)
            {
                var (store, isNew) = await LocalStore.OpenAsync(directory, create: result.GetValue(init), cancellationToken);
                created = await store.CreateTokenAsync(tokenName, tokenRole, tokenNamespace, cancellationToken);
                if (isNew)
                {
                    Output.Note($"Created a new, empty Cairn store at {LocalStore.DatabasePath(directory)} (--init).");
                }
            }
            else
            {
                using var client = ClientFactory.Create(result);
                created = await client.CreateTokenAsync(tokenName, tokenRole, tokenNamespace, cancellationToken);
            }
            // The secret is the last word of the output, stderr included, so `… | awk '{print $NF}'` captures it.
            output.Write(created, c =>
            {
                Output.Note("Keep the token now: Cairn stores only its hash and cannot show it again.");
                Output.Line($"Created token '{c.Token.Name}' ({Grants(c.Token)}). Token: {c.Secret}");
            });
        });
        return command;
    }

    private static Command ListCommand()
    {
        var dataDir = LocalStore.DataDirOption();
        var command = new Command("list", "List API tokens, revoked ones included (never their secrets)") { dataDir };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            IReadOnlyList<ApiToken> tokens;
            if (result.GetValue(dataDir) is { } directory)
            {
                tokens = await (await LocalStore.OpenAsync(directory, create: false, cancellationToken)).Store.ListTokensAsync(cancellationToken);
            }
            else
            {
                using var client = ClientFactory.Create(result);
                tokens = await client.ListTokensAsync(cancellationToken);
            }
            output.Write(new { tokens }, _ =>
            {
                var table = Output.Table("NAME", "GRANTS", "CREATED", "BY", "REVOKED");
                foreach (var token in tokens)
                {
                    table.AddRow(Output.Cell(token.Name), Output.Cell(Grants(token)), Output.Cell(Output.Time(token.CreatedAt)),
                        Output.Cell(token.CreatedBy), Output.Cell(Output.Time(token.RevokedAt)));
                }
                output.Render(table, "No tokens yet.");
            });
        });
        return command;
    }

    private static Command RevokeCommand()
    {
        var name = new Argument<string>("name") { Description = "The token's name" };
        var dataDir = LocalStore.DataDirOption();
        var command = new Command("revoke", "Revoke an API token: it stops working at once") { name, dataDir };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            ApiToken revoked;
            if (result.GetValue(dataDir) is { } directory)
            {
                revoked = await (await LocalStore.OpenAsync(directory, create: false, cancellationToken)).Store.RevokeTokenAsync(result.GetRequiredValue(name), cancellationToken);
            }
            else
            {
                using var client = ClientFactory.Create(result);
                revoked = await client.RevokeTokenAsync(result.GetRequiredValue(name), cancellationToken);
            }
            output.Write(revoked, t => Output.Line($"Revoked token '{t.Name}' at {Output.Time(t.RevokedAt)}."));
        });
        return command;
    }

    private static string Grants(ApiToken token) =>
        string.Join(", ", token.Grants.Select(g => $"{g.Role.ToString().ToLowerInvariant()} on {g.Namespace}"));
}
