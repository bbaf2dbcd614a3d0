using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Search;
using Cairn.Storage;
using Dapper;

namespace Cairn.Lineage;

/// <summary>
/// The ML metadata repository: datasets (with their version history), features and executions. Each is a node of
/// the lineage graph under the same id, so what a write says it read or wrote becomes edges of that graph in the same
/// transaction. Writes create or update (datasets and features are named by namespace and name, executions by run id):
/// producers such as OpenLineage integrations re-send what they know, and a re-send must not fail.
/// Reading needs reader on "/", writing writer on "/", as for the rest of the lineage graph (decision 0007).
/// </summary>
public sealed class MetadataStore(CairnDatabase database, AuditChain audit, TimeProvider clock, LimitsOptions? limits = null)
{
    private readonly LimitsOptions _limits = limits ?? new LimitsOptions();

    private readonly ColumnLineage _columnLineage = new(database);

    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    /// <summary>Execution types every store knows; more are declared as MLMD execution types.</summary>
    public static readonly IReadOnlyList<string> BuiltInExecutionTypes = ["training", "evaluation", "ingestion", "transformation"];

    private static readonly FilterCollection Tags = new("tags", "metadata_tags", "entity_id", "key", "value", FilterValueType.String);

    public static FilterSchema DatasetSchema { get; } = new(
        "d.id",
        [
            new FilterAttribute("name", "d.name", FilterValueType.String),
            new FilterAttribute("namespace", "d.namespace", FilterValueType.String),
            new FilterAttribute("version", "d.version", FilterValueType.String),
            new FilterAttribute("location", "d.location", FilterValueType.String),
            new FilterAttribute("description", "d.description", FilterValueType.String),
            new FilterAttribute("created_by", "d.created_by", FilterValueType.String),
            new FilterAttribute("updated_by", "d.updated_by", FilterValueType.String),
            new FilterAttribute("created_at", "d.created_at", FilterValueType.Timestamp),
            new FilterAttribute("updated_at", "d.updated_at", FilterValueType.Timestamp),
        ],
        [Tags]);

    public static FilterSchema FeatureSchema { get; } = new(
        "f.id",
        [
            new FilterAttribute("name", "f.name", FilterValueType.String),
            new FilterAttribute("namespace", "f.namespace", FilterValueType.String),
            new FilterAttribute("value_type", "f.value_type", FilterValueType.String),
            new FilterAttribute("description", "f.description", FilterValueType.String),
            new FilterAttribute("dataset", "f.dataset_id", FilterValueType.String),
            new FilterAttribute("created_by", "f.created_by", FilterValueType.String),
            new FilterAttribute("updated_by", "f.updated_by", FilterValueType.String),
            new FilterAttribute("created_at", "f.created_at", FilterValueType.Timestamp),
            new FilterAttribute("updated_at", "f.updated_at", FilterValueType.Timestamp),
        ],
        [Tags]);

