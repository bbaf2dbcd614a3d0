using System.Data.Common;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cairn.Artifacts;
using Cairn.Artifacts.Formats;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Search;
using Cairn.Storage;
using Dapper;

namespace Cairn.Registry;

/// <summary>
/// Versions of catalog models: registration with server-assigned numbers, tags, stages with their history,
/// and search. Aliases live in <see cref="ModelAliases"/>.
/// </summary>
public sealed partial class ModelRegistry(CairnDatabase database, AuditChain audit, TimeProvider clock, IArtifactStore store, LimitsOptions? limits = null)
{
    private readonly LimitsOptions _limits = limits ?? new LimitsOptions();

    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    /// <summary>MLflow's search_model_versions pages reach 200,000 (SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD).</summary>
    private const int MlflowMaxPageSize = 200_000;

    /// <summary>What version searches may filter and order by.</summary>
    public static FilterSchema Schema { get; } = new(
        "v.id",
        [
            new FilterAttribute("name", "m.full_name", FilterValueType.String),
            new FilterAttribute("namespace", "m.namespace", FilterValueType.String),
            new FilterAttribute("version", "v.version", FilterValueType.Number),
            new FilterAttribute("semver", "v.semver", FilterValueType.String),
            new FilterAttribute("description", "v.description", FilterValueType.String),
            new FilterAttribute("source", "v.source", FilterValueType.String),
            new FilterAttribute("run_id", "v.run_id", FilterValueType.String),
            new FilterAttribute("framework", "v.framework", FilterValueType.String),
            new FilterAttribute("parent_version", "v.parent_version", FilterValueType.Number),
            new FilterAttribute("status", "v.status", FilterValueType.String),
            new FilterAttribute("stage", "v.stage", FilterValueType.String, Canonical: CanonicalStage),
            new FilterAttribute("created_by", "v.created_by", FilterValueType.String),
            new FilterAttribute("created_at", "v.created_at", FilterValueType.Timestamp),
            new FilterAttribute("updated_at", "v.updated_at", FilterValueType.Timestamp),
        ],
        [
            new FilterCollection("tags", "version_tags", "version_id", "key", "value", FilterValueType.String),
            new FilterCollection("metrics", "version_metrics", "version_id", "key", "value", FilterValueType.Number),
            new FilterCollection("params", "version_params", "version_id", "key", "value", FilterValueType.String),
        ]);

    /// <summary>The same search in MLflow's names (search_model_versions).</summary>
    public static FilterSchema MlflowSchema { get; } = new(
        "v.id",
        [
            new FilterAttribute("name", "m.full_name", FilterValueType.String),
            new FilterAttribute("version_number", "v.version", FilterValueType.Number),
            new FilterAttribute("run_id", "v.run_id", FilterValueType.String),
            new FilterAttribute("source_path", "v.source", FilterValueType.String),
            // MLflow itself takes stage names in any case where it takes them (transition-stage: get_canonical_stage); so does this filter, which MLflow lacks.
            new FilterAttribute("current_stage", "v.stage", FilterValueType.String, Canonical: CanonicalStage),
            new FilterAttribute("creation_timestamp", "v.created_at", FilterValueType.Number),
            new FilterAttribute("last_updated_timestamp", "v.updated_at", FilterValueType.Number),
        ],
        [
            new FilterCollection("tags", "version_tags", "version_id", "key", "value", FilterValueType.String),
            // The tags of any version of the same model: no filter text can name it (its prefix is no identifier);
            // adapters use it to leave out whole models, as MLflow leaves out prompts.
            new FilterCollection(
                ModelVersionTagsPrefix,
                "(SELECT tv.model_id, tt.key, tt.value FROM version_tags tt JOIN model_versions tv ON tv.id = tt.version_id)",
                "model_id", "key", "value", FilterValueType.String, "v.model_id"),
        ]);

    /// <summary>The collection of <see cref="MlflowSchema"/> holding the tags of every version of a version's model.</summary>
    public const string ModelVersionTagsPrefix = "$model_version_tags";

