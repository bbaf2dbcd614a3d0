using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace Cairn.Documents;

/// <summary>
/// Renders a <see cref="Document"/> as an A4 PDF with PDFsharp: text wrapped to the page, sections and table rows
/// broken across pages (a table's header repeated on each), and a footer with the page number on every page. Fonts
/// come from the operating system (<see cref="SystemFontResolver"/>) and are embedded, subset.
/// </summary>
public static class PdfRenderer
{
    /// <summary>The document as PDF bytes.</summary>
    /// <exception cref="PdfFontsMissingException">The machine has no font to render with.</exception>
    public static byte[] Render(Document document)
    {
        ArgumentNullException.ThrowIfNull(document);
        SystemFontResolver.EnsureRegistered();
        using var pdf = new PdfDocument();
        pdf.Info.Title = document.Title;
        pdf.Info.Subject = document.Subtitle ?? "";
        pdf.Info.Creator = "Cairn";
        using (var layout = new PdfLayout(pdf))
        {
            layout.Write(document);
        }
        using var output = new MemoryStream();
        pdf.Save(output, false);
        return output.ToArray();
    }
}

/// <summary>Lays a document out top to bottom, starting a page whenever the next piece does not fit.</summary>
internal sealed class PdfLayout : IDisposable
{
    private const double Margin = 50;
    private const double FooterSpace = 28;
    private const double CellPadding = 4;

    private static readonly XColor Text = XColor.FromArgb(0x1d, 0x24, 0x30);
    private static readonly XColor Muted = XColor.FromArgb(0x5d, 0x67, 0x78);
    private static readonly XColor Border = XColor.FromArgb(0xdd, 0xe1, 0xe7);
    private static readonly XColor Surface2 = XColor.FromArgb(0xf0, 0xf2, 0xf5);

    private readonly PdfDocument pdf;
    private readonly XFont body = new(SystemFontResolver.Sans, 10);
    private readonly XFont bold = new(SystemFontResolver.Sans, 10, XFontStyleEx.Bold);
    private readonly XFont title = new(SystemFontResolver.Sans, 20, XFontStyleEx.Bold);
    private readonly XFont subtitle = new(SystemFontResolver.Sans, 12);
    private readonly XFont[] headings =
    [
        new(SystemFontResolver.Sans, 15, XFontStyleEx.Bold),
        new(SystemFontResolver.Sans, 12.5, XFontStyleEx.Bold),
        new(SystemFontResolver.Sans, 11, XFontStyleEx.Bold),
    ];
    private readonly XFont mono = new(SystemFontResolver.Mono, 8.5);
    private readonly XFont small = new(SystemFontResolver.Sans, 8);

    private XGraphics? gfx;
    private PdfPage? page;
    private double y;

    internal PdfLayout(PdfDocument pdf) => this.pdf = pdf;

    private const double Left = Margin;
    private double Width => page!.Width.Point - 2 * Margin;
    private double Bottom => page!.Height.Point - Margin - FooterSpace;

    internal void Write(Document document)
    {
        NewPage();
        Lines(Wrap(document.Title, title, Width), title, Text, Left);
        y += 4;
        if (!string.IsNullOrWhiteSpace(document.Subtitle))
        {
            Lines(Wrap(document.Subtitle, subtitle, Width), subtitle, Muted, Left);
        }
        y += 8;
        foreach (var section in document.Sections)
        {
            Section(section, 0);
        }
        Footers(document);
    }

    public void Dispose() => gfx?.Dispose();

    private void NewPage()
    {
        gfx?.Dispose();
        page = pdf.AddPage();
        page.Size = PdfSharp.PageSize.A4;
        gfx = XGraphics.FromPdfPage(page);
        y = Margin;
    }

    private void Ensure(double height)
    {
        if (y + height > Bottom && y > Margin)
        {
            NewPage();
        }
    }

    private static double LineHeight(XFont font) => font.Size * 1.35;

