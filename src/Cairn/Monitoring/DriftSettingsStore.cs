using System.Data.Common;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Monitoring.Drift;
using Cairn.Storage;
using Dapper;

namespace Cairn.Monitoring;

/// <summary>
/// Each model's drift settings (methods and thresholds, by default and per feature; the dataset drift share). A model
/// without settings uses Evidently's defaults. Setting them needs writer on the model's namespace and is one transaction
/// with its audit entry and event (<c>monitoring.settings.set</c> → <c>monitoring.settings_updated</c> on
/// <c>models/&lt;m&gt;/monitoring/settings</c>); windows reported later are compared with them.
/// </summary>
public sealed class DriftSettingsStore(CairnDatabase database, AuditChain audit, TimeProvider clock, LimitsOptions? limits = null)
{
    private readonly LimitsOptions _limits = limits ?? new LimitsOptions();

    private sealed record Row
    {
        public string Settings { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
    }

    /// <summary>The model's settings, or the defaults (with no update time) when none were set.</summary>
    public async Task<ModelMonitoringSettings> GetAsync(Caller caller, string model, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        return await database.ReadAsync(async connection =>
        {
            var modelId = await ModelIdAsync(connection, null, model, cancellationToken);
            return ToSettings(model, await ReadAsync(connection, null, modelId, cancellationToken));
        }, cancellationToken);
    }

    /// <summary>Replaces the model's settings, after checking them (drift helper's validator; feature names within the limits).</summary>
    public async Task<ModelMonitoringSettings> PutAsync(Caller caller, string model, DriftSettings? settings, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        if (settings is null)
        {
            throw new InvalidParameterException("The body is required: drift settings with 'default', 'features' and 'drift_share'.");
        }
        if (settings.Features is { } features)
        {
            _limits.Entries("features", features.Count);
            foreach (var name in features.Keys)
            {
                _limits.Key("features", name);
            }
        }
        DriftSettingsValidator.Validate(settings);
        var json = JsonSerializer.Serialize(settings, CairnJson.Options);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var modelId = await ModelIdAsync(connection, transaction, model, cancellationToken);
            var before = await ReadAsync(connection, transaction, modelId, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO monitoring_settings (model_id, settings, updated_at, updated_by) VALUES (@modelId, @json, @now, @by)
                ON CONFLICT (model_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, updated_by = excluded.updated_by
                """, new { modelId, json, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            var after = ToSettings(model, new Row { Settings = json, UpdatedAt = now, UpdatedBy = caller.Name });
            await audit.AppendAsync(transaction, caller.Name, "monitoring.settings.set", $"models/{model}/monitoring/settings",
                before is null ? null : ToSettings(model, before), after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    /// <summary>The settings of the model with row id <paramref name="modelId"/>: stored, or the defaults.</summary>
    internal static async Task<DriftSettings> ForModelAsync(DbConnection connection, DbTransaction? transaction, long modelId, CancellationToken cancellationToken) =>
        await ReadAsync(connection, transaction, modelId, cancellationToken) is { } row
            ? JsonSerializer.Deserialize<DriftSettings>(row.Settings, CairnJson.Options)!
            : new DriftSettings();

    private static ModelMonitoringSettings ToSettings(string model, Row? row) => row is null
        ? new ModelMonitoringSettings(model, new DriftSettings(), null, null)
        : new ModelMonitoringSettings(model, JsonSerializer.Deserialize<DriftSettings>(row.Settings, CairnJson.Options)!,
            DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt), row.UpdatedBy);

    private static Task<Row?> ReadAsync(DbConnection connection, DbTransaction? transaction, long modelId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT settings, updated_at, updated_by FROM monitoring_settings WHERE model_id = @modelId", new { modelId }, transaction, cancellationToken: cancellationToken));

    private static async Task<long> ModelIdAsync(DbConnection connection, DbTransaction? transaction, string model, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM models WHERE full_name = @model", new { model }, transaction, cancellationToken: cancellationToken))
        ?? throw ModelCatalog.Missing(model);
}
