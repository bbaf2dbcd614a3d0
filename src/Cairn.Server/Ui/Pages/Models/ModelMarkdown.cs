using Ganss.Xss;
using Markdig;
using Microsoft.AspNetCore.Components;

namespace Cairn.Server.Ui.Pages.Models;

/// <summary>
/// A description written in markdown, as HTML that is safe to render: Markdig renders it with raw HTML escaped, then
/// HtmlSanitizer keeps only harmless elements, attributes and URL schemes (no script, no event handler, no
/// <c>javascript:</c> link). The one place user text becomes markup.
/// </summary>
public static class ModelMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables().UseEmphasisExtras().UseAutoLinks().UseTaskLists().DisableHtml().Build();

    // Configured once here and never changed afterwards: Sanitize is then safe to call from any request.
    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    /// <summary>The markdown as sanitised HTML.</summary>
    public static MarkupString Render(string markdown) => new(Sanitize(Markdown.ToHtml(markdown, Pipeline)));

    /// <summary>HTML with everything that could run or leak removed.</summary>
    public static string Sanitize(string html) => Sanitizer.Sanitize(html);

    private static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Clear();
        sanitizer.AllowedSchemes.Add("http");
        sanitizer.AllowedSchemes.Add("https");
        sanitizer.AllowedSchemes.Add("mailto");
        // Links leave for somewhere else without telling it where from, and without a handle on this page.
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is AngleSharp.Dom.IElement { TagName: "A" } link)
            {
                link.SetAttribute("rel", "nofollow noopener noreferrer");
            }
        };
        return sanitizer;
    }
}
