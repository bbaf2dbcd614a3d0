using System.Text.Json.Nodes;

namespace Cairn.Governance.Cards;

/// <summary>
/// The people-written sections of a model card (the top-level keys of <c>model_cards.document</c>, each an object in
/// the Model Card Toolkit v0.0.2 shape) and when a section counts as filled. The risk rating is its own column, not a
/// section of the document; callers that accept <see cref="RiskRating"/> as a section name answer it from the column.
/// </summary>
public static class ModelCardSections
{
    /// <summary>The model's details: overview, documentation, owners, licenses, references, citations.</summary>
    public const string ModelDetails = "model_details";

    /// <summary>The model's architecture, data and input/output formats.</summary>
    public const string ModelParameters = "model_parameters";

    /// <summary>The model's performance metrics and graphics.</summary>
    public const string QuantitativeAnalysis = "quantitative_analysis";

    /// <summary>Users, use cases, limitations, trade-offs, ethical considerations.</summary>
    public const string Considerations = "considerations";

    /// <summary>Primary uses, primary users and out-of-scope uses (Cairn's addition to the toolkit's sections).</summary>
    public const string IntendedUses = "intended_uses";

    /// <summary>The name a gate uses for the risk rating; filled when the rating is not <c>Unknown</c>.</summary>
    public const string RiskRating = "risk_rating";

    /// <summary>The sections the document may hold, in the order a card shows them.</summary>
    public static IReadOnlyList<string> DocumentSections { get; } =
        [ModelDetails, ModelParameters, QuantitativeAnalysis, Considerations, IntendedUses];

    /// <summary>
    /// True when <paramref name="section"/> of <paramref name="document"/> holds at least one non-empty (not
    /// whitespace-only) string or non-empty list somewhere inside it. Numbers, booleans and empty objects alone do
    /// not fill a section. <see cref="RiskRating"/> is not in the document and is answered false here.
    /// </summary>
    public static bool IsFilled(JsonObject document, string section)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(section);
        return document.TryGetPropertyValue(section, out var node) && HoldsContent(node);
    }

    private static bool HoldsContent(JsonNode? node) => node switch
    {
        JsonObject obj => obj.Any(p => HoldsContent(p.Value)),
        JsonArray array => array.Count > 0,
        JsonValue value => value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text),
        _ => false,
    };
}
