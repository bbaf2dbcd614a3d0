using System.Data.Common;
using System.Text.Json;
using Cairn.Artifacts;
using Cairn.Governance;
using Cairn.Search;
using Cairn.Storage;
using Dapper;

namespace Cairn.Catalog;

/// <summary>The model catalog: create, read, update, delete and search catalog entries and their tags.</summary>
/// <remarks>
/// With <c>secrets</c>, data sources' connection secrets are stored encrypted (<see cref="Encryption.StoredSecrets"/>);
/// without (an embedded catalog with no key ring) they are stored as given. Either way they are masked when shown.
/// </remarks>
public sealed class ModelCatalog(
    CairnDatabase database, AuditChain audit, TimeProvider clock, IArtifactStore store, LimitsOptions? limits = null, Encryption.StoredSecrets? secrets = null)
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    // Get-by-name is the registry's hottest read (every deployment resolves its model); see ChangeStampedCache.
    private readonly ChangeStampedCache<Model> _byName = new(10_000);

    // A model's newest version and the rank of its most advanced stage (Production 3, Staging 2, None 1, Archived 0):
    // correlated to the model row, so a page probes the versions index for its own rows only; a join to versions
    // grouped by model would aggregate every version of the store before the page is cut.
    private const string LatestVersionSql = "(SELECT MAX(lv.version) FROM model_versions lv WHERE lv.model_id = m.id)";

    private const string StageRankSql =
        "(SELECT MAX(CASE sv.stage WHEN 'Production' THEN 3 WHEN 'Staging' THEN 2 WHEN 'None' THEN 1 ELSE 0 END) FROM model_versions sv WHERE sv.model_id = m.id)";

    private static readonly Registry.Stage[] StageByRank = [Registry.Stage.Archived, Registry.Stage.None, Registry.Stage.Staging, Registry.Stage.Production];

    /// <summary>What model searches may filter and order by.</summary>
    public static FilterSchema Schema { get; } = new(
        "m.id",
        [
            new FilterAttribute("name", "m.name", FilterValueType.String),
            new FilterAttribute("full_name", "m.full_name", FilterValueType.String),
            new FilterAttribute("namespace", "m.namespace", FilterValueType.String),
            new FilterAttribute("description", "m.description", FilterValueType.String),
            new FilterAttribute("owner", "m.owner", FilterValueType.String),
            new FilterAttribute("url", "m.url", FilterValueType.String),
            new FilterAttribute("created_by", "m.created_by", FilterValueType.String),
            new FilterAttribute("updated_by", "m.updated_by", FilterValueType.String),
            new FilterAttribute("created_at", "m.created_at", FilterValueType.Timestamp),
            new FilterAttribute("updated_at", "m.updated_at", FilterValueType.Timestamp),
            // Models without versions sort first ascending on both backends (PostgreSQL would put NULL last).
            new FilterAttribute("latest_version", LatestVersionSql, FilterValueType.Number, $"COALESCE({LatestVersionSql}, 0)"),
            new FilterAttribute(
                "stage", $"CASE {StageRankSql} WHEN 3 THEN 'Production' WHEN 2 THEN 'Staging' WHEN 1 THEN 'None' WHEN 0 THEN 'Archived' END",
                FilterValueType.String, $"COALESCE({StageRankSql}, -1)", Registry.ModelRegistry.CanonicalStage),
        ],
        [new FilterCollection("tags", "model_tags", "model_id", "key", "value", FilterValueType.String)]);

    /// <summary>The same search in MLflow's names: a registered model's name is its full name.</summary>
    public static FilterSchema MlflowSchema { get; } = new(
        "m.id",
        [
            new FilterAttribute("name", "m.full_name", FilterValueType.String),
            new FilterAttribute("creation_timestamp", "m.created_at", FilterValueType.Number),
            new FilterAttribute("last_updated_timestamp", "m.updated_at", FilterValueType.Number),
            new FilterAttribute("timestamp", "m.updated_at", FilterValueType.Number),
        ],
        [new FilterCollection("tags", "model_tags", "model_id", "key", "value", FilterValueType.String)]);

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    internal sealed record ModelRow
    {
        public long Id { get; init; }
        public string Namespace { get; init; } = "";
        public string Name { get; init; } = "";
        public string FullName { get; init; } = "";
        public string? Description { get; init; }
        public string? Owner { get; init; }
        public string? Url { get; init; }
        public string DataSources { get; init; } = "";
        public string? Inference { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
        public string? Tags { get; init; }
        public string? Aliases { get; init; }
        public long? LatestVersion { get; init; }
        public long? StageRank { get; init; }
    }

    private string SelectModels => $"""
        SELECT m.id, m.namespace, m.name, m.full_name, m.description, m.owner, m.url, m.data_sources, m.inference,
               m.created_at, m.created_by, m.updated_at, m.updated_by,
               (SELECT {database.Dialect.JsonObjectAggregate("t.key", "t.value")} FROM model_tags t WHERE t.model_id = m.id) AS tags,
               (SELECT {database.Dialect.JsonObjectAggregate("a.alias", "a.version")} FROM aliases a WHERE a.model_id = m.id) AS aliases,
               {LatestVersionSql} AS latest_version,
               {StageRankSql} AS stage_rank
        FROM models m
        """;

    public async Task<Model> CreateAsync(Caller caller, CreateModelRequest request, CancellationToken cancellationToken)
    {
        var ns = NamespacePath.Normalize(request.Namespace);
        var name = NamespacePath.CheckName(request.ModelName, ns);
        caller.Require(Role.Writer, ns);
        var dataSources = CheckDataSources(request.DataSources ?? []);
        var tags = Limits.Tags("tags", request.Tags);
        Limits.Description("description", request.Description);
        var fullName = NamespacePath.FullName(ns, name);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();

        return await database.WriteAsync(async (connection, transaction) =>
        {
            var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM models WHERE full_name = @fullName", new { fullName }, transaction, cancellationToken: cancellationToken));
            if (exists > 0)
            {
                throw new AlreadyExistsException($"Model '{fullName}' already exists.");
            }
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO models (namespace, name, full_name, description, owner, url, data_sources, inference, created_at, created_by, updated_at, updated_by)
                VALUES (@ns, @name, @fullName, @Description, @Owner, @Url, @dataSources, @inference, @now, @by, @now, @by)
                RETURNING id
                """,
                new
                {
                    ns,
                    name,
                    fullName,
                    request.Description,
                    request.Owner,
                    request.Url,
                    dataSources = JsonSerializer.Serialize(Seal(dataSources), CairnJson.Options),
                    inference = request.Inference is null ? null : JsonSerializer.Serialize(request.Inference, CairnJson.Options),
                    now,
                    by = caller.Name,
                },
                transaction, cancellationToken: cancellationToken));
            if (tags.Count > 0)
            {
                // One statement with one rows parameter however many tags: none per tag under the write lock.
                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO model_tags (model_id, key, value) SELECT @id, r.key, r.value FROM {database.Dialect.JsonRows("@rows", [("key", "text"), ("value", "text")])}",
                    new { id, rows = SqlDialects.RowsParameter(tags.Select(t => new { t.Key, t.Value })) }, transaction, cancellationToken: cancellationToken));
            }
            var model = await LoadAsync(transaction, fullName, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "model.create", Resource(fullName), null, model, cancellationToken);
            return model;
        }, cancellationToken);
    }

    public async Task<Model> GetAsync(Caller caller, string fullName, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Split(fullName).Namespace);
        return await database.ReadAsync(async connection =>
            await _byName.GetAsync(connection, fullName, async () =>
            {
                var row = await connection.QuerySingleOrDefaultAsync<ModelRow>(new CommandDefinition(
                    SelectModels + " WHERE m.full_name = @fullName", new { fullName }, cancellationToken: cancellationToken));
                return row is null ? null : ToModel(row);
            }, cancellationToken) ?? throw Missing(fullName), cancellationToken);
    }

    public async Task<Model> UpdateAsync(Caller caller, string fullName, UpdateModelRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(fullName).Namespace);
        Limits.Description("description", request.Description);
        if (request.DataSources is not null)
        {
            CheckDataSources(request.DataSources);
        }
        return await MutateAsync(caller, fullName, "model.update", async (transaction, id, before) =>
        {
            var stored = await StoredDataSourcesAsync(transaction, id, cancellationToken);
            var dataSources = request.DataSources is null ? null : Seal(Secrets.KeepMasked(request.DataSources, stored));
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                UPDATE models SET
                    description = COALESCE(@Description, description),
                    owner = COALESCE(@Owner, owner),
                    url = COALESCE(@Url, url),
                    data_sources = COALESCE(@dataSources, data_sources),
                    inference = COALESCE(@inference, inference)
                WHERE id = @id
                """,
                new
                {
                    id,
                    request.Description,
                    request.Owner,
                    request.Url,
                    dataSources = dataSources is null ? null : JsonSerializer.Serialize(dataSources, CairnJson.Options),
                    inference = request.Inference is null ? null : JsonSerializer.Serialize(request.Inference, CairnJson.Options),
                },
                transaction, cancellationToken: cancellationToken));
        }, cancellationToken);
    }

    public async Task DeleteAsync(Caller caller, string fullName, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, NamespacePath.Split(fullName).Namespace);
        var files = await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadAsync(transaction, fullName, cancellationToken);
            var modelId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT id FROM models WHERE full_name = @fullName", new { fullName }, transaction, cancellationToken: cancellationToken));
            // A model whose versions hold a protected stage or alias stays until promotions move them elsewhere.
            await ProtectedTargets.CheckDirectChangeAsync(transaction, modelId, fullName, await HeldTargetsAsync(transaction, modelId, cancellationToken), cancellationToken);
            // A model whose versions serve traffic stays until its deployments are deleted.
            await Deployments.ServingVersions.CheckNotServingAsync(transaction, modelId, fullName, null, "deleted", cancellationToken);
            await PromotionRequests.CancelPendingAsync(transaction, audit, clock, caller.Name, modelId, null, $"model '{fullName}' was deleted", cancellationToken);
            var keys = await connection.QueryAsync<string>(new CommandDefinition(
                """
                SELECT f.storage_key FROM version_files f JOIN model_versions v ON v.id = f.version_id JOIN models m ON m.id = v.model_id
                WHERE m.full_name = @fullName
                """, new { fullName }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM models WHERE full_name = @fullName", new { fullName }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "model.delete", Resource(fullName), before, null, cancellationToken);
            return keys.ToList();
        }, cancellationToken);
        await Registry.ModelRegistry.DeleteStoredAsync(store, files, cancellationToken);
    }

    /// <summary>
    /// Gives a model a new full name, possibly in another namespace (writer on both). Versions, aliases and tags go
    /// with it; stored files keep their recorded storage keys, so nothing moves on disk.
    /// </summary>
    public async Task<Model> RenameAsync(Caller caller, string fullName, string newFullName, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(fullName).Namespace);
        var (ns, name) = NamespacePath.Split(newFullName);
        caller.Require(Role.Writer, ns);
        var target = NamespacePath.FullName(ns, name);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadAsync(transaction, fullName, cancellationToken);
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM models WHERE full_name = @target", new { target }, transaction, cancellationToken: cancellationToken)) > 0)
            {
                throw new AlreadyExistsException($"Model '{target}' already exists.");
            }
            var modelId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT id FROM models WHERE full_name = @fullName", new { fullName }, transaction, cancellationToken: cancellationToken));
            // Moving to another namespace must not shed a protection: what the model holds stays protected there.
            await ProtectedTargets.CheckRenameAsync(transaction, modelId, fullName, target, await HeldTargetsAsync(transaction, modelId, cancellationToken), cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE models SET namespace = @ns, name = @name, full_name = @target, updated_at = @now, updated_by = @by WHERE full_name = @fullName",
                new { ns, name, target, now, by = caller.Name, fullName }, transaction, cancellationToken: cancellationToken));
            // Open promotion requests follow the model: their namespace decides who may approve them.
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE promotion_requests SET model = @target, namespace = @ns WHERE model_id = (SELECT id FROM models WHERE full_name = @target) AND status = 'PENDING'",
                new { ns, target }, transaction, cancellationToken: cancellationToken));
            var after = await LoadAsync(transaction, target, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "model.rename", Resource(fullName), before, after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    public async Task<Model> SetTagAsync(Caller caller, string fullName, string key, string? value, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(fullName).Namespace);
        Limits.Tags("tags", new Dictionary<string, string> { [key] = value ?? throw new InvalidParameterException("'value' is required.") });
        return await MutateAsync(caller, fullName, "model.tag.set", (transaction, id, _) =>
            transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO model_tags (model_id, key, value) VALUES (@id, @key, @value)
                ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value
                """,
                new { id, key, value }, transaction, cancellationToken: cancellationToken)), cancellationToken);
    }

    public async Task<Model> DeleteTagAsync(Caller caller, string fullName, string key, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Split(fullName).Namespace);
        return await MutateAsync(caller, fullName, "model.tag.delete", async (transaction, id, before) =>
        {
            if (!before.Tags.ContainsKey(key))
            {
                throw new NotFoundException($"Model '{fullName}' has no tag '{key}'.");
            }
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                "DELETE FROM model_tags WHERE model_id = @id AND key = @key", new { id, key }, transaction, cancellationToken: cancellationToken));
        }, cancellationToken);
    }

    /// <summary>The namespaces that hold models the caller may read, with their counts, in path order (one grouped query).</summary>
    public async Task<IReadOnlyList<NamespaceCount>> NamespacesAsync(Caller caller, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, object?>();
        var scope = NamespaceScope(caller, "namespace", parameters);
        var sql = "SELECT namespace, COUNT(*) AS models FROM models" + (scope is null ? "" : " WHERE " + scope) + " GROUP BY namespace ORDER BY namespace";
        var rows = await database.ReadAsync(c => c.QueryAsync<(string Namespace, long Models)>(
            new CommandDefinition(sql, new DynamicParameters(parameters), cancellationToken: cancellationToken)), cancellationToken);
        return rows.Select(r => new NamespaceCount(r.Namespace, (int)r.Models)).ToList();
    }

    public async Task<ModelPage> SearchAsync(Caller caller, ModelQuery query, CancellationToken cancellationToken)
    {
        var size = Paging.PageSize(query.MaxResults, DefaultPageSize, MaxPageSize);
        var parameters = new Dictionary<string, object?>();
        var where = new List<string>();
        var mlflow = query.Grammar == FilterGrammar.Mlflow;
        var schema = mlflow ? MlflowSchema : Schema;
        if ((query.Expression ?? (mlflow ? MlflowFilter.Parse(query.Filter) : FilterParser.Parse(query.Filter))) is { } filter)
        {
            where.Add(FilterCompiler.Compile(filter, schema, database.Dialect, parameters));
        }
        if (!string.IsNullOrWhiteSpace(query.Q))
        {
            where.Add(ModelFreeText.Condition(query.Q, database.Dialect, parameters));
        }
        if (NamespaceScope(caller, "m.namespace", parameters) is { } scope)
        {
            where.Add(scope);
        }
        if (!string.IsNullOrEmpty(query.Under) && NamespacePath.Normalize(query.Under) is var under && under != NamespacePath.Root)
        {
            parameters["under"] = under;
            parameters["underbelow"] = Paging.EscapeLike(under) + "/%";
            where.Add("(m.namespace = @under OR m.namespace LIKE @underbelow ESCAPE '\\')");
        }
        var orderBy = OrderByClause.ToSql(query.OrderBy, schema, mlflow ? "name ASC" : "full_name ASC");
        var page = OffsetPage.Start(size, query.PageToken, string.Join('\n', query.Filter, query.Q, query.OrderBy, query.Grammar, query.Under));
        page.AddTo(parameters);
        // The page's ids first, then the page's rows with their tags, aliases and latest version: the correlated
        // subqueries run for the page only, never for every match that a sort or an offset passes over.
        var sql = SelectModels
            + " WHERE m.id IN (SELECT m.id FROM models m"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + $" ORDER BY {orderBy}" + OffsetPage.Sql + ")"
            + $" ORDER BY {orderBy}";
        var rows = await database.ReadAsync(c => c.QueryAsync<ModelRow>(new CommandDefinition(sql, new DynamicParameters(parameters), cancellationToken: cancellationToken)), cancellationToken);
        var (models, next) = page.Cut(rows.Select(ToModel));
        return new ModelPage(models, next);
    }

    /// <summary>
    /// SQL restricting rows to the namespaces the caller may read (null when unrestricted), so that a
    /// search never shows what a direct read would refuse.
    /// </summary>
    internal static string? NamespaceScope(Caller caller, string column, IDictionary<string, object?> parameters)
    {
        if (caller.ReadableNamespaces() is not { } readable)
        {
            return null;
        }
        if (readable.Count == 0)
        {
            return "1 = 0";
        }
        var clauses = readable.Select((ns, i) =>
        {
            parameters[$"ns{i}"] = ns;
            parameters[$"nsbelow{i}"] = Paging.EscapeLike(ns) + "/%";
            return $"({column} = @ns{i} OR {column} LIKE @nsbelow{i} ESCAPE '\\')";
        });
        return "(" + string.Join(" OR ", clauses) + ")";
    }

    /// <summary>Runs a change to one model in a transaction, bumps its updated_at/by and audits before and after.</summary>
    private async Task<Model> MutateAsync(Caller caller, string fullName, string action, Func<DbTransaction, long, Model, Task> change, CancellationToken cancellationToken) =>
        await database.WriteAsync(async (connection, transaction) =>
        {
            var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT id FROM models WHERE full_name = @fullName", new { fullName }, transaction, cancellationToken: cancellationToken))
                ?? throw Missing(fullName);
            var before = await LoadAsync(transaction, fullName, cancellationToken);
            await change(transaction, id, before);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE models SET updated_at = @now, updated_by = @by WHERE id = @id",
                new { id, now = clock.GetUtcNow().ToUnixTimeMilliseconds(), by = caller.Name }, transaction, cancellationToken: cancellationToken));
            var after = await LoadAsync(transaction, fullName, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, action, Resource(fullName), before, after, cancellationToken);
            return after;
        }, cancellationToken);

    internal async Task<Model> LoadAsync(DbTransaction transaction, string fullName, CancellationToken cancellationToken)
    {
        var row = await transaction.Connection!.QuerySingleOrDefaultAsync<ModelRow>(new CommandDefinition(
            SelectModels + " WHERE m.full_name = @fullName", new { fullName }, transaction, cancellationToken: cancellationToken));
        return row is null ? throw Missing(fullName) : ToModel(row);
    }

    /// <summary>Every stage (but None) and alias the versions of a model hold, as changes deleting the model would make (one query).</summary>
    private static async Task<IReadOnlyList<DirectChange>> HeldTargetsAsync(DbTransaction transaction, long modelId, CancellationToken cancellationToken)
    {
        var held = await transaction.Connection!.QueryAsync<(long Version, string Kind, string Name)>(new CommandDefinition(
            """
            SELECT version, 'Stage' AS kind, stage AS name FROM model_versions WHERE model_id = @modelId AND stage <> 'None'
            UNION ALL
            SELECT version, 'Alias' AS kind, alias AS name FROM aliases WHERE model_id = @modelId
            ORDER BY 1, 2 DESC, 3
            """, new { modelId }, transaction, cancellationToken: cancellationToken));
        return held.Select(h => new DirectChange(DirectChangeKind.Delete, (int)h.Version, new PromotionTarget(Enum.Parse<PromotionTargetKind>(h.Kind), h.Name))).ToList();
    }

    internal static string Resource(string fullName) => $"models/{fullName}";

    internal static NotFoundException Missing(string fullName) => new($"Model '{fullName}' does not exist.");

    private static async Task<IReadOnlyList<DataSource>> StoredDataSourcesAsync(DbTransaction transaction, long id, CancellationToken cancellationToken)
    {
        var json = await transaction.Connection!.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT data_sources FROM models WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        return JsonSerializer.Deserialize<List<DataSource>>(json ?? "[]", CairnJson.Options) ?? [];
    }

    /// <summary>The limits this catalog holds writes to: descriptions, tags, lists.</summary>
    internal LimitsOptions Limits { get; } = limits ?? new LimitsOptions();

    private IReadOnlyList<DataSource> Seal(IReadOnlyList<DataSource> sources) => secrets is null ? sources : secrets.SealDataSources(sources);

    private IReadOnlyList<DataSource> CheckDataSources(IReadOnlyList<DataSource> sources)
    {
        Limits.List("data_sources", sources.Count);
        for (var i = 0; i < sources.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(sources[i]?.Name))
            {
                throw new InvalidParameterException($"'data_sources[{i}].name' is required.");
            }
            Encryption.StoredSecrets.RefuseSealed($"data_sources[{i}].connection", sources[i].Connection);
        }
        var duplicate = sources.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? sources : throw new InvalidParameterException($"'data_sources' names must be unique; '{duplicate.Key}' appears twice.");
    }

    private static Model ToModel(ModelRow r) => new(
        r.FullName, r.Namespace, r.Name, r.Description, r.Owner, r.Url,
        Secrets.MaskAll(JsonSerializer.Deserialize<List<DataSource>>(r.DataSources, CairnJson.Options) ?? []),
        r.Inference is null ? null : JsonSerializer.Deserialize<InferenceSpec>(r.Inference, CairnJson.Options),
        Json.ToDictionary<string>(r.Tags), Json.ToDictionary<int>(r.Aliases),
        r.LatestVersion is null ? null : (int)r.LatestVersion.Value,
        DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.CreatedBy,
        DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt), r.UpdatedBy,
        r.StageRank is { } rank ? StageByRank[(int)rank] : null);
}