    private void Section(DocumentSection section, int depth)
    {
        var font = headings[Math.Min(depth, headings.Length - 1)];
        var lines = Wrap(section.Heading, font, Width);
        // Keep a heading with at least the first lines of what follows it.
        y += depth == 0 ? 10 : 6;
        Ensure(lines.Count * LineHeight(font) + 3 * LineHeight(body));
        Lines(lines, font, Text, Left);
        if (depth == 0)
        {
            gfx!.DrawLine(new XPen(Border, 0.75), Left, y + 1, Left + Width, y + 1);
            y += 5;
        }
        y += 3;
        foreach (var block in section.Blocks)
        {
            Block(block);
        }
        foreach (var sub in section.Subsections)
        {
            Section(sub, depth + 1);
        }
    }

    private void Block(DocumentBlock block)
    {
        switch (block)
        {
            case TextBlock text:
                foreach (var paragraph in text.Text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    Lines(Wrap(paragraph, body, Width), body, Text, Left);
                    y += 5;
                }
                break;
            case KeyValueBlock kv:
                Table(null, kv.Rows.Select(r => (IReadOnlyList<string>)[r.Key, r.Value]).ToList(), keyColumn: true);
                break;
            case TableBlock table:
                Table(table.Header, table.Rows, keyColumn: false);
                break;
            case ListBlock list:
                foreach (var item in list.Items)
                {
                    var lines = Wrap(item, body, Width - 14);
                    Ensure(LineHeight(body));
                    gfx!.DrawString("•", body, new XSolidBrush(Text), Left + 3, y + body.Size);
                    Lines(lines, body, Text, Left + 14);
                }
                y += 5;
                break;
            case BadgeBlock badges:
                Badges(badges.Badges);
                break;
            case CodeBlock code:
                Code(code.Text);
                break;
            default:
                throw new ArgumentException($"Unknown document block {block.GetType().Name}.", nameof(block));
        }
    }

    /// <summary>Draws lines of one font, breaking the page between lines where needed.</summary>
    private void Lines(IReadOnlyList<string> lines, XFont font, XColor color, double x)
    {
        var brush = new XSolidBrush(color);
        var height = LineHeight(font);
        foreach (var line in lines)
        {
            Ensure(height);
            gfx!.DrawString(line, font, brush, x, y + font.Size);
            y += height;
        }
    }

    private void Badges(IReadOnlyList<StatusBadge> badges)
    {
        var height = LineHeight(body) + 4;
        Ensure(height);
        var x = Left;
        foreach (var badge in badges)
        {
            var label = badge.Label + " ";
            var labelWidth = gfx!.MeasureString(label, body).Width;
            var valueWidth = gfx.MeasureString(badge.Value, bold).Width + 12;
            if (x > Left && x + labelWidth + valueWidth > Left + Width)
            {
                x = Left;
                y += height + 2;
                Ensure(height);
            }
            var (fill, ink) = Tone(badge.Tone);
            gfx.DrawString(label, body, new XSolidBrush(Muted), x, y + body.Size + 1);
            x += labelWidth;
            gfx.DrawRoundedRectangle(new XSolidBrush(fill), x, y, valueWidth, height - 2, 9, 9);
            gfx.DrawString(badge.Value, bold, new XSolidBrush(ink), x + 6, y + body.Size + 1);
            x += valueWidth + 14;
        }
        y += height + 6;
    }

    private static (XColor Fill, XColor Ink) Tone(BadgeTone tone) => tone switch
    {
        BadgeTone.Ok => (XColor.FromArgb(0xe7, 0xf5, 0xec), XColor.FromArgb(0x1a, 0x7f, 0x37)),
        BadgeTone.Warn => (XColor.FromArgb(0xff, 0xf4, 0xd6), XColor.FromArgb(0x9a, 0x67, 0x00)),
        BadgeTone.Danger => (XColor.FromArgb(0xfd, 0xec, 0xea), XColor.FromArgb(0xb4, 0x23, 0x18)),
        BadgeTone.Info => (XColor.FromArgb(0xe6, 0xee, 0xfc), XColor.FromArgb(0x2f, 0x6f, 0xdb)),
        _ => (Surface2, Muted),
    };

