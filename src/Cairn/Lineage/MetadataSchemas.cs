using System.Collections.Concurrent;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Lineage;

/// <summary>One version of a namespace's schema for one kind of entity.</summary>
public sealed record MetadataSchema(string Namespace, string Kind, int Version, JsonElement Schema, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record MetadataSchemaList(IReadOnlyList<MetadataSchema> Schemas);

public sealed record RegisterSchemaRequest(string? Namespace, string? Kind, JsonElement? Schema);

public sealed record ValidatePropertiesRequest(string? Namespace, string? Kind, JsonElement? Properties);

/// <summary>A dry run's answer: <see cref="Version"/> is the schema version checked against, null when none is declared.</summary>
public sealed record PropertiesValidation(string Namespace, string Kind, int? Version, bool Valid, IReadOnlyList<ErrorDetail> Errors);

/// <summary>An entity's properties do not meet its namespace's schema (400); <see cref="Errors"/> has every failing path.</summary>
public sealed class MetadataValidationException(string @namespace, string kind, int version, IReadOnlyList<ErrorDetail> errors)
    : InvalidParameterException(
        $"The properties do not meet version {version} of the {kind} schema of namespace '{@namespace}': "
        + string.Join("; ", errors.Select(e => $"{(e.Path.Length == 0 ? "/" : e.Path)}: {e.Message}")) + "."),
      IHasErrorDetails
{
    public string Namespace { get; } = @namespace;
    public string Kind { get; } = kind;
    public int Version { get; } = version;
    public IReadOnlyList<ErrorDetail> Errors { get; } = errors;
}

/// <summary>A schema document that is not a usable JSON Schema for entity properties (400).</summary>
public sealed class InvalidSchemaException(string message, IReadOnlyList<ErrorDetail> errors) : InvalidParameterException(message), IHasErrorDetails
{
    public IReadOnlyList<ErrorDetail> Errors { get; } = errors;
}

/// <summary>
/// A new schema version that would refuse what the current one accepts, or that stored entities do not meet (409,
/// <c>INCOMPATIBLE_SCHEMA</c>); <see cref="Errors"/> has every reason.
/// </summary>
public sealed class IncompatibleSchemaException(string message, IReadOnlyList<ErrorDetail> errors)
    : CairnException(MetadataSchemas.IncompatibleSchema, 409, message), IHasErrorDetails
{
    public IReadOnlyList<ErrorDetail> Errors { get; } = errors;
}

/// <summary>
/// Custom metadata schemas: a namespace declares, per kind of entity, the properties its entities must carry and their
/// types, as a JSON Schema. Schemas are versioned (1, 2, 3 …) and immutable; a new version must be backward compatible
/// with the latest (see <see cref="SchemaCompatibility"/>) and met by the entities already stored, or it is refused with
/// every reason. Writers of entities call <see cref="ValidateAsync"/> in their transaction.
/// An entity's namespace is a dataset's or feature's namespace, an execution's job namespace, and an artifact's or
/// context's type name. Reading needs reader on "/", registering writer on "/", as for the rest of the metadata store.
/// </summary>
public sealed class MetadataSchemas(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    public const string IncompatibleSchema = "INCOMPATIBLE_SCHEMA";

    /// <summary>How many failing stored entities a refusal names before it stops looking.</summary>
    public const int MaxFailingEntities = 10;

    private const int MaxNamespaceLength = 1024;
    private const int PageSize = 500;
    private const int MaxCachedSchemas = 1024;

    /// <summary>The kinds of entity a schema can govern, with the table that stores them and their namespace column.</summary>
    private static readonly Dictionary<string, (string Table, string Column)> Kinds = new(StringComparer.Ordinal)
    {
        ["dataset"] = ("datasets", "namespace"),
        ["feature"] = ("features", "namespace"),
        ["execution"] = ("executions", "job_namespace"),
        ["artifact"] = ("artifacts", "type"),
        ["context"] = ("contexts", "type"),
    };

    // Compiled schemas by their stored text. Versions never change once written, so a text maps to one compiled
    // schema whichever database, replica or version it came from; the latest version is still looked up per write.
    private static readonly ConcurrentDictionary<string, CompiledMetadataSchema> Compiled = new(StringComparer.Ordinal);

    // Writes whose properties were found to meet a schema version before their writer took the write lock, by namespace,
    // kind, version and the properties' SHA-256: the check in the transaction then only confirms that version is still
    // the latest. An entry is taken by the write it was made for; the few a failed write leaves are dropped in bulk.
    private static readonly ConcurrentDictionary<(string Namespace, string Kind, long Version, string Properties), byte> Passed = new();
    private const int MaxPassed = 4096;

    private sealed record Row
    {
        public string Namespace { get; init; } = "";
        public string Kind { get; init; } = "";
        public long Version { get; init; }
        public string Schema { get; init; } = "";
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    private sealed record EntityRow
    {
        public string Id { get; init; } = "";
        public string Properties { get; init; } = "";
    }

    /// <summary>The kinds of entity a schema can be declared for.</summary>
    public static IReadOnlyCollection<string> EntityKinds => Kinds.Keys;

    /// <summary>
    /// Registers the next version of the schema of <paramref name="request"/>'s namespace and kind (1 when it is the
    /// first). Refuses a document that is not a JSON Schema of an object (400), and a version that the latest one's
    /// valid properties or the stored entities would not meet (409, every reason listed).
    /// </summary>
    public async Task<MetadataSchema> RegisterAsync(Caller caller, RegisterSchemaRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Writer, NamespacePath.Root);
        var (ns, kind) = Key(request.Namespace, request.Kind);
        if (request.Schema is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } element)
        {
            throw new InvalidParameterException("'schema' is required: a JSON Schema object such as {\"type\":\"object\",\"properties\":{…},\"required\":[…]}.");
        }
        var text = element.GetRawText();
        if (Encoding.UTF8.GetByteCount(text) > SchemaDocument.MaxBytes)
        {
            throw new InvalidParameterException($"'schema' is larger than {SchemaDocument.MaxBytes / 1024} KiB.");
        }
        var document = JsonNode.Parse(text);
        var problems = SchemaDocument.Check(document);
        if (problems.Count > 0)
        {
            throw new InvalidSchemaException(
                "'schema' is not a usable JSON Schema for entity properties: " + string.Join("; ", problems.Select(p => $"{(p.Path.Length == 0 ? "/" : p.Path)}: {p.Message}")) + ".",
                problems);
        }
        var normalised = SchemaDocument.Normalise((JsonObject)document!);
        var compiled = await SchemaDocument.CompileAsync(normalised, cancellationToken);
        Compiled.TryAdd(text, compiled);

        return await database.WriteAsync(async (connection, transaction) =>
        {
            var latest = await LatestAsync(connection, transaction, ns, kind, cancellationToken);
            var version = (int)(latest?.Version ?? 0) + 1;
            if (latest is not null)
            {
                var reasons = SchemaCompatibility.Check(SchemaDocument.Normalise((JsonObject)JsonNode.Parse(latest.Schema)!), normalised);
                if (reasons.Count > 0)
                {
                    throw new IncompatibleSchemaException(
                        $"Version {version} of the {kind} schema of namespace '{ns}' is not backward compatible with version {latest.Version}: "
                        + string.Join("; ", reasons.Select(r => r.Message)) + ".",
                        reasons);
                }
            }
            await CheckStoredEntitiesAsync(connection, transaction, ns, kind, version, compiled, cancellationToken);

            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO metadata_schemas (namespace, kind, version, schema, created_at, created_by) VALUES (@ns, @kind, @version, @text, @now, @by)",
                new { ns, kind, version, text, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            var created = ToSchema(new Row { Namespace = ns, Kind = kind, Version = version, Schema = text, CreatedAt = now, CreatedBy = caller.Name });
            await audit.AppendAsync(transaction, caller.Name, "metadata.schema.register", Resource(ns, kind),
                latest is null ? null : ToSchema(latest), created, cancellationToken);
            return created;
        }, cancellationToken);
    }

    /// <summary>One version of a schema, or the latest when <paramref name="version"/> is null; 404 when there is none.</summary>
    public async Task<MetadataSchema> GetAsync(Caller caller, string? @namespace, string? kind, int? version, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var (ns, k) = Key(@namespace, kind);
        if (version is < 1)
        {
            throw new InvalidParameterException($"'version' must be 1 or more; got {version}.");
        }
        var row = await database.ReadAsync(connection => version is null
            ? LatestAsync(connection, null, ns, k, cancellationToken)
            : connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                "SELECT namespace, kind, version, schema, created_at, created_by FROM metadata_schemas WHERE namespace = @ns AND kind = @k AND version = @version",
                new { ns, k, version }, cancellationToken: cancellationToken)), cancellationToken);
        return row is null
            ? throw new NotFoundException(version is null
                ? $"Namespace '{ns}' declares no {k} schema."
                : $"Namespace '{ns}' has no version {version} of its {k} schema.")
            : ToSchema(row);
    }

    /// <summary>Every version of one schema, oldest first; 404 when the namespace declares none for the kind.</summary>
    public async Task<MetadataSchemaList> VersionsAsync(Caller caller, string? @namespace, string? kind, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var (ns, k) = Key(@namespace, kind);
        var rows = await database.ReadAsync(async connection => (await connection.QueryAsync<Row>(new CommandDefinition(
            "SELECT namespace, kind, version, schema, created_at, created_by FROM metadata_schemas WHERE namespace = @ns AND kind = @k ORDER BY version",
            new { ns, k }, cancellationToken: cancellationToken))).ToList(), cancellationToken);
        return rows.Count == 0 ? throw new NotFoundException($"Namespace '{ns}' declares no {k} schema.") : new MetadataSchemaList(rows.Select(ToSchema).ToList());
    }

    /// <summary>The latest version of every schema, optionally of one namespace and/or one kind, by namespace then kind.</summary>
    public async Task<MetadataSchemaList> ListAsync(Caller caller, string? @namespace, string? kind, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var ns = string.IsNullOrEmpty(@namespace) ? null : Namespace(@namespace);
        var k = string.IsNullOrEmpty(kind) ? null : Kind(kind);
        var where = (ns is null ? "" : " AND s.namespace = @ns") + (k is null ? "" : " AND s.kind = @k");
        var rows = await database.ReadAsync(connection => connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            SELECT s.namespace, s.kind, s.version, s.schema, s.created_at, s.created_by FROM metadata_schemas s
            WHERE s.version = (SELECT MAX(t.version) FROM metadata_schemas t WHERE t.namespace = s.namespace AND t.kind = s.kind){where}
            ORDER BY s.namespace, s.kind
            """, new { ns, k }, cancellationToken: cancellationToken)), cancellationToken);
        return new MetadataSchemaList(rows.Select(ToSchema).ToList());
    }

    /// <summary>A dry run of <see cref="ValidateAsync"/>: what a write of these properties would meet, without writing.</summary>
    public async Task<PropertiesValidation> CheckAsync(Caller caller, ValidatePropertiesRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Reader, NamespacePath.Root);
        var (ns, kind) = Key(request.Namespace, request.Kind);
        var properties = request.Properties is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } element ? element.GetRawText() : "{}";
        return await database.ReadAsync(async connection =>
        {
            var latest = await LatestAsync(connection, null, ns, kind, cancellationToken);
            if (latest is null)
            {
                return new PropertiesValidation(ns, kind, null, true, []);
            }
            var errors = SchemaDocument.Validate(await CompiledAsync(latest.Schema, cancellationToken), properties);
            return new PropertiesValidation(ns, kind, (int)latest.Version, errors.Count == 0, errors);
        }, cancellationToken);
    }

    /// <summary>
    /// The hook writers of datasets, features, executions, artifacts and contexts call in their transaction before
    /// they store properties: passes when the namespace declares no schema for the kind, else throws a
    /// <see cref="MetadataValidationException"/> (400, with every failing path) unless the properties meet the latest
    /// version. The latest version is read in <paramref name="transaction"/>, so a schema registered concurrently is
    /// either seen or registered after this write (whose entity its stored-entity check then sees).
    /// </summary>
    /// <param name="transaction">The writer's open write transaction.</param>
    /// <param name="namespace">The entity's namespace: a dataset's or feature's namespace, an execution's job namespace, an artifact's or context's type.</param>
    /// <param name="kind">dataset, feature, execution, artifact or context.</param>
    /// <param name="propertiesJson">The properties as they will be stored: a JSON object.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    public static async Task ValidateAsync(DbTransaction transaction, string @namespace, string kind, string propertiesJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (!Kinds.ContainsKey(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Metadata schemas govern {string.Join(", ", Kinds.Keys)}.");
        }
        var latest = await LatestAsync(transaction.Connection!, transaction, @namespace, kind, cancellationToken);
        if (latest is null || Passed.TryRemove((@namespace, kind, latest.Version, Digest(propertiesJson)), out _))
        {
            return;
        }
        // Not checked before the lock, or a new version was registered since: checked here, in linear time.
        var errors = SchemaDocument.Validate(await CompiledAsync(latest.Schema, cancellationToken), propertiesJson);
        if (errors.Count > 0)
        {
            throw new MetadataValidationException(@namespace, kind, (int)latest.Version, errors);
        }
    }

    /// <summary>
    /// The check of <see cref="ValidateAsync"/> made before the writer takes the write lock, so that a write holds the
    /// lock no longer for the schema it meets: throws a <see cref="MetadataValidationException"/> when
    /// <paramref name="propertiesJson"/> does not meet the latest schema, and otherwise remembers that it did, so that
    /// <see cref="ValidateAsync"/> in the transaction only confirms the version. Null properties (a write that leaves
    /// them alone) are checked as {}, as a new entity's would be, and only remembered: whether the entity is new is
    /// known in the transaction.
    /// </summary>
    internal static async Task PrevalidateAsync(CairnDatabase database, string? @namespace, string kind, string? propertiesJson, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(@namespace) || !Kinds.ContainsKey(kind))
        {
            return;
        }
        var latest = await database.ReadAsync(connection => LatestAsync(connection, null, @namespace, kind, cancellationToken), cancellationToken);
        if (latest is null)
        {
            return;
        }
        var text = propertiesJson ?? "{}";
        var errors = SchemaDocument.Validate(await CompiledAsync(latest.Schema, cancellationToken), text);
        if (errors.Count > 0)
        {
            if (propertiesJson is null)
            {
                return;
            }
            throw new MetadataValidationException(@namespace, kind, (int)latest.Version, errors);
        }
        if (Passed.Count >= MaxPassed)
        {
            Passed.Clear();
        }
        Passed[(@namespace, kind, latest.Version, Digest(text))] = 0;
    }

    private static string Digest(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Refuses a schema version that stored entities of its namespace and kind do not meet, naming the first ones.</summary>
    private static async Task CheckStoredEntitiesAsync(
        DbConnection connection, DbTransaction transaction, string ns, string kind, int version, CompiledMetadataSchema schema, CancellationToken cancellationToken)
    {
        var (table, column) = Kinds[kind];
        var failures = new List<ErrorDetail>();
        var failing = new List<string>();
        var after = "";
        while (failing.Count < MaxFailingEntities)
        {
            // Keyset pages keep memory flat however many entities the namespace holds.
            var page = (await connection.QueryAsync<EntityRow>(new CommandDefinition(
                $"SELECT id, properties FROM {table} WHERE {column} = @ns AND id > @after ORDER BY id LIMIT {PageSize}",
                new { ns, after }, transaction, cancellationToken: cancellationToken))).ToList();
            foreach (var entity in page)
            {
                var errors = SchemaDocument.Validate(schema, entity.Properties);
                if (errors.Count > 0)
                {
                    failing.Add(entity.Id);
                    failures.AddRange(errors.Select(e => e with { Entity = entity.Id }));
                    if (failing.Count == MaxFailingEntities)
                    {
                        break;
                    }
                }
            }
            if (page.Count < PageSize)
            {
                break;
            }
            after = page[^1].Id;
        }
        if (failing.Count > 0)
        {
            var first = failures.GroupBy(f => f.Entity).Select(g => $"{g.Key} ({string.Join(", ", g.Select(e => $"{(e.Path.Length == 0 ? "/" : e.Path)}: {e.Message}"))})");
            throw new IncompatibleSchemaException(
                $"Version {version} of the {kind} schema of namespace '{ns}' is not met by stored {kind}s"
                + (failing.Count == MaxFailingEntities ? $" (the first {MaxFailingEntities} are named)" : "")
                + ": " + string.Join("; ", first) + ". Fix their properties or relax the schema.",
                failures);
        }
    }

    private static Task<Row?> LatestAsync(DbConnection connection, DbTransaction? transaction, string ns, string kind, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Row?>(new CommandDefinition(
            """
            SELECT namespace, kind, version, schema, created_at, created_by FROM metadata_schemas
            WHERE namespace = @ns AND kind = @kind ORDER BY version DESC LIMIT 1
            """, new { ns, kind }, transaction, cancellationToken: cancellationToken));

    private static async Task<CompiledMetadataSchema> CompiledAsync(string text, CancellationToken cancellationToken)
    {
        if (Compiled.TryGetValue(text, out var schema))
        {
            return schema;
        }
        schema = await SchemaDocument.CompileAsync(SchemaDocument.Normalise((JsonObject)JsonNode.Parse(text)!), cancellationToken);
        if (Compiled.Count >= MaxCachedSchemas)
        {
            Compiled.Clear();
        }
        Compiled.TryAdd(text, schema);
        return schema;
    }

    private static (string Namespace, string Kind) Key(string? @namespace, string? kind) => (Namespace(@namespace), Kind(kind));

    private static string Namespace(string? @namespace)
    {
        if (string.IsNullOrWhiteSpace(@namespace))
        {
            throw new InvalidParameterException("'namespace' is required: a dataset or feature namespace, an execution's job namespace, or an artifact or context type.");
        }
        if (@namespace.Length > MaxNamespaceLength || @namespace.Trim().Length != @namespace.Length)
        {
            throw new InvalidParameterException($"'namespace' must be at most {MaxNamespaceLength} characters, without leading or trailing spaces.");
        }
        return @namespace;
    }

    private static string Kind(string? kind) =>
        kind is not null && Kinds.ContainsKey(kind)
            ? kind
            : throw new InvalidParameterException($"'kind' must be one of {string.Join(", ", Kinds.Keys)}; got '{kind}'.");

    private static string Resource(string ns, string kind) => $"metadata/schemas/{kind}/{ns}";

    private static MetadataSchema ToSchema(Row row) => new(
        row.Namespace, row.Kind, (int)row.Version, JsonSerializer.Deserialize<JsonElement>(row.Schema),
        DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), row.CreatedBy);
}
