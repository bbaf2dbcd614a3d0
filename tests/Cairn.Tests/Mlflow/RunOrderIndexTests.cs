using Cairn.Governance;
using Cairn.Tests.Api;
using Cairn.Tracking;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Mlflow;

/// <summary>
/// Runs of one experiment ordered by one metric or param are read by walking migration 0025's order indexes; the
/// order must be MLflow's (sqlalchemy_store._get_orderby_clauses): by value, a NaN latest metric after every number,
/// runs without the key last, ties by newest start time then run id. The same search over two experiments (one of them
/// empty) takes the sorting path, which serves as the oracle.
/// </summary>
public sealed class RunOrderIndexTests(CairnApp app) : IClassFixture<CairnApp>
{
    private static readonly Caller Admin = Caller.Admin("order-tests");

    private TrackingStore Tracking => app.Services.GetRequiredService<TrackingStore>();

    /// <summary>Nine runs: start times 1..9 (two share one), accuracy with a tie, a NaN and two runs without it, and an lr param with ties.</summary>
    private async Task<(string Experiment, string Empty, Dictionary<string, (long Start, double? Acc, string? Lr, string Model)> Runs)> SeedAsync()
    {
        var experiment = await Tracking.CreateExperimentAsync(Admin, $"order-{Guid.NewGuid():N}", null, null, default);
        var empty = await Tracking.CreateExperimentAsync(Admin, $"order-empty-{Guid.NewGuid():N}", null, null, default);
        (long Start, double? Acc, string? Lr, string Model)[] specs =
        [
            (1, 0.5, "0.1", "tree"),
            (2, 0.9, "0.01", "tree"),
            (3, double.NaN, "0.1", "mlp"),
            (4, 0.7, null, "tree"),
            (5, 0.9, "0.01", "mlp"),
            (6, null, "0.1", "tree"),
            (7, 0.2, "0.001", "tree"),
            (7, null, "0.001", "mlp"),
            (9, double.NaN, "0.01", "tree"),
        ];
        var runs = new Dictionary<string, (long, double?, string?, string)>();
        foreach (var spec in specs)
        {
            var run = await Tracking.CreateRunAsync(Admin, new CreateRunRequest(experiment, "tester", 1_700_000_000_000 + spec.Start, null, null), default);
            List<Metric> metrics = spec.Acc is { } acc ? [new Metric("acc", acc, 1, 0)] : [];
            List<KeyValue> parameters = [new KeyValue("model", spec.Model)];
            if (spec.Lr is { } lr)
            {
                parameters.Add(new KeyValue("lr", lr));
            }
            await Tracking.LogBatchAsync(Admin, run.Info.RunId, metrics, parameters, null, default);
            runs[run.Info.RunId] = spec;
        }
        return (experiment, empty, runs);
    }

    private async Task<List<string>> AllAsync(IReadOnlyList<string> experiments, string order, string? filter = null, int pageSize = 1000)
    {
        var ids = new List<string>();
        string? token = null;
        do
        {
            var page = await Tracking.SearchRunsAsync(Admin, new RunQuery(experiments, filter, [order], pageSize, token), default);
            ids.AddRange(page.Runs.Select(r => r.Info.RunId));
            token = page.NextPageToken;
        }
        while (token is not null);
        return ids;
    }

