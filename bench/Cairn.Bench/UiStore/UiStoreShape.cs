using System.Globalization;
using Cairn.Catalog;

namespace Cairn.Bench.UiStore;

/// <summary>
/// The shape of the web UI's store (issue 15, item 5): models across a tree of namespaces, each with 1 to 5 versions,
/// and experiments whose runs carry params, metrics (a subset with long histories) and tags. Everything is derived
/// from an index by a hash, so every pass over a table (and the URL list) sees the same store without keeping it in memory.
/// </summary>
internal sealed class UiStoreShape
{
    public static readonly string[] Teams = ["team-a", "team-b", "team-c", "team-d", "team-e", "team-f", "team-g", "team-h", "team-i", "team-j"];

    public static readonly (string Domain, string[] Projects, string[] Archetypes, string Framework)[] Domains =
    [
        ("cv", ["detection", "segmentation", "ocr", "faces", "retail-shelf"], ["resnet50", "yolov8", "vit-base", "unet", "efficientnet"], "pytorch"),
        ("nlp", ["search", "chat", "ner", "translation", "moderation"], ["bert-base", "t5-small", "llama-ft", "distilbert", "xlm-r"], "transformers"),
        ("tabular", ["churn", "fraud", "pricing", "credit", "demand"], ["xgboost", "lightgbm", "catboost", "logreg", "random-forest"], "sklearn"),
        ("recsys", ["home-feed", "similar-items", "ads-ranking", "email", "search-rank"], ["two-tower", "dlrm", "als", "wide-deep", "sasrec"], "tensorflow"),
    ];

    public static readonly string[] ParamKeys =
    [
        "learning_rate", "batch_size", "epochs", "optimizer", "dropout", "weight_decay", "max_depth", "n_estimators", "seed", "model_type",
        "hidden_size", "num_layers", "warmup_steps", "momentum", "scheduler", "loss", "augment", "image_size", "tokenizer", "precision",
    ];

    public static readonly string[] MetricKeys = ["accuracy", "loss", "val_loss", "val_accuracy", "f1", "precision", "recall", "auc", "rmse", "mae"];

    /// <summary>Metrics that runs with a history log step by step.</summary>
    public static readonly string[] HistoryKeys = ["loss", "val_loss", "accuracy"];

    public static readonly string[] Optimizers = ["adam", "adamw", "sgd", "rmsprop", "lion"];

    private static readonly string[] Names = ["ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jo", "kai", "lena"];
    private static readonly string[] Surnames = ["ng", "silva", "okafor", "meyer", "rossi"];

    public static readonly string[] Users = [.. Enumerable.Range(0, 60).Select(i => string.Create(CultureInfo.InvariantCulture, $"{Names[i % Names.Length]}.{Surnames[i / Names.Length % Surnames.Length]}"))];
    private static readonly string[] Adjectives = ["amber", "bold", "brisk", "calm", "clever", "crisp", "daring", "eager", "fleet", "gentle", "keen", "lively"];
    private static readonly string[] Nouns = ["badger", "bison", "crane", "dolphin", "falcon", "fox", "gecko", "heron", "ibis", "lynx", "marten", "newt"];

    /// <summary>2025-01-01T00:00:00Z: the store's history runs from here, about two years.</summary>
    public const long Epoch = 1_735_689_600_000;

    private const long Day = 86_400_000;

    public UiStoreShape(int models, int runs, int experiments, int? bigExperiment = null)
    {
        Models = models;
        Runs = runs;
        Experiments = experiments;
        BigExperiment = Math.Min(runs, bigExperiment ?? runs / 10);
        Namespaces = [.. Teams.SelectMany(t => Domains.SelectMany(d => d.Projects.Select(p => $"/{t}/{d.Domain}/{p}")))];
        // Model by model: its versions' first id, and its first audit entry (model.create, then each version.create,
        // then each alias.set), so that every table can be written in its own pass with the same ids and sequence numbers.
        FirstVersionId = new long[models + 1];
        FirstSeq = new long[models + 1];
        FirstVersionId[0] = 1;
        for (var m = 0; m < models; m++)
        {
            FirstVersionId[m + 1] = FirstVersionId[m] + VersionCount(m);
            FirstSeq[m + 1] = FirstSeq[m] + 1 + VersionCount(m) + Aliases(m).Count;
        }
        Versions = FirstVersionId[models] - 1;
        // Each version names a run of its own, spread over the runs.
        RunStride = Math.Max(1, runs / Math.Max(1, Versions));
        if (Versions > runs)
        {
            throw new ArgumentOutOfRangeException(nameof(runs), runs, $"Need at least as many runs as versions ({Versions}).");
        }
    }

