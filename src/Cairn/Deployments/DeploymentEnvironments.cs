using System.Data.Common;
using System.Text.RegularExpressions;
using Cairn.Catalog;
using Cairn.Governance;
using Cairn.Registry;
using Cairn.Storage;
using Dapper;

namespace Cairn.Deployments;

/// <summary>
/// The environments deployments run in (dev, staging, prod). Every caller may read them; only an admin of the root
/// namespace sets or deletes one, since protecting an environment governs every team's deployments there.
/// </summary>
public sealed partial class DeploymentEnvironments(CairnDatabase database, AuditChain audit, TimeProvider clock)
{
    private const int MaxDescriptionLength = 10_000;

    // No colon: a deployment's lineage node is deployment:<environment>:<name>, and must split back unambiguously.
    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z")]
    private static partial Regex NamePattern();

    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    internal sealed record EnvironmentRow
    {
        public string Name { get; init; } = "";
        public long Protected { get; init; }
        public string? Target { get; init; }
        public string? Description { get; init; }
        public long CreatedAt { get; init; }
        public string CreatedBy { get; init; } = "";
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
    }

    private const string SelectEnvironments = "SELECT name, protected, target, description, created_at, created_by, updated_at, updated_by FROM environments";

    /// <summary>Every environment, by name.</summary>
    public async Task<IReadOnlyList<DeploymentEnvironment>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var rows = await database.ReadAsync(c => c.QueryAsync<EnvironmentRow>(new CommandDefinition(
            SelectEnvironments + " ORDER BY name", cancellationToken: cancellationToken)), cancellationToken);
        return rows.Select(ToEnvironment).ToList();
    }

    /// <summary>One environment; 404 when none has the name.</summary>
    public async Task<DeploymentEnvironment> GetAsync(Caller caller, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return await database.ReadAsync(c => LoadAsync(c, null, name, cancellationToken), cancellationToken) is { } found ? found : throw Missing(name);
    }

    /// <summary>
    /// Creates or replaces an environment (admin on '/'). A protected environment needs a target. Deployments already
    /// there keep their allocation; the protection governs every allocation recorded from now on.
    /// </summary>
    public async Task<DeploymentEnvironment> SetAsync(Caller caller, string name, SetEnvironmentRequest request, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, NamespacePath.Root);
        CheckName(name);
        var isProtected = request.Protected ?? false;
        string? target = null;
        if (!string.IsNullOrWhiteSpace(request.Target))
        {
            var parsed = PromotionTarget.Parse(request.Target);
            if (parsed.Kind == PromotionTargetKind.Alias)
            {
                ModelAliases.CheckAlias(parsed.Name);
            }
            target = parsed.ToString();
        }
        else if (isProtected)
        {
            throw new InvalidParameterException(
                $"'target' is required for a protected environment: the stage (Production) or alias (prod) every version serving in '{name}' must have been promoted to.");
        }
        if (request.Description is { Length: > MaxDescriptionLength })
        {
            throw new InvalidParameterException($"'description' is {request.Description.Length} characters long; at most {MaxDescriptionLength} are kept.");
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadAsync(connection, transaction, name, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO environments (name, protected, target, description, created_at, created_by, updated_at, updated_by)
                VALUES (@name, @isProtected, @target, @description, @now, @by, @now, @by)
                ON CONFLICT (name) DO UPDATE SET protected = excluded.protected, target = excluded.target, description = excluded.description,
                    updated_at = excluded.updated_at, updated_by = excluded.updated_by
                """,
                new { name, isProtected = isProtected ? 1 : 0, target, description = request.Description, now, by = caller.Name }, transaction, cancellationToken: cancellationToken));
            var after = (await LoadAsync(connection, transaction, name, cancellationToken))!;
            await audit.AppendAsync(transaction, caller.Name, "environment.set", Resource(name), before, after, cancellationToken);
            return after;
        }, cancellationToken);
    }

    /// <summary>Deletes an environment (admin on '/'); refused (409) while live deployments run there.</summary>
    public async Task DeleteAsync(Caller caller, string name, CancellationToken cancellationToken)
    {
        caller.Require(Role.Admin, NamespacePath.Root);
        await database.WriteAsync(async (connection, transaction) =>
        {
            var before = await LoadAsync(connection, transaction, name, cancellationToken) ?? throw Missing(name);
            var live = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT name FROM deployments WHERE environment = @name AND deleted_at IS NULL ORDER BY name LIMIT 6",
                new { name }, transaction, cancellationToken: cancellationToken))).ToList();
            if (live.Count > 0)
            {
                throw new InvalidStateException(
                    $"Environment '{name}' still has deployments ({string.Join(", ", live.Take(5).Select(d => $"'{d}'"))}{(live.Count > 5 ? ", …" : "")}): delete them first.");
            }
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM environments WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(transaction, caller.Name, "environment.delete", Resource(name), before, null, cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <summary>Refuses a name that is not an environment name, naming <paramref name="field"/>.</summary>
    internal static void CheckName(string? name, string field = "name")
    {
        if (name is null || !NamePattern().IsMatch(name))
        {
            throw new InvalidParameterException(
                $"'{field}' must be an environment name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit; got '{name}'.");
        }
    }

    internal static async Task<DeploymentEnvironment?> LoadAsync(DbConnection connection, DbTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<EnvironmentRow>(new CommandDefinition(
            SelectEnvironments + " WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken));
        return row is null ? null : ToEnvironment(row);
    }

    /// <summary>The audit resource of an environment: <c>environments/&lt;name&gt;</c>.</summary>
    internal static string Resource(string name) => $"environments/{name}";

    internal static NotFoundException Missing(string name) =>
        new($"Environment '{name}' does not exist: an admin sets it with PUT /api/v1/environments/{name} (or `cairn env set {name}`).");

    private static DeploymentEnvironment ToEnvironment(EnvironmentRow r) => new(
        r.Name, r.Protected != 0, r.Target, r.Description,
        DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt), r.UpdatedBy);
}
