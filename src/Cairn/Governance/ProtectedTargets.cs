using System.Data.Common;
using System.Globalization;
using Cairn.Catalog;
using Cairn.Registry;

namespace Cairn.Governance;

/// <summary>What a direct change does to a target.</summary>
internal enum DirectChangeKind
{
    /// <summary>Moves the target to the version (a stage transition, an alias set or rolled back).</summary>
    Move,

    /// <summary>Removes an alias.</summary>
    Remove,

    /// <summary>Deletes the version (or its model) that holds the target.</summary>
    Delete,
}

/// <summary>One change a caller asks for directly (not through a promotion request).</summary>
/// <param name="Kind">What it does.</param>
/// <param name="Version">The version it concerns (moved, holding the alias, deleted).</param>
/// <param name="Target">The stage or alias.</param>
/// <param name="Leaving">For a stage move: the stage the version leaves, which is governed too (leaving Production changes who holds it).</param>
internal sealed record DirectChange(DirectChangeKind Kind, int Version, PromotionTarget Target, Stage? Leaving = null);

/// <summary>
/// The one check every direct change of a stage or an alias passes, inside the change's own transaction: native API,
/// MLflow API, CLI and the embedded library all reach the registry's services, and the services call this. A protected
/// target is refused with the policy that protects it and the promotion request to open instead. Promotions apply
/// through the registry's internal methods, which skip it.
/// </summary>
internal static class ProtectedTargets
{
    /// <summary>Refuses (403) the first of <paramref name="changes"/> that touches a protected target of the model.</summary>
    public static async Task CheckDirectChangeAsync(
        DbTransaction transaction, long modelId, string model, IReadOnlyList<DirectChange> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
        {
            return;
        }
        var ns = NamespacePath.Split(model).Namespace;
        var chain = await PromotionPolicies.ChainAsync(transaction.Connection!, transaction, modelId, model, ns, cancellationToken);
        if (chain.Count == 0)
        {
            return;
        }
        foreach (var change in changes)
        {
            if (Governing(chain, change) is { } governing)
            {
                throw Refusal(model, change, governing.Rule, governing.Held);
            }
        }
    }

    /// <summary>
    /// Refuses (403) renaming a model into another namespace when a target one of its versions holds is protected under
    /// its current name and would not be under the new one: a rename is no way around a policy.
    /// </summary>
    public static async Task CheckRenameAsync(
        DbTransaction transaction, long modelId, string model, string newName, IReadOnlyList<DirectChange> held, CancellationToken cancellationToken)
    {
        var (from, to) = (NamespacePath.Split(model).Namespace, NamespacePath.Split(newName).Namespace);
        if (held.Count == 0 || from == to)
        {
            return;
        }
        var now = await PromotionPolicies.ChainAsync(transaction.Connection!, transaction, modelId, model, from, cancellationToken);
        var then = await PromotionPolicies.ChainAsync(transaction.Connection!, transaction, modelId, newName, to, cancellationToken);
        foreach (var change in held)
        {
            if (PromotionPolicies.Resolve(now, change.Target) is { } rule && PromotionPolicies.Resolve(then, change.Target) is null)
            {
                throw new PermissionDeniedException(
                    $"Model '{model}' cannot move to namespace '{to}': its version {change.Version.ToString(CultureInfo.InvariantCulture)} holds {change.Target}, "
                    + $"which is protected by {rule.Words} ({rule.Demands}) and would not be protected there. Ask an admin to protect it in '{to}' (or on the model) first.");
            }
        }
    }

    /// <summary>
    /// The rule governing a stage move: the target stage's, else the rule of the stage the version leaves. A promotion
    /// request for the same move is governed the same way.
    /// </summary>
    internal static GoverningRule? ForStageMove(IReadOnlyList<PromotionPolicies.PolicyLevel> chain, Stage target, Stage from) =>
        PromotionPolicies.Resolve(chain, new PromotionTarget(PromotionTargetKind.Stage, target.ToString()))
        ?? (from != target ? PromotionPolicies.Resolve(chain, new PromotionTarget(PromotionTargetKind.Stage, from.ToString())) : null);

    private static (GoverningRule Rule, PromotionTarget Held)? Governing(IReadOnlyList<PromotionPolicies.PolicyLevel> chain, DirectChange change)
    {
        if (PromotionPolicies.Resolve(chain, change.Target) is { } rule)
        {
            return (rule, change.Target);
        }
        if (change.Leaving is { } from && change.Target.Kind == PromotionTargetKind.Stage && !string.Equals(from.ToString(), change.Target.Name, StringComparison.Ordinal))
        {
            var left = new PromotionTarget(PromotionTargetKind.Stage, from.ToString());
            if (PromotionPolicies.Resolve(chain, left) is { } leaving)
            {
                return (leaving, left);
            }
        }
        return null;
    }

    private static PermissionDeniedException Refusal(string model, DirectChange change, GoverningRule rule, PromotionTarget held)
    {
        var version = change.Version.ToString(CultureInfo.InvariantCulture);
        var what = held.Kind == PromotionTargetKind.Stage ? $"Stage '{held.Name}'" : $"Alias '{held.Name}'";
        var protection = $"protected by {rule.Words} ({rule.Demands})";
        var request = RequestHint(model, change.Version, change.Target);
        return new PermissionDeniedException(change.Kind switch
        {
            DirectChangeKind.Move when held == change.Target =>
                $"{what} of model '{model}' is {protection}: open a promotion request: {request}",
            DirectChangeKind.Move =>
                $"Version {version} of model '{model}' is in stage '{held.Name}', which is {protection}: moving it to '{change.Target.Name}' takes a promotion request: {request}",
            DirectChangeKind.Remove =>
                $"{what} of model '{model}' is {protection}: it cannot be removed directly. Point it at another version with a promotion request "
                + $"(POST /api/v1/models/{model}/versions/{{n}}/promotions {{\"target\":\"{change.Target}\"}}), or ask an admin to unprotect it in the policy.",
            _ =>
                $"Version {version} of model '{model}' holds {(held.Kind == PromotionTargetKind.Stage ? "stage" : "alias")} '{held.Name}', which is {protection}: it cannot be deleted while it does. "
                + $"Move {held} to another version through a promotion request first (POST /api/v1/models/{model}/versions/{{n}}/promotions {{\"target\":\"{held}\"}}), or ask an admin to change the policy.",
        });
    }

    /// <summary>How to ask for the change instead: the API call and the CLI command.</summary>
    internal static string RequestHint(string model, int version, PromotionTarget target)
    {
        var n = version.ToString(CultureInfo.InvariantCulture);
        return $"POST /api/v1/models/{model}/versions/{n}/promotions {{\"target\":\"{target}\"}} or `cairn promote request {model} {n} {target}`";
    }
}
