using System.Text;

namespace Cairn.Documents;

/// <summary>
/// Renders a <see cref="Document"/> as CommonMark with GitHub's tables. Text is escaped so that what a person wrote
/// shows as written: no emphasis, links, HTML or headings from user text, and no cell breaking out of its table.
/// </summary>
public static class MarkdownRenderer
{
    /// <summary>The document as Markdown, ending in a newline.</summary>
    public static string Render(Document document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var md = new StringBuilder();
        md.Append("# ").Append(Inline(document.Title)).Append("\n\n");
        if (!string.IsNullOrWhiteSpace(document.Subtitle))
        {
            md.Append('_').Append(Inline(document.Subtitle)).Append("_\n\n");
        }
        foreach (var section in document.Sections)
        {
            Section(md, section, 2);
        }
        if (!string.IsNullOrWhiteSpace(document.Footer))
        {
            md.Append("---\n\n").Append(Inline(document.Footer)).Append('\n');
        }
        return md.ToString().TrimEnd('\n') + "\n";
    }

    private static void Section(StringBuilder md, DocumentSection section, int level)
    {
        md.Append('#', Math.Min(level, 6)).Append(' ').Append(Inline(section.Heading)).Append("\n\n");
        foreach (var block in section.Blocks)
        {
            Block(md, block);
        }
        foreach (var sub in section.Subsections)
        {
            Section(md, sub, level + 1);
        }
    }

    private static void Block(StringBuilder md, DocumentBlock block)
    {
        switch (block)
        {
            case TextBlock text:
                foreach (var paragraph in Paragraphs(text.Text))
                {
                    // Two trailing spaces keep a single line break inside a paragraph.
                    md.Append(string.Join("  \n", paragraph.Split('\n').Select(line => Text(line, lineStart: true)))).Append("\n\n");
                }
                break;
            case KeyValueBlock kv:
                foreach (var row in kv.Rows)
                {
                    md.Append("- **").Append(Inline(row.Key)).Append(":** ").Append(Inline(row.Value)).Append('\n');
                }
                md.Append('\n');
                break;
            case TableBlock table:
                Table(md, table);
                break;
            case ListBlock list:
                foreach (var item in list.Items)
                {
                    md.Append("- ").Append(Inline(item, lineStart: true)).Append('\n');
                }
                md.Append('\n');
                break;
            case BadgeBlock badges:
                md.Append(string.Join(" · ", badges.Badges.Select(b => $"{Inline(b.Label)}: **{Inline(b.Value)}**"))).Append("\n\n");
                break;
            case CodeBlock code:
                // A fence longer than any run of backticks in the text cannot be closed by it.
                var fence = new string('`', Math.Max(3, LongestRun(code.Text, '`') + 1));
                md.Append(fence).Append('\n').Append(code.Text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n')).Append('\n').Append(fence).Append("\n\n");
                break;
            default:
                throw new ArgumentException($"Unknown document block {block.GetType().Name}.", nameof(block));
        }
    }

    private static void Table(StringBuilder md, TableBlock table)
    {
        var columns = table.Header.Count;
        if (columns == 0)
        {
            return;
        }
        md.Append('|');
        foreach (var head in table.Header)
        {
            md.Append(' ').Append(Cell(head)).Append(" |");
        }
        md.Append("\n|");
        for (var i = 0; i < columns; i++)
        {
            md.Append(" --- |");
        }
        md.Append('\n');
        foreach (var row in table.Rows)
        {
            md.Append('|');
            for (var i = 0; i < columns; i++)
            {
                md.Append(' ').Append(Cell(i < row.Count ? row[i] : "")).Append(" |");
            }
            md.Append('\n');
        }
        md.Append('\n');
    }

    private static string[] Paragraphs(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal)
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Text on one line (a heading, a list item, a cell): line breaks become spaces.</summary>
    private static string Inline(string? text, bool lineStart = false) =>
        Text((text ?? "").Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ').Trim(), lineStart);

    private static string Cell(string? text) => Inline(text);

    /// <summary>
    /// Escapes one line: the inline markup characters everywhere (pipes too, so a cell stays a cell) and, where the
    /// text starts a block (a paragraph's line, a list item), the block markers it could start with (heading, list,
    /// setext underline, ordered list).
    /// </summary>
    private static string Text(string line, bool lineStart)
    {
        var escaped = new StringBuilder(line.Length + 8);
        foreach (var c in line)
        {
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '&' or '~' or '!')
            {
                escaped.Append('\\');
            }
            escaped.Append(c);
        }
        if (!lineStart)
        {
            return escaped.ToString();
        }
        var trimmed = escaped.ToString().TrimStart();
        var indent = escaped.Length - trimmed.Length;
        if (trimmed.Length > 0 && (trimmed[0] is '#' or '-' or '+' or '=' || OrderedListMarker(trimmed)))
        {
            escaped.Insert(indent + (trimmed[0] is '#' or '-' or '+' or '=' ? 0 : trimmed.IndexOfAny(['.', ')'])), '\\');
        }
        return escaped.ToString();
    }

    private static bool OrderedListMarker(string line)
    {
        var digits = 0;
        while (digits < line.Length && char.IsAsciiDigit(line[digits]))
        {
            digits++;
        }
        return digits is > 0 and < 10 && digits < line.Length && line[digits] is '.' or ')';
    }

    private static int LongestRun(string text, char c)
    {
        int longest = 0, run = 0;
        foreach (var ch in text)
        {
            run = ch == c ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return longest;
    }
}
