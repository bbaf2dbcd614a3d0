using System.Data.Common;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Lineage;
using Cairn.Monitoring.Profiling;
using Cairn.Registry;
using Cairn.Storage;
using Dapper;

namespace Cairn.Monitoring;

/// <summary>
/// Reference profiles, one per version: what its serving windows are compared with. Made from a profile sent as it is,
/// from an uploaded sample (CSV or Parquet rows, profiled in one streaming pass before the write lock), or from a
/// dataset's column statistics (named, or the one dataset the version's training run read, found through lineage). A new
/// reference replaces the old one; windows already stored keep the drift they were reported with. Every set is one
/// transaction with its audit entry and event (<c>monitoring.reference.set</c> → <c>monitoring.reference_set</c> on
/// <c>models/&lt;m&gt;/versions/&lt;n&gt;/monitoring/reference</c>); setting needs writer on the model's namespace, reading reader.
/// </summary>
public sealed class ReferenceProfiles(CairnDatabase database, AuditChain audit, TimeProvider clock, LimitsOptions? limits = null)
{
    private readonly LimitsOptions _limits = limits ?? new LimitsOptions();

    private sealed record Row
    {
        public string Source { get; init; } = "";
        public string? DatasetId { get; init; }
        public string? DatasetVersion { get; init; }
        public long Rows { get; init; }
        public string Profile { get; init; } = "";
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    private sealed record StatisticsRow
    {
        public string Id { get; init; } = "";
        public string? Version { get; init; }
        public string? Statistics { get; init; }
    }

    /// <summary>Sets the reference from JSON: a profile, a dataset's statistics, or (neither given) the training dataset's.</summary>
    public async Task<ReferenceProfile> SetAsync(Caller caller, string model, int version, ReferenceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        if (request.Profile is not null)
        {
            if (request.Dataset is not null || request.DatasetVersion is not null)
            {
                throw new InvalidParameterException("Send either 'profile' or 'dataset', not both.");
            }
            var profile = ReportedProfiles.Check(request.Profile, "profile", _limits);
            return await StoreAsync(caller, model, version, "profile", null, null, profile, cancellationToken);
        }
        if (request.Dataset is null && request.DatasetVersion is not null)
        {
            throw new InvalidParameterException("'dataset_version' needs 'dataset': the dataset's id (dataset:<namespace>:<name>).");
        }
        // Datasets are lineage metadata, readable by readers of the root (as the lineage graph and model cards read them).
        caller.Require(Role.Reader, NamespacePath.Root);
        var (datasetId, datasetVersion, statistics) = await database.ReadAsync(
            connection => StatisticsAsync(connection, model, version, request.Dataset, request.DatasetVersion, cancellationToken), cancellationToken);
        if (statistics.Count == 0)
        {
            throw new InvalidParameterException(
                $"Dataset '{datasetId}'{(datasetVersion is null ? "" : $" at version '{datasetVersion}'")} has no column statistics to make a reference from; upload a sample instead.");
        }
        var features = statistics.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => FeatureProfiler.FromStatistics(s.Key, s.Value)).ToList();
        var rows = statistics.Values.Select(s => s.Count ?? 0).DefaultIfEmpty(0).Max();
        return await StoreAsync(caller, model, version, "dataset", datasetId, datasetVersion, new DatasetProfile(rows, features), cancellationToken);
    }

    /// <summary>
    /// Sets the reference from a sample of rows (<paramref name="format"/> <c>csv</c> or <c>parquet</c>), profiled while it
    /// streams in; nothing is written when the rows cannot be read.
    /// </summary>
    public async Task<ReferenceProfile> SetFromSampleAsync(
        Caller caller, string model, int version, Stream sample, string format, ProfileOptions options, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        // The version must exist before its sample is read: a typo is a 404 rather than minutes of profiling.
        await database.ReadAsync(connection => VersionIdsAsync(connection, null, model, version, cancellationToken), cancellationToken);
        var profile = await RowFormats.ProfileAsync(sample, format, options, cancellationToken);
        return await StoreAsync(caller, model, version, "sample", null, null, profile, cancellationToken);
    }

    /// <summary>The version's reference; 404 when it has none.</summary>
    public async Task<ReferenceProfile> GetAsync(Caller caller, string model, int version, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        return await database.ReadAsync(async connection =>
        {
            var ids = await VersionIdsAsync(connection, null, model, version, cancellationToken);
            var row = await ReadAsync(connection, null, ids.Id, cancellationToken)
                ?? throw new NotFoundException($"Version {version} of model '{model}' has no reference profile; set one with PUT …/monitoring/reference.");
            return ToReference(model, version, row);
        }, cancellationToken);
    }

    /// <summary>The reference profile of a version by its row id, or null; with its creation time, which says whether it changed since.</summary>
    internal static async Task<(DatasetProfile Profile, long CreatedAt)?> ProfileAsync(DbConnection connection, DbTransaction? transaction, long versionId, CancellationToken cancellationToken) =>
        await ReadAsync(connection, transaction, versionId, cancellationToken) is { } row
            ? (StoredProfiles.Deserialize(row.Profile), row.CreatedAt)
            : null;

