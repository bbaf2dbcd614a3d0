using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Documents;

namespace Cairn.Governance.Cards;

/// <summary>
/// A card in other shapes: the Model Card Toolkit's v0.0.2 JSON (valid against its schema, whose top level is closed)
/// and the <see cref="Document"/> that Markdown, HTML and PDF are rendered from. Both merge what people wrote with
/// what the registry knows; where the registry knows a field (name, version, owners, metrics, datasets, signature) its
/// value comes first and people's entries follow. Decision 0021 says where Cairn's extras go in the toolkit's shape.
/// </summary>
public static class ModelCardFormats
{
    /// <summary>The schema version written into the toolkit's JSON.</summary>
    public const string MctSchemaVersion = "0.0.2";

    /// <summary>
    /// The card as the Model Card Toolkit writes one (<c>ModelCard.to_json</c>): <c>schema_version</c> 0.0.2, the four
    /// sections, empty values left out, metric values as strings. Intended uses become considerations (primary uses as
    /// use cases, primary users as users, out-of-scope uses as limitations); the risk rating and the review status
    /// become an ethical consideration and a paragraph of the documentation, the only places the schema leaves.
    /// </summary>
    public static JsonObject ToMct(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var facts = card.Registry;
        var written = card.Sections;

        var details = Copy(written["model_details"]);
        details["name"] = facts.FullName;
        details["overview"] = Text(details["overview"]) ?? facts.Description;
        details["documentation"] = Join(Text(details["documentation"]), ReviewLine(card));
        var version = Copy(details["version"]);
        version["name"] = ModelCards.VersionLabel(facts);
        version["date"] = facts.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        details["version"] = version;
        details["owners"] = Merge(facts.Owners.Select(o => new JsonObject { ["name"] = o }), details["owners"],
            (a, b) => string.Equals(Text(a["name"]), Text(b["name"]), StringComparison.Ordinal));
        details["path"] = Text(details["path"]) ?? facts.Source;

        var parameters = Copy(written["model_parameters"]);
        parameters["model_architecture"] = Text(parameters["model_architecture"]) ?? Architecture(facts);
        parameters["data"] = Merge(
            facts.TrainingDatasets.Select(d => DatasetEntry(d, "Training")).Concat(facts.EvaluationDatasets.Select(d => DatasetEntry(d, "Evaluation"))),
            parameters["data"], (a, b) => string.Equals(Text(a["name"]), Text(b["name"]), StringComparison.Ordinal));
        if (facts.Signature is { } signature)
        {
            parameters["input_format"] = Text(parameters["input_format"]) ?? Tensors(signature.Inputs);
            parameters["output_format"] = Text(parameters["output_format"]) ?? Tensors(signature.Outputs);
            parameters["input_format_map"] = Merge(signature.Inputs.Select(t => KeyVal(t.Name, TensorType(t))), parameters["input_format_map"], SameKey);
            parameters["output_format_map"] = Merge(signature.Outputs.Select(t => KeyVal(t.Name, TensorType(t))), parameters["output_format_map"], SameKey);
        }

        var analysis = Copy(written["quantitative_analysis"]);
        analysis["performance_metrics"] = Merge(
            facts.Metrics.Select(m => new JsonObject { ["type"] = m.Key, ["value"] = m.Value.ToString("R", CultureInfo.InvariantCulture) }),
            analysis["performance_metrics"], (a, b) => Text(a["type"]) == Text(b["type"]) && b["slice"] is null && Text(a["value"]) == Text(b["value"]));

        var considerations = Copy(written["considerations"]);
        var uses = written["intended_uses"] as JsonObject;
        considerations["use_cases"] = Merge(Descriptions(uses?["primary_uses"], null), considerations["use_cases"], SameDescription);
        considerations["users"] = Merge(Descriptions(uses?["primary_users"], null), considerations["users"], SameDescription);
        considerations["limitations"] = Merge(Descriptions(uses?["out_of_scope_uses"], "Out of scope: "), considerations["limitations"], SameDescription);
        var risks = new List<JsonObject>();
        if (card.RiskRating != RiskRatings.Unknown)
        {
            risks.Add(new JsonObject { ["name"] = $"Model risk rating: {card.RiskRating}" });
        }
        considerations["ethical_considerations"] = Merge(risks, considerations["ethical_considerations"], (_, _) => false);

        var mct = new JsonObject
        {
            ["schema_version"] = MctSchemaVersion,
            ["model_details"] = details,
            ["model_parameters"] = parameters,
            ["quantitative_analysis"] = analysis,
            ["considerations"] = considerations,
        };
        return (JsonObject)Prune(mct)!;
    }

