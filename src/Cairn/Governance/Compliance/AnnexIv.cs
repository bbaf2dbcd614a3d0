namespace Cairn.Governance.Compliance;

/// <summary>
/// The EU AI Act's Annex IV (technical documentation of a high-risk AI system, Article 11) item by item, and where a
/// compliance report answers each: titles in short, in our words. Items Cairn does not record say so, rather than
/// pointing at something that does not answer them.
/// </summary>
public static class AnnexIv
{
    /// <summary>The nine items, mapped onto the report's parts.</summary>
    public static IReadOnlyList<AnnexIvItem> Items { get; } =
    [
        new(1, "General description of the system: its intended purpose, provider, version, how it interacts with other systems, the forms it is released in, and instructions for use",
            "partly",
            ["models[].description", "models[].owner", "models[].versions[].card.document.model_details", "models[].versions[].card.document.intended_uses", "models[].versions[].framework"],
            "The model's description and owner, each version's framework, and the card's model details and intended uses (primary uses, users, out-of-scope uses). Hardware, deployment forms and user instructions are not recorded by Cairn unless written into the card."),
        new(2, "Detailed description of the elements and of the development process: methods, design choices, architecture, training data and its provenance, human oversight, validation and testing with their metrics",
            "partly",
            ["models[].versions[].lineage", "models[].versions[].run_id", "models[].versions[].card.document.model_parameters", "models[].targets[].holdings[].request.gates", "models[].targets[].holdings[].request.reviews"],
            "Lineage from each version to its runs and datasets, the card's model parameters (architecture, data), the gates' evidence (validation against thresholds) and the reviewers' approvals (human oversight of release). Design rationale and data-labelling procedures are not recorded by Cairn unless written into the card."),
        new(3, "Monitoring, functioning and control: capabilities and limitations, expected accuracy, foreseeable unintended outcomes and risks, human oversight measures, input data specifications",
            "partly",
            ["models[].versions[].card.document.considerations", "models[].versions[].card.document.quantitative_analysis", "models[].targets[].rule"],
            "The card's considerations (limitations, trade-offs, ethical considerations) and quantitative analysis, and the policy rule that governs each target (approvals, four-eyes). Runtime monitoring is not part of this report."),
        new(4, "Why the performance metrics chosen are appropriate for the system",
            "partly",
            ["models[].versions[].card.document.quantitative_analysis", "models[].targets[].rule.gates", "models[].targets[].holdings[].request.gates"],
            "The metrics the card reports and the metric thresholds the policy's gates require, with their evaluated values. A justification of the choice is recorded only if written into the card."),
        new(5, "The risk-management system (Article 9)",
            "partly",
            ["models[].versions[].card.risk_rating", "models[].versions[].card.document.considerations", "models[].targets[].protected"],
            "Each version's risk rating and its card's considerations, and which targets are protected by policy. The risk-management process itself is not recorded by Cairn."),
        new(6, "Relevant changes made to the system through its lifecycle",
            "answered",
            ["models[].targets[].holdings", "models[].requests", "audit"],
            "Every version that held each stage and alias and when, who changed it and through which request, and the audit-chain head that the whole change log can be verified against."),
        new(7, "The harmonised standards applied, or the other solutions adopted to meet the requirements",
            "not_recorded",
            [],
            "Not recorded by Cairn."),
        new(8, "A copy of the EU declaration of conformity",
            "not_recorded",
            [],
            "Not recorded by Cairn."),
        new(9, "The post-market monitoring system and plan (Article 72)",
            "not_recorded",
            [],
            "Not recorded by Cairn in this report: a monitoring plan may be written into the card's considerations, and the versions in production over time are under item 6."),
    ];
}
