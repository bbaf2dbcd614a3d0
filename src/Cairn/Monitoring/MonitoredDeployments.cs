using System.Data.Common;
using Cairn.Catalog;
using Cairn.Deployments;
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
    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record ServedRow
    {
        public long Version { get; init; }
        public long VersionId { get; init; }
    }

    /// <summary>
    /// The deployment <paramref name="id"/> (the Deployments feature's record) with every version any of its revisions
    /// allocated; 404 when there is none, or when it was deleted and <paramref name="deleted"/> is false (nothing more is
    /// reported for a deleted deployment, but what was reported stays readable).
    /// </summary>
    public static async Task<MonitoredDeployment> GetAsync(DbConnection connection, DbTransaction? transaction, string? id, CancellationToken cancellationToken, bool deleted = false)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new InvalidParameterException("'deployment' is required: the id of a deployment.");
        }
        var found = await DeploymentRegistry.FindAsync(connection, transaction, id, cancellationToken);
        if (found is null || (found.DeletedAt is not null && !deleted))
        {
            throw new NotFoundException($"Deployment '{id}' does not exist{(found is null ? "" : " any more")}.");
        }
        var served = (await connection.QueryAsync<ServedRow>(new CommandDefinition(
            "SELECT DISTINCT version, version_id FROM deployment_allocations WHERE deployment_id = @id",
            new { id = found.Id }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(r => (int)r.Version, r => r.VersionId);
        return new MonitoredDeployment(found.Id, found.ModelId, found.Model, NamespacePath.Split(found.Model).Namespace, served);
    }

    /// <summary>The deployment, read outside any transaction, after checking <paramref name="caller"/> holds <paramref name="role"/> on its model's namespace.</summary>
    public static async Task<MonitoredDeployment> GetAsync(CairnDatabase database, Caller caller, Role role, string? id, CancellationToken cancellationToken, bool deleted = false)
    {
        var deployment = await database.ReadAsync(connection => GetAsync(connection, null, id, cancellationToken, deleted), cancellationToken);
        caller.Require(role, deployment.Namespace);
        return deployment;
    }
}