    // Semantic Versioning 2.0.0, as published at semver.org.
    [GeneratedRegex(@"\A(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\z")]
    private static partial Regex SemverPattern();

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    internal sealed record VersionRow
    {
        public long Id { get; init; }
        public string Model { get; init; } = "";
        public long Version { get; init; }
        public string? Semver { get; init; }
        public string? Description { get; init; }
        public string? Source { get; init; }
        public string? RunId { get; init; }
        public string? RunLink { get; init; }
        public string? LoggedModelId { get; init; }
        public string? Framework { get; init; }
        public long? ParentVersion { get; init; }
        public string Status { get; init; } = "";
        public string Stage { get; init; } = "";
        public string? Format { get; init; }
        public string? Signature { get; init; }
        public string? FormatProperties { get; init; }
        public string? IntrospectionError { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
    }

    // One entry of a version's collections: kind m (metric, in Number), p (param), t (tag) or a (alias, no value).
    private sealed record PartRow
    {
        public string Kind { get; init; } = "";
        public long Owner { get; init; }
        public string Key { get; init; } = "";
        public string? Text { get; init; }
        public double? Number { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record NextVersion
    {
        public long Id { get; init; }
        public long LastVersion { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record TransitionRow
    {
        public long Version { get; init; }
        public string FromStage { get; init; } = "";
        public string ToStage { get; init; } = "";
        public string? Comment { get; init; }
        public long ChangedAt { get; init; }
        public string ChangedBy { get; init; } = "";
    }

    // The version rows alone: their collections are read for the whole set at once (ReadVersionsAsync), not by
    // correlated subqueries per row, which cost four subqueries a version (1,600 for a 100-model MLflow page).
    private const string SelectVersions = """
        SELECT v.id, m.full_name AS model, v.version, v.semver, v.description, v.source, v.run_id, v.run_link, v.logged_model_id, v.framework,
               v.parent_version, v.status, v.stage, v.format, v.signature, v.format_properties, v.introspection_error, v.created_at, v.created_by, v.updated_at, v.updated_by
        FROM model_versions v JOIN models m ON m.id = v.model_id
        """;

    /// <summary>
    /// The versions <paramref name="sql"/> (a <see cref="SelectVersions"/> with its conditions) selects, in its order, with
    /// the <paramref name="parts"/> asked for: two statements whatever the number of versions, the rows and then every
    /// collection of all of them (one UNION ALL, the version ids passed as one parameter), stitched here. Every read of
    /// versions goes through here.
    /// </summary>
    private async Task<List<ModelVersion>> ReadVersionsAsync(
        DbConnection connection, DbTransaction? transaction, string sql, object? parameters, VersionParts parts, CancellationToken cancellationToken)
    {
        var rows = (await connection.QueryAsync<VersionRow>(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken))).AsList();
        if (rows.Count == 0)
        {
            return [];
        }
        var collections = new List<string>(4);
        var postgres = database.Dialect.Name == "postgres";
        // The ids as one parameter: Dapper's expansion into one parameter per id binds and prepares a parameter per version.
        var set = database.Dialect.ValueSet("@ids", "BIGINT");
        var none = postgres ? "CAST(NULL AS TEXT)" : "NULL";
        var noNumber = postgres ? "CAST(NULL AS DOUBLE PRECISION)" : "NULL";
        if (parts.HasFlag(VersionParts.Metrics))
        {
            collections.Add($"SELECT 'm' AS kind, version_id AS owner, key, {none} AS text, value AS number FROM version_metrics WHERE version_id IN {set}");
        }
        if (parts.HasFlag(VersionParts.Params))
        {
            collections.Add($"SELECT 'p' AS kind, version_id AS owner, key, value AS text, {noNumber} AS number FROM version_params WHERE version_id IN {set}");
        }
        if (parts.HasFlag(VersionParts.Tags))
        {
            collections.Add($"SELECT 't' AS kind, version_id AS owner, key, value AS text, {noNumber} AS number FROM version_tags WHERE version_id IN {set}");
        }
        if (parts.HasFlag(VersionParts.Aliases))
        {
            collections.Add($"""
                SELECT 'a' AS kind, av.id AS owner, a.alias AS key, {none} AS text, {noNumber} AS number
                FROM aliases a JOIN model_versions av ON av.model_id = a.model_id AND av.version = a.version WHERE av.id IN {set}
                """);
        }
        var found = new Dictionary<long, VersionCollections>(rows.Count);
        if (collections.Count > 0)
        {
            var entries = await connection.QueryAsync<PartRow>(new CommandDefinition(
                string.Join("\nUNION ALL\n", collections), new { ids = database.Dialect.ValueSetParameter(rows.Select(r => r.Id)) }, transaction, cancellationToken: cancellationToken));
            foreach (var entry in entries)
            {
                if (!found.TryGetValue(entry.Owner, out var of))
                {
                    found[entry.Owner] = of = new VersionCollections();
                }
                of.Add(entry);
            }
        }
        var versions = new List<ModelVersion>(rows.Count);
        foreach (var row in rows)
        {
            versions.Add(ToVersion(row, found.GetValueOrDefault(row.Id)));
        }
        return versions;
    }

    /// <summary>Registers a version; a <c>run_id</c> must name a run of this store that the caller may read.</summary>
    public Task<ModelVersion> CreateAsync(Caller caller, string model, CreateVersionRequest request, CancellationToken cancellationToken) =>
        CreateAsync(caller, model, request, RunReference.MustResolve, cancellationToken);

    /// <summary>
    /// Registers a version, numbered by the store. A run it names (<c>run_id</c>) or logged model it comes from is linked
    /// upstream of it in the lineage graph only when the caller may read runs (reader on '/', where tracking records
    /// live: decision 0007) and it exists here; <paramref name="runs"/> says what happens otherwise.
    /// </summary>
    /// <param name="caller">Who registers: needs the writer role on the model's namespace.</param>
    /// <param name="model">The model's full name.</param>
    /// <param name="request">The version's fields.</param>
    /// <param name="runs">Whether a run id that cannot be linked is refused (the native API) or kept unlinked (MLflow).</param>
    /// <param name="cancellationToken">Cancels the registration.</param>
    public async Task<ModelVersion> CreateAsync(Caller caller, string model, CreateVersionRequest request, RunReference runs, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        var runId = request.RunId is { Length: > 0 } named ? named : null;
        // Linking reads the other end: a writer of one namespace may not hang its version under a run it cannot see.
        var mayReadRuns = caller.Has(Role.Reader, NamespacePath.Root);
        if (!mayReadRuns && (runId is not null && runs == RunReference.MustResolve || request.LoggedModelId is { Length: > 0 }))
        {
            var field = runId is not null && runs == RunReference.MustResolve ? "run_id" : "logged_model_id";
            throw new PermissionDeniedException(
                $"'{field}' names a tracking record, and those belong to namespace '/' (decision 0007): '{caller.Name}' needs the reader role on '/' to register a version from one.");
        }
        var semver = CheckSemver(request.Semver);
        var status = VersionStatus.Check(request.Status);
        var tags = _limits.Tags("tags", request.Tags);
        var parameters = _limits.Tags("params", request.Params);
        _limits.Description("description", request.Description);
        var metrics = CheckMetrics(request.Metrics);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();

        return await database.WriteAsync(async (connection, transaction) =>
        {
            // The counter lives on the model row: the increment takes that row's lock (PostgreSQL) or the
            // database's write lock (SQLite), so concurrent registrations get consecutive, unique numbers,
            // and a deleted version's number is never handed out again.
            var next = await connection.QuerySingleOrDefaultAsync<NextVersion>(new CommandDefinition(
                """
                UPDATE models SET last_version = last_version + 1, updated_at = @now, updated_by = @by
                WHERE full_name = @model RETURNING id, last_version
                """,
                new { model, now, by = caller.Name }, transaction, cancellationToken: cancellationToken))
                ?? throw ModelCatalog.Missing(model);
            var (modelId, version) = (next.Id, next.LastVersion);
            if (request.ParentVersion is { } parent && !await VersionExistsAsync(transaction, modelId, parent, cancellationToken))
            {
                throw new InvalidParameterException($"'parent_version' {parent} is not a version of model '{model}'.");
            }
            await CheckSemverFreeAsync(transaction, modelId, model, semver, null, cancellationToken);
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO model_versions (model_id, version, semver, description, source, run_id, run_link, logged_model_id, framework, parent_version, status, stage, created_at, created_by, updated_at, updated_by)
                VALUES (@modelId, @version, @semver, @Description, @Source, @RunId, @RunLink, @LoggedModelId, @Framework, @ParentVersion, @status, 'None', @now, @by, @now, @by)
                RETURNING id
                """,
                new { modelId, version, semver, request.Description, request.Source, request.RunId, request.RunLink, request.LoggedModelId, request.Framework, request.ParentVersion, status, now, by = caller.Name },
                transaction, cancellationToken: cancellationToken));
            await InsertPairsAsync(transaction, "version_tags", "text", id, tags, cancellationToken);
            await InsertPairsAsync(transaction, "version_params", "text", id, parameters, cancellationToken);
            await InsertPairsAsync(transaction, "version_metrics", "double precision", id, metrics, cancellationToken);
            // Everything the new version holds was just written here: built, not read back, to keep the
            // write lock (which every registration queues on) as short as possible.
            var at = DateTimeOffset.FromUnixTimeMilliseconds(now);
            var created = new ModelVersion(
                model, (int)version, semver, request.Description, request.Source, request.RunId, request.Framework, request.ParentVersion,
                status, Stage.None, null, null, new Dictionary<string, string>(), null, new SortedDictionary<string, double>((IDictionary<string, double>)metrics, StringComparer.Ordinal),
                new SortedDictionary<string, string>((IDictionary<string, string>)parameters, StringComparer.Ordinal),
                new SortedDictionary<string, string>((IDictionary<string, string>)tags, StringComparer.Ordinal), [], at, caller.Name, at, caller.Name, request.RunLink, request.LoggedModelId);
            // The run produced this version: recorded in the lineage graph with the registration, if it is a run here
            // (never a node made up for an id nothing recorded).
            if (runId is not null && mayReadRuns
                && !await Lineage.LineageGraph.LinkRunToModelAsync(transaction, runId, model, version, clock, cancellationToken)
                && runs == RunReference.MustResolve)
            {
                throw new InvalidParameterException(
                    $"'run_id' '{runId}' is not a run of this store: name an MLflow run or an execution recorded here, or leave run_id out.");
            }
            if (request.LoggedModelId is { Length: > 0 } loggedModelId)
            {
                // Made from a logged model: the model lists the version, and the graph links them.
                await Tracking.LoggedModels.LoggedModelLinks.RecordRegistrationAsync(transaction, loggedModelId, model, version, clock, cancellationToken);
            }
            await audit.AppendAsync(transaction, caller.Name, "version.create", Resource(model, (int)version), null, created, cancellationToken);
            return created;
        }, cancellationToken);
    }

    public async Task<ModelVersion> GetAsync(Caller caller, string model, int version, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        return await database.ReadAsync(async connection =>
        {
            var found = await ReadVersionsAsync(connection, null,
                SelectVersions + " WHERE m.full_name = @model AND v.version = @version", new { model, version }, VersionParts.All, cancellationToken);
            return found.Count == 0 ? throw Missing(model, version) : found[0];
        }, cancellationToken);
    }

    public async Task<ModelVersion> UpdateAsync(Caller caller, string model, int version, UpdateVersionRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        var semver = CheckSemver(request.Semver);
        var status = request.Status is null ? null : VersionStatus.Check(request.Status);
        _limits.Description("description", request.Description);
        return await MutateAsync(caller, model, version, "version.update", async (transaction, ids, before) =>
        {
            await CheckSemverFreeAsync(transaction, ids.ModelId, model, semver, version, cancellationToken);
            if (status is not null && status != before.Status)
            {
                await MoveStatusAsync(transaction, ids.Id, model, version, before.Status, status, cancellationToken);
            }
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                UPDATE model_versions SET
                    description = COALESCE(@Description, description),
                    semver = COALESCE(@semver, semver),
                    framework = COALESCE(@Framework, framework)
                WHERE id = @Id
                """,
                new { ids.Id, request.Description, semver, request.Framework }, transaction, cancellationToken: cancellationToken));
        }, cancellationToken);
    }

    /// <summary>
    /// The one way a version's status changes after registration: PENDING_REGISTRATION to READY or FAILED_REGISTRATION,
    /// never back and never out of a finished status, since a version's files are frozen once it leaves
    /// PENDING_REGISTRATION (decision 0006). The UPDATE itself re-checks the status, in the write transaction that also
    /// records the change, so no concurrent writer can slip a reopening between the check and the change.
    /// </summary>
    private static async Task MoveStatusAsync(DbTransaction transaction, long id, string model, int version, string from, string to, CancellationToken cancellationToken)
    {
        var moved = from == VersionStatus.PendingRegistration && to != VersionStatus.PendingRegistration
            && await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                "UPDATE model_versions SET status = @to WHERE id = @id AND status = @pending",
                new { id, to, pending = VersionStatus.PendingRegistration }, transaction, cancellationToken: cancellationToken)) == 1;
        if (!moved)
        {
            throw new InvalidStateException(
                $"Version {version} of model '{model}' is {from} and cannot become {to}: a version's status moves only from {VersionStatus.PendingRegistration} "
                + $"to {VersionStatus.Ready} or {VersionStatus.FailedRegistration}, once. Its files are frozen; register a new version for a changed model.");
        }
    }

