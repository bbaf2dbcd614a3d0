using System.Data.Common;
using System.Globalization;
using Cairn.Storage;
using Dapper;

namespace Cairn.Deployments;

/// <summary>
/// The one check every removal of a version from service passes, inside the change's own transaction, as
/// <c>ProtectedTargets</c> is for stages and aliases: the registry calls it before deleting a version or its model and
/// before moving a version to Archived (directly, by a promotion, or as another version's <c>archive_existing</c>). A
/// version serves while a live deployment's current revision gives it a share above zero that is not a shadow.
/// </summary>
internal static class ServingVersions
{
    // Property-mapped (not positional) so Dapper binds columns by name whatever their runtime type.
    private sealed record ServingRow
    {
        public string Id { get; init; } = "";
        public string Environment { get; init; } = "";
        public string Name { get; init; } = "";
        public long Version { get; init; }
        public long Share { get; init; }
    }

    /// <summary>
    /// Refuses (409) when any of <paramref name="versions"/> of the model (all of its versions when null) serves traffic,
    /// naming the deployments and shares; <paramref name="change"/> says what was refused (<c>deleted</c>, <c>archived</c>).
    /// </summary>
    public static async Task CheckNotServingAsync(
        DbTransaction transaction, long modelId, string model, IReadOnlyCollection<int>? versions, string change, CancellationToken cancellationToken)
    {
        if (versions is { Count: 0 })
        {
            return;
        }
        var dialect = SqlDialects.Of(transaction);
        var sql = """
            SELECT d.id, d.environment, d.name, a.version, a.share
            FROM deployments d JOIN deployment_allocations a ON a.deployment_id = d.id AND a.revision = d.revision
            WHERE d.model_id = @modelId AND d.deleted_at IS NULL AND a.shadow = 0 AND a.share > 0
            """;
        if (versions is not null)
        {
            sql += $" AND a.version IN {dialect.ValueSet("@versions", "BIGINT")}";
        }
        var serving = (await transaction.Connection!.QueryAsync<ServingRow>(new CommandDefinition(
            sql + " ORDER BY a.version, d.environment, d.name LIMIT 11",
            new { modelId, versions = versions is null ? null : dialect.ValueSetParameter(versions.Select(v => (long)v)) },
            transaction, cancellationToken: cancellationToken))).ToList();
        if (serving.Count == 0)
        {
            return;
        }
        var listed = string.Join("; ", serving.Take(10).Select(s =>
            $"version {s.Version.ToString(CultureInfo.InvariantCulture)} takes {(s.Share / 100m).ToString("0.##", CultureInfo.InvariantCulture)}% of deployment '{s.Name}' in '{s.Environment}' ({s.Id})"));
        var first = serving[0];
        var numbers = serving.Select(s => s.Version).Distinct().ToList();
        var what = versions is null
            ? $"Model '{model}' cannot be {change} while its versions serve traffic"
            : numbers.Count == 1
                ? $"Version {first.Version.ToString(CultureInfo.InvariantCulture)} of model '{model}' cannot be {change} while it serves traffic"
                : $"Versions {string.Join(", ", numbers.Select(n => n.ToString(CultureInfo.InvariantCulture)))} of model '{model}' cannot be {change} while they serve traffic";
        throw new InvalidStateException(
            $"{what}: {listed}{(serving.Count > 10 ? "; …" : "")}. Shift the traffic to other versions first "
            + $"(PUT /api/v1/deployments/{first.Id}/traffic, or `cairn deploy traffic {first.Id} …`), or delete the deployment.");
    }
}
