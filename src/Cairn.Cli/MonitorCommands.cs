using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary><c>cairn monitor reference set | window | drift | performance</c>: what a deployment's serving data looks like.</summary>
internal static class MonitorCommands
{
    public static Command Create() => new("monitor", "Monitoring: reference profiles, windows of serving data, drift and performance")
    {
        new Command("reference", "A version's reference profile: what its serving data is compared with") { ReferenceSetCommand(), ReferenceShowCommand() },
        WindowCommand(),
        DriftCommand(),
        PerformanceCommand(),
    };

    private static string FormatOf(FileInfo file) => file.Extension.ToLowerInvariant() switch
    {
        ".csv" => "csv",
        ".parquet" or ".pq" => "parquet",
        ".json" => "json",
        _ => throw new InvalidDataException($"{file.Name}: name a .csv, .parquet or .json file."),
    };

    private static async Task<JsonObject> ReadProfileAsync(FileInfo file, CancellationToken cancellationToken)
    {
        try
        {
            var document = JsonNode.Parse(await File.ReadAllTextAsync(file.FullName, cancellationToken)) as JsonObject
                ?? throw new InvalidDataException($"{file.Name} must hold a JSON object: a profile {{\"rows\":…,\"features\":[…]}}.");
            // A reference or window as 'show --json' prints them carries its profile under "profile".
            return document["profile"] is JsonObject inner ? (JsonObject)inner.DeepClone() : document;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file.Name} is not JSON: {e.Message}");
        }
    }

    private static Command ReferenceSetCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var sample = new Option<FileInfo>("--sample") { Description = "A sample of rows (.csv or .parquet) to profile, or a profile (.json)", HelpName = "file" };
        var dataset = new Option<string>("--dataset")
        {
            Description = "A dataset's statistics: dataset:<namespace>:<name>, with @version for one of its versions",
            HelpName = "id[@version]",
        };
        var command = new Command("set", "Set a version's reference from a sample, a profile, a dataset's statistics, or (neither given) its training dataset's (writer)")
        {
            model, version, sample, dataset,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            ReferenceProfile reference;
            if (result.GetValue(sample) is { } file)
            {
                if (result.GetValue(dataset) is not null)
                {
                    throw new InvalidDataException("Give --sample or --dataset, not both.");
                }
                var format = FormatOf(file);
                if (format == "json")
                {
                    reference = await client.SetReferenceProfileAsync(name, number, await ReadProfileAsync(file, cancellationToken), cancellationToken);
                }
                else
                {
                    await using var stream = file.OpenRead();
                    reference = await client.SetReferenceFromSampleAsync(name, number, stream, format, cancellationToken);
                }
            }
            else
            {
                var named = result.GetValue(dataset);
                var at = named?.LastIndexOf('@') ?? -1;
                reference = await client.SetReferenceFromDatasetAsync(name, number, at > 0 ? named![..at] : named, at > 0 ? named![(at + 1)..] : null, cancellationToken);
            }
            output.Write(reference, r => Output.Line(
                $"The reference of {r.Model} version {r.Version} is set from {Describe(r)}: {r.Rows} rows, {Features(r.Profile)} features."));
        });
        return command;
    }

    private static string Describe(ReferenceProfile r) => r.Source switch
    {
        "dataset" => $"dataset {r.DatasetId}{(r.DatasetVersion is null ? "" : "@" + r.DatasetVersion)}",
        var other => $"a {other}",
    };

    private static int Features(JsonObject? profile) => profile?["features"] is JsonArray features ? features.Count : 0;

    private static Command ReferenceShowCommand()
    {
        var model = Arguments.Model();
        var version = Arguments.Version();
        var command = new Command("show", "Show a version's reference profile") { model, version };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var name = result.GetRequiredValue(model);
            var number = await result.GetRequiredValue(version).ResolveAsync(client, name, cancellationToken);
            var reference = await client.GetReferenceProfileAsync(name, number, cancellationToken);
            output.Write(reference, r => Output.Details(
                ("model", r.Model), ("version", Output.Invariant(r.Version)), ("source", Describe(r)), ("rows", Output.Invariant(r.Rows)),
                ("features", string.Join(", ", (r.Profile["features"] as JsonArray ?? []).Select(f => $"{f?["name"]} ({f?["kind"]})"))),
                ("set", $"{Output.Time(r.CreatedAt)} by {r.CreatedBy}")));
        });
        return command;
    }

    private static Command WindowCommand()
    {
        var deployment = DeployCommands.DeploymentArgument();
        var file = new Argument<FileInfo>("file") { Description = "The window's rows (.csv or .parquet, streamed) or its profile (.json)", HelpName = "file" };
        var version = new Option<int>("--version") { Description = "The version that served the window", Required = true, HelpName = "n" };
        var from = Arguments.Time("--from", "The window's start");
        var to = Arguments.Time("--to", "The window's end");
        from.Required = true;
        to.Required = true;
        var command = new Command("window", "Report a window of serving data (writer); prints its drift against the reference") { deployment, file, version, from, to };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var path = result.GetRequiredValue(file);
            var (id, number, starts, ends) = (await DeployCommands.ResolveIdAsync(client, result.GetRequiredValue(deployment), cancellationToken), result.GetValue(version), result.GetValue(from)!.Value, result.GetValue(to)!.Value);
            var format = FormatOf(path);
            MonitoringWindow window;
            if (format == "json")
            {
                window = await client.ReportWindowProfileAsync(id, number, starts, ends, await ReadProfileAsync(path, cancellationToken), cancellationToken);
            }
            else
            {
                await using var stream = path.OpenRead();
                window = await client.ReportWindowAsync(id, number, starts, ends, stream, format, cancellationToken);
            }
            output.Write(window, w =>
            {
                Output.Line($"Window {w.Id} of {w.Model} version {w.Version} on {w.DeploymentId}: {w.Rows} rows, "
                    + (w.Drift is null ? "no reference to compare with." : w.Drift.Drifted ? $"DRIFTED ({Share(w.Drift)})." : $"no dataset drift ({Share(w.Drift)})."));
                if (w.Drift is { } drift)
                {
                    output.Render(FeatureTable(drift), "No features.");
                }
            });
        });
        return command;
    }

    private static string Share(DatasetDrift drift) =>
        $"{drift.DriftedFeatures} of {drift.Features.Count} features drifted, share {Output.Invariant(Math.Round(drift.DriftedShare, 3))} against {Output.Invariant(drift.DriftShareThreshold)}";

    private static Table FeatureTable(DatasetDrift drift)
    {
        var table = Output.Table("feature", "kind", "method", "score", "threshold", "drifted", "psi", "note");
        foreach (var f in drift.Features)
        {
            table.AddRow(Output.Cell(f.Feature), Output.Cell(f.Kind), Output.Cell(f.Method), Output.Cell(Output.Invariant(Math.Round(f.Score, 6))),
                Output.Cell(Output.Invariant(f.Threshold)), Output.Cell(f.Drifted ? "yes" : "no"),
                Output.Cell(f.Psi is { } psi ? $"{Output.Invariant(Math.Round(psi, 4))} ({f.PsiBand})" : null), Output.Cell(f.Note));
        }
        return table;
    }

    private static Command DriftCommand()
    {
        var deployment = DeployCommands.DeploymentArgument();
        var version = new Option<int?>("--version") { Description = "Only this version", HelpName = "n" };
        var feature = new Option<string>("--feature") { Description = "Only this feature", HelpName = "name" };
        var from = Arguments.Time("--from", "Windows starting at or after");
        var to = Arguments.Time("--to", "Windows starting before");
        var report = new Option<bool>("--report") { Description = "Merge the windows of the range and compare them with the reference now (needs --version when several served)" };
        var method = new Option<string>("--method") { Description = "With --report: a method for every feature (ks, chisquare, z, wasserstein, jensenshannon, psi)", HelpName = "method" };
        var threshold = new Option<double?>("--threshold") { Description = "With --report: a threshold for every feature", HelpName = "value" };
        var max = Arguments.Max("rows");
        var command = new Command("drift", "A deployment's drift per window and feature, or one report over a range (--report)")
        {
            deployment, version, feature, from, to, report, method, threshold, max,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var id = await DeployCommands.ResolveIdAsync(client, result.GetRequiredValue(deployment), cancellationToken);
            if (result.GetValue(report))
            {
                var drift = await client.GetDriftReportAsync(id, result.GetValue(version), result.GetValue(from), result.GetValue(to), result.GetValue(method), result.GetValue(threshold), cancellationToken);
                output.Write(drift, d =>
                {
                    Output.Line($"{d.Windows} windows ({d.Rows} rows) of {d.Model} version {d.Version} on {d.DeploymentId}: "
                        + (d.Drift.Drifted ? "DRIFTED" : "no dataset drift") + $" ({Share(d.Drift)}).");
                    output.Render(FeatureTable(d.Drift), "No features.");
                });
                return;
            }
            var limit = result.GetValue(max);
            var rows = new List<WindowFeatureDrift>();
            string? token = null;
            do
            {
                var page = await client.GetDriftPageAsync(id, null, result.GetValue(version), result.GetValue(feature), result.GetValue(from), result.GetValue(to),
                    Math.Min(1000, limit - rows.Count), token, cancellationToken);
                rows.AddRange(page.Rows);
                token = page.NextPageToken;
            }
            while (token is not null && rows.Count < limit);
            output.Write(new WindowDriftPage(rows, token), page =>
            {
                var table = Output.Table("window start", "version", "feature", "method", "score", "threshold", "drifted", "psi");
                foreach (var r in page.Rows)
                {
                    table.AddRow(Output.Cell(Output.Time(r.StartsAt)), Output.Cell(Output.Invariant(r.Version)), Output.Cell(r.Feature), Output.Cell(r.Method),
                        Output.Cell(r.Score is { } s ? Output.Invariant(Math.Round(s, 6)) : null), Output.Cell(Output.Invariant(r.Threshold)),
                        Output.Cell(r.Drifted ? "yes" : "no"), Output.Cell(r.Psi is { } psi ? $"{Output.Invariant(Math.Round(psi, 4))} ({r.PsiBand})" : null));
                }
                output.Render(table, $"No drift rows for deployment {id}.");
                if (page.NextPageToken is not null)
                {
                    Output.Note($"More rows than --max {limit}; narrow with --from/--to or raise --max.");
                }
            });
        });
        return command;
    }

    private static Command PerformanceCommand()
    {
        var deployment = DeployCommands.DeploymentArgument();
        var version = new Option<int?>("--version") { Description = "Only this version", HelpName = "n" };
        var metric = new Option<string>("--metric") { Description = "Only this metric (accuracy, precision, recall, f1, roc_auc, log_loss, mae, rmse, r2, or a reported one)", HelpName = "name" };
        var bucket = new Option<string>("--bucket") { Description = "hour, day (default) or range (one figure over --from..--to)", HelpName = "size" };
        var task = new Option<string>("--task") { Description = "classification or regression (inferred from the values when left out)", HelpName = "task" };
        var positive = new Option<string>("--positive-label") { Description = "A binary classifier's positive label (default 1, true, or the larger)", HelpName = "label" };
        var from = Arguments.Time("--from", "Predictions at or after");
        var to = Arguments.Time("--to", "Predictions before");
        var command = new Command("performance", "A deployment's performance figures per version and time bucket")
        {
            deployment, version, metric, bucket, task, positive, from, to,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var id = await DeployCommands.ResolveIdAsync(client, result.GetRequiredValue(deployment), cancellationToken);
            var series = await client.GetPerformanceAsync(id, result.GetValue(version), result.GetValue(metric), result.GetValue(from), result.GetValue(to),
                result.GetValue(bucket), result.GetValue(task), result.GetValue(positive), cancellationToken);
            output.Write(series, s =>
            {
                var table = Output.Table("starts", "ends", "version", "metric", "value", "count", "source");
                foreach (var p in s.Points)
                {
                    table.AddRow(Output.Cell(Output.Time(p.StartsAt)), Output.Cell(Output.Time(p.EndsAt)), Output.Cell(Output.Invariant(p.Version)), Output.Cell(p.Metric),
                        Output.Cell(Output.Invariant(Math.Round(p.Value, 6))), Output.Cell(p.Count is { } c ? Output.Invariant(c) : null), Output.Cell(p.Source));
                }
                output.Render(table, $"No performance figures for deployment {id}: log predictions and ground truth, or report metrics.");
            });
        });
        return command;
    }
}