    private void Code(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n')
            .SelectMany(line => Wrap(line, mono, Width - 2 * CellPadding, keepEmpty: true)).ToList();
        var height = LineHeight(mono);
        var brush = new XSolidBrush(Text);
        var i = 0;
        while (i < lines.Count)
        {
            Ensure(height + 2 * CellPadding);
            var fit = Math.Max(1, (int)((Bottom - y - 2 * CellPadding) / height));
            var chunk = lines.Skip(i).Take(fit).ToList();
            var boxHeight = chunk.Count * height + 2 * CellPadding;
            gfx!.DrawRectangle(new XPen(Border, 0.5), new XSolidBrush(Surface2), Left, y, Width, boxHeight);
            var lineY = y + CellPadding;
            foreach (var line in chunk)
            {
                gfx.DrawString(line, mono, brush, Left + CellPadding, lineY + mono.Size);
                lineY += height;
            }
            y += boxHeight;
            i += chunk.Count;
        }
        y += 6;
    }

    /// <summary>
    /// A table: column widths from the cells' natural widths, cells wrapped, rows kept whole on a page when they fit
    /// one (a taller row is split between lines), the header repeated on every page the table spans.
    /// </summary>
    private void Table(IReadOnlyList<string>? header, IReadOnlyList<IReadOnlyList<string>> rows, bool keyColumn)
    {
        var columns = header?.Count ?? 2;
        if (columns == 0)
        {
            return;
        }
        var widths = keyColumn ? [Width * 0.3, Width * 0.7] : ColumnWidths(header!, rows);
        var headerLines = header?.Select((h, i) => Wrap(h, bold, widths[i] - 2 * CellPadding)).ToList();
        var lineHeight = LineHeight(body);
        var headerHeight = headerLines is null ? 0 : headerLines.Max(l => l.Count) * lineHeight + 2 * CellPadding;
        var pen = new XPen(Border, 0.5);

        void DrawHeader()
        {
            if (headerLines is null)
            {
                return;
            }
            var x = Left;
            for (var c = 0; c < columns; c++)
            {
                gfx!.DrawRectangle(pen, new XSolidBrush(Surface2), x, y, widths[c], headerHeight);
                DrawCell(headerLines[c], bold, Text, x, y);
                x += widths[c];
            }
            y += headerHeight;
        }

        Ensure(headerHeight + lineHeight + 2 * CellPadding);
        DrawHeader();
        foreach (var row in rows)
        {
            var cells = Enumerable.Range(0, columns)
                .Select(c => Wrap(c < row.Count ? row[c] : "", keyColumn && c == 0 ? bold : body, widths[c] - 2 * CellPadding))
                .ToList();
            var first = 0;
            var total = cells.Max(l => l.Count);
            var rowHeight = total * lineHeight + 2 * CellPadding;
            var fullPage = Bottom - Margin - headerHeight;
            if (y + rowHeight > Bottom && rowHeight <= fullPage)
            {
                NewPage();
                DrawHeader();
            }
            while (first < total)
            {
                var fit = (int)((Bottom - y - 2 * CellPadding) / lineHeight);
                if (fit < 1)
                {
                    NewPage();
                    DrawHeader();
                    continue;
                }
                var count = Math.Min(fit, total - first);
                var height = count * lineHeight + 2 * CellPadding;
                var x = Left;
                for (var c = 0; c < columns; c++)
                {
                    if (keyColumn && c == 0)
                    {
                        gfx!.DrawRectangle(pen, new XSolidBrush(Surface2), x, y, widths[c], height);
                    }
                    else
                    {
                        gfx!.DrawRectangle(pen, x, y, widths[c], height);
                    }
                    DrawCell(cells[c].Skip(first).Take(count).ToList(), keyColumn && c == 0 ? bold : body, keyColumn && c == 0 ? Muted : Text, x, y);
                    x += widths[c];
                }
                y += height;
                first += count;
            }
        }
        y += 8;
    }

