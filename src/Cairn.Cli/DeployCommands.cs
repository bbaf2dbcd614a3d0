using System.CommandLine;
using System.Globalization;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary>
/// <c>cairn deploy record | traffic | status | rollback | list | show | delete</c>: deployments as deployment tools report
/// them. A deployment is named by its id (<c>dep-…</c>) or as <c>environment/name</c>.
/// </summary>
internal static class DeployCommands
{
    public static Command Create() => new("deploy", "Record where versions serve: deployments, their traffic, status and rollbacks")
    {
        RecordCommand(),
        TrafficCommand(),
        StatusCommand(),
        RollbackCommand(),
        ListCommand(),
        ShowCommand(),
        DeleteCommand(),
    };

    internal static Argument<string> DeploymentArgument() => new("deployment") { Description = "The deployment's id (dep-…) or environment/name (prod/fraud-api)" };

    private static Option<string> MessageOption(string what) => new("--message", "-m") { Description = what, HelpName = "text" };

    private static Option<Dictionary<string, decimal>> TrafficOption() => Shares("--traffic", "A version's share of the traffic in percent, version=share such as 1=90 (a version number or @alias); the shares sum to 100");

    private static Option<Dictionary<string, decimal>> ShadowOption() => Shares("--shadow", "A shadow version receiving a mirrored copy of that percent of the traffic, version=share such as 3=10");

