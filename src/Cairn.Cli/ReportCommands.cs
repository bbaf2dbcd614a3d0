using System.CommandLine;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn report compliance NS|MODEL [--at DATE] [--format json|html|pdf] [-o FILE]</c>.</summary>
internal static class ReportCommands
{
    public static Command Create() => new("report", "Reports for auditors") { ComplianceCommand() };

    private static Command ComplianceCommand()
    {
        var scope = new Argument<string>("scope")
        {
            Description = "A namespace path (/risk: it and every namespace below it) or a model's full name (risk.fraud)",
        };
        var at = Arguments.Time("--at", "Also say which version held each stage and alias at this time");
        var format = new Option<string>("--format")
        {
            Description = "json (default), html or pdf",
            HelpName = "json|html|pdf",
            DefaultValueFactory = _ => "json",
        };
        format.AcceptOnlyFromAmong("json", "html", "pdf");
        var file = new Option<FileInfo>("--output", "-o") { Description = "Write the report to this file (required for pdf)", HelpName = "file" };
        var command = new Command("compliance",
            "Who held each stage and alias when, who requested and approved it with the gates' evidence, cards, lineage, and the audit head to verify against")
        {
            scope, at, format, file,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var kind = result.GetValue(format)!;
            var when = result.GetValue(at);
            if (result.GetValue(file) is { } target)
            {
                await using (var stream = target.Create())
                {
                    await client.DownloadComplianceReportAsync(result.GetRequiredValue(scope), when, kind, stream, cancellationToken);
                }
                Output.Note($"Wrote the {kind} report to {target.FullName}.");
                return 0;
            }
            if (kind == "pdf")
            {
                Output.Error("a PDF report needs a file: add -o report.pdf");
                return 1;
            }
            if (kind == "html")
            {
                await using var stdout = Console.OpenStandardOutput();
                await client.DownloadComplianceReportAsync(result.GetRequiredValue(scope), when, kind, stdout, cancellationToken);
                return 0;
            }
            var report = await client.GetComplianceReportAsync(result.GetRequiredValue(scope), when, cancellationToken);
            output.Write(report, r => Print(output, r));
            return 0;
        });
        return command;
    }

    /// <summary>For people: each target's holdings, then the audit head to check the report against.</summary>
    private static void Print(Output output, ComplianceReport report)
    {
        var table = Output.Table("MODEL", "TARGET", "PROTECTED", report.At is null ? "VERSION" : "HELD AT " + Output.Time(report.At.Value), "FROM", "UNTIL", "HOW", "REQUESTED BY", "APPROVED BY");
        foreach (var model in report.Models)
        {
            foreach (var target in model.Targets)
            {
                foreach (var h in target.Holdings)
                {
                    var approvers = h.Request is { } r ? string.Join(", ", r.Reviews.Where(v => v.Verdict == "APPROVE").Select(v => v.Reviewer)) : null;
                    var holdsThen = report.At is { } instant && h.From <= instant && (h.Until is null || instant < h.Until);
                    var held = "v" + Output.Invariant(h.Version) + (holdsThen ? " *" : "");
                    table.AddRow(Output.Cell(model.Model), Output.Cell(target.Target), Output.Cell(target.Protected ? "yes" : "no"), Output.Cell(held),
                        Output.Cell(Output.Time(h.From)), Output.Cell(Output.Time(h.Until)), Output.Cell(h.How == "direct" ? "direct (no request)" : h.Request?.Id),
                        Output.Cell(h.Request?.RequestedBy), Output.Cell(approvers));
                }
            }
        }
        output.Render(table, "No version of any model in this scope has held a stage or an alias.");
        var v = report.Audit.Verification;
        Output.Line(v.Valid
            ? $"Audit chain verified: {v.Checked} entries; head #{report.Audit.HeadSeq} {report.Audit.HeadHash}."
            : $"AUDIT CHAIN BROKEN at entry {v.BrokenAt}: {v.Reason}");
        if (report.At is not null)
        {
            Output.Line("* held the target at the time asked.");
        }
    }
}
