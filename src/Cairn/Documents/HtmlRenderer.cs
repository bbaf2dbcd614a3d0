using System.Net;
using System.Text;

namespace Cairn.Documents;

/// <summary>
/// Renders a <see cref="Document"/> as one self-contained HTML page: its stylesheet inline (the web UI's light
/// colours), no script, nothing fetched, every text HTML-encoded, and print rules so that the browser's "print to
/// PDF" gives a clean copy.
/// </summary>
public static class HtmlRenderer
{
    private const string Style = """
        :root { --bg: #ffffff; --surface-2: #f0f2f5; --border: #dde1e7; --text: #1d2430; --muted: #5d6778;
          --accent: #2f6fdb; --accent-soft: #e6eefc; --danger: #b42318; --danger-soft: #fdecea; --ok: #1a7f37;
          --ok-soft: #e7f5ec; --warn: #9a6700; --warn-soft: #fff4d6;
          --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 60rem; padding: 2rem 1.5rem; background: var(--bg); color: var(--text);
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        h1 { font-size: 1.7rem; margin: 0 0 .3rem; font-weight: 600; }
        .subtitle { color: var(--muted); margin: 0 0 1.2rem; }
        h2 { font-size: 1.2rem; margin: 1.8rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid var(--border); font-weight: 600; }
        h3 { font-size: 1.05rem; margin: 1.2rem 0 .5rem; font-weight: 600; }
        h4 { font-size: .95rem; margin: 1rem 0 .4rem; font-weight: 600; }
        p { margin: 0 0 .7rem; white-space: pre-line; }
        table { border-collapse: collapse; width: 100%; margin: 0 0 1rem; font-size: .93rem; }
        th, td { text-align: left; vertical-align: top; padding: .35rem .6rem; border: 1px solid var(--border); overflow-wrap: anywhere; }
        th { background: var(--surface-2); font-weight: 600; }
        table.kv th { width: 30%; color: var(--muted); }
        ul { margin: 0 0 1rem; padding-left: 1.4rem; }
        pre { background: var(--surface-2); border: 1px solid var(--border); border-radius: 6px; padding: .6rem .8rem;
          font: .85rem/1.4 var(--mono); white-space: pre-wrap; overflow-wrap: anywhere; margin: 0 0 1rem; }
        .badges { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; margin: 0 0 1rem; }
        .badge-label { color: var(--muted); margin-right: .35rem; }
        .badge { display: inline-block; padding: .05rem .55rem; border-radius: 999px; font-size: .8rem; font-weight: 600;
          background: var(--surface-2); color: var(--muted); }
        .badge.ok { background: var(--ok-soft); color: var(--ok); }
        .badge.warn { background: var(--warn-soft); color: var(--warn); }
        .badge.danger { background: var(--danger-soft); color: var(--danger); }
        .badge.info { background: var(--accent-soft); color: var(--accent); }
        footer { margin-top: 2rem; padding-top: .6rem; border-top: 1px solid var(--border); color: var(--muted); font-size: .85rem; }
        @media print {
          body { max-width: none; padding: 0; font-size: 11pt; }
          h2, h3, h4 { break-after: avoid; }
          tr, pre, .badges { break-inside: avoid; }
          thead { display: table-header-group; }
          .badge { border: 1px solid currentColor; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }
        """;

    /// <summary>The document as a complete HTML page (UTF-8).</summary>
    public static string Render(Document document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Encode(document.Title)).Append("</title>\n<style>\n").Append(Style).Append("\n</style>\n</head>\n<body>\n<header>\n<h1>")
            .Append(Encode(document.Title)).Append("</h1>\n");
        if (!string.IsNullOrWhiteSpace(document.Subtitle))
        {
            html.Append("<p class=\"subtitle\">").Append(Encode(document.Subtitle)).Append("</p>\n");
        }
        html.Append("</header>\n<main>\n");
        foreach (var section in document.Sections)
        {
            Section(html, section, 2);
        }
        html.Append("</main>\n");
        if (!string.IsNullOrWhiteSpace(document.Footer))
        {
            html.Append("<footer>").Append(Encode(document.Footer)).Append("</footer>\n");
        }
        return html.Append("</body>\n</html>\n").ToString();
    }

    private static void Section(StringBuilder html, DocumentSection section, int level)
    {
        var h = Math.Min(level, 6);
        html.Append("<section>\n<h").Append(h).Append('>').Append(Encode(section.Heading)).Append("</h").Append(h).Append(">\n");
        foreach (var block in section.Blocks)
        {
            Block(html, block);
        }
        foreach (var sub in section.Subsections)
        {
            Section(html, sub, level + 1);
        }
        html.Append("</section>\n");
    }

    private static void Block(StringBuilder html, DocumentBlock block)
    {
        switch (block)
        {
            case TextBlock text:
                foreach (var paragraph in text.Text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    html.Append("<p>").Append(Encode(paragraph)).Append("</p>\n");
                }
                break;
            case KeyValueBlock kv:
                html.Append("<table class=\"kv\">\n<tbody>\n");
                foreach (var row in kv.Rows)
                {
                    html.Append("<tr><th scope=\"row\">").Append(Encode(row.Key)).Append("</th><td>").Append(Encode(row.Value)).Append("</td></tr>\n");
                }
                html.Append("</tbody>\n</table>\n");
                break;
            case TableBlock table:
                html.Append("<table>\n<thead>\n<tr>");
                foreach (var head in table.Header)
                {
                    html.Append("<th scope=\"col\">").Append(Encode(head)).Append("</th>");
                }
                html.Append("</tr>\n</thead>\n<tbody>\n");
                foreach (var row in table.Rows)
                {
                    html.Append("<tr>");
                    for (var i = 0; i < table.Header.Count; i++)
                    {
                        html.Append("<td>").Append(Encode(i < row.Count ? row[i] : "")).Append("</td>");
                    }
                    html.Append("</tr>\n");
                }
                html.Append("</tbody>\n</table>\n");
                break;
            case ListBlock list:
                html.Append("<ul>\n");
                foreach (var item in list.Items)
                {
                    html.Append("<li>").Append(Encode(item)).Append("</li>\n");
                }
                html.Append("</ul>\n");
                break;
            case BadgeBlock badges:
                html.Append("<div class=\"badges\">\n");
                foreach (var badge in badges.Badges)
                {
                    html.Append("<span><span class=\"badge-label\">").Append(Encode(badge.Label)).Append("</span><span class=\"badge ")
                        .Append(ToneClass(badge.Tone)).Append("\">").Append(Encode(badge.Value)).Append("</span></span>\n");
                }
                html.Append("</div>\n");
                break;
            case CodeBlock code:
                html.Append("<pre>").Append(Encode(code.Text)).Append("</pre>\n");
                break;
            default:
                throw new ArgumentException($"Unknown document block {block.GetType().Name}.", nameof(block));
        }
    }

    private static string ToneClass(BadgeTone tone) => tone switch
    {
        BadgeTone.Ok => "ok",
        BadgeTone.Warn => "warn",
        BadgeTone.Danger => "danger",
        BadgeTone.Info => "info",
        _ => "neutral",
    };

    private static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");
}