    private static Option<Dictionary<string, decimal>> Shares(string name, string description) => new(name)
    {
        Description = description + " (repeatable)",
        HelpName = "version=share",
        Arity = ArgumentArity.OneOrMore,
        CustomParser = result =>
        {
            var shares = new Dictionary<string, decimal>(StringComparer.Ordinal);
            foreach (var token in result.Tokens)
            {
                var equals = token.Value.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || !decimal.TryParse(token.Value[(equals + 1)..].TrimEnd('%'), NumberStyles.Number, CultureInfo.InvariantCulture, out var share))
                {
                    result.AddError($"{name} expects version=share, such as 2=10; got '{token.Value}'.");
                    continue;
                }
                shares[token.Value[..equals]] = share;
            }
            return shares;
        },
    };

    private static Option<string> StatusOption(string what) => new("--status") { Description = what + ": pending, in_progress, succeeded, failed, rolled_back", HelpName = "status" };

    private static Command RecordCommand()
    {
        var model = Arguments.Model();
        var version = new Argument<VersionRef?>("version")
        {
            Description = "The version serving all traffic (a number or @alias); or give --traffic",
            Arity = ArgumentArity.ZeroOrOne,
            CustomParser = r => VersionRef.Parse(r),
        };
        var environment = new Option<string>("--env", "--environment") { Description = "The environment (set by an admin with `cairn env set`)", HelpName = "environment", Required = true };
        var name = new Option<string>("--name") { Description = "The deployment's name, unique in its environment", HelpName = "name", Required = true };
        var traffic = TrafficOption();
        var shadow = ShadowOption();
        var endpoint = new Option<string>("--endpoint") { Description = "Where it answers (a URL, an endpoint name)", HelpName = "url" };
        var method = new Option<string>("--method") { Description = "How it is served: self-hosted, ECS, EKS, AWS Lambda, SageMaker, KServe …", HelpName = "method" };
        var strategy = new Option<string>("--strategy") { Description = "The rolling strategy: blue-green, canary, rolling or shadow", HelpName = "strategy" };
        var variables = Arguments.Pairs("--var", "An environment variable, NAME=value; secret-looking values are stored and shown masked");
        var description = new Option<string>("--description") { Description = "What the deployment is", HelpName = "text" };
        var status = StatusOption("Its first status (default pending)");
        var message = MessageOption("A note kept with the first status");
        var command = new Command("record", "Record a deployment of a model with its first traffic allocation (writer)")
        {
            model, version, environment, name, traffic, shadow, endpoint, method, strategy, variables, description, status, message,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var modelName = result.GetRequiredValue(model);
            var shares = await SharesAsync(client, modelName, result.GetValue(version), result.GetValue(traffic), result.GetValue(shadow), cancellationToken);
            var deployment = await client.RecordDeploymentAsync(new RecordDeploymentRequest(
                result.GetRequiredValue(name), result.GetRequiredValue(environment), modelName, shares, result.GetValue(endpoint), result.GetValue(variables),
                result.GetValue(method), result.GetValue(strategy), result.GetValue(description), result.GetValue(status), result.GetValue(message)), cancellationToken);
            output.Write(deployment, d => Output.Line($"Recorded deployment {d.Id} ({d.Environment}/{d.Name}) of {d.Model}: {Traffic(d.Traffic)}, {d.Status}."));
        });
        return command;
    }

    private static Command TrafficCommand()
    {
        var deployment = DeploymentArgument();
        var traffic = TrafficOption();
        var shadow = ShadowOption();
        var status = StatusOption("The status recorded with the shift (default in_progress)");
        var message = MessageOption("A note kept with the new revision");
        var command = new Command("traffic", "Shift a deployment's traffic: a new revision (writer)") { deployment, traffic, shadow, status, message };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var current = await ResolveAsync(client, result.GetRequiredValue(deployment), cancellationToken);
            var shares = await SharesAsync(client, current.Model, null, result.GetValue(traffic), result.GetValue(shadow), cancellationToken);
            var shifted = await client.ShiftTrafficAsync(current.Id, shares, result.GetValue(status), result.GetValue(message), cancellationToken);
            output.Write(shifted, d => Output.Line($"Deployment {d.Id} ({d.Environment}/{d.Name}) is at revision {Output.Invariant(d.Revision)}: {Traffic(d.Traffic)}, {d.Status}."));
        });
        return command;
    }

    private static Command StatusCommand()
    {
        var deployment = DeploymentArgument();
        var status = new Argument<string?>("status")
        {
            Description = "A status to report (pending, in_progress, succeeded, failed, rolled_back); without it, the history is shown",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var message = MessageOption("What happened");
        var command = new Command("status", "Show a deployment's status history, or report a status (writer)") { deployment, status, message };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var current = await ResolveAsync(client, result.GetRequiredValue(deployment), cancellationToken);
            if (result.GetValue(status) is { } reported)
            {
                var after = await client.ReportDeploymentStatusAsync(current.Id, reported, result.GetValue(message), cancellationToken);
                output.Write(after, d => Output.Line($"Deployment {d.Id} ({d.Environment}/{d.Name}) is {d.Status} at revision {Output.Invariant(d.Revision)}."));
                return;
            }
            var history = await client.GetDeploymentStatusAsync(current.Id, cancellationToken);
            output.Write(history, h =>
            {
                Output.Line($"{current.Environment}/{current.Name} ({h.Id}) is {h.Status} at revision {Output.Invariant(h.Revision)}.");
                var table = Output.Table("AT", "STATUS", "REVISION", "BY", "MESSAGE");
                foreach (var entry in h.History)
                {
                    table.AddRow(Output.Cell(Output.Time(entry.At)), Output.Cell(entry.Status), Output.Cell(Output.Invariant(entry.Revision)), Output.Cell(entry.By), Output.Cell(entry.Message));
                }
                output.Render(table, "No status reported.");
            });
        });
        return command;
    }

    private static Command RollbackCommand()
    {
        var deployment = DeploymentArgument();
        var message = MessageOption("Why");
        var command = new Command("rollback", "Return a deployment to its previous revision's traffic, as a new revision (writer)") { deployment, message };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var current = await ResolveAsync(client, result.GetRequiredValue(deployment), cancellationToken);
            var rolled = await client.RollbackDeploymentAsync(current.Id, result.GetValue(message), cancellationToken);
            output.Write(rolled, d => Output.Line($"Rolled back {d.Environment}/{d.Name} ({d.Id}) to the traffic of revision {Output.Invariant(current.Revision - 1)}: now revision {Output.Invariant(d.Revision)}, {Traffic(d.Traffic)}."));
        });
        return command;
    }

    private static Command ListCommand()
    {
        var environment = new Option<string>("--env", "--environment") { Description = "Only deployments in this environment", HelpName = "environment" };
        var model = new Option<string>("--model") { Description = "Only deployments of this model", HelpName = "model" };
        var version = new Option<int?>("--version") { Description = "Only deployments whose traffic includes this version (with --model)", HelpName = "n" };
        var status = StatusOption("Only deployments in this status");
        var deleted = new Option<bool>("--deleted") { Description = "Include deleted deployments" };
        var max = Arguments.Max("deployments");
        var command = new Command("list", "List deployments by environment and name") { environment, model, version, status, deleted, max };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var query = new DeploymentQuery(result.GetValue(environment), result.GetValue(model), result.GetValue(version), result.GetValue(status), result.GetValue(deleted));
            var deployments = await Output.CollectAsync(client.ListDeploymentsAsync(query, null, cancellationToken), result.GetValue(max), "deployments", cancellationToken);
            output.Write(new { deployments }, _ =>
            {
                var table = Output.Table("ENVIRONMENT", "NAME", "MODEL", "TRAFFIC", "STATUS", "REVISION", "UPDATED", "ID");
                foreach (var d in deployments)
                {
                    table.AddRow(Output.Cell(d.Environment), Output.Cell(d.Name + (d.DeletedAt is null ? "" : " (deleted)")), Output.Cell(d.Model), Output.Cell(Traffic(d.Traffic)),
                        Output.Cell(d.Status), Output.Cell(Output.Invariant(d.Revision)), Output.Cell(Output.Time(d.UpdatedAt)), Output.Cell(d.Id));
                }
                output.Render(table, "No deployments.");
            });
        });
        return command;
    }

    private static Command ShowCommand()
    {
        var deployment = DeploymentArgument();
        var command = new Command("show", "Show a deployment with its revisions") { deployment };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var d = await ResolveAsync(client, result.GetRequiredValue(deployment), cancellationToken);
            var revisions = await client.GetDeploymentRevisionsAsync(d.Id, cancellationToken);
            output.Write(new { deployment = d, revisions = revisions.Revisions }, _ =>
            {
                Output.Details(
                    ("Deployment", d.Id), ("Environment", d.Environment), ("Name", d.Name), ("Model", d.Model), ("Endpoint", d.Endpoint),
                    ("Method", d.Method), ("Strategy", d.Strategy), ("Status", d.StatusMessage is null ? d.Status : $"{d.Status}: {d.StatusMessage}"),
                    ("Revision", Output.Invariant(d.Revision)), ("Traffic", Traffic(d.Traffic)), ("Lineage node", d.LineageNode),
                    ("Created", $"{Output.Time(d.CreatedAt)} by {d.CreatedBy}"), ("Updated", $"{Output.Time(d.UpdatedAt)} by {d.UpdatedBy}"),
                    ("Deleted", d.DeletedAt is null ? null : $"{Output.Time(d.DeletedAt)} by {d.DeletedBy}"));
                output.Section("Environment variables", d.EnvironmentVariables, v => v);
                Output.Line("");
                var table = Output.Table("REVISION", "TRAFFIC", "AT", "BY", "NOTE");
                foreach (var r in revisions.Revisions)
                {
                    table.AddRow(Output.Cell(Output.Invariant(r.Revision)), Output.Cell(Traffic(r.Traffic)), Output.Cell(Output.Time(r.CreatedAt)), Output.Cell(r.CreatedBy),
                        Output.Cell(r.RestoredFrom is { } from ? $"rollback to revision {Output.Invariant(from)}" + (r.Message is null ? "" : $": {r.Message}") : r.Message));
                }
                output.Render(table);
            });
        });
        return command;
    }

    private static Command DeleteCommand()
    {
        var deployment = DeploymentArgument();
        var command = new Command("delete", "Delete a deployment (admin); its history stays readable") { deployment };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var d = await ResolveAsync(client, result.GetRequiredValue(deployment), cancellationToken);
            await client.DeleteDeploymentAsync(d.Id, cancellationToken);
            output.Write(new { deleted = d.Id }, _ => Output.Line($"Deleted deployment {d.Id} ({d.Environment}/{d.Name})."));
        });
        return command;
    }

    /// <summary>A deployment by id, or by <c>environment/name</c> among the live deployments of that environment.</summary>
    /// <summary>The id of the deployment <paramref name="reference"/> names: an id as it is, <c>environment/name</c> looked up.</summary>
    internal static async Task<string> ResolveIdAsync(CairnClient client, string reference, CancellationToken cancellationToken) =>
        reference.Contains('/', StringComparison.Ordinal) ? (await ResolveAsync(client, reference, cancellationToken)).Id : reference;

    private static async Task<Deployment> ResolveAsync(CairnClient client, string reference, CancellationToken cancellationToken)
    {
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return await client.GetDeploymentAsync(reference, cancellationToken);
        }
        var (environment, name) = (reference[..slash], reference[(slash + 1)..]);
        await foreach (var deployment in client.ListDeploymentsAsync(new DeploymentQuery(environment), null, cancellationToken))
        {
            if (deployment.Name == name)
            {
                return deployment;
            }
        }
        throw new InvalidParameterException($"Environment '{environment}' has no live deployment named '{name}' (`cairn deploy list --env {environment}` lists them).");
    }

    /// <summary>The allocation the options give: <c>--traffic</c> and <c>--shadow</c> entries, or one version at 100 %.</summary>
    private static async Task<List<TrafficShare>> SharesAsync(
        CairnClient client, string model, VersionRef? single, Dictionary<string, decimal>? traffic, Dictionary<string, decimal>? shadow, CancellationToken cancellationToken)
    {
        var shares = new List<TrafficShare>();
        if (single is { } only)
        {
            if (traffic is { Count: > 0 })
            {
                throw new InvalidParameterException("Give either a version (it takes all the traffic) or --traffic, not both.");
            }
            shares.Add(new TrafficShare(await only.ResolveAsync(client, model, cancellationToken), 100));
        }
        foreach (var (entries, isShadow) in new[] { (traffic, false), (shadow, true) })
        {
            foreach (var (version, share) in entries ?? [])
            {
                shares.Add(new TrafficShare(await VersionOf(version).ResolveAsync(client, model, cancellationToken), share, isShadow));
            }
        }
        if (!shares.Any(s => !s.Shadow))
        {
            throw new InvalidParameterException("Say which versions serve: a version (all the traffic) or --traffic version=share, such as --traffic 1=90 --traffic 2=10.");
        }
        return shares;
    }

    private static VersionRef VersionOf(string text) =>
        text is ['@', .. var alias] && alias.Length > 0 ? new VersionRef(null, alias)
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0 ? new VersionRef(number, null)
        : throw new InvalidParameterException($"'{text}' is not a version: give a number (1, 2, 3 …) or @alias (such as @champion).");

    /// <summary>An allocation in one line: <c>v1 90%, v2 10%, v3 shadow 5%</c>.</summary>
    internal static string Traffic(IReadOnlyList<TrafficShare> traffic) =>
        string.Join(", ", traffic.Select(t => $"v{Output.Invariant(t.Version)} {(t.Shadow ? "shadow " : "")}{t.Share.ToString("0.##", CultureInfo.InvariantCulture)}%"));
}

/// <summary><c>cairn env set | list | delete</c>: the environments deployments run in.</summary>
internal static class EnvCommands
{
    public static Command Create() => new("env", "Set and list the environments deployments run in")
    {
        SetCommand(),
        ListCommand(),
        DeleteCommand(),
    };

    private static Command SetCommand()
    {
        var name = new Argument<string>("name") { Description = "The environment's name, such as prod" };
        var isProtected = new Option<bool>("--protected") { Description = "Serve only versions with an applied promotion request to --target" };
        var target = new Option<string>("--target") { Description = "The stage (Production) or alias (prod, @prod) a version must have been promoted to", HelpName = "target" };
        var description = new Option<string>("--description") { Description = "What the environment is", HelpName = "text" };
        var command = new Command("set", "Create or replace an environment (admin of '/')") { name, isProtected, target, description };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var set = await client.SetEnvironmentAsync(result.GetRequiredValue(name),
                new SetEnvironmentRequest(result.GetValue(isProtected), result.GetValue(target), result.GetValue(description)), cancellationToken);
            output.Write(set, e => Output.Line(e.Protected
                ? $"Environment {e.Name} is protected: it serves only versions promoted to {e.Target}."
                : $"Environment {e.Name} is set (not protected)."));
        });
        return command;
    }

    private static Command ListCommand()
    {
        var command = new Command("list", "List the environments");
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var environments = await client.ListEnvironmentsAsync(cancellationToken);
            output.Write(new { environments }, _ =>
            {
                var table = Output.Table("NAME", "PROTECTED", "TARGET", "DESCRIPTION", "UPDATED");
                foreach (var e in environments)
                {
                    table.AddRow(Output.Cell(e.Name), Output.Cell(e.Protected ? "yes" : "no"), Output.Cell(e.Target), Output.Cell(e.Description), Output.Cell($"{Output.Time(e.UpdatedAt)} by {e.UpdatedBy}"));
                }
                output.Render(table, "No environments: an admin sets one with `cairn env set <name>`.");
            });
        });
        return command;
    }

    private static Command DeleteCommand()
    {
        var name = new Argument<string>("name") { Description = "The environment's name" };
        var command = new Command("delete", "Delete an environment without live deployments (admin of '/')") { name };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            await client.DeleteEnvironmentAsync(result.GetRequiredValue(name), cancellationToken);
            output.Write(new { deleted = result.GetRequiredValue(name) }, n => Output.Line($"Deleted environment {n.deleted}."));
        });
        return command;
    }
}
