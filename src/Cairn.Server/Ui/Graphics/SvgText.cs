using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace Cairn.Server.Ui.Graphics;

/// <summary>
/// An SVG <c>&lt;text&gt;</c> element. Razor reserves <c>&lt;text&gt;</c> for itself and refuses attributes on it,
/// so charts write their labels with this component (or <see cref="Of"/> from code); the content is encoded like any text.
/// </summary>
public sealed class SvgText : ComponentBase
{
    [Parameter] public string? X { get; set; }
    [Parameter] public string? Y { get; set; }
    [Parameter] public string? Anchor { get; set; }
    [Parameter] public string? Class { get; set; }
    [Parameter] public string? Transform { get; set; }
    [Parameter] public string? Text { get; set; }

    protected override void BuildRenderTree(RenderTreeBuilder builder) => Write(builder, Class, X, Y, Anchor, Transform, Text);

    /// <summary>The same element as a fragment, at a position in user units.</summary>
    public static RenderFragment Of(string? cssClass, double x, double y, string content, string? anchor = null) =>
        builder => Write(builder, cssClass, N(x), N(y), anchor, null, content);

    private static void Write(RenderTreeBuilder builder, string? cssClass, string? x, string? y, string? anchor, string? transform, string? content)
    {
        builder.OpenElement(0, "text");
        builder.AddAttribute(1, "class", cssClass);
        builder.AddAttribute(2, "x", x);
        builder.AddAttribute(3, "y", y);
        builder.AddAttribute(4, "text-anchor", anchor);
        builder.AddAttribute(5, "transform", transform);
        builder.AddContent(6, content);
        builder.CloseElement();
    }

    private static string N(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);
}