    public static FilterSchema ExecutionSchema { get; } = new(
        "e.id",
        [
            new FilterAttribute("run_id", "e.run_id", FilterValueType.String),
            new FilterAttribute("type", "e.type", FilterValueType.String),
            new FilterAttribute("job_namespace", "e.job_namespace", FilterValueType.String),
            new FilterAttribute("job_name", "e.job_name", FilterValueType.String),
            new FilterAttribute("state", "e.state", FilterValueType.String),
            new FilterAttribute("parent_run_id", "e.parent_run_id", FilterValueType.String),
            new FilterAttribute("started_at", "e.started_at", FilterValueType.Timestamp),
            new FilterAttribute("ended_at", "e.ended_at", FilterValueType.Timestamp),
            new FilterAttribute("created_by", "e.created_by", FilterValueType.String),
            new FilterAttribute("created_at", "e.created_at", FilterValueType.Timestamp),
            new FilterAttribute("updated_at", "e.updated_at", FilterValueType.Timestamp),
        ],
        [Tags]);

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    internal sealed record DatasetRow
    {
        public string Id { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Version { get; init; }
        public string? Location { get; init; }
        public string? Description { get; init; }
        public string? Schema { get; init; }
        public string? Statistics { get; init; }
        public string Properties { get; init; } = "{}";
        public string Facets { get; init; } = "{}";
        public string? Tags { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
    }

    internal sealed record FeatureRow
    {
        public string Id { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string Name { get; init; } = "";
        public string ValueType { get; init; } = "";
        public string? Description { get; init; }
        public string? DatasetId { get; init; }
        public string? Statistics { get; init; }
        public string Properties { get; init; } = "{}";
        public string? Tags { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
    }

    internal sealed record ExecutionRow
    {
        public string Id { get; init; } = "";
        public string RunId { get; init; } = "";
        public string Type { get; init; } = "";
        public string JobNamespace { get; init; } = "";
        public string JobName { get; init; } = "";
        public string State { get; init; } = "";
        public string Properties { get; init; } = "{}";
        public string Facets { get; init; } = "{}";
        public string? ParentRunId { get; init; }
        public long? StartedAt { get; init; }
        public long? EndedAt { get; init; }
        public string? Tags { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
    }

    /// <summary>A dataset as a batch of writes folds it: what the row will hold, and who wrote it last.</summary>
    internal sealed record StoredDataset
    {
        public string Id { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Version { get; init; }
        public string? Location { get; init; }
        public string? Description { get; init; }
        public string? Schema { get; init; }
        public string? Statistics { get; init; }
        public string Properties { get; init; } = "{}";
        public string Facets { get; init; } = "{}";
        public string Actor { get; init; } = "";
    }

    /// <summary>An execution as a batch of writes folds it: what the row will hold, and who wrote it last.</summary>
    internal sealed record StoredExecution
    {
        public string Id { get; init; } = "";
        public string RunId { get; init; } = "";
        public string Type { get; init; } = "";
        public string JobNamespace { get; init; } = "";
        public string JobName { get; init; } = "";
        public string State { get; init; } = "";
        public string Properties { get; init; } = "{}";
        public string Facets { get; init; } = "{}";
        public string? ParentRunId { get; init; }
        public long? StartedAt { get; init; }
        public long? EndedAt { get; init; }
        public string Actor { get; init; } = "";
    }

    internal sealed record DatasetVersionWrite(string DatasetId, string Version, string? Location, string? Schema, string? Statistics, string Facets, string? RunId, string Actor);

    private sealed record TagWrite(string EntityId, string Key, string Value);

    /// <summary>Dataset writes merged, not yet written: each write's node in order, and the rows to write.</summary>
    internal sealed record DatasetMerge(
        IReadOnlyList<LineageNode> Nodes, IReadOnlyList<StoredDataset> Rows, IReadOnlyList<DatasetVersionWrite> Versions, IReadOnlyDictionary<(string Id, string Key), string> Tags);

    /// <summary>Execution writes merged, not yet written: each write's run node in order, and the rows to write.</summary>
    internal sealed record ExecutionMerge(IReadOnlyList<LineageNode> Nodes, IReadOnlyList<StoredExecution> Rows, IReadOnlyDictionary<(string Id, string Key), string> Tags);

    // The columns of the JSON rows set-based writes send (see ISqlDialect.JsonRows), named as the records serialise.
    private static readonly (string, string)[] DatasetColumns =
        [("id", "text"), ("namespace", "text"), ("name", "text"), ("version", "text"), ("location", "text"), ("description", "text"),
         ("schema", "text"), ("statistics", "text"), ("properties", "text"), ("facets", "text"), ("actor", "text")];

    private static readonly (string, string)[] VersionColumns =
        [("dataset_id", "text"), ("version", "text"), ("location", "text"), ("schema", "text"), ("statistics", "text"), ("facets", "text"), ("run_id", "text"), ("actor", "text")];

    private static readonly (string, string)[] ExecutionColumns =
        [("id", "text"), ("run_id", "text"), ("type", "text"), ("job_namespace", "text"), ("job_name", "text"), ("state", "text"), ("properties", "text"),
         ("facets", "text"), ("parent_run_id", "text"), ("started_at", "bigint"), ("ended_at", "bigint"), ("actor", "text")];

    private static readonly (string, string)[] RunDatasetFacetColumns = [("run_id", "text"), ("dataset_id", "text"), ("direction", "text"), ("facets", "text")];

    private static readonly (string, string)[] TagColumns = [("entity_id", "text"), ("key", "text"), ("value", "text")];

    private sealed record DatasetVersionRow
    {
        public string Version { get; init; } = "";
        public string? Location { get; init; }
        public string? Schema { get; init; }
        public string? Statistics { get; init; }
        public string? Facets { get; init; }
        public string? RunId { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    private string TagsOf(string idColumn) =>
        $"(SELECT {database.Dialect.JsonObjectAggregate("t.key", "t.value")} FROM metadata_tags t WHERE t.entity_id = {idColumn}) AS tags";

    private string SelectDatasets => $"""
        SELECT d.id, d.namespace, d.name, d.version, d.location, d.description, d.schema, d.statistics, d.properties, d.facets,
               {TagsOf("d.id")}, d.created_at, d.created_by, d.updated_at, d.updated_by
        FROM datasets d
        """;

    private string SelectFeatures => $"""
        SELECT f.id, f.namespace, f.name, f.value_type, f.description, f.dataset_id, f.statistics, f.properties,
               {TagsOf("f.id")}, f.created_at, f.created_by, f.updated_at, f.updated_by
        FROM features f
        """;

    private string SelectExecutions => $"""
        SELECT e.id, e.run_id, e.type, e.job_namespace, e.job_name, e.state, e.properties, e.facets, e.parent_run_id,
               e.started_at, e.ended_at, {TagsOf("e.id")}, e.created_at, e.created_by, e.updated_at, e.updated_by
        FROM executions e
        """;

    // ---- datasets ----

    /// <summary>Creates or updates a dataset; <c>Created</c> says which.</summary>
    public async Task<(Dataset Dataset, bool Created)> PutDatasetAsync(Caller caller, PutDatasetRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        await MetadataSchemas.PrevalidateAsync(database, request.Namespace, "dataset", PropertiesJson(request.Properties), cancellationToken);
        return await database.WriteAsync(async (_, transaction) =>
        {
            var id = DatasetId(request.Namespace, request.Name);
            // Written by another name a symlinks facet gave it, a dataset is written under its own.
            if (await transaction.Connection!.QuerySingleOrDefaultAsync<LineageNode>(new CommandDefinition(
                "SELECT n.id, n.kind, n.namespace, n.name FROM dataset_aliases a JOIN lineage_nodes n ON n.id = a.dataset_id WHERE a.id = @id",
                new { id }, transaction, cancellationToken: cancellationToken)) is { } canonical)
            {
                (id, request) = (canonical.Id, request with { Namespace = canonical.Namespace, Name = canonical.Name });
            }
            var before = await LoadDatasetAsync(transaction, id, cancellationToken);
            await UpsertDatasetAsync(transaction, caller.Name, request, runId: null, cancellationToken);
            var after = (await LoadDatasetAsync(transaction, id, cancellationToken))!;
            await audit.AppendAsync(transaction, caller.Name, before is null ? "dataset.create" : "dataset.update", $"datasets/{id}", before, after, cancellationToken);
            return (after, before is null);
        }, cancellationToken);
    }

    /// <summary>
    /// The dataset write inside someone else's transaction (the dataset API's, an MLflow run's inputs): validates,
    /// records the node, merges the fields given, keeps a new version in the history. Returns the dataset's node.
    /// </summary>
    internal async Task<LineageNode> UpsertDatasetAsync(DbTransaction transaction, string actor, PutDatasetRequest request, string? runId, CancellationToken cancellationToken) =>
        (await UpsertDatasetsAsync(transaction, [new DatasetWrite(actor, request, runId)], cancellationToken))[0];

    /// <summary>
    /// Many dataset writes in one go, in order, as if made one after another (a batch of OpenLineage events names the
    /// same datasets again and again): every write is checked first, then what the datasets hold is read with one
    /// query, the writes are merged in memory (what a write leaves out stays as it was; a version's history entry keeps
    /// the dataset as it was when that version was first written), and the result is written with one statement per
    /// table, whatever the number of writes. Returns each write's node, in order.
    /// </summary>
    internal async Task<IReadOnlyList<LineageNode>> UpsertDatasetsAsync(DbTransaction transaction, IReadOnlyList<DatasetWrite> writes, CancellationToken cancellationToken)
    {
        var graph = new GraphWrites();
        var merged = await MergeDatasetsAsync(transaction, writes, graph, cancellationToken);
        await graph.WriteNodesAsync(transaction, clock, cancellationToken);
        await WriteDatasetsAsync(transaction, merged, cancellationToken);
        return merged.Nodes;
    }

    /// <summary>
    /// The first half of <see cref="UpsertDatasetsAsync"/>: checks the writes, reads what the datasets hold and merges
    /// the writes in memory; the nodes of new datasets go to <paramref name="graph"/>, to be written
    /// before <see cref="WriteDatasetsAsync"/> writes the rows. A caller writing runs too records every node of its group
    /// with one statement this way.
    /// </summary>
    internal async Task<DatasetMerge> MergeDatasetsAsync(DbTransaction transaction, IReadOnlyList<DatasetWrite> writes, GraphWrites graph, CancellationToken cancellationToken)
    {
        var prepared = writes.Select(PrepareDataset).ToList();
        var connection = transaction.Connection!;
        var dialect = database.Dialect;
        var ids = prepared.Select(p => p.Node.Id).Distinct(StringComparer.Ordinal).ToList();
        var states = (await connection.QueryAsync<StoredDataset>(new CommandDefinition(
            $"SELECT id, namespace, name, version, location, description, schema, statistics, properties, facets FROM datasets WHERE id IN {dialect.ValueSet("@ids", "TEXT")}",
            new { ids = dialect.ValueSetParameter(ids) }, transaction, cancellationToken: cancellationToken))).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var recorded = states.Keys.ToHashSet(StringComparer.Ordinal);
        var declared = await DeclaredNamespacesAsync(transaction, "dataset", prepared.Select(p => p.Node.Namespace!), cancellationToken);
        var changed = new Dictionary<string, (StoredDataset State, string Actor)>(StringComparer.Ordinal);
        var versions = new Dictionary<(string, string), DatasetVersionWrite>();
        var tags = new Dictionary<(string, string), string>();
        foreach (var (write, node, schema, statistics, properties) in prepared)
        {
            var known = states.GetValueOrDefault(node.Id);
            if (declared.Contains(node.Namespace!))
            {
                await CheckPropertiesAsync(transaction, "dataset", node.Namespace!, properties, isNew: known is null, cancellationToken);
            }
            var request = write.Request;
            if (known is not null && request is { Version: null, Location: null, Description: null, Schema: null, Statistics: null, Tags: null } && properties is null && write.Facets is null)
            {
                // Only named (an input without facets, as most are): nothing to write.
                continue;
            }
            var state = new StoredDataset
            {
                Id = node.Id,
                Namespace = node.Namespace!,
                Name = node.Name,
                Version = request.Version ?? known?.Version,
                Location = (request.Location is null ? null : Secrets.MaskUri(request.Location)) ?? known?.Location,
                Description = request.Description ?? known?.Description,
                Schema = schema ?? known?.Schema,
                Statistics = statistics ?? known?.Statistics,
                Properties = properties ?? known?.Properties ?? "{}",
                Facets = write.Facets is null ? known?.Facets ?? "{}" : FacetJson.PutOver(known?.Facets, write.Facets),
            };
            states[node.Id] = state;
            changed[node.Id] = (state, write.Actor);
            if (request.Version is { } version)
            {
                versions.TryAdd((node.Id, version), new DatasetVersionWrite(node.Id, version, state.Location, state.Schema, state.Statistics, state.Facets, write.RunId, write.Actor));
            }
            foreach (var (key, value) in request.Tags ?? new Dictionary<string, string>())
            {
                tags[(node.Id, key)] = value;
            }
        }
        // A dataset's time of change is its row's updated_at (what the APIs show); the node of a recorded dataset is not
        // marked too, which spares a write to a randomly placed page of lineage_nodes for every changed dataset.
        graph.Others.AddRange(changed.Values.Where(c => !recorded.Contains(c.State.Id)).Select(c => new LineageNode(c.State.Id, "dataset", c.State.Namespace, c.State.Name)));
        return new DatasetMerge([.. prepared.Select(p => p.Node)], [.. changed.Values.Select(c => c.State with { Actor = c.Actor })], [.. versions.Values], tags);
    }

    /// <summary>The second half of <see cref="UpsertDatasetsAsync"/>: the merged rows, one statement per table; their nodes are recorded.</summary>
    internal async Task WriteDatasetsAsync(DbTransaction transaction, DatasetMerge merged, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var dialect = database.Dialect;
        var (_, changed, versions, tags) = merged;
        if (changed.Count > 0)
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                $"""
                INSERT INTO datasets (id, namespace, name, version, location, description, schema, statistics, properties, facets, created_at, created_by, updated_at, updated_by)
                SELECT r.id, r.namespace, r.name, r.version, r.location, r.description, r.schema, r.statistics, r.properties, r.facets, @now, r.actor, @now, r.actor
                FROM {dialect.JsonRows("@rows", DatasetColumns)} WHERE true
                ON CONFLICT (id) DO UPDATE SET
                    version = excluded.version, location = excluded.location, description = excluded.description, schema = excluded.schema,
                    statistics = excluded.statistics, properties = excluded.properties, facets = excluded.facets, updated_at = excluded.updated_at, updated_by = excluded.updated_by
                """,
                new { rows = SqlDialects.RowsParameter(changed), now }, transaction, cancellationToken: cancellationToken));
            if (versions.Count > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"""
                    INSERT INTO dataset_versions (dataset_id, version, location, schema, statistics, facets, run_id, created_at, created_by)
                    SELECT r.dataset_id, r.version, r.location, r.schema, r.statistics, r.facets, r.run_id, @now, r.actor
                    FROM {dialect.JsonRows("@rows", VersionColumns)} WHERE true
                    ON CONFLICT (dataset_id, version) DO NOTHING
                    """, new { rows = SqlDialects.RowsParameter(versions), now }, transaction, cancellationToken: cancellationToken));
            }
            await SetTagsAsync(transaction, tags, cancellationToken);
        }
    }

    /// <summary>A dataset write checked and serialised, before anything is read or written.</summary>
    private (DatasetWrite Write, LineageNode Node, string? Schema, string? Statistics, string? Properties) PrepareDataset(DatasetWrite write)
    {
        var request = write.Request;
        // Credentials in a URI (postgres://user:password@host) never reach the store: ids, names and locations are masked.
        var node = NodeIds.DatasetNode(Secrets.MaskUri(Required("namespace", request.Namespace)), Secrets.MaskUri(Required("name", request.Name)));
        CheckText("version", request.Version, 256);
        CheckText("location", request.Location, 4096);
        _limits.Description("description", request.Description);
        CheckSchema(request.Schema);
        CheckStatistics(request.Statistics);
        CheckTags(request.Tags);
        return (write, node,
            request.Schema is null ? null : JsonSerializer.Serialize(request.Schema, CairnJson.Options),
            request.Statistics is null ? null : JsonSerializer.Serialize(request.Statistics, CairnJson.Options),
            PropertiesJson(request.Properties));
    }

    /// <summary>Which of <paramref name="namespaces"/> declare a metadata schema for <paramref name="kind"/>: one query, so writes elsewhere skip the check.</summary>
    private async Task<HashSet<string>> DeclaredNamespacesAsync(DbTransaction transaction, string kind, IEnumerable<string> namespaces, CancellationToken cancellationToken) =>
        (await transaction.Connection!.QueryAsync<string>(new CommandDefinition(
            $"SELECT DISTINCT namespace FROM metadata_schemas WHERE kind = @kind AND namespace IN {database.Dialect.ValueSet("@namespaces", "TEXT")}",
            new { kind, namespaces = database.Dialect.ValueSetParameter(namespaces.Distinct(StringComparer.Ordinal)) }, transaction, cancellationToken: cancellationToken)))
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>A dataset by its namespace and name, or by another name a symlinks facet gave it; with its column lineage.</summary>
    public async Task<Dataset> GetDatasetAsync(Caller caller, string? @namespace, string? name, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = DatasetId(@namespace, name);
        return await database.ReadAsync(async connection =>
        {
            var dataset = ToDataset(await connection.QuerySingleOrDefaultAsync<DatasetRow>(new CommandDefinition(
                SelectDatasets + " WHERE d.id = COALESCE((SELECT dataset_id FROM dataset_aliases WHERE id = @id), @id)", new { id }, cancellationToken: cancellationToken))
                ?? throw Missing("Dataset", Secrets.MaskUri(id)));
            var lineage = await _columnLineage.OfDatasetsAsync(connection, null, [dataset.Id], cancellationToken);
            return dataset with { ColumnLineage = lineage.GetValueOrDefault(dataset.Id) ?? [] };
        }, cancellationToken);
    }

    /// <summary>Every version the dataset was written at, newest first.</summary>
    public async Task<IReadOnlyList<DatasetVersion>> DatasetVersionsAsync(Caller caller, string? @namespace, string? name, CancellationToken cancellationToken)
    {
        var dataset = await GetDatasetAsync(caller, @namespace, name, cancellationToken);
        var rows = await database.ReadAsync(connection => connection.QueryAsync<DatasetVersionRow>(new CommandDefinition(
            """
            SELECT version, location, schema, statistics, facets, run_id, created_at, created_by FROM dataset_versions
            WHERE dataset_id = @Id ORDER BY created_at DESC, version DESC
            """, new { dataset.Id }, cancellationToken: cancellationToken)), cancellationToken);
        return rows.Select(r => new DatasetVersion(r.Version, r.Location, ReadSchema(r.Schema), ReadStatistics(r.Statistics), r.RunId, r.CreatedAt, r.CreatedBy, ReadProperties(r.Facets ?? "{}"))).ToList();
    }

    /// <summary>
    /// One page of the versions the dataset was written at, newest first: what a page that shows a dataset's history
    /// reads, rather than every version at once.
    /// </summary>
    public async Task<DatasetVersionPage> DatasetVersionsPageAsync(Caller caller, string? @namespace, string? name, int? maxResults, string? pageToken, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = DatasetId(@namespace, name);
        var page = OffsetPage.Start(Paging.PageSize(maxResults, DefaultPageSize, MaxPageSize), pageToken, "dataset-versions\n" + id);
        var parameters = new DynamicParameters(new { id });
        page.AddTo(parameters);
        var (rows, next) = page.Cut(await database.ReadAsync(async connection =>
        {
            var rows = (await connection.QueryAsync<DatasetVersionRow>(new CommandDefinition(
                """
                SELECT version, location, schema, statistics, facets, run_id, created_at, created_by FROM dataset_versions
                WHERE dataset_id = COALESCE((SELECT dataset_id FROM dataset_aliases WHERE id = @id), @id)
                ORDER BY created_at DESC, version DESC
                """ + OffsetPage.Sql, parameters, cancellationToken: cancellationToken))).AsList();
            if (rows.Count == 0 && await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM datasets WHERE id = COALESCE((SELECT dataset_id FROM dataset_aliases WHERE id = @id), @id)", new { id }, cancellationToken: cancellationToken)) == 0)
            {
                throw Missing("Dataset", Secrets.MaskUri(id));
            }
            return rows;
        }, cancellationToken));
        return new DatasetVersionPage(
            rows.Select(r => new DatasetVersion(r.Version, r.Location, ReadSchema(r.Schema), ReadStatistics(r.Statistics), r.RunId, r.CreatedAt, r.CreatedBy, ReadProperties(r.Facets ?? "{}"))).ToList(),
            next);
    }

    public async Task<DatasetPage> SearchDatasetsAsync(Caller caller, MetadataQuery query, CancellationToken cancellationToken)
    {
        var (rows, next) = await SearchAsync<DatasetRow>(caller, query, DatasetSchema, SelectDatasets, ["d.namespace", "d.name", "d.description"], "namespace ASC, name ASC", cancellationToken);
        var lineage = await database.ReadAsync(connection => _columnLineage.OfDatasetsAsync(connection, null, rows.Select(r => r.Id).ToList(), cancellationToken), cancellationToken);
        return new DatasetPage(rows.Select(r => ToDataset(r) with { ColumnLineage = lineage.GetValueOrDefault(r.Id) ?? [] }).ToList(), next);
    }

    // ---- features ----

    public async Task<(Feature Feature, bool Created)> PutFeatureAsync(Caller caller, PutFeatureRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var node = NodeIds.FeatureNode(Required("namespace", request.Namespace), Required("name", request.Name));
        CheckText("value_type", request.ValueType, 256);
        _limits.Description("description", request.Description);
        CheckStatistics(request.Statistics is null ? null : new Dictionary<string, ColumnStatistics> { ["statistics"] = request.Statistics });
        var properties = PropertiesJson(request.Properties);
        CheckTags(request.Tags);
        var dataset = request.Dataset is null ? null : NodeIds.Parse(request.Dataset);
        if (dataset is { Kind: not "dataset" })
        {
            throw new InvalidParameterException($"'dataset' must name a dataset (dataset:<namespace>:<name>); got '{request.Dataset}'.");
        }
        await MetadataSchemas.PrevalidateAsync(database, node.Namespace, "feature", properties, cancellationToken);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadFeatureAsync(transaction, node.Id, cancellationToken);
            if (before is null && string.IsNullOrWhiteSpace(request.ValueType))
            {
                throw new InvalidParameterException("'value_type' is required for a new feature (such as int64, float, string or embedding).");
            }
            if (dataset is not null && await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM datasets WHERE id = @Id", new { dataset.Id }, transaction, cancellationToken: cancellationToken)) == 0)
            {
                throw Missing("Dataset", dataset.Id);
            }
            await CheckPropertiesAsync(transaction, "feature", node.Namespace!, properties, isNew: before is null, cancellationToken);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await LineageGraph.TouchNodesAsync(transaction, [node], [], clock, cancellationToken);
            var statistics = request.Statistics is null ? null : JsonSerializer.Serialize(request.Statistics, CairnJson.Options);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO features (id, namespace, name, value_type, description, dataset_id, statistics, properties, created_at, created_by, updated_at, updated_by)
                VALUES (@Id, @Namespace, @Name, COALESCE(@valueType, (SELECT value_type FROM features WHERE id = @Id)), @description, @datasetId, @statistics, COALESCE(@properties, '{}'), @now, @actor, @now, @actor)
                ON CONFLICT (id) DO UPDATE SET
                    value_type = COALESCE(excluded.value_type, features.value_type),
                    description = COALESCE(excluded.description, features.description),
                    dataset_id = COALESCE(excluded.dataset_id, features.dataset_id),
                    statistics = COALESCE(excluded.statistics, features.statistics),
                    properties = CASE WHEN @properties IS NULL THEN features.properties ELSE excluded.properties END,
                    updated_at = excluded.updated_at,
                    updated_by = excluded.updated_by
                """,
                new { node.Id, node.Namespace, node.Name, valueType = request.ValueType, description = request.Description, datasetId = dataset?.Id, statistics, properties, now, actor = caller.Name },
                transaction, cancellationToken: cancellationToken));
            if (dataset is not null)
            {
                await LineageGraph.LinkAsync(transaction, dataset, node, "derives", clock, cancellationToken);
            }
            await SetTagsAsync(transaction, (request.Tags ?? new Dictionary<string, string>()).ToDictionary(t => (node.Id, t.Key), t => t.Value), cancellationToken);
            var after = (await LoadFeatureAsync(transaction, node.Id, cancellationToken))!;
            await audit.AppendAsync(transaction, caller.Name, before is null ? "feature.create" : "feature.update", $"features/{node.Id}", before, after, cancellationToken);
            return (after, before is null);
        }, cancellationToken);
    }

    public async Task<Feature> GetFeatureAsync(Caller caller, string? @namespace, string? name, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = NodeIds.Feature(Required("namespace", @namespace), Required("name", name));
        return await database.ReadAsync(async connection =>
            ToFeature(await connection.QuerySingleOrDefaultAsync<FeatureRow>(new CommandDefinition(
                SelectFeatures + " WHERE f.id = @id", new { id }, cancellationToken: cancellationToken)) ?? throw Missing("Feature", id)),
            cancellationToken);
    }

    public async Task<FeaturePage> SearchFeaturesAsync(Caller caller, MetadataQuery query, CancellationToken cancellationToken)
    {
        var (rows, next) = await SearchAsync<FeatureRow>(caller, query, FeatureSchema, SelectFeatures, ["f.namespace", "f.name", "f.description"], "namespace ASC, name ASC", cancellationToken);
        return new FeaturePage(rows.Select(ToFeature).ToList(), next);
    }

    // ---- executions ----

    public async Task<(Execution Execution, bool Created)> PutExecutionAsync(Caller caller, PutExecutionRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var runId = request.RunId ?? Guid.CreateVersion7().ToString();
        CheckNodeIds("inputs", request.Inputs);
        CheckNodeIds("outputs", request.Outputs);
        CheckTags(request.Tags);
        await MetadataSchemas.PrevalidateAsync(database, request.JobNamespace, "execution", PropertiesJson(request.Properties), cancellationToken);
        return await database.WriteAsync(async (_, transaction) =>
        {
            var before = await LoadExecutionAsync(transaction, NodeIds.Run(CheckRunId(runId)), cancellationToken);
            var inputs = await ExistingNodesAsync(transaction, "inputs", request.Inputs, cancellationToken);
            var outputs = await ExistingNodesAsync(transaction, "outputs", request.Outputs, cancellationToken);
            var node = await UpsertExecutionAsync(transaction, caller.Name, request with { RunId = runId }, cancellationToken);
            await LinkIoAsync(transaction, node, inputs, outputs, cancellationToken);
            var after = (await LoadExecutionAsync(transaction, node.Id, cancellationToken))!;
            await audit.AppendAsync(transaction, caller.Name, before is null ? "execution.create" : "execution.update", $"executions/{runId}", before, after, cancellationToken);
            return (after, before is null);
        }, cancellationToken);
    }

    /// <summary>
    /// The execution write inside someone else's transaction: validates, records the job and run nodes (job → run,
    /// and parent run → run), and merges what is given. A finished execution keeps its final state when a late
    /// non-final one arrives, since producers' events can arrive out of order. Returns the run's node.
    /// </summary>
    internal async Task<LineageNode> UpsertExecutionAsync(DbTransaction transaction, string actor, PutExecutionRequest request, CancellationToken cancellationToken) =>
        (await UpsertExecutionsAsync(transaction, [new ExecutionWrite(actor, request, null)], cancellationToken))[0];

    /// <summary>
    /// Many execution writes in one go, in order, as if made one after another (a batch of OpenLineage events sends
    /// START and COMPLETE of one run, and many runs of one parent): what the executions hold is read with one query,
    /// the writes are merged in memory as <see cref="UpsertExecutionAsync"/> merges one, and the result is written with
    /// one statement per table. <see cref="ExecutionWrite.Facets"/> (by place: run, job) replace the stored facets of the
    /// same name, later writes adding to earlier ones. Returns each write's run node, in order.
    /// </summary>
    internal async Task<IReadOnlyList<LineageNode>> UpsertExecutionsAsync(DbTransaction transaction, IReadOnlyList<ExecutionWrite> writes, CancellationToken cancellationToken)
    {
        var graph = new GraphWrites();
        var merged = await MergeExecutionsAsync(transaction, writes, graph, cancellationToken);
        await graph.WriteNodesAsync(transaction, clock, cancellationToken);
        await graph.WriteEdgesAsync(transaction, clock, cancellationToken);
        await WriteExecutionsAsync(transaction, merged, cancellationToken);
        return merged.Nodes;
    }

    /// <summary>
    /// The first half of <see cref="UpsertExecutionsAsync"/>: checks and merges the writes; the run nodes (marked
    /// updated), their jobs and parents (recorded if new) and the job → run and parent → run edges go to
    /// <paramref name="graph"/>, whose nodes are written before <see cref="WriteExecutionsAsync"/> writes the rows.
    /// </summary>
    internal async Task<ExecutionMerge> MergeExecutionsAsync(DbTransaction transaction, IReadOnlyList<ExecutionWrite> writes, GraphWrites graph, CancellationToken cancellationToken)
    {
        var runIds = writes.Select(w => CheckRunId(w.Request.RunId)).ToList();
        var connection = transaction.Connection!;
        var dialect = database.Dialect;
        var states = (await connection.QueryAsync<StoredExecution>(new CommandDefinition(
            $"""
            SELECT id, run_id, type, job_namespace, job_name, state, properties, facets, parent_run_id, started_at, ended_at
            FROM executions WHERE id IN {dialect.ValueSet("@ids", "TEXT")}
            """,
            new { ids = dialect.ValueSetParameter(runIds.Select(NodeIds.Run).Distinct(StringComparer.Ordinal)) }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.Id, StringComparer.Ordinal);
        var declared = await DeclaredNamespacesAsync(transaction, "execution",
            writes.Select((w, i) => w.Request.JobNamespace ?? states.GetValueOrDefault(NodeIds.Run(runIds[i]))?.JobNamespace).OfType<string>(), cancellationToken);
        var nodes = new List<LineageNode>(writes.Count);
        var changed = new Dictionary<string, (StoredExecution State, string Actor)>(StringComparer.Ordinal);
        var others = graph.Others;
        var edges = graph.Edges;
        var tags = new Dictionary<(string, string), string>();
        for (var i = 0; i < writes.Count; i++)
        {
            var (actor, request, facets) = writes[i];
            var runId = runIds[i];
            var node = NodeIds.RunNode(runId);
            var existing = states.GetValueOrDefault(node.Id);
            // Built-in types in any case (OpenLineage's jobType is upper case); declared types by their exact name.
            var type = request.Type?.Trim() is { } given ? (BuiltInExecutionTypes.FirstOrDefault(b => b.Equals(given, StringComparison.OrdinalIgnoreCase)) ?? given)
                : existing?.Type ?? "transformation";
            CheckText("type", type, 256);
            var jobNamespace = request.JobNamespace ?? existing?.JobNamespace
                ?? throw new InvalidParameterException("'job_namespace' is required for a new execution: the namespace of the job it is a run of.");
            var jobName = request.JobName ?? existing?.JobName
                ?? throw new InvalidParameterException("'job_name' is required for a new execution: the name of the job it is a run of.");
            var job = NodeIds.JobNode(jobNamespace, jobName);
            if (existing is not null && (existing.JobNamespace, existing.JobName) != (jobNamespace, jobName))
            {
                throw new InvalidParameterException($"Execution '{runId}' is a run of job {existing.JobNamespace}:{existing.JobName}; it cannot become a run of {jobNamespace}:{jobName}.");
            }
            var state = request.State?.Trim().ToUpperInvariant() ?? existing?.State ?? ExecutionState.New;
            if (!ExecutionState.All.Contains(state))
            {
                throw new InvalidParameterException($"'state' must be one of {string.Join(", ", ExecutionState.All)}; got '{request.State}'.");
            }
            if (existing is not null && ExecutionState.IsTerminal(existing.State) && !ExecutionState.IsTerminal(state))
            {
                state = existing.State;
            }
            var properties = PropertiesJson(request.Properties);
            CheckTags(request.Tags);
            var parent = request.ParentRunId is null ? null : NodeIds.RunNode(CheckRunId(request.ParentRunId));
            if (parent?.Id == node.Id)
            {
                throw new InvalidParameterException($"Execution '{runId}' cannot be its own parent.");
            }
            // A declared execution type holds the properties to its declared property types; the built-in ones declare none.
            if (properties is not null || !BuiltInExecutionTypes.Contains(type))
            {
                await MlmdStore.CheckTypedPropertiesAsync(transaction, "execution", type, properties, cancellationToken);
            }
            if (declared.Contains(jobNamespace))
            {
                await CheckPropertiesAsync(transaction, "execution", jobNamespace, properties, isNew: existing is null, cancellationToken);
            }
            var next = new StoredExecution
            {
                Id = node.Id,
                RunId = runId,
                Type = type,
                JobNamespace = jobNamespace,
                JobName = jobName,
                State = state,
                Properties = properties ?? existing?.Properties ?? "{}",
                Facets = facets is null ? existing?.Facets ?? "{}" : FacetJson.PutOverByPlace(existing?.Facets, facets),
                ParentRunId = request.ParentRunId ?? existing?.ParentRunId,
                StartedAt = existing?.StartedAt ?? request.StartedAt?.ToUnixTimeMilliseconds(),
                EndedAt = request.EndedAt?.ToUnixTimeMilliseconds() ?? existing?.EndedAt,
            };
            states[node.Id] = next;
            changed[node.Id] = (next, actor);
            nodes.Add(node);
            others.Add(job);
            edges.Add(new LineageEdge(job.Id, node.Id, "runs"));
            if (parent is not null)
            {
                others.Add(parent);
                edges.Add(new LineageEdge(parent.Id, node.Id, "parent"));
            }
            foreach (var (key, value) in request.Tags ?? new Dictionary<string, string>())
            {
                tags[(node.Id, key)] = value;
            }
        }
        // The runs as nodes marked updated; their jobs and parents (recorded if new) and the edges went in above.
        graph.Touched.AddRange(nodes);
        return new ExecutionMerge(nodes, [.. changed.Values.Select(c => c.State with { Actor = c.Actor })], tags);
    }

    /// <summary>The second half of <see cref="UpsertExecutionsAsync"/>: the merged rows in one statement; their nodes are recorded.</summary>
    internal async Task WriteExecutionsAsync(DbTransaction transaction, ExecutionMerge merged, CancellationToken cancellationToken)
    {
        var (_, changed, tags) = merged;
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO executions (id, run_id, type, job_namespace, job_name, state, properties, facets, parent_run_id, started_at, ended_at, created_at, created_by, updated_at, updated_by)
            SELECT r.id, r.run_id, r.type, r.job_namespace, r.job_name, r.state, r.properties, r.facets, r.parent_run_id, r.started_at, r.ended_at, @now, r.actor, @now, r.actor
            FROM {database.Dialect.JsonRows("@rows", ExecutionColumns)} WHERE true
            ON CONFLICT (id) DO UPDATE SET
                type = excluded.type, state = excluded.state, properties = excluded.properties, facets = excluded.facets,
                parent_run_id = excluded.parent_run_id, started_at = excluded.started_at, ended_at = excluded.ended_at,
                updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """,
            new { rows = SqlDialects.RowsParameter(changed), now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            transaction, cancellationToken: cancellationToken));
        await SetTagsAsync(transaction, tags, cancellationToken);
    }

    /// <summary>Records what an execution read (input → run) and wrote (run → output); every node is already recorded.</summary>
    internal Task LinkIoAsync(DbTransaction transaction, LineageNode run, IEnumerable<LineageNode> inputs, IEnumerable<LineageNode> outputs, CancellationToken cancellationToken) =>
        LineageGraph.LinkExistingAsync(transaction,
            [.. inputs.Select(i => new LineageEdge(i.Id, run.Id, "input")), .. outputs.Select(o => new LineageEdge(run.Id, o.Id, "output"))],
            clock, cancellationToken);

    public async Task<Execution> GetExecutionAsync(Caller caller, string? runId, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = NodeIds.Run(CheckRunId(runId));
        return await database.ReadAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ExecutionRow>(new CommandDefinition(
                SelectExecutions + " WHERE e.id = @id", new { id }, cancellationToken: cancellationToken)) ?? throw Missing("Execution", runId!);
            return (await ToExecutionsAsync(connection, null, [row], cancellationToken))[0];
        }, cancellationToken);
    }

    public async Task<ExecutionPage> SearchExecutionsAsync(Caller caller, MetadataQuery query, CancellationToken cancellationToken)
    {
        var (rows, next) = await SearchAsync<ExecutionRow>(caller, query, ExecutionSchema, SelectExecutions, ["e.job_namespace", "e.job_name", "e.type", "e.run_id"], "created_at DESC", cancellationToken);
        var executions = await database.ReadAsync(connection => ToExecutionsAsync(connection, null, rows, cancellationToken), cancellationToken);
        return new ExecutionPage(executions, next);
    }

    // ---- shared ----

    private async Task<(List<TRow> Rows, string? Next)> SearchAsync<TRow>(
        Caller caller, MetadataQuery query, FilterSchema schema, string select, string[] textColumns, string defaultOrder, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var size = Paging.PageSize(query.MaxResults, DefaultPageSize, MaxPageSize);
        var parameters = new Dictionary<string, object?>();
        var where = new List<string>();
        if (FilterParser.Parse(query.Filter) is { } filter)
        {
            where.Add(FilterCompiler.Compile(filter, schema, database.Dialect, parameters));
        }
        if (!string.IsNullOrWhiteSpace(query.Q))
        {
            where.Add(Paging.FreeText(query.Q, database.Dialect, parameters, textColumns));
        }
        var orderBy = OrderByClause.ToSql(query.OrderBy, schema, defaultOrder);
        var page = OffsetPage.Start(size, query.PageToken, string.Join('\n', query.Filter, query.Q, query.OrderBy));
        page.AddTo(parameters);
        var sql = select + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + $" ORDER BY {orderBy}" + OffsetPage.Sql;
        return page.Cut(await database.ReadAsync(c => c.QueryAsync<TRow>(new CommandDefinition(sql, new DynamicParameters(parameters), cancellationToken: cancellationToken)), cancellationToken));
    }

    private async Task<Dataset?> LoadDatasetAsync(DbTransaction transaction, string id, CancellationToken cancellationToken) =>
        await transaction.Connection!.QuerySingleOrDefaultAsync<DatasetRow>(new CommandDefinition(
            SelectDatasets + " WHERE d.id = @id", new { id }, transaction, cancellationToken: cancellationToken)) is { } row ? ToDataset(row) : null;

    private async Task<Feature?> LoadFeatureAsync(DbTransaction transaction, string id, CancellationToken cancellationToken) =>
        await transaction.Connection!.QuerySingleOrDefaultAsync<FeatureRow>(new CommandDefinition(
            SelectFeatures + " WHERE f.id = @id", new { id }, transaction, cancellationToken: cancellationToken)) is { } row ? ToFeature(row) : null;

    internal async Task<Execution?> LoadExecutionAsync(DbTransaction transaction, string id, CancellationToken cancellationToken) =>
        await transaction.Connection!.QuerySingleOrDefaultAsync<ExecutionRow>(new CommandDefinition(
            SelectExecutions + " WHERE e.id = @id", new { id }, transaction, cancellationToken: cancellationToken)) is { } row
            ? (await ToExecutionsAsync(transaction.Connection!, transaction, [row], cancellationToken))[0]
            : null;

    /// <summary>Executions with what they read and wrote, from the graph's input and output edges, in one query.</summary>
    private async Task<List<Execution>> ToExecutionsAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<ExecutionRow> rows, CancellationToken cancellationToken)
    {
        var ids = rows.Select(r => r.Id).ToList();
        var edges = ids.Count == 0 ? [] : (await connection.QueryAsync<LineageEdge>(new CommandDefinition(
            $"""
            SELECT source, target, kind FROM lineage_edges WHERE kind = 'input' AND {database.Dialect.InList("target", "@ids")}
            UNION ALL
            SELECT source, target, kind FROM lineage_edges WHERE kind = 'output' AND {database.Dialect.InList("source", "@ids")}
            """, new { ids }, transaction, cancellationToken: cancellationToken))).ToList();
        var ioFacets = ids.Count == 0 ? [] : (await connection.QueryAsync<(string RunId, string DatasetId, string Direction, string Facets)>(new CommandDefinition(
            $"SELECT run_id, dataset_id, direction, facets FROM run_dataset_facets WHERE {database.Dialect.InList("run_id", "@ids")} ORDER BY run_id, direction, dataset_id",
            new { ids }, transaction, cancellationToken: cancellationToken))).ToList();
        return rows.Select(r => new Execution(
            r.Id, r.RunId, r.Type, r.JobNamespace, r.JobName, r.State, ReadProperties(r.Properties), ReadProperties(r.Facets), r.ParentRunId, r.StartedAt, r.EndedAt,
            edges.Where(e => e.Kind == "input" && e.Target == r.Id).Select(e => e.Source).Order(StringComparer.Ordinal).ToList(),
            edges.Where(e => e.Kind == "output" && e.Source == r.Id).Select(e => e.Target).Order(StringComparer.Ordinal).ToList(),
            Json.ToDictionary<string>(r.Tags), r.CreatedAt, r.CreatedBy, r.UpdatedAt, r.UpdatedBy, DatasetFacetsOf(ioFacets, r.Id))).ToList();
    }

    /// <summary>A run's input and output facets: <c>{"inputs": {dataset id: facets}, "outputs": {…}}</c>, only the places that have some.</summary>
    private static JsonElement DatasetFacetsOf(List<(string RunId, string DatasetId, string Direction, string Facets)> rows, string runId)
    {
        var result = new JsonObject();
        foreach (var row in rows.Where(r => r.RunId == runId))
        {
            var place = row.Direction == "input" ? "inputs" : "outputs";
            var byDataset = result[place] as JsonObject ?? (JsonObject)(result[place] = new JsonObject());
            byDataset[row.DatasetId] = JsonNode.Parse(row.Facets);
        }
        return JsonSerializer.SerializeToElement(result);
    }

    /// <summary>
    /// Records the input and output facets of runs' reads and writes, one statement for all of them; each facet is put
    /// over the one stored for that run, dataset and direction, in the order given.
    /// </summary>
    internal async Task RecordDatasetFacetsAsync(DbTransaction transaction, IReadOnlyList<RunDatasetFacets> facets, CancellationToken cancellationToken)
    {
        if (facets.Count == 0)
        {
            return;
        }
        // One row per (run, dataset, direction): START and COMPLETE of one run in one batch have their facets put together first.
        var rows = facets.GroupBy(f => (f.RunId, f.DatasetId, f.Direction))
            .Select(g => new RunDatasetFacets(g.Key.RunId, g.Key.DatasetId, g.Key.Direction, g.Select(f => f.Facets).Aggregate(FacetJson.PutOver)))
            .ToList();
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO run_dataset_facets (run_id, dataset_id, direction, facets, updated_at)
            SELECT r.run_id, r.dataset_id, r.direction, r.facets, @now FROM {database.Dialect.JsonRows("@rows", RunDatasetFacetColumns)} WHERE true
            ON CONFLICT (run_id, dataset_id, direction) DO UPDATE SET
                facets = {database.Dialect.JsonMergeObjects("run_dataset_facets.facets", "excluded.facets")},
                updated_at = excluded.updated_at
            """, new { rows = SqlDialects.RowsParameter(rows), now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The nodes a write names as read or written; each must exist, so a typo is an error, not a new node.</summary>
    private static async Task<List<LineageNode>> ExistingNodesAsync(DbTransaction transaction, string field, IReadOnlyList<string>? ids, CancellationToken cancellationToken)
    {
        var nodes = new List<LineageNode>();
        foreach (var (id, i) in (ids ?? []).Select((id, i) => (id, i)))
        {
            var node = NodeIds.Parse(id);
            if (!await LineageGraph.NodeExistsAsync(transaction.Connection!, transaction, node.Id, cancellationToken))
            {
                throw new NotFoundException($"'{field}[{i}]': lineage node '{node.Id}' does not exist; create the dataset, feature or run first.");
            }
            nodes.Add(node);
        }
        return nodes;
    }

    /// <summary>
    /// Holds a write to its namespace's metadata schema for this kind: new properties must meet it, and so must a new
    /// entity's (none given means {}), so required properties are enforced. Properties a write leaves alone met the
    /// schema already: registering a version checks every stored entity.
    /// </summary>
    private static async Task CheckPropertiesAsync(DbTransaction transaction, string kind, string @namespace, string? properties, bool isNew, CancellationToken cancellationToken)
    {
        if (properties is not null || isNew)
        {
            await MetadataSchemas.ValidateAsync(transaction, @namespace, kind, properties ?? "{}", cancellationToken);
        }
    }



    private async Task SetTagsAsync(DbTransaction transaction, IReadOnlyDictionary<(string Id, string Key), string> tags, CancellationToken cancellationToken)
    {
        if (tags.Count == 0)
        {
            return;
        }
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO metadata_tags (entity_id, key, value) SELECT r.entity_id, r.key, r.value FROM {database.Dialect.JsonRows("@rows", TagColumns)} WHERE true
            ON CONFLICT (entity_id, key) DO UPDATE SET value = excluded.value
            """,
            new { rows = SqlDialects.RowsParameter(tags.Select(t => new TagWrite(t.Key.Id, t.Key.Key, t.Value))) }, transaction, cancellationToken: cancellationToken));
    }

    private static string DatasetId(string? @namespace, string? name) =>
        NodeIds.Dataset(Secrets.MaskUri(Required("namespace", @namespace)), Secrets.MaskUri(Required("name", name)));

    private static string Required(string field, string? value) =>
        string.IsNullOrWhiteSpace(value) ? throw new InvalidParameterException($"'{field}' is required.")
        : value.Length > 1024 ? throw new InvalidParameterException($"'{field}' is {value.Length} characters long; at most 1024 are allowed.")
        : value;

    private static string CheckRunId(string? runId)
    {
        var id = Required("run_id", runId);
        return id.Contains(':', StringComparison.Ordinal) || id.Any(char.IsWhiteSpace)
            ? throw new InvalidParameterException($"'run_id' may not contain ':' or spaces; got '{runId}'.")
            : id;
    }

    private static void CheckText(string field, string? value, int max)
    {
        if (value is not null && (value.Length == 0 || value.Length > max))
        {
            throw new InvalidParameterException($"'{field}' must be 1 to {max} characters long when given; got {value.Length}.");
        }
    }

    private static void CheckSchema(IReadOnlyList<DatasetField>? schema)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (field, i) in (schema ?? []).Select((f, i) => (f, i)))
        {
            if (string.IsNullOrWhiteSpace(field?.Name))
            {
                throw new InvalidParameterException($"'schema[{i}].name' is required.");
            }
            if (!seen.Add(field.Name))
            {
                throw new InvalidParameterException($"'schema[{i}].name': column '{field.Name}' appears twice.");
            }
        }
    }

    /// <summary>Statistics must be coherent: counts not negative, nulls within the count, a histogram with one more edge than counts, ascending.</summary>
    private static void CheckStatistics(IReadOnlyDictionary<string, ColumnStatistics>? statistics)
    {
        foreach (var (column, stats) in statistics ?? new Dictionary<string, ColumnStatistics>())
        {
            if (StatisticsProblem(stats, $"statistics.{column}") is { } problem)
            {
                throw new InvalidParameterException(problem);
            }
        }
    }

    /// <summary>
    /// Why one column's statistics are not coherent, or null when they are. The native API refuses such statistics; an
    /// OpenLineage event keeps them in its facet and leaves them unread.
    /// </summary>
    internal static string? StatisticsProblem(ColumnStatistics? stats, string at = "statistics")
    {
        if (stats is null)
        {
            return $"'{at}' must be an object.";
        }
        if (stats.Count < 0 || stats.Nulls < 0 || stats.Distinct < 0)
        {
            return $"'{at}': count, nulls and distinct may not be negative.";
        }
        if (stats.Nulls > stats.Count)
        {
            return $"'{at}.nulls' ({stats.Nulls}) exceeds '{at}.count' ({stats.Count}).";
        }
        if (stats.Stddev < 0)
        {
            return $"'{at}.stddev' may not be negative; got {stats.Stddev}.";
        }
        if (stats.Histogram is { } histogram)
        {
            if (histogram.Edges is null || histogram.Counts is null || histogram.Edges.Count != histogram.Counts.Count + 1)
            {
                return $"'{at}.histogram' needs one more edge than counts; got {histogram.Edges?.Count ?? 0} edges and {histogram.Counts?.Count ?? 0} counts.";
            }
            if (histogram.Edges.Zip(histogram.Edges.Skip(1)).Any(pair => !(pair.First < pair.Second)))
            {
                return $"'{at}.histogram.edges' must be strictly ascending.";
            }
            if (histogram.Counts.Any(c => c < 0))
            {
                return $"'{at}.histogram.counts' may not be negative.";
            }
        }
        foreach (var (quantile, _) in stats.Quantiles ?? new Dictionary<string, double>())
        {
            if (!double.TryParse(quantile, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p) || p is < 0 or > 1)
            {
                return $"'{at}.quantiles' keys are probabilities between 0 and 1, such as \"0.5\"; got \"{quantile}\".";
            }
        }
        return null;
    }

    private void CheckTags(IReadOnlyDictionary<string, string>? tags) => _limits.Tags("tags", tags);

    /// <summary>A list of lineage node ids a request names, checked against the limits before anything is read.</summary>
    private void CheckNodeIds(string field, IReadOnlyList<string>? ids)
    {
        if (ids is null)
        {
            return;
        }
        _limits.List(field, ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            _limits.NodeId($"{field}[{i}]", ids[i]);
        }
    }

    /// <summary>Properties as stored: a JSON object, or null when the write leaves them as they are.</summary>
    internal static string? PropertiesJson(JsonElement? properties) => properties switch
    {
        null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        { ValueKind: JsonValueKind.Object } value => value.GetRawText(),
        { } value => throw new InvalidParameterException($"'properties' must be a JSON object; got {value.ValueKind.ToString().ToLowerInvariant()}."),
    };

    internal static JsonElement ReadProperties(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static List<DatasetField> ReadSchema(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<List<DatasetField>>(json, CairnJson.Options) ?? [];

    private static Dictionary<string, ColumnStatistics> ReadStatistics(string? json) =>
        json is null ? new Dictionary<string, ColumnStatistics>() : JsonSerializer.Deserialize<Dictionary<string, ColumnStatistics>>(json, CairnJson.Options) ?? [];

    private static Dataset ToDataset(DatasetRow r) => new(
        r.Id, r.Namespace, r.Name, r.Version, r.Location, r.Description, ReadSchema(r.Schema), ReadStatistics(r.Statistics),
        ReadProperties(r.Properties), Json.ToDictionary<string>(r.Tags), r.CreatedAt, r.CreatedBy, r.UpdatedAt, r.UpdatedBy, ReadProperties(r.Facets));

    private static Feature ToFeature(FeatureRow r) => new(
        r.Id, r.Namespace, r.Name, r.ValueType, r.Description, r.DatasetId,
        r.Statistics is null ? null : JsonSerializer.Deserialize<ColumnStatistics>(r.Statistics, CairnJson.Options),
        ReadProperties(r.Properties), Json.ToDictionary<string>(r.Tags), r.CreatedAt, r.CreatedBy, r.UpdatedAt, r.UpdatedBy);

    private static NotFoundException Missing(string what, string id) => new($"{what} '{id}' does not exist.");
}
