using System.CommandLine;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn promote request | approve | reject | cancel | list | show</c>: promotion requests for protected targets.</summary>
internal static class PromoteCommands
{
    public static Command Create() => new("promote", "Ask for, review and follow promotions of versions to protected stages and aliases")
    {
        RequestCommand(),
        DecideCommand("approve", "Approve a request (the policy's approver role; not its requester nor the version's creator under four-eyes)",
            (client, id, comment, ct) => client.ApprovePromotionAsync(id, comment, ct)),
        DecideCommand("reject", "Reject a request (the policy's approver role)", (client, id, comment, ct) => client.RejectPromotionAsync(id, comment, ct)),
        DecideCommand("cancel", "Withdraw a request (its requester or an admin)", (client, id, comment, ct) => client.CancelPromotionAsync(id, comment, ct)),
        ListCommand(),
        ShowCommand(),
    };

    private static Option<string> CommentOption(string what) => new("--comment", "-m") { Description = what, HelpName = "text" };

    private static Command RequestCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var target = new Argument<string>("target") { Description = "A stage (Staging, Production, Archived) or an alias (champion, or @name)" };
        var comment = CommentOption("Why, for the reviewers");
        var command = new Command("request", "Ask for a protected stage or alias to move to a version (writer)") { model, version, target, comment };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var request = await client.RequestPromotionAsync(name, number, result.GetRequiredValue(target), result.GetValue(comment), cancellationToken);
            output.Write(request, r =>
            {
                Output.Line(r.Status switch
                {
                    PromotionStatus.Applied => $"Promoted {r.Model} version {r.Version} to {Target(r)} at once (request {r.Id}): its rule asks for no approvals.",
                    PromotionStatus.Rejected => $"Request {r.Id} was recorded and REJECTED by its gates: {r.Decision}",
                    _ => $"Requested {Target(r)} for {r.Model} version {r.Version}: request {r.Id}, "
                        + $"{Output.Invariant(r.Rule.Approvals)} approval(s) needed under the policy of {r.PolicySource}, until {Output.Time(r.ExpiresAt)}.",
                });
            });
        });
        return command;
    }

    private static Command DecideCommand(string name, string description, Func<CairnClient, string, string?, CancellationToken, Task<PromotionRequest>> decide)
    {
        var id = new Argument<string>("id") { Description = "The request's id" };
        var comment = CommentOption("Why");
        var command = new Command(name, description) { id, comment };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var request = await decide(client, result.GetRequiredValue(id), result.GetValue(comment), cancellationToken);
            output.Write(request, r => Output.Line(r.Status switch
            {
                PromotionStatus.Pending => $"Approved request {r.Id}: {Output.Invariant(Approvals(r))} of {Output.Invariant(r.Rule.Approvals)} approvals.",
                PromotionStatus.Applied => $"Request {r.Id} is applied: {r.Model} version {r.Version} holds {Target(r)}"
                    + (r.PreviousVersion is { } previous ? $" (it was version {Output.Invariant(previous)})." : "."),
                _ => $"Request {r.Id} is {r.Status.ToString().ToUpperInvariant()}: {r.Decision}",
            }));
        });
        return command;
    }

    private static Command ListCommand()
    {
        var model = new Option<string>("--model") { Description = "Only this model's requests", HelpName = "model" };
        var ns = new Option<string>("--namespace") { Description = "Only requests of models in this namespace or below", HelpName = "namespace" };
        var status = new Option<PromotionStatus?>("--status")
        {
            Description = "Only pending, applied, rejected, cancelled or expired requests",
            HelpName = "status",
            CustomParser = r => Arguments.ParseEnum<PromotionStatus>(r),
        };
        var actionable = new Option<bool>("--actionable", "--mine") { Description = "Only the requests you may approve now (your inbox)" };
        var max = Arguments.Max("requests");
        var command = new Command("list", "List promotion requests, newest first") { model, ns, status, actionable, max };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var query = new PromotionQuery(result.GetValue(model), null, result.GetValue(status), result.GetValue(ns), result.GetValue(actionable));
            var requests = await Output.CollectAsync(client.ListPromotionsAsync(query, null, cancellationToken), result.GetValue(max), "requests", cancellationToken);
            output.Write(new { requests }, _ =>
            {
                var table = Output.Table("ID", "MODEL", "VERSION", "TARGET", "STATUS", "APPROVALS", "REQUESTED BY", "REQUESTED", "EXPIRES");
                foreach (var r in requests)
                {
                    table.AddRow(Output.Cell(r.Id), Output.Cell(r.Model), Output.Cell(Output.Invariant(r.Version)), Output.Cell(Target(r)),
                        Output.Cell(r.Status.ToString().ToUpperInvariant()), Output.Cell($"{Output.Invariant(Approvals(r))}/{Output.Invariant(r.Rule.Approvals)}"),
                        Output.Cell(r.RequestedBy), Output.Cell(Output.Time(r.RequestedAt)), Output.Cell(Output.Time(r.ExpiresAt)));
                }
                output.Render(table, result.GetValue(actionable) ? "Nothing waits for you." : "No promotion requests.");
            });
        });
        return command;
    }

    private static Command ShowCommand()
    {
        var id = new Argument<string>("id") { Description = "The request's id" };
        var command = new Command("show", "Show a request with its rule, reviews and gates' evidence") { id };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var request = await client.GetPromotionAsync(result.GetRequiredValue(id), cancellationToken);
            output.Write(request, r =>
            {
                Output.Details(
                    ("Request", r.Id), ("Model", r.Model), ("Version", Output.Invariant(r.Version)), ("Target", Target(r)),
                    ("Status", r.Status.ToString().ToUpperInvariant()), ("Requested", $"{Output.Time(r.RequestedAt)} by {r.RequestedBy}"),
                    ("Comment", r.Comment), ("Expires", Output.Time(r.ExpiresAt)),
                    ("Rule", $"{Output.Invariant(r.Rule.Approvals)} approval(s) from {r.Rule.ApproverRole}{(r.Rule.FourEyes is false ? "" : ", four-eyes")} ({r.PolicySource})"),
                    ("Decided", r.DecidedAt is null ? null : $"{Output.Time(r.DecidedAt)} by {r.DecidedBy}"), ("Decision", r.Decision),
                    ("Previous holder", r.PreviousVersion is { } p ? Output.Invariant(p) : null));
                if (r.Reviews.Count > 0)
                {
                    Output.Line("");
                    var reviews = Output.Table("REVIEWER", "VERDICT", "AT", "COMMENT");
                    foreach (var review in r.Reviews)
                    {
                        reviews.AddRow(Output.Cell(review.Reviewer), Output.Cell(review.Verdict), Output.Cell(Output.Time(review.At)), Output.Cell(review.Comment));
                    }
                    output.Render(reviews);
                }
                if (r.Gates.Count > 0)
                {
                    Output.Line("");
                    var gates = Output.Table("GATE", "RULE", "VERDICT", "REASON");
                    foreach (var gate in r.Gates)
                    {
                        gates.AddRow(Output.Cell(gate.Type), Output.Cell(gate.Rule), Output.Cell(gate.Passed ? "passed" : "FAILED"), Output.Cell(gate.Reason));
                    }
                    output.Render(gates);
                }
            });
        });
        return command;
    }

    private static int Approvals(PromotionRequest request) => request.Reviews.Count(r => r.Verdict == "APPROVE");

    private static string Target(PromotionRequest request) => request.TargetKind == PromotionTargetKind.Alias ? "@" + request.Target : request.Target;
}
