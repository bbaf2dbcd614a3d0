using System.Data.Common;
using System.Text.Json;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Lineage;

/// <summary>A declared type: its kind (artifact, execution, context), name, and its properties' types.</summary>
public sealed record MetadataType(string Kind, string Name, string? Description, IReadOnlyDictionary<string, string> Properties, long CreatedAt, string CreatedBy);

public sealed record PutTypeRequest(string? Kind, string? Name, string? Description = null, IReadOnlyDictionary<string, string>? Properties = null);

public sealed record MetadataTypeList(IReadOnlyList<MetadataType> Types);

/// <summary>A typed artifact (a model file, a statistics report, a schema…), a node of the lineage graph.</summary>
public sealed record Artifact(string Id, string Type, string Name, string? Uri, string State, JsonElement Properties, long CreatedAt, string CreatedBy, long UpdatedAt, string UpdatedBy);

public sealed record PutArtifactRequest(string? Type, string? Name, string? Uri = null, string? State = null, JsonElement? Properties = null);

public sealed record ArtifactList(IReadOnlyList<Artifact> Artifacts, string? NextPageToken);

/// <summary>A context groups nodes: a pipeline run, an experiment, a project. It is not itself in the lineage graph.</summary>
public sealed record Context(string Id, string Type, string Name, JsonElement Properties, long CreatedAt, string CreatedBy, long UpdatedAt, string UpdatedBy);

public sealed record PutContextRequest(string? Type, string? Name, JsonElement? Properties = null);

public sealed record ContextList(IReadOnlyList<Context> Contexts, string? NextPageToken);

/// <summary>
/// A node in a context: an execution (<c>run:</c>) is associated with it, anything else (artifact, dataset, model
/// version) attributed to it, in ML Metadata's words.
/// </summary>
public sealed record ContextMember(string Node, string Relation, long CreatedAt);

public sealed record ContextMemberList(IReadOnlyList<ContextMember> Members);

public sealed record AddMemberRequest(string? Node);

/// <summary>An ML Metadata event: an execution read (INPUT) or wrote (OUTPUT) an artifact — an edge of the graph.</summary>
public sealed record MetadataEvent(string Execution, string Artifact, string Type, long CreatedAt);

public sealed record PutEventRequest(string? Execution, string? Artifact, string? Type);

public sealed record MetadataEventList(IReadOnlyList<MetadataEvent> Events);