    /// <summary>MLflow's order in C#: group (value, NaN, missing), value, start time newest first, run id.</summary>
    private static List<string> Expected<T>(Dictionary<string, (long Start, double? Acc, string? Lr, string Model)> runs, Func<(long Start, double? Acc, string? Lr, string Model), T?> value, bool descending, Func<(long Start, double? Acc, string? Lr, string Model), bool>? where = null)
    {
        var chosen = runs.Where(r => where?.Invoke(r.Value) ?? true).ToList();
        int Group(T? v) => v is null ? 2 : v is double d && double.IsNaN(d) ? 1 : 0;
        var grouped = chosen.OrderBy(r => Group(value(r.Value)));
        var byValue = descending
            ? grouped.ThenByDescending(r => Group(value(r.Value)) == 0 ? value(r.Value) : default, Comparer<T?>.Default)
            : grouped.ThenBy(r => Group(value(r.Value)) == 0 ? value(r.Value) : default, Comparer<T?>.Default);
        return byValue.ThenByDescending(r => r.Value.Start).ThenBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Key).ToList();
    }

    [Fact]
    public async Task Ordering_by_a_metric_puts_nan_after_numbers_and_runs_without_it_last_in_either_direction()
    {
        var (experiment, empty, runs) = await SeedAsync();

        foreach (var descending in new[] { true, false })
        {
            var order = descending ? "metrics.acc DESC" : "metrics.acc ASC";
            var expected = Expected(runs, r => r.Acc, descending);

            Assert.Equal(expected, await AllAsync([experiment], order));
            Assert.Equal(expected, await AllAsync([experiment, empty], order));
        }
    }

    [Fact]
    public async Task Ordering_by_a_param_breaks_ties_by_newest_start_then_run_id_and_puts_runs_without_it_last()
    {
        var (experiment, empty, runs) = await SeedAsync();

        foreach (var descending in new[] { true, false })
        {
            var order = descending ? "params.lr DESC" : "params.lr";
            var expected = Expected(runs, r => r.Lr, descending);

            Assert.Equal(expected, await AllAsync([experiment], order));
            Assert.Equal(expected, await AllAsync([experiment, empty], order));
        }
    }

    [Fact]
    public async Task A_filter_and_an_order_together_keep_only_matching_runs_in_order()
    {
        var (experiment, empty, runs) = await SeedAsync();

        var expected = Expected(runs, r => r.Acc, descending: true, where: r => r.Model == "tree");
        Assert.Equal(expected, await AllAsync([experiment], "metrics.acc DESC", "params.model = 'tree'"));
        Assert.Equal(expected, await AllAsync([experiment, empty], "metrics.acc DESC", "params.model = 'tree'"));

        var numeric = Expected(runs, r => r.Lr, descending: false, where: r => r.Acc is > 0.6);
        Assert.Equal(numeric, await AllAsync([experiment], "params.lr ASC", "metrics.acc > 0.6"));
    }

    [Fact]
    public async Task A_param_or_metric_filter_matches_only_the_searched_experiments_runs_though_others_have_the_same_values()
    {
        // The filter's param and metric conditions are bounded by the searched experiments (their rows carry the run's
        // experiment); the same runs in a second experiment must stay out of a search of the first, in every path.
        var (experiment, empty, runs) = await SeedAsync();
        var (other, _, otherRuns) = await SeedAsync();
        const string filter = "params.model = 'tree' and metrics.acc > 0.3";
        bool Tree((long Start, double? Acc, string? Lr, string Model) r) => r.Model == "tree" && r.Acc is > 0.3;

        Assert.Equal(Expected(runs, r => r.Acc, descending: true, where: Tree), await AllAsync([experiment], "metrics.acc DESC", filter));
        Assert.Equal(Expected(runs, r => r.Lr, descending: false, where: Tree), await AllAsync([experiment], "params.lr ASC", filter));
        Assert.Equal(Expected(runs, r => r.Start, descending: true, where: Tree), await AllAsync([experiment], "attributes.start_time DESC", filter));
        Assert.Equal(Expected(runs, r => r.Acc, descending: true, where: Tree), await AllAsync([experiment, empty], "metrics.acc DESC", filter));
        foreach (var size in new[] { 1, 2 })
        {
            Assert.Equal(Expected(runs, r => r.Acc, descending: true, where: Tree), await AllAsync([experiment], "metrics.acc DESC", filter, size));
            Assert.Equal(Expected(runs, r => r.Lr, descending: true, where: Tree), await AllAsync([experiment], "params.lr DESC", filter, size));
        }

        var both = runs.Concat(otherRuns).ToDictionary(r => r.Key, r => r.Value);
        Assert.Equal(Expected(both, r => r.Acc, descending: true, where: Tree), await AllAsync([experiment, other], "metrics.acc DESC", filter));
        Assert.Equal(
            Expected(otherRuns, r => r.Lr, descending: true, where: r => r.Model != "tree"),
            await AllAsync([other, empty], "params.lr DESC", "params.model != 'tree'"));
    }

    [Fact]
    public async Task Pages_of_two_cross_from_numbers_to_nan_to_missing_without_skipping_or_repeating()
    {
        var (experiment, _, runs) = await SeedAsync();

        foreach (var size in new[] { 1, 2, 4 })
        {
            Assert.Equal(Expected(runs, r => r.Acc, descending: true), await AllAsync([experiment], "metrics.acc DESC", pageSize: size));
            Assert.Equal(Expected(runs, r => r.Lr, descending: false), await AllAsync([experiment], "params.lr ASC", pageSize: size));
        }
    }

    [Fact]
    public async Task Deleted_runs_are_left_out_of_an_ordered_search_and_found_with_view_type_all()
    {
        var (experiment, _, runs) = await SeedAsync();
        var gone = runs.Keys.First();
        await Tracking.SetRunLifecycleAsync(Admin, gone, delete: true, default);

        var active = await AllAsync([experiment], "metrics.acc DESC");
        var all = await Tracking.SearchRunsAsync(Admin, new RunQuery([experiment], null, ["metrics.acc DESC"], 100, null, ViewType.All), default);

        Assert.DoesNotContain(gone, active);
        Assert.Equal(Expected(runs, r => r.Acc, descending: true), all.Runs.Select(r => r.Info.RunId).ToList());
    }
}
