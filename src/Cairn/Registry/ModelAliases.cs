using System.Data.Common;
using System.Text.RegularExpressions;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Registry;

/// <summary>
/// Named pointers to versions (<c>champion</c> → 7). Every assignment and removal is kept, which is what
/// makes <see cref="RollbackAsync"/> possible: an alias can go back to the version it named before.
/// </summary>
public sealed partial class ModelAliases(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    [GeneratedRegex(@"\A[A-Za-z_][A-Za-z0-9_-]{0,254}\z")]
    private static partial Regex AliasPattern();

    // "latest" and v<N> are how MLflow clients address versions; an alias of that shape would shadow them.
    [GeneratedRegex(@"\A(latest|[vV][0-9]+)\z")]
    private static partial Regex ReservedPattern();

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record HistoryRow
    {
        public string Alias { get; init; } = "";
        public long? Version { get; init; }
        public long? PreviousVersion { get; init; }
        public long ChangedAt { get; init; }
        public string ChangedBy { get; init; } = "";
    }

    public async Task<AliasTarget> SetAsync(Caller caller, string model, string alias, int? version, CancellationToken cancellationToken)
    {
        CheckAlias(alias);
        var target = version ?? throw new InvalidParameterException("'version' is required.");
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        return await database.WriteAsync((_, transaction) => AssignAsync(transaction, caller.Name, model, alias, target, "alias.set", governed: true, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Points an alias at a version for an approved promotion, in the promotion's own transaction: the same history,
    /// audit entry and event as a direct set, without the policy check the approvals have just satisfied.
    /// </summary>
    internal Task<AliasTarget> ApplyPromotionAsync(DbTransaction transaction, string actor, string model, string alias, int version, CancellationToken cancellationToken) =>
        AssignAsync(transaction, actor, model, alias, version, "alias.set", governed: false, cancellationToken);

    public async Task<AliasTarget> GetAsync(Caller caller, string model, string alias, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        var version = await database.ReadAsync(connection => connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT a.version FROM aliases a JOIN models m ON m.id = a.model_id WHERE m.full_name = @model AND a.alias = @alias",
            new { model, alias }, cancellationToken: cancellationToken)), cancellationToken);
        return version is null ? throw Missing(model, alias) : new AliasTarget(alias, (int)version.Value);
    }

    public async Task DeleteAsync(Caller caller, string model, string alias, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        await database.WriteAsync(async (connection, transaction) =>
        {
            var modelId = await ModelIdAsync(transaction, model, cancellationToken);
            var current = await CurrentAsync(transaction, modelId, alias, cancellationToken) ?? throw Missing(model, alias);
            await ProtectedTargets.CheckDirectChangeAsync(transaction, modelId, model,
                [new DirectChange(DirectChangeKind.Remove, (int)current, new PromotionTarget(PromotionTargetKind.Alias, alias))], cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM aliases WHERE model_id = @modelId AND alias = @alias", new { modelId, alias }, transaction, cancellationToken: cancellationToken));
            await RecordAsync(transaction, modelId, alias, null, current, caller.Name, clock, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "alias.delete", Resource(model, alias), new AliasTarget(alias, (int)current), null, cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <summary>Every change of the alias, newest first.</summary>
    public async Task<IReadOnlyList<AliasChange>> HistoryAsync(Caller caller, string model, string alias, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        return await database.ReadAsync(async connection =>
        {
            var rows = (await connection.QueryAsync<HistoryRow>(new CommandDefinition(
                """
                SELECT h.alias, h.version, h.previous_version, h.changed_at, h.changed_by
                FROM alias_history h JOIN models m ON m.id = h.model_id
                WHERE m.full_name = @model AND h.alias = @alias ORDER BY h.id DESC
                """,
                new { model, alias }, cancellationToken: cancellationToken))).ToList();
            return rows.Count == 0 ? throw Missing(model, alias) : rows.Select(ToChange).ToList();
        }, cancellationToken);
    }

    /// <summary>
    /// The latest changes of every alias of a model, newest first, at most <paramref name="max"/> (one query, for the
    /// web UI's model page). A model that does not exist has none.
    /// </summary>
    /// <param name="caller">Who asks: a reader of the model's namespace.</param>
    /// <param name="model">The model's full name.</param>
    /// <param name="max">How many changes at most.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<AliasChange>> ModelHistoryAsync(Caller caller, string model, int max, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        var rows = await database.ReadAsync(connection => connection.QueryAsync<HistoryRow>(new CommandDefinition(
            """
            SELECT h.alias, h.version, h.previous_version, h.changed_at, h.changed_by
            FROM alias_history h JOIN models m ON m.id = h.model_id
            WHERE m.full_name = @model ORDER BY h.id DESC LIMIT @max
            """,
            new { model, max }, cancellationToken: cancellationToken)), cancellationToken);
        return rows.Select(ToChange).ToList();
    }

    /// <summary>Points the alias back at the version it named before its latest change.</summary>
    public async Task<AliasTarget> RollbackAsync(Caller caller, string model, string alias, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var modelId = await ModelIdAsync(transaction, model, cancellationToken);
            var last = await connection.QueryFirstOrDefaultAsync<HistoryRow>(new CommandDefinition(
                """
                SELECT alias, version, previous_version, changed_at, changed_by FROM alias_history
                WHERE model_id = @modelId AND alias = @alias ORDER BY id DESC LIMIT 1
                """,
                new { modelId, alias }, transaction, cancellationToken: cancellationToken)) ?? throw Missing(model, alias);
            if (last.PreviousVersion is not { } previous)
            {
                throw new InvalidParameterException($"Alias '{alias}' of model '{model}' has no previous version to roll back to.");
            }
            if (!await ModelRegistry.VersionExistsAsync(transaction, modelId, (int)previous, cancellationToken))
            {
                throw new InvalidParameterException($"Alias '{alias}' of model '{model}' previously named version {previous}, which has since been deleted.");
            }
            return await AssignAsync(transaction, caller.Name, model, alias, (int)previous, "alias.rollback", governed: true, cancellationToken);
        }, cancellationToken);
    }

    internal static async Task RecordAsync(
        DbTransaction transaction, long modelId, string alias, int? version, long? previous, string by, TimeProvider clock, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO alias_history (model_id, alias, version, previous_version, changed_at, changed_by)
            VALUES (@modelId, @alias, @version, @previous, @at, @by)
            """,
            new { modelId, alias, version, previous, at = clock.GetUtcNow().ToUnixTimeMilliseconds(), by }, transaction, cancellationToken: cancellationToken));

    private async Task<AliasTarget> AssignAsync(
        DbTransaction transaction, string actor, string model, string alias, int version, string action, bool governed, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var modelId = await ModelIdAsync(transaction, model, cancellationToken);
        if (!await ModelRegistry.VersionExistsAsync(transaction, modelId, version, cancellationToken))
        {
            throw ModelRegistry.Missing(model, version);
        }
        if (governed)
        {
            await ProtectedTargets.CheckDirectChangeAsync(transaction, modelId, model,
                [new DirectChange(DirectChangeKind.Move, version, new PromotionTarget(PromotionTargetKind.Alias, alias))], cancellationToken);
        }
        var current = await CurrentAsync(transaction, modelId, alias, cancellationToken);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO aliases (model_id, alias, version, updated_at, updated_by) VALUES (@modelId, @alias, @version, @now, @by)
            ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """,
            new { modelId, alias, version, now, by = actor }, transaction, cancellationToken: cancellationToken));
        await RecordAsync(transaction, modelId, alias, version, current, actor, clock, cancellationToken);
        var after = new AliasTarget(alias, version);
        await audit.AppendAsync(transaction, actor, action, Resource(model, alias),
            current is null ? null : new AliasTarget(alias, (int)current.Value), after, cancellationToken);
        return after;
    }

    private static async Task<long> ModelIdAsync(DbTransaction transaction, string model, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM models WHERE full_name = @model", new { model }, transaction, cancellationToken: cancellationToken))
        ?? throw ModelCatalog.Missing(model);

    private static Task<long?> CurrentAsync(DbTransaction transaction, long modelId, string alias, CancellationToken cancellationToken) =>
        transaction.Connection!.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT version FROM aliases WHERE model_id = @modelId AND alias = @alias", new { modelId, alias }, transaction, cancellationToken: cancellationToken));

    internal static void CheckAlias(string alias)
    {
        if (!AliasPattern().IsMatch(alias) || ReservedPattern().IsMatch(alias))
        {
            throw new InvalidParameterException(
                $"Alias '{alias}' is invalid: use a letter or '_' then letters, digits, '_' or '-' (at most 255), and not 'latest' or 'v<number>'.");
        }
    }

    private static string Resource(string model, string alias) => $"{ModelCatalog.Resource(model)}/aliases/{alias}";

    private static NotFoundException Missing(string model, string alias) => new($"Model '{model}' has no alias '{alias}'.");

    private static AliasChange ToChange(HistoryRow r) => new(
        r.Alias, r.Version is null ? null : (int)r.Version.Value, r.PreviousVersion is null ? null : (int)r.PreviousVersion.Value,
        DateTimeOffset.FromUnixTimeMilliseconds(r.ChangedAt), r.ChangedBy);
}
