using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

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
/// is applied. Each gate yields its verdict with its evidence; a failing gate never throws. What the gates read is
/// loaded set-based (one query for the version and its model, then one per kind of fact the gates need), and every
/// list read or reported is bounded, since this runs under the store's write lock.
/// </summary>
public sealed class QualityGates(TimeProvider clock)
{
    /// <summary>How many items (datasets, files) a gate's evidence lists at most; the counts are always whole.</summary>
    public const int MaxListed = 20;

    /// <summary>How many tag keys a <c>required_tags</c> gate checks at most; a gate naming more fails, saying so.</summary>
    public const int MaxTags = 100;

    /// <summary>The tag that gives a version's or a model's licence.</summary>
    public const string LicenseTag = "license";

    // Tag values and descriptions are quoted in evidence up to this length.
    private const int MaxQuoted = 256;

    /// <summary>Evaluates <paramref name="gates"/> in order for <paramref name="subject"/>.</summary>
    public async Task<IReadOnlyList<GateResult>> EvaluateAsync(DbTransaction transaction, GateSubject subject, IReadOnlyList<GateSpec> gates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(gates);
        if (gates.Count == 0)
        {
            return [];
        }
        var facts = await GateFacts.LoadAsync(transaction, subject, gates, cancellationToken);
        var at = clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        var results = new List<GateResult>(gates.Count);
        foreach (var gate in gates)
        {
            var result = facts.Subject is null
                ? new GateResult(gate.Type, Rule(gate, subject), false, $"Version {subject.Version} of model '{subject.Model}' no longer exists.", [])
                : Evaluate(gate, subject, facts);
            result.Evidence!["evaluated_at"] = at;
            results.Add(result);
        }
        return results;
    }

    private static GateResult Evaluate(GateSpec gate, GateSubject subject, GateFacts facts) => gate.Type switch
    {
        "metric_threshold" => MetricThreshold(gate, subject, facts),
        "required_fields" => RequiredFields(gate, subject, facts),
        "files_ready" => FilesReady(gate, subject, facts),
        "dataset_lineage" => DatasetLineage(gate, subject, facts),
        "model_card" => ModelCard(gate, subject, facts),
        "required_tags" => RequiredTags(gate, subject, facts),
        // A stored policy is validated when set; a type from a newer Cairn is a failure to explain, not a crash.
        _ => new GateResult(gate.Type, gate.Type, false, $"'{gate.Type}' is not a gate type this server evaluates ({string.Join(", ", GateSpec.Types)}).", []),
    };

    /// <summary>The rule a gate states, in words, as reviewers read it.</summary>
    internal static string Rule(GateSpec gate, GateSubject subject)
    {
        switch (gate.Type)
        {
            case "metric_threshold":
                var op = gate.GreaterIsBetter ? ">=" : "<=";
                var sign = gate.GreaterIsBetter ? "+" : "-";
                var parts = new List<string>();
                if (gate.Threshold is { } t)
                {
                    parts.Add($"{gate.Metric} {op} {Text(t)}");
                }
                if (gate.MinAbsoluteChange is { } a)
                {
                    parts.Add($"{gate.Metric} {op} that of the version holding {subject.Target} {sign} {Text(a)}");
                }
                if (gate.MinRelativeChange is { } r)
                {
                    parts.Add($"{gate.Metric} at least {Text(r * 100)}% better than that of the version holding {subject.Target}");
                }
                return string.Join("; ", parts) + (gate.GreaterIsBetter ? " (higher is better)" : " (lower is better)");
            case "required_fields":
                return "has " + string.Join(", ", gate.Fields ?? []);
            case "files_ready":
                return "READY, with at least one file, each with its SHA-256";
            case "dataset_lineage":
                return gate.RequireSchema ? "a registered dataset with a schema upstream in lineage" : "a registered dataset upstream in lineage";
            case "model_card":
                var sections = gate.Sections is { Count: > 0 } s ? " with " + string.Join(", ", s) + " filled" : "";
                return (gate.RequireApproved ? "an Approved model card" : "a model card") + sections;
            case "required_tags":
                return "tags " + string.Join(", ", (gate.Tags ?? new Dictionary<string, string?>()).Take(MaxTags).Select(p => p.Value is null ? p.Key : $"{p.Key}={p.Value}"))
                    + ((gate.Tags?.Count ?? 0) > MaxTags ? ", …" : "");
            default:
                return gate.Type;
        }
    }

