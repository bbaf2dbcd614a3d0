using System.CommandLine;
using System.Globalization;
using Cairn.Lineage.OpenLineage;

namespace Cairn.Bench;

/// <summary>Command line of the load generator: <c>dotnet run -c Release --project bench/Cairn.Bench -- --help</c>.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var workload = new Option<string[]>("--workload", "-w")
        {
            Description = $"Workloads to run, space- or comma-separated: {string.Join(", ", BenchSettings.KnownWorkloads)}, or all (all but the lineage ones).",
            DefaultValueFactory = _ => ["all"],
            AllowMultipleArgumentsPerToken = true,
        };
        workload.Validators.Add(result =>
        {
            foreach (var name in BenchSettings.SplitWorkloads(result.GetValueOrDefault<string[]>() ?? []))
            {
                if (name != "all" && !BenchSettings.KnownWorkloads.Contains(name))
                {
                    result.AddError($"Unknown workload '{name}'; choose from {string.Join(", ", BenchSettings.KnownWorkloads)}, all.");
                }
            }
        });
        var concurrency = Positive(new Option<int>("--concurrency", "-c") { Description = "Concurrent workers (requests in flight).", DefaultValueFactory = _ => 8 });
        var duration = Positive(new Option<double>("--duration", "-d") { Description = "Seconds each measured run lasts; with --requests and no --duration, runs last until the count is reached.", DefaultValueFactory = _ => 10 });
        var requests = new Option<long?>("--requests", "-n") { Description = "Operations per measured run; the run ends at this count or at --duration, whichever comes first." };
        requests.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long?>() is <= 0)
            {
                result.AddError("--requests must be positive.");
            }
        });
        var warmup = new Option<double>("--warmup") { Description = "Seconds of unmeasured load before each workload's runs.", DefaultValueFactory = _ => 2 };
        var server = new Option<string?>("--server") { Description = "URL of a running Cairn server (auth off). Without it, one is started in this process with a temporary data directory." };
        server.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } url && ServerUri(url) is null)
            {
                result.AddError($"--server must be an absolute http:// or https:// URL; got '{url}'.");
            }
        });
        var replica = new Option<string[]>("--replica")
        {
            Description = "Another replica of --server (same database): read workloads spread their workers over --server and every --replica.",
            AllowMultipleArgumentsPerToken = false,
        };
        replica.Validators.Add(result =>
        {
            foreach (var url in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (ServerUri(url) is null)
                {
                    result.AddError($"--replica must be an absolute http:// or https:// URL; got '{url}'.");
                }
            }
        });
        var repeat = Positive(new Option<int>("--repeat", "-r") { Description = "Measured runs of each workload, one after another; each figure reported is the median over them.", DefaultValueFactory = _ => 1 });
        var json = new Option<bool>("--json") { Description = "Write the results as JSON on stdout (progress goes to stderr)." };
        var seedModels = new Option<int>("--seed-models") { Description = "Models seeded for get-model and search (every fourth has tag team=risk).", DefaultValueFactory = _ => 1000 };
        seedModels.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 8)
            {
                result.AddError("--seed-models must be at least 8.");
            }
        });
        var dataId = new Option<string?>("--data-id")
        {
            Description = "Seed under /bench/r<id> once and reuse it: a run that finds the data of an earlier run with the same id and "
                + "--seed-models reads it without seeding (for the read workloads; model-create would repeat its names). "
                + "Default: a namespace of this run's own, seeded by it.",
        };
        dataId.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } id && (id.Length is 0 or > 32 || !id.All(char.IsAsciiLetterOrDigit)))
            {
                result.AddError($"--data-id must be 1 to 32 letters and digits; got '{id}'.");
            }
        });
        var busyTimeout = new Option<int>("--baseline-busy-timeout")
        {
            Description = "PRAGMA busy_timeout (ms) of the sqlite-baseline connections; 0 leaves lock waits to Microsoft.Data.Sqlite's retry, as the server's connections do.",
            DefaultValueFactory = _ => 30_000,
        };
        var baselineGroup = Positive(new Option<int>("--baseline-group")
        {
            Description = $"Events per transaction of {BenchSettings.SqliteOpenLineage}: by default {OpenLineageIngest.MaxBatch}, the most the server commits at once "
                + "(its group when batches queue); about 8 is its group of single events with 16 in flight.",
            DefaultValueFactory = _ => OpenLineageIngest.MaxBatch,
        });
        var dataDir = new Option<string?>("--data-dir")
        {
            Description = "Data directory of the in-process server, kept after the run (default: a temporary one, deleted; "
                + "the lineage workloads default to <temp>/cairn-bench-lineage so that their generated graph is reused).",
        };
        var database = new Option<string?>("--database")
        {
            Description = "Database of the in-process server: a SQLite file or a PostgreSQL connection string (Host=…;Port=…;Username=…;Database=…). "
                + "With --server, the lineage workloads write their graph into this database, which must be the server's.",
        };
        var lineageNodes = new Option<int>("--lineage-nodes")
        {
            Description = "Nodes of the lineage workloads' generated graph (three edges per node); a stored graph of this size is reused.",
            DefaultValueFactory = _ => 1_000_000,
        };
        lineageNodes.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 10_000)
            {
                result.AddError("--lineage-nodes must be at least 10000.");
            }
        });
        var lineageDepth = new Option<int>("--lineage-depth") { Description = "depth= of the lineage traversals.", DefaultValueFactory = _ => 10 };

        var root = new RootCommand("Cairn load generator: throughput and latency of the v1 API, and of bare SQLite doing a version create's and OpenLineage events' writes.")
        {
            workload, concurrency, duration, requests, warmup, server, replica, repeat, json, seedModels, busyTimeout, baselineGroup,
            dataDir, database, lineageNodes, lineageDepth, dataId,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new BenchSettings(
                BenchSettings.Resolve(parse.GetValue(workload) ?? ["all"]),
                parse.GetValue(concurrency),
                // --requests alone runs until that count; --duration, given or not, otherwise bounds the run.
                parse.GetValue(requests) is not null && parse.GetResult(duration) is null or { Implicit: true }
                    ? Timeout.InfiniteTimeSpan
                    : TimeSpan.FromSeconds(parse.GetValue(duration)),
                parse.GetValue(requests),
                TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(warmup))),
                parse.GetValue(server) is { } url ? ServerUri(url) : null,
                (parse.GetValue(replica) ?? []).Select(r => ServerUri(r)!).ToList(),
                parse.GetValue(repeat),
                parse.GetValue(json),
                parse.GetValue(seedModels),
                parse.GetValue(busyTimeout),
                parse.GetValue(dataDir),
                parse.GetValue(database),
                parse.GetValue(lineageNodes),
                parse.GetValue(lineageDepth),
                parse.GetValue(dataId),
                parse.GetValue(baselineGroup));
            return await Bench.RunAsync(settings, Console.Out, Console.Error, cancellationToken);
        });
        root.Subcommands.Add(SeedUiCommand());
        root.Subcommands.Add(PagesCommand());
        root.Subcommands.Add(UiGraphCommand());
        root.Subcommands.Add(WebhooksCommand());
        root.Subcommands.Add(ProfileCommand());
        root.Subcommands.Add(DriftSectionsCommand());
        return await root.Parse(args).InvokeAsync();
    }

    private static Option<string> DirOption() => new("--dir") { Description = "Data directory of the store (kept; delete it when done).", Required = true };

    private static Option<string?> PostgresOption() => new("--postgres")
    {
        Description = "The store's database on PostgreSQL, as an Npgsql connection string (an empty database of its own); default: SQLite in --dir.",
    };

    /// <summary><c>seed-ui</c>: the web UI's store at the issue's scale (issue 15, item 5).</summary>
    private static Command SeedUiCommand()
    {
        var dir = DirOption();
        var postgres = PostgresOption();
        var models = Positive(new Option<int>("--models") { Description = "Models (1 to 5 versions each, one in 500 with 10).", DefaultValueFactory = _ => 100_000 });
        var runs = Positive(new Option<int>("--runs") { Description = "Runs, over the experiments; the first experiment holds a tenth.", DefaultValueFactory = _ => 1_000_000 });
        var experiments = new Option<int>("--experiments") { Description = "Experiments.", DefaultValueFactory = _ => 1_000 };
        var big = new Option<int?>("--big-experiment") { Description = "Runs of the first experiment (default a tenth of --runs): its 100,000 runs are what a runs table at scale reads, without seeding a million." };
        experiments.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 2)
            {
                result.AddError("--experiments must be at least 2.");
            }
        });
        var command = new Command("seed-ui", "Build the web UI's store at scale (default 100,000 models and 1,000,000 runs) in --dir, then verify it through the API; writes the default URL lists of `pages` there.")
        {
            dir, postgres, models, runs, experiments, big,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var shape = new UiStore.UiStoreShape(parse.GetValue(models), parse.GetValue(runs), parse.GetValue(experiments), parse.GetValue(big));
            var directory = parse.GetValue(dir)!;
            var code = await UiStore.UiStoreSeed.RunAsync(directory, parse.GetValue(postgres), shape, Console.Error, cancellationToken);
            UiStore.PageUrls.Write(shape, directory);
            Console.Error.WriteLine($"seed-ui: URL lists written: {Path.Combine(directory, UiStore.PageUrls.UiFile)}, {Path.Combine(directory, UiStore.PageUrls.ApiFile)}");
            return code;
        });
        return command;
    }

    /// <summary><c>pages</c>: server time per page on a seeded store (issue 15, item 5).</summary>
    private static Command PagesCommand()
    {
        var dir = DirOption();
        var postgres = PostgresOption();
        var urls = new Option<string?>("--urls") { Description = $"The requests to time, one a line: name GET|POST /path [json body]. Default: <dir>/{UiStore.PageUrls.ApiFile} (the UI's pages: <dir>/{UiStore.PageUrls.UiFile})." };
        var count = Positive(new Option<int>("--count", "-n") { Description = "Requests per URL, sequentially and again at --concurrency.", DefaultValueFactory = _ => 100 });
        var rounds = Positive(new Option<int>("--repeat", "-r") { Description = "Rounds over the list; each figure is the median over them.", DefaultValueFactory = _ => 3 });
        var concurrency = Positive(new Option<int>("--concurrency", "-c") { Description = "Workers of the concurrent pass.", DefaultValueFactory = _ => 4 });
        var command = new Command("pages", "Time each URL of a list on a seeded store: p50/p95/p99 of the server's time (Server-Timing app;dur, else client latency on loopback).")
        {
            dir, postgres, urls, count, rounds, concurrency,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var directory = parse.GetValue(dir)!;
            return await UiStore.PageTimings.RunAsync(directory, parse.GetValue(postgres), parse.GetValue(urls) ?? Path.Combine(directory, UiStore.PageUrls.ApiFile),
                parse.GetValue(count), parse.GetValue(rounds), parse.GetValue(concurrency), Console.Out, Console.Error, cancellationToken);
        });
        return command;
    }

    /// <summary><c>ui-graph</c>: a 300-node lineage graph in the explorer, timed in Chromium (issue 15, item 5).</summary>
    private static Command UiGraphCommand()
    {
        var dir = new Option<string?>("--dir") { Description = "Data directory of the store (kept). Default: a temporary one, seeded and deleted." };
        var postgres = PostgresOption();
        var node = new Option<string?>("--node") { Description = "Time the explorer around this node of the store in --dir instead of seeding a neighbourhood." };
        var nodes = Positive(new Option<int>("--nodes") { Description = "Size of the seeded neighbourhood (nodes within depth 2 of its centre).", DefaultValueFactory = _ => 300 });
        var depth = Positive(new Option<int>("--depth") { Description = "The explorer's depth.", DefaultValueFactory = _ => 2 });
        var loads = Positive(new Option<int>("--loads", "-n") { Description = "Measured page loads, after 3 unmeasured ones; figures are medians.", DefaultValueFactory = _ => 15 });
        var chromium = new Option<string>("--chromium") { Description = "The browser Playwright drives (never downloaded).", DefaultValueFactory = _ => "/usr/bin/chromium" };
        var trace = new Option<string?>("--trace") { Description = "Also trace one more load with Chromium's DevTools timeline and write it to this file (open it in chrome://tracing or Perfetto)." };
        var command = new Command("ui-graph", "Seed a lineage neighbourhood of about 300 nodes through OpenLineage events, load the explorer around its centre in Chromium, "
            + "and report the server's time, the browser's time to a drawn and usable graph, and where each goes.")
        {
            dir, postgres, node, nodes, depth, loads, chromium, trace,
        };
        command.SetAction(async (parse, cancellationToken) => await UiStore.GraphPageTimings.RunAsync(
            parse.GetValue(dir), parse.GetValue(postgres), parse.GetValue(node), parse.GetValue(nodes), parse.GetValue(depth), parse.GetValue(loads),
            parse.GetValue(chromium)!, parse.GetValue(trace), Console.Out, Console.Error, cancellationToken));
        return command;
    }

    /// <summary><c>webhooks</c>: commit-to-delivery latency and delivery throughput to a local receiver (issue 16, item 9).</summary>
    private static Command WebhooksCommand()
    {
        var postgres = PostgresOption();
        var events = Positive(new Option<int>("--events", "-n") { Description = "Events in the throughput backlog.", DefaultValueFactory = _ => 10_000 });
        var hooks = Positive(new Option<int>("--webhooks", "-w") { Description = "Webhooks the backlog goes to, each receiving every event.", DefaultValueFactory = _ => 1 });
        var samples = Positive(new Option<int>("--samples", "-s") { Description = "Sequential changes timed for commit-to-delivery latency.", DefaultValueFactory = _ => 200 });
        var command = new Command("webhooks", "Time webhook deliveries from a server in this process to a receiver in this process: latency on an idle server, then the rate a backlog drains at.")
        {
            postgres, events, hooks, samples,
        };
        command.SetAction(async (parse, cancellationToken) => await Webhooks.WebhookBench.RunAsync(
            parse.GetValue(postgres), parse.GetValue(events), parse.GetValue(hooks), parse.GetValue(samples), Console.Out, Console.Error, cancellationToken));
        return command;
    }

    /// <summary><c>profile</c>: profiling a Parquet file against reading it alone (issue 18, item 7).</summary>
    private static Command ProfileCommand()
    {
        var rows = Positive(new Option<int>("--rows") { Description = "Rows of the generated file.", DefaultValueFactory = _ => 1_000_000 });
        var columns = Positive(new Option<int>("--columns") { Description = "Numerical columns (20 kinds of distribution, repeated).", DefaultValueFactory = _ => 20 });
        var rowGroup = Positive(new Option<int>("--row-group") { Description = "Rows per row group.", DefaultValueFactory = _ => 100_000 });
        var repeat = Positive(new Option<int>("--repeat", "-r") { Description = "Measured runs of each, alternating; figures are medians.", DefaultValueFactory = _ => 7 });
        var file = new Option<string?>("--file") { Description = "Write the Parquet file here and keep it (default: a temporary file, deleted)." };
        var command = new Command("profile", "Write a seeded Parquet file, then time reading it with Parquet.Net alone against profiling it with FeatureProfiler (target: profiling ≤ 2× reading).")
        {
            rows, columns, rowGroup, repeat, file,
        };
        command.SetAction(async (parse, cancellationToken) => await ProfileBench.RunAsync(
            parse.GetValue(rows), parse.GetValue(columns), parse.GetValue(rowGroup), parse.GetValue(repeat), parse.GetValue(file),
            Console.Out, Console.Error, cancellationToken));
        return command;
    }

    /// <summary><c>drift-sections</c>: the drift report's parse, merge and comparison timed apart (issue 18, item 7).</summary>
    private static Command DriftSectionsCommand()
    {
        var repeat = Positive(new Option<int>("--repeat", "-r") { Description = "Measured runs; figures are medians.", DefaultValueFactory = _ => 15 });
        var command = new Command("drift-sections", "Time the drift report's sections in this process: parsing stored profiles, merging 24 windows pairwise and in one pass, comparing 100 features.")
        {
            repeat,
        };
        command.SetAction(parse => DriftReportBench.Run(parse.GetValue(repeat), Console.Out, Console.Error));
        return command;
    }

    private static Uri? ServerUri(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri : null;

    private static Option<T> Positive<T>(Option<T> option) where T : struct, IComparable<T>
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T>().CompareTo(default) <= 0)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be positive."));
            }
        });
        return option;
    }
}
