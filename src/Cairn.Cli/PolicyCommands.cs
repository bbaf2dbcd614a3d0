using System.CommandLine;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn policy get | set | delete</c>: promotion policies of namespaces and models.</summary>
internal static class PolicyCommands
{
    public static Command Create() => new("policy", "Read and change promotion policies: which stages and aliases are protected and what moving them takes")
    {
        GetCommand(),
        SetCommand(),
        DeleteCommand(),
    };

    private static Argument<string> NamespaceArgument() => new("namespace")
    {
        Description = "The namespace, such as /risk ('/' for the root); leave out with --model",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private static Option<string> ModelOption() => new("--model") { Description = "A model's own policy (full name) instead of a namespace's", HelpName = "model" };

    private static void OneOf(Command command, Argument<string> ns, Option<string> model) => command.Validators.Add(r =>
    {
        if ((r.GetValue(ns) is null) == (r.GetValue(model) is null))
        {
            r.AddError("Give either a namespace or --model.");
        }
    });

    private static Command GetCommand()
    {
        var ns = NamespaceArgument();
        var model = ModelOption();
        var effective = new Option<bool>("--effective") { Description = "With --model: each target's effective rule and the policy it comes from" };
        var command = new Command("get", "Show a namespace's or a model's own policy, or (--model M --effective) the rules in effect for a model") { ns, model, effective };
        OneOf(command, ns, model);
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            if (result.GetValue(model) is { } name && result.GetValue(effective))
            {
                var rules = await client.GetEffectivePolicyAsync(name, cancellationToken);
                output.Write(rules, e =>
                {
                    var table = Output.Table("TARGET", "PROTECTED", "APPROVALS", "ROLE", "FOUR-EYES", "EXPIRES (H)", "GATES", "FROM");
                    foreach (var r in e.Rules)
                    {
                        table.AddRow(Output.Cell(r.Target), Output.Cell(r.Protected ? "yes" : "no"), Output.Cell(Output.Invariant(r.Rule.Approvals)),
                            Output.Cell(r.Rule.ApproverRole), Output.Cell(r.Rule.FourEyes is false ? "no" : "yes"), Output.Cell(Output.Invariant(r.Rule.ExpiresAfterHours)),
                            Output.Cell(Gates(r.Rule)), Output.Cell(r.PolicySource));
                    }
                    output.Render(table, $"No policy protects anything of {e.Model}.");
                });
                return;
            }
            var document = result.GetValue(model) is { } m
                ? await client.GetModelPolicyAsync(m, cancellationToken)
                : await client.GetNamespacePolicyAsync(result.GetRequiredValue(ns), cancellationToken);
            output.Write(document, d => Render(output, d));
        });
        return command;
    }

    private static Command SetCommand()
    {
        var ns = NamespaceArgument();
        var model = ModelOption();
        var file = new Option<string>("--file", "-f") { Description = "The policy document (JSON); '-' or nothing reads stdin", HelpName = "path" };
        var command = new Command("set", "Set a namespace's or a model's policy from a JSON document (admin)") { ns, model, file };
        OneOf(command, ns, model);
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            var path = result.GetValue(file);
            var json = path is null or "-"
                ? await Console.In.ReadToEndAsync(cancellationToken)
                : await File.ReadAllTextAsync(path, cancellationToken);
            using var client = ClientFactory.Create(result);
            // Sent as written: the server names any field it does not know, where a typo would otherwise vanish.
            var document = result.GetValue(model) is { } m
                ? await client.SetModelPolicyAsync(m, json, cancellationToken)
                : await client.SetNamespacePolicyAsync(result.GetRequiredValue(ns), json, cancellationToken);
            output.Write(document, d =>
            {
                Output.Line($"Set the policy of {d.Source}.");
                Render(output, d);
            });
        });
        return command;
    }

    private static Command DeleteCommand()
    {
        var ns = NamespaceArgument();
        var model = ModelOption();
        var command = new Command("delete", "Remove a namespace's or a model's policy (admin); the policies above it govern again") { ns, model };
        OneOf(command, ns, model);
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            string whose;
            if (result.GetValue(model) is { } m)
            {
                await client.DeleteModelPolicyAsync(m, cancellationToken);
                whose = $"model {m}";
            }
            else
            {
                var name = result.GetRequiredValue(ns);
                await client.DeleteNamespacePolicyAsync(name, cancellationToken);
                whose = $"namespace {name}";
            }
            output.Write(new { deleted = whose }, _ => Output.Line($"Removed the policy of {whose}."));
        });
        return command;
    }

    private static void Render(Output output, PolicyDocument document)
    {
        Output.Details(("Policy of", document.Source), ("Updated", $"{Output.Time(document.UpdatedAt)} by {document.UpdatedBy}"));
        var table = Output.Table("TARGET", "APPROVALS", "ROLE", "FOUR-EYES", "EXPIRES (H)", "ARCHIVE EXISTING", "GATES");
        foreach (var r in document.Policy.ProtectedTargets)
        {
            table.AddRow(Output.Cell(r.Stage ?? "@" + r.Alias), Output.Cell(Output.Invariant(r.Approvals)), Output.Cell(r.ApproverRole),
                Output.Cell(r.FourEyes is false ? "no" : "yes"), Output.Cell(Output.Invariant(r.ExpiresAfterHours)),
                Output.Cell(r.Stage is null ? null : r.ArchiveExisting is false ? "no" : "yes"), Output.Cell(Gates(r)));
        }
        output.Render(table, "It protects nothing.");
    }

    private static string Gates(ProtectedTarget rule) => string.Join(", ", (rule.Gates ?? []).Select(g => g.Metric is null ? g.Type : $"{g.Type}({g.Metric})"));
}