    // ---- metric_threshold ----

    private static GateResult MetricThreshold(GateSpec gate, GateSubject subject, GateFacts facts)
    {
        var metric = gate.Metric ?? "";
        var rule = Rule(gate, subject);
        var evidence = new JsonObject
        {
            ["metric"] = metric,
            ["greater_is_better"] = gate.GreaterIsBetter,
            ["threshold"] = Number(gate.Threshold),
            ["min_absolute_change"] = Number(gate.MinAbsoluteChange),
            ["min_relative_change"] = Number(gate.MinRelativeChange),
            ["target"] = subject.Target.ToString(),
        };
        if (!facts.Metrics.TryGetValue((subject.VersionId, metric), out var candidate))
        {
            evidence["candidate"] = new JsonObject { ["version"] = subject.Version, ["value"] = null };
            var where = facts.Subject!.RunId is { Length: > 0 } runId ? $" and neither does its source run {runId}" : " and it names no source run";
            return new GateResult(gate.Type, rule, false, $"Version {subject.Version} has no metric '{metric}'{where}.", evidence);
        }
        evidence["candidate"] = MetricEvidence(subject.Version, candidate);
        var wantsChange = gate.MinAbsoluteChange is not null || gate.MinRelativeChange is not null;
        var holder = GateFacts.OtherHolder(subject);
        GateFacts.MetricRow? baseline = null;
        var reasons = new List<string>();
        var baselineMissing = false;
        if (wantsChange)
        {
            if (holder is null)
            {
                evidence["baseline"] = null;
                evidence["baseline_note"] = subject.CurrentHolder == subject.Version
                    ? $"version {subject.Version} already holds {subject.Target}; there is no other version to compare with"
                    : $"no version holds {subject.Target}";
            }
            else if (facts.Subject!.HolderId is not { } holderId || !facts.Metrics.TryGetValue((holderId, metric), out baseline))
            {
                evidence["baseline"] = new JsonObject { ["version"] = holder, ["value"] = null };
                baselineMissing = true;
                reasons.Add($"Version {holder}, which holds {subject.Target}, has no metric '{metric}' (nor its source run) to compare with.");
            }
            else
            {
                evidence["baseline"] = MetricEvidence(holder.Value, baseline);
            }
        }
        var verdict = MetricThresholdCheck.Compare(candidate.Number, baseline?.Number, gate.Threshold, gate.MinAbsoluteChange, gate.MinRelativeChange, gate.GreaterIsBetter);
        evidence["absolute_change"] = Number(verdict.AbsoluteChange);
        evidence["relative_change"] = Number(verdict.RelativeChange);
        evidence["zero_baseline"] = verdict.ZeroBaseline;
        evidence["checks"] = new JsonObject
        {
            ["threshold"] = Check(verdict.ThresholdPassed),
            ["min_absolute_change"] = baselineMissing && gate.MinAbsoluteChange is not null ? "failed" : Check(verdict.AbsolutePassed),
            ["min_relative_change"] = baselineMissing && gate.MinRelativeChange is not null ? "failed" : Check(verdict.RelativePassed),
        };
        var c = Text(candidate.Number);
        if (verdict.NotANumber)
        {
            reasons.Insert(0, $"{metric} is NaN for version {subject.Version} or the version it is compared with: no check passes on a value that is not a number.");
        }
        if (verdict.ThresholdPassed == false && !verdict.NotANumber)
        {
            reasons.Add($"{metric} = {c} fails the threshold {Text(gate.Threshold!.Value)} ({Direction(gate)}).");
        }
        if (baseline is not null && !verdict.NotANumber)
        {
            var b = Text(baseline.Number);
            if (verdict.AbsolutePassed == false)
            {
                reasons.Add($"{metric} = {c} is not at least {Text(gate.MinAbsoluteChange!.Value)} better than version {holder} holding {subject.Target} ({metric} = {b}).");
            }
            if (verdict.RelativePassed == false)
            {
                reasons.Add(verdict.ZeroBaseline
                    ? $"Version {holder} holding {subject.Target} has {metric} = 0, so a relative change cannot be taken; as MLflow does, {metric} must then be better than 0 by {Text(MetricThresholdCheck.ZeroBaselineMargin)}, and {c} is not."
                    : $"{metric} = {c} changes by {Text(verdict.RelativeChange!.Value)} relative to version {holder} holding {subject.Target} ({metric} = {b}), less than {Text(gate.MinRelativeChange!.Value)}.");
            }
        }
        if (reasons.Count > 0)
        {
            return new GateResult(gate.Type, rule, false, string.Join(" ", reasons), evidence);
        }
        var passed = $"{metric} = {c} (version {subject.Version}, from {Source(candidate)}) passes";
        if (wantsChange && baseline is null)
        {
            passed += $"; the relative checks pass as {evidence["baseline_note"]}";
        }
        else if (baseline is not null)
        {
            passed += $"; version {holder} holding {subject.Target} has {Text(baseline.Number)}";
        }
        return new GateResult(gate.Type, rule, true, passed + ".", evidence);
    }

