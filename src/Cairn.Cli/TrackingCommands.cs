using System.CommandLine;
using System.Globalization;
using Cairn.Client;
using Spectre.Console;

namespace Cairn.Cli;

/// <summary>
/// <c>cairn experiments list | show | create</c> and <c>cairn runs list | show | compare</c>: MLflow's tracking records,
/// as the <c>mlflow experiments</c> and <c>mlflow runs</c> commands show them, with MLflow's filter and order_by.
/// </summary>
internal static class TrackingCommands
{
    public static Command Experiments()
    {
        var command = new Command("experiments", "List, show and create MLflow experiments")
        {
            ListExperimentsCommand(),
            ShowExperimentCommand(),
            CreateExperimentCommand(),
        };
        command.Aliases.Add("experiment");
        return command;
    }

    public static Command Runs()
    {
        var command = new Command("runs", "List, show and compare MLflow runs")
        {
            ListRunsCommand(),
            ShowRunCommand(),
            CompareRunsCommand(),
        };
        command.Aliases.Add("run");
        return command;
    }

    private static Option<string[]> OrderBy(string example) => new("--order-by")
    {
        Description = $"MLflow's order_by, such as \"{example}\"; repeatable, the first one ordering first",
        HelpName = "order",
    };

    private static Option<ViewType> View() => new("--view")
    {
        Description = "Which to show by lifecycle: active_only (the default), deleted_only or all",
        HelpName = "view",
        DefaultValueFactory = _ => ViewType.ActiveOnly,
        // MLflow's spelling (active_only, ACTIVE_ONLY) as well as the enum's.
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value.Replace("_", "", StringComparison.Ordinal);
            if (Enum.GetNames<ViewType>().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } name)
            {
                return Enum.Parse<ViewType>(name);
            }
            result.AddError($"--view must be active_only, deleted_only or all; got '{result.Tokens[0].Value}'.");
            return default;
        },
    };

    private static Command ListExperimentsCommand()
    {
        var filter = new Option<string>("--filter")
        {
            Description = "MLflow's experiment filter, such as \"name LIKE 'fraud%' and tags.team = 'risk'\"",
            HelpName = "expression",
        };
        var orderBy = OrderBy("last_update_time DESC");
        var view = View();
        var max = Arguments.Max("experiments");
        var command = new Command("list", "List experiments, optionally filtered and ordered") { filter, orderBy, view, max };
        command.Aliases.Add("search");
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var limit = result.GetValue(max);
            var experiments = await Output.CollectAsync(client.SearchExperimentsAsync(
                result.GetValue(filter), OrderList(result.GetValue(orderBy)), Math.Min(limit + 1, 1000), result.GetValue(view), cancellationToken),
                limit, "experiments", cancellationToken);
            output.Write(new { experiments }, _ =>
            {
                var table = Output.Table("ID", "NAME", "LIFECYCLE", "ARTIFACT LOCATION", "CREATED", "TAGS");
                foreach (var e in experiments)
                {
                    table.AddRow(Output.Cell(e.ExperimentId), Output.Cell(e.Name), Output.Cell(e.LifecycleStage), Output.Cell(e.ArtifactLocation),
                        Output.Cell(Millis(e.CreationTime)), Output.Cell(Tags(e.Tags)));
                }
                output.Render(table, "No experiments match.");
            });
        });
        return command;
    }

    private static Command ShowExperimentCommand()
    {
        var experiment = new Argument<string>("experiment") { Description = "The experiment's id or name" };
        var command = new Command("show", "Show one experiment") { experiment };
        command.Aliases.Add("get");
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var found = await FindExperimentAsync(client, result.GetRequiredValue(experiment), cancellationToken);
            output.Write(found, e =>
            {
                Output.Details(
                    ("Experiment", e.Name),
                    ("Id", e.ExperimentId),
                    ("Lifecycle", e.LifecycleStage),
                    ("Artifact location", e.ArtifactLocation),
                    ("Created", Millis(e.CreationTime)),
                    ("Updated", Millis(e.LastUpdateTime)));
                output.Section("Tags", Pairs(e.Tags), value => value);
            });
        });
        return command;
    }

    private static Command CreateExperimentCommand()
    {
        var name = new Argument<string>("name") { Description = "The new experiment's unique name" };
        var artifactLocation = new Option<string>("--artifact-location")
        {
            Description = "Where its runs' artifacts go (default: the server's artifact root)",
            HelpName = "uri",
        };
        var command = new Command("create", "Create an experiment and print its id") { name, artifactLocation };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var id = await client.CreateExperimentAsync(result.GetRequiredValue(name), result.GetValue(artifactLocation), cancellationToken);
            output.Write(new { experiment_id = id }, _ => Output.Line($"Created experiment '{result.GetRequiredValue(name)}' with id {id}"));
        });
        return command;
    }

    private static Command ListRunsCommand()
    {
        var experiments = new Option<string[]>("--experiment", "--experiment-id")
        {
            Description = "An experiment (id or name) whose runs to list; repeatable (default: every active experiment)",
            HelpName = "experiment",
        };
        var filter = new Option<string>("--filter")
        {
            Description = "MLflow's run filter, such as \"metrics.rmse < 1 and params.alpha = '0.5'\"",
            HelpName = "expression",
        };
        var orderBy = OrderBy("metrics.rmse ASC");
        var view = View();
        var max = Arguments.Max("runs");
        var command = new Command("list", "List runs, optionally filtered and ordered (newest first by default)") { experiments, filter, orderBy, view, max };
        command.Aliases.Add("search");
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var ids = await ExperimentIdsAsync(client, result.GetValue(experiments), cancellationToken);
            var limit = result.GetValue(max);
            var runs = ids.Count == 0 ? [] : await Output.CollectAsync(client.SearchRunsAsync(
                ids, result.GetValue(filter), OrderList(result.GetValue(orderBy)), Math.Min(limit + 1, 1000), result.GetValue(view), cancellationToken),
                limit, "runs", cancellationToken);
            output.Write(new { runs }, _ =>
            {
                var table = Output.Table("RUN ID", "NAME", "EXPERIMENT", "STATUS", "STARTED", "METRICS", "PARAMS");
                foreach (var r in runs)
                {
                    table.AddRow(Output.Cell(r.Info.RunId), Output.Cell(r.Info.RunName), Output.Cell(r.Info.ExperimentId), Output.Cell(r.Info.Status),
                        Output.Cell(Millis(r.Info.StartTime)), Output.Cell(Output.Pairs(Metrics(r))), Output.Cell(Output.Pairs(Pairs(r.Data?.Params))));
                }
                output.Render(table, "No runs match.");
            });
        });
        return command;
    }

    private static Command ShowRunCommand()
    {
        var run = new Argument<string>("run-id") { Description = "The run's id" };
        var command = new Command("show", "Show one run: its state, latest metrics, params and tags") { run };
        command.Aliases.Add("get");
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            output.Write(await client.GetRunAsync(result.GetRequiredValue(run), cancellationToken), r =>
            {
                Output.Details(
                    ("Run", r.Info.RunId),
                    ("Name", r.Info.RunName),
                    ("Experiment", r.Info.ExperimentId),
                    ("Status", r.Info.Status),
                    ("Lifecycle", r.Info.LifecycleStage),
                    ("User", r.Info.UserId),
                    ("Started", Millis(r.Info.StartTime)),
                    ("Ended", Millis(r.Info.EndTime)),
                    ("Artifacts", r.Info.ArtifactUri));
                output.Section("Metrics", Metrics(r), value => Output.Invariant(value));
                output.Section("Params", Pairs(r.Data?.Params), value => value);
                output.Section("Tags", Pairs(r.Data?.Tags), value => value);
            });
        });
        return command;
    }

    private static Command CompareRunsCommand()
    {
        var runIds = new Argument<string[]>("run-ids") { Description = "Two or more run ids", Arity = new ArgumentArity(2, 100) };
        var differing = new Option<bool>("--diff-only") { Description = "Show only the params and metrics whose values differ" };
        var command = new Command("compare", "Compare runs side by side: one row per param and metric, one column per run; '*' marks rows that differ")
        {
            runIds, differing,
        };
        command.SetCairnAction(async (result, output, cancellationToken) =>
        {
            using var client = ClientFactory.Create(result);
            var runs = new List<Run>();
            foreach (var id in result.GetRequiredValue(runIds))
            {
                runs.Add(await client.GetRunAsync(id, cancellationToken));
            }
            var rows = new List<(string Key, string?[] Values)>();
            Collect("params", [.. runs.Select(r => Pairs(r.Data?.Params))]);
            Collect("metrics", [.. runs.Select(r => Metrics(r).ToDictionary(p => p.Key, p => Output.Invariant(p.Value), StringComparer.Ordinal))]);
            if (result.GetValue(differing))
            {
                rows.RemoveAll(row => !Differs(row.Values));
            }
            var document = new
            {
                runs = runs.Select(r => r.Info.RunId).ToList(),
                rows = rows.Select(row => new { key = row.Key, values = row.Values, differs = Differs(row.Values) }).ToList(),
            };
            output.Write(document, _ =>
            {
                var table = Output.Table(["", "KEY", .. runs.Select(r => string.IsNullOrEmpty(r.Info.RunName) ? r.Info.RunId : $"{r.Info.RunName} ({r.Info.RunId})")]);
                foreach (var (key, values) in rows)
                {
                    table.AddRow([Output.Cell(Differs(values) ? "*" : " "), Output.Cell(key), .. values.Select(Output.Cell)]);
                }
                output.Render(table, "The runs have no params or metrics to compare.");
            });

            void Collect(string kind, List<Dictionary<string, string>> perRun)
            {
                foreach (var key in perRun.SelectMany(p => p.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                {
                    rows.Add(($"{kind}.{key}", perRun.Select(p => p.TryGetValue(key, out var value) ? value : null).ToArray()));
                }
            }
        });
        return command;
    }

    private static bool Differs(string?[] values) => values.Distinct(StringComparer.Ordinal).Skip(1).Any();

    /// <summary>An id if the text is one (MLflow's ids are numbers) and it exists, else a name.</summary>
    private static async Task<Experiment> FindExperimentAsync(CairnClient client, string idOrName, CancellationToken cancellationToken)
    {
        if (long.TryParse(idOrName, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            try
            {
                return await client.GetExperimentAsync(idOrName, cancellationToken);
            }
            catch (CairnApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // A name made of digits.
            }
        }
        return await client.GetExperimentByNameAsync(idOrName, cancellationToken);
    }

    private static async Task<List<string>> ExperimentIdsAsync(CairnClient client, string[]? given, CancellationToken cancellationToken)
    {
        if (given is not { Length: > 0 })
        {
            return await client.SearchExperimentsAsync(pageSize: 1000, cancellationToken: cancellationToken).Select(e => e.ExperimentId).ToListAsync(cancellationToken);
        }
        var ids = new List<string>();
        foreach (var experiment in given)
        {
            ids.Add((await FindExperimentAsync(client, experiment, cancellationToken)).ExperimentId);
        }
        return ids;
    }

    private static List<string>? OrderList(string[]? orderBy) => orderBy is { Length: > 0 } ? [.. orderBy] : null;

    private static Dictionary<string, string> Pairs(IReadOnlyList<TrackingTag>? pairs) =>
        (pairs ?? []).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    private static Dictionary<string, double> Metrics(Run run) =>
        (run.Data?.Metrics ?? []).GroupBy(m => m.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    private static string Tags(IReadOnlyList<TrackingTag>? tags) => Output.Pairs(Pairs(tags));

    private static string Millis(long? millis) => millis is { } value ? Output.Time(DateTimeOffset.FromUnixTimeMilliseconds(value)) : "";
}
