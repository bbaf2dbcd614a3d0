using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Lineage;
using Cairn.Registry;
using Cairn.Storage;
using Dapper;

namespace Cairn.Deployments;

/// <summary>
/// Deployments as deployment tools (Argo CD, Flagger, KServe, SageMaker, a CI job) report them: where a model serves,
/// which versions take which share of its traffic (each change a new revision, with rollback to the previous one), and
/// its status history. Cairn runs nothing; it keeps the record, checks that a protected environment serves only promoted
/// versions, and links each deployment into the lineage graph. Every change is one transaction with its audit entry
/// and event. Roles follow the model's namespace: readers read, writers record and change, admins delete.
/// </summary>
/// <remarks>
/// With <c>secrets</c>, secret-looking environment variables are stored encrypted (<see cref="Encryption.StoredSecrets"/>);
/// without, as given. Either way they are masked when shown.
/// </remarks>
public sealed partial class DeploymentRegistry(CairnDatabase database, AuditChain audit, TimeProvider clock, LimitsOptions? limits = null, Encryption.StoredSecrets? secrets = null)
{
    private readonly LimitsOptions _limits = limits ?? new LimitsOptions();

    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;
    private const int MaxTrafficEntries = 100;
    private const int MaxTextLength = 10_000;

    /// <summary>A share of 100 % in the store's unit, hundredths of a percent.</summary>
    private const long Whole = 10_000;

