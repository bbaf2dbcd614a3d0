using Cairn.Catalog;
using Cairn.Governance;
using Dapper;

namespace Cairn.Tracking;

/// <summary>Set-based reads for views of several runs or of a run's whole metric history (the web UI's run pages).</summary>
public sealed partial class TrackingStore
{
    /// <summary>
    /// Runs by id, in the order asked, whatever their experiments and lifecycle stages, with their data and inputs, in
    /// one query per collection. Ids that name no run are left out; an id given twice is read once.
    /// </summary>
    /// <param name="caller">Who asks: needs reader on the root namespace.</param>
    /// <param name="runIds">The runs' ids.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<Run>> GetRunsAsync(Caller caller, IReadOnlyList<string> runIds, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        ArgumentNullException.ThrowIfNull(runIds);
        var ids = runIds.Where(id => !string.IsNullOrEmpty(id)).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            return [];
        }
        return await database.ReadAsync(async connection =>
        {
            var rows = (await connection.QueryAsync<RunRow>(new CommandDefinition(
                $"{SelectRuns} WHERE {database.Dialect.InList("r.run_uuid", "@ids")}", new { ids }, cancellationToken: cancellationToken))).ToList();
            var order = ids.Select((id, index) => (id, index)).ToDictionary(p => p.id, p => p.index, StringComparer.Ordinal);
            rows.Sort((a, b) => order[a.RunUuid].CompareTo(order[b.RunUuid]));
            return await LoadRunsAsync(database.Dialect, connection, rows, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// Every metric point of one run, all keys, in one query: ordered by key, step, timestamp and value, at most
    /// <paramref name="maxPoints"/> (a chart downsamples what it draws; this bounds what a page reads).
    /// </summary>
    /// <param name="caller">Who asks: needs reader on the root namespace.</param>
    /// <param name="runId">The run's id.</param>
    /// <param name="maxPoints">The most points read.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="NotFoundException">No run has this id.</exception>
    public async Task<IReadOnlyList<Metric>> GetRunMetricHistoriesAsync(Caller caller, string? runId, int maxPoints, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = TrackingLimits.RunId(runId);
        return await database.ReadAsync(async connection =>
        {
            var row = await FindRunAsync(connection, null, id, cancellationToken) ?? throw RunMissing(id);
            var points = await connection.QueryAsync<MetricRow>(new CommandDefinition(
                """
                SELECT run_id, key, value, is_nan, timestamp, step FROM run_metrics
                WHERE run_id = @Id ORDER BY key, step, timestamp, value LIMIT @maxPoints
                """,
                new { row.Id, maxPoints }, cancellationToken: cancellationToken));
            return points.Select(p => p.ToMetric()).ToList();
        }, cancellationToken);
    }
}