    private static JsonObject MetricEvidence(int version, GateFacts.MetricRow metric) => new()
    {
        ["version"] = version,
        ["value"] = Number(metric.Number),
        ["source"] = metric.Source == "run" ? "source_run" : "version",
        ["run_id"] = metric.RunId,
    };

    private static string Source(GateFacts.MetricRow metric) => metric.Source == "run" ? $"its source run {metric.RunId}" : "its own metrics";

    private static string Direction(GateSpec gate) => gate.GreaterIsBetter ? "higher is better" : "lower is better";

    private static string? Check(bool? passed) => passed switch
    {
        true => "passed",
        false => "failed",
        null => null,
    };

    // ---- required_fields ----

    private static GateResult RequiredFields(GateSpec gate, GateSubject subject, GateFacts facts)
    {
        var row = facts.Subject!;
        var fields = new JsonObject();
        var missing = new List<string>();
        foreach (var field in (gate.Fields ?? []).Distinct(StringComparer.Ordinal))
        {
            var (present, source, value) = field switch
            {
                "description" => !string.IsNullOrWhiteSpace(row.VersionDescription) ? (true, (string?)"version", (string?)null)
                    : !string.IsNullOrWhiteSpace(row.ModelDescription) ? (true, "model", null) : (false, null, null),
                "owner" => !string.IsNullOrWhiteSpace(row.Owner) ? (true, "model", Quote(row.Owner)) : (false, null, null),
                "license" => License(facts),
                "signature" => HasSignature(row.Signature) ? (true, "version_signature", null)
                    : HasInferenceSchema(row.Inference) ? (true, "model_inference_schema", null) : (false, null, null),
                _ => (false, null, null),
            };
            var entry = new JsonObject { ["present"] = present, ["source"] = source };
            if (value is not null)
            {
                entry["value"] = value;
            }
            fields[field] = entry;
            if (!present)
            {
                missing.Add(field);
            }
        }
        var evidence = new JsonObject { ["fields"] = fields, ["missing"] = Strings(missing) };
        return missing.Count == 0
            ? new GateResult(gate.Type, Rule(gate, subject), true, $"Version {subject.Version} has {string.Join(", ", gate.Fields ?? [])}.", evidence)
            : new GateResult(gate.Type, Rule(gate, subject), false, $"Version {subject.Version} lacks {string.Join(", ", missing.Select(Explain))}.", evidence);
    }

    private static string Explain(string field) => field switch
    {
        "description" => "a description (neither the version nor its model has one)",
        "owner" => "an owner (its model names none)",
        "license" => $"a licence (no '{LicenseTag}' tag on the version or its model, and no licence in its model card's model_details.licenses)",
        "signature" => "a signature (the version has none, and its model declares no inference schema)",
        _ => field,
    };

    private static (bool, string?, string?) License(GateFacts facts)
    {
        if (facts.VersionTags.TryGetValue(LicenseTag, out var tag) && !string.IsNullOrWhiteSpace(tag))
        {
            return (true, "version_tag", Quote(tag));
        }
        if (facts.ModelTags.TryGetValue(LicenseTag, out tag) && !string.IsNullOrWhiteSpace(tag))
        {
            return (true, "model_tag", Quote(tag));
        }
        // Model Card Toolkit: model_details.licenses is a list of {identifier, custom_text}.
        if (facts.CardDocument?["model_details"] is JsonObject details && details["licenses"] is JsonArray licenses)
        {
            foreach (var license in licenses.OfType<JsonObject>())
            {
                var text = StringOf(license["identifier"]) ?? StringOf(license["custom_text"]);
                if (!string.IsNullOrWhiteSpace(text))
                {
                    return (true, "model_card", Quote(text));
                }
            }
        }
        return (false, null, null);
    }

