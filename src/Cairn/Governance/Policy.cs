using System.Globalization;
using Cairn.Registry;

namespace Cairn.Governance;

/// <summary>
/// A promotion policy: which targets of a model (stages, aliases or alias patterns) are protected, and what moving
/// one to a version takes. Set on a namespace (inherited by the namespaces below it) or on one model; for each target
/// the nearest rule wins (model, then its namespace, then each namespace above it).
/// </summary>
/// <param name="ProtectedTargets">The rules, one per target.</param>
public sealed record Policy(IReadOnlyList<ProtectedTarget> ProtectedTargets)
{
    /// <summary>Checks every rule, naming the field and the reason of the first thing wrong.</summary>
    public void Validate()
    {
        if (ProtectedTargets is null)
        {
            throw new InvalidParameterException("'protected_targets' is required (a list; empty protects nothing).");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ProtectedTargets.Count; i++)
        {
            var rule = ProtectedTargets[i] ?? throw new InvalidParameterException($"'protected_targets[{i}]' must be an object.");
            rule.Validate($"protected_targets[{i}]");
            if (!seen.Add(rule.Key))
            {
                throw new InvalidParameterException($"'protected_targets[{i}]' names {rule.Key} a second time.");
            }
        }
    }
}

/// <summary>
/// One protected target and what moving it takes. Exactly one of <paramref name="Stage"/> and <paramref name="Alias"/>.
/// A rule with no approvals and no gates unprotects the target (how a sub-namespace or a model opts out of an
/// inherited rule).
/// </summary>
/// <param name="Stage">A stage: Staging, Production (or None, Archived).</param>
/// <param name="Alias">An alias name, or a pattern with <c>*</c> for any run of characters (<c>prod-*</c>).</param>
/// <param name="Approvals">How many distinct approvers must approve (N); 0 applies once the gates pass.</param>
/// <param name="ApproverRole">The least role on the model's namespace an approver needs (default approver).</param>
/// <param name="FourEyes">When true (the default) neither the requester nor the version's creator may approve.</param>
/// <param name="ExpiresAfterHours">How long a request stays open before it expires (default 168, a week).</param>
/// <param name="ArchiveExisting">For a stage: whether applying moves the versions already in it to Archived (default true).</param>
/// <param name="Gates">The quality gates a version must pass, at request time and again when applied.</param>
public sealed record ProtectedTarget(
    string? Stage = null,
    string? Alias = null,
    int Approvals = 1,
    string ApproverRole = "approver",
    bool FourEyes = true,
    double ExpiresAfterHours = 168,
    bool ArchiveExisting = true,
    IReadOnlyList<GateSpec>? Gates = null)
{
    /// <summary>The most approvals a rule may ask for.</summary>
    public const int MaxApprovals = 20;

    /// <summary>The target this rule governs: <c>stage:Production</c> or <c>alias:prod-*</c>.</summary>
    public string Key => Stage is not null ? $"stage:{Stage}" : $"alias:{Alias}";

    /// <summary>True when the rule asks for nothing: the target is unprotected.</summary>
    public bool Unprotects => Approvals == 0 && (Gates is null || Gates.Count == 0);

    /// <summary>The role approvers need.</summary>
    public Role ApproverRoleValue => Caller.ParseRole(ApproverRole);

    /// <summary>True when this rule governs <paramref name="target"/>.</summary>
    public bool Covers(PromotionTarget target) => target.Kind switch
    {
        PromotionTargetKind.Stage => Stage is not null && string.Equals(Stage, target.Name, StringComparison.OrdinalIgnoreCase),
        _ => Alias is not null && Events.EventCatalogue.Matches(Alias, target.Name),
    };

    internal void Validate(string field)
    {
        if ((Stage is null) == (Alias is null))
        {
            throw new InvalidParameterException($"'{field}' must name exactly one of 'stage' and 'alias'.");
        }
        if (Stage is not null)
        {
            ModelRegistry.ParseStage(Stage);
        }
        if (Alias is not null && (Alias.Length is 0 or > 255 || Alias.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '*'))))
        {
            throw new InvalidParameterException($"'{field}.alias' must be an alias name or a pattern of letters, digits, '_', '-' and '*'; got '{Alias}'.");
        }
        if (Approvals is < 0 or > MaxApprovals)
        {
            throw new InvalidParameterException($"'{field}.approvals' must be between 0 and {MaxApprovals}; got {Approvals}.");
        }
        if (!Enum.TryParse<Role>(ApproverRole, ignoreCase: true, out var role) || !Enum.IsDefined(role) || role < Role.Writer || int.TryParse(ApproverRole, out _))
        {
            throw new InvalidParameterException($"'{field}.approver_role' must be writer, approver or admin; got '{ApproverRole}'.");
        }
        if (!double.IsFinite(ExpiresAfterHours) || ExpiresAfterHours <= 0 || ExpiresAfterHours > 24 * 366)
        {
            throw new InvalidParameterException(
                $"'{field}.expires_after_hours' must be more than 0 and at most {(24 * 366).ToString(CultureInfo.InvariantCulture)}; got {ExpiresAfterHours.ToString(CultureInfo.InvariantCulture)}.");
        }
        for (var i = 0; i < (Gates?.Count ?? 0); i++)
        {
            (Gates![i] ?? throw new InvalidParameterException($"'{field}.gates[{i}]' must be an object.")).Validate($"{field}.gates[{i}]");
        }
    }
}

