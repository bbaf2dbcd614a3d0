namespace Cairn.Bench;

/// <summary>What to run and how hard, from the command line.</summary>
internal sealed record BenchSettings(
    IReadOnlyList<string> Workloads,
    int Concurrency,
    TimeSpan Duration,
    long? Requests,
    TimeSpan Warmup,
    Uri? Server,
    IReadOnlyList<Uri> Replicas,
    int Repeat,
    bool Json,
    int SeedModels,
    int BaselineBusyTimeoutMs,
    string? DataDir = null,
    string? Database = null,
    int LineageNodes = 1_000_000,
    int LineageDepth = 10,
    string? DataId = null,
    int BaselineGroup = Cairn.Lineage.OpenLineage.OpenLineageIngest.MaxBatch)
{
    public const string ModelCreate = "model-create";
    public const string VersionCreate = "version-create";
    public const string GetVersion = "get-version";
    public const string GetModel = "get-model";
    public const string AliasResolve = "alias-resolve";
    public const string Search = "search";
    public const string Health = "health";
    public const string SqliteBaseline = "sqlite-baseline";
    public const string MlflowLogBatch = "mlflow-log-batch";
    public const string MlflowSearchRuns = "mlflow-search-runs";
    public const string MlflowSearchRunsRare = "mlflow-search-runs-rare";
    public const string MlflowSearchModels10 = "mlflow-search-models-10";
    public const string MlflowSearchModels100 = "mlflow-search-models-100";
    public const string OpenLineageEvent = "openlineage-event";
    public const string OpenLineageBatch = "openlineage-batch";

    /// <summary>What openlineage-batch's rows cost SQLite alone (<see cref="Workloads.SqliteOpenLineageBaselineWorkload"/>).</summary>
    public const string SqliteOpenLineage = "sqlite-openlineage";
    public const string LineageDownstream = "lineage-downstream";
    public const string LineageUpstream = "lineage-upstream";

    /// <summary>The drift report over one stored window of 100 features (issue 18, item 7).</summary>
    public const string DriftReport = "monitoring-drift-report";

    /// <summary>The drift report over a day of stored hourly windows of 100 features, merged.</summary>
    public const string DriftReportDay = "monitoring-drift-report-day";

    /// <summary>Both lineage directions, one after the other.</summary>
    public const string LineageTraversal = "lineage-traversal";

    /// <summary>Every workload, in the order <c>all</c> runs them: reads and their baseline, then writes and theirs.</summary>
    public static IReadOnlyList<string> AllWorkloads { get; } =
        [Health, GetModel, GetVersion, AliasResolve, Search, ModelCreate, VersionCreate, SqliteBaseline, MlflowSearchRuns, MlflowSearchRunsRare, MlflowSearchModels10, MlflowSearchModels100, MlflowLogBatch, OpenLineageEvent, OpenLineageBatch, SqliteOpenLineage];

    /// <summary>
    /// Workloads that <c>all</c> leaves out, run only when named: the lineage ones generate a graph of a million nodes
    /// (minutes, once per store) before measuring.
    /// </summary>
    public static IReadOnlyList<string> OptInWorkloads { get; } = [LineageDownstream, LineageUpstream];

    /// <summary>Monitoring workloads, run only when named: each seeds its own model, deployment and profiles first.</summary>
    public static IReadOnlyList<string> MonitoringWorkloads { get; } = [DriftReport, DriftReportDay];

    /// <summary>Every name <c>--workload</c> takes, besides <c>all</c>.</summary>
    public static IReadOnlyList<string> KnownWorkloads { get; } = [.. AllWorkloads, .. OptInWorkloads, LineageTraversal, .. MonitoringWorkloads];

    /// <summary>Workloads that need seeded data on the server.</summary>
    public static IReadOnlySet<string> NeedSeed { get; } = new HashSet<string> { GetModel, GetVersion, AliasResolve, Search, VersionCreate };

    public static IEnumerable<string> SplitWorkloads(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => v.ToLowerInvariant());

    /// <summary>The named workloads (or all), each once, in the canonical order.</summary>
    public static IReadOnlyList<string> Resolve(IEnumerable<string> values)
    {
        var names = SplitWorkloads(values).ToHashSet();
        if (names.Remove(LineageTraversal))
        {
            names.UnionWith(OptInWorkloads);
        }
        return [.. (names.Contains("all") ? AllWorkloads : AllWorkloads.Where(names.Contains)), .. OptInWorkloads.Where(names.Contains), .. MonitoringWorkloads.Where(names.Contains)];
    }
}