    private static bool HasSignature(string? json) =>
        TryParse(json) is JsonObject signature && (signature["inputs"] is JsonArray { Count: > 0 } || signature["outputs"] is JsonArray { Count: > 0 });

    private static bool HasInferenceSchema(string? json) =>
        TryParse(json) is JsonObject inference
        && (inference["input"] is JsonObject { } input && input["schema"] is not null || inference["output"] is JsonObject { } output && output["schema"] is not null);

    // ---- files_ready ----

    private static GateResult FilesReady(GateSpec gate, GateSubject subject, GateFacts facts)
    {
        var status = facts.Subject!.Status;
        var evidence = new JsonObject
        {
            ["status"] = status,
            ["files"] = facts.FileCount,
            ["files_without_sha256"] = facts.UncheckedFileCount,
            ["paths_without_sha256"] = Strings(facts.UncheckedFiles),
        };
        var reasons = new List<string>();
        if (status != Registry.VersionStatus.Ready)
        {
            reasons.Add($"Version {subject.Version} is {status}, not {Registry.VersionStatus.Ready}.");
        }
        if (facts.FileCount == 0)
        {
            reasons.Add($"Version {subject.Version} has no files.");
        }
        if (facts.UncheckedFileCount > 0)
        {
            reasons.Add($"{facts.UncheckedFileCount} of its {facts.FileCount} files have no SHA-256 ({string.Join(", ", facts.UncheckedFiles)}{(facts.UncheckedFileCount > facts.UncheckedFiles.Count ? ", …" : "")}).");
        }
        return reasons.Count == 0
            ? new GateResult(gate.Type, Rule(gate, subject), true, $"Version {subject.Version} is READY with {facts.FileCount} files, each with its SHA-256.", evidence)
            : new GateResult(gate.Type, Rule(gate, subject), false, string.Join(" ", reasons), evidence);
    }

    // ---- dataset_lineage ----

    private static GateResult DatasetLineage(GateSpec gate, GateSubject subject, GateFacts facts)
    {
        var qualifying = facts.Datasets.Where(d => d.HasSchema || !gate.RequireSchema).ToList();
        var evidence = new JsonObject
        {
            ["require_schema"] = gate.RequireSchema,
            ["walked_from"] = Strings(facts.WalkStart),
            ["max_depth"] = Lineage.LineageGraph.MaxDepth,
            ["walk_truncated"] = facts.WalkTruncated,
            ["datasets_found"] = facts.Datasets.Count,
            ["datasets_qualifying"] = qualifying.Count,
            ["path_length"] = qualifying.Count > 0 ? qualifying[0].Depth : null,
            ["datasets"] = new JsonArray(facts.Datasets.Take(MaxListed)
                .Select(d => (JsonNode)new JsonObject { ["id"] = d.Id, ["path_length"] = d.Depth, ["has_schema"] = d.HasSchema }).ToArray()),
        };
        if (qualifying.Count > 0)
        {
            var nearest = qualifying[0];
            return new GateResult(gate.Type, Rule(gate, subject), true,
                $"{qualifying.Count} registered dataset{(qualifying.Count == 1 ? "" : "s")}{(gate.RequireSchema ? " with a schema" : "")} upstream of version {subject.Version}, the nearest {nearest.Id}, {nearest.Depth} edge{(nearest.Depth == 1 ? "" : "s")} away.",
                evidence);
        }
        var cut = facts.WalkTruncated ? $" (the walk stopped after {GateFacts.WalkRowBudget} nodes)" : "";
        var reason = facts.Datasets.Count > 0
            ? $"The {facts.Datasets.Count} registered dataset{(facts.Datasets.Count == 1 ? "" : "s")} upstream of version {subject.Version} ({string.Join(", ", facts.Datasets.Take(MaxListed).Select(d => d.Id))}) have no schema{cut}."
            : $"No registered dataset is upstream of version {subject.Version} within {Lineage.LineageGraph.MaxDepth} edges of {string.Join(" or ", facts.WalkStart)}{cut}.";
        return new GateResult(gate.Type, Rule(gate, subject), false, reason, evidence);
    }

    // ---- model_card ----

