namespace Cairn.Documents;

/// <summary>
/// A document Cairn hands to people (a model card, a compliance report), written once as data and rendered by
/// <see cref="MarkdownRenderer"/>, <see cref="HtmlRenderer"/> and <see cref="PdfRenderer"/>. Every string in it is
/// plain text: each renderer escapes it for its format, so user-written text can go in as it is.
/// </summary>
/// <param name="Title">The document's title (the first heading; the PDF's and the HTML page's title).</param>
/// <param name="Subtitle">A line under the title, or null.</param>
/// <param name="Sections">The top-level sections, in order.</param>
public sealed record Document(string Title, string? Subtitle, IReadOnlyList<DocumentSection> Sections)
{
    /// <summary>A line printed at the end (Markdown, HTML) and at the foot of every PDF page, e.g. who generated it and when.</summary>
    public string? Footer { get; init; }
}

/// <summary>A section: a heading, its blocks, then its subsections (one heading level deeper).</summary>
/// <param name="Heading">The section's heading.</param>
/// <param name="Blocks">What the section says, in order.</param>
public sealed record DocumentSection(string Heading, IReadOnlyList<DocumentBlock> Blocks)
{
    /// <summary>Sections under this one; renderers support three levels below the title.</summary>
    public IReadOnlyList<DocumentSection> Subsections { get; init; } = [];
}

/// <summary>One piece of a section: text, a table, a list, badges or a preformatted block.</summary>
public abstract record DocumentBlock;

/// <summary>A paragraph. A blank line inside starts a new paragraph; a single line break is kept.</summary>
public sealed record TextBlock(string Text) : DocumentBlock;

/// <summary>Fields and their values, one per row (a record's attributes).</summary>
public sealed record KeyValueBlock(IReadOnlyList<KeyValueRow> Rows) : DocumentBlock;

/// <summary>One field of a <see cref="KeyValueBlock"/>.</summary>
public sealed record KeyValueRow(string Key, string Value);

/// <summary>A table with a header row; every row has as many cells as the header (short rows are padded).</summary>
public sealed record TableBlock(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) : DocumentBlock;

/// <summary>A bulleted list.</summary>
public sealed record ListBlock(IReadOnlyList<string> Items) : DocumentBlock;

/// <summary>A row of labelled status badges (a card's status, a gate's verdict).</summary>
public sealed record BadgeBlock(IReadOnlyList<StatusBadge> Badges) : DocumentBlock;

/// <summary>A label and a value shown as a coloured pill in HTML and PDF, in bold in Markdown.</summary>
public sealed record StatusBadge(string Label, string Value, BadgeTone Tone);

/// <summary>A badge's colour, as the web UI's badges: neutral grey, ok green, warn amber, danger red, info blue.</summary>
public enum BadgeTone
{
    /// <summary>Grey: no verdict.</summary>
    Neutral,

    /// <summary>Green: approved, passed.</summary>
    Ok,

    /// <summary>Amber: pending, attention.</summary>
    Warn,

    /// <summary>Red: rejected, failed, high risk.</summary>
    Danger,

    /// <summary>Blue: informational.</summary>
    Info,
}

/// <summary>Monospaced text kept as written (JSON evidence, hashes); long lines wrap in the PDF.</summary>
public sealed record CodeBlock(string Text) : DocumentBlock;
