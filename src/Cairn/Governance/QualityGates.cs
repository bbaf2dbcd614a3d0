using System.Data.Common;

namespace Cairn.Governance;

/// <summary>The version a promotion's gates look at, the target it would move and who holds that target now.</summary>
/// <param name="ModelId">The model's row id.</param>
/// <param name="Model">The model's full name.</param>
/// <param name="Namespace">The model's namespace.</param>
/// <param name="VersionId">The version's row id.</param>
/// <param name="Version">The version number.</param>
/// <param name="Target">The stage or alias it would move.</param>
/// <param name="CurrentHolder">The version holding the target now (the newest in the stage, the alias's version), or null; relative thresholds compare with it.</param>
public sealed record GateSubject(long ModelId, string Model, string Namespace, long VersionId, int Version, PromotionTarget Target, int? CurrentHolder);

/// <summary>
/// Evaluates a policy's quality gates for a version inside the caller's transaction, so that what is checked is what
/// is applied. Each gate yields its verdict with its evidence; a failing gate never throws.
/// </summary>
public sealed class QualityGates(TimeProvider clock)
{
    /// <summary>Evaluates <paramref name="gates"/> in order for <paramref name="subject"/>.</summary>
    public Task<IReadOnlyList<GateResult>> EvaluateAsync(DbTransaction transaction, GateSubject subject, IReadOnlyList<GateSpec> gates, CancellationToken cancellationToken)
    {
        _ = clock;
        _ = transaction;
        _ = subject;
        _ = cancellationToken;
        // Issue 17 foundation: the gate evaluations are being written on their own branch.
        return gates.Count == 0
            ? Task.FromResult<IReadOnlyList<GateResult>>([])
            : throw new NotImplementedException("Quality gates are not evaluated yet.");
    }
}