    public int Models { get; }

    public int Runs { get; }

    public int Experiments { get; }

    /// <summary>Runs of experiment 1: the first runs, by index.</summary>
    public int BigExperiment { get; }

    public long Versions { get; }

    public long RunStride { get; }

    public IReadOnlyList<string> Namespaces { get; }

    /// <summary>First version id of model m (index m), and one past the last at index Models.</summary>
    public long[] FirstVersionId { get; }

    /// <summary>Audit entries before model m's own, counted from the first seeded entry.</summary>
    public long[] FirstSeq { get; }

    /// <summary>Audit entries the registry part writes: one per model, version and alias.</summary>
    public long RegistryEntries => FirstSeq[Models];

    public static ulong Hash(long a, long b)
    {
        // SplitMix64 of the pair: cheap, and well spread for adjacent indexes.
        var z = (ulong)a * 0x9E3779B97F4A7C15UL + (ulong)b * 0xBF58476D1CE4E5B9UL + 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static int Pick(long a, long b, int n) => (int)(Hash(a, b) % (ulong)n);

    public static double Unit(long a, long b) => (Hash(a, b) >> 11) * (1.0 / (1UL << 53));

    // ---- Models ------------------------------------------------------------------------------------------------

    public string Namespace(int m) => Namespaces[m % Namespaces.Count];

    public (string Team, string Domain, string Project) Parts(int m)
    {
        var parts = Namespace(m).Split('/');
        return (parts[1], parts[2], parts[3]);
    }

    public string ModelName(int m)
    {
        var domain = Domains[DomainIndex(m)];
        return string.Create(CultureInfo.InvariantCulture, $"{domain.Archetypes[Pick(m, 1, domain.Archetypes.Length)]}-{m:D6}");
    }

    public string FullName(int m) => NamespacePath.FullName(Namespace(m), ModelName(m));

    public int DomainIndex(int m) => m % Namespaces.Count / Domains[0].Projects.Length % Domains.Length;

    /// <summary>1 to 5 versions; one model in 500 has 10 (something to compare ten versions of).</summary>
    public static int VersionCount(int m) => Pick(m, 28, 500) == 0 ? 10 : 1 + Pick(m, 2, 5);

    public long ModelCreatedAt(int m) => Epoch + (long)((double)m / Models * 600 * Day) + Pick(m, 3, (int)(Day / 1000)) * 1000L;

    public long VersionCreatedAt(int m, int version) => ModelCreatedAt(m) + ((version - 1) * 9 * Day) + Pick(m, 100 + version, 3_600_000);

    public static string Owner(int m) => Users[Pick(m, 4, Users.Length)];

    /// <summary>The tier tag: gold for a fifth of the models, silver for a third, bronze for the rest.</summary>
    public static string Tier(int m) => Pick(m, 5, 15) switch { < 3 => "gold", < 8 => "silver", _ => "bronze" };

    /// <summary>One model in two hundred carries pii=true: a rare tag to filter on.</summary>
    public static bool Pii(int m) => Pick(m, 6, 200) == 0;

    public IEnumerable<(string Key, string Value)> ModelTags(int m)
    {
        var (team, domain, _) = Parts(m);
        yield return ("team", team);
        yield return ("domain", domain);
        yield return ("tier", Tier(m));
        yield return ("framework", Domains[DomainIndex(m)].Framework);
        if (Pii(m))
        {
            yield return ("pii", "true");
        }
    }

    /// <summary>A version's stage: the newest is in Production for 30% of models, Staging for 20%; the one before it is Archived or in Production.</summary>
    public static string Stage(int m, int version)
    {
        var count = VersionCount(m);
        var roll = Pick(m, 7, 10);
        if (version == count)
        {
            return roll < 3 ? "Production" : roll < 5 ? "Staging" : "None";
        }
        if (version == count - 1)
        {
            return roll < 3 ? "Archived" : roll < 5 ? "Production" : "None";
        }
        return "None";
    }

    /// <summary>champion on the Production version (else the newest), challenger on the newest when that differs.</summary>
    public static IReadOnlyList<(string Alias, int Version)> Aliases(int m)
    {
        var count = VersionCount(m);
        var production = Enumerable.Range(1, count).LastOrDefault(v => Stage(m, v) == "Production");
        var champion = production == 0 ? count : production;
        return champion == count ? [("champion", champion)] : [("champion", champion), ("challenger", count)];
    }

    public long VersionRunIndex(long versionId) => (versionId - 1) * RunStride;

    // ---- Experiments and runs ----------------------------------------------------------------------------------

    /// <summary>Experiment ids are 1..Experiments (0 is MLflow's Default). Experiment 1 holds the first runs (a tenth by default).</summary>
    public long ExperimentOf(long run) => run < BigExperiment ? 1 : 2 + (run % (Experiments - 1));

    public string ExperimentName(long e)
    {
        var m = (int)((e * 7919) % Math.Max(1, Models));
        var (team, domain, project) = Parts(m);
        return string.Create(CultureInfo.InvariantCulture, $"{team}/{domain}/{project}/exp-{e:D4}");
    }

    public static string RunUuid(long run) => string.Create(CultureInfo.InvariantCulture, $"{Hash(run, 11):x16}{Hash(run, 12):x16}");

    public static string RunName(long run) => string.Create(CultureInfo.InvariantCulture,
        $"{Adjectives[Pick(run, 13, Adjectives.Length)]}-{Nouns[Pick(run, 14, Nouns.Length)]}-{Pick(run, 15, 1000)}");

    public long RunStart(long run) => Epoch + (long)((double)run / Runs * 660 * Day) + Pick(run, 16, 60_000);

    public static long RunDuration(long run) => 60_000 + Pick(run, 17, 4 * 3_600_000);

    public static string RunStatus(long run) => Pick(run, 18, 100) switch { < 90 => "FINISHED", < 95 => "FAILED", < 98 => "KILLED", _ => "RUNNING" };

    public static int ParamCount(long run) => 5 + Pick(run, 19, 16);

    public static int MetricCount(long run) => 5 + Pick(run, 20, 6);

    /// <summary>One run in a hundred logs its loss, val_loss and accuracy step by step (50 to 100 steps).</summary>
    public static int HistorySteps(long run) => Pick(run, 21, 100) == 0 ? 50 + Pick(run, 22, 51) : 0;

    public static string ParamValue(long run, int k) => ParamKeys[k] switch
    {
        "learning_rate" => ((double)new[] { 1e-4, 3e-4, 1e-3, 3e-3, 1e-2 }[Pick(run, 30, 5)]).ToString("R", CultureInfo.InvariantCulture),
        "batch_size" => new[] { "16", "32", "64", "128", "256" }[Pick(run, 31, 5)],
        "epochs" => (5 + Pick(run, 32, 46)).ToString(CultureInfo.InvariantCulture),
        "optimizer" => Optimizers[Pick(run, 33, Optimizers.Length)],
        "dropout" => (Pick(run, 34, 6) / 10.0).ToString("0.0", CultureInfo.InvariantCulture),
        "seed" => Pick(run, 35, 100_000).ToString(CultureInfo.InvariantCulture),
        "model_type" => new[] { "baseline", "large", "small", "distilled" }[Pick(run, 36, 4)],
        "augment" => Pick(run, 37, 2) == 0 ? "true" : "false",
        _ => string.Create(CultureInfo.InvariantCulture, $"{ParamKeys[k]}-{Pick(run, 40 + k, 12)}"),
    };

    /// <summary>A metric's final value: accuracies in [0.5, 1), losses and errors in (0, 2).</summary>
    public static double MetricValue(long run, int k)
    {
        var u = Unit(run, 60 + k);
        return MetricKeys[k] is "loss" or "val_loss" or "rmse" or "mae" ? Math.Round(0.02 + (2 * u * u), 6) : Math.Round(0.5 + (0.4999 * Math.Sqrt(u)), 6);
    }

    public static IEnumerable<(string Key, string Value)> RunTags(long run, string user)
    {
        yield return ("mlflow.runName", RunName(run));
        yield return ("mlflow.user", user);
        yield return ("mlflow.source.type", Pick(run, 23, 4) == 0 ? "JOB" : "LOCAL");
        yield return ("mlflow.source.name", Pick(run, 24, 3) switch { 0 => "train.py", 1 => "notebooks/explore.ipynb", _ => "pipelines/train_pipeline.py" });
        if (Pick(run, 25, 5) == 0)
        {
            yield return ("candidate", "true");
        }
    }
}