    /// <summary>The lineage edge from a version to a deployment it was allocated traffic in.</summary>
    public const string LineageEdgeKind = "deployed";

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,127}\z")]
    private static partial Regex NamePattern();

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record DeploymentRow
    {
        public string Id { get; init; } = "";
        public string Environment { get; init; } = "";
        public string Name { get; init; } = "";
        public long ModelId { get; init; }
        public string Model { get; init; } = "";
        public string Namespace { get; init; } = "";
        public string? Endpoint { get; init; }
        public string EnvironmentVariables { get; init; } = "{}";
        public string? Method { get; init; }
        public string? Strategy { get; init; }
        public string? Description { get; init; }
        public string Status { get; init; } = "";
        public string? StatusMessage { get; init; }
        public long Revision { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
        public long? DeletedAt { get; init; }
        public string? DeletedBy { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record AllocationRow
    {
        public string DeploymentId { get; init; } = "";
        public long Revision { get; init; }
        public long VersionId { get; init; }
        public long Version { get; init; }
        public long Share { get; init; }
        public long Shadow { get; init; }
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record RevisionRow
    {
        public long Revision { get; init; }
        public long? RestoredFrom { get; init; }
        public string? Comment { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record StatusRow
    {
        public string Status { get; init; } = "";
        public string? Message { get; init; }
        public long Revision { get; init; }
        public long At { get; init; }
        public string Actor { get; init; } = "";
    }

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record VersionRow
    {
        public long Id { get; init; }
        public long Version { get; init; }
        public string Stage { get; init; } = "";
    }

    /// <summary>One checked allocation entry: the share in hundredths of a percent, the version's id once resolved.</summary>
    private sealed record Allocation(int Version, long Share, bool Shadow, long VersionId = 0)
    {
        public bool Serves => !Shadow && Share > 0;
    }

    // The live name of the model (it may have been renamed since) and its namespace, else what was recorded.
    private const string SelectDeployments = """
        SELECT d.id, d.environment, d.name, d.model_id, COALESCE(m.full_name, d.model) AS model, COALESCE(m.namespace, d.namespace) AS namespace,
               d.endpoint, d.environment_variables, d.method, d.strategy, d.description, d.status, d.status_message, d.revision,
               d.created_at, d.created_by, d.updated_at, d.updated_by, d.deleted_at, d.deleted_by
        FROM deployments d LEFT JOIN models m ON m.id = d.model_id
        """;

    /// <summary>
    /// Records a deployment with its first allocation (revision 1) and first status (default pending); writer on the
    /// model's namespace. In a protected environment every version the allocation serves must hold an applied
    /// promotion to the environment's target (403 otherwise).
    /// </summary>
    public async Task<Deployment> RecordAsync(Caller caller, RecordDeploymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = CheckName(request.Name);
        DeploymentEnvironments.CheckName(request.Environment, "environment");
        var environment = request.Environment!;
        var model = string.IsNullOrWhiteSpace(request.Model)
            ? throw new InvalidParameterException("'model' is required: the full name of the model the deployment serves.")
            : request.Model;
        var ns = NamespacePath.Split(model).Namespace;
        caller.Require(Role.Writer, ns);
        var traffic = CheckTraffic(request.Traffic);
        var variables = Seal(CheckVariables(request.EnvironmentVariables));
        var strategy = CheckStrategy(request.Strategy);
        var status = CheckStatus(request.Status) ?? "pending";
        CheckText("endpoint", request.Endpoint);
        CheckText("method", request.Method);
        CheckText("message", request.Message);
        _limits.Description("description", request.Description);
        var id = "dep-" + Guid.CreateVersion7().ToString("N");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var target = await DeploymentEnvironments.LoadAsync(connection, transaction, environment, cancellationToken)
                ?? throw new InvalidParameterException(
                    $"'environment' '{environment}' does not exist: an admin sets it first with PUT /api/v1/environments/{environment} (or `cairn env set {environment}`).");
            var modelId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT id FROM models WHERE full_name = @model", new { model }, transaction, cancellationToken: cancellationToken))
                ?? throw ModelCatalog.Missing(model);
            var taken = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT id FROM deployments WHERE environment = @environment AND name = @name AND deleted_at IS NULL",
                new { environment, name }, transaction, cancellationToken: cancellationToken));
            if (taken is not null)
            {
                throw new AlreadyExistsException($"Environment '{environment}' already has a deployment named '{name}': '{taken}'. Shift its traffic (PUT /api/v1/deployments/{taken}/traffic) or pick another name.");
            }
            var resolved = await ResolveAsync(transaction, modelId, model, target, traffic, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO deployments (id, environment, name, model_id, model, namespace, endpoint, environment_variables, method, strategy, description,
                    status, status_message, revision, created_at, created_by, updated_at, updated_by)
                VALUES (@id, @environment, @name, @modelId, @model, @ns, @endpoint, @variables, @method, @strategy, @description,
                    @status, @message, 1, @now, @by, @now, @by)
                """,
                new
                {
                    id,
                    environment,
                    name,
                    modelId,
                    model,
                    ns,
                    endpoint = request.Endpoint,
                    variables = JsonSerializer.Serialize(variables, CairnJson.Options),
                    method = request.Method,
                    strategy,
                    description = request.Description,
                    status,
                    message = request.Message,
                    now,
                    by = caller.Name,
                }, transaction, cancellationToken: cancellationToken));
            await WriteRevisionAsync(transaction, id, environment, name, model, 1, resolved, null, request.Message, now, caller.Name, cancellationToken);
            await WriteStatusAsync(transaction, id, status, request.Message, 1, now, caller.Name, cancellationToken);
            var after = await LoadAsync(connection, transaction, id, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, "deployment.record", Resource(after), null, Masked(after), cancellationToken);
            return Masked(after);
        }, cancellationToken);
    }

    /// <summary>One deployment (deleted ones too) with its current allocation; reader on its model's namespace.</summary>
    public async Task<Deployment> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var found = await database.ReadAsync(c => LoadAsync(c, null, id, cancellationToken), cancellationToken);
        caller.Require(Role.Reader, NamespaceOf(found));
        return Masked(found);
    }

    /// <summary>
    /// One deployment with its current allocation (the versions' ids included), read in the caller's connection and
    /// transaction, without a role check and with secrets masked: for features that attach records to a deployment
    /// (monitoring windows) inside their own transaction. Null when no deployment has the id.
    /// </summary>
    public static async Task<Deployment?> FindAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var found = await ReadDeploymentsAsync(connection, transaction, SelectDeployments + " WHERE d.id = @id", new { id }, cancellationToken);
        return found.Count == 0 ? null : Masked(found[0]);
    }

    /// <summary>Deployments matching <paramref name="query"/>, by environment and name, among the namespaces the caller may read.</summary>
    public async Task<DeploymentPage> ListAsync(Caller caller, DeploymentQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var size = Paging.PageSize(query.MaxResults, DefaultPageSize, MaxPageSize);
        if (query.Version is not null && query.Model is null)
        {
            throw new InvalidParameterException("'version' needs 'model'.");
        }
        var where = new List<string>();
        var parameters = new Dictionary<string, object?>();
        if (query.Model is not null)
        {
            caller.Require(Role.Reader, NamespacePath.Split(query.Model).Namespace);
            parameters["model"] = query.Model;
            where.Add("COALESCE(m.full_name, d.model) = @model");
        }
        else if (ModelCatalog.NamespaceScope(caller, "COALESCE(m.namespace, d.namespace)", parameters) is { } scope)
        {
            where.Add(scope);
        }
        if (query.Environment is not null)
        {
            parameters["environment"] = query.Environment;
            where.Add("d.environment = @environment");
        }
        if (CheckStatus(query.Status) is { } status)
        {
            parameters["status"] = status;
            where.Add("d.status = @status");
        }
        if (query.Version is { } version)
        {
            parameters["version"] = (long)version;
            where.Add("EXISTS (SELECT 1 FROM deployment_allocations a WHERE a.deployment_id = d.id AND a.revision = d.revision AND a.version = @version)");
        }
        if (!query.IncludeDeleted)
        {
            where.Add("d.deleted_at IS NULL");
        }
        var shape = string.Join('\n', "deployments", query.Environment, query.Model, query.Version, query.Status, query.IncludeDeleted);
        var page = OffsetPage.Start(size, query.PageToken, shape);
        page.AddTo(parameters);
        var sql = SelectDeployments + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY d.environment, d.name, d.id" + OffsetPage.Sql;
        var rows = await database.ReadAsync(c => ReadDeploymentsAsync(c, null, sql, new DynamicParameters(parameters), cancellationToken), cancellationToken);
        var (deployments, next) = page.Cut(rows);
        return new DeploymentPage(deployments.Select(Masked).ToList(), next);
    }

    /// <summary>
    /// Changes what describes a deployment (endpoint, environment variables, method, strategy, description); writer.
    /// Environment variables sent back masked keep the stored secret.
    /// </summary>
    public async Task<Deployment> UpdateAsync(Caller caller, string id, UpdateDeploymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var variables = request.EnvironmentVariables is null ? null : CheckVariables(request.EnvironmentVariables);
        var strategy = CheckStrategy(request.Strategy);
        CheckText("endpoint", request.Endpoint);
        CheckText("method", request.Method);
        _limits.Description("description", request.Description);
        return await MutateAsync(caller, id, Role.Writer, "deployment.update", async (transaction, before, now) =>
        {
            var kept = variables is null ? null : Seal(Secrets.KeepMaskedValues(variables, before.EnvironmentVariables));
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                UPDATE deployments SET
                    endpoint = COALESCE(@endpoint, endpoint),
                    environment_variables = COALESCE(@variables, environment_variables),
                    method = COALESCE(@method, method),
                    strategy = COALESCE(@strategy, strategy),
                    description = COALESCE(@description, description)
                WHERE id = @id
                """,
                new
                {
                    id,
                    endpoint = request.Endpoint,
                    variables = kept is null ? null : JsonSerializer.Serialize(kept, CairnJson.Options),
                    method = request.Method,
                    strategy,
                    description = request.Description,
                }, transaction, cancellationToken: cancellationToken));
        }, cancellationToken);
    }

    /// <summary>
    /// Replaces the allocation: a new revision, with a status entry (default in_progress); writer. Governed as a
    /// recording is: every version that serves in a protected environment needs an applied promotion to its target.
    /// </summary>
    public async Task<Deployment> ShiftTrafficAsync(Caller caller, string id, ShiftTrafficRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var traffic = CheckTraffic(request.Traffic);
        var status = CheckStatus(request.Status) ?? "in_progress";
        CheckText("message", request.Message);
        return await MutateAsync(caller, id, Role.Writer, "deployment.traffic", async (transaction, before, now) =>
        {
            var environment = await EnvironmentOfAsync(transaction, before, cancellationToken);
            var resolved = await ResolveAsync(transaction, before.ModelId, before.Model, environment, traffic, cancellationToken);
            await NewRevisionAsync(transaction, before, resolved, null, status, request.Message, now, caller.Name, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// Returns to the previous revision's allocation as a new revision (restored_from says which) and records the status
    /// rolled_back; writer. 409 when the deployment has no previous revision; the restored versions are checked as any
    /// new allocation is (they must still exist, and be promoted in a protected environment).
    /// </summary>
    public async Task<Deployment> RollbackAsync(Caller caller, string id, RollbackRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckText("message", request.Message);
        return await MutateAsync(caller, id, Role.Writer, "deployment.rollback", async (transaction, before, now) =>
        {
            if (before.Revision <= 1)
            {
                throw new InvalidStateException($"Deployment '{before.Name}' in '{before.Environment}' has only revision 1: there is no previous allocation to roll back to.");
            }
            var previous = before.Revision - 1;
            var rows = await transaction.Connection!.QueryAsync<AllocationRow>(new CommandDefinition(
                "SELECT deployment_id, revision, version_id, version, share, shadow FROM deployment_allocations WHERE deployment_id = @id AND revision = @previous",
                new { id, previous = (long)previous }, transaction, cancellationToken: cancellationToken));
            var restored = rows.Select(r => new Allocation((int)r.Version, r.Share, r.Shadow != 0)).ToList();
            var environment = await EnvironmentOfAsync(transaction, before, cancellationToken);
            var resolved = await ResolveAsync(transaction, before.ModelId, before.Model, environment, restored, cancellationToken, $"revision {previous.ToString(CultureInfo.InvariantCulture)}");
            var message = request.Message ?? $"rolled back to the allocation of revision {previous.ToString(CultureInfo.InvariantCulture)}";
            await NewRevisionAsync(transaction, before, resolved, previous, "rolled_back", message, now, caller.Name, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Records a status report (pending, in_progress, succeeded, failed, rolled_back) against the current revision; writer.</summary>
    public async Task<Deployment> ReportStatusAsync(Caller caller, string id, ReportStatusRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var status = CheckStatus(request.Status) ?? throw new InvalidParameterException(
            $"'status' is required: one of {string.Join(", ", DeploymentIds.Statuses)}.");
        CheckText("message", request.Message);
        return await MutateAsync(caller, id, Role.Writer, "deployment.status", async (transaction, before, now) =>
        {
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                "UPDATE deployments SET status = @status, status_message = @message WHERE id = @id",
                new { id, status, message = request.Message }, transaction, cancellationToken: cancellationToken));
            await WriteStatusAsync(transaction, id, status, request.Message, before.Revision, now, caller.Name, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>The status history, oldest first; reader.</summary>
    public async Task<IReadOnlyList<DeploymentStatusEntry>> StatusHistoryAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        await GetAsync(caller, id, cancellationToken);
        var rows = await database.ReadAsync(c => c.QueryAsync<StatusRow>(new CommandDefinition(
            "SELECT status, message, revision, at, actor FROM deployment_status WHERE deployment_id = @id ORDER BY id",
            new { id }, cancellationToken: cancellationToken)), cancellationToken);
        return rows.Select(r => new DeploymentStatusEntry(r.Status, r.Message, (int)r.Revision, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Actor)).ToList();
    }

    /// <summary>
    /// The latest <paramref name="latest"/> status entries of each of <paramref name="deployments"/> (as a listing returned
    /// them, so the caller could read them), newest first: one query for a whole page, for the web UI's deployments page.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<DeploymentStatusEntry>>> RecentStatusAsync(
        IReadOnlyCollection<Deployment> deployments, int latest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployments);
        var result = deployments.ToDictionary(d => d.Id, _ => (IReadOnlyList<DeploymentStatusEntry>)[], StringComparer.Ordinal);
        if (deployments.Count == 0)
        {
            return result;
        }
        var rows = await database.ReadAsync(c => c.QueryAsync<(string DeploymentId, string Status, string? Message, long Revision, long At, string Actor)>(new CommandDefinition(
            $"""
            SELECT deployment_id, status, message, revision, at, actor FROM (
                SELECT deployment_id, status, message, revision, at, actor, ROW_NUMBER() OVER (PARTITION BY deployment_id ORDER BY id DESC) AS n
                FROM deployment_status WHERE deployment_id IN {database.Dialect.ValueSet("@ids", "TEXT")}) ranked
            WHERE n <= @latest ORDER BY deployment_id, n
            """,
            new { ids = database.Dialect.ValueSetParameter(deployments.Select(d => d.Id)), latest = (long)latest }, cancellationToken: cancellationToken)), cancellationToken);
        foreach (var group in rows.GroupBy(r => r.DeploymentId, StringComparer.Ordinal))
        {
            result[group.Key] = group.Select(r => new DeploymentStatusEntry(r.Status, r.Message, (int)r.Revision, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Actor)).ToList();
        }
        return result;
    }

    /// <summary>Every revision with its allocation, newest first; reader. Two queries whatever their number.</summary>
    public async Task<IReadOnlyList<DeploymentRevision>> RevisionsAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        await GetAsync(caller, id, cancellationToken);
        return await database.ReadAsync(async connection =>
        {
            var revisions = await connection.QueryAsync<RevisionRow>(new CommandDefinition(
                "SELECT revision, restored_from, comment, created_at, created_by FROM deployment_revisions WHERE deployment_id = @id ORDER BY revision DESC",
                new { id }, cancellationToken: cancellationToken));
            var shares = (await connection.QueryAsync<AllocationRow>(new CommandDefinition(
                "SELECT deployment_id, revision, version_id, version, share, shadow FROM deployment_allocations WHERE deployment_id = @id",
                new { id }, cancellationToken: cancellationToken))).ToLookup(r => r.Revision);
            return revisions.Select(r => new DeploymentRevision(
                (int)r.Revision, Ordered(shares[r.Revision]), r.RestoredFrom is null ? null : (int)r.RestoredFrom.Value, r.Comment,
                DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.CreatedBy)).ToList();
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes a deployment (admin on its model's namespace). Its rows stay, marked deleted, as evidence of what served
    /// where; its versions no longer count as serving, and its name is free again in its environment.
    /// </summary>
    public async Task DeleteAsync(Caller caller, string id, CancellationToken cancellationToken) =>
        await MutateAsync(caller, id, Role.Admin, "deployment.delete", async (transaction, before, now) =>
        {
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                "UPDATE deployments SET deleted_at = @now, deleted_by = @by WHERE id = @id",
                new { id, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
        }, cancellationToken, deleting: true);

    /// <summary>
    /// Runs a change to one live deployment in one transaction: checks the role on its model's namespace, bumps
    /// updated_at/by and audits before and after (masked); the event's payload is the deployment after the change.
    /// </summary>
    private async Task<Deployment> MutateAsync(
        Caller caller, string id, Role role, string action, Func<DbTransaction, Deployment, long, Task> change, CancellationToken cancellationToken, bool deleting = false) =>
        await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadAsync(connection, transaction, id, cancellationToken);
            caller.Require(role, NamespaceOf(before));
            if (before.DeletedAt is not null)
            {
                throw new InvalidStateException($"Deployment '{id}' ('{before.Name}' in '{before.Environment}') was deleted at {before.DeletedAt:O} by {before.DeletedBy}; its history stays readable but it cannot change.");
            }
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await change(transaction, before, now);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE deployments SET updated_at = @now, updated_by = @by WHERE id = @id",
                new { id, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            var after = await LoadAsync(connection, transaction, id, cancellationToken);
            await audit.AppendAsync(transaction, caller.Name, action, Resource(before), Masked(before), deleting ? null : Masked(after), cancellationToken);
            return Masked(after);
        }, cancellationToken);

    private async Task NewRevisionAsync(
        DbTransaction transaction, Deployment before, IReadOnlyList<Allocation> allocation, int? restoredFrom, string status, string? message, long now, string by, CancellationToken cancellationToken)
    {
        var revision = before.Revision + 1;
        await WriteRevisionAsync(transaction, before.Id, before.Environment, before.Name, before.Model, revision, allocation, restoredFrom, message, now, by, cancellationToken);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE deployments SET revision = @revision, status = @status, status_message = @message WHERE id = @Id",
            new { before.Id, revision = (long)revision, status, message }, transaction, cancellationToken: cancellationToken));
        await WriteStatusAsync(transaction, before.Id, status, message, revision, now, by, cancellationToken);
    }

    /// <summary>Writes a revision and its allocation, and links each of its versions to the deployment's lineage node.</summary>
    private async Task WriteRevisionAsync(
        DbTransaction transaction, string id, string environment, string name, string model, int revision, IReadOnlyList<Allocation> allocation,
        int? restoredFrom, string? message, long now, string by, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO deployment_revisions (deployment_id, revision, restored_from, comment, created_at, created_by)
            VALUES (@id, @revision, @restoredFrom, @message, @now, @by)
            """,
            new { id, revision = (long)revision, restoredFrom = (long?)restoredFrom, message, now, by }, transaction, cancellationToken: cancellationToken));
        // One statement for the whole allocation, the rows as one JSON parameter.
        var rows = SqlDialects.RowsParameter(allocation.Select(a => new { a.VersionId, Version = (long)a.Version, a.Share, Shadow = a.Shadow ? 1L : 0L }));
        await connection.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO deployment_allocations (deployment_id, revision, version_id, version, share, shadow)
            SELECT @id, @revision, r.version_id, r.version, r.share, r.shadow
            FROM {SqlDialects.Of(transaction).JsonRows("@rows", [("version_id", "bigint"), ("version", "bigint"), ("share", "bigint"), ("shadow", "bigint")])}
            """,
            new { id, revision = (long)revision, rows }, transaction, cancellationToken: cancellationToken));
        // Every version ever allocated stays linked: the graph says what fed the deployment, not only what feeds it now.
        var node = new LineageNode(DeploymentIds.LineageNode(environment, name), "deployment", environment, name);
        var versions = allocation
            .Select(a => new LineageNode(NodeIds.Model(model, a.Version), "model", model, a.Version.ToString(CultureInfo.InvariantCulture)))
            .ToList();
        await LineageGraph.TouchNodesAsync(transaction, [node], versions, clock, cancellationToken);
        await LineageGraph.LinkExistingAsync(transaction, versions.Select(v => new LineageEdge(v.Id, node.Id, LineageEdgeKind)).ToList(), clock, cancellationToken);
    }

    private static async Task WriteStatusAsync(DbTransaction transaction, string id, string status, string? message, int revision, long now, string by, CancellationToken cancellationToken) =>
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO deployment_status (deployment_id, status, message, revision, at, actor) VALUES (@id, @status, @message, @revision, @now, @by)",
            new { id, status, message, revision = (long)revision, now, by }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// The allocation's versions resolved to the model's versions: each must exist, a serving one must not be archived,
    /// and in a protected environment each serving one must hold an applied promotion request to the environment's target.
    /// Shadows answer no user, so the promotion rule does not apply to them.
    /// </summary>
    private static async Task<List<Allocation>> ResolveAsync(
        DbTransaction transaction, long modelId, string model, DeploymentEnvironment environment, IReadOnlyList<Allocation> traffic, CancellationToken cancellationToken,
        string? from = null)
    {
        var connection = transaction.Connection!;
        var dialect = SqlDialects.Of(transaction);
        var found = (await connection.QueryAsync<VersionRow>(new CommandDefinition(
            $"SELECT id, version, stage FROM model_versions WHERE model_id = @modelId AND version IN {dialect.ValueSet("@versions", "BIGINT")}",
            new { modelId, versions = dialect.ValueSetParameter(traffic.Select(t => (long)t.Version)) }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(v => (int)v.Version);
        var where = from is null ? "'traffic'" : $"the allocation of {from}";
        var resolved = new List<Allocation>(traffic.Count);
        foreach (var entry in traffic)
        {
            if (!found.TryGetValue(entry.Version, out var version))
            {
                throw new InvalidParameterException($"{Capital(where)} names version {entry.Version} of model '{model}', which does not exist.");
            }
            if (entry.Serves && version.Stage == nameof(Stage.Archived))
            {
                throw new InvalidParameterException(
                    $"{Capital(where)} gives version {entry.Version} of model '{model}' {Percent(entry.Share)} of the traffic, but it is Archived: an archived version serves no traffic. Move it out of Archived first, or give it a shadow share.");
            }
            resolved.Add(entry with { VersionId = version.Id });
        }
        if (environment.Protected && environment.Target is { } text)
        {
            var target = PromotionTarget.Parse(text);
            var serving = resolved.Where(a => a.Serves).ToList();
            var promoted = (await connection.QueryAsync<long>(new CommandDefinition(
                $"""
                SELECT DISTINCT version_id FROM promotion_requests
                WHERE status = 'APPLIED' AND target_kind = @kind AND target = @name AND version_id IN {dialect.ValueSet("@ids", "BIGINT")}
                """,
                new { kind = target.Kind.ToString(), name = target.Name, ids = dialect.ValueSetParameter(serving.Select(a => a.VersionId)) },
                transaction, cancellationToken: cancellationToken))).ToHashSet();
            if (serving.FirstOrDefault(a => !promoted.Contains(a.VersionId)) is { } unpromoted)
            {
                throw new PermissionDeniedException(
                    $"Version {unpromoted.Version} of model '{model}' may not serve traffic in environment '{environment.Name}': the environment is protected and serves only "
                    + $"versions promoted to {target} through an approved promotion request, and version {unpromoted.Version} has none applied. "
                    + $"Open a promotion request: {ProtectedTargets.RequestHint(model, unpromoted.Version, target)}; once it is applied, record the traffic again. "
                    + "A shadow share needs no promotion (it answers no user).");
            }
        }
        return resolved;
    }

    /// <summary>The environment a deployment runs in, as it is set now (its protection may have changed since).</summary>
    private static async Task<DeploymentEnvironment> EnvironmentOfAsync(DbTransaction transaction, Deployment deployment, CancellationToken cancellationToken) =>
        await DeploymentEnvironments.LoadAsync(transaction.Connection!, transaction, deployment.Environment, cancellationToken)
        // An environment with live deployments cannot be deleted; this covers a store edited by hand.
        ?? throw new InvalidStateException($"Deployment '{deployment.Id}' runs in environment '{deployment.Environment}', which no longer exists: an admin sets it again first.");

    private static async Task<Deployment> LoadAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken)
    {
        var found = await ReadDeploymentsAsync(connection, transaction, SelectDeployments + " WHERE d.id = @id", new { id }, cancellationToken);
        return found.Count == 0 ? throw Missing(id) : found[0];
    }

    /// <summary>
    /// The deployments <paramref name="sql"/> selects, in its order, each with its current allocation: two statements
    /// whatever their number (the allocations of all of them in one, the ids as one parameter). Secrets unmasked.
    /// </summary>
    private static async Task<List<Deployment>> ReadDeploymentsAsync(DbConnection connection, DbTransaction? transaction, string sql, object parameters, CancellationToken cancellationToken)
    {
        var rows = (await connection.QueryAsync<DeploymentRow>(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken))).AsList();
        if (rows.Count == 0)
        {
            return [];
        }
        ISqlDialect dialect = connection is Microsoft.Data.Sqlite.SqliteConnection ? SqliteDialect.Instance : PostgresDialect.Instance;
        var shares = (await connection.QueryAsync<AllocationRow>(new CommandDefinition(
            $"""
            SELECT a.deployment_id, a.revision, a.version_id, a.version, a.share, a.shadow
            FROM deployment_allocations a JOIN deployments d ON d.id = a.deployment_id AND d.revision = a.revision
            WHERE a.deployment_id IN {dialect.ValueSet("@ids", "TEXT")}
            """,
            new { ids = dialect.ValueSetParameter(rows.Select(r => r.Id)) }, transaction, cancellationToken: cancellationToken))).ToLookup(r => r.DeploymentId, StringComparer.Ordinal);
        return rows.Select(r => ToDeployment(r, Ordered(shares[r.Id]))).ToList();
    }

    /// <summary>Serving versions first, the largest share first, then shadows.</summary>
    private static List<TrafficShare> Ordered(IEnumerable<AllocationRow> rows) =>
        rows.OrderBy(r => r.Shadow).ThenByDescending(r => r.Share).ThenByDescending(r => r.Version)
            .Select(r => new TrafficShare((int)r.Version, r.Share / 100m, r.Shadow != 0) { VersionId = r.VersionId })
            .ToList();

    private static Deployment ToDeployment(DeploymentRow r, IReadOnlyList<TrafficShare> traffic) => new(
        r.Id, r.Name, r.Environment, r.Model, r.Endpoint,
        JsonSerializer.Deserialize<Dictionary<string, string>>(r.EnvironmentVariables, CairnJson.Options) ?? [],
        r.Method, r.Strategy, r.Description, r.Status, r.StatusMessage, (int)r.Revision, traffic,
        DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt), r.UpdatedBy,
        r.DeletedAt is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.DeletedAt.Value), r.DeletedBy)
    {
        ModelId = r.ModelId,
    };

    private IReadOnlyDictionary<string, string> CheckVariables(IReadOnlyDictionary<string, string>? variables)
    {
        var checkedVariables = _limits.Tags("environment_variables", variables);
        foreach (var (key, value) in checkedVariables)
        {
            Encryption.StoredSecrets.RefuseSealed($"environment_variables.{key}", value);
        }
        return checkedVariables;
    }

    private IReadOnlyDictionary<string, string> Seal(IReadOnlyDictionary<string, string> variables) => secrets is null ? variables : secrets.SealVariables(variables);

    private static Deployment Masked(Deployment deployment) =>
        deployment with { EnvironmentVariables = Secrets.MaskValues(deployment.EnvironmentVariables) };

    private static string NamespaceOf(Deployment deployment) => NamespacePath.Split(deployment.Model).Namespace;

    /// <summary>The audit resource of a deployment: <c>models/&lt;model&gt;/deployments/&lt;id&gt;</c>, so its events belong to the model's namespace.</summary>
    internal static string Resource(Deployment deployment) => $"models/{deployment.Model}/deployments/{deployment.Id}";

    private static NotFoundException Missing(string id) => new($"Deployment '{id}' does not exist.");

    /// <summary>The allocation checked entry by entry, each error naming its field; shares in hundredths of a percent.</summary>
    private static List<Allocation> CheckTraffic(IReadOnlyList<TrafficEntry?>? traffic)
    {
        if (traffic is null || traffic.Count == 0)
        {
            throw new InvalidParameterException("'traffic' is required: the versions with their shares in percent, e.g. [{\"version\": 3, \"share\": 100}].");
        }
        if (traffic.Count > MaxTrafficEntries)
        {
            throw new InvalidParameterException($"'traffic' holds {traffic.Count} entries; at most {MaxTrafficEntries} are allowed.");
        }
        var checkedEntries = new List<Allocation>(traffic.Count);
        var seen = new HashSet<int>();
        for (var i = 0; i < traffic.Count; i++)
        {
            var field = $"traffic[{i.ToString(CultureInfo.InvariantCulture)}]";
            var entry = traffic[i] ?? throw new InvalidParameterException($"'{field}' is null; each entry is {{\"version\": n, \"share\": percent, \"shadow\": false}}.");
            var version = entry.Version ?? throw new InvalidParameterException($"'{field}.version' is required.");
            if (version < 1)
            {
                throw new InvalidParameterException($"'{field}.version' must be a version number (1 or more); got {version}.");
            }
            if (!seen.Add(version))
            {
                throw new InvalidParameterException($"'traffic' names version {version} twice; give each version one entry.");
            }
            var share = entry.Share ?? throw new InvalidParameterException($"'{field}.share' is required: the version's percent of the traffic, 0 to 100.");
            if (share is < 0 or > 100)
            {
                throw new InvalidParameterException($"'{field}.share' must be between 0 and 100 (percent); got {share.ToString(CultureInfo.InvariantCulture)}.");
            }
            var hundredths = share * 100;
            if (hundredths != decimal.Truncate(hundredths))
            {
                throw new InvalidParameterException($"'{field}.share' has more than two decimals ({share.ToString(CultureInfo.InvariantCulture)}); shares are kept to a hundredth of a percent.");
            }
            checkedEntries.Add(new Allocation(version, (long)hundredths, entry.Shadow ?? false));
        }
        var sum = checkedEntries.Where(a => !a.Shadow).Sum(a => a.Share);
        if (sum != Whole)
        {
            var parts = string.Join(", ", checkedEntries.Where(a => !a.Shadow).Select(a => $"version {a.Version.ToString(CultureInfo.InvariantCulture)}: {Percent(a.Share)}"));
            throw new InvalidParameterException(
                $"'traffic' shares of the serving (non-shadow) versions must sum to 100; they sum to {Percent(sum)}"
                + (parts.Length > 0 ? $" ({parts})" : " (every entry is a shadow)") + ". Shadow shares mirror traffic and are not counted.");
        }
        return checkedEntries;
    }

    private static string Percent(long hundredths) => (hundredths / 100m).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    private static string CheckName(string? name) =>
        name is not null && NamePattern().IsMatch(name)
            ? name
            : throw new InvalidParameterException(
                $"'name' must be a deployment name: 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit; got '{name}'.");

    /// <summary>A status in its stored spelling (any case; '-' or ' ' for '_'); null when none is given.</summary>
    internal static string? CheckStatus(string? status)
    {
        if (status is null)
        {
            return null;
        }
        var normal = status.Trim().ToLowerInvariant().Replace('-', '_').Replace(' ', '_');
        return DeploymentIds.Statuses.Contains(normal, StringComparer.Ordinal)
            ? normal
            : throw new InvalidParameterException($"'status' must be one of {string.Join(", ", DeploymentIds.Statuses)}; got '{status}'.");
    }

    private static string? CheckStrategy(string? strategy)
    {
        if (strategy is null)
        {
            return null;
        }
        var normal = strategy.Trim().ToLowerInvariant().Replace('_', '-') switch
        {
            "bluegreen" => "blue-green",
            var other => other,
        };
        return DeploymentIds.Strategies.Contains(normal, StringComparer.Ordinal)
            ? normal
            : throw new InvalidParameterException($"'strategy' must be one of {string.Join(", ", DeploymentIds.Strategies)}; got '{strategy}'.");
    }

    private static void CheckText(string field, string? text)
    {
        if (text is { Length: > MaxTextLength })
        {
            throw new InvalidParameterException($"'{field}' is {text.Length} characters long; at most {MaxTextLength} are kept.");
        }
    }
}