/// <summary>
/// A quality gate, evaluated by the server. <paramref name="Type"/> says which, and which other fields apply:
/// <list type="bullet">
/// <item><c>metric_threshold</c>: <paramref name="Metric"/> of the version against <paramref name="Threshold"/>
/// (absolute) and against the version now holding the target (<paramref name="MinAbsoluteChange"/>,
/// <paramref name="MinRelativeChange"/>), higher being better unless <paramref name="GreaterIsBetter"/> is false — as
/// MLflow's <c>MetricThreshold</c> defines them.</item>
/// <item><c>required_fields</c>: <paramref name="Fields"/>, of description, owner, license, signature.</item>
/// <item><c>files_ready</c>: the version is READY, has files, and every file has its SHA-256.</item>
/// <item><c>dataset_lineage</c>: at least one registered dataset is upstream of the version in the lineage graph,
/// with a schema when <paramref name="RequireSchema"/> (the default).</item>
/// <item><c>model_card</c>: the version's card has <paramref name="Sections"/> filled and, unless
/// <paramref name="RequireApproved"/> is false, is Approved.</item>
/// <item><c>required_tags</c>: the version (or its model) carries every key of <paramref name="Tags"/>, with that
/// value where one is given.</item>
/// </list>
/// </summary>
public sealed record GateSpec(
    string Type,
    string? Metric = null,
    double? Threshold = null,
    double? MinAbsoluteChange = null,
    double? MinRelativeChange = null,
    bool GreaterIsBetter = true,
    IReadOnlyList<string>? Fields = null,
    bool RequireSchema = true,
    IReadOnlyList<string>? Sections = null,
    bool RequireApproved = true,
    IReadOnlyDictionary<string, string?>? Tags = null)
{
    /// <summary>Every gate type.</summary>
    public static IReadOnlyList<string> Types { get; } =
        ["metric_threshold", "required_fields", "files_ready", "dataset_lineage", "model_card", "required_tags"];

    /// <summary>The fields <c>required_fields</c> may name.</summary>
    public static IReadOnlyList<string> KnownFields { get; } = ["description", "owner", "license", "signature"];

    /// <summary>The sections a <c>model_card</c> gate may require.</summary>
    public static IReadOnlyList<string> KnownSections { get; } =
        ["model_details", "model_parameters", "quantitative_analysis", "considerations", "intended_uses", "risk_rating"];

    internal void Validate(string field)
    {
        switch (Type)
        {
            case "metric_threshold":
                if (string.IsNullOrWhiteSpace(Metric))
                {
                    throw new InvalidParameterException($"'{field}.metric' is required for a metric_threshold gate.");
                }
                if (Threshold is null && MinAbsoluteChange is null && MinRelativeChange is null)
                {
                    throw new InvalidParameterException($"'{field}' needs at least one of 'threshold', 'min_absolute_change', 'min_relative_change'.");
                }
                CheckFinite(field, "threshold", Threshold);
                CheckFinite(field, "min_absolute_change", MinAbsoluteChange);
                CheckFinite(field, "min_relative_change", MinRelativeChange);
                // MLflow's MetricThreshold refuses negative changes: a change is "at least this much better".
                if (MinAbsoluteChange < 0)
                {
                    throw new InvalidParameterException($"'{field}.min_absolute_change' must be a positive number; got {MinAbsoluteChange.Value.ToString(CultureInfo.InvariantCulture)}.");
                }
                if (MinRelativeChange is < 0 or > 1)
                {
                    throw new InvalidParameterException($"'{field}.min_relative_change' must be between 0 and 1; got {MinRelativeChange.Value.ToString(CultureInfo.InvariantCulture)}.");
                }
                break;
            case "required_fields":
                if (Fields is null || Fields.Count == 0)
                {
                    throw new InvalidParameterException($"'{field}.fields' must list at least one of {string.Join(", ", KnownFields)}.");
                }
                foreach (var name in Fields)
                {
                    if (!KnownFields.Contains(name))
                    {
                        throw new InvalidParameterException($"'{field}.fields' names '{name}', which is not one of {string.Join(", ", KnownFields)}.");
                    }
                }
                break;
            case "model_card":
                foreach (var name in Sections ?? [])
                {
                    if (!KnownSections.Contains(name))
                    {
                        throw new InvalidParameterException($"'{field}.sections' names '{name}', which is not one of {string.Join(", ", KnownSections)}.");
                    }
                }
                break;
            case "required_tags":
                if (Tags is null || Tags.Count == 0)
                {
                    throw new InvalidParameterException($"'{field}.tags' must name at least one tag key (with a value, or null for any value).");
                }
                // Gates are evaluated under the store's write lock: what one reads stays bounded.
                if (Tags.Count > QualityGates.MaxTags)
                {
                    throw new InvalidParameterException($"'{field}.tags' names {Tags.Count} tags; a gate may name at most {QualityGates.MaxTags}.");
                }
                break;
            case "files_ready" or "dataset_lineage":
                break;
            default:
                throw new InvalidParameterException($"'{field}.type' must be one of {string.Join(", ", Types)}; got '{Type}'.");
        }
    }

    private static void CheckFinite(string field, string name, double? value)
    {
        if (value is { } v && !double.IsFinite(v))
        {
            throw new InvalidParameterException($"'{field}.{name}' must be a finite number.");
        }
    }
}