    private void DrawCell(IReadOnlyList<string> lines, XFont font, XColor color, double x, double top)
    {
        var brush = new XSolidBrush(color);
        var lineY = top + CellPadding;
        foreach (var line in lines)
        {
            gfx!.DrawString(line, font, brush, x + CellPadding, lineY + font.Size);
            lineY += LineHeight(body);
        }
    }

    /// <summary>Each column gets its share of the width by its widest cell (capped), never less than a narrow minimum.</summary>
    private double[] ColumnWidths(IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var columns = header.Count;
        var natural = new double[columns];
        var cap = Width * 0.6;
        for (var c = 0; c < columns; c++)
        {
            natural[c] = gfx!.MeasureString(header[c], bold).Width;
            foreach (var row in rows.Take(200))
            {
                if (c < row.Count)
                {
                    var longest = row[c].Split('\n').Max(line => line.Length);
                    // Measuring every long cell is costly; a character count bounds it well enough for sharing width.
                    var width = longest > 80 ? cap : gfx.MeasureString(row[c], body).Width;
                    natural[c] = Math.Max(natural[c], Math.Min(width, cap));
                }
            }
            natural[c] += 2 * CellPadding;
        }
        var minimum = Math.Min(40, Width / columns);
        var sum = natural.Sum();
        var widths = natural.Select(w => Math.Max(minimum, Width * w / sum)).ToArray();
        var scale = Width / widths.Sum();
        return widths.Select(w => w * scale).ToArray();
    }

    /// <summary>Greedy word wrap; a word longer than the line is broken between characters.</summary>
    private List<string> Wrap(string text, XFont font, double width, bool keepEmpty = false)
    {
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = "";
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = line.Length == 0 ? word : line + " " + word;
                if (gfx!.MeasureString(candidate, font).Width <= width)
                {
                    line = candidate;
                    continue;
                }
                if (line.Length > 0)
                {
                    lines.Add(line);
                }
                line = word;
                while (line.Length > 1 && gfx.MeasureString(line, font).Width > width)
                {
                    var cut = FitCharacters(line, font, width);
                    lines.Add(line[..cut]);
                    line = line[cut..];
                }
            }
            if (line.Length > 0 || keepEmpty)
            {
                lines.Add(line);
            }
        }
        if (lines.Count == 0)
        {
            lines.Add("");
        }
        return lines;
    }

    private int FitCharacters(string text, XFont font, double width)
    {
        int low = 1, high = text.Length;
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (gfx!.MeasureString(text[..mid], font).Width <= width)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }
        return low;
    }

    private void Footers(Document document)
    {
        gfx?.Dispose();
        gfx = null;
        var count = pdf.PageCount;
        var brush = new XSolidBrush(Muted);
        for (var i = 0; i < count; i++)
        {
            var p = pdf.Pages[i];
            using var g = XGraphics.FromPdfPage(p, XGraphicsPdfPageOptions.Append);
            var baseline = p.Height.Point - Margin + 4;
            var left = document.Footer ?? document.Title;
            var number = $"{i + 1} / {count}";
            var numberWidth = g.MeasureString(number, small).Width;
            var room = p.Width.Point - 2 * Margin - numberWidth - 12;
            while (left.Length > 1 && g.MeasureString(left, small).Width > room)
            {
                left = left[..^2] + "…";
            }
            g.DrawLine(new XPen(Border, 0.5), Margin, baseline - 11, p.Width.Point - Margin, baseline - 11);
            g.DrawString(left, small, brush, Margin, baseline);
            g.DrawString(number, small, brush, p.Width.Point - Margin - numberWidth, baseline);
        }
    }
}