    private async Task<ReferenceProfile> StoreAsync(
        Caller caller, string model, int version, string source, string? datasetId, string? datasetVersion, DatasetProfile profile, CancellationToken cancellationToken)
    {
        var json = StoredProfiles.Serialize(profile);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var ids = await VersionIdsAsync(connection, transaction, model, version, cancellationToken);
            var before = await ReadAsync(connection, transaction, ids.Id, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO reference_profiles (version_id, model_id, source, dataset_id, dataset_version, rows, profile, created_at, created_by)
                VALUES (@Id, @ModelId, @source, @datasetId, @datasetVersion, @rows, @json, @now, @by)
                ON CONFLICT (version_id) DO UPDATE SET
                    source = excluded.source, dataset_id = excluded.dataset_id, dataset_version = excluded.dataset_version,
                    rows = excluded.rows, profile = excluded.profile, created_at = excluded.created_at, created_by = excluded.created_by
                """,
                new { ids.Id, ids.ModelId, source, datasetId, datasetVersion, rows = profile.Rows, json, now, by = caller.Name },
                transaction, cancellationToken: cancellationToken));
            var row = new Row { Source = source, DatasetId = datasetId, DatasetVersion = datasetVersion, Rows = profile.Rows, Profile = json, CreatedAt = now, CreatedBy = caller.Name };
            await audit.AppendAsync(transaction, caller.Name, "monitoring.reference.set", $"{ModelRegistry.Resource(model, version)}/monitoring/reference",
                before is null ? null : Summary(model, version, before), Summary(model, version, row), cancellationToken);
            return ToReference(model, version, row);
        }, cancellationToken);
    }

    // The audit entry and event carry where the reference came from and its features, not the whole profile (which may
    // hold thousands of points per feature).
    private static object Summary(string model, int version, Row row) => new
    {
        model,
        version,
        source = row.Source,
        dataset_id = row.DatasetId,
        dataset_version = row.DatasetVersion,
        rows = row.Rows,
        features = StoredProfiles.Deserialize(row.Profile).Features.Select(f => f.Name).ToList(),
    };

    private static ReferenceProfile ToReference(string model, int version, Row row) => new(
        model, version, row.Source, row.DatasetId, row.DatasetVersion, row.Rows, StoredProfiles.Deserialize(row.Profile),
        DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), row.CreatedBy);

    private static Task<Row?> ReadAsync(DbConnection connection, DbTransaction? transaction, long versionId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT source, dataset_id, dataset_version, rows, profile, created_at, created_by FROM reference_profiles WHERE version_id = @versionId",
            new { versionId }, transaction, cancellationToken: cancellationToken));

    internal sealed record VersionRow
    {
        public long ModelId { get; init; }
        public long Id { get; init; }
    }

    internal static async Task<VersionRow> VersionIdsAsync(DbConnection connection, DbTransaction? transaction, string model, int version, CancellationToken cancellationToken)
    {
        var ids = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            "SELECT v.model_id, v.id FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.full_name = @model AND v.version = @version",
            new { model, version }, transaction, cancellationToken: cancellationToken));
        return ids ?? throw ModelRegistry.Missing(model, version);
    }

    /// <summary>
    /// The column statistics of the named dataset (at a version, or as it is now), or of the one dataset the version's
    /// training run read (the runs with an output edge to the version, their dataset inputs).
    /// </summary>
    private async Task<(string Id, string? Version, IReadOnlyDictionary<string, ColumnStatistics> Statistics)> StatisticsAsync(
        DbConnection connection, string model, int version, string? dataset, string? datasetVersion, CancellationToken cancellationToken)
    {
        await VersionIdsAsync(connection, null, model, version, cancellationToken);
        string id;
        if (dataset is null)
        {
            var inputs = (await connection.QueryAsync<string>(new CommandDefinition(
                """
                SELECT DISTINCT i.source
                FROM lineage_edges o
                JOIN lineage_edges i ON i.target = o.source AND i.kind = 'input'
                JOIN lineage_nodes n ON n.id = i.source AND n.kind = 'dataset'
                WHERE o.target = @node AND o.kind = 'output'
                ORDER BY i.source
                """, new { node = NodeIds.Model(model, version) }, cancellationToken: cancellationToken))).AsList();
            id = inputs.Count == 1 ? inputs[0] : throw new InvalidParameterException(inputs.Count == 0
                ? $"Version {version} of '{model}' has no training dataset in its lineage; name one with 'dataset' (and 'dataset_version') or upload a sample."
                : $"Version {version} of '{model}' was trained on {inputs.Count} datasets ({string.Join(", ", inputs.Select(Secrets.MaskUri))}); name one with 'dataset'.");
        }
        else
        {
            _limits.NodeId("dataset", dataset);
            id = dataset;
        }
        var row = datasetVersion is null
            ? await connection.QuerySingleOrDefaultAsync<StatisticsRow>(new CommandDefinition(
                "SELECT id, version, statistics FROM datasets WHERE id = COALESCE((SELECT dataset_id FROM dataset_aliases WHERE id = @id), @id)",
                new { id }, cancellationToken: cancellationToken))
            : await connection.QuerySingleOrDefaultAsync<StatisticsRow>(new CommandDefinition(
                """
                SELECT dataset_id AS id, version, statistics FROM dataset_versions
                WHERE dataset_id = COALESCE((SELECT dataset_id FROM dataset_aliases WHERE id = @id), @id) AND version = @datasetVersion
                """, new { id, datasetVersion }, cancellationToken: cancellationToken));
        if (row is null)
        {
            throw new NotFoundException(datasetVersion is null
                ? $"Dataset '{Secrets.MaskUri(id)}' does not exist."
                : $"Dataset '{Secrets.MaskUri(id)}' has no version '{datasetVersion}'.");
        }
        var statistics = row.Statistics is null
            ? new Dictionary<string, ColumnStatistics>()
            : JsonSerializer.Deserialize<Dictionary<string, ColumnStatistics>>(row.Statistics, CairnJson.Options) ?? [];
        return (row.Id, row.Version, statistics);
    }
}
