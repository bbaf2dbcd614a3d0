using System.Data.Common;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Lineage;
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

    /// <summary>Sets the reference from a profile sent as JSON.</summary>
    public async Task<ReferenceProfile> SetAsync(Caller caller, string model, int version, ReferenceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        var profile = ReportedProfiles.Check(request.Profile, "profile", _limits);
        return await StoreAsync(caller, model, version, "profile", null, null, profile, cancellationToken);
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
            ? (JsonSerializer.Deserialize<DatasetProfile>(row.Profile, CairnJson.Options)!, row.CreatedAt)
            : null;

    private async Task<ReferenceProfile> StoreAsync(
        Caller caller, string model, int version, string source, string? datasetId, string? datasetVersion, DatasetProfile profile, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(profile, CairnJson.Options);
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
        features = JsonSerializer.Deserialize<DatasetProfile>(row.Profile, CairnJson.Options)!.Features.Select(f => f.Name).ToList(),
    };

    private static ReferenceProfile ToReference(string model, int version, Row row) => new(
        model, version, row.Source, row.DatasetId, row.DatasetVersion, row.Rows, JsonSerializer.Deserialize<DatasetProfile>(row.Profile, CairnJson.Options)!,
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
}