    private static GateResult ModelCard(GateSpec gate, GateSubject subject, GateFacts facts)
    {
        var rule = Rule(gate, subject);
        if (facts.Card is not { } card)
        {
            return new GateResult(gate.Type, rule, false, $"Version {subject.Version} has no model card.", new JsonObject { ["card"] = false });
        }
        var sections = new JsonObject();
        foreach (var section in GateSpec.KnownSections)
        {
            sections[section] = SectionFilled(section, card, facts.CardDocument);
        }
        var missing = (gate.Sections ?? []).Distinct(StringComparer.Ordinal).Where(s => !SectionFilled(s, card, facts.CardDocument)).ToList();
        var approved = string.Equals(card.Status, "Approved", StringComparison.OrdinalIgnoreCase);
        var evidence = new JsonObject
        {
            ["card"] = true,
            ["status"] = card.Status,
            ["risk_rating"] = card.RiskRating,
            ["require_approved"] = gate.RequireApproved,
            ["sections"] = sections,
            ["required_sections"] = Strings(gate.Sections ?? []),
            ["missing_sections"] = Strings(missing),
        };
        var reasons = new List<string>();
        if (gate.RequireApproved && !approved)
        {
            reasons.Add($"The model card of version {subject.Version} is {card.Status}, not Approved.");
        }
        if (missing.Count > 0)
        {
            reasons.Add($"Its sections {string.Join(", ", missing)} are not filled{(missing.Contains("risk_rating") ? " (the risk rating is Unknown)" : "")}.");
        }
        return reasons.Count == 0
            ? new GateResult(gate.Type, rule, true, $"The model card of version {subject.Version} is {card.Status}{(gate.Sections is { Count: > 0 } s ? ", with " + string.Join(", ", s) + " filled" : "")}.", evidence)
            : new GateResult(gate.Type, rule, false, string.Join(" ", reasons), evidence);
    }

    private static bool SectionFilled(string section, GateFacts.CardRow card, JsonObject? document) =>
        section == "risk_rating"
            ? !string.IsNullOrWhiteSpace(card.RiskRating) && !string.Equals(card.RiskRating, "Unknown", StringComparison.OrdinalIgnoreCase)
            : document is not null && Cards.ModelCardSections.IsFilled(document, section);

    // ---- required_tags ----

    private static GateResult RequiredTags(GateSpec gate, GateSubject subject, GateFacts facts)
    {
        var rule = Rule(gate, subject);
        var wanted = gate.Tags ?? new Dictionary<string, string?>();
        if (wanted.Count > MaxTags)
        {
            return new GateResult(gate.Type, rule, false, $"The gate names {wanted.Count} tags; at most {MaxTags} are checked, so it cannot pass.", new JsonObject { ["tags_named"] = wanted.Count });
        }
        var tags = new JsonObject();
        var failures = new List<string>();
        foreach (var (key, expected) in wanted)
        {
            var (value, source) = facts.VersionTags.TryGetValue(key, out var v) ? (v, "version")
                : facts.ModelTags.TryGetValue(key, out var m) ? (m, "model") : ((string?)null, (string?)null);
            var passed = value is not null && (expected is null || string.Equals(value, expected, StringComparison.Ordinal));
            tags[key] = new JsonObject { ["expected"] = expected, ["value"] = Quote(value), ["source"] = source, ["passed"] = passed };
            if (!passed)
            {
                failures.Add(value is null
                    ? $"'{key}' is set on neither version {subject.Version} nor its model"
                    : $"'{key}' is '{Quote(value)}' on the {source}, not '{expected}'");
            }
        }
        var evidence = new JsonObject { ["tags"] = tags };
        return failures.Count == 0
            ? new GateResult(gate.Type, rule, true, $"Version {subject.Version} carries every required tag.", evidence)
            : new GateResult(gate.Type, rule, false, "Tag " + string.Join("; ", failures) + ".", evidence);
    }

    // ---- evidence helpers ----

    /// <summary>A number for evidence: JSON has no NaN or infinity, which are written as MLflow writes them, as strings.</summary>
    private static JsonValue? Number(double? value) => value switch
    {
        null => null,
        { } v when double.IsFinite(v) => JsonValue.Create(v),
        { } v => JsonValue.Create(Text(v)),
    };

    private static string Text(double value) => double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "Infinity"
        : double.IsNegativeInfinity(value) ? "-Infinity"
        : GateFacts.Invariant(value);

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static string? Quote(string? value) => value is null || value.Length <= MaxQuoted ? value : value[..MaxQuoted] + "…";

    private static string? StringOf(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static JsonNode? TryParse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
