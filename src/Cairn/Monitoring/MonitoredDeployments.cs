using System.Data.Common;
using Cairn.Governance;
using Cairn.Storage;
using Dapper;

namespace Cairn.Monitoring;

/// <summary>A deployment as monitoring sees it: which model it serves and the versions it serves or ever served.</summary>
/// <param name="Id">The deployment's id.</param>
/// <param name="ModelId">The model's row id.</param>
/// <param name="Model">The model's full name.</param>
/// <param name="Namespace">The model's namespace, whose roles govern the deployment's monitoring data.</param>
/// <param name="Served">Version number → version row id, over every revision of the deployment's allocation.</param>
internal sealed record MonitoredDeployment(string Id, long ModelId, string Model, string Namespace, IReadOnlyDictionary<int, long> Served)
{
    /// <summary>The row id of <paramref name="version"/>; a 400 naming <paramref name="field"/> when the deployment never served it.</summary>
    public long VersionId(int version, string field) =>
        Served.TryGetValue(version, out var id) ? id : throw new InvalidParameterException(
            $"'{field}' is {version}, a version deployment '{Id}' never served (it served {(Served.Count == 0 ? "none" : string.Join(", ", Served.Keys.Order()))}).");

    /// <summary>The audit resource of what this deployment reports about its model: <c>models/&lt;m&gt;/deployments/&lt;id&gt;/&lt;what&gt;</c>.</summary>
    public string Resource(string what) => $"models/{Model}/deployments/{Id}/{what}";
}

/// <summary>
/// Reads deployments (the Deployments feature's tables) for monitoring: one query for the deployment and its served
/// versions, the same inside a write transaction and outside.
/// </summary>
internal static class MonitoredDeployments
{
    private sealed record Row
    {
        public string Id { get; init; } = "";
        public long ModelId { get; init; }
        public string Model { get; init; } = "";
        public string Namespace { get; init; } = "";
        public long? Version { get; init; }
        public long? VersionId { get; init; }
    }

    /// <summary>The live deployment <paramref name="id"/> with every version it served; 404 when there is none.</summary>
    public static async Task<MonitoredDeployment> GetAsync(DbConnection connection, DbTransaction? transaction, string? id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new InvalidParameterException("'deployment' is required: the id of a deployment.");
        }
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT d.id, d.model_id, d.model, d.namespace, a.version, a.version_id
            FROM deployments d LEFT JOIN deployment_allocations a ON a.deployment_id = d.id
            WHERE d.id = @id AND d.deleted_at IS NULL
            """, new { id }, transaction, cancellationToken: cancellationToken))).AsList();
        if (rows.Count == 0)
        {
            throw new NotFoundException($"Deployment '{id}' does not exist.");
        }
        var served = new Dictionary<int, long>();
        foreach (var row in rows.Where(r => r.Version is not null))
        {
            served[(int)row.Version!.Value] = row.VersionId!.Value;
        }
        return new MonitoredDeployment(rows[0].Id, rows[0].ModelId, rows[0].Model, rows[0].Namespace, served);
    }

    /// <summary>The deployment, read outside any transaction, after checking <paramref name="caller"/> holds <paramref name="role"/> on its model's namespace.</summary>
    public static async Task<MonitoredDeployment> GetAsync(CairnDatabase database, Caller caller, Role role, string? id, CancellationToken cancellationToken)
    {
        var deployment = await database.ReadAsync(connection => GetAsync(connection, null, id, cancellationToken), cancellationToken);
        caller.Require(role, deployment.Namespace);
        return deployment;
    }
}