/// <summary>
/// ML Metadata's model on the lineage graph: declared types (artifact, execution, context) with typed properties,
/// artifacts and contexts that carry them, events that link executions and artifacts (input and output edges), and
/// attribution and association to contexts. Artifacts are lineage nodes (<c>artifact:&lt;type&gt;:&lt;name&gt;</c>);
/// executions are the metadata repository's (<c>run:&lt;id&gt;</c>, <see cref="MetadataStore"/>), whose declared types
/// hold their properties to the same rules. Reading needs reader on "/", writing writer on "/".
/// </summary>
public sealed class MlmdStore(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    public static readonly IReadOnlyList<string> TypeKinds = ["artifact", "execution", "context"];

    /// <summary>ML Metadata's property types, and which JSON values each takes.</summary>
    public static readonly IReadOnlyList<string> PropertyTypes = ["INT", "DOUBLE", "STRING", "BOOLEAN", "STRUCT"];

    public static readonly IReadOnlyList<string> ArtifactStates = ["UNKNOWN", "PENDING", "LIVE", "MARKED_FOR_DELETION", "DELETED", "ABANDONED", "REFERENCE"];

    private sealed record TypeRow
    {
        public string Kind { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Description { get; init; }
        public string Properties { get; init; } = "{}";
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    private sealed record EntityRow
    {
        public string Id { get; init; } = "";
        public string Type { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Uri { get; init; }
        public string State { get; init; } = "";
        public string Properties { get; init; } = "{}";
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
    }

    // ---- types ----

    /// <summary>
    /// Declares a type, or adds properties to it (ML Metadata's can_add_fields): what a type declared stays, so
    /// dropping or retyping a property is refused (409) with the reason, since stored entities rely on it.
    /// </summary>
    public async Task<(MetadataType Type, bool Created)> PutTypeAsync(Caller caller, PutTypeRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var kind = OneOf("kind", request.Kind, TypeKinds);
        var name = Name("name", request.Name);
        var properties = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (property, type) in request.Properties ?? new Dictionary<string, string>())
        {
            properties[Name($"properties key", property)] = OneOf($"properties.{property}", type?.ToUpperInvariant(), PropertyTypes);
        }
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadTypeAsync(connection, transaction, kind, name, cancellationToken);
            if (before is not null)
            {
                var reasons = before.Properties
                    .Where(p => !properties.TryGetValue(p.Key, out var type) || type != p.Value)
                    .Select(p => properties.TryGetValue(p.Key, out var type) ? $"property '{p.Key}' is {p.Value} and cannot become {type}" : $"property '{p.Key}' ({p.Value}) cannot be removed")
                    .ToList();
                if (reasons.Count > 0)
                {
                    throw new InvalidStateException($"The {kind} type '{name}' can only gain properties: {string.Join("; ", reasons)}.");
                }
            }
            await CheckStoredAsync(transaction, kind, name, properties, cancellationToken);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO metadata_types (kind, name, description, properties, created_at, created_by) VALUES (@kind, @name, @description, @json, @now, @by)
                ON CONFLICT (kind, name) DO UPDATE SET description = COALESCE(excluded.description, metadata_types.description), properties = excluded.properties
                """,
                new { kind, name, description = request.Description, json = JsonSerializer.Serialize(properties), now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            var after = (await LoadTypeAsync(connection, transaction, kind, name, cancellationToken))!;
            await audit.AppendAsync(transaction, caller.Name, before is null ? "metadata.type.create" : "metadata.type.update", $"metadata/types/{kind}/{name}", before, after, cancellationToken);
            return (after, before is null);
        }, cancellationToken);
    }

    public async Task<MetadataType> GetTypeAsync(Caller caller, string? kind, string? name, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var k = OneOf("kind", kind, TypeKinds);
        return await database.ReadAsync(async connection => await LoadTypeAsync(connection, null, k, name ?? "", cancellationToken)
            ?? throw new NotFoundException($"No {k} type '{name}' is declared."), cancellationToken);
    }

    public async Task<MetadataTypeList> ListTypesAsync(Caller caller, string? kind, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var k = kind is null ? null : OneOf("kind", kind, TypeKinds);
        var rows = await database.ReadAsync(connection => connection.QueryAsync<TypeRow>(new CommandDefinition(
            "SELECT kind, name, description, properties, created_at, created_by FROM metadata_types WHERE @k IS NULL OR kind = @k ORDER BY kind, name",
            new { k }, cancellationToken: cancellationToken)), cancellationToken);
        return new MetadataTypeList(rows.Select(ToType).ToList());
    }

    /// <summary>
    /// Refuses declarations that entities of the type already stored contradict (an execution type named like
    /// executions that were written before it was declared, a property added that they hold with another JSON type),
    /// naming the first of them (409).
    /// </summary>
    private static async Task CheckStoredAsync(DbTransaction transaction, string kind, string name, SortedDictionary<string, string> declared, CancellationToken cancellationToken)
    {
        if (declared.Count == 0)
        {
            return;
        }
        // Table names come from this constant mapping only.
        var table = kind switch { "artifact" => "artifacts", "context" => "contexts", _ => "executions" };
        var stored = await transaction.Connection!.QueryAsync<(string Id, string Properties)>(new CommandDefinition(
            $"SELECT id, properties FROM {table} WHERE type = @name ORDER BY id", new { name }, transaction, cancellationToken: cancellationToken));
        var clashes = new List<string>();
        foreach (var (id, json) in stored)
        {
            using var document = JsonDocument.Parse(json);
            clashes.AddRange(declared
                .Where(p => document.RootElement.TryGetProperty(p.Key, out var value) && !Fits(value, p.Value))
                .Select(p => $"{id} holds '{p.Key}' as {document.RootElement.GetProperty(p.Key).ValueKind.ToString().ToLowerInvariant()}, not {p.Value}"));
            if (clashes.Count >= 5)
            {
                break;
            }
        }
        if (clashes.Count > 0)
        {
            throw new InvalidStateException($"The {kind} type '{name}' cannot declare that: stored entities disagree: {string.Join("; ", clashes.Take(5))}.");
        }
    }

    /// <summary>
    /// Holds properties to their type: each property the type declares must have a JSON value of the declared type
    /// (INT an integer, DOUBLE a number, STRING a string, BOOLEAN true or false, STRUCT an object or array); properties
    /// it does not declare are custom properties and pass. An execution's type may also be one of the built-in
    /// <see cref="MetadataStore.BuiltInExecutionTypes"/>, which declare nothing.
    /// </summary>
    public static async Task CheckTypedPropertiesAsync(DbTransaction transaction, string kind, string type, string? propertiesJson, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var row = await LoadTypeRowAsync(connection, transaction, kind, type, cancellationToken);
        if (row is null)
        {
            if (kind == "execution" && MetadataStore.BuiltInExecutionTypes.Contains(type))
            {
                return;
            }
            var known = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT name FROM metadata_types WHERE kind = @kind ORDER BY name", new { kind }, transaction, cancellationToken: cancellationToken))).ToList();
            if (kind == "execution")
            {
                known.InsertRange(0, MetadataStore.BuiltInExecutionTypes);
            }
            throw new NotFoundException($"No {kind} type '{type}' is declared; known: {(known.Count == 0 ? "none (POST /api/v1/metadata/types declares one)" : string.Join(", ", known))}.");
        }
        if (propertiesJson is null)
        {
            return;
        }
        using var document = JsonDocument.Parse(propertiesJson);
        var errors = new List<ErrorDetail>();
        foreach (var (property, declared) in Json.ToDictionary<string>(row.Properties))
        {
            if (document.RootElement.TryGetProperty(property, out var value) && !Fits(value, declared))
            {
                errors.Add(new ErrorDetail($"/{property}", $"the {kind} type '{type}' declares it {declared}; got {value.ValueKind.ToString().ToLowerInvariant()}"));
            }
        }
        if (errors.Count > 0)
        {
            throw new SchemaValidationException(
                $"The properties do not match the {kind} type '{type}': {string.Join("; ", errors.Select(e => $"{e.Path}: {e.Message}"))}.", errors);
        }
    }

    private static bool Fits(JsonElement value, string type) => type switch
    {
        "INT" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "DOUBLE" => value.ValueKind == JsonValueKind.Number,
        "STRING" => value.ValueKind == JsonValueKind.String,
        "BOOLEAN" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        _ => value.ValueKind is JsonValueKind.Object or JsonValueKind.Array,
    };

    // ---- artifacts ----

    /// <summary>Creates or updates the artifact of this type and name; its type must be declared and its properties fit it.</summary>
    public async Task<(Artifact Artifact, bool Created)> PutArtifactAsync(Caller caller, PutArtifactRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var type = Name("type", request.Type);
        var name = Name("name", request.Name);
        var node = NodeIds.Parse(NodeIds.Artifact(type, name));
        var state = request.State is null ? null : OneOf("state", request.State.ToUpperInvariant(), ArtifactStates);
        var properties = MetadataStore.PropertiesJson(request.Properties);
        if (request.Uri is { Length: 0 or > 4096 })
        {
            throw new InvalidParameterException("'uri' must be 1 to 4096 characters long when given.");
        }
        await MetadataSchemas.PrevalidateAsync(database, type, "artifact", properties, cancellationToken);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadAsync(connection, transaction, "artifacts", node.Id, cancellationToken);
            await CheckPropertiesAsync(transaction, "artifact", type, properties, isNew: before is null, cancellationToken);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO lineage_nodes (id, kind, namespace, name, created_at, updated_at) VALUES (@Id, @Kind, @Namespace, @Name, @now, @now)
                ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at;
                INSERT INTO artifacts (id, type, name, uri, state, properties, created_at, created_by, updated_at, updated_by)
                VALUES (@Id, @Namespace, @Name, @uri, COALESCE(@state, 'UNKNOWN'), COALESCE(@properties, '{}'), @now, @by, @now, @by)
                ON CONFLICT (id) DO UPDATE SET
                    uri = COALESCE(excluded.uri, artifacts.uri),
                    state = COALESCE(@state, artifacts.state),
                    properties = CASE WHEN @properties IS NULL THEN artifacts.properties ELSE excluded.properties END,
                    updated_at = excluded.updated_at,
                    updated_by = excluded.updated_by
                """,
                new { node.Id, node.Kind, node.Namespace, node.Name, uri = request.Uri, state, properties, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            var after = ToArtifact((await LoadAsync(connection, transaction, "artifacts", node.Id, cancellationToken))!);
            await audit.AppendAsync(transaction, caller.Name, before is null ? "metadata.artifact.create" : "metadata.artifact.update", $"metadata/artifacts/{type}/{name}",
                before is null ? null : ToArtifact(before), after, cancellationToken);
            return (after, before is null);
        }, cancellationToken);
    }

    public async Task<Artifact> GetArtifactAsync(Caller caller, string type, string name, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = NodeIds.Artifact(type, name);
        return await database.ReadAsync(async connection => await LoadAsync(connection, null, "artifacts", id, cancellationToken) is { } row
            ? ToArtifact(row)
            : throw new NotFoundException($"Artifact '{id}' does not exist."), cancellationToken);
    }

    public async Task<ArtifactList> ListArtifactsAsync(Caller caller, string? type, int? maxResults, string? pageToken, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var (rows, next) = await PageAsync(
            "SELECT id, type, name, uri, state, properties, created_at, created_by, updated_at, updated_by FROM artifacts WHERE @type IS NULL OR type = @type ORDER BY type, name",
            Filters(type, node: null), $"artifacts\n{type}", maxResults, pageToken, cancellationToken);
        return new ArtifactList(rows.Select(ToArtifact).ToList(), next);
    }

    // ---- contexts ----

    public async Task<(Context Context, bool Created)> PutContextAsync(Caller caller, PutContextRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var type = Name("type", request.Type);
        var name = Name("name", request.Name);
        var id = ContextId(type, name);
        var properties = MetadataStore.PropertiesJson(request.Properties);
        await MetadataSchemas.PrevalidateAsync(database, type, "context", properties, cancellationToken);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadAsync(connection, transaction, "contexts", id, cancellationToken);
            await CheckPropertiesAsync(transaction, "context", type, properties, isNew: before is null, cancellationToken);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO contexts (id, type, name, properties, created_at, created_by, updated_at, updated_by)
                VALUES (@id, @type, @name, COALESCE(@properties, '{}'), @now, @by, @now, @by)
                ON CONFLICT (id) DO UPDATE SET
                    properties = CASE WHEN @properties IS NULL THEN contexts.properties ELSE excluded.properties END,
                    updated_at = excluded.updated_at,
                    updated_by = excluded.updated_by
                """,
                new { id, type, name, properties, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            var after = ToContext((await LoadAsync(connection, transaction, "contexts", id, cancellationToken))!);
            await audit.AppendAsync(transaction, caller.Name, before is null ? "metadata.context.create" : "metadata.context.update", $"metadata/contexts/{type}/{name}",
                before is null ? null : ToContext(before), after, cancellationToken);
            return (after, before is null);
        }, cancellationToken);
    }

    public async Task<Context> GetContextAsync(Caller caller, string type, string name, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var id = ContextId(type, name);
        return await database.ReadAsync(async connection => await LoadAsync(connection, null, "contexts", id, cancellationToken) is { } row
            ? ToContext(row)
            : throw new NotFoundException($"Context '{id}' does not exist."), cancellationToken);
    }

    /// <summary>Contexts of one type, or those a node belongs to.</summary>
    public async Task<ContextList> ListContextsAsync(Caller caller, string? type, string? node, int? maxResults, string? pageToken, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var (rows, next) = await PageAsync(
            """
            SELECT c.id, c.type, c.name, c.properties, c.created_at, c.created_by, c.updated_at, c.updated_by FROM contexts c
            WHERE (@type IS NULL OR c.type = @type) AND (@node IS NULL OR EXISTS (SELECT 1 FROM context_members m WHERE m.context_id = c.id AND m.node_id = @node))
            ORDER BY c.type, c.name
            """,
            Filters(type, node), $"contexts\n{type}\n{node}", maxResults, pageToken, cancellationToken);
        return new ContextList(rows.Select(ToContext).ToList(), next);
    }

    // Typed as text even when null: PostgreSQL cannot otherwise tell what "@type IS NULL" compares.
    private static DynamicParameters Filters(string? type, string? node)
    {
        var parameters = new DynamicParameters();
        parameters.Add("type", type, System.Data.DbType.String);
        parameters.Add("node", node, System.Data.DbType.String);
        return parameters;
    }

    /// <summary>A page of a listing, and the token for the next one when there is more.</summary>
    private async Task<(List<EntityRow> Rows, string? Next)> PageAsync(
        string sql, DynamicParameters parameters, string shape, int? maxResults, string? pageToken, CancellationToken cancellationToken)
    {
        var page = OffsetPage.Start(Paging.PageSize(maxResults, 100, 1000), pageToken, shape);
        page.AddTo(parameters);
        return page.Cut(await database.ReadAsync(connection => connection.QueryAsync<EntityRow>(new CommandDefinition(
            sql + OffsetPage.Sql, parameters, cancellationToken: cancellationToken)), cancellationToken));
    }

    /// <summary>Puts a node in a context: an execution by association, anything else by attribution. Adding it again changes nothing.</summary>
    public async Task<ContextMember> AddMemberAsync(Caller caller, string type, string name, AddMemberRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var id = ContextId(type, name);
        var node = NodeIds.Parse(request.Node);
        var relation = node.Kind == "run" ? "association" : "attribution";
        return await database.WriteAsync(async (connection, transaction) =>
        {
            if (await LoadAsync(connection, transaction, "contexts", id, cancellationToken) is null)
            {
                throw new NotFoundException($"Context '{id}' does not exist.");
            }
            await RequireNodeAsync(transaction, "node", node.Id, cancellationToken);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO context_members (context_id, node_id, relation, created_at) VALUES (@id, @node, @relation, @now) ON CONFLICT (context_id, node_id) DO NOTHING",
                new { id, node = node.Id, relation, now }, transaction, cancellationToken: cancellationToken));
            var member = new ContextMember(node.Id, relation, now);
            await audit.AppendAsync(transaction, caller.Name, $"metadata.context.{relation}", $"metadata/contexts/{type}/{name}", null, member, cancellationToken);
            return member;
        }, cancellationToken);
    }

    public async Task<ContextMemberList> MembersAsync(Caller caller, string type, string name, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var context = await GetContextAsync(caller, type, name, cancellationToken);
        var rows = await database.ReadAsync(connection => connection.QueryAsync<ContextMember>(new CommandDefinition(
            "SELECT node_id AS node, relation, created_at AS createdat FROM context_members WHERE context_id = @Id ORDER BY node_id",
            new { context.Id }, cancellationToken: cancellationToken)), cancellationToken);
        return new ContextMemberList(rows.ToList());
    }

    // ---- events ----

    /// <summary>Records that an execution read (INPUT: artifact → run) or wrote (OUTPUT: run → artifact) a node; both must exist.</summary>
    public async Task<MetadataEvent> PutEventAsync(Caller caller, PutEventRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var execution = NodeIds.Parse(request.Execution);
        if (execution.Kind != "run")
        {
            throw new InvalidParameterException($"'execution' must be a run (run:<id>); got '{execution.Id}'.");
        }
        var artifact = NodeIds.Parse(request.Artifact);
        var type = OneOf("type", request.Type?.ToUpperInvariant(), ["INPUT", "OUTPUT"]);
        return await database.WriteAsync(async (_, transaction) =>
        {
            await RequireNodeAsync(transaction, "execution", execution.Id, cancellationToken);
            await RequireNodeAsync(transaction, "artifact", artifact.Id, cancellationToken);
            var edge = type == "INPUT" ? new LineageEdge(artifact.Id, execution.Id, "input") : new LineageEdge(execution.Id, artifact.Id, "output");
            await LineageGraph.LinkExistingAsync(transaction, [edge], clock, cancellationToken);
            var recorded = new MetadataEvent(execution.Id, artifact.Id, type, clock.GetUtcNow().ToUnixTimeMilliseconds());
            await audit.AppendAsync(transaction, caller.Name, "metadata.event", $"lineage/{execution.Id}", null, recorded, cancellationToken);
            return recorded;
        }, cancellationToken);
    }

    /// <summary>
    /// The input and output edges at one node, in two arms rather than <c>source = @node OR target = @node</c>: on SQLite
    /// <c>lineage_edges</c> is a view over node keys (decision 0037), where an OR across its two sides can use neither
    /// index and reads every edge.
    /// </summary>
    internal const string EventsSql = """
        SELECT source, target, kind, created_at FROM lineage_edges WHERE kind IN ('input', 'output') AND source = @node
        UNION
        SELECT source, target, kind, created_at FROM lineage_edges WHERE kind IN ('input', 'output') AND target = @node
        ORDER BY created_at, source, target
        """;

    /// <summary>The events of an execution or of an artifact: the input and output edges that touch it.</summary>
    public async Task<MetadataEventList> EventsAsync(Caller caller, string? execution, string? artifact, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        if ((execution is null) == (artifact is null))
        {
            throw new InvalidParameterException("Give exactly one of 'execution' (run:<id>) and 'artifact' (a node id).");
        }
        var node = NodeIds.Parse(execution ?? artifact).Id;
        var rows = await database.ReadAsync(connection => connection.QueryAsync<(string Source, string Target, string Kind, long CreatedAt)>(new CommandDefinition(
            EventsSql, new { node }, cancellationToken: cancellationToken)), cancellationToken);
        return new MetadataEventList(rows
            .Select(e => e.Kind == "input" ? new MetadataEvent(e.Target, e.Source, "INPUT", e.CreatedAt) : new MetadataEvent(e.Source, e.Target, "OUTPUT", e.CreatedAt))
            .Where(e => e.Execution.StartsWith("run:", StringComparison.Ordinal) && (execution is null ? e.Artifact == node : e.Execution == node))
            .ToList());
    }

    // ---- shared ----

    /// <summary>
    /// Holds properties to their type's declarations and to the metadata schema of the type's name (the namespace of
    /// artifacts and contexts): new properties, and a new entity's (none given means {}).
    /// </summary>
    private static async Task CheckPropertiesAsync(DbTransaction transaction, string kind, string type, string? properties, bool isNew, CancellationToken cancellationToken)
    {
        await CheckTypedPropertiesAsync(transaction, kind, type, properties, cancellationToken);
        if (properties is not null || isNew)
        {
            await MetadataSchemas.ValidateAsync(transaction, type, kind, properties ?? "{}", cancellationToken);
        }
    }

    private static async Task RequireNodeAsync(DbTransaction transaction, string field, string id, CancellationToken cancellationToken)
    {
        if (!await LineageGraph.NodeExistsAsync(transaction.Connection!, transaction, id, cancellationToken))
        {
            throw new NotFoundException($"'{field}': lineage node '{id}' does not exist.");
        }
    }

    private static async Task<TypeRow?> LoadTypeRowAsync(DbConnection connection, DbTransaction? transaction, string kind, string name, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<TypeRow>(new CommandDefinition(
            "SELECT kind, name, description, properties, created_at, created_by FROM metadata_types WHERE kind = @kind AND name = @name",
            new { kind, name }, transaction, cancellationToken: cancellationToken));

    private static async Task<MetadataType?> LoadTypeAsync(DbConnection connection, DbTransaction? transaction, string kind, string name, CancellationToken cancellationToken) =>
        await LoadTypeRowAsync(connection, transaction, kind, name, cancellationToken) is { } row ? ToType(row) : null;

    // Table names come from this class's constants only.
    private static async Task<EntityRow?> LoadAsync(DbConnection connection, DbTransaction? transaction, string table, string id, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<EntityRow>(new CommandDefinition(
            table == "artifacts"
                ? "SELECT id, type, name, uri, state, properties, created_at, created_by, updated_at, updated_by FROM artifacts WHERE id = @id"
                : "SELECT id, type, name, properties, created_at, created_by, updated_at, updated_by FROM contexts WHERE id = @id",
            new { id }, transaction, cancellationToken: cancellationToken));

    private static string ContextId(string type, string name) => $"context:{Name("type", type)}:{Name("name", name)}";

    private static string Name(string field, string? value) =>
        string.IsNullOrWhiteSpace(value) || value.Length > 256 ? throw new InvalidParameterException($"'{field}' must be 1 to 256 characters long.")
        : value.Contains(':', StringComparison.Ordinal) ? throw new InvalidParameterException($"'{field}' may not contain ':'; got '{value}'.")
        : value;

    private static string OneOf(string field, string? value, IReadOnlyList<string> allowed) =>
        value is not null && allowed.Contains(value) ? value
        : throw new InvalidParameterException($"'{field}' must be one of {string.Join(", ", allowed)}; got '{value}'.");


    private static MetadataType ToType(TypeRow r) => new(r.Kind, r.Name, r.Description, Json.ToDictionary<string>(r.Properties), r.CreatedAt, r.CreatedBy);

    private static Artifact ToArtifact(EntityRow r) => new(r.Id, r.Type, r.Name, r.Uri, r.State, MetadataStore.ReadProperties(r.Properties), r.CreatedAt, r.CreatedBy, r.UpdatedAt, r.UpdatedBy);

    private static Context ToContext(EntityRow r) => new(r.Id, r.Type, r.Name, MetadataStore.ReadProperties(r.Properties), r.CreatedAt, r.CreatedBy, r.UpdatedAt, r.UpdatedBy);
}