    public async Task DeleteAsync(Caller caller, string model, int version, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, NamespacePath.Split(model).Namespace);
        var files = await database.WriteAsync(async (connection, transaction) =>
        {
            var ids = await IdsAsync(transaction, model, version, cancellationToken);
            var before = await LoadAsync(transaction, model, version, cancellationToken);
            // A version holding a protected stage or alias stays until a promotion moves the target elsewhere.
            await ProtectedTargets.CheckDirectChangeAsync(transaction, ids.ModelId, model, HeldTargets(before), cancellationToken);
            // A version serving traffic stays until its deployments move the traffic elsewhere.
            await Deployments.ServingVersions.CheckNotServingAsync(transaction, ids.ModelId, model, [version], "deleted", cancellationToken);
            // Its open promotion requests end with it (the requests themselves stay, as evidence).
            await PromotionRequests.CancelPendingAsync(transaction, audit, clock, caller.Name, ids.ModelId, ids.Id,
                $"version {version} was deleted", cancellationToken);
            var keys = await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT storage_key FROM version_files WHERE version_id = @Id", new { ids.Id }, transaction, cancellationToken: cancellationToken));
            // Aliases pointing here go with the version; their history says so.
            foreach (var alias in before.Aliases)
            {
                await ModelAliases.RecordAsync(transaction, ids.ModelId, alias, null, version, caller.Name, clock, cancellationToken);
            }
            // Losing a version changes the model, as MLflow's last_updated_timestamp says.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                DELETE FROM aliases WHERE model_id = @ModelId AND version = @version;
                DELETE FROM model_versions WHERE id = @Id;
                UPDATE models SET updated_at = @now, updated_by = @by WHERE id = @ModelId
                """,
                new { ids.ModelId, ids.Id, version, now = clock.GetUtcNow().ToUnixTimeMilliseconds(), by = caller.Name }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "version.delete", Resource(model, version), before, null, cancellationToken);
            return keys.ToList();
        }, cancellationToken);
        await DeleteStoredAsync(store, files, cancellationToken);
    }

    public async Task<ModelVersion> SetTagAsync(Caller caller, string model, int version, string key, string? value, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        _limits.Tags("tags", new Dictionary<string, string> { [key] = value ?? throw new InvalidParameterException("'value' is required.") });
        return await MutateAsync(caller, model, version, "version.tag.set", async (transaction, ids, _) =>
        {
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO version_tags (version_id, key, value) VALUES (@Id, @key, @value)
                ON CONFLICT (version_id, key) DO UPDATE SET value = excluded.value
                """,
                new { ids.Id, key, value }, transaction, cancellationToken: cancellationToken));
        }, cancellationToken);
    }

    public async Task<ModelVersion> DeleteTagAsync(Caller caller, string model, int version, string key, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(model).Namespace);
        return await MutateAsync(caller, model, version, "version.tag.delete", async (transaction, ids, before) =>
        {
            if (!before.Tags.ContainsKey(key))
            {
                throw new NotFoundException($"Version {version} of model '{model}' has no tag '{key}'.");
            }
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                "DELETE FROM version_tags WHERE version_id = @Id AND key = @key", new { ids.Id, key }, transaction, cancellationToken: cancellationToken));
        }, cancellationToken);
    }

    /// <summary>
    /// Moves a version to a stage. Production needs the approver role. With <c>archive_existing</c>, the
    /// versions already in that stage move to Archived in the same transaction, each with its own history entry.
    /// A stage a promotion policy protects (the target, or the stage the version leaves) is refused: it moves only
    /// through a promotion request.
    /// </summary>
    public async Task<ModelVersion> TransitionAsync(Caller caller, string model, int version, StageChange change, CancellationToken cancellationToken)
    {
        var target = ParseStage(change.Stage);
        caller.Require(target == Stage.Production ? Role.Approver : Role.Writer, NamespacePath.Split(model).Namespace);
        return await database.WriteAsync(
            (_, transaction) => MoveStageAsync(transaction, caller.Name, model, version, target, change.ArchiveExisting, change.Comment, governed: true, cancellationToken),
            cancellationToken);
    }

    /// <summary>
    /// Applies an approved promotion's stage move in the promotion's own transaction: the same history, audit entry and
    /// event as a direct transition, without the policy check the approvals have just satisfied.
    /// </summary>
    internal Task<ModelVersion> ApplyPromotionStageAsync(
        DbTransaction transaction, string actor, string model, int version, Stage target, bool archiveExisting, string comment, CancellationToken cancellationToken) =>
        MoveStageAsync(transaction, actor, model, version, target, archiveExisting, comment, governed: false, cancellationToken);

    private Task<ModelVersion> MoveStageAsync(
        DbTransaction transaction, string actor, string model, int version, Stage target, bool archiveExisting, string? comment, bool governed, CancellationToken cancellationToken) =>
        MutateInAsync(transaction, actor, model, version, "version.stage", async (ids, before) =>
        {
            if (governed)
            {
                await ProtectedTargets.CheckDirectChangeAsync(transaction, ids.ModelId, model,
                    [new DirectChange(DirectChangeKind.Move, version, new PromotionTarget(PromotionTargetKind.Stage, target.ToString()), before.Stage)], cancellationToken);
            }
            if (target == Stage.Archived && before.Stage != Stage.Archived)
            {
                // A version serving traffic is not archived under its deployments.
                await Deployments.ServingVersions.CheckNotServingAsync(transaction, ids.ModelId, model, [version], "archived", cancellationToken);
            }
            if (archiveExisting && target is Stage.Staging or Stage.Production)
            {
                var others = (await transaction.Connection!.QueryAsync<long>(new CommandDefinition(
                    "SELECT version FROM model_versions WHERE model_id = @ModelId AND stage = @stage AND version <> @version ORDER BY version",
                    new { ids.ModelId, stage = target.ToString(), version }, transaction, cancellationToken: cancellationToken))).AsList();
                // A version serving traffic stays in the stage under its deployments (a canary's old version while the
                // new one is promoted); it is archived once its traffic has moved.
                var serving = await Deployments.ServingVersions.ServingAsync(transaction, ids.ModelId, others.Select(o => (int)o).ToList(), cancellationToken);
                foreach (var other in others.Where(o => !serving.Contains((int)o)))
                {
                    await SetStageAsync(transaction, ids.ModelId, (int)other, target, Stage.Archived,
                        $"archived by the transition of version {version} to {target}", actor, cancellationToken);
                }
            }
            await SetStageAsync(transaction, ids.ModelId, version, before.Stage, target, comment, actor, cancellationToken);
            // A stage change is a change of the model too (MLflow moves its last_updated_timestamp).
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                "UPDATE models SET updated_at = @now, updated_by = @by WHERE id = @ModelId",
                new { ids.ModelId, now = clock.GetUtcNow().ToUnixTimeMilliseconds(), by = actor }, transaction, cancellationToken: cancellationToken));
        }, cancellationToken);

    public async Task<IReadOnlyList<StageTransition>> StageHistoryAsync(Caller caller, string model, int version, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        return await database.ReadAsync(async connection =>
        {
            var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT v.id FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.full_name = @model AND v.version = @version",
                new { model, version }, cancellationToken: cancellationToken)) ?? throw Missing(model, version);
            var rows = await connection.QueryAsync<TransitionRow>(new CommandDefinition(
                """
                SELECT @version AS version, from_stage, to_stage, comment, changed_at, changed_by
                FROM stage_transitions WHERE version_id = @id ORDER BY id
                """, new { id, version = (long)version }, cancellationToken: cancellationToken));
            return rows.Select(r => new StageTransition(
                (int)r.Version, Enum.Parse<Stage>(r.FromStage), Enum.Parse<Stage>(r.ToStage), r.Comment,
                DateTimeOffset.FromUnixTimeMilliseconds(r.ChangedAt), r.ChangedBy)).ToList();
        }, cancellationToken);
    }

    /// <summary>
    /// The latest stage transitions of every version of a model, newest first, at most <paramref name="max"/> (one
    /// query, for the web UI's model page). A model that does not exist has none.
    /// </summary>
    /// <param name="caller">Who asks: a reader of the model's namespace.</param>
    /// <param name="model">The model's full name.</param>
    /// <param name="max">How many transitions at most.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<StageTransition>> ModelStageHistoryAsync(Caller caller, string model, int max, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        var rows = await database.ReadAsync(connection => connection.QueryAsync<TransitionRow>(new CommandDefinition(
            """
            SELECT v.version, t.from_stage, t.to_stage, t.comment, t.changed_at, t.changed_by
            FROM stage_transitions t JOIN model_versions v ON v.id = t.version_id JOIN models m ON m.id = v.model_id
            WHERE m.full_name = @model ORDER BY t.id DESC LIMIT @max
            """, new { model, max }, cancellationToken: cancellationToken)), cancellationToken);
        return rows.Select(r => new StageTransition(
            (int)r.Version, Enum.Parse<Stage>(r.FromStage), Enum.Parse<Stage>(r.ToStage), r.Comment,
            DateTimeOffset.FromUnixTimeMilliseconds(r.ChangedAt), r.ChangedBy)).ToList();
    }

    /// <summary>Versions of one model (404 if the model does not exist) or, with no model, of all models.</summary>
    public async Task<VersionPage> SearchAsync(Caller caller, string? model, VersionQuery query, CancellationToken cancellationToken)
    {
        var size = Paging.PageSize(query.MaxResults, DefaultPageSize, query.Grammar == FilterGrammar.Mlflow ? MlflowMaxPageSize : MaxPageSize);
        var parameters = new Dictionary<string, object?>();
        var where = new List<string>();
        if (model is not null)
        {
            caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
            parameters["model"] = model;
            where.Add("m.full_name = @model");
        }
        else if (ModelCatalog.NamespaceScope(caller, "m.namespace", parameters) is { } scope)
        {
            where.Add(scope);
        }
        var mlflow = query.Grammar == FilterGrammar.Mlflow;
        var schema = mlflow ? MlflowSchema : Schema;
        if ((query.Expression ?? (mlflow ? MlflowFilter.Parse(query.Filter) : FilterParser.Parse(query.Filter))) is { } filter)
        {
            where.Add(FilterCompiler.Compile(filter, schema, database.Dialect, parameters));
        }
        var defaultOrder = mlflow ? "name ASC, version_number DESC" : model is null ? "name ASC, version DESC" : "version DESC";
        // The native API also orders by metrics.<key>, tags.<key> and params.<key>; MLflow's keeps MLflow's attributes.
        var orderBy = OrderByClause.ToSql(query.OrderBy, schema, defaultOrder, mlflow ? null : parameters);
        var page = OffsetPage.Start(size, query.PageToken, string.Join('\n', model, query.Filter, query.OrderBy, query.Grammar));
        page.AddTo(parameters);
        var sql = SelectVersions
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + $" ORDER BY {orderBy}" + OffsetPage.Sql;
        return await database.ReadAsync(async connection =>
        {
            if (model is not null && await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM models WHERE full_name = @model", new { model }, cancellationToken: cancellationToken)) == 0)
            {
                throw ModelCatalog.Missing(model);
            }
            var rows = await ReadVersionsAsync(connection, null, sql, new DynamicParameters(parameters), query.Parts, cancellationToken);
            var (versions, next) = page.Cut(rows);
            return new VersionPage(versions, next);
        }, cancellationToken);
    }

    /// <summary>
    /// The newest version in each stage of each of <paramref name="models"/> (full names), in version order: one query
    /// for a whole page of models. A model without versions, or that does not exist, maps to an empty list.
    /// </summary>
    /// <param name="caller">Who asks: needs to be a reader of every model's namespace.</param>
    /// <param name="models">The models' full names.</param>
    /// <param name="parts">The collections of each version to read (MLflow's latest versions carry only their tags).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<ModelVersion>>> LatestPerStageAsync(
        Caller caller, IReadOnlyCollection<string> models, VersionParts parts, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, IReadOnlyList<ModelVersion>>(StringComparer.Ordinal);
        if (models.Count == 0)
        {
            return result;
        }
        foreach (var model in models)
        {
            caller.Require(Role.Reader, NamespacePath.Split(model).Namespace);
        }
        // The names as one parameter, as ReadVersionsAsync passes its ids.
        var parameters = new { names = database.Dialect.ValueSetParameter(models.Distinct(StringComparer.Ordinal)) };
        var set = database.Dialect.ValueSet("@names", "TEXT");
        // The newest version per (model, stage) is found by grouping the page's versions once; the full rows are then
        // read for those few (model, version) pairs only.
        var sql = $"""
            WITH latest AS (
                SELECT lv.model_id, MAX(lv.version) AS version
                FROM model_versions lv JOIN models lm ON lm.id = lv.model_id
                WHERE lm.full_name IN {set}
                GROUP BY lv.model_id, lv.stage)
            {SelectVersions} JOIN latest l ON l.model_id = v.model_id AND l.version = v.version
            ORDER BY m.full_name, v.version
            """;
        var rows = await database.ReadAsync(c => ReadVersionsAsync(c, null, sql, parameters, parts, cancellationToken), cancellationToken);
        foreach (var group in rows.GroupBy(v => v.Model, StringComparer.Ordinal))
        {
            result[group.Key] = group.ToList();
        }
        foreach (var model in models)
        {
            result.TryAdd(model, []);
        }
        return result;
    }

    /// <summary>
    /// Removes the files of deleted versions once the deletion has committed. A failure here leaves
    /// orphans, which the start-up janitor removes; it never leaves rows pointing at missing files.
    /// </summary>
    internal static async Task DeleteStoredAsync(IArtifactStore store, IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys)
        {
            await store.DeleteAsync(key, cancellationToken);
        }
    }

    /// <summary>The stage (unless None) and the aliases a version holds, as changes its deletion would make.</summary>
    internal static List<DirectChange> HeldTargets(ModelVersion held)
    {
        var changes = new List<DirectChange>();
        if (held.Stage != Stage.None)
        {
            changes.Add(new DirectChange(DirectChangeKind.Delete, held.Version, new PromotionTarget(PromotionTargetKind.Stage, held.Stage.ToString())));
        }
        changes.AddRange(held.Aliases.Select(alias => new DirectChange(DirectChangeKind.Delete, held.Version, new PromotionTarget(PromotionTargetKind.Alias, alias))));
        return changes;
    }

    public static Stage ParseStage(string? stage) =>
        Enum.TryParse<Stage>(stage, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(stage, out _)
            ? parsed
            : throw new InvalidParameterException($"'stage' must be one of None, Staging, Production, Archived; got '{stage}'.");

    /// <summary>A stage name written in any case as it is stored (<c>production</c> → <c>Production</c>); anything else as it is.</summary>
    internal static string CanonicalStage(string value) =>
        Enum.TryParse<Stage>(value, ignoreCase: true, out var stage) && Enum.IsDefined(stage) && !int.TryParse(value, out _) ? stage.ToString() : value;

    internal static string Resource(string model, int version) => $"models/{model}/versions/{version}";

    internal static NotFoundException Missing(string model, int version) => new($"Version {version} of model '{model}' does not exist.");

    internal static async Task<bool> VersionExistsAsync(DbTransaction transaction, long modelId, int version, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM model_versions WHERE model_id = @modelId AND version = @version",
            new { modelId, version }, transaction, cancellationToken: cancellationToken)) > 0;

    internal sealed record VersionIds(long ModelId, long Id);

    internal static async Task<VersionIds> IdsAsync(DbTransaction transaction, string model, int version, CancellationToken cancellationToken)
    {
        var modelId = await transaction.Connection!.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM models WHERE full_name = @model", new { model }, transaction, cancellationToken: cancellationToken))
            ?? throw ModelCatalog.Missing(model);
        var id = await transaction.Connection!.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM model_versions WHERE model_id = @modelId AND version = @version", new { modelId, version }, transaction, cancellationToken: cancellationToken))
            ?? throw Missing(model, version);
        return new VersionIds(modelId, id);
    }

    private async Task<ModelVersion> MutateAsync(
        Caller caller, string model, int version, string action, Func<DbTransaction, VersionIds, ModelVersion, Task> change, CancellationToken cancellationToken) =>
        await database.WriteAsync(
            (_, transaction) => MutateInAsync(transaction, caller.Name, model, version, action, (ids, before) => change(transaction, ids, before), cancellationToken),
            cancellationToken);

    /// <summary>Runs a change to one version in <paramref name="transaction"/>, bumps its updated_at/by and audits before and after.</summary>
    private async Task<ModelVersion> MutateInAsync(
        DbTransaction transaction, string actor, string model, int version, string action, Func<VersionIds, ModelVersion, Task> change, CancellationToken cancellationToken)
    {
        var ids = await IdsAsync(transaction, model, version, cancellationToken);
        var before = await LoadAsync(transaction, model, version, cancellationToken);
        await change(ids, before);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE model_versions SET updated_at = @now, updated_by = @by WHERE id = @Id",
            new { ids.Id, now = clock.GetUtcNow().ToUnixTimeMilliseconds(), by = actor }, transaction, cancellationToken: cancellationToken));
        var after = await LoadAsync(transaction, model, version, cancellationToken);
        await audit.AppendAsync(transaction, actor, action, Resource(model, version), before, after, cancellationToken);
        return after;
    }

    private async Task SetStageAsync(DbTransaction transaction, long modelId, int version, Stage from, Stage to, string? comment, string by, CancellationToken cancellationToken)
    {
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            """
            UPDATE model_versions SET stage = @to, updated_at = @now, updated_by = @by WHERE model_id = @modelId AND version = @version;
            INSERT INTO stage_transitions (version_id, from_stage, to_stage, comment, changed_at, changed_by)
            SELECT id, @from, @to, @comment, @now, @by FROM model_versions WHERE model_id = @modelId AND version = @version;
            """,
            new { modelId, version, from = from.ToString(), to = to.ToString(), comment, now = clock.GetUtcNow().ToUnixTimeMilliseconds(), by },
            transaction, cancellationToken: cancellationToken));
    }

    private async Task<ModelVersion> LoadAsync(DbTransaction transaction, string model, int version, CancellationToken cancellationToken)
    {
        var found = await ReadVersionsAsync(transaction.Connection!, transaction,
            SelectVersions + " WHERE m.full_name = @model AND v.version = @version", new { model, version }, VersionParts.All, cancellationToken);
        return found.Count == 0 ? throw Missing(model, version) : found[0];
    }

    private static async Task CheckSemverFreeAsync(DbTransaction transaction, long modelId, string model, string? semver, int? except, CancellationToken cancellationToken)
    {
        if (semver is null)
        {
            return;
        }
        var holder = await transaction.Connection!.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT version FROM model_versions WHERE model_id = @modelId AND semver = @semver", new { modelId, semver }, transaction, cancellationToken: cancellationToken));
        if (holder is { } v && v != except)
        {
            throw new AlreadyExistsException($"Semver '{semver}' is already version {v} of model '{model}'.");
        }
    }

    private static async Task InsertPairsAsync<T>(DbTransaction transaction, string table, string valueType, long versionId, IReadOnlyDictionary<string, T> pairs, CancellationToken cancellationToken)
    {
        if (pairs.Count == 0)
        {
            return;
        }
        // One statement with one rows parameter, whatever the number of pairs: a parameter per value hit SQLite's cap
        // on variables, and binding them took time quadratic in their number, all of it under the write lock. The
        // table is one of three constants chosen by the caller.
        var rows = SqlDialects.RowsParameter(pairs.Select(pair => new { pair.Key, pair.Value }));
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO {table} (version_id, key, value) SELECT @versionId, r.key, r.value FROM {SqlDialects.Of(transaction).JsonRows("@rows", [("key", "text"), ("value", valueType)])}",
            new { versionId, rows }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The metrics (empty when none) when they fit the limits: keys as tag keys, values finite (JSON has no NaN or infinity to store them as).</summary>
    private IReadOnlyDictionary<string, double> CheckMetrics(IReadOnlyDictionary<string, double>? metrics)
    {
        if (metrics is null)
        {
            return new Dictionary<string, double>();
        }
        _limits.Entries("metrics", metrics.Count);
        foreach (var (key, value) in metrics)
        {
            _limits.Key("metrics", key);
            if (!double.IsFinite(value))
            {
                throw new InvalidParameterException($"'metrics.{key}' must be a finite number; got {value}.");
            }
        }
        return metrics;
    }

    private static string? CheckSemver(string? semver) =>
        semver is null || SemverPattern().IsMatch(semver)
            ? semver
            : throw new InvalidParameterException($"'semver' must be a semantic version such as 1.4.0 or 2.0.0-rc.1; got '{semver}'.");

    // A version's collections as read. Sorted with the default string comparer, the order the JSON aggregates
    // they replace were read into, so that answers keep their order.
    private sealed class VersionCollections
    {
        public SortedDictionary<string, double>? Metrics;
        public SortedDictionary<string, string>? Params;
        public SortedDictionary<string, string>? Tags;
        public SortedSet<string>? Aliases;

        public void Add(PartRow entry)
        {
            switch (entry.Kind)
            {
                case "m":
                    (Metrics ??= [])[entry.Key] = entry.Number ?? double.NaN;
                    break;
                case "p":
                    (Params ??= [])[entry.Key] = entry.Text ?? "";
                    break;
                case "t":
                    (Tags ??= [])[entry.Key] = entry.Text ?? "";
                    break;
                default:
                    (Aliases ??= []).Add(entry.Key);
                    break;
            }
        }
    }

    private static ModelVersion ToVersion(VersionRow r, VersionCollections? c) => new(
        r.Model, (int)r.Version, r.Semver, r.Description, r.Source, r.RunId, r.Framework,
        r.ParentVersion is null ? null : (int)r.ParentVersion.Value, r.Status, Enum.Parse<Stage>(r.Stage),
        r.Format, r.Signature is null ? null : JsonSerializer.Deserialize<ModelSignature>(r.Signature, CairnJson.Options),
        Json.ToDictionary<string>(r.FormatProperties), r.IntrospectionError,
        (IReadOnlyDictionary<string, double>?)c?.Metrics ?? new Dictionary<string, double>(),
        (IReadOnlyDictionary<string, string>?)c?.Params ?? new Dictionary<string, string>(),
        (IReadOnlyDictionary<string, string>?)c?.Tags ?? new Dictionary<string, string>(),
        c?.Aliases?.ToList() ?? [],
        DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.CreatedBy,
        DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt), r.UpdatedBy, r.RunLink, r.LoggedModelId);
}

/// <summary>What a version registration does with a <c>run_id</c> it cannot link to a run of this store.</summary>
public enum RunReference
{
    /// <summary>Refuses it: 403 when the caller may not read runs, 400 when no such run is recorded. The native API.</summary>
    MustResolve,

    /// <summary>Keeps it unlinked, as MLflow keeps a run of another tracking server (<c>run_link</c>). The MLflow API.</summary>
    MayBeElsewhere,
}

/// <summary>Which collections of a version a read fills; those not asked for come back empty.</summary>
[Flags]
public enum VersionParts
{
    /// <summary>The version's own fields only.</summary>
    None = 0,

    /// <summary>Its metrics.</summary>
    Metrics = 1,

    /// <summary>Its params.</summary>
    Params = 2,

    /// <summary>Its tags.</summary>
    Tags = 4,

    /// <summary>The aliases pointing at it.</summary>
    Aliases = 8,

    /// <summary>Everything: what every read of the native API returns.</summary>
    All = Metrics | Params | Tags | Aliases,
}