    /// <summary>The card as a document for Markdown, HTML and PDF.</summary>
    public static Document ToDocument(ModelCard card, DateTimeOffset renderedAt)
    {
        ArgumentNullException.ThrowIfNull(card);
        var facts = card.Registry;
        var mct = ToMct(card);
        var details = mct["model_details"] as JsonObject ?? [];
        var parameters = mct["model_parameters"] as JsonObject ?? [];
        var analysis = mct["quantitative_analysis"] as JsonObject ?? [];
        var considerations = card.Sections["considerations"] as JsonObject ?? [];
        var uses = card.Sections["intended_uses"] as JsonObject ?? [];

        var sections = new List<DocumentSection>();
        var overview = new List<DocumentBlock>
        {
            new BadgeBlock(
            [
                new StatusBadge("Card", Spaced(card.Status), card.Status switch { CardStatuses.Approved => BadgeTone.Ok, CardStatuses.PendingReview => BadgeTone.Warn, _ => BadgeTone.Neutral }),
                new StatusBadge("Risk", card.RiskRating, card.RiskRating switch { RiskRatings.High => BadgeTone.Danger, RiskRatings.Medium => BadgeTone.Warn, RiskRatings.Low => BadgeTone.Ok, _ => BadgeTone.Neutral }),
                new StatusBadge("Stage", facts.Stage, facts.Stage == "Production" ? BadgeTone.Ok : facts.Stage == "Staging" ? BadgeTone.Warn : BadgeTone.Neutral),
            ]),
        };
        if (Text(details["overview"]) is { } summary)
        {
            overview.Add(new TextBlock(summary));
        }
        overview.Add(new KeyValueBlock(Rows(
            ("Model", facts.FullName), ("Version", ModelCards.VersionLabel(facts)), ("Registered", $"{Date(facts.CreatedAt)} by {facts.CreatedBy}"),
            ("Owners", string.Join(", ", (details["owners"] as JsonArray ?? []).Select(o => Owner(o as JsonObject)))),
            ("Framework", facts.Framework), ("Format", facts.Format), ("Aliases", string.Join(", ", facts.Aliases)),
            ("Source", facts.Source), ("Run", facts.RunId),
            ("Licenses", string.Join(", ", (details["licenses"] as JsonArray ?? []).Select(l => Text(l?["identifier"]) ?? Text(l?["custom_text"])))))));
        if (Text((card.Sections["model_details"] as JsonObject)?["documentation"]) is { } documentation)
        {
            overview.Add(new TextBlock(documentation));
        }
        var references = (details["references"] as JsonArray ?? []).Select(r => Text(r?["reference"])).OfType<string>().ToList();
        if (references.Count > 0)
        {
            overview.Add(new ListBlock(references));
        }
        sections.Add(new DocumentSection("Model details", overview));

        var intended = new List<DocumentBlock>();
        AddList(intended, "Primary uses", uses["primary_uses"]);
        AddList(intended, "Primary users", uses["primary_users"]);
        AddList(intended, "Out of scope", uses["out_of_scope_uses"]);
        sections.Add(new DocumentSection("Intended uses", intended.Count > 0 ? intended : [new TextBlock("Not written yet.")]));

        var parameterBlocks = new List<DocumentBlock>();
        parameterBlocks.Add(new KeyValueBlock(Rows(
            ("Architecture", Text(parameters["model_architecture"])), ("Input format", Text(parameters["input_format"])), ("Output format", Text(parameters["output_format"])))));
        var data = parameters["data"] as JsonArray ?? [];
        if (data.Count > 0)
        {
            parameterBlocks.Add(new TableBlock(["Dataset", "Description", "Link"],
                data.Select(d => (IReadOnlyList<string>)[Text(d?["name"]) ?? "", Text(d?["description"]) ?? "", Text(d?["link"]) ?? ""]).ToList()));
        }
        else if (!facts.LineageVisible)
        {
            parameterBlocks.Add(new TextBlock("The datasets on this version's lineage are shown to readers of the lineage graph (reader on '/')."));
        }
        sections.Add(new DocumentSection("Model parameters", parameterBlocks));

        var metrics = analysis["performance_metrics"] as JsonArray ?? [];
        sections.Add(new DocumentSection("Quantitative analysis", metrics.Count > 0
            ? [new TableBlock(["Metric", "Value", "Slice", "Confidence interval"], metrics.Select(m => (IReadOnlyList<string>)
                [Text(m?["type"]) ?? "", Text(m?["value"]) ?? "", Text(m?["slice"]) ?? "",
                 m?["confidence_interval"] is JsonObject ci ? $"{Text(ci["lower_bound"])} – {Text(ci["upper_bound"])}" : ""]).ToList())]
            : [new TextBlock("No metrics recorded.")]));

        var considerationBlocks = new List<DocumentBlock>();
        AddList(considerationBlocks, "Users", Descriptions(considerations["users"]));
        AddList(considerationBlocks, "Use cases", Descriptions(considerations["use_cases"]));
        AddList(considerationBlocks, "Limitations", Descriptions(considerations["limitations"]));
        AddList(considerationBlocks, "Trade-offs", Descriptions(considerations["tradeoffs"]));
        var ethical = (considerations["ethical_considerations"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (ethical.Count > 0)
        {
            considerationBlocks.Add(new TableBlock(["Risk", "Mitigation"], ethical.Select(e => (IReadOnlyList<string>)[Text(e["name"]) ?? "", Text(e["mitigation_strategy"]) ?? ""]).ToList()));
        }
        sections.Add(new DocumentSection("Considerations", considerationBlocks.Count > 0 ? considerationBlocks : [new TextBlock("Not written yet.")]));

        var approvals = new List<DocumentBlock>();
        approvals.Add(new KeyValueBlock(Rows(
            ("Last edited", Who(card.Review.UpdatedAt, card.Review.UpdatedBy)), ("Submitted", Who(card.Review.SubmittedAt, card.Review.SubmittedBy)),
            ("Approved", Who(card.Review.ApprovedAt, card.Review.ApprovedBy)), ("Returned", Who(card.Review.ReturnedAt, card.Review.ReturnedBy)),
            ("Review comment", card.Review.Comment))));
        if (facts.Approvals.Count > 0)
        {
            approvals.Add(new TableBlock(["Promotion", "Status", "Requested", "Reviews"], facts.Approvals.Select(a => (IReadOnlyList<string>)
            [
                $"{a.TargetKind} {a.Target} ({a.RequestId})", a.Status, $"{Date(a.RequestedAt)} by {a.RequestedBy}",
                string.Join("; ", a.Reviews.Select(r => $"{r.Verdict.ToLowerInvariant()} by {r.Reviewer} {Date(r.At)}" + (r.Comment is { Length: > 0 } c ? $": {c}" : ""))),
            ]).ToList()));
        }
        else
        {
            approvals.Add(new TextBlock("No promotion of this version has been requested."));
        }
        sections.Add(new DocumentSection("Review and approvals", approvals));

        return new Document($"Model card: {facts.FullName} {ModelCards.VersionLabel(facts)}", facts.Description is { Length: > 0 } d ? FirstLine(d) : null, sections)
        {
            Footer = $"Cairn model card · {facts.FullName} version {facts.Version.ToString(CultureInfo.InvariantCulture)} · {Spaced(card.Status)} · rendered {renderedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}",
        };
    }

    private static string Spaced(string status) => status == CardStatuses.PendingReview ? "Pending review" : status;

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string? Who(DateTimeOffset? at, string? by) => at is { } when ? $"{Date(when)} by {by}" : null;

    private static string Owner(JsonObject? owner) =>
        Text(owner?["contact"]) is { } contact ? $"{Text(owner?["name"])} ({contact})" : Text(owner?["name"]) ?? "";

    private static List<KeyValueRow> Rows(params (string Key, string? Value)[] rows) =>
        rows.Where(r => !string.IsNullOrWhiteSpace(r.Value)).Select(r => new KeyValueRow(r.Key, r.Value!)).ToList();

    private static void AddList(List<DocumentBlock> blocks, string label, JsonNode? items)
    {
        var texts = (items as JsonArray ?? []).Select(Text).OfType<string>().ToList();
        AddList(blocks, label, texts);
    }

    private static void AddList(List<DocumentBlock> blocks, string label, List<string> items)
    {
        if (items.Count > 0)
        {
            blocks.Add(new TextBlock(label));
            blocks.Add(new ListBlock(items));
        }
    }

    private static List<string> Descriptions(JsonNode? items) =>
        (items as JsonArray ?? []).Select(i => Text(i?["description"])).OfType<string>().ToList();

    private static IEnumerable<JsonObject> Descriptions(JsonNode? texts, string? prefix) =>
        (texts as JsonArray ?? []).Select(Text).OfType<string>().Select(t => new JsonObject { ["description"] = prefix + t });

    private static bool SameDescription(JsonObject a, JsonObject b) => Text(a["description"]) == Text(b["description"]);

    private static bool SameKey(JsonObject a, JsonObject b) => Text(a["key"]) == Text(b["key"]);

    private static JsonObject KeyVal(string key, string value) => new() { ["key"] = key, ["value"] = value };

    private static string TensorType(Artifacts.Formats.TensorSpec t) =>
        t.Shape is { Count: > 0 } shape ? $"{t.ElementType} [{string.Join(", ", shape.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "?"))}]" : t.ElementType;

    private static string Tensors(IReadOnlyList<Artifacts.Formats.TensorSpec> tensors) =>
        string.Join(", ", tensors.Select(t => $"{t.Name}: {TensorType(t)}"));

    private static string? Architecture(ModelCardFacts facts) => (facts.Framework, facts.Format) switch
    {
        ({ Length: > 0 } framework, { Length: > 0 } format) when !string.Equals(format, "unknown", StringComparison.Ordinal) => $"{framework} ({format})",
        ({ Length: > 0 } framework, _) => framework,
        (_, { Length: > 0 } format) when !string.Equals(format, "unknown", StringComparison.Ordinal) => format,
        _ => null,
    };

    private static JsonObject DatasetEntry(CardDataset d, string use)
    {
        var entry = new JsonObject
        {
            ["name"] = d.Id,
            ["description"] = $"{use} dataset {d.Namespace}:{d.Name}" + (d.DatasetVersion is { Length: > 0 } v ? $" version {v}" : "")
                + $", read by {d.Run}" + (d.HasSchema ? "; registered with a schema" : ""),
        };
        if (d.Location is { } location && Uri.TryCreate(location, UriKind.Absolute, out _))
        {
            entry["link"] = location;
        }
        return entry;
    }

    private static string? ReviewLine(ModelCard card)
    {
        var line = card.Status switch
        {
            CardStatuses.Approved => $"Cairn: this card was approved by {card.Review.ApprovedBy} on {Date(card.Review.ApprovedAt!.Value)}.",
            CardStatuses.PendingReview => $"Cairn: this card is pending review (submitted by {card.Review.SubmittedBy}).",
            _ => "Cairn: this card is a draft, not reviewed.",
        };
        return line;
    }

    private static string? Join(string? first, string? second) =>
        first is null ? second : second is null ? first : first + "\n\n" + second;

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } s && !string.IsNullOrWhiteSpace(s) ? s : null;

    private static JsonObject Copy(JsonNode? node) => node is JsonObject obj ? (JsonObject)obj.DeepClone() : [];

    /// <summary>The registry's entries, then people's entries that do not repeat one of them.</summary>
    private static JsonArray Merge(IEnumerable<JsonObject> known, JsonNode? written, Func<JsonObject, JsonObject, bool> same)
    {
        var result = new JsonArray();
        var first = known.ToList();
        foreach (var entry in first)
        {
            result.Add(entry);
        }
        foreach (var entry in (written as JsonArray ?? []).OfType<JsonObject>())
        {
            if (!first.Any(k => same(k, entry)))
            {
                result.Add(entry.DeepClone());
            }
        }
        return result;
    }

    /// <summary>Drops nulls, empty strings, empty lists and empty objects, as the toolkit's <c>to_dict</c> leaves out empty values.</summary>
    private static JsonNode? Prune(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var pruned = Prune(obj[key]);
                    if (pruned is null)
                    {
                        obj.Remove(key);
                    }
                    else if (!ReferenceEquals(pruned, obj[key]))
                    {
                        obj[key] = pruned;
                    }
                }
                return obj.Count == 0 ? null : obj;
            case JsonArray array:
                for (var i = array.Count - 1; i >= 0; i--)
                {
                    if (Prune(array[i]) is null)
                    {
                        array.RemoveAt(i);
                    }
                }
                return array.Count == 0 ? null : array;
            case JsonValue value:
                return value.GetValueKind() == JsonValueKind.String && string.IsNullOrEmpty(value.GetValue<string>()) ? null : value;
            default:
                return null;
        }
    }
}
